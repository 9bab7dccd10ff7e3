/* The board of a class recording (docs/class-record.md, "The board"): like TIW's whiteboard push
 * service, the board page is captured and published into the class's TRTC room as a stream of
 * its own (UserId = RecordUserId, the "tic_record_user" of TIW's layouts), so the span's mixed
 * recording takes it as one input next to the cameras.
 *
 * Why a task row: the publisher is a web task (recorder/web.c with spec->web->publish): the
 * supervisor starts it, restarts it after a crash (failover) and stops it as any task, and the
 * span ends it with its TRTC tasks. Its params are a StartWebRecord-like request (the board page
 * in mode=view at the Whiteboard's Width x Height) plus BoardPublish: the daemon's own base URL
 * (cr_class_recorder_set_self_url), the room and a UserSig minted with the app's key. */
#include <string.h>

#include "auth/usersig.h"
#include "common/json_util.h"
#include "task/codes.h"
#include "task/spec.h"
#include "task/task_id.h"
#include "tiw/class_private.h"
#include "upload/storage_target.h"

#define BOARD_SIG_MARGIN_S 86400 /* the UserSig outlives the class by a day */

void
cr_class_recorder_set_self_url (CrClassRecorder *rec, const char *url, const char *ca_file)
{
  g_free (rec->self_url);
  g_free (rec->self_ca);
  gsize n = strlen (url);
  rec->self_url = g_strndup (url, n > 0 && url[n - 1] == '/' ? n - 1 : n);
  rec->self_ca = g_strdup (ca_file != NULL ? ca_file : "");
}

gboolean
cr_class_rec_board_on (CrClassRecorder *rec, JsonObject *r)
{
  /* video-generation mode renders the board from its log (class_video.c): no publisher */
  JsonObject *req = cr_class_rec_request (r);
  return g_strcmp0 (rec->api->config->class_record_board, "false") != 0 && rec->self_url != NULL
         && g_strcmp0 (cr_json_get_string (req, "RecordMode"), "VIDEO_GENERATION_MODE") != 0
         && cr_class_wants_board (req);
}

/* The request of the board publisher's task. */
static JsonObject *
board_params (CrClassRecorder *rec, const CrApp *app, JsonObject *r, const char *task_id)
{
  JsonObject *req = cr_class_rec_request (r);
  JsonObject *wb = cr_json_get_object (req, "Whiteboard");
  gint64 width = cr_json_get_int_or (wb, "Width", 1280),
         height = cr_json_get_int_or (wb, "Height", 960);
  width += width % 2; /* the encoder wants even sides */
  height += height % 2;
  const char *user = cr_json_get_string (r, "RecordUserId");
  gint64 now_s = rec->api->now_ms () / 1000;
  gint64 life_s = rec->api->config->class_max_duration + BOARD_SIG_MARGIN_S;
  g_autofree char *sig
      = cr_usersig_generate (app->sdk_app_id, app->usersig_key, user, life_s, now_s, NULL);
  g_autofree char *room
      = g_strdup_printf ("%" G_GINT64_FORMAT, cr_json_get_int_or (req, "RoomId", 0));
  g_autofree char *esc_user = g_uri_escape_string (user, NULL, FALSE);
  g_autofree char *esc_sig = g_uri_escape_string (sig, NULL, FALSE);
  g_autofree char *url = g_strdup_printf (
      "%s/board?sdkappid=%" G_GUINT64_FORMAT
      "&room=%s&userid=%s&usersig=%s&mode=view&width=%" G_GINT64_FORMAT "&height=%" G_GINT64_FORMAT,
      rec->self_url, app->sdk_app_id, room, esc_user, esc_sig, width, height);
  JsonObject *p = json_object_new ();
  json_object_set_int_member (p, "SdkAppId", (gint64)app->sdk_app_id);
  json_object_set_string_member (p, "TaskId", task_id);
  json_object_set_string_member (p, "RecordUrl", url);
  json_object_set_int_member (p, "MaxDurationLimit", rec->api->config->class_max_duration + 3600);
  json_object_set_int_member (p, "ReadyTimeout", 0);
  JsonObject *video = json_object_new ();
  json_object_set_string_member (video, "Format", "hls");
  json_object_set_int_member (video, "Width", width);
  json_object_set_int_member (video, "Height", height);
  json_object_set_int_member (video, "MaxMediaFileDuration", 1440);
  json_object_set_object_member (p, "WebRecordVideoParams", video);
  /* no files: the local store, never written */
  JsonObject *cloud = json_object_new ();
  json_object_set_int_member (cloud, "Vendor", CR_STORAGE_VENDOR_LOCAL);
  json_object_set_string_member (cloud, "Region", "local");
  json_object_set_string_member (cloud, "Bucket", "local");
  json_object_set_string_member (cloud, "AccessKey", "local");
  json_object_set_string_member (cloud, "SecretKey", "local");
  json_object_set_array_member (cloud, "FileNamePrefix", json_array_new ());
  JsonObject *storage = json_object_new ();
  json_object_set_object_member (storage, "CloudStorage", cloud);
  json_object_set_object_member (p, "StorageParams", storage);
  JsonObject *b = json_object_new ();
  json_object_set_string_member (b, "Server", rec->self_url);
  json_object_set_string_member (b, "CaFile", rec->self_ca);
  json_object_set_string_member (b, "RoomId", cr_json_get_string (r, "TrtcRoom"));
  json_object_set_boolean_member (b, "StringRoom", cr_json_get_bool (r, "StringRoom"));
  json_object_set_string_member (b, "UserId", user);
  json_object_set_string_member (b, "UserSig", sig);
  json_object_set_object_member (p, "BoardPublish", b);
  return p;
}

gboolean
cr_class_rec_start_board (CrClassRecorder *rec, const CrApp *app, JsonObject *r, char **out_task,
                          GError **error)
{
  CrApi *api = rec->api;
  g_autoptr (CrTask) task = cr_task_new ();
  task->task_id = cr_task_id_new ();
  g_autoptr (JsonObject) params = board_params (rec, app, r, task->task_id);
  g_autoptr (CrTaskSpec) spec = cr_task_spec_new (params, error); /* what the worker will read */
  if (spec == NULL)
    return FALSE;
  gint64 now_ms = api->now_ms ();
  task->sdk_app_id = app->sdk_app_id;
  task->room_id = g_strdup ("");
  task->room_id_type = 0;
  task->user_id = g_strdup ("");
  task->status = CR_TASK_IDLE;
  task->params_json = cr_json_object_to_string (params);
  task->created_ms = task->updated_ms = now_ms;
  task->expires_ms = now_ms + (rec->api->config->class_max_duration + 2 * 86400) * 1000;
  if (!api->store->vt->insert (api->store, task, api->config->api_max_tasks, error))
    return FALSE;
  g_autoptr (GError) spawn_error = NULL;
  if (api->workers != NULL
      && !cr_supervisor_start (api->workers, task->sdk_app_id, task->task_id, &spawn_error))
    g_warning ("task %s: cannot start the board publisher: %s", task->task_id,
               spawn_error->message);
  *out_task = g_strdup (task->task_id);
  return TRUE;
}
