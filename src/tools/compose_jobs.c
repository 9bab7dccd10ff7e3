/* The compose jobs' table and subprocesses; see compose_jobs.h. */
#include "tools/compose_jobs.h"

#include <gio/gio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  CrComposeJob job;
  GSubprocess *proc;
  GDataInputStream *out, *err;
  GString *err_tail; /* the last stderr line: the job's error */
  gboolean exited_ok;
  CrComposeDoneFunc done;
  gpointer done_data;
  guint pending; /* stdout, stderr and the exit: all needed before done */
} Job;

static GHashTable *jobs; /* compose id -> Job, main loop only */

/* A job dies with its daemon (as the workers do, task/supervisor.c). */
static void
job_child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

const char *
cr_compose_status_to_string (CrComposeStatus s)
{
  return s == CR_COMPOSE_RUNNING ? "Running" : s == CR_COMPOSE_DONE ? "Done" : "Failed";
}

void
cr_compose_job_free (CrComposeJob *job)
{
  if (job == NULL)
    return;
  g_free (job->compose_id);
  g_free (job->task_id);
  g_free (job->file_name);
  g_free (job->object_key);
  g_free (job->url);
  g_free (job->error);
  g_clear_pointer (&job->warnings, g_ptr_array_unref);
  g_free (job);
}

static void
job_finish_part (Job *j)
{
  if (--j->pending > 0)
    return;
  if (j->exited_ok) {
    j->job.status = CR_COMPOSE_DONE;
    j->job.progress = 100;
  } else {
    j->job.status = CR_COMPOSE_FAILED;
    /* The command's last line on stderr says why ("cloudrec compose: ..."). */
    const char *last = j->err_tail->str;
    if (g_str_has_prefix (last, "cloudrec compose: "))
      last += strlen ("cloudrec compose: ");
    j->job.error = g_strdup (*last != '\0' ? last : "the compose process ended abnormally");
  }
  j->job.finished_ms = g_get_real_time () / 1000;
  g_info ("compose %s of task %s: %s%s%s", j->job.compose_id, j->job.task_id,
          cr_compose_status_to_string (j->job.status), j->job.error != NULL ? ": " : "",
          j->job.error != NULL ? j->job.error : "");
  if (j->done != NULL)
    j->done (&j->job, j->done_data);
  g_clear_object (&j->proc);
  g_clear_object (&j->out);
  g_clear_object (&j->err);
}

static void
job_on_line (GObject *source, GAsyncResult *res, gpointer data)
{
  Job *j = data;
  g_autofree char *line
      = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), res, NULL, NULL);
  if (line == NULL) {
    job_finish_part (j);
    return;
  }
  if (g_str_has_prefix (line, "progress "))
    j->job.progress = MAX (j->job.progress, CLAMP (atoi (line + 9), 0, 100));
  else if (g_str_has_prefix (line, "warning ") && j->job.warnings->len < 32)
    g_ptr_array_add (j->job.warnings, g_strdup (line + 8));
  g_data_input_stream_read_line_async (j->out, G_PRIORITY_DEFAULT, NULL, job_on_line, j);
}

static void
job_on_err_line (GObject *source, GAsyncResult *res, gpointer data)
{
  Job *j = data;
  g_autofree char *line
      = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), res, NULL, NULL);
  if (line == NULL) {
    job_finish_part (j);
    return;
  }
  if (*g_strstrip (line) != '\0') {
    g_string_assign (j->err_tail, line);
    g_debug ("compose %s: %s", j->job.compose_id, line);
  }
  g_data_input_stream_read_line_async (j->err, G_PRIORITY_DEFAULT, NULL, job_on_err_line, j);
}

static void
job_on_exit (GObject *source, GAsyncResult *res, gpointer data)
{
  Job *j = data;
  gboolean ok = g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL)
                && g_subprocess_get_if_exited (j->proc)
                && g_subprocess_get_exit_status (j->proc) == 0;
  j->exited_ok = ok;
  job_finish_part (j);
}

char *
cr_compose_jobs_start (guint64 sdk_app_id, const char *task_id, const CrComposeTarget *target,
                       const char *file_name, const char *params_json, const char *image_dir,
                       const char *fetch_deny, CrComposeDoneFunc done, gpointer user_data,
                       GError **error)
{
  if (jobs == NULL)
    jobs = g_hash_table_new (g_str_hash, g_str_equal); /* jobs stay for the daemon's life */
  g_autofree char *self = g_file_read_link ("/proc/self/exe", error);
  if (self == NULL)
    return NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  const char *fixed[] = { self,        "compose",  "--in",      target->in,         "--out",
                          target->out, "--params", params_json, "--progress-lines", "--image-cache",
                          image_dir };
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (argv, g_strdup (fixed[i]));
  if (fetch_deny != NULL) { /* else the command's default */
    g_ptr_array_add (argv, g_strdup ("--fetch-deny"));
    g_ptr_array_add (argv, g_strdup (fetch_deny));
  }
  if (target->from_ms > 0)
    g_ptr_array_add (argv, g_strdup_printf ("--from-ms=%" G_GINT64_FORMAT, target->from_ms));
  if (target->to_ms > 0)
    g_ptr_array_add (argv, g_strdup_printf ("--to-ms=%" G_GINT64_FORMAT, target->to_ms));
  gboolean s3 = g_str_has_prefix (target->in, "s3://") || g_str_has_prefix (target->out, "s3://");
  if (s3) {
    if (target->endpoint != NULL) {
      g_ptr_array_add (argv, g_strdup ("--s3-endpoint"));
      g_ptr_array_add (argv, g_strdup (target->endpoint));
    }
    g_ptr_array_add (argv, g_strdup_printf ("--s3-vendor=%d", target->vendor));
    g_ptr_array_add (argv, g_strdup ("--s3-region"));
    g_ptr_array_add (argv, g_strdup (target->region));
  }
  g_ptr_array_add (argv, NULL);
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, job_child_setup, NULL, NULL);
  if (s3) {
    g_subprocess_launcher_setenv (launcher, "AWS_ACCESS_KEY_ID", target->access_key, TRUE);
    g_subprocess_launcher_setenv (launcher, "AWS_SECRET_ACCESS_KEY", target->secret_key, TRUE);
  } else {
    g_subprocess_launcher_unsetenv (launcher, "AWS_ACCESS_KEY_ID");
    g_subprocess_launcher_unsetenv (launcher, "AWS_SECRET_ACCESS_KEY");
  }
  GSubprocess *proc
      = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, error);
  if (proc == NULL)
    return NULL;
  Job *j = g_new0 (Job, 1);
  g_autofree char *uuid = g_uuid_string_random ();
  j->job.compose_id = g_strdup_printf ("compose-%.8s%.4s", uuid, uuid + 9);
  j->job.sdk_app_id = sdk_app_id;
  j->job.task_id = g_strdup (task_id);
  j->job.file_name = g_strdup (file_name);
  j->job.object_key = g_strdup (target->object_key);
  j->job.url = g_strdup (target->url != NULL ? target->url : "");
  j->job.created_ms = g_get_real_time () / 1000;
  j->job.warnings = g_ptr_array_new_with_free_func (g_free);
  j->proc = proc;
  j->done = done;
  j->done_data = user_data;
  j->pending = 3;
  j->err_tail = g_string_new (NULL);
  /* stdout: progress lines; stderr: its last line is the error. */
  j->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  j->err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (proc));
  g_data_input_stream_read_line_async (j->out, G_PRIORITY_DEFAULT, NULL, job_on_line, j);
  g_data_input_stream_read_line_async (j->err, G_PRIORITY_DEFAULT, NULL, job_on_err_line, j);
  g_subprocess_wait_async (proc, NULL, job_on_exit, j);
  g_hash_table_insert (jobs, j->job.compose_id, j);
  g_info ("compose %s of task %s started (pid %s)", j->job.compose_id, task_id,
          g_subprocess_get_identifier (proc));
  return g_strdup (j->job.compose_id);
}

CrComposeJob *
cr_compose_jobs_lookup (guint64 sdk_app_id, const char *compose_id)
{
  Job *j = jobs != NULL ? g_hash_table_lookup (jobs, compose_id) : NULL;
  if (j == NULL || j->job.sdk_app_id != sdk_app_id)
    return NULL;
  CrComposeJob *copy = g_new0 (CrComposeJob, 1);
  *copy = j->job;
  copy->compose_id = g_strdup (j->job.compose_id);
  copy->task_id = g_strdup (j->job.task_id);
  copy->file_name = g_strdup (j->job.file_name);
  copy->object_key = g_strdup (j->job.object_key);
  copy->url = g_strdup (j->job.url);
  copy->error = g_strdup (j->job.error);
  copy->warnings = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < j->job.warnings->len; i++)
    g_ptr_array_add (copy->warnings, g_strdup (g_ptr_array_index (j->job.warnings, i)));
  return copy;
}
