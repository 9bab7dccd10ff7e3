/* Extensions: CloudrecCreateCompose and CloudrecDescribeCompose (tools/compose.h). The mixed
 * parameters are Create's own schemas; the action checks them once more as a whole mixed Create
 * would (defaults, tiles inside the canvas). */
#include "validate/schema_layout.h"
#include "validate/schema_macros.h"

static const CrField compose_create_fields[] = {
  F_SDK_APP_ID,
  { .name = "TaskId", .kind = CR_FIELD_STRING, .required = TRUE, .min = 1, .max = 128,
    .code = "InvalidParameter.TaskId" },
  F_OBJ ("MixLayoutParams", FALSE, &cr_schema_mix_layout),
  F_OBJ ("MixTranscodeParams", FALSE, &cr_schema_mix_transcode),
};
const CrSchema cr_schema_compose_create = CR_SCHEMA (compose_create_fields, NULL);

static const CrField compose_describe_fields[] = {
  F_SDK_APP_ID,
  F_STR ("ComposeId", TRUE, 1, 64, cr_format_path_segment),
};
const CrSchema cr_schema_compose_describe = CR_SCHEMA (compose_describe_fields, NULL);
