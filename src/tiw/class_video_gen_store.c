/* Video-generation tasks in the task store's SQLite file (tables `video_gen_tasks` and
 * `video_gen_callbacks`, migration 10), on a connection of their own (as the class store): each
 * task's status and record, and each app's SetVideoGenerationTaskCallback URL and key. */
#include "tiw/class_video_gen.h"

#include <sqlite3.h>

#include "common/api_error.h"

#define DB_ERROR "InternalError.DBError"
#define BUSY_TIMEOUT_MS 5000

struct _CrVideoGenStore {
  sqlite3 *db;
};

static gboolean
store_fail (CrVideoGenStore *store, const char *what, GError **error)
{
  cr_api_error_set (error, DB_ERROR, "video generation: %s failed: %s", what,
                    sqlite3_errmsg (store->db));
  return FALSE;
}

CrVideoGenStore *
cr_video_gen_store_open (const char *path, GError **error)
{
  CrVideoGenStore *store = g_new0 (CrVideoGenStore, 1);
  if (sqlite3_open_v2 (path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
      != SQLITE_OK) {
    cr_api_error_set (error, DB_ERROR, "video generation: cannot open %s: %s", path,
                      store->db != NULL ? sqlite3_errmsg (store->db) : "out of memory");
    cr_video_gen_store_close (store);
    return NULL;
  }
  sqlite3_busy_timeout (store->db, BUSY_TIMEOUT_MS);
  if (sqlite3_exec (store->db, "SELECT 1 FROM video_gen_tasks LIMIT 0", NULL, NULL, NULL)
      != SQLITE_OK) {
    store_fail (store, "finding the video_gen_tasks table", error);
    cr_video_gen_store_close (store);
    return NULL;
  }
  return store;
}

void
cr_video_gen_store_close (CrVideoGenStore *store)
{
  if (store == NULL)
    return;
  sqlite3_close (store->db);
  g_free (store);
}

gboolean
cr_video_gen_store_put (CrVideoGenStore *store, guint64 sdk_app_id, const char *task_id,
                        const char *class_task_id, const char *status, gint64 created_ms,
                        gint64 updated_ms, const char *record_json, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db,
                          "INSERT OR REPLACE INTO video_gen_tasks (task_id, sdk_app_id, "
                          "class_task_id, status, created_ms, updated_ms, record_json) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                          -1, &stmt, NULL)
      != SQLITE_OK)
    return store_fail (store, "preparing a task's row", error);
  sqlite3_bind_text (stmt, 1, task_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, (sqlite3_int64)sdk_app_id);
  sqlite3_bind_text (stmt, 3, class_task_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, status, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, created_ms);
  sqlite3_bind_int64 (stmt, 6, updated_ms);
  sqlite3_bind_text (stmt, 7, record_json, -1, SQLITE_STATIC);
  gboolean ok = sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_finalize (stmt);
  return ok || store_fail (store, "storing a task", error);
}

/* The record_json of each row @sql selects (bound to @app and @text when not 0/NULL). */
static GPtrArray *
select_records (CrVideoGenStore *store, const char *sql, guint64 app, const char *text,
                GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
    store_fail (store, "preparing a query", error);
    return NULL;
  }
  if (app != 0)
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)app);
  if (text != NULL)
    sqlite3_bind_text (stmt, 2, text, -1, SQLITE_STATIC);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    const unsigned char *t = sqlite3_column_text (stmt, 0);
    g_ptr_array_add (out, g_strdup (t != NULL ? (const char *)t : "{}"));
  }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE) {
    g_ptr_array_unref (out);
    store_fail (store, "reading tasks", error);
    return NULL;
  }
  return out;
}

char *
cr_video_gen_store_get (CrVideoGenStore *store, guint64 sdk_app_id, const char *task_id,
                        GError **error)
{
  g_autoptr (GPtrArray) rows = select_records (
      store, "SELECT record_json FROM video_gen_tasks WHERE sdk_app_id = ?1 AND task_id = ?2",
      sdk_app_id, task_id, error);
  if (rows == NULL || rows->len == 0)
    return NULL;
  return g_strdup (g_ptr_array_index (rows, 0));
}

GPtrArray *
cr_video_gen_store_list_unfinished (CrVideoGenStore *store, GError **error)
{
  return select_records (store,
                         "SELECT record_json FROM video_gen_tasks WHERE status <> 'FINISHED' "
                         "ORDER BY created_ms, task_id",
                         0, NULL, error);
}

GPtrArray *
cr_video_gen_store_list_of_class (CrVideoGenStore *store, guint64 sdk_app_id,
                                  const char *class_task_id, GError **error)
{
  return select_records (store,
                         "SELECT record_json FROM video_gen_tasks WHERE sdk_app_id = ?1 AND "
                         "class_task_id = ?2 ORDER BY created_ms, task_id",
                         sdk_app_id, class_task_id, error);
}

gboolean
cr_video_gen_store_get_callback (CrVideoGenStore *store, guint64 sdk_app_id, char **url, char **key,
                                 GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (
          store->db, "SELECT callback, callback_key FROM video_gen_callbacks WHERE sdk_app_id = ?1",
          -1, &stmt, NULL)
      != SQLITE_OK)
    return store_fail (store, "preparing the callback query", error);
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  int rc = sqlite3_step (stmt);
  const unsigned char *u = rc == SQLITE_ROW ? sqlite3_column_text (stmt, 0) : NULL;
  const unsigned char *k = rc == SQLITE_ROW ? sqlite3_column_text (stmt, 1) : NULL;
  *url = g_strdup (u != NULL ? (const char *)u : "");
  *key = g_strdup (k != NULL ? (const char *)k : "");
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    g_clear_pointer (url, g_free);
    g_clear_pointer (key, g_free);
    return store_fail (store, "reading the callback", error);
  }
  return TRUE;
}

gboolean
cr_video_gen_store_set_callback (CrVideoGenStore *store, guint64 sdk_app_id, const char *url,
                                 const char *key, GError **error)
{
  g_autofree char *old_url = NULL, *old_key = NULL;
  if (!cr_video_gen_store_get_callback (store, sdk_app_id, &old_url, &old_key, error))
    return FALSE;
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (store->db,
                          "INSERT OR REPLACE INTO video_gen_callbacks (sdk_app_id, callback, "
                          "callback_key) VALUES (?1, ?2, ?3)",
                          -1, &stmt, NULL)
      != SQLITE_OK)
    return store_fail (store, "preparing the callback", error);
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  sqlite3_bind_text (stmt, 2, url != NULL ? url : old_url, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, key != NULL ? key : old_key, -1, SQLITE_STATIC);
  gboolean ok = sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_finalize (stmt);
  return ok || store_fail (store, "storing the callback", error);
}
