/* The segments a task's end reads (the A/V sync report, the MP4/AAC files), gathered in one
 * directory. See worker_private.h.
 *
 * Why: with an object store the spool lets go of a segment as soon as the store has it, so the
 * end cannot read the working directory. As the seeds describe for hls+mp4, the stored HLS is
 * pulled back: each segment still in the spool is hard-linked (the uploader may remove the spool
 * path at any moment; the link keeps the bytes), and the ones already gone are read from the
 * store by the daemon, in one call over the link (POST /internal/reads, link.h): the worker has
 * neither the store's secret nor an S3 client (bench/README.md, "Worker memory"). A segment
 * neither place has is an error naming it. For the local store and the VOD library the working
 * directory is read as it is. */
#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "common/file_util.h"
#include "common/json_util.h"
#include "link/link.h"
#include "link/link_client.h"
#include "recorder/worker_private.h"

#define GATHER_DIR ".end"
#define GATHER_TIMEOUT_S 60      /* per object, for the MP4/AAC files */
#define GATHER_SYNC_TIMEOUT_S 10 /* for the sync report alone (the store may be down) */

/* Links @uri from the spool into @dir; an ENOENT (the spool let it go) adds it to @reads
 * ({Key, Path} for the daemon) and its uri to @uris. */
static gboolean
worker_gather_one (Worker *w, const char *dir, const char *uri, JsonArray *reads, GPtrArray *uris,
                   GError **error)
{
  g_autofree char *from = g_build_filename (w->hls_dir, uri, NULL);
  g_autofree char *to = g_build_filename (dir, uri, NULL);
  if (g_file_test (to, G_FILE_TEST_EXISTS) || link (from, to) == 0)
    return TRUE;
  if (errno != ENOENT) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot link %s: %s", from,
                 g_strerror (errno));
    return FALSE;
  }
  JsonObject *o = json_object_new ();
  g_autofree char *key = g_strconcat (w->key_prefix, "/", uri, NULL);
  json_object_set_string_member (o, CR_LINK_KEY, key);
  json_object_set_string_member (o, CR_LINK_PATH, to);
  json_array_add_object_element (reads, o);
  g_ptr_array_add (uris, g_strdup (uri));
  return TRUE;
}

/* The daemon reads @reads from the task's store (in order, each bounded by @timeout_s without
 * progress); FALSE naming the first segment it could not read. */
static gboolean
worker_read_back (Worker *w, JsonArray *reads, GPtrArray *uris, long timeout_s, GError **error)
{
  g_autoptr (JsonObject) req = json_object_new ();
  json_object_set_int_member (req, CR_LINK_SDK_APP_ID, (gint64)w->task->sdk_app_id);
  json_object_set_string_member (req, CR_LINK_TASK_ID, w->task->task_id);
  json_object_set_int_member (req, CR_LINK_TIMEOUT_S, timeout_s);
  json_object_set_array_member (req, CR_LINK_OBJECTS, json_array_ref (reads));
  g_autofree char *body = cr_json_object_to_string (req);
  /* No timeout of the link's own: the daemon answers when the last read is done, and each read
   * ends within its connect bound plus @timeout_s of no progress. */
  g_autoptr (SoupSession) session = cr_link_session_new (w->o->link_path, 0);
  guint status = 0;
  g_autoptr (GError) local = NULL;
  g_autoptr (JsonObject) reply
      = cr_link_call (session, "POST", CR_LINK_PATH_READS, body, &status, &local);
  if (status == 200)
    return TRUE;
  const char *why = local != NULL ? local->message : cr_json_get_string (reply, CR_LINK_MESSAGE);
  const char *failed = cr_json_get_string (reply, CR_LINK_KEY);
  const char *uri = g_ptr_array_index (uris, 0); /* the first, when the daemon did not say */
  for (guint i = 0; failed != NULL && i < uris->len; i++)
    if (g_strcmp0 (cr_json_get_string (json_array_get_object_element (reads, i), CR_LINK_KEY),
                   failed)
        == 0)
      uri = g_ptr_array_index (uris, i);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "segment %s is neither in the spool nor in the store: %s", uri,
               why != NULL ? why : "the daemon did not answer");
  return FALSE;
}

char *
worker_gather_segments (Worker *w, gint64 span_ms, GError **error)
{
  if (w->target != CR_TARGET_S3 || !cr_task_spec_keeps_hls (w->spec))
    return g_strdup (w->hls_dir); /* in place (OutputFormat 3/4 keep their HLS in the spool) */
  g_autofree char *dir = g_build_filename (w->dir, GATHER_DIR, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot create %s: %s", dir,
                 g_strerror (errno));
    return NULL;
  }
  g_autoptr (JsonArray) reads = json_array_new ();
  g_autoptr (GPtrArray) uris = g_ptr_array_new_with_free_func (g_free);
  long timeout_s = span_ms == G_MAXINT64 ? GATHER_TIMEOUT_S : GATHER_SYNC_TIMEOUT_S;
  gboolean ok = TRUE;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, w->playlists);
  while (ok && g_hash_table_iter_next (&it, NULL, &value)) {
    const CrPlaylist *pl = value;
    gint64 begin = 0;
    for (guint i = 0; ok && i < pl->segments->len; i++) {
      const CrSegment *s = g_ptr_array_index (pl->segments, i);
      if (i == 0)
        begin = s->start_ms;
      else if (s->start_ms - begin > span_ms)
        break;
      ok = worker_gather_one (w, dir, s->uri, reads, uris, error);
    }
  }
  if (ok && uris->len > 0)
    ok = worker_read_back (w, reads, uris, timeout_s, error);
  if (!ok) {
    worker_release_segments (w, dir);
    return NULL;
  }
  return g_steal_pointer (&dir);
}

void
worker_release_segments (Worker *w, const char *dir)
{
  if (dir == NULL || g_strcmp0 (dir, w->hls_dir) == 0)
    return;
  cr_file_remove_tree (dir);
}
