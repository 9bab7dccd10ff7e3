/* The end of a one-call task (docs/record-once.md): one MP3 or MP4 per anchor, stored as
 * "<Path>/<room>/<UserId>_<UTC>.<ext>", and the worker's report of them (event 390) from which
 * the daemon posts the seed's result once the uploads are done. See worker_private.h. */
#include <glib/gstdio.h>
#include <string.h>

#include "files/outputs.h"
#include "media/mp3.h"
#include "recorder/worker_private.h"
#include "task/record_once.h"

static void
once_add (JsonArray *files, const char *user_id, const char *url, gboolean ok, const char *message)
{
  JsonObject *f = json_object_new ();
  json_object_set_string_member (f, "UserId", user_id);
  json_object_set_string_member (f, "RecordFile", url != NULL ? url : "");
  json_object_set_int_member (f, "Status", ok ? 1 : 0);
  json_object_set_string_member (f, "Message", message);
  json_array_add_object_element (files, f);
}

/* The URL a stored object is reached at; a file:// URI in the local store. */
static char *
once_url (Worker *w, const char *key)
{
  if (w->target == CR_TARGET_LOCAL) {
    g_autofree char *path = g_build_filename (w->o->storage_dir, key, NULL);
    return g_filename_to_uri (path, NULL, NULL);
  }
  const CrSpecStorage *s = &w->spec->storage;
  return cr_once_object_url (cr_storage_endpoint_url (s, &w->endpoints), s->vendor, s->region,
                             s->bucket, key);
}

/* One output file @f of the recording: made an MP3 (audio mode) or renamed, stored under its
 * one-call key, reported in @files. */
static void
once_store (Worker *w, const CrOutputFile *f, JsonArray *files)
{
  const CrSpecOnce *once = w->spec->once;
  g_autofree char *key
      = cr_once_object_key (once->path, w->spec->room_id, f->user_id, f->start_ms, once->format);
  g_autofree char *name = g_path_get_basename (key);
  g_autofree char *written = g_build_filename (w->dir, f->name, NULL);
  g_autofree char *path = g_build_filename (w->dir, name, NULL);
  g_autoptr (GError) error = NULL;
  if (strcmp (once->format, "mp3") == 0) {
    gboolean ok = cr_mp3_transcode (written, path, &error);
    g_remove (written);
    if (!ok) {
      g_warning ("task %s: %s: %s", w->task->task_id, name, error->message);
      g_autofree char *message = g_strdup_printf ("transcoding failed: %s", error->message);
      once_add (files, f->user_id, NULL, FALSE, message);
      return;
    }
  } else if (g_rename (written, path) != 0) {
    g_autofree char *message
        = g_strdup_printf ("recording failed: cannot rename %s: %s", f->name, g_strerror (errno));
    once_add (files, f->user_id, NULL, FALSE, message);
    return;
  }
  g_autofree char *url = once_url (w, key);
  if (!w->blobs->vt->put_file (w->blobs, key, path, &error)) {
    g_warning ("task %s: %s", w->task->task_id, error->message);
    g_autofree char *message = g_strdup_printf ("writing to storage failed: %s", error->message);
    once_add (files, f->user_id, url, FALSE, message);
    return;
  }
  worker_add_file (w, name, f->user_id, f->track_type, f->media_id, once->format, f->start_ms);
  g_info ("task %s: %s written as %s", w->task->task_id, name, key);
  once_add (files, f->user_id, url, TRUE, "success");
}

void
worker_once_write (Worker *w, const char *segment_dir, const GError *gather_error)
{
  /* Every anchor recorded (a playlist with segments), in the order first seen. */
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, w->playlists);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    const CrPlaylist *pl = value;
    if (pl->user_id != NULL && pl->segments->len > 0
        && !g_ptr_array_find_with_equal_func (users, pl->user_id, g_str_equal, NULL))
      g_ptr_array_add (users, g_strdup (pl->user_id));
  }
  JsonArray *files = json_array_new ();
  g_autoptr (GPtrArray) written
      = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_output_file_free);
  g_autoptr (GError) error = NULL;
  gboolean ok = FALSE;
  if (segment_dir != NULL) {
    CrOutputOptions oo
        = { segment_dir,          w->dir,
            &w->naming,           w->spec->output_format,
            w->spec->max_file_ms, w->o->max_file_bytes ? w->o->max_file_bytes : CR_OUTPUT_MAX_BYTES,
            w->playlists };
    ok = cr_outputs_write (&oo, written, &error);
    if (!ok)
      g_warning ("task %s: %s", w->task->task_id, error->message);
  }
  for (guint i = 0; i < written->len; i++)
    once_store (w, g_ptr_array_index (written, i), files);
  /* An anchor without any file: its recording failed. */
  for (guint i = 0; i < users->len; i++) {
    const char *user = g_ptr_array_index (users, i);
    gboolean has = FALSE;
    for (guint j = 0; j < written->len && !has; j++)
      has = g_strcmp0 (((CrOutputFile *)g_ptr_array_index (written, j))->user_id, user) == 0;
    if (has)
      continue;
    const char *why = segment_dir == NULL ? gather_error->message
                      : error != NULL     ? error->message
                                          : "no file was written";
    g_autofree char *message = g_strdup_printf ("recording failed: %s", why);
    once_add (files, user, NULL, FALSE, message);
  }
  if (ok)
    worker_remove_hls (w->hls_dir);
  JsonObject *payload = json_object_new ();
  json_object_set_array_member (payload, "Files", files);
  worker_emit (w, (CrEventType)CR_EVENT_ONCE_FILES, payload);
}
