/* Extensions of auto-recording (src/auto/auto_record.h, docs/auto-record.md): the app's template
 * read and changed at run time, and the tasks it launched. The tasks themselves are ordinary
 * ones: Describe, Modify and Delete take their TaskIds. */
#include "actions.h"

#include "auto/auto_record.h"
#include "common/api_error.h"
#include "common/json_util.h"

static gboolean
auto_running (CrApi *api, GError **error)
{
  if (api->auto_record != NULL)
    return TRUE;
  cr_api_error_set (error, "FailedOperation", "auto-recording is not running in this process");
  return FALSE;
}

static void
auto_reply_template (CrApi *api, const CrApp *app, JsonObject *reply)
{
  CrAutoSource source = CR_AUTO_SOURCE_DEFAULT;
  const CrAutoTemplate *t = cr_auto_record_template (api->auto_record, app->sdk_app_id, &source);
  g_autoptr (CrAutoTemplate) none = t == NULL ? cr_auto_template_new () : NULL;
  json_object_set_object_member (reply, "AutoRecord",
                                 cr_auto_template_to_json (t != NULL ? t : none, FALSE));
  json_object_set_string_member (reply, "Source", cr_auto_source_name (source));
  /* The callbacks of auto tasks go where the app's go. */
  json_object_set_string_member (reply, "CallbackUrl", app->callback_url);
}

gboolean
cr_action_cloudrec_describe_auto_record (CrApi *api, const CrApp *app, JsonObject *params,
                                         JsonObject *reply, GError **error)
{
  if (!auto_running (api, error))
    return FALSE;
  auto_reply_template (api, app, reply);
  return TRUE;
}

gboolean
cr_action_cloudrec_modify_auto_record (CrApi *api, const CrApp *app, JsonObject *params,
                                       JsonObject *reply, GError **error)
{
  if (!auto_running (api, error))
    return FALSE;
  if (!cr_auto_record_modify (api->auto_record, app->sdk_app_id, params, error))
    return FALSE;
  auto_reply_template (api, app, reply);
  return TRUE;
}

gboolean
cr_action_cloudrec_describe_auto_record_tasks (CrApi *api, const CrApp *app, JsonObject *params,
                                               JsonObject *reply, GError **error)
{
  if (api->store->vt->list_auto_tasks == NULL) {
    cr_api_error_set (error, "FailedOperation", "this store keeps no auto tasks");
    return FALSE;
  }
  g_autoptr (GPtrArray) tasks
      = api->store->vt->list_auto_tasks (api->store, app->sdk_app_id, error);
  if (tasks == NULL)
    return FALSE;
  const char *room = cr_json_get_string (params, "RoomId");
  JsonArray *list = json_array_new ();
  for (guint i = 0; i < tasks->len; i++) {
    const CrTask *task = g_ptr_array_index (tasks, i);
    if (room != NULL && g_strcmp0 (room, task->room_id) != 0)
      continue;
    JsonObject *o = json_object_new ();
    json_object_set_string_member (o, "TaskId", task->task_id);
    json_object_set_string_member (o, "RoomId", task->room_id);
    json_object_set_int_member (o, "RoomIdType", task->room_id_type);
    json_object_set_string_member (o, "UserId", task->user_id);
    json_object_set_string_member (o, "Status", cr_task_status_to_string (task->status));
    json_object_set_int_member (o, "CreateTime", task->created_ms / 1000);
    if (task->status == CR_TASK_EXITED) {
      json_object_set_int_member (o, "EndTime", task->ended_ms / 1000);
      json_object_set_int_member (o, "LeaveCode", task->leave_code);
    }
    json_array_add_object_element (list, o);
  }
  json_object_set_int_member (reply, "TotalCount", json_array_get_length (list));
  json_object_set_array_member (reply, "Tasks", list);
  return TRUE;
}
