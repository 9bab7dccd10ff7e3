/* The outbox's events in the SQLite store (migration 5 of sqlite_store.c); see task_store.h.
 *
 * Why here and not on a connection of its own like the upload queue: an event is queued in the
 * same transaction as the state change that caused it (a task ending and its 302), which needs
 * the task store's connection. Delivery then reads and updates rows from the main loop too. */
#include "common/api_error.h"
#include "store/sqlite_private.h"

#define COLUMNS                                                                                    \
  "id, sdk_app_id, task_id, room_id, user_id, event_type, payload_json, created_ms, window_ms, "   \
  "state, attempts, next_ms, delivered_ms, last_status, last_error"

typedef enum {
  EV_INSERT,
  EV_LIST,
  EV_DUE,
  EV_UPDATE,
  EV_RESEND_ONE,
  EV_RESEND_ALL,
  EV_COUNT_PENDING,
  N_EV
} EvId;

static const char *const ev_sql[N_EV] = {
  /* The room and the robot are the task's: no row inserted means no such task. */
  [EV_INSERT] = "INSERT INTO events (sdk_app_id, task_id, room_id, user_id, event_type, "
                "payload_json, created_ms, window_ms, state, attempts, next_ms, delivered_ms, "
                "last_status) SELECT sdk_app_id, task_id, room_id, user_id, ?3, ?4, ?5, ?5, 0, 0, "
                "?5, 0, 0 FROM tasks WHERE task_id = ?2 AND sdk_app_id = ?1",
  [EV_LIST] = "SELECT " COLUMNS " FROM events WHERE task_id = ?2 AND sdk_app_id = ?1 ORDER BY id",
  /* Each task's oldest pending event, if due. */
  [EV_DUE] = "SELECT " COLUMNS " FROM events e WHERE state = 0 AND next_ms <= ?1 AND id = "
             "(SELECT min(id) FROM events WHERE task_id = e.task_id AND state = 0) "
             "ORDER BY next_ms, id LIMIT ?2",
  [EV_UPDATE] = "UPDATE events SET state = ?2, attempts = ?3, next_ms = ?4, delivered_ms = ?5, "
                "last_status = ?6, last_error = ?7 WHERE id = ?1",
  [EV_RESEND_ONE] = "UPDATE events SET state = 0, attempts = 0, next_ms = ?4, window_ms = ?4, "
                    "last_error = NULL WHERE task_id = ?2 AND sdk_app_id = ?1 AND id = ?3",
  [EV_RESEND_ALL] = "UPDATE events SET state = 0, attempts = 0, next_ms = ?4, window_ms = ?4, "
                    "last_error = NULL WHERE task_id = ?2 AND sdk_app_id = ?1 AND ?3 = 0",
  [EV_COUNT_PENDING] = "SELECT count(*) FROM events WHERE state = 0",
};

struct SqliteEvents {
  sqlite3_stmt *stmt[N_EV];
};

SqliteEvents *
sqlite_events_new (SqliteStore *self, GError **error)
{
  SqliteEvents *ev = g_new0 (SqliteEvents, 1);
  for (guint i = 0; i < N_EV; i++) {
    if (sqlite3_prepare_v3 (self->db, ev_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &ev->stmt[i], NULL)
        != SQLITE_OK) {
      store_fail (self, error, "preparing the event statements");
      sqlite_events_free (ev);
      return NULL;
    }
  }
  return ev;
}

void
sqlite_events_free (SqliteEvents *ev)
{
  if (ev == NULL)
    return;
  for (guint i = 0; i < N_EV; i++)
    sqlite3_finalize (ev->stmt[i]);
  g_free (ev);
}

static CrEventRecord *
event_from_row (Stmt *stmt)
{
  CrEventRecord *e = g_new0 (CrEventRecord, 1);
  e->id = sqlite3_column_int64 (stmt, 0);
  e->sdk_app_id = (guint64)sqlite3_column_int64 (stmt, 1);
  e->task_id = store_column_text (stmt, 2);
  e->room_id = store_column_text (stmt, 3);
  e->user_id = store_column_text (stmt, 4);
  e->event_type = sqlite3_column_int (stmt, 5);
  e->payload_json = store_column_text (stmt, 6);
  e->created_ms = sqlite3_column_int64 (stmt, 7);
  e->window_ms = sqlite3_column_int64 (stmt, 8);
  e->state = (CrEventState)sqlite3_column_int (stmt, 9);
  e->attempts = sqlite3_column_int (stmt, 10);
  e->next_ms = sqlite3_column_int64 (stmt, 11);
  e->delivered_ms = sqlite3_column_int64 (stmt, 12);
  e->last_status = sqlite3_column_int (stmt, 13);
  e->last_error = store_column_text (stmt, 14);
  return e;
}

gint64
sqlite_events_insert (SqliteStore *self, guint64 sdk_app_id, const char *task_id,
                      const CrEventNew *event, gint64 now_ms, GError **error)
{
  Stmt *stmt = self->events->stmt[EV_INSERT];
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  store_bind_text (stmt, 2, task_id);
  sqlite3_bind_int (stmt, 3, event->event_type);
  store_bind_text (stmt, 4, event->payload_json != NULL ? event->payload_json : "{}");
  sqlite3_bind_int64 (stmt, 5, now_ms);
  if (!store_step_done (self, stmt, "queuing a callback event", error))
    return -1;
  if (sqlite3_changes (self->db) == 0) {
    cr_api_error_set (error, "ResourceNotFound",
                      "Task %s of SdkAppId %" G_GUINT64_FORMAT " does not exist", task_id,
                      sdk_app_id);
    return -1;
  }
  return sqlite3_last_insert_rowid (self->db);
}

gint64
sqlite_add_event (CrTaskStore *store, guint64 sdk_app_id, const char *task_id,
                  const CrEventNew *event, gint64 now_ms, GError **error)
{
  return sqlite_events_insert ((SqliteStore *)store, sdk_app_id, task_id, event, now_ms, error);
}

/* Steps a query to its end, one record per row. */
static GPtrArray *
events_collect (SqliteStore *self, Stmt *stmt, GHashTable *skip, guint limit, const char *what,
                GError **error)
{
  g_autoptr (GPtrArray) events
      = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_event_record_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    CrEventRecord *e = event_from_row (stmt);
    if ((skip != NULL && g_hash_table_contains (skip, e->task_id)) || events->len >= limit)
      cr_event_record_free (e);
    else
      g_ptr_array_add (events, e);
  }
  if (rc != SQLITE_DONE) {
    store_fail (self, error, what);
    return NULL;
  }
  return g_steal_pointer (&events);
}

GPtrArray *
sqlite_list_events (CrTaskStore *store, guint64 sdk_app_id, const char *task_id, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  g_autoptr (Stmt) stmt = self->events->stmt[EV_LIST];
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  store_bind_text (stmt, 2, task_id);
  return events_collect (self, stmt, NULL, G_MAXUINT, "listing the task's events", error);
}

GPtrArray *
sqlite_due_events (CrTaskStore *store, gint64 now_ms, guint limit, GHashTable *skip, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  g_autoptr (Stmt) stmt = self->events->stmt[EV_DUE];
  sqlite3_bind_int64 (stmt, 1, now_ms);
  /* Skipped tasks' heads come back too: ask for enough rows to fill @limit after them. */
  sqlite3_bind_int64 (stmt, 2,
                      (sqlite3_int64)limit + (skip != NULL ? g_hash_table_size (skip) : 0));
  return events_collect (self, stmt, skip, limit, "listing the due events", error);
}

gboolean
sqlite_update_event (CrTaskStore *store, const CrEventRecord *e, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  Stmt *stmt = self->events->stmt[EV_UPDATE];
  sqlite3_bind_int64 (stmt, 1, e->id);
  sqlite3_bind_int (stmt, 2, (int)e->state);
  sqlite3_bind_int (stmt, 3, e->attempts);
  sqlite3_bind_int64 (stmt, 4, e->next_ms);
  sqlite3_bind_int64 (stmt, 5, e->delivered_ms);
  sqlite3_bind_int (stmt, 6, e->last_status);
  store_bind_text (stmt, 7, e->last_error);
  return store_step_done (self, stmt, "recording a delivery", error);
}

gint64
sqlite_resend_events (CrTaskStore *store, guint64 sdk_app_id, const char *task_id, gint64 event_id,
                      gint64 now_ms, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  Stmt *stmt = self->events->stmt[event_id != 0 ? EV_RESEND_ONE : EV_RESEND_ALL];
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  store_bind_text (stmt, 2, task_id);
  sqlite3_bind_int64 (stmt, 3, event_id);
  sqlite3_bind_int64 (stmt, 4, now_ms);
  if (!store_step_done (self, stmt, "queuing events again", error))
    return -1;
  return sqlite3_changes (self->db);
}

gint64
sqlite_count_pending_events (CrTaskStore *store, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  g_autoptr (Stmt) stmt = self->events->stmt[EV_COUNT_PENDING];
  if (sqlite3_step (stmt) != SQLITE_ROW) {
    store_fail (self, error, "counting pending events");
    return -1;
  }
  return sqlite3_column_int64 (stmt, 0);
}
