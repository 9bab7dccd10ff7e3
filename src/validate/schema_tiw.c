/* Schemas of the whiteboard service's online recording (TIW 2019-09-19, src/api/
 * action_tiw_record.c, docs/class-record.md): the SDK's members (tiw_models.d.ts), each named by
 * its full path when it breaks a rule, as the TRTC schemas do. The rules across members
 * (RecordUserId's shape, MixStream needing Extras MIX_STREAM, the modes) are the class task's own
 * (src/tiw/class_state.c), so they are tested without the HTTP pipeline. */
#include <string.h>

#include "validate/schema_macros.h"

static const char *
format_http_url (const char *s)
{
  if (*s == '\0' || g_str_has_prefix (s, "http://") || g_str_has_prefix (s, "https://"))
    return NULL;
  return "an http:// or https:// URL (or \"\" to remove it)";
}

static const char *
format_printable (const char *s)
{
  for (const char *p = s; *p; p++) {
    if (!g_ascii_isgraph (*p))
      return "printable ASCII without spaces";
  }
  return NULL;
}

static const char *
format_record_mode (const char *s)
{
  if (strcmp (s, "REALTIME_MODE") == 0 || strcmp (s, "VIDEO_GENERATION_MODE") == 0)
    return NULL;
  return "REALTIME_MODE or VIDEO_GENERATION_MODE";
}

static const CrField layout_params_fields[] = {
  F_INT ("Width", TRUE, 2, 3000), F_INT ("Height", TRUE, 2, 3000), F_INT_D ("X", 0, 3000, 0),
  F_INT_D ("Y", 0, 3000, 0),      F_INT_D ("ZOrder", 0, 1000, 0),
};
static const CrSchema layout_params_schema = CR_SCHEMA (layout_params_fields, NULL);

static const CrField canvas_fields[] = {
  F_OBJ ("LayoutParams", TRUE, &layout_params_schema),
  F_STR_D ("BackgroundColor", 1, 16, cr_format_colour, "#000000"),
};
static const CrSchema canvas_schema = CR_SCHEMA (canvas_fields, NULL);

static const CrField stream_layout_fields[] = {
  F_OBJ ("LayoutParams", TRUE, &layout_params_schema),
  F_STR ("InputStreamId", FALSE, 0, 64, NULL),
  F_STR_D ("BackgroundColor", 1, 16, cr_format_colour, "#000000"),
  F_ENUM_D ("FillMode", CR_ALLOW (0, 1), 0),
};
static const CrSchema stream_layout_schema = CR_SCHEMA (stream_layout_fields, NULL);

static const CrField custom_fields[] = {
  F_OBJ ("Canvas", TRUE, &canvas_schema),
  F_OBJ_LIST ("InputStreamList", 25, &stream_layout_schema),
};
static const CrSchema custom_schema = CR_SCHEMA (custom_fields, NULL);

static const CrField mix_stream_fields[] = {
  { .name = "Enabled", .kind = CR_FIELD_BOOL, .required = TRUE },
  F_BOOL_D ("DisableAudio", FALSE),
  F_INT ("ModelId", FALSE, 1, 2),
  F_STR ("TeacherId", FALSE, 1, 60, NULL),
  F_OBJ ("Custom", FALSE, &custom_schema),
};
static const CrSchema mix_stream_schema = CR_SCHEMA (mix_stream_fields, NULL);

static const CrField stream_control_fields[] = {
  F_STR ("StreamId", TRUE, 1, 64, NULL),
  F_BOOL_D ("DisableRecord", FALSE),
  F_BOOL_D ("DisableAudio", FALSE),
  F_BOOL_D ("PullSmallVideo", FALSE),
};
static const CrSchema stream_control_schema = CR_SCHEMA (stream_control_fields, NULL);

static const CrField record_control_fields[] = {
  { .name = "Enabled", .kind = CR_FIELD_BOOL, .required = TRUE },
  F_BOOL_D ("DisableRecord", FALSE),
  F_BOOL_D ("DisableAudio", FALSE),
  F_BOOL_D ("PullSmallVideo", FALSE),
  F_OBJ_LIST ("StreamControls", 25, &stream_control_schema),
};
static const CrSchema record_control_schema = CR_SCHEMA (record_control_fields, NULL);

static const CrField whiteboard_fields[] = {
  F_INT_D ("Width", 2, 3000, 1280),
  F_INT_D ("Height", 2, 3000, 960),
  F_STR ("InitParam", FALSE, 0, 65536, NULL),
};
static const CrSchema whiteboard_schema = CR_SCHEMA (whiteboard_fields, NULL);

static const CrField concat_fields[] = {
  { .name = "Enabled", .kind = CR_FIELD_BOOL, .required = TRUE },
  F_STR ("Image", FALSE, 0, 1024, NULL),
};
static const CrSchema concat_schema = CR_SCHEMA (concat_fields, NULL);

static const CrField start_fields[] = {
  F_SDK_APP_ID,
  { .name = "RoomId",
    .kind = CR_FIELD_INT,
    .required = TRUE,
    .min = 1,
    .max = G_MAXUINT32,
    .code = "InvalidParameter.RoomId" },
  { .name = "RecordUserId",
    .kind = CR_FIELD_STRING,
    .required = TRUE,
    .min = 1,
    .max = 60,
    .code = "InvalidParameter.RecordUserId" },
  { .name = "RecordUserSig",
    .kind = CR_FIELD_STRING,
    .required = TRUE,
    .min = 1,
    .max = 2048,
    .code = "InvalidParameter.RecordUserSig" },
  F_STR ("GroupId", FALSE, 0, 64, NULL),
  F_OBJ ("Concat", FALSE, &concat_schema),
  F_OBJ ("Whiteboard", FALSE, &whiteboard_schema),
  F_OBJ ("MixStream", FALSE, &mix_stream_schema),
  F_STR_LIST ("Extras", 16, 64, NULL),
  F_BOOL_D ("AudioFileNeeded", FALSE),
  F_OBJ ("RecordControl", FALSE, &record_control_schema),
  { .name = "RecordMode",
    .kind = CR_FIELD_STRING,
    .min = 1,
    .max = 32,
    .format = format_record_mode,
    .has_default = TRUE,
    .def_str = "REALTIME_MODE",
    .code = "InvalidParameter.RecordMode" },
  F_STR ("ChatGroupId", FALSE, 0, 64, NULL),
  F_INT ("AutoStopTimeout", FALSE, 300, 86400),
  F_STR ("ExtraData", FALSE, 0, 4096, NULL),
  F_INT ("TRTCRoomId", FALSE, 1, G_MAXUINT32),
  F_STR ("TRTCRoomIdStr", FALSE, 1, 64, cr_format_string_room_id),
};
const CrSchema cr_schema_tiw_start = CR_SCHEMA (start_fields, NULL);

static const CrField task_fields[] = {
  F_SDK_APP_ID,
  { .name = "TaskId",
    .kind = CR_FIELD_STRING,
    .required = TRUE,
    .min = 1,
    .max = 128,
    .format = format_printable,
    .code = "InvalidParameter.TaskId" },
};
const CrSchema cr_schema_tiw_task = CR_SCHEMA (task_fields, NULL);

static const CrField callback_fields[] = {
  F_SDK_APP_ID,
  { .name = "Callback",
    .kind = CR_FIELD_STRING,
    .required = TRUE,
    .min = 0,
    .max = 1024,
    .format = format_http_url,
    .code = "InvalidParameter.CallbackAddressFormatError" },
};
const CrSchema cr_schema_tiw_callback = CR_SCHEMA (callback_fields, NULL);

static const CrField callback_key_fields[] = {
  F_SDK_APP_ID,
  F_STR ("CallbackKey", TRUE, 0, 64, format_printable),
};
const CrSchema cr_schema_tiw_callback_key = CR_SCHEMA (callback_key_fields, NULL);

/* CreateVideoGenerationTask: the class's TaskId, and what wins over its StartOnlineRecord's. */
static const CrField video_gen_fields[] = {
  F_SDK_APP_ID,
  { .name = "OnlineRecordTaskId",
    .kind = CR_FIELD_STRING,
    .required = TRUE,
    .min = 1,
    .max = 128,
    .format = format_printable,
    .code = "InvalidParameter.TaskId" },
  F_OBJ ("Whiteboard", FALSE, &whiteboard_schema),
  F_OBJ ("Concat", FALSE, &concat_schema),
  F_OBJ ("MixStream", FALSE, &mix_stream_schema),
  F_OBJ ("RecordControl", FALSE, &record_control_schema),
  F_STR ("ExtraData", FALSE, 0, 4096, NULL),
};
const CrSchema cr_schema_tiw_video_gen = CR_SCHEMA (video_gen_fields, NULL);

static const CrField app_fields[] = { F_SDK_APP_ID };
const CrSchema cr_schema_tiw_app = CR_SCHEMA (app_fields, NULL);

const CrSchema *
cr_schema_tiw_for (const char *action)
{
  static const struct {
    const char *action;
    const CrSchema *schema;
  } table[] = {
    { "StartOnlineRecord", &cr_schema_tiw_start },
    { "PauseOnlineRecord", &cr_schema_tiw_task },
    { "ResumeOnlineRecord", &cr_schema_tiw_task },
    { "StopOnlineRecord", &cr_schema_tiw_task },
    { "DescribeOnlineRecord", &cr_schema_tiw_task },
    { "SetOnlineRecordCallback", &cr_schema_tiw_callback },
    { "SetOnlineRecordCallbackKey", &cr_schema_tiw_callback_key },
    { "DescribeOnlineRecordCallback", &cr_schema_tiw_app },
    { "CreateVideoGenerationTask", &cr_schema_tiw_video_gen },
    { "DescribeVideoGenerationTask", &cr_schema_tiw_task },
    { "SetVideoGenerationTaskCallback", &cr_schema_tiw_callback },
    { "SetVideoGenerationTaskCallbackKey", &cr_schema_tiw_callback_key },
    { "DescribeVideoGenerationTaskCallback", &cr_schema_tiw_app },
  };
  for (guint i = 0; action != NULL && i < G_N_ELEMENTS (table); i++) {
    if (strcmp (table[i].action, action) == 0)
      return table[i].schema;
  }
  return NULL;
}
