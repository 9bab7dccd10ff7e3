/* Room administration on the signed API: RemoveUser(ByStrRoomId) kicks users out of a room,
 * DismissRoom(ByStrRoomId) ends it. Both act on the rooms the ingest hosts; the kicked publishers'
 * sessions are closed by the ingest, and the room's event log records KICK / DISMISS so that a
 * recorder in the room learns of it. From the console's admin token the same actions act as the
 * server's operator (api.h, CrApi.operator_call). */
#include "actions.h"

#include "common/api_error.h"
#include "common/json_util.h"

/* The room of @params: integer RoomId (a JSON number) or string RoomId. */
static CrRoomKey
room_key (const CrApp *app, JsonObject *params, gboolean string_room, char **owned)
{
  CrRoomKey key = { app->sdk_app_id, string_room, NULL };
  if (string_room) {
    key.room_id = cr_json_get_string (params, "RoomId");
  } else {
    gint64 room = 0;
    cr_json_get_int (params, "RoomId", &room);
    *owned = g_strdup_printf ("%" G_GINT64_FORMAT, room);
    key.room_id = *owned;
  }
  return key;
}

/* A client of the API (LeaveCode 1 and 2 for a robot in the room), or the server's operator (the
 * console's admin token: 3 and 4). */
static CrRoomOrigin
room_origin (const CrApi *api)
{
  return api->operator_call ? CR_ROOM_ORIGIN_SERVER : CR_ROOM_ORIGIN_CLIENT;
}

static gboolean
room_not_exist (const CrRoomKey *key, GError **error)
{
  cr_api_error_set (error, "FailedOperation.RoomNotExist",
                    "%s room %s does not exist in SdkAppId %" G_GUINT64_FORMAT
                    " (no one publishes in it)",
                    key->string_room ? "string" : "integer", key->room_id, key->sdk_app_id);
  return FALSE;
}

static gboolean
room_remove_users (CrApi *api, const CrApp *app, JsonObject *params, gboolean string_room,
                   GError **error)
{
  g_autofree char *owned = NULL;
  CrRoomKey key = room_key (app, params, string_room, &owned);
  JsonArray *list = json_object_get_array_member (params, "UserIds");
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (list); i++)
    g_ptr_array_add (ids, (gpointer)json_array_get_string_element (list, i));
  g_ptr_array_add (ids, NULL);
  const char *const *users = (const char *const *)ids->pdata;
  int removed = -1;
  if (api->rooms != NULL)
    removed = cr_room_remove_users_by (api->rooms, &key, users, room_origin (api), NULL);
  if (removed < 0)
    return room_not_exist (&key, error);
  g_info ("room %s: %d of %u user(s) removed", key.room_id, removed,
          list != NULL ? json_array_get_length (list) : 0);
  return TRUE;
}

static gboolean
room_dismiss (CrApi *api, const CrApp *app, JsonObject *params, gboolean string_room,
              GError **error)
{
  g_autofree char *owned = NULL;
  CrRoomKey key = room_key (app, params, string_room, &owned);
  if (api->rooms == NULL || !cr_room_dismiss_by (api->rooms, &key, room_origin (api), NULL))
    return room_not_exist (&key, error);
  g_info ("room %s dismissed", key.room_id);
  return TRUE;
}

gboolean
cr_action_remove_user (CrApi *api, const CrApp *app, JsonObject *params, JsonObject *reply,
                       GError **error)
{
  return room_remove_users (api, app, params, FALSE, error);
}

gboolean
cr_action_remove_user_by_str_room_id (CrApi *api, const CrApp *app, JsonObject *params,
                                      JsonObject *reply, GError **error)
{
  return room_remove_users (api, app, params, TRUE, error);
}

gboolean
cr_action_dismiss_room (CrApi *api, const CrApp *app, JsonObject *params, JsonObject *reply,
                        GError **error)
{
  return room_dismiss (api, app, params, FALSE, error);
}

gboolean
cr_action_dismiss_room_by_str_room_id (CrApi *api, const CrApp *app, JsonObject *params,
                                       JsonObject *reply, GError **error)
{
  return room_dismiss (api, app, params, TRUE, error);
}
