/* The worker's task loop; see worker.h.
 *
 * Events drive it, not a clock: the room watch (worker_watch_room), answered by the daemon as soon
 * as the room changes, hands the new room to the recorder at once; the task watch
 * (worker_watch_task, link_task_watch.h), answered as soon as the task has another revision
 * (Modify) or has ended (Delete, LeaveCode 101), makes the worker read its task again. What
 * depends on time (the status, MaxIdleTime, the recorder's waits, the free disk space, a daemon
 * that stopped answering) is looked at by one source (worker_check) that is ready only when the
 * next of these is due. Until 2026-12 a 250 ms tick re-read the task over the link: 4 calls a
 * second, ~10% of a single-stream worker's CPU (bench/README.md). */
#include "worker.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <stdio.h>
#include <string.h>

#include "common/cpu_share.h"
#include "link/link_blobs.h"
#include "upload/disk_guard.h"
#include "link/link_client.h"
#include "link/link_store.h"
#include "recorder/recorder.h"
#include "media/elements.h" /* CR_DEBUG_INIT */
#include "media/worker_plugins.h"

GST_DEBUG_CATEGORY (cr_recorder_debug);
#define GST_CAT_DEFAULT cr_recorder_debug

#define DISK_CHECK_US (5 * G_USEC_PER_SEC) /* how often the free disk space is looked at */
#define ROOM_WAIT_MS 25000            /* the room watch: the daemon answers at once on a change */
#define TASK_WAIT_MS 10000            /* the task watch: the daemon answers at once on news */
#define TASK_RETRY_MS 250             /* a task watch that got no answer is sent again after */
#define WATCH_MIN_GAP_US (100 * 1000) /* a daemon that answers at once is asked at most 10/s */
#define INPROGRESS_WINDOW_US (2 * G_USEC_PER_SEC) /* media this recent counts as flowing */
#define IDLE_LOOK_US (500 * 1000)     /* while no media flows: how often the status looks again */
#define LINK_PATIENCE_US (30 * G_USEC_PER_SEC)    /* the task unread this long ends the worker */
#define FINISH_NICE 5 /* an ended task's files and report: a third of a live worker's CPU share */

static void worker_on_room (Worker *w, JsonObject *state);
static void worker_check_soon (Worker *w);

void
worker_stop (Worker *w, CrLeaveCode code, GError *error)
{
  if (error != NULL && w->error == NULL)
    w->error = error;
  else if (error != NULL)
    g_error_free (error);
  if (w->leave_code == CR_LEAVE_NONE)
    w->leave_code = code;
  g_main_loop_quit (w->loop);
}

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

/* The naming of the task's files: the room and the prefix from the spec in force (a Modify
 * cannot change them, but the old spec is freed), the task id from the options. */
static void
worker_name_task (Worker *w)
{
  w->naming = (CrNamingTask){ w->spec->sdk_app_id,
                              w->spec->room_id,
                              w->spec->string_room,
                              w->o->task_id,
                              (const char *const *)w->spec->storage.prefix,
                              w->failover };
}

/* Reads the task's row; a new revision (Modify) brings a new spec, which the recorder applies. */
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
  if (task->status == CR_TASK_EXITED && w->leave_code == CR_LEAVE_NONE)
    w->leave_code = (CrLeaveCode)MAX (task->leave_code, CR_LEAVE_STOPPED);
  if (w->spec == NULL || task->revision != w->revision) {
    CrTaskSpec *spec = cr_task_spec_new_from_text (task->params_json, error);
    if (spec == NULL)
      return FALSE;
    CrTaskSpec *old = w->spec;
    w->spec = spec;
    w->revision = task->revision;
    worker_name_task (w);
    if (old != NULL && w->recorder != NULL) {
      g_info ("task %s: revision %" G_GINT64_FORMAT " (Modify)", task->task_id, task->revision);
      w->recorder->klass->apply_spec (w->recorder, old);
    }
    cr_task_spec_free (old);
  }
  g_clear_pointer (&w->task, cr_task_free);
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
                                g_get_real_time () / 1000, NULL, &error)) {
    w->status = status;
    g_info ("task %s: %s", w->task->task_id, cr_task_status_to_string (status));
  }
}

/* The recorder follows the room as last seen. */
static void
worker_follow (Worker *w)
{
  if (w->room != NULL && !w->recorder->klass->follow (w->recorder, w->room))
    worker_stop (w, CR_LEAVE_NONE,
                 g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "the %s recording cannot go on",
                              w->recorder->klass->name));
}

static gboolean
worker_watch_again (gpointer data)
{
  Worker *w = data;
  /* Right after a join the room is asked for at once: the watch waits for an event after the
   * join's LastSeq, and a room where nothing happens (publishers in it already, steady) would
   * leave the worker without a view of it for ROOM_WAIT_MS: nothing recorded, and MaxIdleTime
   * counting as if no anchor were there (a MaxIdleTime of 5 s ended such tasks). */
  gboolean fresh = !w->joined || w->room == NULL;
  if (w->joined || worker_join_room (w))
    worker_watch_room (w, fresh ? 0 : ROOM_WAIT_MS, worker_on_room);
  else
    worker_stop (w, CR_LEAVE_NONE, NULL); /* the robot's UserId publishes: 101 */
  return G_SOURCE_REMOVE;
}

/* The daemon's answer to the room watch: events (kick, dismiss, room destroyed) and the room as
 * it is now. Then the next watch, at once unless this one came back at once. */
static void
worker_on_room (Worker *w, JsonObject *state)
{
  gint64 now = g_get_monotonic_time ();
  if (state != NULL) {
    worker_follow_events (w, state);
    if (w->leave_code != CR_LEAVE_NONE) {
      worker_stop (w, w->leave_code, NULL);
      return;
    }
    g_autoptr (CrRoomView) room = cr_room_view_new (state);
    for (guint i = 0; i < room->streams->len; i++) {
      const CrRoomStream *s = g_ptr_array_index (room->streams, i);
      if (g_strcmp0 (s->user_id, w->spec->user_id) == 0) {
        g_info ("task %s: user %s publishes in the room; the robot leaves", w->task->task_id,
                s->user_id);
        worker_stop (w, CR_LEAVE_ROBOT_COLLISION, NULL);
        return;
      }
    }
    GST_DEBUG ("task %s: the room changed (seq %" G_GUINT64_FORMAT ", %u streams)", w->o->task_id,
               w->room_seq, room->streams->len);
    g_clear_pointer (&w->room, cr_room_view_free);
    w->room = g_steal_pointer (&room);
    worker_follow (w);
    worker_check_soon (w); /* an anchor came or went; the recorder may wait for something now */
  }
  gint64 gap = w->watch_asked_us + WATCH_MIN_GAP_US - now;
  w->watch_asked_us = MAX (now, w->watch_asked_us + WATCH_MIN_GAP_US);
  g_timeout_add ((guint)(MAX (gap, 0) / 1000), worker_watch_again, w);
}

/* The disk the files go to: when it falls below disk-min-free-mb the task says so (308, once
 * per episode) and goes on recording as long as it can: nothing written is given up. */
static void
worker_watch_disk (Worker *w)
{
  gint64 now = g_get_monotonic_time ();
  if (w->o->disk_min_free_mb <= 0 || now - w->disk_checked_us < DISK_CHECK_US)
    return;
  w->disk_checked_us = now;
  gint64 free_mb = cr_disk_free_mb (w->dir, NULL);
  if (free_mb < 0)
    return;
  gboolean low = free_mb < w->o->disk_min_free_mb;
  if (low == w->disk_low)
    return;
  w->disk_low = low;
  g_autofree char *text = g_strdup_printf (
      "the disk of %s has %" G_GINT64_FORMAT " MiB free, disk-min-free-mb is %" G_GINT64_FORMAT,
      w->dir, free_mb, w->o->disk_min_free_mb);
  if (!low) {
    g_info ("task %s: %s again", w->task->task_id, text);
    return;
  }
  g_warning ("task %s: %s", w->task->task_id, text);
  JsonObject *payload = json_object_new ();
  json_object_set_string_member (payload, "Code", "FailedOperation.DiskFull");
  json_object_set_string_member (payload, "Message", text);
  worker_emit (w, CR_EVENT_UPLOAD_ERROR, payload);
}

/* Reads the task again (the task watch said there is news, or answered after its wait). FALSE
 * when the worker stops. No answer on the link (the daemon busy for a moment) is not the task's
 * end: worker_check gives up after LINK_PATIENCE_US without one. An answer (no such task, a
 * store error) is. */
static gboolean
worker_read_task (Worker *w)
{
  g_autoptr (GError) error = NULL;
  gint64 revision = w->revision;
  if (!worker_load_task (w, &error)) {
    if (g_error_matches (error, CR_LINK_ERROR, CR_LINK_ERROR_NO_ANSWER)) {
      g_info ("task %s: %s; asking again", w->o->task_id, error->message);
      return TRUE;
    }
    worker_stop (w, CR_LEAVE_NONE, g_steal_pointer (&error));
    return FALSE;
  }
  w->link_ok_us = g_get_monotonic_time ();
  if (w->task->status == CR_TASK_EXITED) { /* deleted, or replaced by a new task (101) */
    worker_stop (w, CR_LEAVE_STOPPED, NULL);
    return FALSE;
  }
  if (w->revision != revision) { /* a Modify: the recorder follows the new spec now */
    worker_follow (w);
    worker_check_soon (w);
  }
  return TRUE;
}

static void worker_on_task_news (Worker *w, gboolean answered);

static gboolean
worker_watch_task_again (gpointer data)
{
  Worker *w = data;
  w->task_retry = 0;
  w->task_asked_us = g_get_monotonic_time ();
  worker_watch_task (w, TASK_WAIT_MS, worker_on_task_news);
  return G_SOURCE_REMOVE;
}

/* The task watch came back: with news, after its wait, or without an answer. The task is read
 * again, then the next watch goes out (at once unless this one came back at once, or after a
 * pause when the daemon did not answer). */
static void
worker_on_task_news (Worker *w, gboolean answered)
{
  if (answered ? !worker_read_task (w) : w->leave_code != CR_LEAVE_NONE)
    return;
  gint64 now = g_get_monotonic_time ();
  gint64 gap = answered ? w->task_asked_us + WATCH_MIN_GAP_US - now : TASK_RETRY_MS * 1000;
  w->task_retry = g_timeout_add ((guint)(MAX (gap, 0) / 1000), worker_watch_task_again, w);
}

/* Since when the daemon has owed the worker an answer about its task: its last read, or, while a
 * task watch is held, the end of that watch's wait (a held watch is not silence). */
static gint64
worker_link_silent_since (Worker *w)
{
  gint64 owed = w->task_watch != NULL ? w->task_asked_us + TASK_WAIT_MS * 1000 : 0;
  return MAX (w->link_ok_us, owed);
}

/* Monotonic µs at which the next time-dependent check is due (worker_check). */
static gint64
worker_next_due (Worker *w, gint64 now, gint64 last_media)
{
  /* The status: flowing until INPROGRESS_WINDOW_US after the last packet; while none flows,
   * looked at every IDLE_LOOK_US (a local read of the tracks' packet times). */
  gint64 due = w->status == CR_TASK_IN_PROGRESS ? last_media + INPROGRESS_WINDOW_US + 1000
                                                 : now + IDLE_LOOK_US;
  due = MIN (due, worker_link_silent_since (w) + LINK_PATIENCE_US + 1000);
  if (!cr_room_view_has_anchor (w->room, w->spec->user_id))
    due = MIN (due, w->last_anchor_us + w->spec->max_idle_s * G_USEC_PER_SEC + 1000);
  if (w->o->disk_min_free_mb > 0)
    due = MIN (due, w->disk_checked_us + DISK_CHECK_US);
  gint64 follow = w->room != NULL && w->recorder->klass->follow_due_us != NULL
                      ? w->recorder->klass->follow_due_us (w->recorder)
                      : 0;
  if (follow != 0)
    due = MIN (due, follow);
  return MAX (due, now + 1000); /* never sooner than 1 ms from now */
}

/* What depends on time: the recorder's waits, the disk, the status, MaxIdleTime, a daemon that
 * stopped answering. Then the source is made ready again when the next of these is due. */
static gboolean
worker_check (gpointer data)
{
  Worker *w = data;
  gint64 now = g_get_monotonic_time ();
  if (now - worker_link_silent_since (w) > LINK_PATIENCE_US) {
    worker_stop (w, CR_LEAVE_NONE,
                 g_error_new (CR_LINK_ERROR, CR_LINK_ERROR_NO_ANSWER,
                              "no answer from the daemon for %d s",
                              (int)(LINK_PATIENCE_US / G_USEC_PER_SEC)));
    return G_SOURCE_REMOVE;
  }
  gint64 follow = w->room != NULL && w->recorder->klass->follow_due_us != NULL
                      ? w->recorder->klass->follow_due_us (w->recorder)
                      : 0;
  if (follow != 0 && follow <= now)
    worker_follow (w);
  if (w->leave_code != CR_LEAVE_NONE || w->error != NULL)
    return G_SOURCE_REMOVE;
  worker_watch_disk (w);
  now = g_get_monotonic_time ();
  gint64 last = w->recorder->klass->last_media_us (w->recorder);
  gboolean flowing = last != 0 && now - last < INPROGRESS_WINDOW_US;
  if (flowing)
    w->last_media_us = MAX (w->last_media_us, last);
  worker_set_status (w, flowing ? CR_TASK_IN_PROGRESS : CR_TASK_IDLE);
  /* MaxIdleTime counts only while no anchor is in the room. */
  if (cr_room_view_has_anchor (w->room, w->spec->user_id))
    w->last_anchor_us = now;
  if (now - w->last_anchor_us > w->spec->max_idle_s * G_USEC_PER_SEC) {
    g_info ("task %s: no anchor in the room for %" G_GINT64_FORMAT " s (MaxIdleTime); ending",
            w->task->task_id, w->spec->max_idle_s);
    worker_stop (w, CR_LEAVE_IDLE, NULL);
    return G_SOURCE_REMOVE;
  }
  g_source_set_ready_time (w->check, worker_next_due (w, now, last));
  return G_SOURCE_CONTINUE;
}

/* The check's source: ready at the time set by g_source_set_ready_time, once. */
static gboolean
worker_check_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  g_source_set_ready_time (source, -1);
  return callback (data);
}

static GSourceFuncs worker_check_funcs = { .dispatch = worker_check_dispatch };

/* Something changed that the checks depend on (the room, the spec): look now. */
static void
worker_check_soon (Worker *w)
{
  if (w->check != NULL && !g_source_is_destroyed (w->check))
    g_source_set_ready_time (w->check, 0);
}

static gboolean
worker_on_signal (gpointer data)
{
  Worker *w = data;
  w->signalled = TRUE;
  g_main_loop_quit (w->loop);
  return G_SOURCE_CONTINUE; /* removed by worker_clear */
}

/* The worker's first read of its task. A daemon busy starting many workers at once (each one a
 * fork of it) may leave a call unanswered past the link's timeout: no answer is not the task's
 * end, so the read is asked again, for up to LINK_PATIENCE_US as later reads are; the supervisor
 * counts a worker as failed only when it exits. An answer (no such task, a store error) ends it
 * at once. */
static gboolean
worker_load_first (Worker *w, GError **error)
{
  gint64 since = g_get_monotonic_time ();
  gulong pause_ms = 100;
  for (;;) {
    g_autoptr (GError) local = NULL;
    if (worker_load_task (w, &local))
      return TRUE;
    if (!g_error_matches (local, CR_LINK_ERROR, CR_LINK_ERROR_NO_ANSWER)
        || g_get_monotonic_time () - since >= LINK_PATIENCE_US) {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
    g_info ("task %s: %s; asking again", w->o->task_id, local->message);
    g_usleep (pause_ms * 1000);
    pause_ms = MIN (pause_ms * 2, 2000);
  }
}

/* Where the task's files go, and the failover number of this worker's files. */
static gboolean
worker_open_storage (Worker *w, GError **error)
{
  w->failover = 0;
  worker_name_task (w);
  char *rel = cr_naming_dir (&w->naming);
  w->key_prefix = g_strndup (rel, strlen (rel) - 1); /* without the trailing "/" */
  g_free (rel);
  if (!cr_storage_endpoints_parse (w->o->storage_endpoint, &w->endpoints, error))
    return FALSE;
  w->target = cr_storage_target_kind (&w->spec->storage, &w->endpoints);
  g_autofree char *spool = cr_storage_spool_root (w->o->data_dir);
  if (w->target == CR_TARGET_LOCAL)
    w->blobs = cr_local_blob_store_new (w->o->storage_dir);
  else if (w->target == CR_TARGET_S3)
    w->blobs = cr_link_blob_store_new (w->http_link, w->task->sdk_app_id, w->task->task_id, spool);
  else /* the VOD library takes the finished files when the task ends */
    w->blobs = cr_local_blob_store_new (spool);
  w->dir = w->blobs->vt->work_dir (w->blobs, w->key_prefix, error);
  if (w->dir == NULL)
    return FALSE;
  w->hls_dir = cr_task_spec_keeps_hls (w->spec) ? g_strdup (w->dir)
                                                : g_build_filename (w->dir, ".hls", NULL);
  w->failover = worker_pick_failover (w->hls_dir, w->o->failover);
  w->naming.failover = w->failover;
  return TRUE;
}

/* The task has ended: files, callbacks, the store. */
static void
worker_end_task (Worker *w)
{
  CrLeaveCode code = MAX (w->leave_code, CR_LEAVE_STOPPED);
  worker_leave_room (w);
  /* Nothing from here on is live: the sync report's decoding and the remuxes yield to the
   * recordings still running on this machine (common/cpu_share.h). */
  cr_cpu_share_lower (FINISH_NICE);
  /* The segments the end reads: everything for MP4/AAC, the first minutes for the sync report. */
  g_autoptr (GError) gather_error = NULL;
  gint64 span = w->spec->output_format == CR_OUTPUT_HLS ? CR_AVSYNC_SPAN_MS : G_MAXINT64;
  g_autofree char *segments = worker_gather_segments (w, span, &gather_error);
  if (w->spec->once != NULL) { /* one-call recording: its own files (worker_once.c) */
    worker_once_write (w, segments, gather_error);
  } else {
    worker_write_avsync (w, segments); /* before the outputs: those may remove a working HLS */
    worker_write_outputs (w, segments, gather_error);
  }
  worker_release_segments (w, segments);
  worker_finish_storage (w);
  g_autoptr (GError) ignored = NULL; /* already exited when DeleteCloudRecording stopped us */
  w->store->vt->set_status (w->store, w->task->sdk_app_id, w->task->task_id, CR_TASK_EXITED, code,
                            g_get_real_time () / 1000, NULL, &ignored);
  /* Files written and stored: the task is finished (Describe now answers ResourceNotFound) and
   * its 302 queued, in one transaction of the daemon's store. */
  g_autofree char *stopped = g_strdup_printf ("{\"LeaveCode\":%d}", (int)code);
  CrEventNew event = { CR_EVENT_RECORDER_STOP, stopped };
  g_autoptr (GError) error = NULL;
  if (!w->store->vt->finish (w->store, w->task->sdk_app_id, w->task->task_id,
                             g_get_real_time () / 1000, &event, &error))
    g_warning ("task %s: cannot finish it (302 not queued): %s", w->task->task_id,
               error->message);
}

/* Records from the first check to the end of the task. */
static int
worker_record (Worker *w, GError **error)
{
  CR_DEBUG_INIT (cr_recorder_debug, "cloudrec-recorder", "cloudrec: the recorders' decisions");
  GST_INFO ("task %s: %s recorder, spec revision %" G_GINT64_FORMAT, w->o->task_id,
            w->recorder->klass->name, w->revision);
  g_info ("task %s: %s recording of room %s into %s (failover %d)", w->task->task_id,
          w->recorder->klass->name, w->spec->room_id, w->dir, w->failover);
  JsonObject *started = json_object_new ();
  json_object_set_int_member (started, "Status", 0);
  worker_emit (w, CR_EVENT_RECORDER_START, started);
  if (w->failover > 0) { /* FAILOVER: this worker took over from one that died */
    JsonObject *failover = json_object_new ();
    json_object_set_int_member (failover, "Status", 0);
    worker_emit (w, CR_EVENT_FAILOVER, failover);
  }
  w->last_media_us = w->last_anchor_us = w->link_ok_us = g_get_monotonic_time ();
  w->check = g_source_new (&worker_check_funcs, sizeof (GSource));
  g_source_set_callback (w->check, worker_check, w, NULL);
  g_source_set_ready_time (w->check, 0);
  g_source_attach (w->check, NULL);
  w->task_asked_us = g_get_monotonic_time ();
  worker_watch_task (w, TASK_WAIT_MS, worker_on_task_news);
  /* Kept until the worker exits (worker_clear): removing them restores the default action, and
   * the SIGTERM of a Delete may come after the task watch has already ended the loop; it would
   * kill the worker before its files are closed. */
  w->signal_sources[0] = g_unix_signal_add (SIGTERM, worker_on_signal, w);
  w->signal_sources[1] = g_unix_signal_add (SIGINT, worker_on_signal, w);
  if (w->spec->web == NULL) /* a web page's task has no room (recorder/web.c) */
    worker_watch_again (w);
  if (w->leave_code == CR_LEAVE_NONE && w->error == NULL)
    g_main_loop_run (w->loop);
  g_source_destroy (w->check);
  g_clear_pointer (&w->check, g_source_unref);
  if (w->task_retry != 0)
    g_source_remove (w->task_retry);
  w->task_retry = 0;
  if (w->task_watch != NULL)
    g_cancellable_cancel (w->task_watch);
  g_clear_object (&w->task_watch);
  if (w->watch != NULL)
    g_cancellable_cancel (w->watch);
  g_clear_object (&w->watch);
  /* Close every file: last segments listed, playlists ended. */
  w->recorder->klass->finish (g_steal_pointer (&w->recorder));
  worker_report_usage (w); /* the last segments' usage, before the task may be finished */
  if (w->error != NULL) {
    g_propagate_error (error, g_steal_pointer (&w->error));
    return CR_WORKER_EXIT_FAILED;
  }
  /* A signal with the task still live in the store is the daemon shutting down, not a Delete:
   * leave the task live; the daemon's next start resumes it in the next "ha<n>_" files. */
  if (w->signalled && worker_load_task (w, NULL) && w->task->status != CR_TASK_EXITED) {
    g_info ("task %s: stopped with the daemon; the task stays live", w->task->task_id);
    return CR_WORKER_EXIT_DONE;
  }
  worker_end_task (w);
  return CR_WORKER_EXIT_DONE;
}

static void
worker_clear (Worker *w)
{
  for (int i = 0; i < 2; i++) {
    if (w->signal_sources[i] != 0)
      g_source_remove (w->signal_sources[i]);
  }
  if (w->recorder != NULL)
    w->recorder->klass->finish (g_steal_pointer (&w->recorder));
  g_clear_pointer (&w->playlists, g_hash_table_unref);
  worker_usage_clear (w);
  g_clear_pointer (&w->files, g_ptr_array_unref);
  g_clear_pointer (&w->sidecars, g_hash_table_unref);
  g_clear_pointer (&w->room, cr_room_view_free);
  g_clear_pointer (&w->spec, cr_task_spec_free);
  g_clear_pointer (&w->task, cr_task_free);
  g_free (w->dir);
  g_free (w->hls_dir);
  g_free (w->key_prefix);
  cr_blob_store_close (w->blobs);
  cr_storage_endpoints_clear (&w->endpoints);
  g_clear_object (&w->http);
  g_clear_object (&w->http_link);
  g_clear_object (&w->watch_http);
  g_clear_pointer (&w->loop, g_main_loop_unref);
  cr_task_store_close (w->store);
}

int
cr_worker_run (const CrWorkerOptions *o, GError **error)
{
  Worker w = { .o = o, .leave_code = CR_LEAVE_NONE, .status = CR_TASK_IDLE };
  w.playlists
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)cr_playlist_free);
  w.files = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_worker_file_free);
  w.sidecars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  w.http = soup_session_new_with_options ("timeout", 5, NULL);
  w.http_link = cr_link_session_new (o->link_path, 5);
  w.watch_http = cr_link_session_new (o->link_path, ROOM_WAIT_MS / 1000 + 10);
  w.loop = g_main_loop_new (NULL, FALSE);
  int rc = CR_WORKER_EXIT_CANNOT_START;
  if (!cr_worker_plugins_init (o->data_dir, error)) /* the worker's own registry */
    goto out;
  w.store = cr_link_store_new (w.http_link, o->sdk_app_id);
  if (!worker_load_first (&w, error) || !worker_open_storage (&w, error))
    goto out;
  const CrRecorderClass *klass = w.spec->web != NULL ? &cr_web_recorder_class
                                 : w.spec->record_mode == CR_RECORD_MIXED ? &cr_mixed_recorder_class
                                                                          : &cr_single_recorder_class;
  w.recorder = klass->start (&w, error);
  if (w.recorder == NULL)
    goto out;
  rc = worker_record (&w, error);
out:
  worker_clear (&w);
  return rc;
}
