/* The SQLite task store: the conformance suite on fresh database files, plus what only a file-based
 * store has (persistence, WAL, several connections, bad files, schema versions). Every database
 * lives under one g_dir_make_tmp() directory that is removed at exit. */
#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "common/file_util.h"
#include "common/api_error.h"
#include "conformance.h"
#include "store/task_store.h"
#include "upload/upload_queue.h"

#define APP G_GUINT64_CONSTANT (1400000001)
#define T0 G_GINT64_CONSTANT (1700000000000)
#define LATEST_VERSION "10" /* PRAGMA user_version of a store this code creates */

/* The schema of cloudrec 0.1.0 (commit 0a71f3e), user_version 1, exactly as that release wrote
 * it: a data directory of that release must open with this code and keep its tasks. */
static const char old_schema_v1[]
    = "CREATE TABLE tasks ("
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
      "  PRIMARY KEY (task_id, file_name));"
      "PRAGMA user_version = 1;";

typedef struct {
  char *dir;     /* the g_dir_make_tmp() directory */
  guint counter; /* makes every database path unique */
} TestEnv;

/* A path for a new database, in a subdirectory that does not exist yet. */
static char *
new_db_path (TestEnv *env, const char *name)
{
  return g_strdup_printf ("%s/%s-%u/store.db", env->dir, name, ++env->counter);
}

static CrTaskStore *
open_fresh (gpointer user_data, GError **error)
{
  g_autofree char *path = new_db_path (user_data, "conformance");
  return cr_sqlite_store_open (path, error);
}

static CrTaskStore *
open_ok (const char *path)
{
  g_autoptr (GError) error = NULL;
  CrTaskStore *store = cr_sqlite_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  g_assert_cmpstr (store->vt->name, ==, "sqlite");
  return store;
}

static CrTask *
make_task (const char *task_id, gint64 created_ms)
{
  CrTask *task = cr_task_new ();
  task->task_id = g_strdup (task_id);
  task->sdk_app_id = APP;
  task->room_id = g_strdup ("房间-1");
  task->room_id_type = 0;
  task->user_id = g_strdup ("robot_1");
  task->params_json = g_strdup ("{\"RoomId\":\"房间-1\"}");
  task->created_ms = created_ms;
  task->updated_ms = created_ms;
  task->expires_ms = created_ms + 3600000;
  return task;
}

static void
insert_ok (CrTaskStore *store, const CrTask *task, gint64 max_active)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (store->vt->insert (store, task, max_active, &error));
  g_assert_no_error (error);
}

static CrTask *
lookup_ok (CrTaskStore *store, const char *task_id)
{
  g_autoptr (GError) error = NULL;
  CrTask *task = store->vt->lookup (store, APP, task_id, &error);
  g_assert_no_error (error);
  return task;
}

/* One text value from a plain SQLite connection of our own, not the store's. */
static char *
raw_query (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    value = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

static void
raw_exec (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static void
test_persistence (gconstpointer data)
{
  g_autofree char *path = new_db_path ((TestEnv *)data, "persist");
  g_autoptr (CrTask) live = make_task ("T-live", T0 + 2);
  g_autoptr (CrTask) done = make_task ("T-done", T0 + 1);
  g_autoptr (GError) error = NULL;

  CrTaskStore *store = open_ok (path);
  insert_ok (store, live, 10);
  insert_ok (store, done, 10);
  g_assert_true (store->vt->update_params (store, APP, "T-live", "{\"v\":2}", T0 + 5, &error));
  g_assert_true (
      store->vt->set_status (store, APP, "T-done", CR_TASK_EXITED, 4, T0 + 6, NULL, &error));
  g_autoptr (CrTaskFile) file = cr_task_file_new ("T-live", "x.m3u8", "u", "audio", T0 + 3);
  g_assert_true (store->vt->put_file (store, file, &error));
  g_assert_no_error (error);
  cr_task_store_close (store);

  store = open_ok (path);
  g_autoptr (CrTask) got = lookup_ok (store, "T-live");
  g_assert_nonnull (got);
  g_assert_cmpstr (got->room_id, ==, "房间-1");
  g_assert_cmpstr (got->params_json, ==, "{\"v\":2}");
  g_assert_cmpint (got->revision, ==, 1);
  g_assert_cmpint (got->updated_ms, ==, T0 + 5);
  g_assert_cmpint (got->status, ==, CR_TASK_IDLE);
  g_autoptr (CrTask) got_done = lookup_ok (store, "T-done");
  g_assert_nonnull (got_done);
  g_assert_cmpint (got_done->status, ==, CR_TASK_EXITED);
  g_assert_cmpint (got_done->leave_code, ==, 4);
  g_assert_cmpint (got_done->ended_ms, ==, T0 + 6);

  g_autoptr (GPtrArray) active = store->vt->list_active (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (active->len, ==, 1);
  g_assert_cmpstr (((CrTask *)g_ptr_array_index (active, 0))->task_id, ==, "T-live");
  g_autoptr (GPtrArray) files = store->vt->list_files (store, "T-live", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (files->len, ==, 1);
  g_assert_cmpstr (((CrTaskFile *)g_ptr_array_index (files, 0))->file_name, ==, "x.m3u8");

  /* The quota counts what was stored before the restart. */
  g_autoptr (CrTask) more = make_task ("T-more", T0 + 9);
  g_assert_false (store->vt->insert (store, more, 1, &error));
  g_assert_true (cr_api_error_is (error, "FailedOperation.RestrictedConcurrency"));
  cr_task_store_close (store);
}

static void
test_wal_and_schema (gconstpointer data)
{
  g_autofree char *path = new_db_path ((TestEnv *)data, "wal");
  g_autoptr (CrTaskStore) store = open_ok (path);
  g_autoptr (CrTask) task = make_task ("T-wal", T0);
  insert_ok (store, task, 10);

  g_autofree char *mode = raw_query (path, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_autofree char *version = raw_query (path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, LATEST_VERSION);
  g_autofree char *objects
      = raw_query (path, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
                         "WHERE name NOT LIKE 'sqlite_%' ORDER BY name)");
  g_assert_cmpstr (objects, ==,
                   "auto_tasks,auto_tasks_by_app,auto_templates,board_log,class_callbacks,class_records,"
                   "class_records_by_state,class_records_local,"
                   "events,events_by_task,events_pending,task_files,tasks,tasks_active_by_app,"
                   "uploads,uploads_by_task,usage,usage_by_app,video_gen_callbacks,video_gen_tasks,"
                   "video_gen_tasks_by_status");

  /* Counting an app's active tasks (the quota check) uses the partial index. */
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "EXPLAIN QUERY PLAN SELECT count(*) FROM tasks "
                                       "WHERE sdk_app_id = ?1 AND status <> 2",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  const char *detail = (const char *)sqlite3_column_text (stmt, 3);
  g_assert_nonnull (strstr (detail, "tasks_active_by_app"));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
test_two_handles (gconstpointer data)
{
  g_autofree char *path = new_db_path ((TestEnv *)data, "two");
  g_autoptr (CrTaskStore) a = open_ok (path);
  g_autoptr (CrTaskStore) b = open_ok (path);
  g_autoptr (GError) error = NULL;

  g_autoptr (CrTask) task = make_task ("T-shared", T0);
  insert_ok (a, task, 2);
  g_autoptr (CrTask) seen = lookup_ok (b, "T-shared");
  g_assert_nonnull (seen);
  g_assert_cmpstr (seen->params_json, ==, task->params_json);

  g_assert_true (
      b->vt->set_status (b, APP, "T-shared", CR_TASK_IN_PROGRESS, -1, T0 + 1, NULL, &error));
  g_assert_no_error (error);
  g_autoptr (CrTask) seen_by_a = lookup_ok (a, "T-shared");
  g_assert_cmpint (seen_by_a->status, ==, CR_TASK_IN_PROGRESS);

  /* The quota holds across connections. */
  g_autoptr (CrTask) second = make_task ("T-second", T0 + 2);
  insert_ok (b, second, 2);
  g_autoptr (CrTask) third = make_task ("T-third", T0 + 3);
  g_assert_false (a->vt->insert (a, third, 2, &error));
  g_assert_true (cr_api_error_is (error, "FailedOperation.RestrictedConcurrency"));
  g_assert_cmpint (b->vt->count_active (b, APP, NULL), ==, 2);
}

typedef struct {
  const char *path;
  gint locked;
} Locker;

/* Holds the write lock of @path for 300 ms from another connection. */
static gpointer
locker_thread (gpointer data)
{
  Locker *locker = data;
  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open (locker->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  g_atomic_int_set (&locker->locked, 1);
  g_usleep (300 * 1000);
  g_assert_cmpint (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  return NULL;
}

static void
test_busy_timeout_waits (gconstpointer data)
{
  g_autofree char *path = new_db_path ((TestEnv *)data, "busy");
  g_autoptr (CrTaskStore) store = open_ok (path);
  Locker locker = { path, 0 };
  GThread *thread = g_thread_new ("locker", locker_thread, &locker);
  while (!g_atomic_int_get (&locker.locked))
    g_usleep (1000);

  gint64 start = g_get_monotonic_time ();
  g_autoptr (CrTask) task = make_task ("T-waited", T0);
  insert_ok (store, task, 10); /* would fail with "database is locked" without the timeout */
  gint64 waited_ms = (g_get_monotonic_time () - start) / 1000;
  g_thread_join (thread);
  g_assert_cmpint (waited_ms, >=, 100);
  g_assert_cmpint (waited_ms, <, 5000);
}

#define RACERS 4
#define RACE_QUOTA 5
#define RACE_ROUNDS 400

typedef struct {
  const char *path;
  int index;
  gint *ready; /* start barrier: every racer opens its store first */
  int inserted;
  int refused;
} Racer;

/* Through its own connection (as another process would), keeps the quota full: inserts until
 * refused, then ends its oldest task to free a slot, so the limit is crossed again and again.
 * After every successful insert the app must still be within the quota. */
static gpointer
racer_thread (gpointer data)
{
  Racer *racer = data;
  g_autoptr (CrTaskStore) store = open_ok (racer->path);
  g_autoptr (GQueue) mine = g_queue_new ();
  g_atomic_int_inc (racer->ready);
  while (g_atomic_int_get (racer->ready) < RACERS)
    g_thread_yield ();

  for (int i = 0; i < RACE_ROUNDS; i++) {
    char *id = g_strdup_printf ("T-%d-%d", racer->index, i);
    g_autoptr (CrTask) task = make_task (id, T0 + i);
    g_autoptr (GError) error = NULL;
    if (store->vt->insert (store, task, RACE_QUOTA, &error)) {
      racer->inserted++;
      g_queue_push_tail (mine, id);
      gint64 active = store->vt->count_active (store, APP, &error);
      g_assert_no_error (error);
      g_assert_cmpint (active, <=, RACE_QUOTA);
      continue;
    }
    g_assert_true (cr_api_error_is (error, "FailedOperation.RestrictedConcurrency"));
    g_clear_error (&error);
    racer->refused++;
    g_free (id);
    g_autofree char *oldest = g_queue_pop_head (mine);
    if (oldest != NULL) {
      g_assert_true (store->vt->set_status (store, APP, oldest, CR_TASK_EXITED, 0, T0 + 1000 + i,
                                            NULL, &error));
      g_assert_no_error (error);
    }
  }
  g_queue_free_full (g_steal_pointer (&mine), g_free);
  return NULL;
}

/* Connections racing for one app's quota never exceed it, and the loser of a race waits for the
 * write lock instead of failing with "database is locked". */
static void
test_concurrent_quota (gconstpointer data)
{
  g_autofree char *path = new_db_path ((TestEnv *)data, "race");
  cr_task_store_close (open_ok (path));
  gint ready = 0;
  Racer racers[RACERS];
  GThread *threads[RACERS];
  for (int i = 0; i < RACERS; i++) {
    racers[i] = (Racer){ path, i, &ready, 0, 0 };
    threads[i] = g_thread_new ("racer", racer_thread, &racers[i]);
  }
  int inserted = 0, refused = 0;
  for (int i = 0; i < RACERS; i++) {
    g_thread_join (threads[i]);
    inserted += racers[i].inserted;
    refused += racers[i].refused;
  }
  g_assert_cmpint (inserted + refused, ==, RACERS * RACE_ROUNDS);
  g_assert_cmpint (refused, >, 0);
  g_autofree char *active = raw_query (path, "SELECT count(*) FROM tasks WHERE status <> 2");
  g_assert_cmpint (g_ascii_strtoll (active, NULL, 10), <=, RACE_QUOTA);
  g_autofree char *total = raw_query (path, "SELECT count(*) FROM tasks");
  g_assert_cmpint (g_ascii_strtoll (total, NULL, 10), ==, inserted);
}

static void
test_corrupt_file (gconstpointer data)
{
  g_autofree char *path = new_db_path ((TestEnv *)data, "corrupt");
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  GString *junk = g_string_new (NULL);
  while (junk->len < 8192)
    g_string_append (junk, "this is not an SQLite database, just text\n");
  g_assert_true (g_file_set_contents (path, junk->str, (gssize)junk->len, NULL));

  g_autoptr (GError) error = NULL;
  CrTaskStore *store = cr_sqlite_store_open (path, &error);
  g_assert_null (store);
  g_assert_true (cr_api_error_is (error, "InternalError.DBError"));
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "not a database"));

  /* The file was left as it was. */
  g_autofree char *after = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &after, &len, NULL));
  g_assert_cmpuint (len, ==, junk->len);
  g_assert_true (memcmp (after, junk->str, len) == 0);
  g_string_free (junk, TRUE);
}

static void
test_unwritable_path (gconstpointer data)
{
  TestEnv *env = (TestEnv *)data;
  g_autoptr (GError) error = NULL;

  /* A regular file where a directory should be: fails even for root. */
  g_autofree char *blocker = g_build_filename (env->dir, "blocker", NULL);
  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));
  g_autofree char *under_file = g_build_filename (blocker, "sub", "store.db", NULL);
  CrTaskStore *store = cr_sqlite_store_open (under_file, &error);
  g_assert_null (store);
  g_assert_true (cr_api_error_is (error, "InternalError.DBError"));
  g_assert_nonnull (strstr (error->message, "cannot create directory"));
  g_clear_error (&error);

  /* The path is a directory. */
  store = cr_sqlite_store_open (env->dir, &error);
  g_assert_null (store);
  g_assert_true (cr_api_error_is (error, "InternalError.DBError"));
  g_assert_nonnull (strstr (error->message, env->dir));
  g_clear_error (&error);

  store = cr_sqlite_store_open ("", &error);
  g_assert_null (store);
  g_assert_true (cr_api_error_is (error, "InternalError.DBError"));
}

static void
test_newer_schema_refused (gconstpointer data)
{
  g_autofree char *path = new_db_path ((TestEnv *)data, "newer");
  cr_task_store_close (open_ok (path));
  raw_exec (path, "PRAGMA user_version = 99");

  g_autoptr (GError) error = NULL;
  CrTaskStore *store = cr_sqlite_store_open (path, &error);
  g_assert_null (store);
  g_assert_true (cr_api_error_is (error, "InternalError.DBError"));
  g_assert_nonnull (strstr (error->message, "schema version 99"));
  g_autofree char *version = raw_query (path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "99");
}

/* A database of the previous release (schema version 1, written with its own statements, WAL as
 * that release used) opens with this code: it is migrated to the latest version and its tasks and
 * files read back unchanged, with the new columns at their defaults. */
static void
test_migrate_from_v1 (gconstpointer data)
{
  g_autofree char *path = new_db_path ((TestEnv *)data, "v1");
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, old_schema_v1, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (
      sqlite3_exec (db,
                    "INSERT INTO tasks VALUES ('T-old', 1400000001, '房间-1', 0, 'robot_1', 1, -1, "
                    "'{\"RoomId\":\"房间-1\"}', 2, 1700000000000, 1700000000500, "
                    "1700003600000, 0);"
                    "INSERT INTO tasks VALUES ('T-old-done', 1400000001, '8', 1, 'robot_2', 2, 99, "
                    "'{}', 0, 1700000000001, 1700000000001, 1700003600001, 1700000000900);"
                    "INSERT INTO task_files VALUES ('T-old', 'a.m3u8', 'alice', 'audio', "
                    "1700000000100);"
                    "INSERT INTO task_files VALUES ('T-old', 'b.m3u8', 'alice', 'video', "
                    "1700000000200);",
                    NULL, NULL, NULL),
      ==, SQLITE_OK);
  sqlite3_close (db);

  g_autoptr (CrTaskStore) store = open_ok (path);
  g_autofree char *version = raw_query (path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, LATEST_VERSION);
  g_autoptr (GError) error = NULL;

  g_autoptr (CrTask) got = lookup_ok (store, "T-old");
  g_assert_nonnull (got);
  g_assert_cmpstr (got->room_id, ==, "房间-1");
  g_assert_cmpint (got->room_id_type, ==, 0);
  g_assert_cmpstr (got->user_id, ==, "robot_1");
  g_assert_cmpint (got->status, ==, CR_TASK_IN_PROGRESS);
  g_assert_cmpint (got->leave_code, ==, -1);
  g_assert_cmpstr (got->params_json, ==, "{\"RoomId\":\"房间-1\"}");
  g_assert_cmpint (got->revision, ==, 2);
  g_assert_cmpint (got->created_ms, ==, T0);
  g_assert_cmpint (got->updated_ms, ==, T0 + 500);
  g_assert_cmpint (got->expires_ms, ==, T0 + 3600000);
  g_assert_cmpint (got->ended_ms, ==, 0);
  g_assert_cmpint (got->failovers, ==, 0);
  g_assert_cmpint (got->finished_ms, ==, 0);
  g_autoptr (CrTask) done = lookup_ok (store, "T-old-done");
  g_assert_nonnull (done);
  g_assert_cmpint (done->status, ==, CR_TASK_EXITED);
  g_assert_cmpint (done->leave_code, ==, 99);
  g_assert_cmpint (done->ended_ms, ==, T0 + 900);
  g_assert_cmpint (done->finished_ms, ==, 0);
  g_assert_true (store->vt->finish (store, APP, "T-old-done", T0 + 1000, NULL, &error));
  g_assert_no_error (error);

  g_autoptr (GPtrArray) files = store->vt->list_files (store, "T-old", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (files->len, ==, 2);
  const CrTaskFile *a = g_ptr_array_index (files, 0), *b = g_ptr_array_index (files, 1);
  g_assert_cmpstr (a->file_name, ==, "a.m3u8");
  g_assert_cmpstr (a->user_id, ==, "alice");
  g_assert_cmpstr (a->track_type, ==, "audio");
  g_assert_cmpint (a->begin_ts_ms, ==, T0 + 100);
  g_assert_cmpstr (b->file_name, ==, "b.m3u8");
  g_assert_cmpstr (b->track_type, ==, "video");

  /* The migrated store works as a new one: the live task is resumed and counted. */
  g_autoptr (GPtrArray) active = store->vt->list_active (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (active->len, ==, 1);
  g_assert_cmpint (store->vt->add_failover (store, APP, "T-old", &error), ==, 1);
  g_assert_no_error (error);
  cr_task_store_close (g_steal_pointer (&store));

  /* Opening again migrates nothing more. */
  g_autoptr (CrTaskStore) again = open_ok (path);
  g_autoptr (CrTask) reread = lookup_ok (again, "T-old");
  g_assert_cmpint (reread->failovers, ==, 1);
  g_autofree char *version2 = raw_query (path, "PRAGMA user_version");
  g_assert_cmpstr (version2, ==, LATEST_VERSION);
}

/* A version-1 file whose migration cannot apply (a column of the same name already there) is left
 * at version 1, untouched, with an error naming the step. */
static void
test_failed_migration_rolls_back (gconstpointer data)
{
  g_autofree char *path = new_db_path ((TestEnv *)data, "v1bad");
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, old_schema_v1, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (
      sqlite3_exec (db, "ALTER TABLE tasks ADD COLUMN failovers TEXT", NULL, NULL, NULL), ==,
      SQLITE_OK);
  sqlite3_close (db);

  g_autoptr (GError) error = NULL;
  CrTaskStore *store = cr_sqlite_store_open (path, &error);
  g_assert_null (store);
  g_assert_true (cr_api_error_is (error, "InternalError.DBError"));
  g_assert_nonnull (strstr (error->message, "migrating the schema to version 2"));
  g_autofree char *version = raw_query (path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "1");
}

static void
test_file_permissions (gconstpointer data)
{
  g_autofree char *path = new_db_path ((TestEnv *)data, "perm");
  g_autoptr (CrTaskStore) store = open_ok (path);
  g_autoptr (CrTask) task = make_task ("T-perm", T0);
  insert_ok (store, task, 10);

  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
}

static void
test_file_needs_task (gconstpointer data)
{
  g_autofree char *path = new_db_path ((TestEnv *)data, "fk");
  g_autoptr (CrTaskStore) store = open_ok (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrTaskFile) file = cr_task_file_new ("T-missing", "a.m3u8", "", "audio", T0);
  g_assert_false (store->vt->put_file (store, file, &error));
  g_assert_true (cr_api_error_is (error, "InternalError.DBError"));
  g_assert_nonnull (strstr (error->message, "FOREIGN KEY"));
}

static void
test_in_memory (void)
{
  g_autoptr (CrTaskStore) store = open_ok (":memory:");
  g_autoptr (CrTask) task = make_task ("T-mem", T0);
  insert_ok (store, task, 10);
  g_autoptr (CrTask) got = lookup_ok (store, "T-mem");
  g_assert_nonnull (got);
  g_assert_false (g_file_test (":memory:", G_FILE_TEST_EXISTS));
}

/* The upload queue (upload_queue.h) on the store's file: order, a playlist queued again replaces
 * the waiting copy and moves behind, updates and removals, the spool's size, and all of it after
 * a reopen (a restart). */
static void
test_upload_queue (gconstpointer data)
{
  TestEnv *env = (TestEnv *)data;
  g_autofree char *path = new_db_path (env, "uploads");
  g_autoptr (GError) error = NULL;
  g_autoptr (CrTaskStore) store = open_ok (path); /* creates and migrates the file */
  g_assert_nonnull (store);
  CrUploadQueue *q = cr_sqlite_upload_queue_open (path, &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) v1 = g_bytes_new_static ("#EXTM3U v1", 10);
  g_autoptr (GBytes) v2 = g_bytes_new_static ("#EXTM3U v2", 10);
  CrUpload seg1 = { .sdk_app_id = 1,
                    .task_id = "t1",
                    .object_key = "p/t1/a_1.ts",
                    .kind = CR_UPLOAD_FILE,
                    .path = "/spool/p/t1/a_1.ts",
                    .size = 1000 };
  CrUpload pl = { .sdk_app_id = 1,
                  .task_id = "t1",
                  .object_key = "p/t1/a.m3u8",
                  .kind = CR_UPLOAD_PLAYLIST,
                  .content = v1,
                  .size = 10 };
  CrUpload seg2 = seg1;
  seg2.object_key = "p/t1/a_2.ts";
  seg2.path = "/spool/p/t1/a_2.ts";
  seg2.size = 500;
  CrUpload other = seg1;
  other.task_id = "t2";
  other.object_key = "t2/x.ts";
  gint64 id1 = q->vt->add (q, &seg1, &error);
  gint64 idp = q->vt->add (q, &pl, &error);
  gint64 id2 = q->vt->add (q, &seg2, &error);
  q->vt->add (q, &other, &error);
  pl.content = v2;
  gint64 idp2 = q->vt->add (q, &pl, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id1, <, idp);
  g_assert_cmpint (idp, <, id2);
  g_assert_cmpint (id2, <, idp2);
  g_assert_cmpint (q->vt->spooled_bytes (q, &error), ==, 2500);

  g_autoptr (GPtrArray) rows = q->vt->list (q, "t1", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 3); /* the first playlist copy is gone */
  CrUpload *r0 = g_ptr_array_index (rows, 0), *r2 = g_ptr_array_index (rows, 2);
  g_assert_cmpstr (r0->object_key, ==, "p/t1/a_1.ts");
  g_assert_cmpstr (r0->path, ==, "/spool/p/t1/a_1.ts");
  g_assert_null (r0->content);
  g_assert_cmpint (r2->id, ==, idp2);
  g_assert_cmpint (r2->kind, ==, CR_UPLOAD_PLAYLIST);
  g_assert_cmpmem (g_bytes_get_data (r2->content, NULL), 10, "#EXTM3U v2", 10);

  r0->attempts = 3;
  r0->next_ms = 12345;
  r0->multipart_id = g_strdup ("upload-1");
  r0->last_error = g_strdup ("SlowDown: reduce your request rate");
  g_assert_true (q->vt->update (q, r0, &error));
  g_assert_true (q->vt->remove (q, id2, &error));
  g_assert_true (q->vt->remove (q, id2, &error)); /* already gone: fine */
  g_assert_no_error (error);
  cr_upload_queue_close (q);

  q = cr_sqlite_upload_queue_open (path, &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) all = q->vt->list (q, NULL, &error);
  g_assert_cmpuint (all->len, ==, 3);
  CrUpload *a0 = g_ptr_array_index (all, 0);
  g_assert_cmpint (a0->attempts, ==, 3);
  g_assert_cmpint (a0->next_ms, ==, 12345);
  g_assert_cmpstr (a0->multipart_id, ==, "upload-1");
  g_assert_cmpstr (a0->last_error, ==, "SlowDown: reduce your request rate");
  g_assert_cmpstr (((CrUpload *)g_ptr_array_index (all, 1))->task_id, ==, "t2");
  g_assert_cmpint (q->vt->spooled_bytes (q, &error), ==, 2000);
  cr_upload_queue_close (q);
}

/* Auto-recording's rows (migration 6, sqlite_auto.c): the template kept across reopening with the
 * digest it was made against, removed on request; the auto tasks listed newest first, another
 * app's not, and gone with their task's row. */
static void
test_auto_record (gconstpointer data)
{
  g_autofree char *path = new_db_path ((TestEnv *)data, "auto");
  g_autoptr (GError) error = NULL;
  g_autofree char *tmpl = NULL, *digest = NULL;
  {
    g_autoptr (CrTaskStore) store = open_ok (path);
    g_assert_true (store->vt->get_auto_template (store, APP, &tmpl, &digest, &error));
    g_assert_null (tmpl);
    g_assert_null (digest);
    g_assert_true (store->vt->put_auto_template (store, APP, "{\"Enabled\":1}", "d1", T0, &error));
    g_assert_true (store->vt->put_auto_template (store, APP, "{\"Enabled\":0}", "d2", T0, &error));
    g_autoptr (CrTask) a = make_task ("T-auto-1", T0);
    g_autoptr (CrTask) b = make_task ("T-auto-2", T0 + 1);
    g_autoptr (CrTask) plain = make_task ("T-plain", T0 + 2);
    insert_ok (store, a, 10);
    insert_ok (store, b, 10);
    insert_ok (store, plain, 10);
    g_assert_true (store->vt->add_auto_task (store, APP, "T-auto-1", T0, &error));
    g_assert_true (store->vt->add_auto_task (store, APP, "T-auto-2", T0 + 1, &error));
    g_assert_no_error (error);
    g_assert_false (store->vt->add_auto_task (store, APP, "T-none", T0, &error));
    g_clear_error (&error);
    g_assert_false (store->vt->add_auto_task (store, APP, "T-auto-1", T0, &error)); /* twice */
    g_clear_error (&error);
  }
  g_autoptr (CrTaskStore) store = open_ok (path);
  g_assert_true (store->vt->get_auto_template (store, APP, &tmpl, &digest, &error));
  g_assert_cmpstr (tmpl, ==, "{\"Enabled\":0}");
  g_assert_cmpstr (digest, ==, "d2");
  g_autoptr (GPtrArray) list = store->vt->list_auto_tasks (store, APP, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((CrTask *)g_ptr_array_index (list, 0))->task_id, ==, "T-auto-2");
  g_assert_cmpstr (((CrTask *)g_ptr_array_index (list, 1))->task_id, ==, "T-auto-1");
  g_autoptr (GPtrArray) other = store->vt->list_auto_tasks (store, APP + 1, &error);
  g_assert_cmpuint (other->len, ==, 0);
  g_assert_true (store->vt->put_auto_template (store, APP, NULL, NULL, 0, &error));
  g_clear_pointer (&tmpl, g_free);
  g_clear_pointer (&digest, g_free);
  g_assert_true (store->vt->get_auto_template (store, APP, &tmpl, &digest, &error));
  g_assert_null (tmpl);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_autoptr (GError) error = NULL;
  TestEnv env = { g_dir_make_tmp ("cloudrec-store-XXXXXX", &error), 0 };
  g_assert_no_error (error);

  cr_store_conformance_register ("/store/sqlite/conformance", open_fresh, &env);
  g_test_add_data_func ("/store/sqlite/persistence", &env, test_persistence);
  g_test_add_data_func ("/store/sqlite/auto-record", &env, test_auto_record);
  g_test_add_data_func ("/store/sqlite/wal-and-schema", &env, test_wal_and_schema);
  g_test_add_data_func ("/store/sqlite/two-handles", &env, test_two_handles);
  g_test_add_data_func ("/store/sqlite/busy-timeout-waits", &env, test_busy_timeout_waits);
  g_test_add_data_func ("/store/sqlite/concurrent-quota", &env, test_concurrent_quota);
  g_test_add_data_func ("/store/sqlite/corrupt-file", &env, test_corrupt_file);
  g_test_add_data_func ("/store/sqlite/unwritable-path", &env, test_unwritable_path);
  g_test_add_data_func ("/store/sqlite/newer-schema-refused", &env, test_newer_schema_refused);
  g_test_add_data_func ("/store/sqlite/migrate-from-v1", &env, test_migrate_from_v1);
  g_test_add_data_func ("/store/sqlite/failed-migration-rolls-back", &env,
                        test_failed_migration_rolls_back);
  g_test_add_data_func ("/store/sqlite/file-permissions", &env, test_file_permissions);
  g_test_add_data_func ("/store/sqlite/file-needs-task", &env, test_file_needs_task);
  g_test_add_func ("/store/sqlite/in-memory", test_in_memory);
  g_test_add_data_func ("/store/sqlite/upload-queue", &env, test_upload_queue);

  int rc = g_test_run ();
  cr_file_remove_tree (env.dir);
  g_free (env.dir);
  return rc;
}
