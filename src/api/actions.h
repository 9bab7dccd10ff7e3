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

typedef struct {
  const char *name;
  CrActionFunc func;
} CrAction;

/* The action named @name, or NULL. */
const CrAction *cr_action_find (const char *name);

gboolean cr_action_create_cloud_recording (CrApi *api, const CrApp *app, JsonObject *params,
                                           JsonObject *reply, GError **error);
gboolean cr_action_describe_cloud_recording (CrApi *api, const CrApp *app, JsonObject *params,
                                             JsonObject *reply, GError **error);
gboolean cr_action_modify_cloud_recording (CrApi *api, const CrApp *app, JsonObject *params,
                                           JsonObject *reply, GError **error);
gboolean cr_action_delete_cloud_recording (CrApi *api, const CrApp *app, JsonObject *params,
                                           JsonObject *reply, GError **error);

gboolean cr_action_remove_user (CrApi *api, const CrApp *app, JsonObject *params,
                                JsonObject *reply, GError **error);
gboolean cr_action_remove_user_by_str_room_id (CrApi *api, const CrApp *app, JsonObject *params,
                                               JsonObject *reply, GError **error);
gboolean cr_action_dismiss_room (CrApi *api, const CrApp *app, JsonObject *params,
                                 JsonObject *reply, GError **error);
gboolean cr_action_dismiss_room_by_str_room_id (CrApi *api, const CrApp *app, JsonObject *params,
                                                JsonObject *reply, GError **error);

/* Shared by Describe/Modify/Delete: the live task (SdkAppId, TaskId) of @params, or NULL with
 * ResourceNotFound (unknown, another app's) or InvalidParameter.TaskId (past ResourceExpiredHour).
 */
CrTask *cr_action_lookup_task (CrApi *api, JsonObject *params, GError **error);

G_END_DECLS
