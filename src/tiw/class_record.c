/* Class recording; see class_record.h. A class task is one JSON record (kept as is in
 * class_records.record_json):
 *   TaskId, SdkAppId, RecordUserId, Status, Request (the normalised StartOnlineRecord),
 *   TrtcRoom, StringRoom, IdleStop (s), FinishReason, CreatedMs, StartMs (RECORDING first
 *   reached), StopMs, PausedMs (the pause under way), Spans [{Start, End, Tasks [{TaskId, Part}]}],
 *   Omitted [{VideoTime, PauseTime, ResumeTime}], ExceptionCnt, Result (once FINISHED). */
#include <string.h>

#include "auth/usersig.h"
#include "board/board.h"
#include "room/room.h"
#include "common/api_error.h"
#include "common/json_util.h"
#include "task/codes.h"
#include "task/task_id.h"
#include "tiw/class_private.h"
#include "tiw/class_video_replay_cache.h"
#include "tiw/class_video_replay_fetch.h"
#include "tiw/class_video_gen.h"

#define TICK_MS 1000
#define SWEEP_TICKS 5 /* local results past their days are looked for this often */

/* ---- the record ---- */

CrClassState
cr_class_rec_state (JsonObject *r)
{
  CrClassState s = CR_CLASS_FINISHED;
  cr_class_state_from_name (cr_json_get_string (r, "Status"), &s);
  return s;
}

JsonObject *
cr_class_rec_request (JsonObject *r)
{
  return cr_json_get_object (r, "Request");
}

gboolean
cr_class_rec_save (CrClassRecorder *rec, JsonObject *r, GError **error)
{
  g_autofree char *text = cr_json_object_to_string (r);
  CrClassRow row = {
    (char *)cr_json_get_string (r, "TaskId"),       (guint64)cr_json_get_int_or (r, "SdkAppId", 0),
    (char *)cr_json_get_string (r, "RecordUserId"), (char *)cr_json_get_string (r, "Status"),
    cr_json_get_int_or (r, "CreatedMs", 0),         rec->api->now_ms (),
    cr_json_get_int_or (r, "LocalUntilMs", 0),      text
  };
  return cr_class_store_put (rec->store, &row, error);
}

void
cr_class_rec_save_or_warn (CrClassRecorder *rec, JsonObject *r)
{
  g_autoptr (GError) error = NULL;
  if (!cr_class_rec_save (rec, r, &error))
    g_warning ("class task %s: %s", cr_json_get_string (r, "TaskId"), error->message);
}

void
cr_class_rec_set_state (JsonObject *r, CrClassState s)
{
  json_object_set_string_member (r, "Status", cr_class_state_name (s));
}

JsonObject *
cr_class_rec_last_span (JsonObject *r)
{
  JsonArray *spans = cr_json_get_array (r, "Spans");
  guint n = spans != NULL ? json_array_get_length (spans) : 0;
  return n > 0 ? json_array_get_object_element (spans, n - 1) : NULL;
}

/* The class task @task_id of @app: in memory while unfinished, else from the store (a new ref). */
static JsonObject *
rec_find (CrClassRecorder *rec, const CrApp *app, const char *task_id, GError **error)
{
  JsonObject *r = g_hash_table_lookup (rec->active, task_id);
  if (r != NULL && (guint64)cr_json_get_int_or (r, "SdkAppId", 0) == app->sdk_app_id)
    return json_object_ref (r);
  if (r == NULL) {
    g_autoptr (CrClassRow) row = cr_class_store_get (rec->store, app->sdk_app_id, task_id, error);
    if (row == NULL && error != NULL && *error != NULL)
      return NULL;
    if (row != NULL)
      return cr_json_parse_object (row->record_json, strlen (row->record_json), error);
  }
  cr_api_error_set (error, CR_CLASS_ERROR_NOT_FOUND,
                    "TaskId %s is not an online recording of SdkAppId %" G_GUINT64_FORMAT, task_id,
                    app->sdk_app_id);
  return NULL;
}

JsonObject *
cr_class_rec_find (CrClassRecorder *rec, guint64 sdk_app_id, const char *task_id, GError **error)
{
  CrApp app = { .sdk_app_id = sdk_app_id };
  return rec_find (rec, &app, task_id, error);
}

/* ---- the clock ---- */

/* The newest board operation of @r's board (the class's RoomId), Unix ms; 0: none. */
static gint64
rec_board_last_op_ms (CrClassRecorder *rec, JsonObject *r)
{
  if (rec->api->board == NULL)
    return 0;
  g_autofree char *room = g_strdup_printf (
      "%" G_GINT64_FORMAT, cr_json_get_int_or (cr_class_rec_request (r), "RoomId", 0));
  return cr_board_last_op_ms (rec->api->board, (guint64)cr_json_get_int_or (r, "SdkAppId", 0),
                              room);
}

/* The seed's idle rule, the class recorder's own (the board publisher always publishes, so no
 * TRTC task sees an empty room): no media from any user but the class's robots (members, not
 * publishers) and its board publisher for IdleStop seconds, and no board operation for as long.
 * Counted from the span's start at the earliest. */
static gboolean
rec_idle (CrClassRecorder *rec, JsonObject *r, gint64 now)
{
  if (rec->api->rooms == NULL)
    return FALSE;
  CrRoomKey key = { (guint64)cr_json_get_int_or (r, "SdkAppId", 0),
                    cr_json_get_bool (r, "StringRoom"), cr_json_get_string (r, "TrtcRoom") };
  const char *board = cr_json_get_string (r, "BoardUser");
  g_autoptr (GPtrArray) streams = cr_room_list_streams (rec->api->rooms, &key);
  for (guint i = 0; streams != NULL && i < streams->len; i++) {
    const CrRoomStream *s = g_ptr_array_index (streams, i);
    if (g_strcmp0 (s->user_id, board) != 0 && (s->audio_active || s->video_active))
      json_object_set_int_member (r, "LastMediaMs", now);
  }
  gint64 last = MAX (cr_json_get_int_or (r, "LastMediaMs", 0),
                     cr_json_get_int_or (cr_class_rec_last_span (r), "Start", now));
  last = MAX (last, rec_board_last_op_ms (rec, r));
  if (now - last < cr_json_get_int_or (r, "IdleStop", 300) * 1000)
    return FALSE;
  g_info ("class task %s: no media and no board operation for %" G_GINT64_FORMAT " s",
          cr_json_get_string (r, "TaskId"), (now - last) / 1000);
  return TRUE;
}

/* One look at an unfinished class task; TRUE when it changed. */
static gboolean
rec_check (CrClassRecorder *rec, JsonObject *r, gint64 now)
{
  CrClassState state = cr_class_rec_state (r);
  const CrConfig *config = rec->api->config;
  guint64 app = (guint64)cr_json_get_int_or (r, "SdkAppId", 0);
  if (state == CR_CLASS_STOPPED) {
    JsonArray *videos = NULL, *interrupts = NULL;
    json_object_set_int_member (r, "ExceptionCnt", cr_json_get_int_or (r, "Exceptions", 0));
    if (!cr_class_rec_collect (rec, r, &videos, &interrupts))
      return FALSE;
    if (!cr_class_rec_concat (rec, r, &videos)) {
      json_array_unref (videos);
      json_array_unref (interrupts);
      return FALSE;
    }
    cr_class_rec_finish (rec, r, videos, interrupts);
    return TRUE;
  }
  if (now - cr_json_get_int_or (r, "CreatedMs", now) >= config->class_max_duration * 1000) {
    cr_class_rec_stop (rec, r, CR_CLASS_FINISH_FORCE_STOP, now);
    return TRUE;
  }
  if (state == CR_CLASS_PAUSED) {
    if (now - cr_json_get_int_or (r, "PausedMs", now) >= config->class_pause_stop * 1000) {
      cr_class_rec_stop (rec, r, CR_CLASS_FINISH_FORCE_STOP, now);
      return TRUE;
    }
    return FALSE;
  }
  /* PREPARED or RECORDING: the span's TRTC tasks say whether media flows or the robots left */
  JsonArray *tasks = cr_json_get_array (cr_class_rec_last_span (r), "Tasks");
  gboolean flowing = FALSE;
  for (guint i = 0; tasks != NULL && i < json_array_get_length (tasks); i++) {
    const char *trtc = cr_json_get_string (json_array_get_object_element (tasks, i), "TaskId");
    g_autoptr (GError) error = NULL;
    g_autoptr (CrTask) task = rec->api->store->vt->lookup (rec->api->store, app, trtc, &error);
    if (task == NULL || task->status == CR_TASK_EXITED) {
      int leave = task != NULL ? task->leave_code : -1;
      gboolean idle = leave == CR_LEAVE_IDLE || leave == CR_LEAVE_ROOM_TIMEOUT;
      if (!idle)
        json_object_set_int_member (r, "Exceptions", cr_json_get_int_or (r, "Exceptions", 0) + 1);
      g_info ("class task %s: TRTC task %s left the room (LeaveCode %d)",
              cr_json_get_string (r, "TaskId"), trtc, leave);
      cr_class_rec_stop (rec, r, idle ? CR_CLASS_FINISH_AUTO : CR_CLASS_FINISH_EXCEPTION, now);
      return TRUE;
    }
    /* the board publisher alone is not the class recording media */
    if (g_strcmp0 (cr_json_get_string (json_array_get_object_element (tasks, i), "Part"), "board")
        != 0)
      flowing = flowing || task->status == CR_TASK_IN_PROGRESS;
  }
  if (rec_idle (rec, r, now)) {
    cr_class_rec_stop (rec, r, CR_CLASS_FINISH_AUTO, now);
    return TRUE;
  }
  if (state == CR_CLASS_PREPARED && flowing) {
    cr_class_rec_set_state (r, CR_CLASS_RECORDING);
    json_object_set_int_member (r, "StartMs", now);
    /* the class's timeline starts with its media, not with the robots joining */
    json_object_set_int_member (cr_class_rec_last_span (r), "Start", now);
    g_info ("class task %s recording", cr_json_get_string (r, "TaskId"));
    cr_class_rec_emit (rec, r, CR_EVENT_CLASS_STARTED, "OnlineRecordStarted",
                       cr_class_rec_event_data (r));
    return TRUE;
  }
  return FALSE;
}

static gboolean
rec_on_tick (gpointer data)
{
  CrClassRecorder *rec = data;
  gint64 now = rec->api->now_ms ();
  if (rec->ticks++ % SWEEP_TICKS == 0)
    cr_class_rec_sweep_local (rec, now);
  g_autoptr (GList) ids = g_hash_table_get_keys (rec->active);
  for (GList *l = ids; l != NULL; l = l->next) {
    JsonObject *r = g_hash_table_lookup (rec->active, l->data);
    if (!rec_check (rec, r, now))
      continue;
    cr_class_rec_save_or_warn (rec, r);
    if (cr_class_rec_state (r) == CR_CLASS_FINISHED)
      g_hash_table_remove (rec->active, l->data);
  }
  return G_SOURCE_CONTINUE;
}

/* ---- the actions ---- */

gboolean
cr_class_recorder_start (CrClassRecorder *rec, const CrApp *app, JsonObject *req, char **task_id,
                         GError **error)
{
  if (!cr_class_check_request (req, error))
    return FALSE;
  const char *user = cr_json_get_string (req, "RecordUserId");
  gint64 now = rec->api->now_ms ();
  g_autoptr (GError) sig_error = NULL;
  g_autoptr (CrUserSig) sig
      = cr_usersig_verify (cr_json_get_string (req, "RecordUserSig"), app->sdk_app_id, user,
                           app->usersig_key, now / 1000, &sig_error);
  if (sig == NULL) {
    cr_api_error_set (error, "InvalidParameter.RecordUserSig",
                      "RecordUserSig is not valid for RecordUserId %s: %s", user,
                      sig_error->message);
    return FALSE;
  }
  g_autoptr (JsonObject) r = json_object_new ();
  g_autofree char *id = cr_task_id_new ();
  json_object_set_string_member (r, "TaskId", id);
  json_object_set_int_member (r, "SdkAppId", (gint64)app->sdk_app_id);
  json_object_set_string_member (r, "RecordUserId", user);
  cr_class_rec_set_state (r, CR_CLASS_PREPARED);
  json_object_set_object_member (r, "Request", json_object_ref (req));
  gboolean string_room = FALSE;
  g_autofree char *room = cr_class_trtc_room (req, &string_room);
  json_object_set_string_member (r, "TrtcRoom", room);
  json_object_set_boolean_member (r, "StringRoom", string_room);
  json_object_set_int_member (
      r, "IdleStop",
      cr_json_get_int_or (req, "AutoStopTimeout", rec->api->config->class_idle_stop));
  json_object_set_int_member (r, "CreatedMs", now);
  json_object_set_int_member (r, "StartMs", 0);
  json_object_set_int_member (r, "StopMs", 0);
  json_object_set_int_member (r, "PausedMs", 0);
  json_object_set_array_member (r, "Spans", json_array_new ());
  json_object_set_array_member (r, "Omitted", json_array_new ());
  json_object_set_int_member (r, "Exceptions", 0);
  json_object_set_int_member (r, "ExceptionCnt", 0);
  json_object_set_boolean_member (r, "LocalOnly", app->class_storage == NULL);
  /* The seed: a second recording with the same RecordUserId takes the robot over; the first
   * one's recording fails (EXCEPTION). */
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, rec->active);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    JsonObject *old = value;
    if ((guint64)cr_json_get_int_or (old, "SdkAppId", 0) == app->sdk_app_id
        && g_strcmp0 (cr_json_get_string (old, "RecordUserId"), user) == 0
        && cr_class_state_active (cr_class_rec_state (old))) {
      g_info ("class task %s: RecordUserId %s taken over by class task %s",
              cr_json_get_string (old, "TaskId"), user, id);
      json_object_set_int_member (old, "Exceptions", cr_json_get_int_or (old, "Exceptions", 0) + 1);
      cr_class_rec_stop (rec, old, CR_CLASS_FINISH_EXCEPTION, now);
      cr_class_rec_save_or_warn (rec, old);
    }
  }
  if (!cr_class_rec_start_span (rec, app, r, error))
    return FALSE;
  if (!cr_class_rec_save (rec, r, error)) {
    cr_class_rec_end_span (rec, r, now);
    return FALSE;
  }
  g_info ("class task %s started: room %s, RecordUserId %s", id, room, user);
  g_hash_table_insert (rec->active, g_strdup (id), g_steal_pointer (&r));
  *task_id = g_steal_pointer (&id);
  return TRUE;
}

/* The unfinished class task for @op, moved to its next state (in memory). */
static JsonObject *
rec_apply (CrClassRecorder *rec, const CrApp *app, const char *task_id, CrClassOp op,
           GError **error)
{
  g_autoptr (JsonObject) r = rec_find (rec, app, task_id, error);
  if (r == NULL)
    return NULL;
  CrClassState next;
  if (!cr_class_state_apply (cr_class_rec_state (r), op, &next, error))
    return NULL;
  return g_hash_table_lookup (rec->active, task_id); /* active: the transition allowed it */
}

gboolean
cr_class_recorder_pause (CrClassRecorder *rec, const CrApp *app, const char *task_id,
                         GError **error)
{
  JsonObject *r = rec_apply (rec, app, task_id, CR_CLASS_OP_PAUSE, error);
  if (r == NULL)
    return FALSE;
  gint64 now = rec->api->now_ms ();
  cr_class_rec_end_span (rec, r, now);
  cr_class_rec_set_state (r, CR_CLASS_PAUSED);
  json_object_set_int_member (r, "PausedMs", now);
  g_info ("class task %s paused", task_id);
  return cr_class_rec_save (rec, r, error);
}

gboolean
cr_class_recorder_resume (CrClassRecorder *rec, const CrApp *app, const char *task_id,
                          GError **error)
{
  JsonObject *r = rec_apply (rec, app, task_id, CR_CLASS_OP_RESUME, error);
  if (r == NULL)
    return FALSE;
  gint64 now = rec->api->now_ms ();
  gint64 paused = cr_json_get_int_or (r, "PausedMs", now);
  if (!cr_class_rec_start_span (rec, app, r, error))
    return FALSE;
  JsonObject *o = json_object_new ();
  json_object_set_int_member (o, "VideoTime", cr_class_rec_total_ms (r, now));
  json_object_set_int_member (o, "PauseTime", paused);
  json_object_set_int_member (o, "ResumeTime", now);
  json_array_add_object_element (cr_json_get_array (r, "Omitted"), o);
  json_object_set_int_member (r, "PausedMs", 0);
  cr_class_rec_set_state (r, CR_CLASS_RECORDING);
  g_info ("class task %s resumed", task_id);
  return cr_class_rec_save (rec, r, error);
}

gboolean
cr_class_recorder_stop (CrClassRecorder *rec, const CrApp *app, const char *task_id, GError **error)
{
  JsonObject *r = rec_apply (rec, app, task_id, CR_CLASS_OP_STOP, error);
  if (r == NULL)
    return FALSE;
  cr_class_rec_stop (rec, r, CR_CLASS_FINISH_USER_CALL, rec->api->now_ms ());
  return cr_class_rec_save (rec, r, error);
}

gboolean
cr_class_recorder_describe (CrClassRecorder *rec, const CrApp *app, const char *task_id,
                            JsonObject *reply, GError **error)
{
  g_autoptr (JsonObject) r = rec_find (rec, app, task_id, error);
  if (r == NULL)
    return FALSE;
  cr_class_rec_describe (rec, r, reply);
  return TRUE;
}

gboolean
cr_class_recorder_set_callback (CrClassRecorder *rec, const CrApp *app, const char *url,
                                const char *key, GError **error)
{
  return cr_class_store_set_callback (rec->store, app->sdk_app_id, url, key, error);
}

gboolean
cr_class_recorder_get_callback (CrClassRecorder *rec, const CrApp *app, char **url, char **key,
                                GError **error)
{
  return cr_class_store_get_callback (rec->store, app->sdk_app_id, url, key, error);
}

/* ---- life ---- */

CrClassRecorder *
cr_class_recorder_new (CrApi *api, CrCallbackSender *callbacks, GError **error)
{
  g_autoptr (CrClassStore) store = cr_class_store_open (api->config->db_path, error);
  if (store == NULL)
    return NULL;
  g_autoptr (GPtrArray) rows = cr_class_store_list_unfinished (store, error);
  if (rows == NULL)
    return NULL;
  CrClassRecorder *rec = g_new0 (CrClassRecorder, 1);
  rec->api = api;
  rec->callbacks = callbacks;
  rec->store = g_steal_pointer (&store);
  rec->active
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)json_object_unref);
  rec->probes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  rec->probing = g_ptr_array_new ();
  rec->replay_fetches = g_ptr_array_new ();
  rec->concats = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)cr_class_concat_free);
  for (guint i = 0; i < rows->len; i++) {
    const CrClassRow *row = g_ptr_array_index (rows, i);
    g_autoptr (GError) parse_error = NULL;
    JsonObject *r
        = cr_json_parse_object (row->record_json, strlen (row->record_json), &parse_error);
    if (r == NULL) {
      g_warning ("class task %s: unreadable record: %s", row->task_id, parse_error->message);
      continue;
    }
    /* the idle rule counts from the takeover: the daemon was down meanwhile */
    json_object_set_int_member (r, "LastMediaMs", api->now_ms ());
    g_hash_table_insert (rec->active, g_strdup (row->task_id), r);
  }
  if (rows->len > 0)
    g_info ("class recording: %u class tasks taken over", rows->len);
  rec->tick = g_timeout_add (TICK_MS, rec_on_tick, rec);
  return rec;
}

void
cr_class_recorder_free (CrClassRecorder *rec)
{
  if (rec == NULL)
    return;
  if (rec->tick != 0)
    g_source_remove (rec->tick);
  cr_class_video_gen_free (rec);
  g_hash_table_unref (rec->active);
  cr_class_rec_detach_probes (rec);
  cr_class_concat_detach (rec);
  cr_class_replay_fetch_detach (rec);
  g_ptr_array_unref (rec->replay_fetches);
  cr_replay_cache_free (rec->replay_cache);
  g_hash_table_unref (rec->concats);
  g_ptr_array_unref (rec->probing);
  g_hash_table_unref (rec->probes);
  cr_class_store_close (rec->store);
  g_free (rec->self_url);
  g_free (rec->self_ca);
  g_free (rec->replay_base);
  g_free (rec);
}
