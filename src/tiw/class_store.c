/* See class_store.h. */
#include "class_store.h"

#include <sqlite3.h>

#include "common/api_error.h"

#define DB_ERROR "InternalError.DBError"
#define BUSY_TIMEOUT_MS 5000
#define ROW_COLUMNS                                                                                \
  "task_id, sdk_app_id, record_user_id, state, created_ms, updated_ms, record_json, "              \
  "local_until_ms"

struct _CrClassStore {
  sqlite3 *db;
};

void
cr_class_row_free (CrClassRow *row)
{
  if (row == NULL)
    return;
  g_free (row->task_id);
  g_free (row->record_user_id);
  g_free (row->state);
  g_free (row->record_json);
  g_free (row);
}

static gboolean
class_fail (CrClassStore *store, const char *what, GError **error)
{
  cr_api_error_set (error, DB_ERROR, "class recording: %s failed: %s", what,
                    sqlite3_errmsg (store->db));
  return FALSE;
}

CrClassStore *
cr_class_store_open (const char *path, GError **error)
{
  CrClassStore *store = g_new0 (CrClassStore, 1);
  if (sqlite3_open_v2 (path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
      != SQLITE_OK) {
    cr_api_error_set (error, DB_ERROR, "class recording: cannot open %s: %s", path,
                      store->db != NULL ? sqlite3_errmsg (store->db) : "out of memory");
    cr_class_store_close (store);
    return NULL;
  }
  sqlite3_busy_timeout (store->db, BUSY_TIMEOUT_MS);
  if (sqlite3_exec (store->db, "SELECT 1 FROM class_records LIMIT 0", NULL, NULL, NULL)
      != SQLITE_OK) {
    class_fail (store, "finding the class_records table", error);
    cr_class_store_close (store);
    return NULL;
  }
  return store;
}

void
cr_class_store_close (CrClassStore *store)
{
  if (store == NULL)
    return;
  sqlite3_close (store->db);
  g_free (store);
}

static char *
column_text (sqlite3_stmt *stmt, int i)
{
  const unsigned char *t = sqlite3_column_text (stmt, i);
  return g_strdup (t != NULL ? (const char *)t : "");
}

static CrClassRow *
row_from (sqlite3_stmt *stmt)
{
  CrClassRow *r = g_new0 (CrClassRow, 1);
  r->task_id = column_text (stmt, 0);
  r->sdk_app_id = (guint64)sqlite3_column_int64 (stmt, 1);
  r->record_user_id = column_text (stmt, 2);
  r->state = column_text (stmt, 3);
  r->created_ms = sqlite3_column_int64 (stmt, 4);
  r->updated_ms = sqlite3_column_int64 (stmt, 5);
  r->record_json = column_text (stmt, 6);
  r->local_until_ms = sqlite3_column_int64 (stmt, 7);
  return r;
}

gboolean
cr_class_store_put (CrClassStore *store, const CrClassRow *row, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db,
                          "INSERT OR REPLACE INTO class_records (" ROW_COLUMNS
                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                          -1, &stmt, NULL)
      != SQLITE_OK)
    return class_fail (store, "preparing the write", error);
  sqlite3_bind_text (stmt, 1, row->task_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)row->sdk_app_id);
  sqlite3_bind_text (stmt, 3, row->record_user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, row->state, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, row->created_ms);
  sqlite3_bind_int64 (stmt, 6, row->updated_ms);
  sqlite3_bind_text (stmt, 7, row->record_json, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 8, row->local_until_ms);
  gboolean ok = sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    class_fail (store, "writing a class task", error);
  sqlite3_finalize (stmt);
  return ok;
}

CrClassRow *
cr_class_store_get (CrClassStore *store, guint64 sdk_app_id, const char *task_id, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db,
                          "SELECT " ROW_COLUMNS
                          " FROM class_records WHERE task_id = ?1 AND sdk_app_id = ?2",
                          -1, &stmt, NULL)
      != SQLITE_OK) {
    class_fail (store, "preparing the read", error);
    return NULL;
  }
  sqlite3_bind_text (stmt, 1, task_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)sdk_app_id);
  CrClassRow *row = NULL;
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    row = row_from (stmt);
  else if (rc != SQLITE_DONE)
    class_fail (store, "reading a class task", error);
  sqlite3_finalize (stmt);
  return row;
}

static GPtrArray *
class_list (CrClassStore *store, const char *where, gint64 bound, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  g_autofree char *sql = g_strdup_printf (
      "SELECT " ROW_COLUMNS " FROM class_records WHERE %s ORDER BY created_ms, task_id", where);
  if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
    class_fail (store, "preparing the list", error);
    return NULL;
  }
  if (bound != 0)
    sqlite3_bind_int64 (stmt, 1, bound);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_class_row_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, row_from (stmt));
  if (rc != SQLITE_DONE) {
    class_fail (store, "listing the class tasks", error);
    g_clear_pointer (&rows, g_ptr_array_unref);
  }
  sqlite3_finalize (stmt);
  return rows;
}

GPtrArray *
cr_class_store_list_unfinished (CrClassStore *store, GError **error)
{
  return class_list (store, "state != 'FINISHED'", 0, error);
}

GPtrArray *
cr_class_store_list_expired (CrClassStore *store, gint64 now_ms, GError **error)
{
  return class_list (store, "local_until_ms > 0 AND local_until_ms <= ?1", now_ms, error);
}

gboolean
cr_class_store_get_callback (CrClassStore *store, guint64 sdk_app_id, char **url, char **key,
                             GError **error)
{
  *url = g_strdup ("");
  *key = g_strdup ("");
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (
          store->db, "SELECT callback, callback_key FROM class_callbacks WHERE sdk_app_id = ?1", -1,
          &stmt, NULL)
      != SQLITE_OK)
    return class_fail (store, "preparing the callback read", error);
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW) {
    g_free (*url);
    g_free (*key);
    *url = column_text (stmt, 0);
    *key = column_text (stmt, 1);
  }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return class_fail (store, "reading the callback", error);
  return TRUE;
}

gboolean
cr_class_store_set_callback (CrClassStore *store, guint64 sdk_app_id, const char *url,
                             const char *key, GError **error)
{
  g_autofree char *old_url = NULL, *old_key = NULL;
  if (!cr_class_store_get_callback (store, sdk_app_id, &old_url, &old_key, error))
    return FALSE;
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db,
                          "INSERT OR REPLACE INTO class_callbacks (sdk_app_id, callback, "
                          "callback_key) VALUES (?1, ?2, ?3)",
                          -1, &stmt, NULL)
      != SQLITE_OK)
    return class_fail (store, "preparing the callback write", error);
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  sqlite3_bind_text (stmt, 2, url != NULL ? url : old_url, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, key != NULL ? key : old_key, -1, SQLITE_STATIC);
  gboolean ok = sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    class_fail (store, "writing the callback", error);
  sqlite3_finalize (stmt);
  return ok;
}
