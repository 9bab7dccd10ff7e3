/* The single-stream recording worker; see worker.h. */
#include "worker.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "common/json_util.h"
#include "files/naming.h"
#include "task/subscription.h"
#include "recorder/worker_private.h"
#include "store/task_store.h"

#define POLL_MS 500
#define MIX_POLL_MS 100 /* a mixed picture is re-laid when a stream comes or goes: look often */
#define INPROGRESS_WINDOW_US (2 * G_USEC_PER_SEC) /* media this recent counts as flowing */

/* ---- the task as the store has it now (Modify changes the subscription) ---- */

/* The failover number of a worker starting in @dir: 0 when no worker wrote there yet, else one
 * more than the highest "ha<n>_" on disk, so a restarted worker (after a crash or a daemon
 * restart) never rewrites the playlists of an earlier one. */
static int
worker_pick_failover (const char *dir, int at_least)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return at_least;
  int next = at_least;
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL) {
    if (!g_str_has_suffix (name, ".m3u8"))
      continue;
    int n = 0;
    if (sscanf (name, "ha%d_", &n) != 1)
      n = 0;
    next = MAX (next, n + 1);
  }
  return next;
}

static gboolean
worker_load_task (Worker *w, GError **error)
{
  g_autoptr (CrTask) task = w->store->vt->lookup (w->store, w->o->sdk_app_id, w->o->task_id, error);
  if (task == NULL) {
    if (error != NULL && *error == NULL)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "task %s does not exist",
                   w->o->task_id);
    return FALSE;
  }
  /* Ended by the API: Delete (LeaveCode 0) or a new task with the same robot (101). */
  if (task->status == CR_TASK_EXITED && w->leave_code < 0)
    w->leave_code = MAX (task->leave_code, 0);
  if (w->task != NULL && task->revision == w->revision) {
    w->task->status = task->status;
    return TRUE;
  }
  g_autoptr (JsonObject) params
      = cr_json_parse_object (task->params_json, strlen (task->params_json), error);
  if (params == NULL)
    return FALSE;
  JsonObject *record = cr_json_get_object (params, "RecordParams");
  w->record_mode = (int)cr_json_get_int_or (record, "RecordMode", 1);
  w->stream_type = (int)cr_json_get_int_or (record, "StreamType", 0);
  w->media_id = (int)cr_json_get_int_or (record, "MediaId", 0);
  w->max_idle_s = cr_json_get_int_or (record, "MaxIdleTime", 30);
  w->output_format = (int)cr_json_get_int_or (record, "OutputFormat", 0);
  w->av_merge = cr_json_get_int_or (record, "AvMerge", 0) == 1;
  w->fill_type = (int)cr_json_get_int_or (record, "FillType", 0);
  w->max_file_ms = cr_json_get_int_or (record, "MaxMediaFileDuration", 1440) * 60000;
  g_clear_pointer (&w->subscription, cr_subscription_free);
  w->subscription = cr_subscription_new (cr_json_get_object (record, "SubscribeStreamUserIds"));
  if (w->params != NULL)
    json_object_unref (w->params);
  w->params = g_steal_pointer (&params);
  w->revision = task->revision;
  if (w->task != NULL)
    cr_task_free (w->task);
  w->task = g_steal_pointer (&task);
  return TRUE;
}

static void
worker_set_status (Worker *w, CrTaskStatus status)
{
  if (w->status == status)
    return;
  g_autoptr (GError) error = NULL;
  if (w->store->vt->set_status (w->store, w->task->sdk_app_id, w->task->task_id, status, 0,
                                g_get_real_time () / 1000, &error)) {
    w->status = status;
    g_info ("task %s: %s", w->task->task_id, status == CR_TASK_IN_PROGRESS ? "InProgress" : "Idle");
  }
}

/* ---- the loop ---- */

static gboolean
worker_poll (gpointer data)
{
  Worker *w = data;
  g_autoptr (GError) error = NULL;
  if (!worker_load_task (w, &error)) {
    w->error = g_steal_pointer (&error);
    g_main_loop_quit (w->loop);
    return G_SOURCE_REMOVE;
  }
  if (w->task->status == CR_TASK_EXITED) { /* deleted, or replaced by a new task (101) */
    g_main_loop_quit (w->loop);
    return G_SOURCE_REMOVE;
  }
  if (!w->joined && !worker_join_room (w)) {
    g_main_loop_quit (w->loop);
    return G_SOURCE_REMOVE;
  }
  g_autofree char *query = g_strdup_printf ("?after=%" G_GUINT64_FORMAT, w->room_seq);
  g_autofree char *path = worker_room_path (w, query);
  guint status = 0;
  g_autoptr (JsonObject) state = worker_call (w, "GET", path, NULL, &status);
  if (state == NULL)
    return G_SOURCE_CONTINUE; /* the daemon is busy or restarting: try again */
  if (w->joined)
    worker_follow_events (w, state);
  if (w->leave_code >= 0) {
    g_main_loop_quit (w->loop);
    return G_SOURCE_REMOVE;
  }
  g_autoptr (GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonArray *streams = json_object_get_array_member (state, "Streams");
  for (guint i = 0; streams != NULL && i < json_array_get_length (streams); i++) {
    JsonObject *s = json_array_get_object_element (streams, i);
    const char *user = cr_json_get_string (s, "UserId");
    if (g_strcmp0 (user, w->task->user_id) == 0) { /* the robot's id entered the room */
      g_info ("task %s: user %s publishes in the room; the robot leaves", w->task->task_id, user);
      w->leave_code = 101;
      g_main_loop_quit (w->loop);
      return G_SOURCE_REMOVE;
    }
    if (w->record_mode == 2)
      continue; /* worker_follow_mix */
    gboolean aux = g_strcmp0 (cr_json_get_string (s, "Stream"), "aux") == 0;
    const char *caps[2] = { NULL, NULL };
    gboolean announced[2] = { FALSE, FALSE };
    for (int video = 0; video < 2 && user != NULL; video++) {
      if (!worker_wants (w, user, aux, video))
        continue;
      caps[video] = cr_json_get_string (s, video ? "VideoCaps" : "AudioCaps");
      announced[video] = cr_json_get_bool (s, video ? "HasVideo" : "HasAudio");
    }
    if (user != NULL && w->av_merge) {
      worker_follow_merged (w, user, aux, caps, announced, present);
      continue;
    }
    for (int video = 0; video < 2 && user != NULL; video++) {
      if (caps[video] == NULL)
        continue;
      g_autofree char *key
          = g_strdup_printf ("%s/%s/%s", user, aux ? "aux" : "main", video ? "video" : "audio");
      g_hash_table_add (present, g_strdup (key));
      if (!g_hash_table_contains (w->recs, key))
        worker_start_rec (w, user, aux, video ? NULL : caps[0], video ? caps[1] : NULL, key);
    }
  }
  if (w->record_mode == 2 && !worker_follow_mix (w, streams)) {
    w->error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "the mixing pipeline cannot start");
    g_main_loop_quit (w->loop);
    return G_SOURCE_REMOVE;
  }
  /* Tracks whose stream went away, or that the subscription no longer wants, end. */
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, w->recs);
  gint64 now = g_get_monotonic_time ();
  gboolean flowing = FALSE;
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Rec *r = value;
    if (!g_hash_table_contains (present, r->key)) {
      g_info ("task %s: %s ended", w->task->task_id, r->key);
      worker_end_rec (w, r);
      g_hash_table_iter_remove (&it);
      continue;
    }
    gint64 last = cr_track_last_packet_us (r->track);
    if (last != 0 && now - last < INPROGRESS_WINDOW_US) {
      flowing = TRUE;
      w->last_media_us = MAX (w->last_media_us, last);
    }
  }
  gint64 mixed = w->mix != NULL ? cr_mix_last_packet_us (w->mix) : 0;
  if (mixed != 0 && now - mixed < INPROGRESS_WINDOW_US) {
    flowing = TRUE;
    w->last_media_us = MAX (w->last_media_us, mixed);
  }
  worker_set_status (w, flowing ? CR_TASK_IN_PROGRESS : CR_TASK_IDLE);
  if (now - w->last_media_us > w->max_idle_s * G_USEC_PER_SEC) {
    g_info ("task %s: no media for %" G_GINT64_FORMAT " s (MaxIdleTime); ending", w->task->task_id,
            w->max_idle_s);
    w->leave_code = 99;
    g_main_loop_quit (w->loop);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
worker_on_signal (gpointer data)
{
  Worker *w = data;
  w->signalled = TRUE;
  g_main_loop_quit (w->loop);
  return G_SOURCE_CONTINUE; /* removed by cr_worker_run */
}

int
cr_worker_run (const CrWorkerOptions *o, GError **error)
{
  if (!gst_init_check (NULL, NULL, error))
    return 1;
  Worker w = { .o = o, .leave_code = -1, .status = CR_TASK_IDLE };
  if (!g_file_get_contents (o->token_path, &w.token, NULL, error))
    return 1;
  g_strstrip (w.token);
  w.store = cr_sqlite_store_open (o->db_path, error);
  if (w.store == NULL) {
    g_free (w.token);
    return 1;
  }
  int rc = 1;
  w.recs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)rec_free);
  w.playlists
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)cr_playlist_free);
  w.waiting_since = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  w.mix_forwards = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  w.mix_order = g_ptr_array_new_with_free_func ((GDestroyNotify)mix_stream_free);
  w.pictures
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)cr_picture_free);
  w.image_failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  w.http = soup_session_new_with_options ("timeout", 5, NULL);
  w.loop = g_main_loop_new (NULL, FALSE);
  if (!worker_load_task (&w, error))
    goto out;
  JsonObject *storage
      = cr_json_get_object (cr_json_get_object (w.params, "StorageParams"), "CloudStorage");
  JsonArray *prefix = cr_json_get_array (storage, "FileNamePrefix");
  guint n = prefix != NULL ? json_array_get_length (prefix) : 0;
  w.prefix = g_new0 (const char *, n + 1);
  for (guint i = 0; i < n; i++)
    w.prefix[i] = json_array_get_string_element (prefix, i);
  CrNamingTask naming = { w.task->sdk_app_id, w.task->room_id, w.task->room_id_type == 0,
                          w.task->task_id,    w.prefix,        0 };
  char *rel = cr_naming_dir (&naming);
  w.key_prefix = g_strndup (rel, strlen (rel) - 1); /* without the trailing "/" */
  g_free (rel);
  w.blobs = cr_local_blob_store_new (o->storage_dir);
  w.dir = w.blobs->vt->work_dir (w.blobs, w.key_prefix, error);
  if (w.dir == NULL)
    goto out;
  w.hls_dir = worker_keeps_hls (&w) ? g_strdup (w.dir) : g_build_filename (w.dir, ".hls", NULL);
  w.failover = worker_pick_failover (w.hls_dir, o->failover);
  w.last_media_us = g_get_monotonic_time ();
  g_info ("task %s: recording room %s into %s (failover %d)", w.task->task_id, w.task->room_id,
          w.dir, w.failover);
  JsonObject *started = json_object_new ();
  json_object_set_int_member (started, "Status", 0);
  worker_emit (&w, 301, started);
  if (w.failover > 0) { /* FAILOVER: this worker took over from one that died */
    JsonObject *failover = json_object_new ();
    json_object_set_int_member (failover, "Status", 0);
    worker_emit (&w, 306, failover);
  }
  guint poll = g_timeout_add (w.record_mode == 2 ? MIX_POLL_MS : POLL_MS, worker_poll, &w);
  guint sigterm = g_unix_signal_add (SIGTERM, worker_on_signal, &w);
  guint sigint = g_unix_signal_add (SIGINT, worker_on_signal, &w);
  worker_poll (&w);
  g_main_loop_run (w.loop);
  if (g_main_context_find_source_by_id (NULL, poll) != NULL)
    g_source_remove (poll);
  g_source_remove (sigterm);
  g_source_remove (sigint);
  /* Close every track: last segments listed, playlists ended. */
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, w.recs);
  while (g_hash_table_iter_next (&it, NULL, &value))
    worker_end_rec (&w, value);
  worker_end_mix (&w);
  /* A signal with the task still live in the store is the daemon shutting down, not a Delete:
   * leave the task live; the daemon's next start resumes it in the next "ha<n>_" files. */
  if (w.error == NULL && w.signalled && worker_load_task (&w, NULL)
      && w.task->status != CR_TASK_EXITED) {
    g_info ("task %s: stopped with the daemon; the task stays live", w.task->task_id);
    rc = 0;
  } else if (w.error == NULL) {
    worker_leave_room (&w);
    worker_write_avsync (&w); /* before the outputs: those may remove a working HLS */
    worker_write_outputs (&w);
    JsonObject *stopped = json_object_new ();
    json_object_set_int_member (stopped, "LeaveCode", w.leave_code < 0 ? 0 : w.leave_code);
    worker_emit (&w, 302, stopped);
    g_autoptr (GError) ignored = NULL; /* already exited when DeleteCloudRecording stopped us */
    w.store->vt->set_status (w.store, w.task->sdk_app_id, w.task->task_id, CR_TASK_EXITED,
                             w.leave_code < 0 ? 0 : w.leave_code, g_get_real_time () / 1000,
                             &ignored);
    /* Files written and stored, 302 (and 310) queued: Describe now answers ResourceNotFound. */
    w.store->vt->finish (w.store, w.task->sdk_app_id, w.task->task_id, g_get_real_time () / 1000,
                         NULL);
    rc = 0;
  } else {
    g_propagate_error (error, g_steal_pointer (&w.error));
  }
out:
  g_hash_table_unref (w.recs);
  g_hash_table_unref (w.playlists);
  g_hash_table_unref (w.waiting_since);
  g_hash_table_unref (w.mix_forwards);
  g_ptr_array_unref (w.mix_order);
  g_hash_table_unref (w.pictures);
  g_hash_table_unref (w.image_failures);
  g_free (w.mix_signature);
  g_clear_pointer (&w.subscription, cr_subscription_free);
  if (w.params != NULL)
    json_object_unref (w.params);
  if (w.task != NULL)
    cr_task_free (w.task);
  g_free (w.prefix);
  g_free (w.dir);
  g_free (w.hls_dir);
  g_free (w.key_prefix);
  cr_blob_store_close (w.blobs);
  g_free (w.token);
  g_object_unref (w.http);
  g_main_loop_unref (w.loop);
  cr_task_store_close (w.store);
  return rc;
}
