/* Worker processes per task; see supervisor.h. */
#include "supervisor.h"

#include <gio/gio.h>
#include <signal.h>

#define STOP_WAIT_S 15 /* a worker closes its last segments and playlists within this */

#define MAX_FAILOVERS 3 /* TRTC's ha1_..ha3_ */

struct _CrSupervisor {
  GStrv argv_prefix;
  GHashTable *workers;   /* task_id -> GSubprocess */
  GHashTable *failovers; /* task_id -> GINT (restarts so far) */
  GHashTable *stopping;  /* task_ids asked to stop */
  gboolean closing;
};

static gboolean supervisor_spawn (CrSupervisor *sup, guint64 sdk_app_id, const char *task_id,
                                  int failover, GError **error);

CrSupervisor *
cr_supervisor_new (const char *const *argv_prefix)
{
  CrSupervisor *sup = g_new0 (CrSupervisor, 1);
  sup->argv_prefix = argv_prefix != NULL ? g_strdupv ((char **)argv_prefix) : NULL;
  sup->workers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  sup->failovers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sup->stopping = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return sup;
}

typedef struct {
  CrSupervisor *sup;
  char *task_id;
  guint64 sdk_app_id;
} Exit;

/* A worker ended. Asked to stop, or done by itself (exit 0: the task ended): forget it. Died
 * (a signal, or a failure exit) while its task was live: start it again with the next "ha<n>_"
 * file prefix, up to 3 times, as TRTC's failover does. */
static void
supervisor_on_exit (GObject *source, GAsyncResult *res, gpointer data)
{
  Exit *e = data;
  CrSupervisor *sup = e->sup;
  GSubprocess *proc = G_SUBPROCESS (source);
  g_subprocess_wait_finish (proc, res, NULL);
  gboolean crashed
      = g_subprocess_get_if_signaled (proc)
        || (g_subprocess_get_if_exited (proc) && g_subprocess_get_exit_status (proc) != 0);
  if (g_subprocess_get_if_signaled (proc))
    g_warning ("worker of task %s died of signal %d", e->task_id, g_subprocess_get_term_sig (proc));
  else
    g_info ("worker of task %s exited with status %d", e->task_id,
            g_subprocess_get_exit_status (proc));
  if (g_hash_table_lookup (sup->workers, e->task_id) == proc)
    g_hash_table_remove (sup->workers, e->task_id);
  int done = GPOINTER_TO_INT (g_hash_table_lookup (sup->failovers, e->task_id));
  if (crashed && !sup->closing && !g_hash_table_contains (sup->stopping, e->task_id)
      && done < MAX_FAILOVERS) {
    g_autoptr (GError) error = NULL;
    g_hash_table_insert (sup->failovers, g_strdup (e->task_id), GINT_TO_POINTER (done + 1));
    g_warning ("task %s: restarting its worker (failover %d)", e->task_id, done + 1);
    if (!supervisor_spawn (sup, e->sdk_app_id, e->task_id, done + 1, &error))
      g_warning ("task %s: cannot restart its worker: %s", e->task_id, error->message);
  } else {
    g_hash_table_remove (sup->stopping, e->task_id);
  }
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
  GSubprocess *proc
      = g_subprocess_newv ((const char *const *)argv->pdata, G_SUBPROCESS_FLAGS_NONE, error);
  if (proc == NULL)
    return FALSE;
  g_hash_table_insert (sup->workers, g_strdup (task_id), proc);
  Exit *e = g_new0 (Exit, 1);
  e->sup = sup;
  e->task_id = g_strdup (task_id);
  e->sdk_app_id = sdk_app_id;
  g_subprocess_wait_async (proc, NULL, supervisor_on_exit, e);
  g_info ("worker of task %s started (pid %s)", task_id, g_subprocess_get_identifier (proc));
  return TRUE;
}

gboolean
cr_supervisor_start (CrSupervisor *sup, guint64 sdk_app_id, const char *task_id, GError **error)
{
  if (sup->argv_prefix == NULL || g_hash_table_contains (sup->workers, task_id))
    return TRUE;
  return supervisor_spawn (sup, sdk_app_id, task_id, 0, error);
}

void
cr_supervisor_stop (CrSupervisor *sup, const char *task_id)
{
  GSubprocess *proc = g_hash_table_lookup (sup->workers, task_id);
  if (proc != NULL) {
    g_hash_table_add (sup->stopping, g_strdup (task_id));
    g_subprocess_send_signal (proc, SIGTERM);
  }
}

guint
cr_supervisor_count (CrSupervisor *sup)
{
  return g_hash_table_size (sup->workers);
}

void
cr_supervisor_free (CrSupervisor *sup)
{
  if (sup == NULL)
    return;
  sup->closing = TRUE;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, sup->workers);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_subprocess_send_signal (value, SIGTERM);
  gint64 deadline = g_get_monotonic_time () + STOP_WAIT_S * G_USEC_PER_SEC;
  while (g_hash_table_size (sup->workers) > 0 && g_get_monotonic_time () < deadline) {
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (10000);
  }
  g_hash_table_iter_init (&it, sup->workers);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_subprocess_force_exit (value);
  g_hash_table_unref (sup->workers);
  g_hash_table_unref (sup->failovers);
  g_hash_table_unref (sup->stopping);
  g_strfreev (sup->argv_prefix);
  g_free (sup);
}
