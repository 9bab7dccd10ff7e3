/* A segment is written: it goes to the blob store before the playlist that lists it, and a
 * file enters the StorageFileList with its first segment (307, 304). See worker_private.h. */
#include <glib/gstdio.h>
#include <string.h>

#include "recorder/worker_private.h"

/* Hands the finished local file @name of the working directory to the blob store. */
gboolean
worker_store_file (Worker *w, const char *name)
{
  g_autofree char *key = g_strconcat (w->key_prefix, "/", name, NULL);
  g_autofree char *path = g_build_filename (w->dir, name, NULL);
  g_autoptr (GError) error = NULL;
  if (!w->blobs->vt->put_file (w->blobs, key, path, &error)) {
    g_warning ("task %s: %s", w->task->task_id, error->message);
    return FALSE;
  }
  return TRUE;
}

void
cr_worker_file_free (CrWorkerFile *f)
{
  g_free (f->name);
  g_free (f->user_id);
  g_free (f->track_type);
  g_free (f->media_id);
  g_free (f->kind);
  g_free (f);
}

void
worker_add_file (Worker *w, const char *name, const char *user_id, const char *track_type,
                 const char *media_id, const char *kind, gint64 start_ms)
{
  CrWorkerFile *f = g_new0 (CrWorkerFile, 1);
  f->name = g_strdup (name);
  f->user_id = g_strdup (user_id != NULL ? user_id : "");
  f->track_type = g_strdup (track_type);
  f->media_id = g_strdup (media_id);
  f->kind = g_strdup (kind);
  g_ptr_array_add (w->files, f);
  if (w->target == CR_TARGET_VOD)
    return;
  CrTaskFile file
      = { w->task->task_id, (char *)name, (char *)user_id, (char *)track_type, start_ms };
  g_autoptr (GError) error = NULL;
  if (!w->store->vt->put_file (w->store, &file, &error))
    g_warning ("task %s: %s", w->task->task_id, error->message);
}

typedef struct {
  gint64 first_us, last_us; /* monotonic µs of its first and last store */
  goffset size;             /* its size when last stored */
} WorkerSidecar;

/* The board-clock samples beside @playlist_name (media/sei_probe.h, a sample a second), stored
 * while recording so that a class replayed from a bucket before its end places the stream by
 * them: with the playlist's first segment and each run's first, and otherwise when they grew and
 * a tenth of the time since their first store has passed (at least 10 s: the uploads of a long
 * recording's growing file stay about ten times its final size). Its text goes as it is now. */
static void
worker_store_sidecar (Worker *w, const CrSegment *segment, gboolean first,
                      const char *playlist_name)
{
  g_autofree char *name = g_strconcat (playlist_name, ".sync.json", NULL);
  g_autofree char *path = g_build_filename (w->dir, name, NULL);
  GStatBuf st;
  if (g_stat (path, &st) != 0)
    return; /* no samples (yet) */
  WorkerSidecar *s = g_hash_table_lookup (w->sidecars, playlist_name);
  gint64 now = g_get_monotonic_time ();
  if (s != NULL && (s->size == st.st_size
                    || (!first && !segment->discontinuity
                        && now - s->last_us < MAX (10 * G_USEC_PER_SEC, (now - s->first_us) / 10))))
    return;
  if (!worker_store_file (w, name))
    return;
  if (s == NULL) {
    s = g_new0 (WorkerSidecar, 1);
    s->first_us = now;
    g_hash_table_insert (w->sidecars, g_strdup (playlist_name), s);
  }
  s->last_us = now;
  s->size = st.st_size;
}

void
worker_announce_segment (Worker *w, const CrSegment *segment, gboolean first,
                         const char *playlist_name, const char *user_id, const char *track_type,
                         gint64 start_ms)
{
  w->last_media_us = g_get_monotonic_time ();
  g_autofree char *stream = g_strdup_printf (
      "%s/%s", user_id, strstr (playlist_name, "__UserId_e_aux_") != NULL ? "aux" : "main");
  worker_count_usage (w, segment, stream, *user_id == '\0');
  if (!cr_task_spec_keeps_hls (w->spec))
    return; /* with OutputFormat 3/4 only the MP4/AAC files are the recording's */
  if (!worker_store_file (w, segment->uri) || !worker_store_file (w, playlist_name))
    return;
  worker_store_sidecar (w, segment, first, playlist_name);
  if (!first)
    return;
  CrTaskFile file
      = { w->task->task_id, (char *)playlist_name, (char *)user_id, (char *)track_type, start_ms };
  worker_add_file (w, playlist_name, user_id, track_type,
                   strstr (playlist_name, "__UserId_e_aux_") != NULL ? "aux" : "main", "hls",
                   start_ms);
  g_info ("task %s: %s started (first segment %s)", w->task->task_id, file.file_name, segment->uri);
  JsonObject *slice = json_object_new ();
  json_object_set_string_member (slice, "FileName", file.file_name);
  json_object_set_string_member (slice, "UserId", file.user_id);
  json_object_set_string_member (slice, "TrackType", file.track_type);
  json_object_set_int_member (slice, "BeginTimeStamp", file.begin_ts_ms);
  worker_emit (w, CR_EVENT_FILE_SLICE, slice);
  JsonObject *info = json_object_new ();
  json_object_set_string_member (info, "FileList", file.file_name);
  worker_emit (w, CR_EVENT_FILE_INFO, info);
}
