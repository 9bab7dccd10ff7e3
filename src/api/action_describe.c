/* DescribeCloudRecording: the task's status and its index files. As TRTC does, a stopped task
 * answers Status "Exited" while its worker finishes (closes and stores its files, queues the 302
 * and 310), then ResourceNotFound (reference §6.2, §11). CloudrecDescribeTask, an extension,
 * keeps answering for a finished task until its ResourceExpiredHour: status, LeaveCode, file
 * list, times and failover count. */
#include "actions.h"
#include "upload/uploader.h"

#include "common/api_error.h"
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

static JsonArray *
describe_files (CrApi *api, const CrTask *task, GError **error)
{
  g_autoptr (GPtrArray) files = api->store->vt->list_files (api->store, task->task_id, error);
  if (files == NULL)
    return NULL;
  JsonArray *list = json_array_new ();
  for (guint i = 0; i < files->len; i++)
    json_array_add_object_element (list, describe_file (g_ptr_array_index (files, i)));
  return list;
}

gboolean
cr_action_describe_cloud_recording (CrApi *api, const CrApp *app, JsonObject *params,
                                    JsonObject *reply, GError **error)
{
  g_autoptr (CrTask) task = cr_action_lookup_task (api, params, error);
  if (task == NULL)
    return FALSE;
  if (task->finished_ms != 0) {
    cr_api_error_set (error, "ResourceNotFound",
                      "TaskId %s has ended and finished its files; CloudrecDescribeTask still "
                      "describes it until its ResourceExpiredHour",
                      task->task_id);
    return FALSE;
  }
  JsonArray *list = describe_files (api, task, error);
  if (list == NULL)
    return FALSE;
  const char *recorder_key = cr_json_get_string (params, "RecorderKey");
  json_object_set_string_member (reply, "TaskId", task->task_id);
  json_object_set_string_member (reply, "Status", cr_task_status_to_string (task->status));
  json_object_set_array_member (reply, "StorageFileList", list);
  json_object_set_string_member (reply, "RecorderKey", recorder_key != NULL ? recorder_key : "");
  return TRUE;
}

gboolean
cr_action_cloudrec_describe_task (CrApi *api, const CrApp *app, JsonObject *params,
                                  JsonObject *reply, GError **error)
{
  g_autoptr (CrTask) task = cr_action_lookup_task (api, params, error);
  if (task == NULL)
    return FALSE;
  JsonArray *list = describe_files (api, task, error);
  if (list == NULL)
    return FALSE;
  json_object_set_string_member (reply, "TaskId", task->task_id);
  json_object_set_string_member (reply, "Status", cr_task_status_to_string (task->status));
  json_object_set_boolean_member (reply, "Finished", task->finished_ms != 0);
  json_object_set_int_member (reply, "LeaveCode", task->leave_code);
  json_object_set_array_member (reply, "StorageFileList", list);
  json_object_set_int_member (reply, "CreateTime", task->created_ms);
  json_object_set_int_member (reply, "EndTime", task->ended_ms);
  json_object_set_int_member (reply, "FinishTime", task->finished_ms);
  json_object_set_int_member (reply, "ExpireTime", task->expires_ms);
  json_object_set_int_member (reply, "Failovers", task->failovers);
  /* What still waits in the spool for the task's object store (upload/uploader.h). */
  CrUploadState up = { 0 };
  cr_uploader_task_state (api->uploads, task->task_id, &up);
  JsonObject *uploads = json_object_new ();
  json_object_set_int_member (uploads, "Pending", up.pending);
  json_object_set_int_member (uploads, "PendingBytes", up.pending_bytes);
  json_object_set_boolean_member (uploads, "Failing", up.failing);
  json_object_set_boolean_member (uploads, "SpoolFull", up.spool_full);
  json_object_set_string_member (uploads, "LastError", up.last_error != NULL ? up.last_error : "");
  json_object_set_object_member (reply, "Uploads", uploads);
  cr_upload_state_clear (&up);
  return TRUE;
}
