/* Pictures by URL, downloaded once and fitted once; see image_cache.h. */
#include "mix/image_cache.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "common/net_filter.h"

#define IMAGE_TIMEOUT_S 5

struct _CrImageCache {
  char *dir;
  CrNetFilter *deny;
  SoupSession *http;
  GHashTable *fitted;   /* "url|WxH|mode" -> CrPicture */
  GHashTable *failures; /* URLs reported */
  GHashTable *files;    /* url -> its checked file (cr_image_cache_file) */
  CrImageFailedFunc failed;
  gpointer failed_data;
};

CrImageCache *
cr_image_cache_new (const char *dir, const char *fetch_deny, CrImageFailedFunc failed,
                    gpointer user_data, GError **error)
{
  CrNetFilter *deny
      = cr_net_filter_new (fetch_deny != NULL ? fetch_deny : CR_NET_FILTER_DEFAULT, error);
  if (deny == NULL)
    return NULL;
  CrImageCache *c = g_new0 (CrImageCache, 1);
  c->dir = g_strdup (dir);
  c->deny = deny;
  c->fitted
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)cr_picture_free);
  c->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  c->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c->failed = failed;
  c->failed_data = user_data;
  return c;
}

void
cr_image_cache_free (CrImageCache *c)
{
  if (c == NULL)
    return;
  g_clear_object (&c->http);
  cr_net_filter_free (c->deny);
  g_hash_table_unref (c->fitted);
  g_hash_table_unref (c->failures);
  g_hash_table_unref (c->files);
  g_free (c->dir);
  g_free (c);
}

/* Downloads @url to @path (through a temporary file, at most CR_IMAGE_MAX_BYTES). Never from an
 * address in fetch-deny: checked on each connection's resolved address (net_filter.h). */
static gboolean
image_download (CrImageCache *c, const char *url, const char *path, GError **error)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  if (msg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "not a URL");
    return FALSE;
  }
  if (c->http == NULL)
    c->http = soup_session_new_with_options ("timeout", IMAGE_TIMEOUT_S, NULL);
  cr_net_filter_guard_soup_message (c->deny, msg);
  g_autoptr (GError) send_error = NULL;
  g_autoptr (GInputStream) in = soup_session_send (c->http, msg, NULL, &send_error);
  if (in == NULL) {
    const char *refused = cr_net_filter_soup_refusal (msg);
    if (refused != NULL)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "%s", refused);
    else
      g_propagate_error (error, g_steal_pointer (&send_error));
    return FALSE;
  }
  guint status = soup_message_get_status (msg);
  if (status != 200) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "HTTP %u", status);
    return FALSE;
  }
  g_autoptr (GByteArray) data = g_byte_array_new ();
  guint8 chunk[16384];
  for (;;) {
    gssize n = g_input_stream_read (in, chunk, sizeof chunk, NULL, error);
    if (n < 0)
      return FALSE;
    if (n == 0)
      break;
    if (data->len + (gsize)n > CR_IMAGE_MAX_BYTES) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, "larger than %d bytes",
                   CR_IMAGE_MAX_BYTES);
      return FALSE;
    }
    g_byte_array_append (data, chunk, (guint)n);
  }
  g_mkdir_with_parents (c->dir, 0755);
  return g_file_set_contents (path, (const char *)data->data, data->len, error);
}

static void
image_failed (CrImageCache *c, const char *url, const char *why)
{
  if (!g_hash_table_add (c->failures, g_strdup (url)))
    return; /* reported already */
  if (c->failed != NULL)
    c->failed (url, why, c->failed_data);
}

const CrPicture *
cr_image_cache_get (CrImageCache *c, const char *url, int width, int height, int render_mode)
{
  if (url == NULL || *url == '\0' || width <= 0 || height <= 0
      || g_hash_table_contains (c->failures, url))
    return NULL;
  g_autofree char *key = g_strdup_printf ("%s|%dx%d|%d", url, width, height, render_mode);
  CrPicture *fitted = g_hash_table_lookup (c->fitted, key);
  if (fitted != NULL)
    return fitted;
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, url, -1);
  g_autofree char *path = g_build_filename (c->dir, hash, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) && !image_download (c, url, path, &error)) {
    image_failed (c, url, error->message);
    return NULL;
  }
  fitted = cr_picture_fit (path, width, height, render_mode, &error);
  if (fitted == NULL) {
    g_remove (path); /* a broken file is fetched again next time */
    image_failed (c, url, error->message);
    return NULL;
  }
  g_hash_table_insert (c->fitted, g_steal_pointer (&key), fitted);
  return fitted;
}

const char *
cr_image_cache_file (CrImageCache *c, const char *url, GError **error)
{
  if (url == NULL || *url == '\0') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "no URL");
    return NULL;
  }
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, url, -1);
  char *path = g_build_filename (c->dir, hash, NULL);
  g_autoptr (CrPicture) check = NULL;
  if ((!g_file_test (path, G_FILE_TEST_IS_REGULAR) && !image_download (c, url, path, error))
      || (check = cr_picture_fit (path, 2, 2, 0, error)) == NULL) {
    g_remove (path);
    g_free (path);
    return NULL;
  }
  g_hash_table_replace (c->files, g_strdup (url), path);
  return path;
}
