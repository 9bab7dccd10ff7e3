/* What a task leaves when it ends besides its HLS: the MP4/AAC files of the OutputFormat (with
 * the 310 callback) and the A/V sync reports. See worker_private.h. */
#include <glib/gstdio.h>
#include <string.h>

#include "media/avsync.h"
#include "files/naming.h"
#include "files/outputs.h"
#include "recorder/worker_private.h"

/* ---- MP4 / AAC (OutputFormat 1-4) ---- */

/* Removes the working HLS of OutputFormat 3/4 (its segments and playlists, then the directory). */
static void
worker_remove_spool (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    if (g_str_has_suffix (name, ".ts") || g_str_has_suffix (name, ".m3u8")) {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_remove (path);
    }
  }
  g_rmdir (dir);
}

/* Writes the MP4 or AAC files of the format, lists them and reports them with a 310 callback;
 * with no HLS wanted (3, 4) the working HLS is removed once they are all written. */
void
worker_write_outputs (Worker *w, const char *segment_dir, const GError *gather_error)
{
  if (w->spec->output_format == CR_OUTPUT_HLS)
    return;
  if (segment_dir == NULL) { /* the stored HLS could not be pulled back: 310 Status 2 */
    g_warning ("task %s: no MP4/AAC: %s", w->task->task_id, gather_error->message);
    JsonObject *payload = json_object_new ();
    json_object_set_int_member (payload, "Status", 2);
    json_object_set_array_member (payload, "FileList", json_array_new ());
    json_object_set_array_member (payload, "FileMessage", json_array_new ());
    worker_emit (w, CR_EVENT_MP4_STOP, payload);
    return;
  }
  CrOutputOptions oo
      = { segment_dir,           w->dir,
          &w->naming,           w->spec->output_format,
          w->spec->max_file_ms, w->o->max_file_bytes ? w->o->max_file_bytes : CR_OUTPUT_MAX_BYTES,
          w->playlists };
  g_autoptr (GPtrArray) files
      = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_output_file_free);
  g_autoptr (GError) error = NULL;
  gboolean ok = cr_outputs_write (&oo, files, &error);
  if (!ok)
    g_warning ("task %s: %s", w->task->task_id, error->message);
  JsonArray *names = json_array_new ();
  JsonArray *messages = json_array_new ();
  for (guint i = 0; i < files->len; i++) {
    const CrOutputFile *f = g_ptr_array_index (files, i);
    if (!worker_store_file (w, f->name)) {
      ok = FALSE;
      continue;
    }
    CrTaskFile file = { w->task->task_id, f->name, f->user_id, f->track_type, f->start_ms };
    g_autoptr (GError) put_error = NULL;
    if (!w->store->vt->put_file (w->store, &file, &put_error))
      g_warning ("task %s: %s", w->task->task_id, put_error->message);
    json_array_add_string_element (names, f->name);
    JsonObject *m = json_object_new ();
    json_object_set_string_member (m, "FileName", f->name);
    json_object_set_string_member (m, "UserId", f->user_id);
    json_object_set_string_member (m, "TrackType", f->track_type);
    json_object_set_string_member (m, "MediaId", f->media_id);
    json_object_set_int_member (m, "StartTimeStamp", f->start_ms);
    json_object_set_int_member (m, "EndTimeStamp", f->end_ms);
    json_array_add_object_element (messages, m);
    g_info ("task %s: %s written", w->task->task_id, f->name);
  }
  JsonObject *payload = json_object_new ();
  json_object_set_int_member (payload, "Status", ok ? 0 : 2);
  json_object_set_array_member (payload, "FileList", names);
  json_object_set_array_member (payload, "FileMessage", messages);
  worker_emit (w, CR_EVENT_MP4_STOP, payload);
  if (ok && !cr_task_spec_keeps_hls (w->spec))
    worker_remove_spool (w->hls_dir);
}

/* ---- the A/V sync report ---- */

/* The first segments of @pl covering CR_AVSYNC_SPAN_MS (at least one), as CrAvsyncFile. */
static GArray *
worker_avsync_files (const char *dir, const CrPlaylist *pl, guint medium, GPtrArray *paths)
{
  GArray *files = g_array_new (FALSE, FALSE, sizeof (CrAvsyncFile));
  gint64 begin = 0;
  for (guint i = 0; pl != NULL && i < pl->segments->len; i++) {
    const CrSegment *s = g_ptr_array_index (pl->segments, i);
    if (s->media != 0 && (s->media & medium) == 0)
      continue;
    if (files->len == 0)
      begin = s->start_ms;
    else if (s->start_ms - begin > CR_AVSYNC_SPAN_MS)
      break;
    char *path = g_build_filename (dir, s->uri, NULL);
    g_ptr_array_add (paths, path);
    CrAvsyncFile f = { path, s->start_ms };
    g_array_append_val (files, f);
  }
  return files;
}

/* "<stem>.avsync.json" beside each user's stream that has both audio and video, and beside the
 * mix (measured through it: a publisher's flashes and beeps in the mixed picture and sound). */
void
worker_write_avsync (Worker *w, const char *segment_dir)
{
  if (segment_dir == NULL)
    return;
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, w->playlists);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    const CrPlaylist *pl = value;
    const CrPlaylist *video = NULL, *audio = NULL;
    if (g_str_has_suffix (key, "/av") || pl->mixed) {
      video = audio = pl;
    } else if (g_str_has_suffix (key, "/video")) {
      g_autofree char *akey = g_strdup_printf ("%s/%s/audio", pl->user_id, pl->media_id);
      video = pl;
      audio = g_hash_table_lookup (w->playlists, akey);
    }
    if (video == NULL || audio == NULL || video->segments->len == 0 || audio->segments->len == 0)
      continue;
    g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (GArray) vfiles = worker_avsync_files (segment_dir, video, CR_SEGMENT_VIDEO, paths);
    g_autoptr (GArray) afiles = worker_avsync_files (segment_dir, audio, CR_SEGMENT_AUDIO, paths);
    CrAvsyncReport report;
    g_autoptr (GError) error = NULL;
    if (!cr_avsync_measure ((CrAvsyncFile *)vfiles->data, vfiles->len, (CrAvsyncFile *)afiles->data,
                            afiles->len, &report, &error)) {
      g_warning ("task %s: A/V sync of %s: %s", w->task->task_id, (char *)key, error->message);
      continue;
    }
    g_autofree char *stem = pl->mixed
                                ? cr_naming_mixed_stem (&w->naming)
                                : cr_naming_single_stem (&w->naming, pl->user_id,
                                                         g_strcmp0 (pl->media_id, "aux") == 0);
    g_autofree char *name = g_strconcat (stem, ".avsync.json", NULL);
    g_autofree char *path = g_build_filename (w->dir, name, NULL);
    g_autofree char *json = cr_avsync_report_to_json (&report);
    if (!cr_file_replace_durably (path, json, strlen (json), &error)) {
      g_warning ("task %s: %s", w->task->task_id, error->message);
      continue;
    }
    worker_store_file (w, name);
    g_info ("task %s: A/V sync of %s: %s", w->task->task_id, (char *)key, json);
  }
}

/* ---- the storage's end ---- */

/* The playlists as they ended (#EXT-X-ENDLIST is written when the recorder finishes, after the
 * last segment was announced). */
static GPtrArray *
worker_playlist_names (Worker *w)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = cr_task_spec_keeps_hls (w->spec) ? g_dir_open (w->dir, 0, NULL) : NULL;
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    if (g_str_has_suffix (name, ".m3u8"))
      g_ptr_array_add (names, g_strdup (name));
  }
  return names;
}

void
worker_finish_storage (Worker *w)
{
  if (w->blobs->vt->finish == NULL)
    return;
  g_autoptr (GPtrArray) playlists = worker_playlist_names (w);
  for (guint i = 0; i < playlists->len; i++)
    worker_store_file (w, g_ptr_array_index (playlists, i));
  g_autoptr (GError) error = NULL;
  if (!w->blobs->vt->finish (w->blobs, &error)) {
    g_warning ("task %s: the end of its files was not queued for upload: %s", w->task->task_id,
               error->message);
    return;
  }
  /* The queue holds the playlists' text: the spool copies are no longer needed. */
  for (guint i = 0; i < playlists->len; i++) {
    g_autofree char *path = g_build_filename (w->dir, g_ptr_array_index (playlists, i), NULL);
    g_remove (path);
  }
}
