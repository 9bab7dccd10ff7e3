/* The spans of a class task: from Start or Resume to Pause or Stop, each one or more ordinary
 * TRTC tasks launched through the API's own cr_api_create_task (the mix, the per-user videos, the
 * per-user sound) and, with the board, its publisher (class_board.c), stopped together when the
 * span ends; and stopping a class. */
#include <string.h>

#include "api/actions.h"
#include "auto/auto_template.h"
#include "common/api_error.h"
#include "common/json_util.h"
#include "task/codes.h"
#include "task/spec.h"
#include "tiw/class_private.h"
#include "tiw/class_video.h"
#include "validate/validate.h"

/* The robots of @r: the RecordUserId itself for the first part when TRTC takes it (up to 30
 * bytes, so "_s" still fits), else a digest of it. With the board, the RecordUserId is the
 * board's publisher (as TIW's tic_record_user) and the mixed robot is "<base>_m". */
static char *
rec_robot (JsonObject *r, CrClassPart part)
{
  gboolean board = cr_json_get_bool (r, "Board");
  const char *user = cr_json_get_string (r, "RecordUserId");
  g_autofree char *base = NULL;
  if (strlen (user) <= 30)
    base = g_strdup (user);
  else {
    g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, user, -1);
    base = g_strdup_printf ("tic_rec_%.20s", digest);
  }
  if (part == CR_CLASS_PART_MIXED && !board)
    return g_steal_pointer (&base);
  if (part == CR_CLASS_PART_MIXED)
    return g_strdup_printf ("%s_m", base);
  return g_strdup_printf ("%s_%s", base, part == CR_CLASS_PART_AUDIO ? "a" : "s");
}

/* The storage of the app's class recordings: its `class-record-storage*` keys, else the local
 * store; the files of class @task_id under "<prefix>/<task_id>/<TRTC TaskId>/". @idle_s: the
 * TRTC tasks' MaxIdleTime. */
static CrAutoTemplate *
rec_storage (const CrApp *app, const char *task_id, gint64 idle_s)
{
  CrAutoTemplate *t = app->class_storage != NULL ? cr_auto_template_copy (app->class_storage)
                                                 : cr_auto_template_new ();
  if (app->class_storage == NULL)
    t->storage = CR_AUTO_STORAGE_LOCAL;
  t->stream_type = CR_STREAMS_AUDIO_VIDEO;
  t->output_format = CR_OUTPUT_MP4;
  t->file_minutes = 1440;
  t->resume_wait_s = idle_s;
  char *prefix
      = *t->prefix != '\0' ? g_strdup_printf ("%s/%s", t->prefix, task_id) : g_strdup (task_id);
  g_free (t->prefix);
  t->prefix = prefix;
  return t;
}

static void
rec_stop_trtc (CrClassRecorder *rec, guint64 app, const char *trtc_task)
{
  CrTaskStore *store = rec->api->store;
  g_autoptr (GError) error = NULL;
  g_autoptr (CrTask) task = store->vt->lookup (store, app, trtc_task, &error);
  if (task == NULL || task->status == CR_TASK_EXITED)
    return;
  if (!store->vt->set_status (store, app, trtc_task, CR_TASK_EXITED, CR_LEAVE_STOPPED,
                              rec->api->now_ms (), NULL, &error)) {
    g_warning ("class recording: cannot stop task %s: %s", trtc_task, error->message);
    return;
  }
  if (rec->api->workers != NULL)
    cr_supervisor_stop (rec->api->workers, trtc_task);
}

/* Ends the last span at @now_ms: its TRTC tasks stop (their files are finished and stored). */
void
cr_class_rec_end_span (CrClassRecorder *rec, JsonObject *r, gint64 now_ms)
{
  JsonObject *span = cr_class_rec_last_span (r);
  if (span == NULL || cr_json_get_int_or (span, "End", 0) != 0)
    return;
  json_object_set_int_member (span, "End", now_ms);
  JsonArray *tasks = cr_json_get_array (span, "Tasks");
  for (guint i = 0; tasks != NULL && i < json_array_get_length (tasks); i++)
    rec_stop_trtc (rec, (guint64)cr_json_get_int_or (r, "SdkAppId", 0),
                   cr_json_get_string (json_array_get_object_element (tasks, i), "TaskId"));
}

/* A span that cannot start: the tasks it started already (@tasks, taken) are stopped. */
static void
span_abort (CrClassRecorder *rec, const CrApp *app, JsonArray *tasks)
{
  for (guint j = 0; j < json_array_get_length (tasks); j++)
    rec_stop_trtc (rec, app->sdk_app_id,
                   cr_json_get_string (json_array_get_object_element (tasks, j), "TaskId"));
  json_array_unref (tasks);
}

static void
span_add (JsonArray *tasks, const char *task_id, const char *part)
{
  JsonObject *entry = json_object_new ();
  json_object_set_string_member (entry, "TaskId", task_id);
  json_object_set_string_member (entry, "Part", part);
  json_array_add_object_element (tasks, entry);
}

/* Starts a span: the TRTC tasks of the parts the request wants. All or none. */
gboolean
cr_class_rec_start_span (CrClassRecorder *rec, const CrApp *app, JsonObject *r, GError **error)
{
  JsonObject *req = cr_class_rec_request (r);
  const char *task_id = cr_json_get_string (r, "TaskId");
  /* The class's own idle rule (class_record.c) decides; the TRTC tasks' MaxIdleTime must not
   * fire first (the board publisher keeps an anchor in the room anyway). */
  g_autoptr (CrAutoTemplate) t
      = rec_storage (app, task_id, rec->api->config->class_max_duration + 3600);
  if (!json_object_has_member (r, "Board")) {
    json_object_set_boolean_member (r, "Board", cr_class_rec_board_on (rec, r));
    if (cr_json_get_bool (r, "Board"))
      json_object_set_string_member (r, "BoardUser", cr_json_get_string (r, "RecordUserId"));
  }
  const char *board_user = cr_json_get_string (r, "BoardUser");
  JsonArray *tasks = json_array_new ();
  const CrClassPart parts[] = { CR_CLASS_PART_MIXED, CR_CLASS_PART_SINGLE, CR_CLASS_PART_AUDIO };
  static const char *const part_names[] = { "mixed", "single", "audio" };
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++) {
    if (!cr_class_wants_part (req, parts[i]) || !cr_class_video_wants_part (req, parts[i]))
      continue;
    g_autofree char *robot = rec_robot (r, parts[i]);
    g_autoptr (JsonObject) create
        = cr_auto_template_request (t, app->sdk_app_id, cr_json_get_string (r, "TrtcRoom"),
                                    cr_json_get_bool (r, "StringRoom"), robot, NULL);
    json_object_set_int_member (create, "ResourceExpiredHour", 720);
    /* the API's range here; finish_request puts in the real one (above its 86400) */
    json_object_set_int_member (cr_json_get_object (create, "RecordParams"), "MaxIdleTime", 86400);
    cr_class_fill_part (req, parts[i], create);
    cr_class_video_fill_part (req, create);
    cr_class_fill_board (req, parts[i], board_user, create);
    g_autoptr (JsonObject) params
        = cr_validate_request ("CreateCloudRecording", create, CR_VALIDATE_JSON, error);
    g_autofree char *trtc_task = NULL;
    if (params != NULL) {
      cr_auto_template_finish_request (t, params);
      if (parts[i] == CR_CLASS_PART_AUDIO) /* TIW: AudioFileNeeded's files are MP3 */
        json_object_set_boolean_member (params, CR_SPEC_AUDIO_MP3, TRUE);
    }
    if (params == NULL
        || !cr_api_create_task (rec->api, app, params, CR_CREATE_ROBOT_TRUSTED, &trtc_task,
                                error)) {
      span_abort (rec, app, tasks);
      return FALSE;
    }
    span_add (tasks, trtc_task, part_names[parts[i]]);
    g_info ("class task %s: TRTC task %s records room %s (%s, robot %s)", task_id, trtc_task,
            cr_json_get_string (r, "TrtcRoom"), part_names[parts[i]], robot);
  }
  if (board_user != NULL && json_array_get_length (tasks) > 0) {
    g_autofree char *board_task = NULL;
    if (!cr_class_rec_start_board (rec, app, r, &board_task, error)) {
      span_abort (rec, app, tasks);
      return FALSE;
    }
    span_add (tasks, board_task, "board");
    g_info ("class task %s: task %s publishes the board into room %s as %s", task_id, board_task,
            cr_json_get_string (r, "TrtcRoom"), board_user);
  }
  if (json_array_get_length (tasks) == 0) {
    json_array_unref (tasks);
    cr_api_error_set (error, "InvalidParameter",
                      "RecordControl disables every stream and MixStream is off: nothing to "
                      "record");
    return FALSE;
  }
  JsonObject *span = json_object_new ();
  json_object_set_int_member (span, "Start", rec->api->now_ms ());
  json_object_set_int_member (span, "End", 0);
  json_object_set_array_member (span, "Tasks", tasks);
  json_array_add_object_element (cr_json_get_array (r, "Spans"), span);
  return TRUE;
}

/* ---- stopping ---- */

/* Moves @r to STOPPED for @reason: its span ends, OnlineRecordStopped is queued. */
void
cr_class_rec_stop (CrClassRecorder *rec, JsonObject *r, const char *reason, gint64 now_ms)
{
  if (cr_class_rec_state (r) == CR_CLASS_PAUSED) {
    /* the pause under way ends with the recording */
    json_object_set_int_member (r, "PausedMs", 0);
  }
  cr_class_rec_end_span (rec, r, now_ms);
  cr_class_rec_set_state (r, CR_CLASS_STOPPED);
  json_object_set_string_member (r, "FinishReason", reason);
  json_object_set_int_member (r, "StopMs", now_ms);
  g_info ("class task %s stopped (%s)", cr_json_get_string (r, "TaskId"), reason);
  JsonObject *data = cr_class_rec_event_data (r);
  json_object_set_string_member (data, "FinishReason", reason);
  cr_class_rec_emit (rec, r, CR_EVENT_CLASS_STOPPED, "OnlineRecordStopped", data);
}
