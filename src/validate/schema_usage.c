/* Schemas of TRTC's usage actions, DescribeRecordStatistic and DescribeRecordingUsage
 * (reference §1.1). The dates' syntax and span are checked by the action (usage/usage.h), which
 * names the field and the limit. */
#include <string.h>

#include "validate/schema_macros.h"

static const char *
format_mix_type (const char *s)
{
  return strcmp (s, "single") == 0 || strcmp (s, "multi") == 0 ? NULL : "\"single\" or \"multi\"";
}

/* SdkAppId is optional here: without it, the usage of the app whose key signed the call. */
#define F_SDK_APP_ID_OPTIONAL                                                                      \
  {                                                                                                \
    .name = "SdkAppId", .kind = CR_FIELD_INT, .required = FALSE, .min = 1, .max = G_MAXUINT32,     \
    .code = "InvalidParameter.SdkAppId"                                                            \
  }

static const CrField statistic_fields[] = {
  F_STR ("StartTime", TRUE, 1, 32, NULL),
  F_STR ("EndTime", TRUE, 1, 32, NULL),
  F_SDK_APP_ID_OPTIONAL,
};
const CrSchema cr_schema_record_statistic = CR_SCHEMA (statistic_fields, NULL);

static const CrField recording_usage_fields[] = {
  F_STR ("StartTime", TRUE, 1, 32, NULL),
  F_STR ("EndTime", TRUE, 1, 32, NULL),
  F_STR ("MixType", TRUE, 1, 16, format_mix_type),
  F_SDK_APP_ID_OPTIONAL,
};
const CrSchema cr_schema_recording_usage = CR_SCHEMA (recording_usage_fields, NULL);
