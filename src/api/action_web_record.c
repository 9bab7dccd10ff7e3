/* StartWebRecord, StopWebRecord, DescribeWebRecord: web-page recording (docs/web-record.md).
 *
 * A web task is a row of the same task store as a room's recording, so the supervisor starts,
 * restarts (failover) and resumes its worker like any other and the outbox carries its
 * callbacks: its room and robot are empty (callbacks then carry no RoomId), and its params are
 * the normalised StartWebRecord request plus its TaskId (task/spec_web.c reads them). */
#include "actions.h"

#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "recorder/web_session.h"
#include "task/spec.h"
#include "task/task_id.h"
#include "upload/disk_guard.h"
#include "upload/storage_check.h"

#define STORAGE_CHECK_TIMEOUT_S 3
#define WEB_EXPIRES_HOURS                                                                          \
  72 /* Describe answers this long after the start (a day past the limit)                          \
      */

/* The params of @task as an object when it is a web page's task, else NULL. */
static JsonObject *
web_params (const CrTask *task)
{
  if (task->params_json == NULL)
    return NULL;
  JsonObject *p = cr_json_parse_object (task->params_json, strlen (task->params_json), NULL);
  /* a class's board publisher (tiw/class_board.c) is a web task inside, not a StartWebRecord's */
  if (p != NULL
      && (!json_object_has_member (p, "RecordUrl") || json_object_has_member (p, "BoardPublish"))) {
    json_object_unref (p);
    return NULL;
  }
  return p;
}

/* The live web task of @app started with @record_id, or NULL. */
static CrTask *
web_find_record_id (CrApi *api, guint64 app, const char *record_id, GError **error)
{
  g_autoptr (GPtrArray) active = api->store->vt->list_active (api->store, error);
  if (active == NULL)
    return NULL;
  for (guint i = 0; i < active->len; i++) {
    const CrTask *t = g_ptr_array_index (active, i);
    if (t->sdk_app_id != app)
      continue;
    g_autoptr (JsonObject) p = web_params (t);
    if (p != NULL && g_strcmp0 (cr_json_get_string (p, "RecordId"), record_id) == 0)
      return cr_task_copy (t);
  }
  return NULL;
}

/* The web task @task_id of @app: ResourceNotFound for an unknown one or a room's recording. */
static CrTask *
web_lookup (CrApi *api, guint64 app, const char *task_id, GError **error)
{
  g_autoptr (CrTask) task = api->store->vt->lookup (api->store, app, task_id, error);
  if (task == NULL && error != NULL && *error != NULL)
    return NULL;
  g_autoptr (JsonObject) p = task != NULL ? web_params (task) : NULL;
  if (p == NULL) {
    cr_api_error_set (error, "ResourceNotFound",
                      "TaskId %s is not a web recording of SdkAppId %" G_GUINT64_FORMAT, task_id,
                      app);
    return NULL;
  }
  return g_steal_pointer (&task);
}

gboolean
cr_action_start_web_record (CrApi *api, const CrApp *app, JsonObject *params, JsonObject *reply,
                            GError **error)
{
  if (api->stopping) {
    cr_api_error_set (error, "FailedOperation",
                      "the recording service is stopping (SIGTERM); no new task is accepted: "
                      "retry once it has restarted");
    return FALSE;
  }
  gint64 limit = 0;
  cr_json_get_int (params, "MaxDurationLimit", &limit);
  if (limit < api->config->web_record_min_duration) {
    cr_api_error_set (error, "InvalidParameter",
                      "MaxDurationLimit must be in [%" G_GINT64_FORMAT ", 86400] seconds, got "
                      "%" G_GINT64_FORMAT,
                      api->config->web_record_min_duration, limit);
    return FALSE;
  }
  /* A missing package is said now, not found by a worker that hangs or fails later. */
  g_autoptr (GError) missing = NULL;
  if (api->workers != NULL && !cr_web_session_check (api->config->web_record_user, &missing)) {
    cr_api_error_set (error, "FailedOperation", "%s", missing->message);
    return FALSE;
  }
  const char *record_id = cr_json_get_string (params, "RecordId");
  if (record_id != NULL && *record_id != '\0') {
    g_autoptr (GError) find_error = NULL;
    g_autoptr (CrTask) same = web_find_record_id (api, app->sdk_app_id, record_id, &find_error);
    if (find_error != NULL) {
      g_propagate_error (error, g_steal_pointer (&find_error));
      return FALSE;
    }
    if (same != NULL) {
      cr_api_error_set (error, "FailedOperation.TaskExist",
                        "RecordId %s is already being recorded by task %s", record_id,
                        same->task_id);
      return FALSE;
    }
  }
  const char *const disks[] = { api->config->data_dir, api->config->storage_dir, NULL };
  if (!cr_disk_guard_check (disks, api->config->disk_min_free_mb, error)
      || !cr_api_seal_storage_secret (params, error))
    return FALSE;
  gint64 now_ms = api->now_ms ();
  g_autoptr (CrTask) task = cr_task_new ();
  task->task_id = cr_task_id_new ();
  json_object_set_string_member (params, "TaskId", task->task_id);
  g_autoptr (CrTaskSpec) spec = cr_task_spec_new (params, error);
  if (spec == NULL)
    return FALSE;
  CrStorageEndpoints endpoints;
  if (!cr_storage_endpoints_parse (api->config->storage_endpoint, &endpoints, error))
    return FALSE;
  gboolean storage_ok
      = cr_storage_check (&spec->storage, &endpoints, STORAGE_CHECK_TIMEOUT_S, error);
  cr_storage_endpoints_clear (&endpoints);
  if (!storage_ok)
    return FALSE;
  task->sdk_app_id = app->sdk_app_id;
  task->room_id = g_strdup ("");
  task->room_id_type = 0;
  task->user_id = g_strdup ("");
  task->status = CR_TASK_IDLE;
  task->params_json = cr_json_object_to_string (params);
  task->created_ms = task->updated_ms = now_ms;
  task->expires_ms = now_ms + (gint64)WEB_EXPIRES_HOURS * 3600 * 1000;
  if (!api->store->vt->insert (api->store, task, api->config->api_max_tasks, error))
    return FALSE;
  g_info ("task %s created: web page %s, SdkAppId %" G_GUINT64_FORMAT "%s%s", task->task_id,
          spec->web->url, task->sdk_app_id, *spec->web->record_id ? ", RecordId " : "",
          spec->web->record_id);
  g_autoptr (GError) spawn_error = NULL;
  if (api->workers != NULL
      && !cr_supervisor_start (api->workers, task->sdk_app_id, task->task_id, &spawn_error))
    g_warning ("task %s: cannot start its worker: %s", task->task_id, spawn_error->message);
  json_object_set_string_member (reply, "TaskId", task->task_id);
  return TRUE;
}

gboolean
cr_action_stop_web_record (CrApi *api, const CrApp *app, JsonObject *params, JsonObject *reply,
                           GError **error)
{
  const char *task_id = cr_json_get_string (params, "TaskId");
  g_autoptr (CrTask) task = web_lookup (api, app->sdk_app_id, task_id, error);
  if (task == NULL)
    return FALSE;
  if (!api->store->vt->set_status (api->store, task->sdk_app_id, task->task_id, CR_TASK_EXITED, 0,
                                   api->now_ms (), NULL, error))
    return FALSE;
  g_info ("task %s stopped by StopWebRecord", task->task_id);
  if (api->workers != NULL)
    cr_supervisor_stop (api->workers, task->task_id); /* it closes its files and exits */
  return TRUE;
}

gboolean
cr_action_describe_web_record (CrApi *api, const CrApp *app, JsonObject *params, JsonObject *reply,
                               GError **error)
{
  gint64 app_id = (gint64)app->sdk_app_id;
  if (cr_json_get_int (params, "SdkAppId", &app_id) && (guint64)app_id != app->sdk_app_id) {
    cr_api_error_set (error, "AuthFailure.UnauthorizedOperation",
                      "SdkAppId %" G_GINT64_FORMAT " is not the app whose key signed the request",
                      app_id);
    return FALSE;
  }
  const char *task_id = cr_json_get_string (params, "TaskId");
  const char *record_id = cr_json_get_string (params, "RecordId");
  g_autoptr (CrTask) task = NULL;
  if (task_id != NULL) {
    task = web_lookup (api, app->sdk_app_id, task_id, error);
  } else {
    g_autoptr (GError) find_error = NULL;
    task = web_find_record_id (api, app->sdk_app_id, record_id, &find_error);
    if (find_error != NULL)
      g_propagate_error (error, g_steal_pointer (&find_error));
    else if (task == NULL)
      cr_api_error_set (error, "ResourceNotFound",
                        "no web recording of SdkAppId %" G_GUINT64_FORMAT
                        " is running with RecordId %s",
                        app->sdk_app_id, record_id);
  }
  if (task == NULL)
    return FALSE;
  g_autoptr (JsonObject) p = web_params (task);
  /* 1: recording (TRTC's only documented value); 0: starting (the page not captured yet);
   * 2: stopped or ended (its files being finished or done). */
  int status = task->status == CR_TASK_IN_PROGRESS ? 1 : task->status == CR_TASK_IDLE ? 0 : 2;
  json_object_set_int_member (reply, "Status", status);
  json_object_set_string_member (reply, "TaskId", task->task_id);
  json_object_set_string_member (reply, "RecordId", cr_json_get_string (p, "RecordId"));
  return TRUE;
}
