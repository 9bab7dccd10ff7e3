/* What a task leaves when it ends besides its HLS: the MP4/AAC files of the OutputFormat (with
 * the 310 callback) and the A/V sync reports. See worker_private.h. */
#include <glib/gstdio.h>
#include <string.h>

#include "media/avsync.h"
#include "media/mp3.h"
#include "files/naming.h"
#include "files/outputs.h"
#include "common/json_util.h"
#include "link/link.h"
#include "recorder/worker_private.h"

/* ---- MP4 / AAC (OutputFormat 1-4) ---- */

/* Removes a working HLS (OutputFormat 3/4, one-call recording): its segments and playlists, then
 * the directory. */
void
worker_remove_hls (const char *dir)
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

/* The output @name as the task wants it: an AAC file made an MP3 beside it (CR_SPEC_AUDIO_MP3),
 * the AAC removed; else, or if the transcode fails (the AAC is kept and said), @name. */
static char *
worker_audio_as_mp3 (Worker *w, const char *name)
{
  if (!w->spec->audio_mp3 || !g_str_has_suffix (name, ".aac"))
    return g_strdup (name);
  g_autofree char *stem = g_strndup (name, strlen (name) - 4);
  g_autofree char *mp3 = g_strconcat (stem, ".mp3", NULL);
  g_autofree char *in = g_build_filename (w->dir, name, NULL);
  g_autofree char *out = g_build_filename (w->dir, mp3, NULL);
  g_autoptr (GError) error = NULL;
  if (!cr_mp3_transcode (in, out, &error)) {
    g_warning ("task %s: %s stays AAC: %s", w->task->task_id, name, error->message);
    return g_strdup (name);
  }
  g_remove (in);
  return g_steal_pointer (&mp3);
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
      = { segment_dir,          w->dir,
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
    g_autofree char *name = worker_audio_as_mp3 (w, f->name);
    if (w->target != CR_TARGET_VOD && !worker_store_file (w, name)) {
      ok = FALSE;
      continue;
    }
    const char *format = g_str_has_suffix (name, ".mp4")   ? "mp4"
                         : g_str_has_suffix (name, ".mp3") ? "mp3"
                                                           : "aac";
    worker_add_file (w, name, f->user_id, f->track_type, f->media_id, format, f->start_ms);
    json_array_add_string_element (names, name);
    JsonObject *m = json_object_new ();
    json_object_set_string_member (m, "FileName", name);
    json_object_set_string_member (m, "UserId", f->user_id);
    json_object_set_string_member (m, "TrackType", f->track_type);
    json_object_set_string_member (m, "MediaId", f->media_id);
    json_object_set_int_member (m, "StartTimeStamp", f->start_ms);
    json_object_set_int_member (m, "EndTimeStamp", f->end_ms);
    json_array_add_object_element (messages, m);
    g_info ("task %s: %s written", w->task->task_id, name);
  }
  JsonObject *payload = json_object_new ();
  json_object_set_int_member (payload, "Status", ok ? 0 : 2);
  json_object_set_array_member (payload, "FileList", names);
  json_object_set_array_member (payload, "FileMessage", messages);
  if (w->target != CR_TARGET_VOD) /* VOD reports each file with 311 instead */
    worker_emit (w, CR_EVENT_MP4_STOP, payload);
  else
    json_object_unref (payload);
  if (ok && !cr_task_spec_keeps_hls (w->spec))
    worker_remove_hls (w->hls_dir);
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

/* The request's TencentVod members a VOD callback echoes (SubAppId, Procedure,
 * UserDefineRecordId, SessionContext), where given. */
static void
worker_vod_echo (Worker *w, JsonObject *into)
{
  g_autoptr (JsonObject) vod
      = cr_json_parse_object (w->spec->storage.vod_json, strlen (w->spec->storage.vod_json), NULL);
  static const char *const echoed[]
      = { "SubAppId", "Procedure", "UserDefineRecordId", "SessionContext" };
  for (guint i = 0; vod != NULL && i < G_N_ELEMENTS (echoed); i++) {
    JsonNode *n = json_object_get_member (vod, echoed[i]);
    if (n != NULL && !JSON_NODE_HOLDS_NULL (n))
      json_object_set_member (into, echoed[i], json_node_copy (n));
  }
}

/* Hands one file to the VOD library through the daemon and reports it (311). */
static gboolean
worker_commit_vod_file (Worker *w, const CrWorkerFile *f)
{
  g_autoptr (JsonObject) req = json_object_new ();
  g_autofree char *path = g_build_filename (w->dir, f->name, NULL);
  json_object_set_string_member (req, CR_LINK_PATH, path);
  json_object_set_string_member (req, CR_LINK_KIND, f->kind);
  json_object_set_string_member (req, CR_LINK_NAME, f->name);
  json_object_set_string_member (req, CR_LINK_USER_ID, f->user_id);
  json_object_set_string_member (req, CR_LINK_TRACK_TYPE, f->track_type);
  json_object_set_string_member (req, CR_LINK_MEDIA_ID, f->media_id);
  JsonObject *vod
      = cr_json_parse_object (w->spec->storage.vod_json, strlen (w->spec->storage.vod_json), NULL);
  if (vod != NULL)
    json_object_set_object_member (req, CR_LINK_TENCENT_VOD, vod);
  g_autofree char *body = cr_json_object_to_string (req);
  g_autofree char *url = g_strdup_printf (CR_LINK_PATH_VOD "/%" G_GUINT64_FORMAT "/%s",
                                          w->task->sdk_app_id, w->task->task_id);
  guint status = 0;
  g_autoptr (JsonObject) reply = worker_call (w, "POST", url, body, &status);
  gboolean ok = status == SOUP_STATUS_OK && reply != NULL;
  JsonObject *info = json_object_new ();
  json_object_set_string_member (info, "UserId", f->user_id);
  json_object_set_string_member (info, "TrackType", f->track_type);
  json_object_set_string_member (info, "MediaId", f->media_id);
  json_object_set_string_member (info, "FileId",
                                 ok ? cr_json_get_string (reply, CR_LINK_FILE_ID) : "");
  json_object_set_string_member (info, "VideoUrl",
                                 ok ? cr_json_get_string (reply, CR_LINK_VIDEO_URL) : "");
  json_object_set_string_member (info, "CacheFile",
                                 ok ? cr_json_get_string (reply, CR_LINK_CACHE_FILE) : f->name);
  worker_vod_echo (w, info);
  JsonObject *payload = json_object_new ();
  json_object_set_int_member (payload, "Status", ok ? 0 : 2);
  const char *message = reply != NULL ? cr_json_get_string (reply, CR_LINK_MESSAGE) : NULL;
  json_object_set_string_member (
      payload, "Errmsg", ok ? "" : (message != NULL ? message : "the VOD library is unreachable"));
  json_object_set_object_member (payload, "TencentVod", info);
  worker_emit (w, CR_EVENT_VOD_COMMIT, payload);
  if (!ok)
    g_warning ("task %s: %s not committed to the VOD library (%u)", w->task->task_id, f->name,
               status);
  return ok;
}

/* Removes the task's directory in the spool (its files are in the library now). */
static void
worker_remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_DIR))
      worker_remove_dir (path);
    else
      g_remove (path);
  }
  g_rmdir (dir);
}

/* CloudVod: every playlist and MP4/AAC file into the library (311 each), then 312. Files that
 * could not be committed stay in the spool. */
static void
worker_commit_vod (Worker *w)
{
  gboolean ok = TRUE;
  for (guint i = 0; i < w->files->len; i++)
    ok = worker_commit_vod_file (w, g_ptr_array_index (w->files, i)) && ok;
  JsonObject *payload = json_object_new ();
  json_object_set_int_member (payload, "Status", ok ? 0 : 1);
  JsonObject *echo = json_object_new ();
  worker_vod_echo (w, echo);
  json_object_set_object_member (payload, "TencentVod", echo);
  worker_emit (w, CR_EVENT_VOD_STOP, payload);
  if (ok)
    worker_remove_dir (w->dir);
}

void
worker_finish_storage (Worker *w)
{
  if (w->target == CR_TARGET_VOD) {
    worker_commit_vod (w);
    return;
  }
  if (w->blobs->vt->finish == NULL)
    return;
  g_autoptr (GPtrArray) playlists = worker_playlist_names (w);
  for (guint i = 0; i < playlists->len; i++) {
    const char *name = g_ptr_array_index (playlists, i);
    worker_store_file (w, name);
    /* its board-clock samples (video-generation mode): what places it on the board's clock
     * where the class is replayed or made into videos from the bucket */
    g_autofree char *sidecar = g_strconcat (name, ".sync.json", NULL);
    g_autofree char *sidecar_path = g_build_filename (w->dir, sidecar, NULL);
    if (g_file_test (sidecar_path, G_FILE_TEST_IS_REGULAR))
      worker_store_file (w, sidecar);
  }
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
