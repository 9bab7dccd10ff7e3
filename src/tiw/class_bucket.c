/* A class's TRTC task folder in a bucket; see class_bucket.h. */
#include "tiw/class_bucket.h"

#include <string.h>

#include "files/naming.h"
#include "task/spec.h"
#include "upload/storage_target.h"

void
cr_class_folder_free (CrClassFolder *f)
{
  if (f == NULL)
    return;
  g_free (f->endpoint);
  g_free (f->region);
  g_free (f->bucket);
  g_free (f->access_key);
  g_free (f->secret_key);
  g_free (f->prefix);
  g_free (f->dir);
  g_free (f);
}

CrClassFolder *
cr_class_task_folder (CrClassRecorder *rec, guint64 app, const char *trtc)
{
  CrTaskStore *store = rec->api->store;
  g_autoptr (CrTask) task = trtc != NULL ? store->vt->lookup (store, app, trtc, NULL) : NULL;
  g_autoptr (CrTaskSpec) spec
      = task != NULL ? cr_task_spec_new_from_text (task->params_json, NULL) : NULL;
  if (spec == NULL)
    return NULL;
  CrStorageEndpoints endpoints = { { NULL } };
  cr_storage_endpoints_parse (rec->api->config->storage_endpoint, &endpoints, NULL);
  CrClassFolder *f = NULL;
  if (cr_storage_target_kind (&spec->storage, &endpoints) == CR_TARGET_S3) {
    const CrSpecStorage *st = &spec->storage;
    f = g_new0 (CrClassFolder, 1);
    f->endpoint = g_strdup (cr_storage_endpoint_url (st, &endpoints));
    f->vendor = st->vendor;
    f->region = g_strdup (st->region);
    f->bucket = g_strdup (st->bucket);
    f->access_key = g_strdup (st->access_key);
    f->secret_key = g_strdup (st->secret_key);
    CrNamingTask naming = cr_task_spec_naming (spec, task->task_id);
    f->prefix = cr_naming_dir (&naming);
    gsize n = strlen (f->prefix);
    while (n > 0 && f->prefix[n - 1] == '/')
      f->prefix[--n] = '\0';
  }
  cr_storage_endpoints_clear (&endpoints);
  return f;
}

CrS3Client *
cr_class_folder_client (const CrClassFolder *f, CrS3Loc *loc, GError **error)
{
  loc->bucket = f->bucket;
  loc->prefix = f->prefix;
  if (f->access_key == NULL || f->secret_key == NULL || f->bucket == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "s3://%s/%s: no keys", f->bucket,
                 f->prefix);
    return NULL;
  }
  CrS3Config config = { .endpoint = f->endpoint,
                        .vendor = f->vendor,
                        .region = f->region,
                        .bucket = f->bucket,
                        .access_key = f->access_key,
                        .secret_key = f->secret_key,
                        .timeout_s = 60 };
  return cr_s3_client_new (&config);
}

gboolean
cr_class_folder_fetch (const CrClassFolder *f, gboolean segments, GError **error)
{
  CrS3Loc loc;
  g_autoptr (CrS3Client) c = cr_class_folder_client (f, &loc, error);
  if (c == NULL)
    return FALSE;
  g_autoptr (GHashTable) sizes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) playlists
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (g_mkdir_with_parents (f->dir, 0755) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create %s", f->dir);
    return FALSE;
  }
  if (!cr_s3_prefix_load (c, &loc, f->dir, sizes, playlists, error)
      || (segments && !cr_s3_prefix_fetch_segments (c, &loc, f->dir, sizes, playlists, error))) {
    g_prefix_error (error, "s3://%s/%s: ", f->bucket, f->prefix);
    return FALSE;
  }
  /* the board-clock samples beside each playlist (media/sei_probe.h), where there are some */
  GHashTableIter it;
  gpointer name;
  g_hash_table_iter_init (&it, playlists);
  while (g_hash_table_iter_next (&it, &name, NULL)) {
    g_autofree char *sidecar = g_strconcat (name, ".sync.json", NULL);
    if (g_hash_table_contains (sizes, sidecar)
        && !cr_s3_prefix_fetch (c, &loc, f->dir, sidecar, error)) {
      g_prefix_error (error, "s3://%s/%s: ", f->bucket, f->prefix);
      return FALSE;
    }
  }
  return TRUE;
}

char *
cr_class_folder_sign_playlist (const CrClassFolder *f, const char *text, gint64 now_s,
                               gint64 expires_s)
{
  CrS3Loc loc;
  g_autoptr (CrS3Client) c = cr_class_folder_client (f, &loc, NULL);
  if (c == NULL)
    return NULL;
  GString *out = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    const char *l = lines[i];
    g_autofree char *uri = g_strstrip (g_strdup (l));
    if (*uri != '\0' && *uri != '#' && strstr (uri, "://") == NULL) {
      g_autofree char *key = cr_s3_loc_key (&loc, uri);
      g_autofree char *url = cr_s3_client_presign_get (c, key, now_s, expires_s);
      g_string_append (out, url);
    } else
      g_string_append (out, l);
    if (lines[i + 1] != NULL)
      g_string_append_c (out, '\n');
  }
  return g_string_free (out, FALSE);
}
