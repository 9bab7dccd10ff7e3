/* The worker's side of the daemon-worker link (link.h): calls, callback events for the
 * daemon to sign and deliver, the robot's membership of the room with the room's events (a
 * kicked robot or a dismissed room ends the task), the room watch, and the forwards that bring
 * the publishers' RTP. See worker_private.h. */
#include <string.h>

#include "common/json_util.h"
#include "link/link.h"
#include "link/link_client.h"
#include "recorder/worker_private.h"
#include "task/codes.h"

/* ---- the daemon's internal API ---- */

JsonObject *
worker_call (Worker *w, const char *method, const char *path, const char *body, guint *status)
{
  return cr_link_call (w->http_link, method, path, body, status, NULL);
}

/* A callback event for the daemon to sign and deliver (301 start, 302 stop, 304 file info, 307
 * first segment). Takes @payload. */
void
worker_emit (Worker *w, CrEventType event_type, JsonObject *payload)
{
  g_autoptr (JsonObject) req = json_object_new ();
  json_object_set_int_member (req, CR_LINK_SDK_APP_ID, (gint64)w->task->sdk_app_id);
  json_object_set_string_member (req, CR_LINK_TASK_ID, w->task->task_id);
  json_object_set_int_member (req, CR_LINK_EVENT_TYPE, event_type);
  json_object_set_object_member (req, CR_LINK_PAYLOAD, payload);
  g_autofree char *body = cr_json_object_to_string (req);
  guint status = 0;
  /* A daemon too busy to answer is asked again (twice, 5 s each): delivery is at least once, so
   * the rare event stored whose answer was lost goes out twice rather than never. */
  for (int attempt = 0; attempt < 3 && status == 0; attempt++) {
    JsonObject *reply = worker_call (w, "POST", CR_LINK_PATH_CALLBACKS, body, &status);
    if (reply != NULL)
      json_object_unref (reply);
  }
  if (status != 202)
    g_warning ("task %s: callback %d not queued (HTTP %u)", w->task->task_id, event_type, status);
}

/* ---- the robot in the room ---- */

/* CR_LINK_PATH_ROOMS "/{app}/{room|str-room}/{room}" followed by @suffix. */
static char *
worker_room_path (Worker *w, const char *suffix)
{
  g_autofree char *room = g_uri_escape_string (w->spec->room_id, NULL, FALSE);
  return g_strdup_printf (CR_LINK_PATH_ROOMS "/%" G_GUINT64_FORMAT "/%s/%s%s", w->spec->sdk_app_id,
                          w->spec->string_room ? CR_LINK_SEG_STR_ROOM : CR_LINK_SEG_ROOM, room,
                          suffix);
}

/* The robot joins the room as a member (it follows the room's events from here on). FALSE when
 * the task must end: someone publishes with the robot's UserId (LeaveCode 101). */
gboolean
worker_join_room (Worker *w)
{
  g_autofree char *user = g_uri_escape_string (w->task->user_id, NULL, FALSE);
  g_autofree char *suffix = g_strconcat ("/" CR_LINK_SEG_MEMBERS "/", user, "?" CR_LINK_Q_TASK "=",
                                         w->task->task_id, NULL);
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
  if (status == 200 && cr_json_get_int (reply, CR_LINK_LAST_SEQ, &seq)) {
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
  g_autofree char *suffix = g_strconcat ("/" CR_LINK_SEG_MEMBERS "/", user, "?" CR_LINK_Q_TASK "=",
                                         w->task->task_id, NULL);
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
  if (!cr_json_get_int (state, CR_LINK_LAST_SEQ, &last))
    return;
  if ((guint64)last < w->room_seq) {
    w->joined = FALSE;
    w->room_seq = 0;
    return;
  }
  JsonArray *events = cr_json_get_array (state, CR_LINK_EVENTS);
  for (guint i = 0; events != NULL && i < json_array_get_length (events); i++) {
    JsonObject *ev = json_array_get_object_element (events, i);
    const char *type = cr_json_get_string (ev, CR_LINK_TYPE);
    gboolean server = g_strcmp0 (cr_json_get_string (ev, CR_LINK_ORIGIN), "server") == 0;
    if (w->leave_code >= 0)
      break; /* the first reason stands */
    if (g_strcmp0 (type, "dismiss") == 0)
      w->leave_code = server ? CR_LEAVE_SERVER_DISMISSED : CR_LEAVE_DISMISSED;
    else if (g_strcmp0 (type, "destroy") == 0)
      w->leave_code = CR_LEAVE_ROOM_TIMEOUT;
    else if (g_strcmp0 (type, "kick") == 0
             && g_strcmp0 (cr_json_get_string (ev, CR_LINK_USER_ID), w->task->user_id) == 0)
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

/* ---- the long polls: the room watch and the task watch ---- */

typedef struct {
  Worker *w;
  SoupMessage *msg;
  GCancellable **slot; /* w->watch or w->task_watch: cleared when the answer comes */
  void (*done) (Worker *w, guint status, JsonObject *body);
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
  g_clear_object (watch->slot);
  guint status = reply != NULL ? soup_message_get_status (watch->msg) : 0;
  gsize len = 0;
  const char *text = reply != NULL ? g_bytes_get_data (reply, &len) : NULL;
  g_autoptr (JsonObject) body = len > 0 ? cr_json_parse_object (text, len, NULL) : NULL;
  g_object_unref (watch->msg);
  void (*done) (Worker *, guint, JsonObject *) = watch->done;
  g_free (watch);
  done (w, status, body);
}

/* GET @path on the watch session (its answer may take a while), one at a time per @slot. */
static void
worker_long_poll (Worker *w, const char *path, GCancellable **slot,
                  void (*done) (Worker *w, guint status, JsonObject *body))
{
  SoupMessage *msg = cr_link_message_new ("GET", path, NULL);
  Watch *watch = g_new0 (Watch, 1);
  watch->w = w;
  watch->msg = msg;
  watch->slot = slot;
  watch->done = done;
  *slot = g_cancellable_new ();
  soup_session_send_and_read_async (w->watch_http, msg, G_PRIORITY_DEFAULT, *slot,
                                    worker_on_watch, watch);
}

static void
worker_on_room_watch (Worker *w, guint status, JsonObject *body)
{
  w->room_done (w, status == SOUP_STATUS_OK ? body : NULL);
}

/* Asks the daemon for the room's state and events after the last one seen, answered as soon as
 * something happens or after @wait_ms; @done gets the answer (NULL when there was none). One
 * watch at a time; a running one is not restarted. */
void
worker_watch_room (Worker *w, guint wait_ms, void (*done) (Worker *w, JsonObject *state))
{
  if (w->watch != NULL)
    return;
  g_autofree char *query = g_strdup_printf (
      "?" CR_LINK_Q_AFTER "=%" G_GUINT64_FORMAT "&" CR_LINK_Q_WAIT "=%u", w->room_seq, wait_ms);
  g_autofree char *path = worker_room_path (w, query);
  w->room_done = done;
  worker_long_poll (w, path, &w->watch, worker_on_room_watch);
}

static void
worker_on_task_watch (Worker *w, guint status, JsonObject *body)
{
  w->task_done (w, status != 0);
}

/* Asks the daemon for the task, answered once it has news for revision w->revision (another
 * revision, or an end: link_task_watch.h) or after @wait_ms; @done learns whether an answer came
 * (the task itself is read again by the caller, with the store's errors). One at a time. */
void
worker_watch_task (Worker *w, guint wait_ms, void (*done) (Worker *w, gboolean answered))
{
  if (w->task_watch != NULL)
    return;
  g_autofree char *task = g_uri_escape_string (w->o->task_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf (
      CR_LINK_PATH_TASKS "/%" G_GUINT64_FORMAT "/%s?" CR_LINK_Q_AFTER "=%" G_GINT64_FORMAT
                         "&" CR_LINK_Q_WAIT "=%u",
      w->o->sdk_app_id, task, w->revision, wait_ms);
  w->task_done = done;
  worker_long_poll (w, path, &w->task_watch, worker_on_task_watch);
}

/* ---- forwards ---- */

/* @method on CR_LINK_PATH_FORWARDS/<id><suffix>; the reply does not matter. */
static void
worker_forward_call (Worker *w, const char *method, const char *forward_id, const char *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (forward_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf (CR_LINK_PATH_FORWARDS "/%s%s", escaped, suffix);
  guint status = 0;
  JsonObject *reply = worker_call (w, method, path, NULL, &status);
  if (reply != NULL)
    json_object_unref (reply);
}

/* Asks the publisher of a video forward for a keyframe (PLI/FIR through the ingest). */
void
worker_ask_keyframe (Worker *w, const char *forward_id)
{
  worker_forward_call (w, "POST", forward_id, "/" CR_LINK_SEG_KEYFRAME);
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
  json_object_set_int_member (req, CR_LINK_SDK_APP_ID, (gint64)w->spec->sdk_app_id);
  json_object_set_boolean_member (req, CR_LINK_STR_ROOM, w->spec->string_room);
  json_object_set_string_member (req, CR_LINK_ROOM_ID, w->spec->room_id);
  json_object_set_string_member (req, CR_LINK_USER_ID, user_id);
  json_object_set_string_member (req, CR_LINK_STREAM, aux ? "aux" : "main");
  json_object_set_string_member (req, CR_LINK_MEDIA, video ? "video" : "audio");
  json_object_set_int_member (req, CR_LINK_RTP_PORT, port);
  json_object_set_int_member (req, CR_LINK_RTCP_PORT, 0);
  json_object_set_string_member (req, CR_LINK_TASK_ID, w->task->task_id);
  g_autofree char *body = cr_json_object_to_string (req);
  guint status = 0;
  g_autoptr (JsonObject) reply = worker_call (w, "POST", CR_LINK_PATH_FORWARDS, body, &status);
  const char *forward = cr_json_get_string (reply, CR_LINK_FORWARD_ID);
  if (status != 201 || forward == NULL) {
    g_info ("task %s: %s/%s %s not forwarded yet (HTTP %u)", w->task->task_id, user_id,
            aux ? "aux" : "main", video ? "video" : "audio", status);
    return NULL;
  }
  return g_strdup (forward);
}
