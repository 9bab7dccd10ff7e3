/* Schemas of web-page recording: StartWebRecord, StopWebRecord, DescribeWebRecord (reference
 * §1.1; the SDK's trtc_models.d.ts is the field reference).
 *
 * Why the zeros are normalised here: TRTC documents 0 (or absent) as "the default" for the
 * picture's size and MaxMediaFileDuration, so the spec (task/spec_web.c) never sees a 0 and never
 * repeats a default. MaxDurationLimit's floor (1800 s) is a setting the action checks
 * (web-record-min-duration), so tests can lower it; the schema keeps the ceiling. */
#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "validate/schema_macros.h"

#define WEB_DEFAULT_WIDTH 1280
#define WEB_DEFAULT_HEIGHT 720
#define WEB_DEFAULT_FILE_MIN 1440

/* http:// or https:// and a host: Chromium is never asked for file:, data:, chrome: or
 * javascript: pages (a page of the host's disk is exactly what a recorder must not show). */
static const char *
format_record_url (const char *s)
{
  const char *rest = NULL;
  if (g_ascii_strncasecmp (s, "http://", 7) == 0)
    rest = s + 7;
  else if (g_ascii_strncasecmp (s, "https://", 8) == 0)
    rest = s + 8;
  if (rest == NULL || *rest == '\0' || *rest == '/')
    return "an http:// or https:// URL with a host";
  for (const char *p = s; *p; p++) {
    if ((guchar)*p <= 0x20 || *p == 0x7f)
      return "a URL without spaces or control characters";
  }
  return NULL;
}

static const char *
format_web_format (const char *s)
{
  return strcmp (s, "hls") == 0 || strcmp (s, "mp4") == 0 ? NULL : "\"hls\" or \"mp4\"";
}

static const CrField video_fields[] = {
  F_INT_D ("Width", 0, 1920, WEB_DEFAULT_WIDTH),
  F_INT_D ("Height", 0, 1080, WEB_DEFAULT_HEIGHT),
  F_STR_D ("Format", 1, 8, format_web_format, "hls"),
  F_INT_D ("MaxMediaFileDuration", 0, 1440, WEB_DEFAULT_FILE_MIN),
};

/* 0 means the default; an odd size is rounded up (the encoder works on 2x2 blocks). */
static void
video_default_zero (JsonObject *o, const char *name, gint64 def)
{
  gint64 v = 0;
  cr_json_get_int (o, name, &v);
  if (v == 0)
    v = def;
  json_object_set_int_member (o, name, v + (v & 1));
}

static gboolean
video_check (JsonObject *o, const char *path, GError **error)
{
  video_default_zero (o, "Width", WEB_DEFAULT_WIDTH);
  video_default_zero (o, "Height", WEB_DEFAULT_HEIGHT);
  gint64 minutes = 0;
  cr_json_get_int (o, "MaxMediaFileDuration", &minutes);
  if (minutes == 0)
    json_object_set_int_member (o, "MaxMediaFileDuration", WEB_DEFAULT_FILE_MIN);
  return TRUE;
}
static const CrSchema video_schema = CR_SCHEMA (video_fields, video_check);

static const CrField mobile_fields[] = {
  F_ENUM_D ("MobileDeviceType", CR_ALLOW (0, 1), 0),
  F_ENUM_D ("ScreenOrientation", CR_ALLOW (0, 1), 0),
};
static const CrSchema mobile_schema = CR_SCHEMA (mobile_fields, NULL);

static gboolean
start_check (JsonObject *o, const char *path, GError **error)
{
  if (!json_object_has_member (o, "WebRecordVideoParams")) {
    g_autoptr (JsonObject) empty = json_object_new ();
    JsonObject *video = cr_schema_apply (&video_schema, empty, "WebRecordVideoParams",
                                         "StartWebRecord", FALSE, error);
    if (video == NULL)
      return FALSE;
    json_object_set_object_member (o, "WebRecordVideoParams", video);
  }
  /* A page always has a picture: the VOD library's audio-only kinds cannot hold it. */
  JsonObject *vod = cr_json_get_object (
      cr_json_get_object (cr_json_get_object (o, "StorageParams"), "CloudVod"), "TencentVod");
  gint64 media = 0;
  if (vod != NULL && cr_json_get_int (vod, "MediaType", &media) && (media == 2 || media == 4)) {
    cr_api_error_set (error, "InvalidParameter",
                      "StorageParams.CloudVod.TencentVod.MediaType %" G_GINT64_FORMAT
                      " (AAC) cannot hold a web page's recording: use 0 (MP4), 1 (HLS) or 3",
                      media);
    return FALSE;
  }
  return TRUE;
}

static const CrField start_fields[] = {
  F_SDK_APP_ID,
  { .name = "RecordUrl",
    .kind = CR_FIELD_STRING,
    .required = TRUE,
    .min = 1,
    .max = 4096,
    .format = format_record_url,
    .code = "InvalidParameter" },
  F_OBJ ("StorageParams", TRUE, &cr_schema_storage),
  F_INT_D ("MaxDurationLimit", 1, 86400, 86400),
  F_OBJ ("WebRecordVideoParams", FALSE, &video_schema),
  F_STR_D ("RecordId", 0, 31, cr_format_path_segment, ""),
  F_INT_D ("ReadyTimeout", 0, 60, 0),
  F_OBJ ("EmulateMobileParams", FALSE, &mobile_schema),
};
const CrSchema cr_schema_web_start = CR_SCHEMA (start_fields, start_check);

static const CrField stop_fields[] = {
  F_STR ("TaskId", TRUE, 1, 128, NULL),
};
const CrSchema cr_schema_web_stop = CR_SCHEMA (stop_fields, NULL);

/* TaskId, or RecordId with the SdkAppId it was started in. */
static gboolean
describe_check (JsonObject *o, const char *path, GError **error)
{
  gboolean by_task = json_object_has_member (o, "TaskId");
  gboolean by_record = json_object_has_member (o, "RecordId");
  if (!by_task && !by_record) {
    cr_api_error_set (error, "MissingParameter", "TaskId or RecordId is required");
    return FALSE;
  }
  if (!by_task && !json_object_has_member (o, "SdkAppId")) {
    cr_api_error_set (error, "MissingParameter.SdkAppId",
                      "SdkAppId is required with RecordId (the app the recording was started in)");
    return FALSE;
  }
  return TRUE;
}

static const CrField describe_fields[] = {
  F_STR ("TaskId", FALSE, 1, 128, NULL),
  { .name = "SdkAppId",
    .kind = CR_FIELD_INT,
    .min = 1,
    .max = G_MAXUINT32,
    .code = "InvalidParameter.SdkAppId" },
  F_STR ("RecordId", FALSE, 1, 31, cr_format_path_segment),
};
const CrSchema cr_schema_web_describe = CR_SCHEMA (describe_fields, describe_check);
