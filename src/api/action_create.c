/* CreateCloudRecording: checks the robot's credentials, takes a concurrency slot and persists
 * the task with its normalised parameters. The task starts Idle: nothing is recorded until a
 * recorder joins the room (DESIGN.md: task/ supervises the worker). */
#include "actions.h"

#include "auth/private_map_key.h"
#include "auth/secret_box.h"
#include "auth/usersig.h"
#include "common/api_error.h"
#include "common/json_util.h"
#include "metrics/metrics.h"
#include "task/task_id.h"
#include "task/spec.h"
#include "upload/disk_guard.h"
#include "upload/storage_check.h"

/* seconds the bucket check may take (it runs on the API's thread) */
#define STORAGE_CHECK_TIMEOUT_S 3

/* The robot's UserSig: a plain ticket for its UserId, without a room grant. */
static gboolean
create_check_usersig (const CrApp *app, const char *usersig, const char *user_id, gint64 now_s,
                      GError **error)
{
  g_autoptr (GError) sig_error = NULL;
  g_autoptr (CrUserSig) sig
      = cr_usersig_verify (usersig, app->sdk_app_id, user_id, app->usersig_key, now_s, &sig_error);
  if (sig == NULL) {
    cr_api_error_set (error, "InvalidParameter.UserSig", "UserSig is not valid for UserId %s: %s",
                      user_id, sig_error->message);
    return FALSE;
  }
  if (sig->userbuf != NULL) {
    cr_api_error_set (error, "InvalidParameter.UserSig",
                      "UserSig carries a room grant (userbuf): that is a PrivateMapKey; pass it "
                      "as PrivateMapKey and a plain UserSig as UserSig");
    return FALSE;
  }
  return TRUE;
}

/* The optional PrivateMapKey: a signed ticket whose userbuf must open this very room to the robot
 * (reference §9.4). The robot enters the room and receives its streams. */
static gboolean
create_check_private_map_key (const CrApp *app, JsonObject *params, const char *user_id,
                              gint64 now_s, GError **error)
{
  const char *key = cr_json_get_string (params, "PrivateMapKey");
  if (key == NULL || *key == '\0')
    return TRUE;
  gint64 room_type = 1;
  cr_json_get_int (params, "RoomIdType", &room_type);
  const char *room_id = cr_json_get_string (params, "RoomId");
  g_autoptr (GError) sig_error = NULL;
  g_autoptr (CrUserSig) sig
      = cr_usersig_verify (key, app->sdk_app_id, user_id, app->usersig_key, now_s, &sig_error);
  g_autoptr (CrPrivateMapKey) pmk = NULL;
  if (sig != NULL && sig->userbuf == NULL)
    g_set_error (&sig_error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_MALFORMED,
                 "it has no room grant (userbuf): that is a plain UserSig");
  else if (sig != NULL && (pmk = cr_private_map_key_parse (sig->userbuf, &sig_error)) != NULL)
    cr_private_map_key_check (pmk, app->sdk_app_id, user_id, room_id, room_type == 0,
                              CR_PMK_ENTER_ROOM, now_s, &sig_error);
  if (sig_error != NULL) {
    cr_api_error_set (error, "InvalidParameter.PrivateMapKey",
                      "PrivateMapKey is not valid for UserId %s in room %s: %s", user_id, room_id,
                      sig_error->message);
    return FALSE;
  }
  return TRUE;
}

/* TRTC: a second robot with the same UserId in the same room interrupts the earlier task. */
static gboolean
create_replace_same_robot (CrApi *api, const CrTask *task, gint64 now_ms, GError **error)
{
  g_autoptr (GPtrArray) active = api->store->vt->list_active (api->store, error);
  if (active == NULL)
    return FALSE;
  for (guint i = 0; i < active->len; i++) {
    const CrTask *other = g_ptr_array_index (active, i);
    if (other->sdk_app_id == task->sdk_app_id && g_strcmp0 (other->room_id, task->room_id) == 0
        && other->room_id_type == task->room_id_type
        && g_strcmp0 (other->user_id, task->user_id) == 0) {
      g_info ("task %s: robot %s entered room %s again; ending the earlier task %s (LeaveCode 101)",
              task->task_id, task->user_id, task->room_id, other->task_id);
      if (!api->store->vt->set_status (api->store, other->sdk_app_id, other->task_id,
                                       CR_TASK_EXITED, 101, now_ms, NULL, error))
        return FALSE;
    }
  }
  return TRUE;
}

/* The storage SecretKey is kept sealed (auth/secret_box.h) in the request the store keeps and
 * the worker reads: a copy of the database does not give the bucket away. The spec below is
 * built from the sealed request, exactly as the worker will build it. */
gboolean
cr_api_seal_storage_secret (JsonObject *params, GError **error)
{
  JsonObject *cloud
      = cr_json_get_object (cr_json_get_object (params, "StorageParams"), "CloudStorage");
  const char *plain = cr_json_get_string (cloud, "SecretKey");
  if (plain == NULL)
    return TRUE;
  const guchar *key = cr_secret_box_default ();
  if (key == NULL) {
    cr_api_error_set (error, "InternalError", "no secret key is loaded to seal SecretKey with");
    return FALSE;
  }
  g_autoptr (GError) seal_error = NULL;
  g_autofree char *sealed = cr_secret_box_seal (key, plain, &seal_error);
  if (sealed == NULL) {
    cr_api_error_set (error, "InternalError", "%s", seal_error->message);
    return FALSE;
  }
  json_object_set_string_member (cloud, "SecretKey", sealed);
  return TRUE;
}

gboolean
cr_api_create_task (CrApi *api, const CrApp *app, JsonObject *params, CrCreateFlags flags,
                    char **out_task_id, GError **error)
{
  /* A stopping daemon starts nothing it would have to stop again at once; the client retries
   * on the restarted daemon (or another instance). docs/reliability.md "Graceful stop". */
  if (api->stopping) {
    cr_api_error_set (error, "FailedOperation",
                      "the recording service is stopping (SIGTERM); no new task is accepted: "
                      "retry once it has restarted");
    return FALSE;
  }
  gint64 now_ms = api->now_ms ();
  gint64 room_type = 1, hours = 72;
  cr_json_get_int (params, "RoomIdType", &room_type);
  cr_json_get_int (params, "ResourceExpiredHour", &hours);
  const char *user_id = cr_json_get_string (params, "UserId");
  if ((flags & CR_CREATE_ROBOT_TRUSTED) == 0
      && (!create_check_usersig (app, cr_json_get_string (params, "UserSig"), user_id,
                                 now_ms / 1000, error)
          || !create_check_private_map_key (app, params, user_id, now_ms / 1000, error)))
    return FALSE;

  /* The spool and the database under the data dir, local recordings under the storage dir. */
  const char *const disks[] = { api->config->data_dir, api->config->storage_dir, NULL };
  if (!cr_disk_guard_check (disks, api->config->disk_min_free_mb, error))
    return FALSE;
  if (!cr_api_seal_storage_secret (params, error))
    return FALSE;
  /* The typed spec the worker will read: a request it cannot be built from never becomes a task
   * (the validator should have refused it; this keeps the two from drifting apart). */
  g_autoptr (CrTaskSpec) spec = cr_task_spec_new (params, error);
  if (spec == NULL)
    return FALSE;
  /* A bucket that does not exist, wrong keys or a dead endpoint: refused now rather than
   * reported by 308 while the spool fills. */
  CrStorageEndpoints endpoints;
  if (!cr_storage_endpoints_parse (api->config->storage_endpoint, &endpoints, error))
    return FALSE;
  gboolean storage_ok = cr_storage_check (&spec->storage, &endpoints, STORAGE_CHECK_TIMEOUT_S, error);
  cr_storage_endpoints_clear (&endpoints);
  if (!storage_ok)
    return FALSE;
  g_autoptr (CrTask) task = cr_task_new ();
  task->task_id = cr_task_id_new ();
  task->sdk_app_id = app->sdk_app_id;
  task->room_id = g_strdup (cr_json_get_string (params, "RoomId"));
  task->room_id_type = (int)room_type;
  task->user_id = g_strdup (user_id);
  task->status = CR_TASK_IDLE;
  task->params_json = cr_json_object_to_string (params);
  task->created_ms = task->updated_ms = now_ms;
  task->expires_ms = now_ms + hours * 3600 * 1000;

  CrRoomKey room = { task->sdk_app_id, task->room_id_type == 0, task->room_id };
  if (api->rooms != NULL && cr_room_user_publishes (api->rooms, &room, task->user_id)) {
    /* The robot would share the identity of a real user: TRTC's best practice forbids it, and
     * our recording would skip that user's streams as its own. */
    cr_api_error_set (error, "InvalidParameter.UserId",
                      "UserId %s is already in room %s as a user; give the recording robot a "
                      "UserId of its own",
                      task->user_id, task->room_id);
    return FALSE;
  }
  if (!create_replace_same_robot (api, task, now_ms, error))
    return FALSE;
  if (!api->store->vt->insert (api->store, task, api->config->api_max_tasks, error))
    return FALSE;
  g_info ("task %s created: SdkAppId %" G_GUINT64_FORMAT " room %s robot %s", task->task_id,
          task->sdk_app_id, task->room_id, task->user_id);
  g_autoptr (GError) spawn_error = NULL;
  if (api->workers != NULL
      && !cr_supervisor_start (api->workers, task->sdk_app_id, task->task_id, &spawn_error))
    g_warning ("task %s: cannot start its worker: %s", task->task_id, spawn_error->message);
  cr_metrics_add ("cloudrec_tasks_created_total", NULL, 1);
  if (out_task_id != NULL)
    *out_task_id = g_strdup (task->task_id);
  return TRUE;
}

gboolean
cr_action_create_cloud_recording (CrApi *api, const CrApp *app, JsonObject *params,
                                  JsonObject *reply, GError **error)
{
  g_autofree char *task_id = NULL;
  if (!cr_api_create_task (api, app, params, 0, &task_id, error))
    return FALSE;
  json_object_set_string_member (reply, "TaskId", task_id);
  return TRUE;
}
