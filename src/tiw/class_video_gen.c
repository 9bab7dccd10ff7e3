/* The queue of video-generation tasks: a clock steps each task, QUEUED until its class is
 * FINISHED and nobody publishes in its room, then PROCESSING span by span (board render, then
 * compose; a class in a bucket has the span's files downloaded first; a compose job lost to a
 * restart renders its span again), then the end; the tasks
 * resumed from the store at the daemon's start. See class_video_gen.h. */
#include <glib/gstdio.h>
#include <string.h>

#include "common/file_util.h"
#include "common/json_util.h"
#include "room/room.h"
#include "tiw/class_video_gen_private.h"
#include "tools/compose_jobs.h"

#define TICK_MS 1000
#define MIN_SPAN_MS 1000 /* a shorter span makes no video */
#define RENDER_SHARE 30  /* of a span's progress, the board's rendering */

static void
gen_save (CrClassVideoGen *gen, JsonObject *t)
{
  gint64 now = gen->rec->api->now_ms ();
  json_object_set_int_member (t, "UpdatedMs", now);
  g_autofree char *text = cr_json_object_to_string (t);
  g_autoptr (GError) error = NULL;
  if (!cr_video_gen_store_put (
          gen->store, (guint64)cr_json_get_int_or (t, "SdkAppId", 0),
          cr_json_get_string (t, "TaskId"), cr_json_get_string (t, "OnlineRecordTaskId"),
          cr_video_gen_status (t), cr_json_get_int_or (t, "CreatedMs", now), now, text, &error))
    g_warning ("video generation %s: %s", cr_json_get_string (t, "TaskId"), error->message);
}

/* Whether anybody publishes in the class's TRTC room now. */
static gboolean
room_busy (CrClassVideoGen *gen, JsonObject *r)
{
  CrRoomRegistry *rooms = gen->rec->api->rooms;
  if (rooms == NULL)
    return FALSE;
  CrRoomKey key = { .sdk_app_id = (guint64)cr_json_get_int_or (r, "SdkAppId", 0),
                    .string_room = cr_json_get_bool (r, "StringRoom"),
                    .room_id = cr_json_get_string (r, "TrtcRoom") };
  if (key.room_id == NULL)
    return FALSE;
  g_autoptr (GPtrArray) streams = cr_room_list_streams (rooms, &key);
  return streams != NULL && streams->len > 0;
}

/* QUEUED -> PROCESSING once the class is FINISHED and its room has nobody publishing. */
static gboolean
gen_check_queued (CrClassVideoGen *gen, JsonObject *t, JsonObject *r)
{
  if (cr_class_rec_state (r) != CR_CLASS_FINISHED || room_busy (gen, r))
    return FALSE;
  JsonArray *spans = json_array_new ();
  JsonArray *class_spans = cr_json_get_array (r, "Spans");
  gint64 play = 0;
  for (guint i = 0; class_spans != NULL && i < json_array_get_length (class_spans); i++) {
    JsonObject *cs = json_array_get_object_element (class_spans, i);
    gint64 start = cr_json_get_int_or (cs, "Start", 0), end = cr_json_get_int_or (cs, "End", 0);
    if (end - start < MIN_SPAN_MS)
      continue;
    JsonObject *s = json_object_new ();
    json_object_set_int_member (s, "ClassSpan", i);
    json_object_set_int_member (s, "Start", start);
    json_object_set_int_member (s, "End", end);
    json_object_set_int_member (s, "PlayTime", play);
    json_object_set_string_member (s, "Phase", "render");
    json_array_add_object_element (spans, s);
    play += end - start;
  }
  json_object_set_array_member (t, "Spans", spans);
  json_object_set_int_member (t, "Span", 0);
  json_object_set_int_member (t, "TotalTime", play);
  /* the class's callbacks' TRTC task keeps this one's in order too */
  JsonArray *tasks = cr_json_get_array (cr_class_rec_last_span (r), "Tasks");
  if (tasks != NULL && json_array_get_length (tasks) > 0)
    json_object_set_string_member (
        t, "CallbackTaskId",
        cr_json_get_string (json_array_get_object_element (tasks, 0), "TaskId"));
  json_object_set_string_member (t, "Status", CR_VIDEO_GEN_PROCESSING);
  g_info ("video generation %s processing: %u spans", cr_json_get_string (t, "TaskId"),
          json_array_get_length (spans));
  if (json_array_get_length (spans) == 0)
    cr_video_gen_finish (gen, t, CR_VIDEO_GEN_ERROR_GENERATION,
                         "the class recorded no span of media");
  return TRUE;
}

/* The current span's compose job started (its inputs and board ready), or the task failed. */
static gboolean
gen_compose_span (CrClassVideoGen *gen, JsonObject *t)
{
  g_autoptr (GError) error = NULL;
  if (!cr_video_gen_span_compose_start (gen, t, &error)) {
    g_autofree char *message = g_strdup_printf ("compose: %s", error->message);
    cr_video_gen_finish (gen, t, CR_VIDEO_GEN_ERROR_GENERATION, message);
    return TRUE;
  }
  cr_video_gen_set_progress (t, RENDER_SHARE);
  return TRUE;
}

/* One step of a PROCESSING task; TRUE when its record changed. */
static gboolean
gen_check_processing (CrClassVideoGen *gen, JsonObject *t, JsonObject *r)
{
  const char *id = cr_json_get_string (t, "TaskId");
  JsonObject *span = cr_video_gen_current_span (t);
  if (span == NULL)
    return cr_video_gen_check_end (gen, t, r);
  const char *phase = cr_json_get_string (span, "Phase");
  g_autoptr (GError) error = NULL;
  if (g_strcmp0 (phase, "render") == 0) {
    g_autofree char *why = NULL;
    CrVideoGenRender render = cr_video_gen_render_collect (gen, id, &why);
    if (render == CR_VIDEO_GEN_RENDER_NONE) {
      /* a class in a bucket: the span's files come down first */
      g_autofree char *fetch_why = NULL;
      CrVideoGenBucket fetch = cr_video_gen_bucket_fetch (gen, t, r, &fetch_why);
      if (fetch == CR_VIDEO_GEN_BUCKET_RUNNING)
        return FALSE;
      if (fetch == CR_VIDEO_GEN_BUCKET_FAILED) {
        g_autofree char *message = g_strdup_printf ("the class's bucket: %s", fetch_why);
        cr_video_gen_finish (gen, t, CR_VIDEO_GEN_ERROR_GENERATION, message);
        return TRUE;
      }
      if (!cr_video_gen_span_prepare (gen, t, r, &error)) {
        cr_video_gen_finish (gen, t, CR_VIDEO_GEN_ERROR_GENERATION, error->message);
        return TRUE;
      }
      if (!cr_video_gen_board_wanted (t)) {
        /* the board left out by RecordControl: nothing to render, the streams alone */
        return gen_compose_span (gen, t);
      }
      if (!cr_video_gen_render_start (gen, t, &error)) {
        cr_video_gen_finish (gen, t, CR_VIDEO_GEN_ERROR_GENERATION, error->message);
        return TRUE;
      }
      cr_video_gen_set_progress (t, 0);
      return TRUE;
    }
    if (render == CR_VIDEO_GEN_RENDER_RUNNING)
      return FALSE;
    if (render != CR_VIDEO_GEN_RENDER_OK) {
      g_autofree char *message = g_strdup_printf ("board-render: %s", why);
      cr_video_gen_finish (gen, t, CR_VIDEO_GEN_ERROR_GENERATION, message);
      return TRUE;
    }
    return gen_compose_span (gen, t);
  }
  if (g_strcmp0 (phase, "compose") == 0) {
    g_autoptr (CrComposeJob) job = cr_compose_jobs_lookup (
        (guint64)cr_json_get_int_or (t, "SdkAppId", 0), cr_json_get_string (span, "ComposeId"));
    if (job == NULL) {
      /* the daemon restarted meanwhile: the span again */
      json_object_set_string_member (span, "Phase", "render");
      return TRUE;
    }
    if (job->status == CR_COMPOSE_RUNNING) {
      gint64 before = cr_json_get_int_or (t, "Progress", 0);
      cr_video_gen_set_progress (t, RENDER_SHARE + job->progress * (100 - RENDER_SHARE) / 100);
      return cr_json_get_int_or (t, "Progress", 0) != before;
    }
    if (job->status == CR_COMPOSE_FAILED) {
      g_autofree char *message = g_strdup_printf ("compose: %s", job->error);
      cr_video_gen_finish (gen, t, CR_VIDEO_GEN_ERROR_GENERATION, message);
      return TRUE;
    }
    json_object_set_string_member (span, "Phase", "done");
    if (job->warnings != NULL && job->warnings->len > 0)
      json_object_set_string_member (span, "Warning", g_ptr_array_index (job->warnings, 0));
    g_autofree char *work = cr_video_gen_span_dir (gen, t, cr_json_get_int_or (t, "Span", 0));
    cr_file_remove_tree (work);
    json_object_set_int_member (t, "Span", cr_json_get_int_or (t, "Span", 0) + 1);
    cr_video_gen_set_progress (t, 0);
    return TRUE;
  }
  /* "done": the next one */
  json_object_set_int_member (t, "Span", cr_json_get_int_or (t, "Span", 0) + 1);
  return TRUE;
}

static gboolean
gen_on_tick (gpointer data)
{
  CrClassVideoGen *gen = data;
  g_autoptr (GList) ids = g_hash_table_get_keys (gen->active);
  for (GList *l = ids; l != NULL; l = l->next) {
    JsonObject *t = g_hash_table_lookup (gen->active, l->data);
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) r
        = cr_class_rec_find (gen->rec, (guint64)cr_json_get_int_or (t, "SdkAppId", 0),
                             cr_json_get_string (t, "OnlineRecordTaskId"), &error);
    gboolean changed;
    if (r == NULL) {
      cr_video_gen_finish (gen, t, CR_VIDEO_GEN_ERROR_GENERATION, error->message);
      changed = TRUE;
    } else if (g_strcmp0 (cr_video_gen_status (t), CR_VIDEO_GEN_QUEUED) == 0)
      changed = gen_check_queued (gen, t, r);
    else
      changed = gen_check_processing (gen, t, r);
    if (!changed)
      continue;
    gen_save (gen, t);
    if (g_strcmp0 (cr_video_gen_status (t), CR_VIDEO_GEN_FINISHED) == 0)
      g_hash_table_remove (gen->active, l->data);
  }
  return G_SOURCE_CONTINUE;
}

gboolean
cr_class_video_gen_start (CrClassRecorder *rec, GError **error)
{
  if (rec->vgen != NULL)
    return TRUE;
  g_autoptr (CrVideoGenStore) store = cr_video_gen_store_open (rec->api->config->db_path, error);
  if (store == NULL)
    return FALSE;
  g_autoptr (GPtrArray) rows = cr_video_gen_store_list_unfinished (store, error);
  if (rows == NULL)
    return FALSE;
  CrClassVideoGen *gen = g_new0 (CrClassVideoGen, 1);
  gen->rec = rec;
  gen->store = g_steal_pointer (&store);
  gen->active
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)json_object_unref);
  gen->renders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gen->joins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gen->transfers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < rows->len; i++) {
    const char *text = g_ptr_array_index (rows, i);
    g_autoptr (GError) parse_error = NULL;
    JsonObject *t = cr_json_parse_object (text, strlen (text), &parse_error);
    if (t == NULL) {
      g_warning ("video generation: unreadable record: %s", parse_error->message);
      continue;
    }
    g_hash_table_insert (gen->active, g_strdup (cr_json_get_string (t, "TaskId")), t);
  }
  if (rows->len > 0)
    g_info ("video generation: %u tasks resumed", rows->len);
  gen->tick = g_timeout_add (TICK_MS, gen_on_tick, gen);
  rec->vgen = gen;
  return TRUE;
}

void
cr_class_video_gen_remove_local (CrClassRecorder *rec, guint64 sdk_app_id,
                                 const char *class_task_id)
{
  CrClassVideoGen *gen = rec->vgen;
  if (gen == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows
      = cr_video_gen_store_list_of_class (gen->store, sdk_app_id, class_task_id, &error);
  if (rows == NULL) {
    g_warning ("video generation of class %s: %s", class_task_id, error->message);
    return;
  }
  for (guint i = 0; i < rows->len; i++) {
    const char *text = g_ptr_array_index (rows, i);
    g_autoptr (JsonObject) t = cr_json_parse_object (text, strlen (text), NULL);
    if (t == NULL || cr_json_get_string (t, "TaskId") == NULL)
      continue;
    g_autofree char *dir = cr_video_gen_dir (gen, t);
    if (!g_file_test (dir, G_FILE_TEST_EXISTS))
      continue;
    cr_file_remove_tree (dir);
    g_autofree char *parent = g_path_get_dirname (dir);
    g_rmdir (parent); /* <storage>/tiw-video/<SdkAppId>, once empty */
    g_info ("video generation %s: its local files are removed with class %s's",
            cr_json_get_string (t, "TaskId"), class_task_id);
  }
}

/* The background work of @table (TaskId -> CrVideoGenWork) lets the tasks go: what has ended is
 * freed, what runs frees itself when it ends; then the table. */
static void
works_detach (GHashTable *table)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, table);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    CrVideoGenWork *w = value;
    if (w->done)
      w->free_work (w);
    else
      w->gen = NULL;
  }
  g_hash_table_unref (table);
}

void
cr_class_video_gen_free (CrClassRecorder *rec)
{
  CrClassVideoGen *gen = rec->vgen;
  if (gen == NULL)
    return;
  rec->vgen = NULL;
  if (gen->tick != 0)
    g_source_remove (gen->tick);
  works_detach (gen->renders);
  works_detach (gen->joins);
  works_detach (gen->transfers);
  g_hash_table_unref (gen->active);
  cr_video_gen_store_close (gen->store);
  g_free (gen);
}
