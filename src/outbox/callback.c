/* Callback bodies and signatures; see callback.h. */
#include "callback.h"

#include <string.h>

#include "auth/crypto_util.h"
#include "common/json_util.h"
#include "task/codes.h"

char *
cr_callback_sign (const char *key, const char *body, gsize len)
{
  guchar mac[32];
  cr_hmac_sha256 ((const guchar *)key, strlen (key), (const guchar *)body, len, mac);
  return g_base64_encode (mac, sizeof mac);
}

char *
cr_callback_body (int event_type, const char *room_id, const char *robot_user_id,
                  const char *task_id, JsonObject *payload, gint64 now_ms)
{
  g_autoptr (JsonObject) info = json_object_new ();
  if (room_id != NULL && *room_id != '\0') /* a web page's task has no room (nor robot) */
    json_object_set_string_member (info, "RoomId", room_id);
  json_object_set_int_member (info, "EventTs", now_ms / 1000);
  json_object_set_int_member (info, "EventMsTs", now_ms);
  if (robot_user_id != NULL && *robot_user_id != '\0')
    json_object_set_string_member (info, "UserId", robot_user_id);
  json_object_set_string_member (info, "TaskId", task_id);
  json_object_set_object_member (info, "Payload", payload != NULL ? payload : json_object_new ());
  g_autoptr (JsonObject) root = json_object_new ();
  json_object_set_int_member (root, "EventGroupId", CR_CALLBACK_GROUP_RECORDING);
  json_object_set_int_member (root, "EventType", event_type);
  json_object_set_int_member (root, "CallbackTs", now_ms);
  json_object_set_object_member (root, "EventInfo", json_object_ref (info));
  return cr_json_object_to_string (root);
}

char *
cr_callback_body_of (const CrEventRecord *e)
{
  JsonObject *payload = cr_json_parse_object (e->payload_json, strlen (e->payload_json), NULL);
  if (CR_EVENT_POSTS_BODY (e->event_type)) {
    g_autoptr (JsonObject) owned = payload;
    JsonObject *body = cr_json_get_object (owned, "Body");
    return body != NULL ? cr_json_object_to_string (body) : g_strdup ("{}");
  }
  return cr_callback_body (e->event_type, e->room_id, e->user_id, e->task_id, payload,
                           e->created_ms);
}

char *
cr_callback_url_of (const CrEventRecord *e, const char *app_url)
{
  if (e->event_type == CR_EVENT_ONCE_FILES)
    return NULL;
  if (!CR_EVENT_POSTS_BODY (e->event_type))
    return g_strdup (app_url);
  g_autoptr (JsonObject) payload
      = cr_json_parse_object (e->payload_json, strlen (e->payload_json), NULL);
  return g_strdup (cr_json_get_string (payload, "Url"));
}
