/* The pictures a mixed task shows (background image, placeholders, image watermarks): each URL
 * downloaded once into the daemon's image cache, each (URL, size, render mode) fitted once. A
 * URL that cannot be downloaded or decoded is reported once with callback 309 and the recording
 * goes on without it. See mixed_private.h. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "common/net_filter.h"
#include "recorder/mixed_private.h"

#define IMAGE_MAX_BYTES (5 * 1024 * 1024) /* the seeds: at most 5 MB */

/* <data-dir>/cache/images: shared by the daemon's tasks, named by the URL's SHA-256. */
static char *
mixed_image_cache_path (Worker *w, const char *url)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, url, -1);
  return g_build_filename (w->o->data_dir, "cache", "images", hash, NULL);
}

/* Downloads @url to @path (through a temporary file, at most IMAGE_MAX_BYTES). Never from an
 * address in fetch-deny: checked on each connection's resolved address (net_filter.h). */
static gboolean
mixed_download (Worker *w, const char *url, const char *path, GError **error)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  if (msg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "not a URL");
    return FALSE;
  }
  g_autoptr (CrNetFilter) deny = cr_net_filter_new (
      w->o->fetch_deny != NULL ? w->o->fetch_deny : CR_NET_FILTER_DEFAULT, error);
  if (deny == NULL)
    return FALSE;
  cr_net_filter_guard_soup_message (deny, msg);
  g_autoptr (GError) send_error = NULL;
  g_autoptr (GInputStream) in = soup_session_send (w->http, msg, NULL, &send_error);
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
    if (data->len + (gsize)n > IMAGE_MAX_BYTES) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, "larger than %d bytes",
                   IMAGE_MAX_BYTES);
      return FALSE;
    }
    g_byte_array_append (data, chunk, (guint)n);
  }
  g_autofree char *dir = g_path_get_dirname (path);
  g_mkdir_with_parents (dir, 0755);
  return g_file_set_contents (path, (const char *)data->data, data->len, error);
}

static void
mixed_image_failed (Mixed *m, const char *url, const char *why)
{
  Worker *w = m->base.w;
  if (!g_hash_table_add (m->image_failures, g_strdup (url)))
    return; /* reported already */
  g_warning ("task %s: image %s: %s", w->task->task_id, url, why);
  JsonObject *payload = json_object_new ();
  json_object_set_string_member (payload, "Url", url);
  worker_emit (w, CR_EVENT_DOWNLOAD_IMAGE_ERROR, payload);
}

const CrPicture *
mixed_picture (Mixed *m, const char *url, int width, int height, int render_mode)
{
  Worker *w = m->base.w;
  if (url == NULL || *url == '\0' || width <= 0 || height <= 0
      || g_hash_table_contains (m->image_failures, url))
    return NULL;
  g_autofree char *key = g_strdup_printf ("%s|%dx%d|%d", url, width, height, render_mode);
  CrPicture *fitted = g_hash_table_lookup (m->pictures, key);
  if (fitted != NULL)
    return fitted;
  g_autofree char *path = mixed_image_cache_path (w, url);
  g_autoptr (GError) error = NULL;
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) && !mixed_download (w, url, path, &error)) {
    mixed_image_failed (m, url, error->message);
    return NULL;
  }
  fitted = cr_picture_fit (path, width, height, render_mode, &error);
  if (fitted == NULL) {
    g_remove (path); /* a broken file is fetched again by the next task */
    mixed_image_failed (m, url, error->message);
    return NULL;
  }
  g_hash_table_insert (m->pictures, g_steal_pointer (&key), fitted);
  return fitted;
}
