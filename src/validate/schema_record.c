/* The CreateCloudRecording schema: top-level members, RecordParams, SubscribeStreamUserIds and
 * StorageParams (reference §6.1, §6.5-§6.7), with the cross-field rules of the seeds:
 * - RoomId is a 32-bit integer in text for RoomIdType 1, a restricted string for RoomIdType 0;
 * - an allowlist and a blocklist for the same medium cannot both be set;
 * - exactly one of CloudStorage and CloudVod;
 * - AAC output (OutputFormat 2/4, TencentVod MediaType 2/4) only for audio-only recording;
 * - a mixed recording (RecordMode 2) gets the documented MixTranscodeParams and MixLayoutParams
 *   defaults, and its custom tiles and watermarks must lie inside the canvas. */
#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "validate/schema_layout.h"
#include "validate/schema_macros.h"
#include "task/codes.h"

static gboolean
subscribe_check (JsonObject *o, const char *path, GError **error)
{
  static const char *const media[] = { "Audio", "Video" };
  for (int i = 0; i < 2; i++) {
    g_autofree char *allow = g_strdup_printf ("Subscribe%sUserIds", media[i]);
    g_autofree char *block = g_strdup_printf ("UnSubscribe%sUserIds", media[i]);
    if (json_object_has_member (o, allow) && json_object_has_member (o, block)) {
      cr_api_error_set (error, "InvalidParameter",
                        "%s: %s and %s cannot both be set (an allowlist and a blocklist for %s)",
                        path, allow, block, i == 0 ? "audio" : "video");
      return FALSE;
    }
  }
  return TRUE;
}

static const CrField subscribe_fields[] = {
  F_STR_LIST ("SubscribeAudioUserIds", 32, 32 + 3, cr_format_user_pattern),
  F_STR_LIST ("UnSubscribeAudioUserIds", 32, 32 + 3, cr_format_user_pattern),
  F_STR_LIST ("SubscribeVideoUserIds", 32, 32 + 3, cr_format_user_pattern),
  F_STR_LIST ("UnSubscribeVideoUserIds", 32, 32 + 3, cr_format_user_pattern),
};
const CrSchema cr_schema_subscribe = CR_SCHEMA (subscribe_fields, subscribe_check);

static const CrField record_fields[] = {
  F_ENUM ("RecordMode", TRUE, CR_ALLOW (1, 2)),
  F_INT_D ("MaxIdleTime", 5, 86400, 30),
  F_ENUM_D ("StreamType", CR_ALLOW (0, 1, 2), 0),
  F_OBJ ("SubscribeStreamUserIds", FALSE, &cr_schema_subscribe),
  F_ENUM_D ("OutputFormat", CR_ALLOW (0, 1, 2, 3, 4), 0),
  F_ENUM_D ("AvMerge", CR_ALLOW (0, 1), 0),
  F_INT_D ("MaxMediaFileDuration", 1, 1440, 1440),
  F_ENUM_D ("MediaId", CR_ALLOW (0, 1, 2), 0),
  F_ENUM_D ("FillType", CR_ALLOW (0, 1), 0),
  F_ENUM_D ("SubscribeAbility", CR_ALLOW (0, 1), 0),
};
static const CrSchema record_schema = CR_SCHEMA (record_fields, NULL);

static const CrField cloud_storage_fields[] = {
  F_ENUM ("Vendor", TRUE, CR_ALLOW (0, 1)),
  F_STR ("Region", TRUE, 1, 64, cr_format_region),
  F_STR ("Bucket", TRUE, 1, 128, cr_format_bucket),
  F_STR ("AccessKey", TRUE, 1, 256, cr_format_key),
  F_STR ("SecretKey", TRUE, 1, 256, cr_format_key),
  F_STR_LIST ("FileNamePrefix", 16, 64, cr_format_path_segment),
};
static const CrSchema cloud_storage_schema = CR_SCHEMA (cloud_storage_fields, NULL);

static const CrField tencent_vod_fields[] = {
  F_STR ("Procedure", FALSE, 0, 256, NULL),
  F_INT_D ("ExpireTime", 0, G_MAXUINT32, 0),
  F_STR ("StorageRegion", FALSE, 0, 64, cr_format_region),
  F_INT_D ("ClassId", 0, G_MAXUINT32, 0),
  F_INT ("SubAppId", FALSE, 0, G_MAXUINT32),
  F_STR ("SessionContext", FALSE, 0, 1000, NULL),
  F_STR ("SourceContext", FALSE, 0, 1000, NULL),
  F_ENUM_D ("MediaType", CR_ALLOW (0, 1, 2, 3, 4), 0),
  F_STR ("UserDefineRecordId", FALSE, 1, 64, cr_format_path_segment),
};
static const CrSchema tencent_vod_schema = CR_SCHEMA (tencent_vod_fields, NULL);

static gboolean
cloud_vod_check (JsonObject *o, const char *path, GError **error)
{
  if (!json_object_has_member (o, "TencentVod")) {
    cr_api_error_set (error, "MissingParameter", "%s.TencentVod is required", path);
    return FALSE;
  }
  return TRUE;
}

static const CrField cloud_vod_fields[] = {
  F_OBJ ("TencentVod", FALSE, &tencent_vod_schema),
};
static const CrSchema cloud_vod_schema = CR_SCHEMA (cloud_vod_fields, cloud_vod_check);

static gboolean
storage_check (JsonObject *o, const char *path, GError **error)
{
  gboolean cos = json_object_has_member (o, "CloudStorage");
  gboolean vod = json_object_has_member (o, "CloudVod");
  if (cos && vod) {
    cr_api_error_set (error, "InvalidParameter",
                      "%s: set exactly one of CloudStorage and CloudVod, not both", path);
    return FALSE;
  }
  if (!cos && !vod) {
    cr_api_error_set (error, "MissingParameter.CloudStorage",
                      "%s needs CloudStorage (COS or AWS S3) or CloudVod", path);
    return FALSE;
  }
  return TRUE;
}

static const CrField storage_fields[] = {
  F_OBJ ("CloudStorage", FALSE, &cloud_storage_schema),
  F_OBJ ("CloudVod", FALSE, &cloud_vod_schema),
};
const CrSchema cr_schema_storage = CR_SCHEMA (storage_fields, storage_check);

/* RoomIdType 1: decimal 1..4294967294, no sign, no leading zero. RoomIdType 0: TRTC's set. */
static gboolean
create_check_room (JsonObject *o, GError **error)
{
  gint64 type = 1;
  cr_json_get_int (o, "RoomIdType", &type);
  const char *room = cr_json_get_string (o, "RoomId");
  if (type == 1) {
    if (cr_format_integer_room_id (room) != NULL) {
      cr_api_error_set (error, "InvalidParameter.RoomId",
                        "RoomId must be an integer in [1, 4294967294] written in decimal when "
                        "RoomIdType is 1, got \"%s\"; use RoomIdType 0 for a string room",
                        room);
      return FALSE;
    }
    return TRUE;
  }
  const char *want = cr_format_string_room_id (room);
  if (want != NULL) {
    cr_api_error_set (error, "InvalidParameter.RoomId", "a string RoomId must be made of %s", want);
    return FALSE;
  }
  return TRUE;
}

/* Defaults of a mixed recording, normalised through the same schemas as a request would be. */
static gboolean
create_fill_mix_defaults (JsonObject *o, GError **error)
{
  JsonObject *transcode = cr_json_get_object (o, "MixTranscodeParams");
  if (transcode == NULL) {
    transcode = json_object_new ();
    json_object_set_object_member (o, "MixTranscodeParams", transcode);
  }
  if (!json_object_has_member (transcode, "VideoParams")) {
    JsonObject *v = json_object_new ();
    json_object_set_int_member (v, "Width", 360);
    json_object_set_int_member (v, "Height", 640);
    json_object_set_int_member (v, "Fps", 15);
    json_object_set_int_member (v, "BitRate", 550000);
    json_object_set_int_member (v, "Gop", 10);
    json_object_set_object_member (transcode, "VideoParams", v);
  }
  if (!json_object_has_member (transcode, "AudioParams")) {
    JsonObject *a = json_object_new ();
    json_object_set_int_member (a, "SampleRate", 1);
    json_object_set_int_member (a, "Channel", 2);
    json_object_set_int_member (a, "BitRate", 64000);
    json_object_set_object_member (transcode, "AudioParams", a);
  }
  if (!json_object_has_member (o, "MixLayoutParams")) {
    g_autoptr (JsonObject) grid = json_object_new ();
    json_object_set_int_member (grid, "MixLayoutMode", 3);
    JsonObject *layout = cr_schema_apply (&cr_schema_mix_layout, grid, "MixLayoutParams",
                                          "CreateCloudRecording", FALSE, error);
    if (layout == NULL)
      return FALSE;
    json_object_set_object_member (o, "MixLayoutParams", layout);
  }
  return TRUE;
}

static gboolean
create_check (JsonObject *o, const char *path, GError **error)
{
  if (!create_check_room (o, error))
    return FALSE;
  JsonObject *record = cr_json_get_object (o, "RecordParams");
  gint64 mode = 1, stream_type = 0, format = 0, vod_media = 0;
  cr_json_get_int (record, "RecordMode", &mode);
  cr_json_get_int (record, "StreamType", &stream_type);
  cr_json_get_int (record, "OutputFormat", &format);
  JsonObject *vod = cr_json_get_object (
      cr_json_get_object (cr_json_get_object (o, "StorageParams"), "CloudVod"), "TencentVod");
  cr_json_get_int (vod, "MediaType", &vod_media);
  if (stream_type != CR_STREAMS_AUDIO && CR_OUTPUT_IS_AAC (format)) {
    cr_api_error_set (error, "InvalidParameter",
                      "RecordParams.OutputFormat %" G_GINT64_FORMAT
                      " (AAC) needs an audio-only recording (RecordParams.StreamType 1)",
                      format);
    return FALSE;
  }
  if (vod != NULL && stream_type != CR_STREAMS_AUDIO && CR_OUTPUT_IS_AAC (vod_media)) {
    cr_api_error_set (error, "InvalidParameter",
                      "StorageParams.CloudVod.TencentVod.MediaType %" G_GINT64_FORMAT
                      " (AAC) needs an audio-only recording (RecordParams.StreamType 1)",
                      vod_media);
    return FALSE;
  }
  if (mode != CR_RECORD_MIXED)
    return TRUE;
  if (!create_fill_mix_defaults (o, error))
    return FALSE;
  JsonObject *video
      = cr_json_get_object (cr_json_get_object (o, "MixTranscodeParams"), "VideoParams");
  gint64 w = 360, h = 640;
  cr_json_get_int (video, "Width", &w);
  cr_json_get_int (video, "Height", &h);
  return cr_validate_layout_in_canvas (cr_json_get_object (o, "MixLayoutParams"), w, h, error);
}

static const CrField create_fields[] = {
  { .name = "SdkAppId",
    .kind = CR_FIELD_INT,
    .required = TRUE,
    .min = 1,
    .max = G_MAXUINT32,
    .code = "InvalidParameter.SdkAppId" },
  { .name = "RoomId",
    .kind = CR_FIELD_STRING,
    .required = TRUE,
    .min = 1,
    .max = 64,
    .code = "InvalidParameter.RoomId" },
  { .name = "UserId",
    .kind = CR_FIELD_STRING,
    .required = TRUE,
    .min = 1,
    .max = 32,
    .format = cr_format_user_id,
    .code = "InvalidParameter.UserId" },
  { .name = "UserSig",
    .kind = CR_FIELD_STRING,
    .required = TRUE,
    .min = 1,
    .max = 2048,
    .code = "InvalidParameter.UserSig" },
  F_OBJ ("RecordParams", TRUE, &record_schema),
  F_OBJ ("StorageParams", TRUE, &cr_schema_storage),
  { .name = "RoomIdType",
    .kind = CR_FIELD_INT,
    .allowed = CR_ALLOW (0, 1),
    .has_default = TRUE,
    .def_int = 1,
    .code = "InvalidParameter.RoomId" },
  F_OBJ ("MixTranscodeParams", FALSE, &cr_schema_mix_transcode),
  F_OBJ ("MixLayoutParams", FALSE, &cr_schema_mix_layout),
  F_INT_D ("ResourceExpiredHour", 6, 720, 72),
  F_STR ("PrivateMapKey", FALSE, 0, 2048, NULL),
};
const CrSchema cr_schema_create = CR_SCHEMA (create_fields, create_check);
