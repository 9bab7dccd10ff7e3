/* See board_log.h. */
#include "board_log.h"

#include <sqlite3.h>

#include <json-glib/json-glib.h>

#include "common/api_error.h"

#define DB_ERROR "InternalError.DBError"
#define BUSY_TIMEOUT_MS 5000

struct _CrBoardLog {
  sqlite3 *db;
};

void
cr_board_entry_free (CrBoardEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->user);
  g_free (entry->kind);
  g_free (entry->body);
  g_free (entry);
}

static void
log_json_string (GString *out, const char *text)
{
  g_autoptr (JsonNode) node = json_node_init_string (json_node_alloc (), text);
  g_autofree char *quoted = json_to_string (node, FALSE);
  g_string_append (out, quoted);
}

char *
cr_board_entry_to_json (const CrBoardEntry *e)
{
  gboolean op = g_strcmp0 (e->kind, "op") == 0;
  GString *out = g_string_new (NULL);
  g_string_append_printf (
      out, "{\"t\":\"%s\",\"seq\":%" G_GINT64_FORMAT ",\"ts\":%" G_GINT64_FORMAT ",\"user\":",
      op ? "op" : "chat", e->seq, e->ts_ms);
  log_json_string (out, e->user);
  if (op) {
    /* The body was checked and serialised by board_ops.c before it was stored. */
    g_string_append (out, ",\"op\":");
    g_string_append (out, e->body);
  } else {
    g_string_append (out, ",\"text\":");
    log_json_string (out, e->body);
  }
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static gboolean
log_fail (CrBoardLog *log, const char *what, GError **error)
{
  cr_api_error_set (error, DB_ERROR, "board log: %s failed: %s", what, sqlite3_errmsg (log->db));
  return FALSE;
}

CrBoardLog *
cr_board_log_open (const char *path, GError **error)
{
  CrBoardLog *log = g_new0 (CrBoardLog, 1);
  if (sqlite3_open_v2 (path, &log->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
      != SQLITE_OK) {
    cr_api_error_set (error, DB_ERROR, "board log: cannot open %s: %s", path,
                      log->db != NULL ? sqlite3_errmsg (log->db) : "out of memory");
    cr_board_log_close (log);
    return NULL;
  }
  sqlite3_busy_timeout (log->db, BUSY_TIMEOUT_MS);
  /* WAL (set by the task store) with NORMAL: an op is not fsynced on its own (a class sends a few
   * a second, each of several pages' strokes); a crash of the daemon loses nothing, a power cut
   * at most the last moments of drawing. */
  if (sqlite3_exec (log->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK
      || sqlite3_exec (log->db, "SELECT 1 FROM board_log LIMIT 0", NULL, NULL, NULL) != SQLITE_OK) {
    log_fail (log, "finding the board_log table", error);
    cr_board_log_close (log);
    return NULL;
  }
  return log;
}

void
cr_board_log_close (CrBoardLog *log)
{
  if (log == NULL)
    return;
  sqlite3_close (log->db);
  g_free (log);
}

static sqlite3_stmt *
log_prepare (CrBoardLog *log, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (log->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
    log_fail (log, "preparing a statement", error);
    return NULL;
  }
  return stmt;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

gint64
cr_board_log_append (CrBoardLog *log, guint64 app, const char *room, gint64 ts_ms, const char *user,
                     const char *kind, const char *body, GError **error)
{
  /* One statement: the next seq is computed and taken atomically (the table is append-only and
   * the primary key refuses a second writer's duplicate). */
  g_autoptr (sqlite3_stmt) stmt
      = log_prepare (log,
                     "INSERT INTO board_log (app, room, seq, ts_ms, user, kind, body) "
                     "SELECT ?1, ?2, coalesce(max(seq), 0) + 1, ?3, ?4, ?5, ?6 FROM board_log "
                     "WHERE app = ?1 AND room = ?2 RETURNING seq",
                     error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)app);
  sqlite3_bind_text (stmt, 2, room, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, ts_ms);
  sqlite3_bind_text (stmt, 4, user, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, body, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW) {
    log_fail (log, "appending an entry", error);
    return 0;
  }
  gint64 seq = sqlite3_column_int64 (stmt, 0);
  if (sqlite3_step (stmt) != SQLITE_DONE) {
    log_fail (log, "appending an entry", error);
    return 0;
  }
  return seq;
}

static gint64
log_single_int (CrBoardLog *log, const char *sql, guint64 app, const char *room, const char *what,
                GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = log_prepare (log, sql, error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)app);
  sqlite3_bind_text (stmt, 2, room, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return 0;
  if (rc != SQLITE_ROW) {
    log_fail (log, what, error);
    return -1;
  }
  return sqlite3_column_int64 (stmt, 0);
}

gint64
cr_board_log_last_seq (CrBoardLog *log, guint64 app, const char *room, GError **error)
{
  return log_single_int (log,
                         "SELECT coalesce(max(seq), 0) FROM board_log WHERE app = ?1 AND room = ?2",
                         app, room, "reading the last seq", error);
}

gint64
cr_board_log_last_op_ms (CrBoardLog *log, guint64 app, const char *room, GError **error)
{
  /* Walks the primary key backwards and stops at the newest op. */
  return log_single_int (log,
                         "SELECT ts_ms FROM board_log WHERE app = ?1 AND room = ?2 AND kind = 'op' "
                         "ORDER BY seq DESC LIMIT 1",
                         app, room, "reading the last op", error);
}

gint64
cr_board_log_page_count (CrBoardLog *log, guint64 app, const char *room, GError **error)
{
  gint64 max = log_single_int (
      log,
      "SELECT coalesce(max(json_extract(body, '$.page')), 0) FROM board_log "
      "WHERE app = ?1 AND room = ?2 AND kind = 'op' AND json_extract(body, '$.kind') = 'page' "
      "AND json_extract(body, '$.action') = 'add'",
      app, room, "counting the pages", error);
  return max < 0 ? -1 : max + 1;
}

static char *
log_column_text (sqlite3_stmt *stmt, int i)
{
  const unsigned char *t = sqlite3_column_text (stmt, i);
  return g_strdup (t != NULL ? (const char *)t : "");
}

GPtrArray *
cr_board_log_entries (CrBoardLog *log, guint64 app, const char *room, gint64 since_seq,
                      gint64 from_ms, gint64 to_ms, guint limit, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt
      = log_prepare (log,
                     "SELECT seq, ts_ms, user, kind, body FROM board_log "
                     "WHERE app = ?1 AND room = ?2 AND seq > ?3 AND (?4 < 0 OR ts_ms >= ?4) "
                     "AND (?5 < 0 OR ts_ms <= ?5) ORDER BY seq LIMIT ?6",
                     error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)app);
  sqlite3_bind_text (stmt, 2, room, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, since_seq);
  sqlite3_bind_int64 (stmt, 4, from_ms);
  sqlite3_bind_int64 (stmt, 5, to_ms);
  sqlite3_bind_int64 (stmt, 6, limit == 0 ? -1 : (sqlite3_int64)limit);
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_board_entry_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    CrBoardEntry *e = g_new0 (CrBoardEntry, 1);
    e->seq = sqlite3_column_int64 (stmt, 0);
    e->ts_ms = sqlite3_column_int64 (stmt, 1);
    e->user = log_column_text (stmt, 2);
    e->kind = log_column_text (stmt, 3);
    e->body = log_column_text (stmt, 4);
    g_ptr_array_add (out, e);
  }
  if (rc != SQLITE_DONE) {
    log_fail (log, "reading entries", error);
    return NULL;
  }
  return g_steal_pointer (&out);
}
