/* Worker processes per task and what happens when one is gone; see supervisor.h. */
#include "supervisor.h"

#include <gio/gio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <stdlib.h>

#include "metrics/metrics.h"
#include "task/codes.h"

#define STOP_WAIT_S 15 /* a worker closes its last segments and playlists within this */

struct _CrSupervisor {
  GStrv argv_prefix;
  CrTaskStore *store;
  GHashTable *workers;  /* task_id -> GSubprocess */
  GHashTable *stopping; /* task_ids asked to stop */
  GHashTable *started;  /* task_ids whose current worker queued its 301 Status 0 */
  CrSupervisorQueuedFunc queued;
  gpointer queued_data;
  CrSupervisorExitFunc on_exit;
  gpointer on_exit_data;
  gboolean draining; /* a graceful stop: every worker was asked to stop; none starts again */
  gboolean closing;
};

/* In the worker, before exec: it dies with the daemon. A worker left behind by a daemon killed
 * with SIGKILL would go on talking to the next daemon next to the worker that one starts for
 * the same task; the task is resumed as a failover instead (docs/reliability.md). The daemon
 * forks from its main thread, whose end is the process's end. */
static void
supervisor_child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != (pid_t)GPOINTER_TO_INT (data)) /* the daemon died before the prctl */
    _exit (CR_WORKER_EXIT_CANNOT_START);
}

static gboolean supervisor_spawn (CrSupervisor *sup, guint64 sdk_app_id, const char *task_id,
                                  int failover, GError **error);

CrSupervisor *
cr_supervisor_new (const char *const *argv_prefix, CrTaskStore *store)
{
  CrSupervisor *sup = g_new0 (CrSupervisor, 1);
  sup->argv_prefix = argv_prefix != NULL ? g_strdupv ((char **)argv_prefix) : NULL;
  sup->store = store;
  sup->workers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  sup->stopping = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sup->started = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return sup;
}

void
cr_supervisor_set_queued_func (CrSupervisor *sup, CrSupervisorQueuedFunc func, gpointer data)
{
  sup->queued = func;
  sup->queued_data = data;
}

void
cr_supervisor_set_exit_func (CrSupervisor *sup, CrSupervisorExitFunc func, gpointer data)
{
  sup->on_exit = func;
  sup->on_exit_data = data;
}

/* Marks an exited task finished: no worker will write anything for it any more. @event (NULL:
 * none) is queued with it if this is the first finish. */
static void
supervisor_finish (CrSupervisor *sup, guint64 sdk_app_id, const char *task_id,
                   const CrEventNew *event)
{
  g_autoptr (GError) error = NULL;
  if (!sup->store->vt->finish (sup->store, sdk_app_id, task_id, g_get_real_time () / 1000, event,
                               &error))
    g_warning ("task %s: cannot mark it finished: %s", task_id, error->message);
  else if (event != NULL && sup->queued != NULL)
    sup->queued (sup->queued_data);
}

/* Ends a live task that no worker records any more, finished at once (there is nothing left to
 * write), with its callback @event_type {"@member": @value} queued in the same transaction. */
static gboolean
supervisor_end_task (CrSupervisor *sup, guint64 sdk_app_id, const char *task_id, int leave_code,
                     int event_type, const char *member, int value)
{
  g_autoptr (GError) error = NULL;
  if (sup->store == NULL)
    return FALSE;
  g_autofree char *payload = g_strdup_printf ("{\"%s\":%d}", member, value);
  CrEventNew event = { event_type, payload };
  if (!sup->store->vt->set_status (sup->store, sdk_app_id, task_id, CR_TASK_EXITED, leave_code,
                                   g_get_real_time () / 1000, &event, &error)) {
    g_warning ("task %s: cannot end it: %s", task_id, error->message);
    return FALSE;
  }
  if (sup->queued != NULL)
    sup->queued (sup->queued_data);
  supervisor_finish (sup, sdk_app_id, task_id, NULL);
  return TRUE;
}

/* No worker can record the task: it ends at once with a 301 Status 1, freeing its slot. */
static void
supervisor_cannot_start (CrSupervisor *sup, guint64 sdk_app_id, const char *task_id,
                         const char *why)
{
  g_warning ("task %s: its worker cannot start (%s); the task ends (301 Status 1)", task_id, why);
  supervisor_end_task (sup, sdk_app_id, task_id, CR_LEAVE_STOPPED, CR_EVENT_RECORDER_START,
                       "Status", 1);
}

/* A new worker for a live task whose previous worker stopped without finishing: failover number
 * failovers + 1, counted in the store, or, past CR_SUPERVISOR_MAX_FAILOVERS, the end of the task
 * with the 302 the worker could not send. */
static void
supervisor_failover (CrSupervisor *sup, const CrTask *task)
{
  g_autoptr (GError) error = NULL;
  if (task->failovers >= CR_SUPERVISOR_MAX_FAILOVERS) {
    g_warning ("task %s: its worker stopped unfinished after %d failovers; the task ends "
               "(302 LeaveCode %d)",
               task->task_id, task->failovers, CR_LEAVE_STOPPED);
    supervisor_end_task (sup, task->sdk_app_id, task->task_id, CR_LEAVE_STOPPED,
                         CR_EVENT_RECORDER_STOP, "LeaveCode", CR_LEAVE_STOPPED);
    return;
  }
  int n = sup->store->vt->add_failover (sup->store, task->sdk_app_id, task->task_id, &error);
  if (n < 0) {
    g_warning ("task %s: cannot count its failover: %s", task->task_id, error->message);
    return;
  }
  /* Nothing records the task until the new worker has media again (after a daemon restart, not
   * before its publishers come back): Idle, not the InProgress the dead worker left. */
  if (task->status == CR_TASK_IN_PROGRESS
      && !sup->store->vt->set_status (sup->store, task->sdk_app_id, task->task_id, CR_TASK_IDLE, 0,
                                      g_get_real_time () / 1000, NULL, &error)) {
    g_warning ("task %s: cannot mark it Idle: %s", task->task_id, error->message);
    g_clear_error (&error);
  }
  g_warning ("task %s: starting a new worker (failover %d)", task->task_id, n);
  if (!supervisor_spawn (sup, task->sdk_app_id, task->task_id, n, &error))
    supervisor_cannot_start (sup, task->sdk_app_id, task->task_id, error->message);
}

typedef struct {
  CrSupervisor *sup;
  char *task_id;
  guint64 sdk_app_id;
} Exit;

/* A worker ended. The daemon closing: nothing to do (the task stays live for the next start).
 * The task exited (Delete, MaxIdleTime, ...): its worker is the last one, so the task is finished
 * now if the worker did not say so itself (it does at its very end; this is the fallback for an
 * older or crashed one). The task still live and the worker not asked to stop, after a failure
 * exit or a signal: it could not start (exit CR_WORKER_EXIT_CANNOT_START, or a failure exit before
 * its 301), or it died: a failover. */
static void
supervisor_on_exit (GObject *source, GAsyncResult *res, gpointer data)
{
  Exit *e = data;
  CrSupervisor *sup = e->sup;
  GSubprocess *proc = G_SUBPROCESS (source);
  g_subprocess_wait_finish (proc, res, NULL);
  const gboolean signaled = g_subprocess_get_if_signaled (proc);
  const int status = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;
  if (signaled)
    g_warning ("worker of task %s died of signal %d", e->task_id, g_subprocess_get_term_sig (proc));
  else
    g_info ("worker of task %s exited with status %d", e->task_id, status);
  gboolean current = g_hash_table_lookup (sup->workers, e->task_id) == proc;
  gboolean started = FALSE, stopping = FALSE;
  if (current) {
    started = g_hash_table_remove (sup->started, e->task_id);
    stopping = g_hash_table_remove (sup->stopping, e->task_id);
    g_hash_table_remove (sup->workers, e->task_id);
  }
  if (current && !sup->closing && sup->store != NULL) {
    /* While the daemon stops, an end without finishing leaves the task live for the next
     * start (which resumes it as a failover), as a Delete's end finishes it. */
    if (sup->draining)
      stopping = TRUE;
    g_autoptr (GError) error = NULL;
    g_autoptr (CrTask) task
        = sup->store->vt->lookup (sup->store, e->sdk_app_id, e->task_id, &error);
    if (task == NULL)
      g_warning ("task %s: %s", e->task_id, error != NULL ? error->message : "gone from the store");
    else if (task->status == CR_TASK_EXITED) {
      /* The worker did not finish the task (it died, or its finish went unanswered on a busy
       * link): finish it here with the 302 it would have queued (queued only if no finish came
       * first, so never twice). */
      g_autofree char *payload = g_strdup_printf ("{\"LeaveCode\":%d}", MAX (task->leave_code, 0));
      CrEventNew stop = { CR_EVENT_RECORDER_STOP, payload };
      if (task->finished_ms == 0)
        supervisor_finish (sup, e->sdk_app_id, e->task_id, &stop);
    } else if (stopping || (!signaled && status == CR_WORKER_EXIT_DONE))
      ; /* asked to stop before the task exited, or done: nothing to start */
    else if (!signaled && (status == CR_WORKER_EXIT_CANNOT_START || !started)) {
      g_autofree char *why = g_strdup_printf ("exit status %d before its 301", status);
      supervisor_cannot_start (sup, e->sdk_app_id, e->task_id, why);
    } else
      supervisor_failover (sup, task);
  }
  if (sup->on_exit != NULL && !sup->closing)
    sup->on_exit (sup->on_exit_data, e->sdk_app_id, e->task_id);
  g_free (e->task_id);
  g_free (e);
}

static gboolean
supervisor_spawn (CrSupervisor *sup, guint64 sdk_app_id, const char *task_id, int failover,
                  GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  for (char **a = sup->argv_prefix; *a != NULL; a++)
    g_ptr_array_add (argv, g_strdup (*a));
  g_ptr_array_add (argv, g_strdup ("--sdkappid"));
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GUINT64_FORMAT, sdk_app_id));
  g_ptr_array_add (argv, g_strdup ("--task"));
  g_ptr_array_add (argv, g_strdup (task_id));
  if (failover > 0) {
    g_ptr_array_add (argv, g_strdup ("--failover"));
    g_ptr_array_add (argv, g_strdup_printf ("%d", failover));
  }
  g_ptr_array_add (argv, NULL);
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_child_setup (launcher, supervisor_child_setup,
                                         GINT_TO_POINTER ((int)getpid ()), NULL);
  GSubprocess *proc
      = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, error);
  if (proc == NULL)
    return FALSE;
  g_hash_table_insert (sup->workers, g_strdup (task_id), proc);
  g_hash_table_remove (sup->started, task_id);
  g_hash_table_remove (sup->stopping, task_id);
  Exit *e = g_new0 (Exit, 1);
  e->sup = sup;
  e->task_id = g_strdup (task_id);
  e->sdk_app_id = sdk_app_id;
  g_subprocess_wait_async (proc, NULL, supervisor_on_exit, e);
  cr_metrics_add ("cloudrec_worker_starts_total", NULL, 1);
  if (failover > 0)
    cr_metrics_add ("cloudrec_worker_restarts_total", NULL, 1);
  g_info ("worker of task %s started (pid %s)", task_id, g_subprocess_get_identifier (proc));
  return TRUE;
}

gboolean
cr_supervisor_start (CrSupervisor *sup, guint64 sdk_app_id, const char *task_id, GError **error)
{
  if (sup->argv_prefix == NULL || g_hash_table_contains (sup->workers, task_id))
    return TRUE;
  if (sup->draining) /* the task stays live: the next start resumes it */
    return TRUE;
  if (supervisor_spawn (sup, sdk_app_id, task_id, 0, error))
    return TRUE;
  supervisor_cannot_start (sup, sdk_app_id, task_id, (*error)->message);
  return FALSE;
}

void
cr_supervisor_resume (CrSupervisor *sup, const CrTask *task)
{
  if (sup->argv_prefix == NULL || sup->store == NULL || sup->draining
      || g_hash_table_contains (sup->workers, task->task_id) || task->status == CR_TASK_EXITED)
    return;
  supervisor_failover (sup, task);
}

void
cr_supervisor_note_started (CrSupervisor *sup, const char *task_id)
{
  if (g_hash_table_contains (sup->workers, task_id))
    g_hash_table_add (sup->started, g_strdup (task_id));
}

void
cr_supervisor_stop (CrSupervisor *sup, const char *task_id)
{
  GSubprocess *proc = g_hash_table_lookup (sup->workers, task_id);
  if (proc != NULL && !g_hash_table_contains (sup->stopping, task_id)) {
    g_hash_table_add (sup->stopping, g_strdup (task_id));
    /* While draining the worker has its SIGTERM already; a second would kill it. */
    if (!sup->draining)
      g_subprocess_send_signal (proc, SIGTERM);
  }
}

guint
cr_supervisor_stop_all (CrSupervisor *sup)
{
  sup->draining = TRUE;
  guint n = 0;
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, sup->workers);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    /* One asked already (Delete) is ending its task; a second SIGTERM would kill it. */
    if (g_hash_table_contains (sup->stopping, key))
      continue;
    g_subprocess_send_signal (value, SIGTERM);
    n++;
  }
  return n;
}

void
cr_supervisor_kill_all (CrSupervisor *sup)
{
  sup->draining = TRUE;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, sup->workers);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_subprocess_force_exit (value);
}

guint
cr_supervisor_count (CrSupervisor *sup)
{
  return g_hash_table_size (sup->workers);
}

int
cr_supervisor_pid (CrSupervisor *sup, const char *task_id)
{
  GSubprocess *proc = g_hash_table_lookup (sup->workers, task_id);
  const char *id = proc != NULL ? g_subprocess_get_identifier (proc) : NULL;
  return id != NULL ? atoi (id) : 0;
}

void
cr_supervisor_free (CrSupervisor *sup)
{
  if (sup == NULL)
    return;
  if (!sup->draining)
    cr_supervisor_stop_all (sup);
  sup->closing = TRUE;
  GHashTableIter it;
  gpointer value;
  gint64 deadline = g_get_monotonic_time () + STOP_WAIT_S * G_USEC_PER_SEC;
  while (g_hash_table_size (sup->workers) > 0 && g_get_monotonic_time () < deadline) {
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (10000);
  }
  g_hash_table_iter_init (&it, sup->workers);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_subprocess_force_exit (value);
  g_hash_table_unref (sup->workers);
  g_hash_table_unref (sup->stopping);
  g_hash_table_unref (sup->started);
  g_strfreev (sup->argv_prefix);
  g_free (sup);
}

void
cr_supervisor_foreach (CrSupervisor *sup, CrSupervisorWorkerFunc func, gpointer data)
{
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, sup->workers);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    const char *id = g_subprocess_get_identifier (value);
    if (id != NULL)
      func (key, atoi (id), data);
  }
}
