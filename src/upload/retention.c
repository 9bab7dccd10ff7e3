/* Removing local recordings past storage-retention-days; see retention.h. */
#define _XOPEN_SOURCE 700
#include "retention.h"

#include <errno.h>
#include <ftw.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob_store.h"
#include "common/json_util.h"

struct CrRetention {
  CrTaskStore *store;
  char *storage_dir;
  gint64 keep_ms;
  gint64 swept_ms; /* finished_ms bound of the previous sweep */
};

CrRetention *
cr_retention_new (CrTaskStore *store, const char *storage_dir, gint64 keep_ms)
{
  CrRetention *r = g_new0 (CrRetention, 1);
  r->store = store;
  r->storage_dir = g_strdup (storage_dir);
  r->keep_ms = keep_ms;
  return r;
}

void
cr_retention_free (CrRetention *r)
{
  if (r == NULL)
    return;
  g_free (r->storage_dir);
  g_free (r);
}

char *
cr_retention_task_key (const CrTask *task)
{
  g_autoptr (JsonObject) params
      = task->params_json != NULL
            ? cr_json_parse_object (task->params_json, strlen (task->params_json), NULL)
            : NULL;
  JsonObject *cloud
      = cr_json_get_object (cr_json_get_object (params, "StorageParams"), "CloudStorage");
  JsonArray *prefix = cr_json_get_array (cloud, "FileNamePrefix");
  g_autoptr (GString) key = g_string_new (NULL);
  for (guint i = 0; prefix != NULL && i < json_array_get_length (prefix); i++) {
    const char *seg = json_array_get_string_element (prefix, i);
    if (seg == NULL || strchr (seg, '/') != NULL)
      return NULL;
    g_string_append_printf (key, "%s/", seg);
  }
  g_string_append (key, task->task_id);
  if (strchr (task->task_id, '/') != NULL || !cr_blob_key_is_valid (key->str))
    return NULL;
  return g_string_free (g_steal_pointer (&key), FALSE);
}

static int
remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)ftw;
  if (remove (path) != 0 && errno != ENOENT)
    g_warning ("retention: cannot remove %s: %s", path, g_strerror (errno));
  return 0;
}

/* Removes <storage>/<key> if it is a real directory inside the storage directory, then the
 * prefix directories it leaves empty. */
static gboolean
retention_remove (CrRetention *r, const char *key)
{
  g_autofree char *dir = g_build_filename (r->storage_dir, key, NULL);
  GStatBuf st;
  if (g_lstat (dir, &st) != 0 || !S_ISDIR (st.st_mode))
    return FALSE; /* nothing recorded here (object storage, VOD) or already removed */
  g_autofree char *root = realpath (r->storage_dir, NULL);
  g_autofree char *real = realpath (dir, NULL);
  g_autofree char *inside = root != NULL ? g_strconcat (root, "/", NULL) : NULL;
  if (real == NULL || inside == NULL || !g_str_has_prefix (real, inside)) {
    g_warning ("retention: %s is not inside the storage directory %s; left alone", dir,
               r->storage_dir);
    return FALSE;
  }
  /* depth first, no symbolic link followed, never into another filesystem */
  nftw (real, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  if (g_file_test (real, G_FILE_TEST_EXISTS))
    return FALSE;
  g_autofree char *parent = g_path_get_dirname (real);
  while (g_str_has_prefix (parent, inside) && g_rmdir (parent) == 0) {
    char *up = g_path_get_dirname (parent);
    g_free (parent);
    parent = up;
  }
  return TRUE;
}

guint
cr_retention_sweep (CrRetention *r, gint64 now_ms)
{
  gint64 before = now_ms - r->keep_ms;
  if (before <= r->swept_ms)
    return 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tasks = r->store->vt->list_finished (r->store, r->swept_ms, before, &error);
  if (tasks == NULL) {
    g_warning ("retention: cannot list the finished tasks: %s", error->message);
    return 0;
  }
  guint removed = 0;
  for (guint i = 0; i < tasks->len; i++) {
    const CrTask *task = g_ptr_array_index (tasks, i);
    g_autofree char *key = cr_retention_task_key (task);
    if (key != NULL && retention_remove (r, key)) {
      g_info ("retention: task %s finished %" G_GINT64_FORMAT " s ago; removed %s/%s",
              task->task_id, (now_ms - task->finished_ms) / 1000, r->storage_dir, key);
      removed++;
    }
  }
  r->swept_ms = before;
  return removed;
}
