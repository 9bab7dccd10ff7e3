/* The spec of a web page's recording (StartWebRecord); see spec.h.
 *
 * Why in the same CrTaskSpec as a room's recording: the worker's storage, naming, segment and
 * end-of-task code (src/recorder/worker_*.c) reads the spec's storage, output format, file split
 * and naming fields; a web task fills those exactly as a mixed recording would (one picture, one
 * sound, "<SdkAppId>_<TaskId>" files: the TaskId stands where a room's id would) and adds the
 * page's own fields in spec->web. Pure: json-glib only. */
#include "spec.h"

#include <string.h>

#include "common/json_util.h"

CrTaskSpec *
cr_task_spec_new_web (JsonObject *request, GError **error)
{
  g_autoptr (CrTaskSpec) spec = cr_task_spec_alloc ();
  JsonObject *video = cr_json_get_object (request, "WebRecordVideoParams");
  const char *url = cr_json_get_string (request, "RecordUrl");
  const char *task_id = cr_json_get_string (request, "TaskId");
  const char *format = cr_json_get_string (video, "Format");
  gint64 app = 0, width = 0, height = 0, minutes = 0, max_s = 0, ready = 0;
  const char *missing = NULL;
  if (!cr_json_get_int (request, "SdkAppId", &app))
    missing = "SdkAppId";
  else if (url == NULL)
    missing = "RecordUrl";
  else if (task_id == NULL)
    missing = "TaskId";
  else if (video == NULL || format == NULL || !cr_json_get_int (video, "Width", &width)
           || !cr_json_get_int (video, "Height", &height)
           || !cr_json_get_int (video, "MaxMediaFileDuration", &minutes))
    missing = "WebRecordVideoParams";
  else if (!cr_json_get_int (request, "MaxDurationLimit", &max_s))
    missing = "MaxDurationLimit";
  else if (!cr_json_get_int (request, "ReadyTimeout", &ready))
    missing = "ReadyTimeout";
  if (missing != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "the task's request is not a normalised StartWebRecord: %s is missing", missing);
    return NULL;
  }
  if (!cr_task_spec_read_storage (cr_json_get_object (request, "StorageParams"), &spec->storage,
                                  error))
    return NULL;
  spec->sdk_app_id = (guint64)app;
  spec->room_id = g_strdup (task_id);
  spec->string_room = FALSE; /* the TaskId goes into names as it is */
  spec->user_id = g_strdup ("");
  spec->record_mode = CR_RECORD_MIXED; /* one picture and one sound */
  spec->stream_type = CR_STREAMS_AUDIO_VIDEO;
  spec->media = CR_MEDIA_MAIN;
  spec->output_format = strcmp (format, "mp4") == 0 ? CR_OUTPUT_MP4 : CR_OUTPUT_HLS;
  if (spec->storage.vod) {
    /* TencentVod.MediaType decides (the validator refused the audio-only kinds). */
    static const CrOutputFormat by_media_type[]
        = { CR_OUTPUT_MP4, CR_OUTPUT_HLS, CR_OUTPUT_MP4, CR_OUTPUT_HLS_MP4, CR_OUTPUT_HLS_MP4 };
    spec->output_format = by_media_type[spec->storage.vod_media_type];
  }
  spec->max_file_ms = minutes * 60000;
  spec->max_idle_s = G_MAXINT32; /* a page has no room to be idle in */
  spec->subscription = cr_subscription_new (NULL);
  CrSpecWeb *web = g_new0 (CrSpecWeb, 1);
  web->url = g_strdup (url);
  web->record_id = g_strdup (cr_json_get_string (request, "RecordId"));
  if (web->record_id == NULL)
    web->record_id = g_strdup ("");
  web->max_duration_s = max_s;
  web->width = (int)width;
  web->height = (int)height;
  web->ready_timeout_s = ready;
  JsonObject *mobile = cr_json_get_object (request, "EmulateMobileParams");
  if (mobile != NULL) {
    gint64 type = 0, orientation = 0;
    cr_json_get_int (mobile, "MobileDeviceType", &type);
    cr_json_get_int (mobile, "ScreenOrientation", &orientation);
    web->mobile = TRUE;
    web->tablet = type == 1;
    web->landscape = orientation == 1;
  }
  /* The class recorder's board publisher (tiw/class_board.c writes this member). */
  JsonObject *board = cr_json_get_object (request, "BoardPublish");
  if (board != NULL) {
    const char *server = cr_json_get_string (board, "Server");
    const char *room = cr_json_get_string (board, "RoomId");
    const char *user = cr_json_get_string (board, "UserId");
    const char *sig = cr_json_get_string (board, "UserSig");
    if (server == NULL || room == NULL || user == NULL || sig == NULL) {
      spec->web = web;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the board publisher's BoardPublish needs Server, RoomId, UserId and UserSig");
      return NULL;
    }
    web->publish = g_new0 (CrSpecBoardPublish, 1);
    web->publish->server = g_strdup (server);
    const char *ca = cr_json_get_string (board, "CaFile");
    web->publish->ca_file = g_strdup (ca != NULL ? ca : "");
    web->publish->room = g_strdup (room);
    web->publish->string_room = cr_json_get_bool (board, "StringRoom");
    web->publish->user = g_strdup (user);
    web->publish->usersig = g_strdup (sig);
  }
  spec->web = web;
  return g_steal_pointer (&spec);
}
