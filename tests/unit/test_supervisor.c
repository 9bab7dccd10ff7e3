/* The supervisor's task life cycle, with stand-in workers (/bin/sh scripts) and an in-memory
 * store: a worker that dies is replaced at most three times (counted in the store, "--failover
 * N" appended), the next death ends the task with a 302; a worker that exits before its 301 or
 * cannot be spawned ends the task with a 301 Status 1; an exit 0 changes nothing. */
#include <string.h>

#include <glib/gstdio.h>

#include "store/task_store.h"
#include "task/codes.h"
#include "task/supervisor.h"

#define APP G_GUINT64_CONSTANT (1400000001)

typedef struct {
  int event_type;
  char *payload; /* JSON text */
} Event;

typedef struct {
  GPtrArray *events; /* Event: the task's events in the store, read when one is queued */
  GPtrArray *exits;  /* task ids */
  CrTaskStore *store;
  const char *task_id;
} Seen;

static void
event_free (Event *e)
{
  g_free (e->payload);
  g_free (e);
}

/* The supervisor queued an event with a state change: it must be in the store already. */
static void
on_queued (gpointer data)
{
  Seen *seen = data;
  g_autoptr (GPtrArray) stored
      = seen->store->vt->list_events (seen->store, APP, seen->task_id, NULL);
  g_assert_nonnull (stored);
  g_ptr_array_set_size (seen->events, 0);
  for (guint i = 0; i < stored->len; i++) {
    const CrEventRecord *r = g_ptr_array_index (stored, i);
    Event *e = g_new0 (Event, 1);
    e->event_type = r->event_type;
    e->payload = g_strdup (r->payload_json);
    g_ptr_array_add (seen->events, e);
  }
}

static void
on_worker_exit (gpointer data, guint64 app, const char *task_id)
{
  Seen *seen = data;
  g_ptr_array_add (seen->exits, g_strdup (task_id));
}

static CrTaskStore *
store_with_task (const char *task_id)
{
  g_autoptr (GError) error = NULL;
  CrTaskStore *store = cr_sqlite_store_open (":memory:", &error);
  g_assert_no_error (error);
  g_autoptr (CrTask) task = cr_task_new ();
  task->task_id = g_strdup (task_id);
  task->sdk_app_id = APP;
  task->room_id = g_strdup ("1");
  task->user_id = g_strdup ("robot");
  task->params_json = g_strdup ("{}");
  task->created_ms = task->updated_ms = 1;
  task->expires_ms = G_MAXINT64;
  g_assert_true (store->vt->insert (store, task, 1, &error));
  g_assert_no_error (error);
  return store;
}

static CrTask *
lookup (CrTaskStore *store, const char *task_id)
{
  CrTask *task = store->vt->lookup (store, APP, task_id, NULL);
  g_assert_nonnull (task);
  return task;
}

/* Runs the main context until @done or 20 s. */
static void
spin_until (gboolean (*done) (gpointer), gpointer data)
{
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!done (data) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (done (data));
}

static gboolean
ended_after_four (gpointer data)
{
  return ((Seen *)data)->events->len >= 1 && ((Seen *)data)->exits->len >= 4;
}

/* Every worker dies of SIGKILL and writes its argv to a log: three failovers, each with the next
 * --failover N, then the task ends (302 LeaveCode 0) without a fifth worker. */
static void
test_failovers_then_end (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cloudrec-sup-XXXXXX", NULL);
  g_autofree char *log = g_build_filename (dir, "argv.log", NULL);
  g_autofree char *script = g_strdup_printf ("echo \"$*\" >> '%s'; kill -9 $$", log);
  const char *argv[] = { "/bin/sh", "-c", script, "sh", NULL };
  g_autoptr (CrTaskStore) store = store_with_task ("T-ha");
  Seen seen = { g_ptr_array_new_with_free_func ((GDestroyNotify)event_free),
                g_ptr_array_new_with_free_func (g_free), store, "T-ha" };
  CrSupervisor *sup = cr_supervisor_new (argv, store);
  cr_supervisor_set_queued_func (sup, on_queued, &seen);
  cr_supervisor_set_exit_func (sup, on_worker_exit, &seen);
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_supervisor_start (sup, APP, "T-ha", &error));
  g_assert_no_error (error);
  spin_until (ended_after_four, &seen);

  g_assert_cmpuint (seen.exits->len, ==, 4);
  g_assert_cmpuint (seen.events->len, ==, 1);
  const Event *e = g_ptr_array_index (seen.events, 0);
  g_assert_cmpint (e->event_type, ==, CR_EVENT_RECORDER_STOP);
  g_assert_cmpstr (e->payload, ==, "{\"LeaveCode\":0}");
  g_autoptr (CrTask) task = lookup (store, "T-ha");
  g_assert_cmpint (task->status, ==, CR_TASK_EXITED);
  g_assert_cmpint (task->leave_code, ==, CR_LEAVE_STOPPED);
  g_assert_cmpint (task->failovers, ==, CR_SUPERVISOR_MAX_FAILOVERS);
  g_assert_cmpint (task->finished_ms, >, 0); /* nothing more will be written */
  g_assert_cmpuint (cr_supervisor_count (sup), ==, 0);

  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
  g_assert_cmpstr (text, ==,
                   "--sdkappid 1400000001 --task T-ha\n"
                   "--sdkappid 1400000001 --task T-ha --failover 1\n"
                   "--sdkappid 1400000001 --task T-ha --failover 2\n"
                   "--sdkappid 1400000001 --task T-ha --failover 3\n");
  cr_supervisor_free (sup);
  g_unlink (log);
  g_rmdir (dir);
  g_ptr_array_unref (seen.events);
  g_ptr_array_unref (seen.exits);
}

static gboolean
one_exit (gpointer data)
{
  return ((Seen *)data)->exits->len >= 1;
}

/* A failure exit before the worker's 301 (exit 3, or exit 1 with no 301 noted) is "cannot start":
 * the task ends with a 301 Status 1, no failover is counted and no new worker starts. */
static void
check_cannot_start (const char *script)
{
  const char *argv[] = { "/bin/sh", "-c", script, "sh", NULL };
  g_autoptr (CrTaskStore) store = store_with_task ("T-cs");
  Seen seen = { g_ptr_array_new_with_free_func ((GDestroyNotify)event_free),
                g_ptr_array_new_with_free_func (g_free), store, "T-cs" };
  CrSupervisor *sup = cr_supervisor_new (argv, store);
  cr_supervisor_set_queued_func (sup, on_queued, &seen);
  cr_supervisor_set_exit_func (sup, on_worker_exit, &seen);
  g_assert_true (cr_supervisor_start (sup, APP, "T-cs", NULL));
  spin_until (one_exit, &seen);
  g_assert_cmpuint (seen.events->len, ==, 1);
  const Event *e = g_ptr_array_index (seen.events, 0);
  g_assert_cmpint (e->event_type, ==, CR_EVENT_RECORDER_START);
  g_assert_cmpstr (e->payload, ==, "{\"Status\":1}");
  g_autoptr (CrTask) task = lookup (store, "T-cs");
  g_assert_cmpint (task->status, ==, CR_TASK_EXITED);
  g_assert_cmpint (task->failovers, ==, 0);
  g_assert_cmpint (task->finished_ms, >, 0);
  g_assert_cmpuint (cr_supervisor_count (sup), ==, 0);
  /* The slot is free: the app's only slot (quota 1) takes a new task. */
  g_autoptr (CrTask) next = lookup (store, "T-cs");
  g_free (next->task_id);
  next->task_id = g_strdup ("T-next");
  next->status = CR_TASK_IDLE;
  g_autoptr (GError) error = NULL;
  g_assert_true (store->vt->insert (store, next, 1, &error));
  g_assert_no_error (error);
  cr_supervisor_free (sup);
  g_ptr_array_unref (seen.events);
  g_ptr_array_unref (seen.exits);
}

static void
test_exit_cannot_start (void)
{
  check_cannot_start ("exit 3");
}

static void
test_exit_before_301 (void)
{
  check_cannot_start ("exit 1");
}

/* The spawn itself fails: cr_supervisor_start says so, and the task has ended the same way. */
static void
test_spawn_fails (void)
{
  const char *argv[] = { "/nonexistent/cloudrec", "record", NULL };
  g_autoptr (CrTaskStore) store = store_with_task ("T-sp");
  Seen seen = { g_ptr_array_new_with_free_func ((GDestroyNotify)event_free),
                g_ptr_array_new_with_free_func (g_free), store, "T-sp" };
  CrSupervisor *sup = cr_supervisor_new (argv, store);
  cr_supervisor_set_queued_func (sup, on_queued, &seen);
  g_autoptr (GError) error = NULL;
  g_assert_false (cr_supervisor_start (sup, APP, "T-sp", &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (seen.events->len, ==, 1);
  const Event *e = g_ptr_array_index (seen.events, 0);
  g_assert_cmpint (e->event_type, ==, CR_EVENT_RECORDER_START);
  g_assert_cmpstr (e->payload, ==, "{\"Status\":1}");
  g_autoptr (CrTask) task = lookup (store, "T-sp");
  g_assert_cmpint (task->status, ==, CR_TASK_EXITED);
  cr_supervisor_free (sup);
  g_ptr_array_unref (seen.events);
  g_ptr_array_unref (seen.exits);
}

/* Exit 0 (the worker finished its task) and an exit after a Stop start nothing and end nothing. */
static void
test_exit_zero_is_quiet (void)
{
  const char *argv[] = { "/bin/sh", "-c", "exit 0", "sh", NULL };
  g_autoptr (CrTaskStore) store = store_with_task ("T-ok");
  Seen seen = { g_ptr_array_new_with_free_func ((GDestroyNotify)event_free),
                g_ptr_array_new_with_free_func (g_free), store, "T-ok" };
  CrSupervisor *sup = cr_supervisor_new (argv, store);
  cr_supervisor_set_queued_func (sup, on_queued, &seen);
  cr_supervisor_set_exit_func (sup, on_worker_exit, &seen);
  g_assert_true (cr_supervisor_start (sup, APP, "T-ok", NULL));
  spin_until (one_exit, &seen);
  g_assert_cmpuint (seen.events->len, ==, 0);
  g_autoptr (CrTask) task = lookup (store, "T-ok");
  g_assert_cmpint (task->status, ==, CR_TASK_IDLE);
  g_assert_cmpint (task->failovers, ==, 0);
  g_assert_cmpint (task->finished_ms, ==, 0);
  cr_supervisor_free (sup);
  g_ptr_array_unref (seen.events);
  g_ptr_array_unref (seen.exits);
}

/* A worker that exits 0 after its task exited without finishing it (it died, or its finish went
 * unanswered) leaves the task finished with the 302 it would have queued; one that dies then
 * starts no failover. */
static void
check_exit_after_exited (const char *script)
{
  const char *argv[] = { "/bin/sh", "-c", script, "sh", NULL };
  g_autoptr (CrTaskStore) store = store_with_task ("T-end");
  Seen seen = { g_ptr_array_new_with_free_func ((GDestroyNotify)event_free),
                g_ptr_array_new_with_free_func (g_free), store, "T-end" };
  CrSupervisor *sup = cr_supervisor_new (argv, store);
  cr_supervisor_set_queued_func (sup, on_queued, &seen);
  cr_supervisor_set_exit_func (sup, on_worker_exit, &seen);
  g_assert_true (cr_supervisor_start (sup, APP, "T-end", NULL));
  g_assert_true (
      store->vt->set_status (store, APP, "T-end", CR_TASK_EXITED, CR_LEAVE_IDLE, 5, NULL, NULL));
  cr_supervisor_note_started (sup, "T-end");
  spin_until (one_exit, &seen);
  g_assert_cmpuint (seen.events->len, ==, 1);
  const Event *e = g_ptr_array_index (seen.events, 0);
  g_assert_cmpint (e->event_type, ==, CR_EVENT_RECORDER_STOP);
  g_assert_cmpstr (e->payload, ==, "{\"LeaveCode\":99}");
  g_autoptr (CrTask) task = lookup (store, "T-end");
  g_assert_cmpint (task->status, ==, CR_TASK_EXITED);
  g_assert_cmpint (task->leave_code, ==, CR_LEAVE_IDLE);
  g_assert_cmpint (task->finished_ms, >, 0);
  g_assert_cmpint (task->failovers, ==, 0);
  g_assert_cmpuint (cr_supervisor_count (sup), ==, 0);
  cr_supervisor_free (sup);
  g_ptr_array_unref (seen.events);
  g_ptr_array_unref (seen.exits);
}

static void
test_exit_after_exited_finishes (void)
{
  check_exit_after_exited ("sleep 0.2; exit 0");
  check_exit_after_exited ("sleep 0.2; kill -9 $$");
}

/* At the daemon's start a live task's new worker is a failover: counted, --failover 1. */
static void
test_resume_counts (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cloudrec-sup-XXXXXX", NULL);
  g_autofree char *log = g_build_filename (dir, "argv.log", NULL);
  g_autofree char *script = g_strdup_printf ("echo \"$*\" >> '%s'", log);
  const char *argv[] = { "/bin/sh", "-c", script, "sh", NULL };
  g_autoptr (CrTaskStore) store = store_with_task ("T-re");
  Seen seen = { g_ptr_array_new_with_free_func ((GDestroyNotify)event_free),
                g_ptr_array_new_with_free_func (g_free), store, "T-re" };
  CrSupervisor *sup = cr_supervisor_new (argv, store);
  cr_supervisor_set_exit_func (sup, on_worker_exit, &seen);
  g_autoptr (CrTask) task = lookup (store, "T-re");
  cr_supervisor_resume (sup, task);
  spin_until (one_exit, &seen);
  g_autoptr (CrTask) after = lookup (store, "T-re");
  g_assert_cmpint (after->failovers, ==, 1);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "--sdkappid 1400000001 --task T-re --failover 1\n");
  cr_supervisor_free (sup);
  g_unlink (log);
  g_rmdir (dir);
  g_ptr_array_unref (seen.events);
  g_ptr_array_unref (seen.exits);
}

/* A graceful stop: every worker gets SIGTERM, and one that dies of it (or, ignoring it, of the
 * SIGKILL that follows when the stop's bound passes) leaves its task live with no failover
 * counted, no callback and no new worker (resumed at the next start instead). */
static void
check_stop_all (const char *script, gboolean kill)
{
  const char *argv[] = { "/bin/sh", "-c", script, "sh", NULL };
  g_autoptr (CrTaskStore) store = store_with_task ("T-stop");
  Seen seen = { g_ptr_array_new_with_free_func ((GDestroyNotify)event_free),
                g_ptr_array_new_with_free_func (g_free), store, "T-stop" };
  CrSupervisor *sup = cr_supervisor_new (argv, store);
  cr_supervisor_set_queued_func (sup, on_queued, &seen);
  cr_supervisor_set_exit_func (sup, on_worker_exit, &seen);
  g_assert_true (cr_supervisor_start (sup, APP, "T-stop", NULL));
  cr_supervisor_note_started (sup, "T-stop"); /* its death would be a failover */
  g_usleep (200 * 1000);                      /* the shell set its trap */
  g_assert_cmpuint (cr_supervisor_stop_all (sup), ==, 1);
  if (kill) {
    g_usleep (300 * 1000);
    g_assert_cmpuint (cr_supervisor_count (sup), ==, 1); /* it ignores SIGTERM */
    cr_supervisor_kill_all (sup);
  }
  spin_until (one_exit, &seen);
  g_assert_cmpuint (cr_supervisor_count (sup), ==, 0);
  g_assert_cmpuint (seen.events->len, ==, 0);
  g_autoptr (CrTask) task = lookup (store, "T-stop");
  g_assert_cmpint (task->status, ==, CR_TASK_IDLE);
  g_assert_cmpint (task->failovers, ==, 0);
  g_assert_cmpint (task->finished_ms, ==, 0);
  /* Draining: neither a start nor a resume spawns a worker. */
  g_assert_true (cr_supervisor_start (sup, APP, "T-stop", NULL));
  cr_supervisor_resume (sup, task);
  g_assert_cmpuint (cr_supervisor_count (sup), ==, 0);
  cr_supervisor_free (sup);
  g_ptr_array_unref (seen.events);
  g_ptr_array_unref (seen.exits);
}

static void
test_stop_all_leaves_tasks_live (void)
{
  check_stop_all ("sleep 30", FALSE); /* dies of the SIGTERM */
  check_stop_all ("trap 'exit 0' TERM; while :; do sleep 0.05; done", FALSE);
  check_stop_all ("trap '' TERM; sleep 30", TRUE); /* needs the SIGKILL */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* The supervisor warns about every dead worker; that is what these tests provoke. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_test_add_func ("/supervisor/failovers-then-end", test_failovers_then_end);
  g_test_add_func ("/supervisor/exit-cannot-start", test_exit_cannot_start);
  g_test_add_func ("/supervisor/exit-before-301", test_exit_before_301);
  g_test_add_func ("/supervisor/spawn-fails", test_spawn_fails);
  g_test_add_func ("/supervisor/exit-zero-is-quiet", test_exit_zero_is_quiet);
  g_test_add_func ("/supervisor/resume-counts", test_resume_counts);
  g_test_add_func ("/supervisor/exit-after-exited-finishes", test_exit_after_exited_finishes);
  g_test_add_func ("/supervisor/stop-all-leaves-tasks-live", test_stop_all_leaves_tasks_live);
  return g_test_run ();
}
