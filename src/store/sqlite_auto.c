/* Auto-recording's rows in the SQLite store (migration 6 of sqlite_store.c; task_store.h): an
 * app's template as changed through CloudrecModifyAutoRecord, with the digest of the config
 * file's template it was made against, and which tasks auto-recording launched.
 *
 * Why in the task store: the change must outlive a restart, and the auto task list joins the
 * tasks themselves (an expired task leaves the list with its row). Not a hot path: statements are
 * prepared per call. */
#include "common/api_error.h"
#include "store/sqlite_private.h"

static sqlite3_stmt *
auto_prepare (SqliteStore *self, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
    store_fail (self, error, "preparing an auto-recording statement");
    sqlite3_finalize (stmt);
    return NULL;
  }
  return stmt;
}

gboolean
sqlite_get_auto_template (CrTaskStore *store, guint64 sdk_app_id, char **template_json,
                          char **file_digest, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  *template_json = *file_digest = NULL;
  sqlite3_stmt *stmt = auto_prepare (
      self, "SELECT template_json, file_digest FROM auto_templates WHERE sdk_app_id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  int rc = sqlite3_step (stmt);
  gboolean ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
  if (rc == SQLITE_ROW) {
    *template_json = store_column_text (stmt, 0);
    *file_digest = store_column_text (stmt, 1);
  } else if (!ok) {
    store_fail (self, error, "reading the auto-recording template");
  }
  sqlite3_finalize (stmt);
  return ok;
}

gboolean
sqlite_put_auto_template (CrTaskStore *store, guint64 sdk_app_id, const char *template_json,
                          const char *file_digest, gint64 now_ms, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  sqlite3_stmt *stmt = auto_prepare (
      self,
      template_json != NULL ? "INSERT OR REPLACE INTO auto_templates (sdk_app_id, template_json, "
                              "file_digest, updated_ms) VALUES (?, ?, ?, ?)"
                            : "DELETE FROM auto_templates WHERE sdk_app_id = ?",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  if (template_json != NULL) {
    sqlite3_bind_text (stmt, 2, template_json, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 3, file_digest != NULL ? file_digest : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (stmt, 4, now_ms);
  }
  gboolean ok = sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    store_fail (self, error, "writing the auto-recording template");
  sqlite3_finalize (stmt);
  return ok;
}

gboolean
sqlite_add_auto_task (CrTaskStore *store, guint64 sdk_app_id, const char *task_id, gint64 now_ms,
                      GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  sqlite3_stmt *stmt = auto_prepare (
      self, "INSERT INTO auto_tasks (task_id, sdk_app_id, created_ms) VALUES (?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, task_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)sdk_app_id);
  sqlite3_bind_int64 (stmt, 3, now_ms);
  gboolean ok = sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    store_fail (self, error, "recording an auto task");
  sqlite3_finalize (stmt);
  return ok;
}

GPtrArray *
sqlite_list_auto_tasks (CrTaskStore *store, guint64 sdk_app_id, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  sqlite3_stmt *stmt = auto_prepare (self,
                                     "SELECT a.task_id FROM auto_tasks a JOIN tasks t "
                                     "ON t.task_id = a.task_id AND t.sdk_app_id = a.sdk_app_id "
                                     "WHERE a.sdk_app_id = ? ORDER BY a.created_ms DESC, a.task_id",
                                     error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, store_column_text (stmt, 0));
  if (rc != SQLITE_DONE) {
    store_fail (self, error, "listing auto tasks");
    sqlite3_finalize (stmt);
    return NULL;
  }
  sqlite3_finalize (stmt);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_task_free);
  for (guint i = 0; i < ids->len; i++) {
    CrTask *task = store->vt->lookup (store, sdk_app_id, g_ptr_array_index (ids, i), error);
    if (task == NULL && error != NULL && *error != NULL) {
      g_ptr_array_unref (out);
      return NULL;
    }
    if (task != NULL)
      g_ptr_array_add (out, task);
  }
  return out;
}
