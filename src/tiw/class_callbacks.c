/* The whiteboard service's callbacks of a class task (OnlineRecordStarted / Stopped / Finished):
 * their body, signed with the app's SetOnlineRecordCallbackKey, queued in the durable outbox
 * (events 392-394) under the span's first TRTC task, which keeps them in order and retries them. */
#include <string.h>

#include "common/json_util.h"
#include "tiw/class_private.h"

#define EXPIRE_S 86400 /* a callback's ExpireTime after its Timestamp */

JsonObject *
cr_class_callback_body (guint64 sdk_app_id, const char *type, JsonObject *data, const char *key,
                        gint64 now_s)
{
  JsonObject *body = json_object_new ();
  json_object_set_object_member (body, "EventData", data);
  json_object_set_string_member (body, "EventType", type);
  gint64 expire = now_s + EXPIRE_S;
  json_object_set_int_member (body, "ExpireTime", expire);
  json_object_set_int_member (body, "SdkAppId", (gint64)sdk_app_id);
  g_autofree char *sign = NULL;
  if (key != NULL && *key != '\0') {
    g_autofree char *text = g_strdup_printf ("%s%" G_GINT64_FORMAT, key, expire);
    sign = g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
  }
  json_object_set_string_member (body, "Sign", sign != NULL ? sign : "");
  json_object_set_int_member (body, "Timestamp", now_s);
  return body;
}

/* Queues event @type (392-394, named @name) of class @r with @data (taken), under the first
 * TRTC task of its last span (the outbox keeps events per TRTC task). */
void
cr_class_rec_emit (CrClassRecorder *rec, JsonObject *r, int type, const char *name,
                   JsonObject *data)
{
  g_autoptr (JsonObject) owned = data;
  JsonObject *span = cr_class_rec_last_span (r);
  JsonArray *tasks = cr_json_get_array (span, "Tasks");
  JsonObject *first = tasks != NULL && json_array_get_length (tasks) > 0
                          ? json_array_get_object_element (tasks, 0)
                          : NULL;
  const char *trtc_task = cr_json_get_string (first, "TaskId");
  if (rec->callbacks == NULL || trtc_task == NULL)
    return;
  guint64 app = (guint64)cr_json_get_int_or (r, "SdkAppId", 0);
  g_autofree char *url = NULL, *key = NULL;
  g_autoptr (GError) error = NULL;
  if (!cr_class_store_get_callback (rec->store, app, &url, &key, &error)) {
    g_warning ("class task %s: no %s callback: %s", cr_json_get_string (r, "TaskId"), name,
               error->message);
    return;
  }
  JsonObject *payload = json_object_new ();
  json_object_set_string_member (payload, "Url", url);
  json_object_set_object_member (payload, "Body",
                                 cr_class_callback_body (app, name, g_steal_pointer (&owned), key,
                                                         rec->api->now_ms () / 1000));
  cr_callback_sender_emit (rec->callbacks, app, trtc_task, type, payload);
}

JsonObject *
cr_class_rec_event_data (JsonObject *r)
{
  JsonObject *d = json_object_new ();
  json_object_set_string_member (d, "TaskId", cr_json_get_string (r, "TaskId"));
  json_object_set_int_member (d, "RoomId",
                              cr_json_get_int_or (cr_class_rec_request (r), "RoomId", 0));
  json_object_set_string_member (d, "RecordUserId", cr_json_get_string (r, "RecordUserId"));
  return d;
}
