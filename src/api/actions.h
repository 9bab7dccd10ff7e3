/* The API actions: one file each, all with the same signature.
 *
 * An action receives a request already authenticated, rate-limited and validated (normalised,
 * defaults applied) and the app it belongs to; it adds its reply members to @reply or fails with
 * a CR_API_ERROR. */
#pragma once

#include <json-glib/json-glib.h>

#include "api/api.h"

G_BEGIN_DECLS

typedef gboolean (*CrActionFunc) (CrApi *api, const CrApp *app, JsonObject *params,
                                  JsonObject *reply, GError **error);

/* How an action finds the app it acts on. */
typedef enum {
  /* The body's SdkAppId, which must be the app whose key signed the request (TRTC's rule:
   * MissingParameter.SdkAppId, InvalidParameter.SdkAppId, AuthFailure.UnauthorizedOperation). */
  CR_APP_FROM_BODY,
  /* The app whose key signed the request (actions such as TIW's StopWebRecord carry no
   * SdkAppId). */
  CR_APP_FROM_SIGNER,
} CrAppSource;

typedef struct {
  const char *name;
  CrActionFunc func;
  CrAppSource app_from;
  const char *schema; /* the request schema (cr_validate_request); NULL: the action's name */
} CrAction;

/* One API version of one service and its actions: the X-TC-Version header selects it (versions
 * are distinct across services: trtc 2019-07-22, later tiw 2019-09-19). */
typedef struct {
  const char *service; /* "trtc" */
  const char *version; /* "2019-07-22" */
  const CrAction *actions;
  guint n_actions;
} CrApiVersion;

/* The version @version (X-TC-Version, exact), or NULL (NoSuchVersion). */
const CrApiVersion *cr_api_version_find (const char *version);
/* The action @name (X-TC-Action, exact case) of @version, or NULL (InvalidAction). */
const CrAction *cr_api_version_action (const CrApiVersion *version, const char *name);
/* "2019-07-22 (trtc)": every supported version, comma-separated, for error messages. */
char *cr_api_versions_text (void);

typedef enum {
  /* The caller vouches for the robot (an internal launcher: auto-recording, one-call recording
   * after its own UserSig check): UserSig and PrivateMapKey are not checked. */
  CR_CREATE_ROBOT_TRUSTED = 1 << 0,
} CrCreateFlags;

/* Creates a task from @params, a CreateCloudRecording request already normalised by
 * cr_validate_request(), exactly as the action does: disk guard, sealed SecretKey, typed spec,
 * storage check, same-robot replacement, concurrency slot, worker started. The action and the
 * daemon's own launchers share it so a launched task is indistinguishable from an API one.
 * @out_task_id (optional) receives the new TaskId. */
gboolean cr_api_create_task (CrApi *api, const CrApp *app, JsonObject *params, CrCreateFlags flags,
                             char **out_task_id, GError **error);

/* Seals StorageParams.CloudStorage.SecretKey of @params in place (action_create.c). */
gboolean cr_api_seal_storage_secret (JsonObject *params, GError **error);
/* action_web_record.c: StartWebRecord, StopWebRecord, DescribeWebRecord. */
gboolean cr_action_start_web_record (CrApi *api, const CrApp *app, JsonObject *params,
                                     JsonObject *reply, GError **error);
gboolean cr_action_stop_web_record (CrApi *api, const CrApp *app, JsonObject *params,
                                    JsonObject *reply, GError **error);
gboolean cr_action_describe_web_record (CrApi *api, const CrApp *app, JsonObject *params,
                                        JsonObject *reply, GError **error);

gboolean cr_action_create_cloud_recording (CrApi *api, const CrApp *app, JsonObject *params,
                                           JsonObject *reply, GError **error);
gboolean cr_action_describe_cloud_recording (CrApi *api, const CrApp *app, JsonObject *params,
                                             JsonObject *reply, GError **error);
gboolean cr_action_modify_cloud_recording (CrApi *api, const CrApp *app, JsonObject *params,
                                           JsonObject *reply, GError **error);
/* Extension: Describe's request; answers even after the task finished, until it expires. */
gboolean cr_action_cloudrec_describe_task (CrApi *api, const CrApp *app, JsonObject *params,
                                           JsonObject *reply, GError **error);
/* Extensions: a task's callback events (outbox/sender.h), listed and sent again; both answer
 * for any task the store still has, ended or not. */
gboolean cr_action_cloudrec_describe_events (CrApi *api, const CrApp *app, JsonObject *params,
                                             JsonObject *reply, GError **error);
gboolean cr_action_cloudrec_resend_events (CrApi *api, const CrApp *app, JsonObject *params,
                                           JsonObject *reply, GError **error);
/* Extensions: a new mixed MP4 from a finished single-stream task, as a job (tools/compose_jobs.h).
 */
gboolean cr_action_cloudrec_create_compose (CrApi *api, const CrApp *app, JsonObject *params,
                                            JsonObject *reply, GError **error);
gboolean cr_action_cloudrec_describe_compose (CrApi *api, const CrApp *app, JsonObject *params,
                                              JsonObject *reply, GError **error);
/* Extensions: auto-recording's template, read and changed, and the tasks it launched
 * (action_auto.c, auto/auto_record.h). */
gboolean cr_action_cloudrec_describe_auto_record (CrApi *api, const CrApp *app, JsonObject *params,
                                                  JsonObject *reply, GError **error);
gboolean cr_action_cloudrec_modify_auto_record (CrApi *api, const CrApp *app, JsonObject *params,
                                                JsonObject *reply, GError **error);
gboolean cr_action_cloudrec_describe_auto_record_tasks (CrApi *api, const CrApp *app,
                                                        JsonObject *params, JsonObject *reply,
                                                        GError **error);
/* Extensions of the console (action_console.c): an app's tasks and live rooms, a mixed task's
 * layout as the layout engine computes it for the room now. */
gboolean cr_action_cloudrec_describe_tasks (CrApi *api, const CrApp *app, JsonObject *params,
                                            JsonObject *reply, GError **error);
gboolean cr_action_cloudrec_describe_rooms (CrApi *api, const CrApp *app, JsonObject *params,
                                            JsonObject *reply, GError **error);
gboolean cr_action_cloudrec_describe_layout (CrApi *api, const CrApp *app, JsonObject *params,
                                             JsonObject *reply, GError **error);
gboolean cr_action_delete_cloud_recording (CrApi *api, const CrApp *app, JsonObject *params,
                                           JsonObject *reply, GError **error);

/* TRTC's usage actions (usage/usage.h): SdkAppId optional, the signer's app by default. */
gboolean cr_action_describe_record_statistic (CrApi *api, const CrApp *app, JsonObject *params,
                                              JsonObject *reply, GError **error);
gboolean cr_action_describe_recording_usage (CrApi *api, const CrApp *app, JsonObject *params,
                                             JsonObject *reply, GError **error);

gboolean cr_action_remove_user (CrApi *api, const CrApp *app, JsonObject *params, JsonObject *reply,
                                GError **error);
gboolean cr_action_remove_user_by_str_room_id (CrApi *api, const CrApp *app, JsonObject *params,
                                               JsonObject *reply, GError **error);
gboolean cr_action_dismiss_room (CrApi *api, const CrApp *app, JsonObject *params,
                                 JsonObject *reply, GError **error);
gboolean cr_action_dismiss_room_by_str_room_id (CrApi *api, const CrApp *app, JsonObject *params,
                                                JsonObject *reply, GError **error);

/* TIW 2019-09-19: the whiteboard service's online recording (action_tiw_record.c). */
gboolean cr_action_tiw_start_online_record (CrApi *api, const CrApp *app, JsonObject *params,
                                            JsonObject *reply, GError **error);
gboolean cr_action_tiw_pause_online_record (CrApi *api, const CrApp *app, JsonObject *params,
                                            JsonObject *reply, GError **error);
gboolean cr_action_tiw_resume_online_record (CrApi *api, const CrApp *app, JsonObject *params,
                                             JsonObject *reply, GError **error);
gboolean cr_action_tiw_stop_online_record (CrApi *api, const CrApp *app, JsonObject *params,
                                           JsonObject *reply, GError **error);
gboolean cr_action_tiw_describe_online_record (CrApi *api, const CrApp *app, JsonObject *params,
                                               JsonObject *reply, GError **error);
gboolean cr_action_tiw_set_online_record_callback (CrApi *api, const CrApp *app, JsonObject *params,
                                                   JsonObject *reply, GError **error);
gboolean cr_action_tiw_set_online_record_callback_key (CrApi *api, const CrApp *app,
                                                       JsonObject *params, JsonObject *reply,
                                                       GError **error);
gboolean cr_action_tiw_describe_online_record_callback (CrApi *api, const CrApp *app,
                                                        JsonObject *params, JsonObject *reply,
                                                        GError **error);

/* TIW 2019-09-19: video-generation tasks of a VIDEO_GENERATION_MODE class (action_tiw_video.c). */
gboolean cr_action_tiw_create_video_generation_task (CrApi *api, const CrApp *app,
                                                     JsonObject *params, JsonObject *reply,
                                                     GError **error);
gboolean cr_action_tiw_describe_video_generation_task (CrApi *api, const CrApp *app,
                                                       JsonObject *params, JsonObject *reply,
                                                       GError **error);
gboolean cr_action_tiw_set_video_generation_task_callback (CrApi *api, const CrApp *app,
                                                           JsonObject *params, JsonObject *reply,
                                                           GError **error);
gboolean cr_action_tiw_set_video_generation_task_callback_key (CrApi *api, const CrApp *app,
                                                               JsonObject *params,
                                                               JsonObject *reply, GError **error);
gboolean cr_action_tiw_describe_video_generation_task_callback (CrApi *api, const CrApp *app,
                                                                JsonObject *params,
                                                                JsonObject *reply, GError **error);

/* Shared by Describe/Modify/Delete: the live task (SdkAppId, TaskId) of @params, or NULL with
 * ResourceNotFound (unknown, another app's) or InvalidParameter.TaskId (past ResourceExpiredHour).
 */
CrTask *cr_action_lookup_task (CrApi *api, JsonObject *params, GError **error);

G_END_DECLS
