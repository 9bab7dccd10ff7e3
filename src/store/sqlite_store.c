/* The SQLite task store: the default CrTaskStore, one database file per daemon (or per host).
 *
 * Why SQLite, and why this shape: a single-node deployment needs durable task state with no
 * extra service to run. WAL mode lets readers (the console, a second `cloudrec` process) run while
 * the daemon writes; synchronous=FULL syncs the WAL at every commit, so what a commit recorded (a
 * task, a state change and the callback event queued with it, an upload) survives a power cut,
 * at the cost of one fsync per commit (a few per second at most); and the 5 s busy timeout makes a
 * second process wait instead of failing. The quota check and the insert share one BEGIN IMMEDIATE
 * transaction: the write lock is taken before counting, so two processes sharing the file cannot
 * both see "99 of 100" and both insert.
 *
 * Threading: a store wraps one connection opened with SQLITE_OPEN_NOMUTEX and its prepared
 * statements, so it must be used from one thread at a time (in the daemon: the main loop). A
 * thread that needs the database opens its own store on the same file. Nothing here is global.
 *
 * Schema changes: append a step to `migrations`; PRAGMA user_version counts the applied steps.
 * Each step runs in its own transaction, so a data directory of any earlier cloudrec is brought
 * up to date step by step, and a crash between steps leaves a consistent older version. */
#include "store/task_store.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include "common/api_error.h"
#include "store/sqlite_private.h"

#define BUSY_TIMEOUT_MS 5000

/* Step i brings the schema from user_version i to i + 1. Never edit a released step. */
static const char *const migrations[] = {
  /* 1: tasks and their StorageFileList. Status 2 is CR_TASK_EXITED. */
  "CREATE TABLE tasks ("
  "  task_id TEXT PRIMARY KEY NOT NULL,"
  "  sdk_app_id INTEGER NOT NULL,"
  "  room_id TEXT NOT NULL,"
  "  room_id_type INTEGER NOT NULL CHECK (room_id_type IN (0, 1)),"
  "  user_id TEXT NOT NULL,"
  "  status INTEGER NOT NULL CHECK (status IN (0, 1, 2)),"
  "  leave_code INTEGER NOT NULL,"
  "  params_json TEXT NOT NULL,"
  "  revision INTEGER NOT NULL,"
  "  created_ms INTEGER NOT NULL,"
  "  updated_ms INTEGER NOT NULL,"
  "  expires_ms INTEGER NOT NULL,"
  "  ended_ms INTEGER NOT NULL);"
  "CREATE INDEX tasks_active_by_app ON tasks (sdk_app_id) WHERE status <> 2;"
  "CREATE TABLE task_files ("
  "  task_id TEXT NOT NULL REFERENCES tasks (task_id) ON DELETE CASCADE,"
  "  file_name TEXT NOT NULL,"
  "  user_id TEXT NOT NULL,"
  "  track_type TEXT NOT NULL,"
  "  begin_ts_ms INTEGER NOT NULL,"
  "  PRIMARY KEY (task_id, file_name));",
  /* 2: failovers, the number of workers started for the task after an earlier one stopped
   * without finishing (a crash or a daemon restart); TRTC allows three (ha1_..ha3_). */
  "ALTER TABLE tasks ADD COLUMN failovers INTEGER NOT NULL DEFAULT 0;",
  /* 3: finished_ms, when the exited task's last worker had written and stored its files and
   * queued its last callbacks (0 until then): Describe answers ResourceNotFound after it. */
  "ALTER TABLE tasks ADD COLUMN finished_ms INTEGER NOT NULL DEFAULT 0;",
  /* 4: the upload queue (src/upload/upload_queue.h): files in the spool waiting for the
   * task's storage, in order. */
  "CREATE TABLE uploads ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  sdk_app_id INTEGER NOT NULL,"
  "  task_id TEXT NOT NULL,"
  "  object_key TEXT NOT NULL,"
  "  kind INTEGER NOT NULL CHECK (kind IN (0, 1, 2)),"
  "  path TEXT,"
  "  content BLOB,"
  "  size INTEGER NOT NULL,"
  "  multipart_id TEXT,"
  "  attempts INTEGER NOT NULL,"
  "  next_ms INTEGER NOT NULL,"
  "  last_error TEXT,"
  "  created_ms INTEGER NOT NULL);"
  "CREATE INDEX uploads_by_task ON uploads (task_id, id);",
  /* 5: the outbox (sqlite_events.c): every callback event of every task, kept after delivery
   * so that it can be listed and sent again. room_id and user_id are the task's when queued. */
  "CREATE TABLE events ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  sdk_app_id INTEGER NOT NULL,"
  "  task_id TEXT NOT NULL,"
  "  room_id TEXT NOT NULL,"
  "  user_id TEXT NOT NULL,"
  "  event_type INTEGER NOT NULL,"
  "  payload_json TEXT NOT NULL,"
  "  created_ms INTEGER NOT NULL,"
  "  window_ms INTEGER NOT NULL,"
  "  state INTEGER NOT NULL CHECK (state IN (0, 1, 2, 3)),"
  "  attempts INTEGER NOT NULL,"
  "  next_ms INTEGER NOT NULL,"
  "  delivered_ms INTEGER NOT NULL,"
  "  last_status INTEGER NOT NULL,"
  "  last_error TEXT);"
  "CREATE INDEX events_by_task ON events (task_id, id);"
  "CREATE INDEX events_pending ON events (task_id, id) WHERE state = 0;",
  /* 6: auto-recording (sqlite_auto.c): an app's template as changed through the API, with the
   * digest of the config file's template it was made against; the tasks it launched. */
  "CREATE TABLE auto_templates ("
  "  sdk_app_id INTEGER PRIMARY KEY NOT NULL,"
  "  template_json TEXT NOT NULL,"
  "  file_digest TEXT NOT NULL,"
  "  updated_ms INTEGER NOT NULL);"
  "CREATE TABLE auto_tasks ("
  "  task_id TEXT PRIMARY KEY NOT NULL REFERENCES tasks (task_id) ON DELETE CASCADE,"
  "  sdk_app_id INTEGER NOT NULL,"
  "  created_ms INTEGER NOT NULL);"
  "CREATE INDEX auto_tasks_by_app ON auto_tasks (sdk_app_id, created_ms);",
  /* 7: recording usage (src/usage/usage_store.c): seconds recorded per task, worker, 5-minute
   * bucket, single or mixed, resolution class; a worker reports its running totals. */
  "CREATE TABLE usage ("
  "  sdk_app_id INTEGER NOT NULL,"
  "  task_id TEXT NOT NULL,"
  "  failover INTEGER NOT NULL,"
  "  bucket_ms INTEGER NOT NULL,"
  "  mixed INTEGER NOT NULL,"
  "  class INTEGER NOT NULL,"
  "  seconds REAL NOT NULL,"
  "  PRIMARY KEY (task_id, failover, bucket_ms, mixed, class));"
  "CREATE INDEX usage_by_app ON usage (sdk_app_id, bucket_ms);",
  /* 8: class recordings (TIW online recording, src/tiw/class_store.c): each class task with its
   * state and its record (JSON: the request, the spans, the TRTC tasks, the result), when its
   * local files go (the seed's 3 days without a bucket), and each
   * app's SetOnlineRecordCallback URL and key. */
  "CREATE TABLE class_records ("
  "  task_id TEXT PRIMARY KEY,"
  "  sdk_app_id INTEGER NOT NULL,"
  "  record_user_id TEXT NOT NULL,"
  "  state TEXT NOT NULL,"
  "  created_ms INTEGER NOT NULL,"
  "  updated_ms INTEGER NOT NULL,"
  "  local_until_ms INTEGER NOT NULL,"
  "  record_json TEXT NOT NULL);"
  "CREATE INDEX class_records_local ON class_records (local_until_ms) WHERE local_until_ms > 0;"
  "CREATE INDEX class_records_by_state ON class_records (state, created_ms);"
  "CREATE TABLE class_callbacks ("
  "  sdk_app_id INTEGER PRIMARY KEY,"
  "  callback TEXT NOT NULL,"
  "  callback_key TEXT NOT NULL);",
  /* 9: the whiteboard's append-only log (src/board/board_log.c): per board (app, room) its
   * entries numbered 1, 2, 3... (seq), stamped with the daemon's clock; kind "op" (body: the op's
   * JSON) or "chat" (body: the text). */
  "CREATE TABLE board_log ("
  "  app INTEGER NOT NULL,"
  "  room TEXT NOT NULL,"
  "  seq INTEGER NOT NULL,"
  "  ts_ms INTEGER NOT NULL,"
  "  user TEXT NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  body TEXT NOT NULL,"
  "  PRIMARY KEY (app, room, seq));",
  /* 10: video-generation tasks of video-generation classes (src/tiw/class_video_gen.c): each
   * task's state and record (status QUEUED, PROCESSING or FINISHED), and each app's
   * SetVideoGenerationTaskCallback URL and key. */
  "CREATE TABLE video_gen_tasks ("
  "  task_id TEXT PRIMARY KEY,"
  "  sdk_app_id INTEGER NOT NULL,"
  "  class_task_id TEXT NOT NULL,"
  "  status TEXT NOT NULL,"
  "  created_ms INTEGER NOT NULL,"
  "  updated_ms INTEGER NOT NULL,"
  "  record_json TEXT NOT NULL);"
  "CREATE INDEX video_gen_tasks_by_status ON video_gen_tasks (status, created_ms);"
  "CREATE TABLE video_gen_callbacks ("
  "  sdk_app_id INTEGER PRIMARY KEY,"
  "  callback TEXT NOT NULL,"
  "  callback_key TEXT NOT NULL);",
};

#define TASK_COLUMNS                                                                               \
  "task_id, sdk_app_id, room_id, room_id_type, user_id, status, leave_code, params_json, "         \
  "revision, created_ms, updated_ms, expires_ms, ended_ms, failovers, finished_ms"

typedef enum {
  STMT_BEGIN_IMMEDIATE,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_COUNT_ACTIVE,
  STMT_INSERT,
  STMT_LOOKUP,
  STMT_UPDATE_PARAMS,
  STMT_SET_STATUS,
  STMT_LIST_ACTIVE,
  STMT_PUT_FILE,
  STMT_LIST_FILES,
  STMT_ADD_FAILOVER,
  STMT_GET_FAILOVERS,
  STMT_FINISH,
  STMT_GET_FINISHED,
  STMT_LIST_FINISHED,
  N_STMTS
} StmtId;

/* "status <> 2" is spelled exactly as in the partial index so that the planner uses it. */
static const char *const stmt_sql[N_STMTS] = {
  [STMT_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_COUNT_ACTIVE] = "SELECT count(*) FROM tasks WHERE sdk_app_id = ?1 AND status <> 2",
  [STMT_INSERT] = "INSERT INTO tasks (" TASK_COLUMNS ") "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
  [STMT_LOOKUP] = "SELECT " TASK_COLUMNS " FROM tasks WHERE task_id = ?2 AND sdk_app_id = ?1",
  [STMT_UPDATE_PARAMS] = "UPDATE tasks SET params_json = ?3, revision = revision + 1, "
                         "updated_ms = ?4 WHERE task_id = ?2 AND sdk_app_id = ?1 AND status <> 2",
  [STMT_SET_STATUS] = "UPDATE tasks SET status = ?3, "
                      "leave_code = CASE WHEN ?3 = 2 THEN ?4 ELSE leave_code END, "
                      "ended_ms = CASE WHEN ?3 = 2 THEN ?5 ELSE ended_ms END "
                      "WHERE task_id = ?2 AND sdk_app_id = ?1 AND status <> 2",
  [STMT_LIST_ACTIVE] = "SELECT " TASK_COLUMNS " FROM tasks WHERE status <> 2 "
                       "ORDER BY created_ms, task_id",
  [STMT_PUT_FILE] = "INSERT INTO task_files (task_id, file_name, user_id, track_type, begin_ts_ms) "
                    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (task_id, file_name) DO UPDATE SET "
                    "user_id = excluded.user_id, track_type = excluded.track_type, "
                    "begin_ts_ms = excluded.begin_ts_ms",
  [STMT_LIST_FILES] = "SELECT task_id, file_name, user_id, track_type, begin_ts_ms FROM task_files "
                      "WHERE task_id = ?1 ORDER BY begin_ts_ms, file_name",
  [STMT_ADD_FAILOVER] = "UPDATE tasks SET failovers = failovers + 1 "
                        "WHERE task_id = ?2 AND sdk_app_id = ?1 AND status <> 2",
  [STMT_GET_FAILOVERS] = "SELECT failovers FROM tasks WHERE task_id = ?2 AND sdk_app_id = ?1",
  /* Only an exited task finishes; the first time counts (a fallback may come after). */
  [STMT_FINISH] = "UPDATE tasks SET finished_ms = CASE WHEN finished_ms = 0 THEN ?3 "
                  "ELSE finished_ms END WHERE task_id = ?2 AND sdk_app_id = ?1 AND status = 2",
  [STMT_GET_FINISHED] = "SELECT finished_ms FROM tasks WHERE task_id = ?2 AND sdk_app_id = ?1 "
                        "AND status = 2",
  [STMT_LIST_FINISHED] = "SELECT " TASK_COLUMNS " FROM tasks WHERE status = 2 "
                         "AND finished_ms > ?1 AND finished_ms <= ?2 ORDER BY finished_ms, task_id",
};

gboolean
store_fail (SqliteStore *self, GError **error, const char *what)
{
  cr_api_error_set (error, DB_ERROR, "task store: %s failed: %s", what, sqlite3_errmsg (self->db));
  return FALSE;
}

/* Runs a statement that returns no rows and releases it (sqlite3_changes stays valid). */
gboolean
store_step_done (SqliteStore *self, Stmt *stmt, const char *what, GError **error)
{
  gboolean ok = sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    store_fail (self, error, what); /* before the reset, which may change the message */
  stmt_release (stmt);
  return ok;
}

/* Runs an UPDATE of one task; no row changed means the task is unknown, another app's or exited. */
gboolean
store_step_changed (SqliteStore *self, Stmt *stmt, const char *what, guint64 sdk_app_id,
                    const char *task_id, GError **error)
{
  if (!store_step_done (self, stmt, what, error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0) {
    cr_api_error_set (error, "ResourceNotFound",
                      "Task %s of SdkAppId %" G_GUINT64_FORMAT " does not exist or has exited",
                      task_id, sdk_app_id);
    return FALSE;
  }
  return TRUE;
}

void
store_bind_text (Stmt *stmt, int idx, const char *text)
{
  sqlite3_bind_text (stmt, idx, text, -1, SQLITE_STATIC);
}

char *
store_column_text (Stmt *stmt, int col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);
  if (text == NULL)
    return NULL;
  return g_strndup ((const char *)text, (gsize)sqlite3_column_bytes (stmt, col));
}

gboolean
store_begin (SqliteStore *self, const char *what, GError **error)
{
  return store_step_done (self, self->stmt[STMT_BEGIN_IMMEDIATE], what, error);
}

gboolean
store_commit (SqliteStore *self, const char *what, GError **error)
{
  return store_step_done (self, self->stmt[STMT_COMMIT], what, error);
}

/* Some errors (disk full, I/O) already rolled back; ROLLBACK then would fail. */
void
store_rollback (SqliteStore *self)
{
  if (!sqlite3_get_autocommit (self->db))
    store_step_done (self, self->stmt[STMT_ROLLBACK], "rolling back", NULL);
}

static CrTask *
task_from_row (Stmt *stmt)
{
  CrTask *task = g_new0 (CrTask, 1);
  task->task_id = store_column_text (stmt, 0);
  task->sdk_app_id = (guint64)sqlite3_column_int64 (stmt, 1);
  task->room_id = store_column_text (stmt, 2);
  task->room_id_type = sqlite3_column_int (stmt, 3);
  task->user_id = store_column_text (stmt, 4);
  task->status = (CrTaskStatus)sqlite3_column_int (stmt, 5);
  task->leave_code = sqlite3_column_int (stmt, 6);
  task->params_json = store_column_text (stmt, 7);
  task->revision = sqlite3_column_int64 (stmt, 8);
  task->created_ms = sqlite3_column_int64 (stmt, 9);
  task->updated_ms = sqlite3_column_int64 (stmt, 10);
  task->expires_ms = sqlite3_column_int64 (stmt, 11);
  task->ended_ms = sqlite3_column_int64 (stmt, 12);
  task->failovers = sqlite3_column_int (stmt, 13);
  task->finished_ms = sqlite3_column_int64 (stmt, 14);
  return task;
}

/* Counts the non-exited tasks of an app; -1 on error. */
static gint64
count_active_locked (SqliteStore *self, guint64 sdk_app_id, GError **error)
{
  g_autoptr (Stmt) stmt = self->stmt[STMT_COUNT_ACTIVE];
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  if (sqlite3_step (stmt) != SQLITE_ROW) {
    store_fail (self, error, "counting active tasks");
    return -1;
  }
  return sqlite3_column_int64 (stmt, 0);
}

static gboolean
sqlite_insert (CrTaskStore *store, const CrTask *task, gint64 max_active, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  gboolean ok = FALSE;

  if (!store_step_done (self, self->stmt[STMT_BEGIN_IMMEDIATE], "starting the insert transaction",
                        error))
    return FALSE;

  gint64 active = count_active_locked (self, task->sdk_app_id, error);
  if (active < 0)
    goto out;
  if (active >= max_active) {
    cr_api_error_set (error, "FailedOperation.RestrictedConcurrency",
                      "SdkAppId %" G_GUINT64_FORMAT " already has %" G_GINT64_FORMAT
                      " recording tasks running; the limit is %" G_GINT64_FORMAT,
                      task->sdk_app_id, active, max_active);
    goto out;
  }

  Stmt *ins = self->stmt[STMT_INSERT];
  store_bind_text (ins, 1, task->task_id);
  sqlite3_bind_int64 (ins, 2, (sqlite3_int64)task->sdk_app_id);
  store_bind_text (ins, 3, task->room_id);
  sqlite3_bind_int (ins, 4, task->room_id_type);
  store_bind_text (ins, 5, task->user_id);
  sqlite3_bind_int (ins, 6, (int)task->status);
  sqlite3_bind_int (ins, 7, task->leave_code);
  store_bind_text (ins, 8, task->params_json);
  sqlite3_bind_int64 (ins, 9, task->revision);
  sqlite3_bind_int64 (ins, 10, task->created_ms);
  sqlite3_bind_int64 (ins, 11, task->updated_ms);
  sqlite3_bind_int64 (ins, 12, task->expires_ms);
  sqlite3_bind_int64 (ins, 13, task->ended_ms);
  sqlite3_bind_int (ins, 14, task->failovers);
  sqlite3_bind_int64 (ins, 15, task->finished_ms);
  if (!store_step_done (self, ins, "inserting the task", error))
    goto out;

  ok = store_step_done (self, self->stmt[STMT_COMMIT], "committing the task", error);

out:
  /* Some errors (disk full, I/O) already rolled back; ROLLBACK then would fail. */
  if (!ok && !sqlite3_get_autocommit (self->db))
    store_step_done (self, self->stmt[STMT_ROLLBACK], "rolling back", NULL);
  return ok;
}

static CrTask *
sqlite_lookup (CrTaskStore *store, guint64 sdk_app_id, const char *task_id, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  g_autoptr (Stmt) stmt = self->stmt[STMT_LOOKUP];
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  store_bind_text (stmt, 2, task_id);
  switch (sqlite3_step (stmt)) {
  case SQLITE_ROW:
    return task_from_row (stmt);
  case SQLITE_DONE:
    return NULL;
  default:
    store_fail (self, error, "looking up the task");
    return NULL;
  }
}

static gboolean
sqlite_update_params (CrTaskStore *store, guint64 sdk_app_id, const char *task_id,
                      const char *params_json, gint64 now_ms, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  Stmt *stmt = self->stmt[STMT_UPDATE_PARAMS];
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  store_bind_text (stmt, 2, task_id);
  store_bind_text (stmt, 3, params_json);
  sqlite3_bind_int64 (stmt, 4, now_ms);
  if (!store_step_changed (self, stmt, "updating the task parameters", sdk_app_id, task_id,
                           error))
    return FALSE;
  cr_task_store_changed (store, sdk_app_id, task_id);
  return TRUE;
}

static gboolean
sqlite_set_status (CrTaskStore *store, guint64 sdk_app_id, const char *task_id, CrTaskStatus status,
                   int leave_code, gint64 now_ms, const CrEventNew *event, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  g_return_val_if_fail (status <= CR_TASK_EXITED, FALSE);
  const gboolean with_event = event != NULL && event->event_type != 0;

  if (with_event && !store_begin (self, "starting the status transaction", error))
    return FALSE;
  Stmt *stmt = self->stmt[STMT_SET_STATUS];
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  store_bind_text (stmt, 2, task_id);
  sqlite3_bind_int (stmt, 3, (int)status);
  sqlite3_bind_int (stmt, 4, leave_code);
  sqlite3_bind_int64 (stmt, 5, now_ms);
  gboolean ok
      = store_step_changed (self, stmt, "setting the task status", sdk_app_id, task_id, error);
  if (with_event) {
    ok = ok && sqlite_events_insert (self, sdk_app_id, task_id, event, now_ms, error) > 0
         && store_commit (self, "committing the status", error);
    if (!ok)
      store_rollback (self);
  }
  if (ok)
    cr_task_store_changed (store, sdk_app_id, task_id);
  return ok;
}

static int
sqlite_add_failover (CrTaskStore *store, guint64 sdk_app_id, const char *task_id, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  int count = -1;
  if (!store_step_done (self, self->stmt[STMT_BEGIN_IMMEDIATE], "starting the failover transaction",
                        error))
    return -1;
  Stmt *add = self->stmt[STMT_ADD_FAILOVER];
  sqlite3_bind_int64 (add, 1, (sqlite3_int64)sdk_app_id);
  store_bind_text (add, 2, task_id);
  if (!store_step_changed (self, add, "counting a failover", sdk_app_id, task_id, error))
    goto out;
  {
    g_autoptr (Stmt) get = self->stmt[STMT_GET_FAILOVERS];
    sqlite3_bind_int64 (get, 1, (sqlite3_int64)sdk_app_id);
    store_bind_text (get, 2, task_id);
    if (sqlite3_step (get) != SQLITE_ROW) {
      store_fail (self, error, "reading the failover count");
      goto out;
    }
    count = sqlite3_column_int (get, 0);
  }
  if (!store_step_done (self, self->stmt[STMT_COMMIT], "committing the failover", error))
    count = -1;
out:
  if (count < 0 && !sqlite3_get_autocommit (self->db))
    store_step_done (self, self->stmt[STMT_ROLLBACK], "rolling back", NULL);
  return count;
}

/* The task's finished_ms (0: not yet), or -1 with "ResourceNotFound" when it does not exist or
 * has not exited. */
static gint64
finished_ms_locked (SqliteStore *self, guint64 sdk_app_id, const char *task_id, GError **error)
{
  g_autoptr (Stmt) stmt = self->stmt[STMT_GET_FINISHED];
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  store_bind_text (stmt, 2, task_id);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return sqlite3_column_int64 (stmt, 0);
  if (rc != SQLITE_DONE)
    store_fail (self, error, "reading the task's end");
  else
    cr_api_error_set (error, "ResourceNotFound",
                      "Task %s of SdkAppId %" G_GUINT64_FORMAT " does not exist or has not exited",
                      task_id, sdk_app_id);
  return -1;
}

static gboolean
sqlite_finish (CrTaskStore *store, guint64 sdk_app_id, const char *task_id, gint64 now_ms,
               const CrEventNew *event, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  gboolean ok = FALSE;
  if (!store_begin (self, "starting the finish transaction", error))
    return FALSE;
  gint64 finished = finished_ms_locked (self, sdk_app_id, task_id, error);
  if (finished < 0)
    goto out;
  if (finished == 0 && event != NULL && event->event_type != 0
      && sqlite_events_insert (self, sdk_app_id, task_id, event, now_ms, error) < 0)
    goto out;
  Stmt *stmt = self->stmt[STMT_FINISH];
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)sdk_app_id);
  store_bind_text (stmt, 2, task_id);
  sqlite3_bind_int64 (stmt, 3, now_ms);
  ok = store_step_done (self, stmt, "finishing the task", error)
       && store_commit (self, "committing the finish", error);
out:
  if (!ok)
    store_rollback (self);
  return ok;
}

static gint64
sqlite_count_active (CrTaskStore *store, guint64 sdk_app_id, GError **error)
{
  return count_active_locked ((SqliteStore *)store, sdk_app_id, error);
}

static GPtrArray *
sqlite_list_active (CrTaskStore *store, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  g_autoptr (Stmt) stmt = self->stmt[STMT_LIST_ACTIVE];
  g_autoptr (GPtrArray) tasks = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_task_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (tasks, task_from_row (stmt));
  if (rc != SQLITE_DONE) {
    store_fail (self, error, "listing active tasks");
    return NULL;
  }
  return g_steal_pointer (&tasks);
}

static gboolean
sqlite_put_file (CrTaskStore *store, const CrTaskFile *file, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  Stmt *stmt = self->stmt[STMT_PUT_FILE];
  store_bind_text (stmt, 1, file->task_id);
  store_bind_text (stmt, 2, file->file_name);
  store_bind_text (stmt, 3, file->user_id != NULL ? file->user_id : "");
  store_bind_text (stmt, 4, file->track_type);
  sqlite3_bind_int64 (stmt, 5, file->begin_ts_ms);
  return store_step_done (self, stmt, "storing the file entry", error);
}

static GPtrArray *
sqlite_list_files (CrTaskStore *store, const char *task_id, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  g_autoptr (Stmt) stmt = self->stmt[STMT_LIST_FILES];
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_task_file_free);
  store_bind_text (stmt, 1, task_id);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
    CrTaskFile *file = g_new0 (CrTaskFile, 1);
    file->task_id = store_column_text (stmt, 0);
    file->file_name = store_column_text (stmt, 1);
    file->user_id = store_column_text (stmt, 2);
    file->track_type = store_column_text (stmt, 3);
    file->begin_ts_ms = sqlite3_column_int64 (stmt, 4);
    g_ptr_array_add (files, file);
  }
  if (rc != SQLITE_DONE) {
    store_fail (self, error, "listing the task files");
    return NULL;
  }
  return g_steal_pointer (&files);
}

static GPtrArray *
sqlite_list_finished (CrTaskStore *store, gint64 after_ms, gint64 before_ms, GError **error)
{
  SqliteStore *self = (SqliteStore *)store;
  g_autoptr (Stmt) stmt = self->stmt[STMT_LIST_FINISHED];
  g_autoptr (GPtrArray) tasks = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_task_free);
  sqlite3_bind_int64 (stmt, 1, after_ms);
  sqlite3_bind_int64 (stmt, 2, before_ms);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (tasks, task_from_row (stmt));
  if (rc != SQLITE_DONE) {
    store_fail (self, error, "listing finished tasks");
    return NULL;
  }
  return g_steal_pointer (&tasks);
}

static void
sqlite_close (CrTaskStore *store)
{
  SqliteStore *self = (SqliteStore *)store;
  sqlite_events_free (self->events);
  for (guint i = 0; i < N_STMTS; i++)
    sqlite3_finalize (self->stmt[i]);
  g_free (self->stmt);
  sqlite3_close (self->db); /* checkpoints and removes the WAL when it is the last connection */
  g_free (self);
}

static const CrTaskStoreVtable sqlite_vtable = {
  .version = CR_TASK_STORE_VERSION,
  .name = "sqlite",
  .insert = sqlite_insert,
  .lookup = sqlite_lookup,
  .update_params = sqlite_update_params,
  .set_status = sqlite_set_status,
  .count_active = sqlite_count_active,
  .list_active = sqlite_list_active,
  .put_file = sqlite_put_file,
  .list_files = sqlite_list_files,
  .add_failover = sqlite_add_failover,
  .finish = sqlite_finish,
  .list_finished = sqlite_list_finished,
  .add_event = sqlite_add_event,
  .list_events = sqlite_list_events,
  .due_events = sqlite_due_events,
  .update_event = sqlite_update_event,
  .resend_events = sqlite_resend_events,
  .count_pending_events = sqlite_count_pending_events,
  .get_auto_template = sqlite_get_auto_template,
  .put_auto_template = sqlite_put_auto_template,
  .add_auto_task = sqlite_add_auto_task,
  .list_auto_tasks = sqlite_list_auto_tasks,
  .close = sqlite_close,
};

/* Runs a one-row, one-column statement (a PRAGMA) and returns its value as text. */
static char *
query_text (SqliteStore *self, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;
  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK
      || sqlite3_step (stmt) != SQLITE_ROW)
    store_fail (self, error, sql);
  else
    value = store_column_text (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static gboolean
exec (SqliteStore *self, const char *sql, const char *what, GError **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return store_fail (self, error, what);
  return TRUE;
}

/* Reads PRAGMA user_version; -1 on error. */
static gint64
schema_version (SqliteStore *self, GError **error)
{
  g_autofree char *text = query_text (self, "PRAGMA user_version", error);
  return text != NULL ? g_ascii_strtoll (text, NULL, 10) : -1;
}

/* Brings the schema to the newest version, one step per transaction, each under the write lock
 * (BEGIN IMMEDIATE) and re-reading the version inside it, so two processes opening an old or a
 * new file at once neither run a step twice nor create the tables twice. A file newer than this
 * code is refused before anything is written. */
static gboolean
migrate (SqliteStore *self, const char *path, GError **error)
{
  const guint latest = G_N_ELEMENTS (migrations);
  gint64 first = -1; /* the version found on open */
  for (;;) {
    if (!exec (self, "BEGIN IMMEDIATE", "starting the schema migration", error))
      return FALSE;
    gint64 version = schema_version (self, error);
    if (version < 0 && error != NULL && *error != NULL)
      goto fail;
    if (version < 0 || version > (gint64)latest) {
      cr_api_error_set (error, DB_ERROR,
                        "task store %s has schema version %" G_GINT64_FORMAT
                        ", but this cloudrec knows versions up to %u; refusing to use it",
                        path, version, latest);
      goto fail;
    }
    if (first < 0)
      first = version;
    if (version == (gint64)latest) {
      if (first > 0 && first < (gint64)latest)
        g_info ("task store %s: schema migrated from version %" G_GINT64_FORMAT " to %u", path,
                first, latest);
      return exec (self, "COMMIT", "finishing the schema check", error);
    }
    g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %u", (guint)version + 1);
    g_autofree char *what
        = g_strdup_printf ("migrating the schema to version %u", (guint)version + 1);
    if (!exec (self, migrations[version], what, error)
        || !exec (self, set_version, "recording the schema version", error)
        || !exec (self, "COMMIT", "committing the schema migration", error))
      goto fail;
  }

fail:
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

/* Creates the parent directory and, if missing, the database file with mode 0600: task
 * parameters include cloud storage keys, and SQLite gives the -wal/-shm files the same mode. */
static gboolean
prepare_path (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    int err = errno;
    cr_api_error_set (error, DB_ERROR, "task store: cannot create directory %s: %s", dir,
                      g_strerror (err));
    return FALSE;
  }
  int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST) {
    int err = errno;
    cr_api_error_set (error, DB_ERROR, "task store: cannot create %s: %s", path, g_strerror (err));
    return FALSE;
  }
  if (fd >= 0)
    close (fd);
  return TRUE;
}

CrTaskStore *
cr_sqlite_store_open (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  SqliteStore *self = NULL;
  g_autofree char *mode = NULL;
  const gboolean in_memory = g_strcmp0 (path, ":memory:") == 0;

  if (*path == '\0') {
    cr_api_error_set (error, DB_ERROR, "task store: the database path is empty");
    return NULL;
  }
  if (!in_memory && !prepare_path (path, error))
    return NULL;

  self = g_new0 (SqliteStore, 1);
  self->parent.vt = &sqlite_vtable;
  self->stmt = g_new0 (sqlite3_stmt *, N_STMTS);
  int rc = sqlite3_open_v2 (path, &self->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    cr_api_error_set (error, DB_ERROR, "task store: cannot open %s: %s", path,
                      self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
    goto fail;
  }
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);

  /* The first statement that reads the file: a non-database file fails here. */
  mode = query_text (self, "PRAGMA journal_mode = WAL", NULL);
  if (mode == NULL) {
    cr_api_error_set (error, DB_ERROR, "task store: cannot open %s: %s", path,
                      sqlite3_errmsg (self->db));
    goto fail;
  }
  if (g_ascii_strcasecmp (mode, "wal") != 0 && !in_memory) {
    cr_api_error_set (error, DB_ERROR, "task store: %s cannot use WAL mode (journal mode is %s)",
                      path, mode);
    goto fail;
  }
  if (!exec (self, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", "setting pragmas", error)
      || !migrate (self, path, error))
    goto fail;

  for (guint i = 0; i < N_STMTS; i++) {
    if (sqlite3_prepare_v3 (self->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &self->stmt[i],
                            NULL)
        != SQLITE_OK) {
      store_fail (self, error, "preparing statements");
      goto fail;
    }
  }
  self->events = sqlite_events_new (self, error);
  if (self->events == NULL)
    goto fail;
  return &self->parent;

fail:
  sqlite_close (&self->parent);
  return NULL;
}
