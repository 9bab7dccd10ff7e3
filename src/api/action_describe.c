/* DescribeCloudRecording: the task's status and its index files. Unlike TRTC, an exited task
 * stays describable (Status "Exited") until its ResourceExpiredHour, so a caller can still read
 * the file list after the end. */
#include "actions.h"

#include "common/json_util.h"

static JsonObject *
describe_file (const CrTaskFile *f)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "UserId", f->user_id);
  json_object_set_string_member (o, "FileName", f->file_name);
  json_object_set_string_member (o, "TrackType", f->track_type);
  json_object_set_int_member (o, "BeginTimeStamp", f->begin_ts_ms);
  return o;
}

gboolean
cr_action_describe_cloud_recording (CrApi *api, const CrApp *app, JsonObject *params,
                                    JsonObject *reply, GError **error)
{
  g_autoptr (CrTask) task = cr_action_lookup_task (api, params, error);
  if (task == NULL)
    return FALSE;
  g_autoptr (GPtrArray) files = api->store->vt->list_files (api->store, task->task_id, error);
  if (files == NULL)
    return FALSE;
  JsonArray *list = json_array_new ();
  for (guint i = 0; i < files->len; i++)
    json_array_add_object_element (list, describe_file (g_ptr_array_index (files, i)));
  const char *recorder_key = cr_json_get_string (params, "RecorderKey");
  json_object_set_string_member (reply, "TaskId", task->task_id);
  json_object_set_string_member (reply, "Status", cr_task_status_to_string (task->status));
  json_object_set_array_member (reply, "StorageFileList", list);
  json_object_set_string_member (reply, "RecorderKey", recorder_key != NULL ? recorder_key : "");
  return TRUE;
}
