/* Schemas of the calls that address an existing task: Describe, Modify and Delete. */
#include "validate/schema_layout.h"
#include "validate/schema_macros.h"

static const char *
format_task_id (const char *s)
{
  for (const char *p = s; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-' && *p != '+')
      return "a TaskId made of letters, digits, '.', '_', '-' and '+'";
  }
  return NULL;
}

#define F_TASK_ID                                                                                  \
  {                                                                                                \
    .name = "TaskId", .kind = CR_FIELD_STRING, .required = TRUE, .min = 1, .max = 128,             \
    .format = format_task_id, .code = "InvalidParameter.TaskId"                                    \
  }

static const CrField describe_fields[] = {
  F_SDK_APP_ID,
  F_TASK_ID,
  F_STR ("RecorderKey", FALSE, 0, 128, cr_format_path_segment),
};
const CrSchema cr_schema_describe = CR_SCHEMA (describe_fields, NULL);

static const CrField delete_fields[] = { F_SDK_APP_ID, F_TASK_ID };
const CrSchema cr_schema_delete = CR_SCHEMA (delete_fields, NULL);

/* Extensions: the outbox's events of a task (CloudrecDescribeEvents, CloudrecResendEvents). */
static const CrField events_fields[] = { F_SDK_APP_ID, F_TASK_ID };
const CrSchema cr_schema_events = CR_SCHEMA (events_fields, NULL);

/* Extensions of the console that address an app, not a task (CloudrecDescribeTasks,
 * CloudrecDescribeRooms). */
static const CrField app_fields[] = { F_SDK_APP_ID };
const CrSchema cr_schema_app = CR_SCHEMA (app_fields, NULL);

static const CrField resend_fields[] = {
  F_SDK_APP_ID,
  F_TASK_ID,
  F_INT ("EventId", FALSE, 1, G_MAXINT64),
};
const CrSchema cr_schema_resend_events = CR_SCHEMA (resend_fields, NULL);

static const CrField modify_fields[] = {
  F_SDK_APP_ID,
  F_TASK_ID,
  F_OBJ ("MixLayoutParams", FALSE, &cr_schema_mix_layout),
  F_OBJ ("SubscribeStreamUserIds", FALSE, &cr_schema_subscribe),
  F_OBJ ("MixTranscodeParams", FALSE, &cr_schema_mix_transcode),
};
const CrSchema cr_schema_modify = CR_SCHEMA (modify_fields, NULL);
