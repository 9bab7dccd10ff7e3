/* See usage_store.h. */
#include "usage/usage_store.h"

#include <sqlite3.h>

#include "common/api_error.h"

#define DB_ERROR "InternalError.DBError"
#define BUSY_TIMEOUT_MS 5000

struct _CrUsageStore {
  sqlite3 *db;
  GMutex lock; /* the API (threads) reads, the main loop writes */
};

static gboolean
usage_fail (CrUsageStore *store, const char *what, GError **error)
{
  cr_api_error_set (error, DB_ERROR, "usage: %s failed: %s", what, sqlite3_errmsg (store->db));
  return FALSE;
}

CrUsageStore *
cr_usage_store_open (const char *path, GError **error)
{
  CrUsageStore *store = g_new0 (CrUsageStore, 1);
  g_mutex_init (&store->lock);
  if (sqlite3_open_v2 (path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
      != SQLITE_OK) {
    cr_api_error_set (error, DB_ERROR, "usage: cannot open %s: %s", path,
                      store->db != NULL ? sqlite3_errmsg (store->db) : "out of memory");
    cr_usage_store_close (store);
    return NULL;
  }
  sqlite3_busy_timeout (store->db, BUSY_TIMEOUT_MS);
  if (sqlite3_exec (store->db, "SELECT 1 FROM usage LIMIT 0", NULL, NULL, NULL) != SQLITE_OK) {
    usage_fail (store, "finding the usage table", error);
    cr_usage_store_close (store);
    return NULL;
  }
  return store;
}

void
cr_usage_store_close (CrUsageStore *store)
{
  if (store == NULL)
    return;
  sqlite3_close (store->db);
  g_mutex_clear (&store->lock);
  g_free (store);
}

gboolean
cr_usage_store_put (CrUsageStore *store, guint64 sdk_app_id, const char *task_id, int failover,
                    const GPtrArray *rows, GError **error)
{
  g_mutex_lock (&store->lock);
  sqlite3_stmt *stmt = NULL;
  gboolean ok = sqlite3_exec (store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
  if (ok)
    ok = sqlite3_prepare_v2 (
             store->db,
             "INSERT OR REPLACE INTO usage (sdk_app_id, task_id, failover, "
             "bucket_ms, mixed, class, seconds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
             -1, &stmt, NULL)
         == SQLITE_OK;
  for (guint i = 0; ok && i < rows->len; i++) {
    const CrUsageRow *r = g_ptr_array_index (rows, i);
    sqlite3_reset (stmt);
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
    sqlite3_bind_text (stmt, 2, task_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int (stmt, 3, failover);
    sqlite3_bind_int64 (stmt, 4, r->bucket_ms);
    sqlite3_bind_int (stmt, 5, r->mixed ? 1 : 0);
    sqlite3_bind_int (stmt, 6, (int)r->cls);
    sqlite3_bind_double (stmt, 7, r->seconds);
    ok = sqlite3_step (stmt) == SQLITE_DONE;
  }
  sqlite3_finalize (stmt);
  if (ok)
    ok = sqlite3_exec (store->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
  if (!ok) {
    usage_fail (store, "recording usage", error);
    sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
  }
  g_mutex_unlock (&store->lock);
  return ok;
}

GPtrArray *
cr_usage_store_sum (CrUsageStore *store, guint64 sdk_app_id, gint64 from_ms, gint64 to_ms,
                    GError **error)
{
  g_mutex_lock (&store->lock);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt = NULL;
  gboolean ok = sqlite3_prepare_v2 (store->db,
                                    "SELECT bucket_ms, mixed, class, sum(seconds) FROM usage "
                                    "WHERE sdk_app_id = ?1 AND bucket_ms >= ?2 AND bucket_ms < ?3 "
                                    "GROUP BY bucket_ms, mixed, class ORDER BY bucket_ms",
                                    -1, &stmt, NULL)
                == SQLITE_OK;
  if (ok) {
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
    sqlite3_bind_int64 (stmt, 2, from_ms);
    sqlite3_bind_int64 (stmt, 3, to_ms);
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
      CrUsageRow *r = g_new0 (CrUsageRow, 1);
      r->bucket_ms = sqlite3_column_int64 (stmt, 0);
      r->mixed = sqlite3_column_int (stmt, 1) != 0;
      int cls = sqlite3_column_int (stmt, 2);
      r->cls = cls >= 0 && cls < CR_USAGE_N_CLASSES ? (CrUsageClass)cls : CR_USAGE_AUDIO;
      r->seconds = sqlite3_column_double (stmt, 3);
      g_ptr_array_add (out, r);
    }
    ok = rc == SQLITE_DONE;
  }
  sqlite3_finalize (stmt);
  if (!ok) {
    usage_fail (store, "summing usage", error);
    g_clear_pointer (&out, g_ptr_array_unref);
  }
  g_mutex_unlock (&store->lock);
  return out;
}
