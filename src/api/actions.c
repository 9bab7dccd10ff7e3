/* The action table and the task lookup shared by Describe, Modify and Delete. */
#include "actions.h"

#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"

static const CrAction actions[] = {
  { "CreateCloudRecording", cr_action_create_cloud_recording },
  { "DescribeCloudRecording", cr_action_describe_cloud_recording },
  { "ModifyCloudRecording", cr_action_modify_cloud_recording },
  { "DeleteCloudRecording", cr_action_delete_cloud_recording },
  { "RemoveUser", cr_action_remove_user },
  { "RemoveUserByStrRoomId", cr_action_remove_user_by_str_room_id },
  { "DismissRoom", cr_action_dismiss_room },
  { "DismissRoomByStrRoomId", cr_action_dismiss_room_by_str_room_id },
};

const CrAction *
cr_action_find (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++) {
    if (strcmp (actions[i].name, name) == 0)
      return &actions[i];
  }
  return NULL;
}

CrTask *
cr_action_lookup_task (CrApi *api, JsonObject *params, GError **error)
{
  gint64 app = 0;
  cr_json_get_int (params, "SdkAppId", &app);
  const char *task_id = cr_json_get_string (params, "TaskId");
  g_autoptr (CrTask) task = api->store->vt->lookup (api->store, (guint64)app, task_id, error);
  if (task == NULL) {
    if (error == NULL || *error == NULL)
      cr_api_error_set (error, "ResourceNotFound",
                        "TaskId %s does not exist for SdkAppId %" G_GINT64_FORMAT, task_id, app);
    return NULL;
  }
  if (api->now_ms () > task->expires_ms) {
    g_autoptr (GDateTime) at = g_date_time_new_from_unix_utc (task->expires_ms / 1000);
    g_autofree char *when = g_date_time_format_iso8601 (at);
    cr_api_error_set (error, "InvalidParameter.TaskId",
                      "TaskId %s expired at %s (ResourceExpiredHour of its CreateCloudRecording); "
                      "the recording itself is not affected",
                      task_id, when);
    return NULL;
  }
  return g_steal_pointer (&task);
}
