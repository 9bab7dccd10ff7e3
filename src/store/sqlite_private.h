/* What the SQLite store's files share: the store struct and the statement helpers.
 *
 * Why split: the task rows (sqlite_store.c) and the outbox's events (sqlite_events.c) live in one
 * database so that an event is written in the same transaction as the state change that caused
 * it; each file keeps one concern. Private to src/store/. */
#pragma once

#include <sqlite3.h>

#include "store/task_store.h"

G_BEGIN_DECLS

#define DB_ERROR "InternalError.DBError"

typedef struct SqliteEvents SqliteEvents;

typedef struct {
  CrTaskStore parent;
  sqlite3 *db;
  sqlite3_stmt **stmt;  /* the task statements (sqlite_store.c) */
  SqliteEvents *events; /* the outbox's (sqlite_events.c) */
} SqliteStore;

/* A borrowed prepared statement. Text is bound with SQLITE_STATIC, so a statement is released
 * (reset, bindings dropped) before the caller's strings go away: by store_step_done for statements
 * without rows, by g_autoptr (Stmt) at scope exit for queries. */
typedef sqlite3_stmt Stmt;

static inline void
stmt_release (Stmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Stmt, stmt_release)

/* Sets "InternalError.DBError" with @what and SQLite's message; returns FALSE. */
gboolean store_fail (SqliteStore *self, GError **error, const char *what);
/* Runs a statement that returns no rows and releases it (sqlite3_changes stays valid). */
gboolean store_step_done (SqliteStore *self, Stmt *stmt, const char *what, GError **error);
/* Runs an UPDATE of one task; no row changed means the task is unknown, another app's or exited
 * ("ResourceNotFound"). */
gboolean store_step_changed (SqliteStore *self, Stmt *stmt, const char *what, guint64 sdk_app_id,
                       const char *task_id, GError **error);
/* Binds @text with SQLITE_STATIC (see Stmt). */
void store_bind_text (Stmt *stmt, int idx, const char *text);
/* A copy of a text column, or NULL. */
char *store_column_text (Stmt *stmt, int col);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK (when a transaction is open). */
gboolean store_begin (SqliteStore *self, const char *what, GError **error);
gboolean store_commit (SqliteStore *self, const char *what, GError **error);
void store_rollback (SqliteStore *self);

/* ---- sqlite_events.c ---- */
SqliteEvents *sqlite_events_new (SqliteStore *self, GError **error);
void sqlite_events_free (SqliteEvents *events);
/* Queues @event of the task inside the caller's transaction (or alone); the id or -1. */
gint64 sqlite_events_insert (SqliteStore *self, guint64 sdk_app_id, const char *task_id,
                             const CrEventNew *event, gint64 now_ms, GError **error);
gint64 sqlite_add_event (CrTaskStore *store, guint64 sdk_app_id, const char *task_id,
                         const CrEventNew *event, gint64 now_ms, GError **error);
GPtrArray *sqlite_list_events (CrTaskStore *store, guint64 sdk_app_id, const char *task_id,
                               GError **error);
GPtrArray *sqlite_due_events (CrTaskStore *store, gint64 now_ms, guint limit, GHashTable *skip,
                              GError **error);
gboolean sqlite_update_event (CrTaskStore *store, const CrEventRecord *event, GError **error);
gint64 sqlite_resend_events (CrTaskStore *store, guint64 sdk_app_id, const char *task_id,
                             gint64 event_id, gint64 now_ms, GError **error);
gint64 sqlite_count_pending_events (CrTaskStore *store, GError **error);

/* ---- sqlite_auto.c ---- */
gboolean sqlite_get_auto_template (CrTaskStore *store, guint64 sdk_app_id, char **template_json,
                                   char **file_digest, GError **error);
gboolean sqlite_put_auto_template (CrTaskStore *store, guint64 sdk_app_id,
                                   const char *template_json, const char *file_digest,
                                   gint64 now_ms, GError **error);
gboolean sqlite_add_auto_task (CrTaskStore *store, guint64 sdk_app_id, const char *task_id,
                               gint64 now_ms, GError **error);
GPtrArray *sqlite_list_auto_tasks (CrTaskStore *store, guint64 sdk_app_id, GError **error);

G_END_DECLS
