/* The action table and the task lookup shared by Describe, Modify and Delete. */
#include "actions.h"

#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"

static const CrAction trtc_2019_07_22[] = {
  { "CreateCloudRecording", cr_action_create_cloud_recording, CR_APP_FROM_BODY, NULL },
  { "DescribeCloudRecording", cr_action_describe_cloud_recording, CR_APP_FROM_BODY, NULL },
  { "ModifyCloudRecording", cr_action_modify_cloud_recording, CR_APP_FROM_BODY, NULL },
  { "DeleteCloudRecording", cr_action_delete_cloud_recording, CR_APP_FROM_BODY, NULL },
  { "RemoveUser", cr_action_remove_user, CR_APP_FROM_BODY, NULL },
  { "RemoveUserByStrRoomId", cr_action_remove_user_by_str_room_id, CR_APP_FROM_BODY, NULL },
  { "DismissRoom", cr_action_dismiss_room, CR_APP_FROM_BODY, NULL },
  { "DismissRoomByStrRoomId", cr_action_dismiss_room_by_str_room_id, CR_APP_FROM_BODY, NULL },
  { "DescribeRecordStatistic", cr_action_describe_record_statistic, CR_APP_FROM_SIGNER, NULL },
  { "DescribeRecordingUsage", cr_action_describe_recording_usage, CR_APP_FROM_SIGNER, NULL },
  /* Web-page recording: Stop and Describe carry no (or an optional) SdkAppId. */
  { "StartWebRecord", cr_action_start_web_record, CR_APP_FROM_BODY, NULL },
  { "StopWebRecord", cr_action_stop_web_record, CR_APP_FROM_SIGNER, NULL },
  { "DescribeWebRecord", cr_action_describe_web_record, CR_APP_FROM_SIGNER, NULL },
  /* cloudrec's extensions, named "Cloudrec..." so they never collide with a TRTC action. */
  { "CloudrecDescribeTask", cr_action_cloudrec_describe_task, CR_APP_FROM_BODY,
    "DescribeCloudRecording" },
  { "CloudrecDescribeEvents", cr_action_cloudrec_describe_events, CR_APP_FROM_BODY, NULL },
  { "CloudrecResendEvents", cr_action_cloudrec_resend_events, CR_APP_FROM_BODY, NULL },
  { "CloudrecCreateCompose", cr_action_cloudrec_create_compose, CR_APP_FROM_BODY, NULL },
  { "CloudrecDescribeCompose", cr_action_cloudrec_describe_compose, CR_APP_FROM_BODY, NULL },
  { "CloudrecDescribeAutoRecord", cr_action_cloudrec_describe_auto_record, CR_APP_FROM_BODY, NULL },
  { "CloudrecModifyAutoRecord", cr_action_cloudrec_modify_auto_record, CR_APP_FROM_BODY, NULL },
  { "CloudrecDescribeAutoRecordTasks", cr_action_cloudrec_describe_auto_record_tasks,
    CR_APP_FROM_BODY, NULL },
  { "CloudrecDescribeTasks", cr_action_cloudrec_describe_tasks, CR_APP_FROM_BODY, NULL },
  { "CloudrecDescribeRooms", cr_action_cloudrec_describe_rooms, CR_APP_FROM_BODY, NULL },
  { "CloudrecDescribeLayout", cr_action_cloudrec_describe_layout, CR_APP_FROM_BODY,
    "CloudrecDescribeEvents" },
};

/* The whiteboard service's online recording (class recording, docs/class-record.md). */
static const CrAction tiw_2019_09_19[] = {
  { "StartOnlineRecord", cr_action_tiw_start_online_record, CR_APP_FROM_BODY, NULL },
  { "PauseOnlineRecord", cr_action_tiw_pause_online_record, CR_APP_FROM_BODY, NULL },
  { "ResumeOnlineRecord", cr_action_tiw_resume_online_record, CR_APP_FROM_BODY, NULL },
  { "StopOnlineRecord", cr_action_tiw_stop_online_record, CR_APP_FROM_BODY, NULL },
  { "DescribeOnlineRecord", cr_action_tiw_describe_online_record, CR_APP_FROM_BODY, NULL },
  { "SetOnlineRecordCallback", cr_action_tiw_set_online_record_callback, CR_APP_FROM_BODY, NULL },
  { "SetOnlineRecordCallbackKey", cr_action_tiw_set_online_record_callback_key, CR_APP_FROM_BODY,
    NULL },
  { "DescribeOnlineRecordCallback", cr_action_tiw_describe_online_record_callback, CR_APP_FROM_BODY,
    NULL },
  { "CreateVideoGenerationTask", cr_action_tiw_create_video_generation_task, CR_APP_FROM_BODY,
    NULL },
  { "DescribeVideoGenerationTask", cr_action_tiw_describe_video_generation_task, CR_APP_FROM_BODY,
    NULL },
  { "SetVideoGenerationTaskCallback", cr_action_tiw_set_video_generation_task_callback,
    CR_APP_FROM_BODY, NULL },
  { "SetVideoGenerationTaskCallbackKey", cr_action_tiw_set_video_generation_task_callback_key,
    CR_APP_FROM_BODY, NULL },
  { "DescribeVideoGenerationTaskCallback", cr_action_tiw_describe_video_generation_task_callback,
    CR_APP_FROM_BODY, NULL },
};

static const CrApiVersion versions[] = {
  { "trtc", "2019-07-22", trtc_2019_07_22, G_N_ELEMENTS (trtc_2019_07_22) },
  { "tiw", "2019-09-19", tiw_2019_09_19, G_N_ELEMENTS (tiw_2019_09_19) },
};

const CrApiVersion *
cr_api_version_find (const char *version)
{
  for (guint i = 0; version != NULL && i < G_N_ELEMENTS (versions); i++) {
    if (strcmp (versions[i].version, version) == 0)
      return &versions[i];
  }
  return NULL;
}

const CrAction *
cr_api_version_action (const CrApiVersion *version, const char *name)
{
  for (guint i = 0; name != NULL && i < version->n_actions; i++) {
    if (strcmp (version->actions[i].name, name) == 0)
      return &version->actions[i];
  }
  return NULL;
}

char *
cr_api_versions_text (void)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (versions); i++)
    g_string_append_printf (s, "%s%s (%s)", i > 0 ? ", " : "", versions[i].version,
                            versions[i].service);
  return g_string_free (s, FALSE);
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
