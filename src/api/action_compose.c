/* CloudrecCreateCompose and CloudrecDescribeCompose, extensions: a new mixed MP4 from a finished
 * single-stream task, made by a compose job (tools/compose_jobs.h) from the task's files where
 * they were stored (the local store, or its S3-compatible store with the keys it was created
 * with) and stored beside them; its end is told by callback 350 (an extension event).
 */
#include "actions.h"

#include "common/api_error.h"
#include "common/json_util.h"
#include "files/naming.h"
#include "outbox/sender.h"
#include "task/spec.h"
#include "tools/compose.h"
#include "tools/compose_jobs.h"
#include "upload/storage_target.h"

/* What the job left out (pictures that could not be had), as a JSON array of strings. */
static JsonArray *
compose_warnings (const CrComposeJob *job)
{
  JsonArray *a = json_array_new ();
  for (guint i = 0; job->warnings != NULL && i < job->warnings->len; i++)
    json_array_add_string_element (a, g_ptr_array_index (job->warnings, i));
  return a;
}

static void
compose_done (const CrComposeJob *job, gpointer data)
{
  CrApi *api = data;
  if (api->callbacks == NULL)
    return;
  JsonObject *payload = json_object_new ();
  json_object_set_string_member (payload, "ComposeId", job->compose_id);
  json_object_set_string_member (payload, "Status", cr_compose_status_to_string (job->status));
  json_object_set_string_member (payload, "FileName",
                                 job->status == CR_COMPOSE_DONE ? job->file_name : "");
  json_object_set_string_member (payload, "ObjectKey",
                                 job->status == CR_COMPOSE_DONE ? job->object_key : "");
  json_object_set_string_member (payload, "Url", job->status == CR_COMPOSE_DONE ? job->url : "");
  json_object_set_string_member (payload, "Error", job->error != NULL ? job->error : "");
  json_object_set_array_member (payload, "Warnings", compose_warnings (job));
  cr_callback_sender_emit (api->callbacks, job->sdk_app_id, job->task_id, CR_EVENT_COMPOSE_DONE,
                           payload);
}

gboolean
cr_action_cloudrec_create_compose (CrApi *api, const CrApp *app, JsonObject *params,
                                   JsonObject *reply, GError **error)
{
  g_autoptr (CrTask) task = cr_action_lookup_task (api, params, error);
  if (task == NULL)
    return FALSE;
  g_autoptr (JsonObject) mixed = json_object_new ();
  for (const char *const *m
       = (const char *const[]){ "MixLayoutParams", "MixTranscodeParams", NULL };
       *m != NULL; m++) {
    JsonNode *n = json_object_get_member (params, *m);
    if (n != NULL)
      json_object_set_member (mixed, *m, json_node_copy (n));
  }
  g_autoptr (CrTaskSpec) compose_spec = cr_compose_spec_new (mixed, error);
  if (compose_spec == NULL)
    return FALSE;
  g_autoptr (CrTaskSpec) spec = cr_task_spec_new_from_text (task->params_json, error);
  if (spec == NULL)
    return FALSE;
  if (spec->record_mode != CR_RECORD_SINGLE) {
    cr_api_error_set (error, "InvalidParameter.TaskId",
                      "TaskId %s is a mixed recording; compose takes a single-stream task "
                      "(RecordMode 1)",
                      task->task_id);
    return FALSE;
  }
  if (task->finished_ms == 0) {
    cr_api_error_set (error, "FailedOperation",
                      "TaskId %s has not finished its files yet; compose it once "
                      "CloudrecDescribeTask says Finished",
                      task->task_id);
    return FALSE;
  }
  CrNamingTask naming = cr_task_spec_naming (spec, task->task_id);
  g_autofree char *rel = cr_naming_dir (&naming);
  g_autofree char *stem = cr_naming_mixed_stem (&naming);
  g_autofree char *stamp = cr_naming_utc_stamp (api->now_ms ());
  g_autofree char *file_name = g_strdup_printf ("%s_compose_%s.mp4", stem, stamp);
  g_autofree char *object_key = g_build_path ("/", rel, file_name, NULL); /* rel ends in '/' */
  CrStorageEndpoints endpoints;
  if (!cr_storage_endpoints_parse (api->config->storage_endpoint, &endpoints, error))
    return FALSE;
  CrTargetKind kind = cr_storage_target_kind (&spec->storage, &endpoints);
  g_autofree char *endpoint = g_strdup (cr_storage_endpoint_url (&spec->storage, &endpoints));
  cr_storage_endpoints_clear (&endpoints);
  g_autofree char *dir = NULL, *in = NULL, *out = NULL, *url = NULL;
  if (kind == CR_TARGET_VOD) {
    cr_api_error_set (error, "FailedOperation",
                      "the files of TaskId %s went to the VOD library; compose reads the local "
                      "storage and S3-compatible stores only",
                      task->task_id);
    return FALSE;
  }
  if (kind == CR_TARGET_LOCAL) {
    dir = g_build_filename (api->config->storage_dir, rel, NULL);
    if (!g_file_test (dir, G_FILE_TEST_IS_DIR)) {
      cr_api_error_set (error, "FailedOperation",
                        "the files of TaskId %s are not in this server's local storage",
                        task->task_id);
      return FALSE;
    }
    in = g_strdup (dir);
    out = g_build_filename (dir, file_name, NULL);
    url = g_strdup ("");
  } else {
    /* The task's own store, with the keys it was created with (unsealed by the spec). */
    const CrSpecStorage *st = &spec->storage;
    in = g_strdup_printf ("s3://%s/%s", st->bucket, rel);
    out = g_strdup_printf ("s3://%s/%s", st->bucket, object_key);
    url = cr_storage_object_url (st, endpoint, object_key);
  }
  CrComposeTarget target = { .in = in,
                             .out = out,
                             .endpoint = endpoint,
                             .vendor = spec->storage.vendor,
                             .region = spec->storage.region,
                             .access_key = spec->storage.access_key,
                             .secret_key = spec->storage.secret_key,
                             .object_key = object_key,
                             .url = url };
  g_autofree char *params_json = cr_json_object_to_string (mixed);
  g_autoptr (GError) local = NULL;
  /* Pictures by URL: the live mix's cache and fetch-deny (mix/image_cache.h). */
  g_autofree char *images = g_build_filename (api->config->data_dir, "cache", "images", NULL);
  g_autofree char *id
      = cr_compose_jobs_start (task->sdk_app_id, task->task_id, &target, file_name, params_json,
                               images, api->config->fetch_deny, compose_done, api, &local);
  if (id == NULL) {
    cr_api_error_set (error, "InternalError", "cannot start the compose job: %s", local->message);
    return FALSE;
  }
  json_object_set_string_member (reply, "ComposeId", id);
  json_object_set_string_member (reply, "TaskId", task->task_id);
  json_object_set_string_member (reply, "FileName", file_name);
  json_object_set_string_member (reply, "ObjectKey", object_key);
  json_object_set_string_member (reply, "Url", url);
  return TRUE;
}

gboolean
cr_action_cloudrec_describe_compose (CrApi *api, const CrApp *app, JsonObject *params,
                                     JsonObject *reply, GError **error)
{
  gint64 sdk_app_id = 0;
  cr_json_get_int (params, "SdkAppId", &sdk_app_id);
  const char *id = cr_json_get_string (params, "ComposeId");
  g_autoptr (CrComposeJob) job = cr_compose_jobs_lookup ((guint64)sdk_app_id, id);
  if (job == NULL) {
    cr_api_error_set (error, "ResourceNotFound",
                      "ComposeId %s does not exist for SdkAppId %" G_GINT64_FORMAT
                      " (jobs are forgotten when the daemon restarts)",
                      id, sdk_app_id);
    return FALSE;
  }
  json_object_set_string_member (reply, "ComposeId", job->compose_id);
  json_object_set_string_member (reply, "TaskId", job->task_id);
  json_object_set_string_member (reply, "Status", cr_compose_status_to_string (job->status));
  json_object_set_int_member (reply, "Progress", job->progress);
  json_object_set_string_member (reply, "FileName", job->file_name);
  json_object_set_string_member (reply, "ObjectKey", job->object_key);
  json_object_set_string_member (reply, "Url", job->url);
  json_object_set_string_member (reply, "Error", job->error != NULL ? job->error : "");
  json_object_set_array_member (reply, "Warnings", compose_warnings (job));
  json_object_set_int_member (reply, "CreateTime", job->created_ms);
  json_object_set_int_member (reply, "FinishTime", job->finished_ms);
  return TRUE;
}
