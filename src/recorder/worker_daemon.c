/* The worker's side of the daemon's internal API: calls with the token, callback events for the
 * daemon to sign and deliver, the robot's membership of the room with the room's events (a
 * kicked robot or a dismissed room ends the task), the room watch, and the forwards that bring
 * the publishers' RTP. See worker_private.h. */
#include <string.h>

#include "common/json_util.h"
#include "recorder/worker_private.h"
#include "task/codes.h"

/* ---- the daemon's internal API ---- */

JsonObject *
worker_call (Worker *w, const char *method, const char *path, const char *body, guint *status)
{
  g_autofree char *url = g_strconcat (w->o->server, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  if (msg == NULL)
    return NULL;
  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Cloudrec-Token",
                                w->token);
  if (body != NULL) {
    g_autoptr (GBytes) b = g_bytes_new (body, strlen (body));
    soup_message_set_request_body_from_bytes (msg, "application/json", b);
  }
  g_autoptr (GBytes) reply = soup_session_send_and_read (w->http, msg, NULL, NULL);
  *status = soup_message_get_status (msg);
  if (reply == NULL)
    return NULL;
  gsize len = 0;
  const char *text = g_bytes_get_data (reply, &len);
  return len > 0 && text[0] == '{' ? cr_json_parse_object (text, len, NULL) : NULL;
}

/* A callback event for the daemon to sign and deliver (301 start, 302 stop, 304 file info, 307
 * first segment). Takes @payload. */
void
worker_emit (Worker *w, CrEventType event_type, JsonObject *payload)
{
  g_autoptr (JsonObject) req = json_object_new ();
  json_object_set_int_member (req, "SdkAppId", (gint64)w->task->sdk_app_id);
  json_object_set_string_member (req, "TaskId", w->task->task_id);
  json_object_set_int_member (req, "EventType", event_type);
  json_object_set_object_member (req, "Payload", payload);
  g_autofree char *body = cr_json_object_to_string (req);
  guint status = 0;
  JsonObject *reply = worker_call (w, "POST", "/internal/callbacks", body, &status);
  if (reply != NULL)
    json_object_unref (reply);
  if (status != 202)
    g_warning ("task %s: callback %d not queued (HTTP %u)", w->task->task_id, event_type, status);
}

/* ---- the robot in the room ---- */

/* "/internal/rooms/{app}/{room|str-room}/{room}" followed by @suffix. */
static char *
worker_room_path (Worker *w, const char *suffix)
{
  g_autofree char *room = g_uri_escape_string (w->spec->room_id, NULL, FALSE);
  return g_strdup_printf ("/internal/rooms/%" G_GUINT64_FORMAT "/%s/%s%s", w->spec->sdk_app_id,
                          w->spec->string_room ? "str-room" : "room", room, suffix);
}

/* The robot joins the room as a member (it follows the room's events from here on). FALSE when
 * the task must end: someone publishes with the robot's UserId (LeaveCode 101). */
gboolean
worker_join_room (Worker *w)
{
  g_autofree char *user = g_uri_escape_string (w->task->user_id, NULL, FALSE);
  g_autofree char *suffix = g_strconcat ("/members/", user, "?task=", w->task->task_id, NULL);
  g_autofree char *path = worker_room_path (w, suffix);
  guint status = 0;
  g_autoptr (JsonObject) reply = worker_call (w, "PUT", path, NULL, &status);
  gint64 seq = 0;
  if (status == 409) {
    g_info ("task %s: user %s publishes in the room; the robot leaves", w->task->task_id,
            w->task->user_id);
    w->leave_code = CR_LEAVE_ROBOT_COLLISION;
    return FALSE;
  }
  if (status == 200 && cr_json_get_int (reply, "LastSeq", &seq)) {
    w->joined = TRUE;
    w->room_seq = (guint64)seq;
  }
  return TRUE;
}

void
worker_leave_room (Worker *w)
{
  if (!w->joined)
    return;
  g_autofree char *user = g_uri_escape_string (w->task->user_id, NULL, FALSE);
  g_autofree char *suffix = g_strconcat ("/members/", user, "?task=", w->task->task_id, NULL);
  g_autofree char *path = worker_room_path (w, suffix);
  guint status = 0;
  JsonObject *reply = worker_call (w, "DELETE", path, NULL, &status);
  if (reply != NULL)
    json_object_unref (reply);
  w->joined = FALSE;
}

/* The room's events since the last poll: the robot kicked (LeaveCode 1, or 3 by the server) or
 * the room dismissed (2, or 4 by the server) or destroyed for idleness (100) ends the task. A
 * registry that went back in time is a restarted daemon: join again. */
void
worker_follow_events (Worker *w, JsonObject *state)
{
  gint64 last = 0;
  if (!cr_json_get_int (state, "LastSeq", &last))
    return;
  if ((guint64)last < w->room_seq) {
    w->joined = FALSE;
    w->room_seq = 0;
    return;
  }
  JsonArray *events = cr_json_get_array (state, "Events");
  for (guint i = 0; events != NULL && i < json_array_get_length (events); i++) {
    JsonObject *ev = json_array_get_object_element (events, i);
    const char *type = cr_json_get_string (ev, "Type");
    gboolean server = g_strcmp0 (cr_json_get_string (ev, "Origin"), "server") == 0;
    if (w->leave_code >= 0)
      break; /* the first reason stands */
    if (g_strcmp0 (type, "dismiss") == 0)
      w->leave_code = server ? CR_LEAVE_SERVER_DISMISSED : CR_LEAVE_DISMISSED;
    else if (g_strcmp0 (type, "destroy") == 0)
      w->leave_code = CR_LEAVE_ROOM_TIMEOUT;
    else if (g_strcmp0 (type, "kick") == 0
             && g_strcmp0 (cr_json_get_string (ev, "UserId"), w->task->user_id) == 0)
      w->leave_code = server ? CR_LEAVE_SERVER_KICKED : CR_LEAVE_KICKED;
  }
  w->room_seq = (guint64)last;
  if (w->leave_code >= 0) {
    g_info ("task %s: the robot %s (LeaveCode %d)", w->task->task_id,
            w->leave_code == CR_LEAVE_KICKED || w->leave_code == CR_LEAVE_SERVER_KICKED
                ? "was kicked"
            : w->leave_code == CR_LEAVE_ROOM_TIMEOUT ? "left a room destroyed for idleness"
                                                     : "left a dismissed room",
            w->leave_code);
    w->joined = FALSE; /* out of the room already */
  }
}

/* ---- the room watch ---- */

typedef struct {
  Worker *w;
  SoupMessage *msg;
  void (*done) (Worker *w, JsonObject *state);
} Watch;

static void
worker_on_watch (GObject *source, GAsyncResult *res, gpointer data)
{
  Watch *watch = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) reply = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_object_unref (watch->msg);
    g_free (watch);
    return; /* the worker is ending: @w may be gone */
  }
  Worker *w = watch->w;
  g_clear_object (&w->watch);
  gsize len = 0;
  const char *text = reply != NULL ? g_bytes_get_data (reply, &len) : NULL;
  g_autoptr (JsonObject) state = soup_message_get_status (watch->msg) == SOUP_STATUS_OK && len > 0
                                     ? cr_json_parse_object (text, len, NULL)
                                     : NULL;
  g_object_unref (watch->msg);
  void (*done) (Worker *, JsonObject *) = watch->done;
  g_free (watch);
  done (w, state); /* NULL: the daemon is busy or restarting */
}

/* Asks the daemon for the room's state and events after the last one seen, answered as soon as
 * something happens or after @wait_ms; @done gets the answer (NULL when there was none). One
 * watch at a time; a running one is not restarted. */
void
worker_watch_room (Worker *w, guint wait_ms, void (*done) (Worker *w, JsonObject *state))
{
  if (w->watch != NULL)
    return;
  g_autofree char *query = g_strdup_printf ("?after=%" G_GUINT64_FORMAT "&wait=%u", w->room_seq,
                                            wait_ms);
  g_autofree char *path = worker_room_path (w, query);
  g_autofree char *url = g_strconcat (w->o->server, path, NULL);
  SoupMessage *msg = soup_message_new ("GET", url);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Cloudrec-Token",
                                w->token);
  Watch *watch = g_new0 (Watch, 1);
  watch->w = w;
  watch->msg = msg;
  watch->done = done;
  w->watch = g_cancellable_new ();
  soup_session_send_and_read_async (w->watch_http, msg, G_PRIORITY_DEFAULT, w->watch, worker_on_watch,
                                    watch);
}

/* ---- forwards ---- */

/* @method on /internal/forwards/<id><suffix>; the reply does not matter. */
static void
worker_forward_call (Worker *w, const char *method, const char *forward_id, const char *suffix)
{
  g_autofree char *path = g_strdup_printf ("/internal/forwards/%s%s", forward_id, suffix);
  guint status = 0;
  JsonObject *reply = worker_call (w, method, path, NULL, &status);
  if (reply != NULL)
    json_object_unref (reply);
}

/* Asks the publisher of a video forward for a keyframe (PLI/FIR through the ingest). */
void
worker_ask_keyframe (Worker *w, const char *forward_id)
{
  worker_forward_call (w, "POST", forward_id, "/keyframe");
}

void
worker_unforward (Worker *w, const char *forward_id)
{
  worker_forward_call (w, "DELETE", forward_id, "");
}

/* Asks the ingest to send medium @video of the user's stream to the loopback @port; the forward's
 * id, or NULL. The forward belongs to the task: the daemon ends it with the task's worker. */
char *
worker_forward (Worker *w, const char *user_id, gboolean aux, gboolean video, guint16 port)
{
  g_autoptr (JsonObject) req = json_object_new ();
  json_object_set_int_member (req, "SdkAppId", (gint64)w->spec->sdk_app_id);
  json_object_set_boolean_member (req, "StrRoom", w->spec->string_room);
  json_object_set_string_member (req, "RoomId", w->spec->room_id);
  json_object_set_string_member (req, "UserId", user_id);
  json_object_set_string_member (req, "Stream", aux ? "aux" : "main");
  json_object_set_string_member (req, "Media", video ? "video" : "audio");
  json_object_set_int_member (req, "RtpPort", port);
  json_object_set_int_member (req, "RtcpPort", 0);
  json_object_set_string_member (req, "TaskId", w->task->task_id);
  g_autofree char *body = cr_json_object_to_string (req);
  guint status = 0;
  g_autoptr (JsonObject) reply = worker_call (w, "POST", "/internal/forwards", body, &status);
  const char *forward = cr_json_get_string (reply, "ForwardId");
  if (status != 201 || forward == NULL) {
    g_info ("task %s: %s/%s %s not forwarded yet (HTTP %u)", w->task->task_id, user_id,
            aux ? "aux" : "main", video ? "video" : "audio", status);
    return NULL;
  }
  return g_strdup (forward);
}
