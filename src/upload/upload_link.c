/* POST /internal/uploads: a worker hands a spooled file, a playlist's text or the end of its
 * files to the uploader (link.h). The row is in the queue, durably, when the call returns 200;
 * a file that would take the spool past `spool-max-mb` gets 507 and the worker keeps it and
 * offers it again (the task's 308 says SpoolFull once). */
#include <gio/gio.h>

#include "blob/blob_store.h"
#include "common/json_util.h"
#include "link/link.h"
#include "link/link_reply.h"
#include "metrics/metrics.h"
#include "upload/upload_private.h"

gboolean
upload_path_in_spool (CrUploader *up, const char *path)
{
  g_autofree char *root = cr_storage_spool_root (up->config->data_dir);
  g_autofree char *croot = g_canonicalize_filename (root, NULL);
  g_autofree char *cpath = g_canonicalize_filename (path, NULL);
  g_autofree char *prefix = g_strconcat (croot, G_DIR_SEPARATOR_S, NULL);
  return g_path_is_absolute (path) && strcmp (cpath, path) == 0 && g_str_has_prefix (cpath, prefix);
}

static void
upload_link_handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                    gpointer data)
{
  CrUploader *up = data;
  (void)soup, (void)path, (void)query;
  g_autoptr (JsonObject) req = cr_link_post_object (msg);
  if (req == NULL)
    return;
  gint64 app = 0;
  const char *task_id = cr_json_get_string (req, CR_LINK_TASK_ID);
  const char *key = cr_json_get_string (req, CR_LINK_KEY);
  const char *kind = cr_json_get_string (req, CR_LINK_KIND);
  const char *file = cr_json_get_string (req, CR_LINK_PATH);
  const char *content = cr_json_get_string (req, CR_LINK_CONTENT);
  CrUpload row = { 0 };
  if (g_strcmp0 (kind, CR_LINK_KIND_FILE) == 0 && file != NULL)
    row.kind = CR_UPLOAD_FILE;
  else if (g_strcmp0 (kind, CR_LINK_KIND_PLAYLIST) == 0 && content != NULL)
    row.kind = CR_UPLOAD_PLAYLIST;
  else if (g_strcmp0 (kind, CR_LINK_KIND_END) == 0)
    row.kind = CR_UPLOAD_END;
  else
    kind = NULL;
  if (!cr_json_get_int (req, CR_LINK_SDK_APP_ID, &app) || app <= 0 || task_id == NULL
      || kind == NULL || !cr_blob_key_is_valid (key)) {
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                         "expected {SdkAppId, TaskId, Key, Kind: file (with Path) | playlist "
                         "(with Content) | end}");
    return;
  }
  g_autoptr (CrTask) task = cr_link_lookup_task (msg, up->store, (guint64)app, task_id);
  if (task == NULL)
    return;
  g_autoptr (GError) error = NULL;
  row.sdk_app_id = (guint64)app;
  row.task_id = (char *)task_id;
  row.object_key = (char *)key;
  g_autoptr (GBytes) bytes = NULL;
  if (row.kind == CR_UPLOAD_FILE) {
    GStatBuf st;
    if (!upload_path_in_spool (up, file) || g_stat (file, &st) != 0 || !S_ISREG (st.st_mode)) {
      cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                           "Path must be an existing file in the spool");
      return;
    }
    row.path = (char *)file;
    row.size = st.st_size;
    gint64 spooled = up->queue->vt->spooled_bytes (up->queue, &error);
    if (spooled < 0) {
      cr_link_reply_store_error (msg, error);
      return;
    }
    gboolean force = cr_json_get_bool (req, CR_LINK_FORCE);
    if (!force && spooled + row.size > up->config->spool_max_mb * 1024 * 1024) {
      TaskUploads *t = uploader_task (up, row.sdk_app_id, task_id, TRUE);
      g_autofree char *text = g_strdup_printf (
          "the upload spool holds %" G_GINT64_FORMAT " MiB waiting for storage, the limit "
          "(spool-max-mb) is %" G_GINT64_FORMAT " MiB; %s waits in the spool",
          spooled / (1024 * 1024), up->config->spool_max_mb, key);
      if (!t->spool_full) {
        t->spool_full = TRUE;
        g_warning ("task %s: %s", task_id, text);
        uploader_emit_error (up, t, CR_LINK_SPOOL_FULL, text);
      }
      cr_link_reply_error (msg, SOUP_STATUS_INSUFFICIENT_STORAGE, CR_LINK_SPOOL_FULL, text);
      return;
    }
  } else if (row.kind == CR_UPLOAD_END && file != NULL) {
    if (!upload_path_in_spool (up, file)) {
      cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                           "Path must be the task's directory in the spool");
      return;
    }
    row.path = (char *)file;
  } else if (row.kind == CR_UPLOAD_PLAYLIST) {
    bytes = g_bytes_new (content, strlen (content));
    row.content = bytes;
    row.size = (gint64)strlen (content);
  }
  if (!uploader_add (up, &row, &error)) {
    cr_link_reply_store_error (msg, error);
    return;
  }
  if (row.kind == CR_UPLOAD_FILE) {
    cr_metrics_add ("cloudrec_spooled_bytes_total", NULL, (double)row.size);
    TaskUploads *t = uploader_task (up, row.sdk_app_id, task_id, FALSE);
    if (t != NULL)
      t->spool_full = FALSE;
  }
  g_autoptr (JsonObject) o = json_object_new ();
  json_object_set_int_member (o, "Id", row.id);
  cr_link_reply (msg, SOUP_STATUS_OK, o);
}

void
upload_link_register (CrUploader *up)
{
  cr_link_server_add_handler (up->link, CR_LINK_PATH_UPLOADS, upload_link_handle, up);
}

void
upload_link_unregister (CrUploader *up)
{
  cr_link_server_remove_handler (up->link, CR_LINK_PATH_UPLOADS);
}
