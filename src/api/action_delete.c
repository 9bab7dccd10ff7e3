/* DeleteCloudRecording: ends the task (LeaveCode 0). Files already written stay; an exited task
 * cannot be deleted twice (ResourceNotFound), as TRTC does. */
#include "actions.h"

#include "common/json_util.h"

gboolean
cr_action_delete_cloud_recording (CrApi *api, const CrApp *app, JsonObject *params,
                                  JsonObject *reply, GError **error)
{
  g_autoptr (CrTask) task = cr_action_lookup_task (api, params, error);
  if (task == NULL)
    return FALSE;
  if (!api->store->vt->set_status (api->store, task->sdk_app_id, task->task_id, CR_TASK_EXITED, 0,
                                   api->now_ms (), NULL, error))
    return FALSE;
  g_info ("task %s stopped by DeleteCloudRecording", task->task_id);
  if (api->workers != NULL)
    cr_supervisor_stop (api->workers, task->task_id); /* it closes its files and exits */
  json_object_set_string_member (reply, "TaskId", task->task_id);
  return TRUE;
}
