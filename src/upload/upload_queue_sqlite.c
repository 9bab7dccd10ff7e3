/* The upload queue on SQLite: the `uploads` table of the task store's file (migration 4 of
 * sqlite_store.c creates it), on a connection of its own. See upload_queue.h. */
#include <sqlite3.h>

#include "common/api_error.h"
#include "upload/upload_queue.h"

#define DB_ERROR "InternalError.DBError"
#define BUSY_TIMEOUT_MS 5000
#define COLUMNS                                                                                    \
  "id, sdk_app_id, task_id, object_key, kind, path, content, size, multipart_id, attempts, "       \
  "next_ms, last_error, created_ms"

typedef struct {
  CrUploadQueue parent;
  sqlite3 *db;
} SqliteQueue;

CrUpload *
cr_upload_copy (const CrUpload *u)
{
  CrUpload *c = g_new0 (CrUpload, 1);
  *c = *u;
  c->task_id = g_strdup (u->task_id);
  c->object_key = g_strdup (u->object_key);
  c->path = g_strdup (u->path);
  c->content = u->content != NULL ? g_bytes_ref (u->content) : NULL;
  c->multipart_id = g_strdup (u->multipart_id);
  c->last_error = g_strdup (u->last_error);
  return c;
}

void
cr_upload_free (CrUpload *u)
{
  if (u == NULL)
    return;
  g_free (u->task_id);
  g_free (u->object_key);
  g_free (u->path);
  if (u->content != NULL)
    g_bytes_unref (u->content);
  g_free (u->multipart_id);
  g_free (u->last_error);
  g_free (u);
}

static gboolean
queue_fail (SqliteQueue *self, const char *what, GError **error)
{
  cr_api_error_set (error, DB_ERROR, "upload queue: %s failed: %s", what,
                    sqlite3_errmsg (self->db));
  return FALSE;
}

static sqlite3_stmt *
queue_prepare (SqliteQueue *self, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
    queue_fail (self, "preparing a statement", error);
    return NULL;
  }
  return stmt;
}

static void
bind_text_or_null (sqlite3_stmt *stmt, int idx, const char *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, idx, text, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, idx);
}

static gboolean
queue_exec (SqliteQueue *self, const char *sql, const char *what, GError **error)
{
  return sqlite3_exec (self->db, sql, NULL, NULL, NULL) == SQLITE_OK
         || queue_fail (self, what, error);
}

static gint64
queue_add (CrUploadQueue *q, const CrUpload *u, GError **error)
{
  SqliteQueue *self = (SqliteQueue *)q;
  gint64 id = -1;
  if (!queue_exec (self, "BEGIN IMMEDIATE", "starting a transaction", error))
    return -1;
  sqlite3_stmt *del = queue_prepare (
      self, "DELETE FROM uploads WHERE task_id = ?1 AND object_key = ?2 AND kind = ?3", error);
  sqlite3_stmt *ins = queue_prepare (
      self,
      "INSERT INTO uploads (sdk_app_id, task_id, object_key, kind, path, content, size, "
      "multipart_id, attempts, next_ms, last_error, created_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, NULL, ?10)",
      error);
  if (del == NULL || ins == NULL)
    goto out;
  sqlite3_bind_text (del, 1, u->task_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (del, 2, u->object_key, -1, SQLITE_STATIC);
  sqlite3_bind_int (del, 3, (int)u->kind);
  if (sqlite3_step (del) != SQLITE_DONE) {
    queue_fail (self, "replacing a waiting upload", error);
    goto out;
  }
  sqlite3_bind_int64 (ins, 1, (sqlite3_int64)u->sdk_app_id);
  sqlite3_bind_text (ins, 2, u->task_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (ins, 3, u->object_key, -1, SQLITE_STATIC);
  sqlite3_bind_int (ins, 4, (int)u->kind);
  bind_text_or_null (ins, 5, u->path);
  gsize len = 0;
  const void *data = u->content != NULL ? g_bytes_get_data (u->content, &len) : NULL;
  if (data != NULL || u->content != NULL)
    sqlite3_bind_blob64 (ins, 6, data != NULL ? data : "", len, SQLITE_STATIC);
  else
    sqlite3_bind_null (ins, 6);
  sqlite3_bind_int64 (ins, 7, u->size);
  bind_text_or_null (ins, 8, u->multipart_id);
  sqlite3_bind_int64 (ins, 9, u->next_ms);
  sqlite3_bind_int64 (ins, 10, u->created_ms);
  if (sqlite3_step (ins) != SQLITE_DONE) {
    queue_fail (self, "queuing an upload", error);
    goto out;
  }
  id = sqlite3_last_insert_rowid (self->db);
out:
  sqlite3_finalize (del);
  sqlite3_finalize (ins);
  if (id < 0 || !queue_exec (self, "COMMIT", "committing an upload", error)) {
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
  }
  return id;
}

static char *
column_text (sqlite3_stmt *stmt, int col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);
  return text != NULL ? g_strndup ((const char *)text, (gsize)sqlite3_column_bytes (stmt, col))
                      : NULL;
}

static GPtrArray *
queue_list (CrUploadQueue *q, const char *task_id, GError **error)
{
  SqliteQueue *self = (SqliteQueue *)q;
  sqlite3_stmt *stmt = queue_prepare (
      self,
      task_id != NULL ? "SELECT " COLUMNS " FROM uploads WHERE task_id = ?1 ORDER BY id"
                      : "SELECT " COLUMNS " FROM uploads ORDER BY id",
      error);
  if (stmt == NULL)
    return NULL;
  if (task_id != NULL)
    sqlite3_bind_text (stmt, 1, task_id, -1, SQLITE_STATIC);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_upload_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    CrUpload *u = g_new0 (CrUpload, 1);
    u->id = sqlite3_column_int64 (stmt, 0);
    u->sdk_app_id = (guint64)sqlite3_column_int64 (stmt, 1);
    u->task_id = column_text (stmt, 2);
    u->object_key = column_text (stmt, 3);
    u->kind = (CrUploadKind)sqlite3_column_int (stmt, 4);
    u->path = column_text (stmt, 5);
    if (sqlite3_column_type (stmt, 6) != SQLITE_NULL)
      u->content = g_bytes_new (sqlite3_column_blob (stmt, 6), (gsize)sqlite3_column_bytes (stmt, 6));
    u->size = sqlite3_column_int64 (stmt, 7);
    u->multipart_id = column_text (stmt, 8);
    u->attempts = sqlite3_column_int (stmt, 9);
    u->next_ms = sqlite3_column_int64 (stmt, 10);
    u->last_error = column_text (stmt, 11);
    u->created_ms = sqlite3_column_int64 (stmt, 12);
    g_ptr_array_add (rows, u);
  }
  if (rc != SQLITE_DONE) {
    queue_fail (self, "listing uploads", error);
    g_clear_pointer (&rows, g_ptr_array_unref);
  }
  sqlite3_finalize (stmt);
  return rows;
}

static gboolean
queue_update (CrUploadQueue *q, const CrUpload *u, GError **error)
{
  SqliteQueue *self = (SqliteQueue *)q;
  sqlite3_stmt *stmt = queue_prepare (self,
                                      "UPDATE uploads SET attempts = ?2, next_ms = ?3, "
                                      "multipart_id = ?4, last_error = ?5 WHERE id = ?1",
                                      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, u->id);
  sqlite3_bind_int (stmt, 2, u->attempts);
  sqlite3_bind_int64 (stmt, 3, u->next_ms);
  bind_text_or_null (stmt, 4, u->multipart_id);
  bind_text_or_null (stmt, 5, u->last_error);
  gboolean ok = sqlite3_step (stmt) == SQLITE_DONE || queue_fail (self, "updating an upload", error);
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
queue_remove (CrUploadQueue *q, gint64 id, GError **error)
{
  SqliteQueue *self = (SqliteQueue *)q;
  sqlite3_stmt *stmt = queue_prepare (self, "DELETE FROM uploads WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  gboolean ok = sqlite3_step (stmt) == SQLITE_DONE || queue_fail (self, "removing an upload", error);
  sqlite3_finalize (stmt);
  return ok;
}

static gint64
queue_spooled_bytes (CrUploadQueue *q, GError **error)
{
  SqliteQueue *self = (SqliteQueue *)q;
  sqlite3_stmt *stmt
      = queue_prepare (self, "SELECT coalesce(sum(size), 0) FROM uploads WHERE kind = 0", error);
  if (stmt == NULL)
    return -1;
  gint64 bytes = -1;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    bytes = sqlite3_column_int64 (stmt, 0);
  else
    queue_fail (self, "summing the spool", error);
  sqlite3_finalize (stmt);
  return bytes;
}

static void
queue_close (CrUploadQueue *q)
{
  SqliteQueue *self = (SqliteQueue *)q;
  sqlite3_close (self->db);
  g_free (self);
}

static const CrUploadQueueVtable sqlite_queue_vtable = {
  .version = CR_UPLOAD_QUEUE_VERSION,
  .add = queue_add,
  .list = queue_list,
  .update = queue_update,
  .remove = queue_remove,
  .spooled_bytes = queue_spooled_bytes,
  .close = queue_close,
};

CrUploadQueue *
cr_sqlite_upload_queue_open (const char *path, GError **error)
{
  SqliteQueue *self = g_new0 (SqliteQueue, 1);
  self->parent.vt = &sqlite_queue_vtable;
  /* The task store opened (and migrated) the file first; this only adds a connection. */
  if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
      != SQLITE_OK) {
    cr_api_error_set (error, DB_ERROR, "upload queue: cannot open %s: %s", path,
                      self->db != NULL ? sqlite3_errmsg (self->db) : "out of memory");
    queue_close (&self->parent);
    return NULL;
  }
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  if (!queue_exec (self, "PRAGMA synchronous = FULL", "setting pragmas", error)
      || !queue_exec (self, "SELECT 1 FROM uploads LIMIT 0", "finding the uploads table", error)) {
    queue_close (&self->parent);
    return NULL;
  }
  return &self->parent;
}
