/* The segments a task's end reads (the A/V sync report, the MP4/AAC files), gathered in one
 * directory. See worker_private.h.
 *
 * Why: with an object store the spool lets go of a segment as soon as the store has it, so the
 * end cannot read the working directory. As the seeds describe for hls+mp4, the stored HLS is
 * pulled back: each segment still in the spool is hard-linked (the uploader may remove the spool
 * path at any moment; the link keeps the bytes), each one already gone is downloaded from the
 * store. A segment neither place has is an error naming it. For the local store and the VOD
 * library the working directory is read as it is. */
#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "blob/s3_client.h"
#include "recorder/worker_private.h"

#define GATHER_DIR ".end"
#define GATHER_TIMEOUT_S 60      /* per request, for the MP4/AAC files */
#define GATHER_SYNC_TIMEOUT_S 10 /* for the sync report alone (the store may be down) */

static CrS3Client *
worker_s3_client (Worker *w, long timeout_s)
{
  const CrSpecStorage *s = &w->spec->storage;
  CrS3Config config = { cr_storage_endpoint_url (s, &w->endpoints),
                        s->vendor,
                        s->region,
                        s->bucket,
                        s->access_key,
                        s->secret_key,
                        timeout_s,
                        0 };
  return cr_s3_client_new (&config);
}

static gboolean
worker_gather_one (Worker *w, CrS3Client **client, long timeout_s, const char *dir,
                   const char *uri, GError **error)
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
  if (*client == NULL)
    *client = worker_s3_client (w, timeout_s);
  g_autofree char *key = g_strconcat (w->key_prefix, "/", uri, NULL);
  g_autoptr (GError) local = NULL;
  if (!cr_s3_get_file (*client, key, to, &local)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "segment %s is neither in the spool nor in the store: %s", uri, local->message);
    return FALSE;
  }
  return TRUE;
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
  CrS3Client *client = NULL;
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
      ok = worker_gather_one (w, &client, timeout_s, dir, s->uri, error);
    }
  }
  cr_s3_client_free (client);
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
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    g_remove (path);
  }
  g_rmdir (dir);
}
