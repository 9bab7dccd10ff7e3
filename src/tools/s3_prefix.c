/* Recordings under an S3 prefix; see s3_prefix.h. */
#include "tools/s3_prefix.h"

#include <glib/gstdio.h>
#include <string.h>

#define PART_SIZE (16 * 1024 * 1024)
#define PUT_TRIES 3

gboolean
cr_s3_loc_parse (const char *url, CrS3Loc *loc)
{
  if (!g_str_has_prefix (url, "s3://"))
    return FALSE;
  const char *b = url + 5, *slash = strchr (b, '/');
  loc->bucket = slash ? g_strndup (b, slash - b) : g_strdup (b);
  loc->prefix = g_strdup (slash ? slash + 1 : "");
  gsize n = strlen (loc->prefix);
  while (n > 0 && loc->prefix[n - 1] == '/')
    loc->prefix[--n] = '\0';
  return loc->bucket[0] != '\0';
}

void
cr_s3_loc_clear (CrS3Loc *loc)
{
  g_clear_pointer (&loc->bucket, g_free);
  g_clear_pointer (&loc->prefix, g_free);
}

char *
cr_s3_loc_key (const CrS3Loc *loc, const char *name)
{
  return loc->prefix[0] ? g_strconcat (loc->prefix, "/", name, NULL) : g_strdup (name);
}

CrS3Client *
cr_s3_client_from_env (const CrS3Loc *loc, const char *endpoint, int vendor, const char *region,
                       GError **error)
{
  const char *ak = g_getenv ("AWS_ACCESS_KEY_ID"), *sk = g_getenv ("AWS_SECRET_ACCESS_KEY");
  if (ak == NULL || sk == NULL || !*ak || !*sk) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "s3://: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    return NULL;
  }
  CrS3Config cfg = { .endpoint = endpoint,
                     .vendor = vendor,
                     .region = region,
                     .bucket = loc->bucket,
                     .access_key = ak,
                     .secret_key = sk,
                     .timeout_s = 60 };
  return cr_s3_client_new (&cfg);
}

gboolean
cr_s3_prefix_load (CrS3Client *c, const CrS3Loc *loc, const char *tmp, GHashTable *sizes,
                   GHashTable *playlists, GError **error)
{
  g_autoptr (GPtrArray) objs = cr_s3_list_objects (c, loc->prefix, error);
  if (objs == NULL)
    return FALSE;
  gsize plen = loc->prefix[0] ? strlen (loc->prefix) + 1 : 0;
  for (guint i = 0; i < objs->len; i++) {
    const CrS3Object *o = g_ptr_array_index (objs, i);
    if (plen > 0 && (!g_str_has_prefix (o->key, loc->prefix) || o->key[plen - 1] != '/'))
      continue;
    const char *name = o->key + plen;
    if (*name == '\0' || strchr (name, '/') != NULL)
      continue;
    g_hash_table_insert (sizes, g_strdup (name), g_memdup2 (&o->size, sizeof o->size));
    if (g_str_has_suffix (name, ".m3u8")) {
      g_autofree char *path = g_build_filename (tmp, name, NULL);
      char *text = NULL;
      if (!cr_s3_get_file (c, o->key, path, error)
          || !g_file_get_contents (path, &text, NULL, error)) {
        g_prefix_error (error, "%s: ", o->key);
        return FALSE;
      }
      g_hash_table_insert (playlists, g_strdup (name), text);
    }
  }
  return TRUE;
}

gboolean
cr_s3_prefix_fetch (CrS3Client *c, const CrS3Loc *loc, const char *tmp, const char *name,
                    GError **error)
{
  g_autofree char *key = cr_s3_loc_key (loc, name);
  g_autofree char *path = g_build_filename (tmp, name, NULL);
  if (!cr_s3_get_file (c, key, path, error)) {
    g_prefix_error (error, "%s: ", key);
    return FALSE;
  }
  return TRUE;
}

gboolean
cr_s3_prefix_fetch_segments (CrS3Client *c, const CrS3Loc *loc, const char *tmp, GHashTable *sizes,
                             GHashTable *playlists, GError **error)
{
  g_autoptr (GHashTable) done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter it;
  gpointer text;
  g_hash_table_iter_init (&it, playlists);
  while (g_hash_table_iter_next (&it, NULL, &text)) {
    if (strstr (text, "#EXT-X-TRTC-USER-ID:") == NULL
        || strstr (text, "#EXT-X-TRTC-MIX-STREAM:1") != NULL)
      continue; /* not a single-stream playlist */
    g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
    for (char **l = lines; *l != NULL; l++) {
      const char *name = g_strstrip (*l);
      if (*name == '\0' || *name == '#' || strchr (name, '/') != NULL
          || !g_hash_table_contains (sizes, name) || g_hash_table_contains (done, name))
        continue;
      if (!cr_s3_prefix_fetch (c, loc, tmp, name, error))
        return FALSE;
      g_hash_table_add (done, g_strdup (name));
    }
  }
  return TRUE;
}

gboolean
cr_s3_prefix_put (CrS3Client *c, const CrS3Loc *loc, const char *name, const char *path,
                  GError **error)
{
  g_autofree char *key = cr_s3_loc_key (loc, name);
  const char *type = g_str_has_suffix (name, ".m4a") ? "audio/mp4" : "video/mp4";
  GStatBuf st;
  gboolean ok;
  if (g_stat (path, &st) == 0 && st.st_size > PART_SIZE) {
    /* As the uploader: the parts already stored (same size and MD5) are kept on a retry. */
    g_autofree char *upload_id = NULL;
    ok = FALSE;
    for (int i = 0; i < PUT_TRIES && !ok; i++) {
      if (i > 0) {
        g_warning ("uploading %s: %s; resuming", key, (*error)->message);
        g_clear_error (error);
      }
      ok = cr_s3_put_file_multipart (c, key, path, PART_SIZE, &upload_id, NULL, NULL, error);
    }
  } else
    ok = cr_s3_put_file (c, key, path, type, NULL, error);
  if (!ok)
    g_prefix_error (error, "uploading %s: ", key);
  return ok;
}

