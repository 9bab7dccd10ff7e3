/* Plain task records: construction, copy, free and the Describe status names. */
#include "task.h"

CrTask *
cr_task_new (void)
{
  CrTask *task = g_new0 (CrTask, 1);
  task->leave_code = -1;
  task->room_id_type = 1;
  return task;
}

CrTask *
cr_task_copy (const CrTask *task)
{
  CrTask *copy = g_new0 (CrTask, 1);
  *copy = *task;
  copy->task_id = g_strdup (task->task_id);
  copy->room_id = g_strdup (task->room_id);
  copy->user_id = g_strdup (task->user_id);
  copy->params_json = g_strdup (task->params_json);
  return copy;
}

void
cr_task_free (CrTask *task)
{
  if (task == NULL)
    return;
  g_free (task->task_id);
  g_free (task->room_id);
  g_free (task->user_id);
  g_free (task->params_json);
  g_free (task);
}

CrTaskFile *
cr_task_file_new (const char *task_id, const char *file_name, const char *user_id,
                  const char *track_type, gint64 begin_ts_ms)
{
  CrTaskFile *file = g_new0 (CrTaskFile, 1);
  file->task_id = g_strdup (task_id);
  file->file_name = g_strdup (file_name);
  file->user_id = g_strdup (user_id != NULL ? user_id : "");
  file->track_type = g_strdup (track_type);
  file->begin_ts_ms = begin_ts_ms;
  return file;
}

void
cr_task_file_free (CrTaskFile *file)
{
  if (file == NULL)
    return;
  g_free (file->task_id);
  g_free (file->file_name);
  g_free (file->user_id);
  g_free (file->track_type);
  g_free (file);
}

static const char *const status_names[] = { "Idle", "InProgress", "Exited" };

const char *
cr_task_status_to_string (CrTaskStatus status)
{
  if ((guint)status >= G_N_ELEMENTS (status_names))
    return "Idle";
  return status_names[status];
}

gboolean
cr_task_status_from_string (const char *text, CrTaskStatus *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (status_names); i++) {
    if (g_strcmp0 (text, status_names[i]) == 0) {
      *out = (CrTaskStatus)i;
      return TRUE;
    }
  }
  return FALSE;
}
