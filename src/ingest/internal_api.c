/* The ingest's face to recorder workers: room state and events, and RTP forwards.
 *
 * Why on the daemon-worker link (link.h): a worker is a separate process (a crash in a recording
 * must not touch the room); these routes are registered on the link server, so they answer on
 * the daemon's Unix socket only and 404 on the public TCP port. Paths and members are link.h's.
 *   GET    /internal/rooms/{SdkAppId}/{room|str-room}/{RoomId}?after=SEQ[&wait=MS]
 *          -> {"Exists","LastSeq","Streams":[...],"Events":[...]}
 *          (and "Members":[{"UserId","TaskId"}]). With wait=MS (at most 30000) the request is held
 *          until the room has an event after SEQ or MS passed: room changes are pushed, not
 *          polled. The message is paused, so the main loop goes on; the registry's change hook
 *          makes the held requests look again.
 *   PUT    /internal/rooms/{SdkAppId}/{room|str-room}/{RoomId}/members/{UserId}?task=TaskId
 *          -> {"LastSeq"} (a recording robot joins without publishing; 409 if that id publishes)
 *   DELETE /internal/rooms/{SdkAppId}/{room|str-room}/{RoomId}/members/{UserId}?task=TaskId
 *   POST   /internal/forwards  {"SdkAppId","StrRoom","RoomId","UserId","Stream","Media",
 *                               "RtpPort","RtcpPort","TaskId"} -> 201 {"ForwardId","Caps","Ssrc"}
 *   GET    /internal/forwards -> {"Forwards":[{"ForwardId","TaskId","UserId","Stream","Media",
 *                               "RtpPort","RtcpPort","Packets"}]} (introspection, for tests)
 *   DELETE /internal/forwards/{ForwardId}
 *   POST   /internal/forwards/{ForwardId}/keyframe -> 202 (asks the publisher for a keyframe) */
#include <string.h>

#include "common/json_util.h"
#include "link/link.h"
#include "link/link_held.h"
#include "ingest/ingest_private.h"

static void
internal_reply_json (SoupServerMessage *msg, guint status, JsonObject *obj)
{
  char *text = cr_json_object_to_string (obj);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, strlen (text));
}

static JsonObject *
event_to_json (const CrRoomEvent *ev)
{
  JsonObject *o = json_object_new ();
  json_object_set_int_member (o, CR_LINK_SEQ, (gint64)ev->seq);
  json_object_set_int_member (o, CR_LINK_TIME, ev->time_ms);
  json_object_set_string_member (o, CR_LINK_TYPE, cr_room_event_type_name (ev->type));
  if (ev->user_id != NULL)
    json_object_set_string_member (o, CR_LINK_USER_ID, ev->user_id);
  if (ev->type == CR_ROOM_EVENT_PUBLISH || ev->type == CR_ROOM_EVENT_UNPUBLISH
      || ev->type == CR_ROOM_EVENT_MEDIA)
    json_object_set_string_member (o, CR_LINK_STREAM, cr_stream_kind_name (ev->stream));
  if (ev->type == CR_ROOM_EVENT_PUBLISH) {
    json_object_set_boolean_member (o, CR_LINK_HAS_AUDIO, ev->has_audio);
    json_object_set_boolean_member (o, CR_LINK_HAS_VIDEO, ev->has_video);
  }
  if (ev->type == CR_ROOM_EVENT_MEDIA) {
    json_object_set_boolean_member (o, CR_LINK_AUDIO_ACTIVE, ev->has_audio);
    json_object_set_boolean_member (o, CR_LINK_VIDEO_ACTIVE, ev->has_video);
  }
  if (ev->reason != NULL)
    json_object_set_string_member (o, CR_LINK_REASON, ev->reason);
  if (ev->type == CR_ROOM_EVENT_KICK || ev->type == CR_ROOM_EVENT_DISMISS
      || ev->type == CR_ROOM_EVENT_DESTROY)
    json_object_set_string_member (o, CR_LINK_ORIGIN, cr_room_origin_name (ev->origin));
  return o;
}

/* RTP bytes received so far on the publisher's tracks. */
static guint64
internal_rx_bytes (CrPublisher *pub)
{
  guint64 total = 0;
  for (int video = 0; video < 2 && pub != NULL && pub->session != NULL; video++) {
    CrForward *fwd = cr_ingest_session_forward (pub->session, video);
    if (fwd != NULL)
      total += cr_forward_bytes (fwd);
  }
  return total;
}

/* The RTP caps of each track that has arrived ("AudioCaps", "VideoCaps"): a worker builds its
 * receiving pipeline from them before it subscribes. */
static void
internal_add_caps (JsonObject *o, CrPublisher *pub)
{
  for (int video = 0; video < 2 && pub != NULL && pub->session != NULL; video++) {
    CrForward *fwd = cr_ingest_session_forward (pub->session, video);
    g_autofree char *caps = fwd != NULL ? cr_forward_caps_string (fwd) : NULL;
    if (caps != NULL)
      json_object_set_string_member (o, video ? CR_LINK_VIDEO_CAPS : CR_LINK_AUDIO_CAPS, caps);
  }
  if (pub != NULL && pub->session != NULL && !cr_ingest_session_forwards_ordered (pub->session))
    json_object_set_boolean_member (o, CR_LINK_UNORDERED, TRUE);
}

/* seg: rooms {SdkAppId} {room|str-room} {RoomId} ...; FALSE (and a 400 reply) if malformed. */
static gboolean
internal_room_key (SoupServerMessage *msg, char **seg, CrRoomKey *key)
{
  guint64 app = 0;
  if (!g_ascii_string_to_unsigned (seg[1], 10, 1, G_MAXUINT32, &app, NULL)
      || (strcmp (seg[2], CR_LINK_SEG_ROOM) != 0 && strcmp (seg[2], CR_LINK_SEG_STR_ROOM) != 0)) {
    cr_ingest_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                           "expected " CR_LINK_PATH_ROOMS "/{SdkAppId}/room|str-room/{RoomId}");
    return FALSE;
  }
  *key = (CrRoomKey){ app, strcmp (seg[2], CR_LINK_SEG_STR_ROOM) == 0, seg[3] };
  return TRUE;
}

/* The room's state and its events after @after. */
static void
internal_room_reply (CrIngest *ingest, SoupServerMessage *msg, const CrRoomKey *key, guint64 after)
{
  guint64 last = 0;
  g_autoptr (GPtrArray) events = cr_room_events_since (ingest->rooms, key, after, &last);
  g_autoptr (GPtrArray) streams = cr_room_list_streams (ingest->rooms, key);
  g_autoptr (JsonObject) reply = json_object_new ();
  json_object_set_boolean_member (reply, CR_LINK_EXISTS, cr_room_exists (ingest->rooms, key));
  json_object_set_int_member (reply, CR_LINK_LAST_SEQ, (gint64)last);
  JsonArray *sa = json_array_new ();
  for (guint i = 0; streams != NULL && i < streams->len; i++) {
    const CrRoomStream *rs = g_ptr_array_index (streams, i);
    JsonObject *o = json_object_new ();
    json_object_set_string_member (o, CR_LINK_USER_ID, rs->user_id);
    json_object_set_string_member (o, CR_LINK_STREAM, cr_stream_kind_name (rs->stream));
    json_object_set_boolean_member (o, CR_LINK_HAS_AUDIO, rs->has_audio);
    json_object_set_boolean_member (o, CR_LINK_HAS_VIDEO, rs->has_video);
    json_object_set_int_member (o, CR_LINK_SINCE, rs->since_ms);
    json_object_set_boolean_member (o, CR_LINK_AUDIO_ACTIVE, rs->audio_active);
    json_object_set_boolean_member (o, CR_LINK_VIDEO_ACTIVE, rs->video_active);
    json_object_set_int_member (o, CR_LINK_RX_BYTES, (gint64)internal_rx_bytes (rs->publisher));
    internal_add_caps (o, rs->publisher);
    json_array_add_object_element (sa, o);
  }
  json_object_set_array_member (reply, CR_LINK_STREAMS, sa);
  g_autoptr (GPtrArray) members = cr_room_list_members (ingest->rooms, key);
  JsonArray *ma = json_array_new ();
  for (guint i = 0; members != NULL && i + 1 < members->len; i += 2) {
    JsonObject *o = json_object_new ();
    json_object_set_string_member (o, CR_LINK_USER_ID, g_ptr_array_index (members, i));
    json_object_set_string_member (o, CR_LINK_TASK_ID, g_ptr_array_index (members, i + 1));
    json_array_add_object_element (ma, o);
  }
  json_object_set_array_member (reply, CR_LINK_MEMBERS, ma);
  JsonArray *ea = json_array_new ();
  for (guint i = 0; events != NULL && i < events->len; i++)
    json_array_add_object_element (ea, event_to_json (g_ptr_array_index (events, i)));
  json_object_set_array_member (reply, CR_LINK_EVENTS, ea);
  internal_reply_json (msg, SOUP_STATUS_OK, reply);
}

/* ---- held requests (?wait=MS) ---- */

#define WAIT_MAX_MS 30000

typedef struct {
  CrIngest *ingest;
  guint64 sdk_app_id;
  gboolean string_room;
  char *room_id;
  guint64 after;
} Waiter;

static CrRoomKey
waiter_key (const Waiter *w)
{
  return (CrRoomKey){ w->sdk_app_id, w->string_room, w->room_id };
}

static gboolean
waiter_has_news (gpointer item, gpointer data)
{
  const Waiter *w = item;
  CrRoomKey key = waiter_key (w);
  g_autoptr (GPtrArray) events = cr_room_events_since (w->ingest->rooms, &key, w->after, NULL);
  return events != NULL && events->len > 0;
}

static void
waiter_free (gpointer item)
{
  Waiter *w = item;
  g_free (w->room_id);
  g_free (w);
}

/* As an unheld request would be answered now. */
static void
waiter_answer (SoupServerMessage *msg, gpointer item, gpointer data)
{
  const Waiter *w = item;
  CrRoomKey key = waiter_key (w);
  internal_room_reply (w->ingest, msg, &key, w->after);
}

static void
waiter_stopping (SoupServerMessage *msg, gpointer item, gpointer data)
{
  cr_ingest_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "the server is stopping");
}

static gboolean
internal_wake_waiters (gpointer data)
{
  CrIngest *ingest = data;
  ingest->wake_id = 0;
  g_atomic_int_set (&ingest->wake_queued, 0);
  cr_link_held_answer_ready (ingest->room_waiters, waiter_has_news, NULL);
  return G_SOURCE_REMOVE;
}

/* The registry's change hook (any thread): look at the held requests from the main loop, once
 * for however many changes came meanwhile. */
static void
internal_on_room_change (gpointer data)
{
  CrIngest *ingest = data;
  if (cr_link_held_count (ingest->room_waiters) > 0
      && g_atomic_int_compare_and_exchange (&ingest->wake_queued, 0, 1))
    ingest->wake_id = g_idle_add_full (G_PRIORITY_DEFAULT, internal_wake_waiters, ingest, NULL);
}

static void
internal_room (CrIngest *ingest, SoupServerMessage *msg, char **seg, GHashTable *query)
{
  guint64 after = 0, wait_ms = 0;
  const char *after_text = query != NULL ? g_hash_table_lookup (query, CR_LINK_Q_AFTER) : NULL;
  const char *wait_text = query != NULL ? g_hash_table_lookup (query, CR_LINK_Q_WAIT) : NULL;
  CrRoomKey key;
  if (!internal_room_key (msg, seg, &key))
    return;
  if (after_text != NULL
      && !g_ascii_string_to_unsigned (after_text, 10, 0, G_MAXUINT64, &after, NULL)) {
    cr_ingest_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "after= takes an event sequence number");
    return;
  }
  if (wait_text != NULL
      && !g_ascii_string_to_unsigned (wait_text, 10, 0, G_MAXUINT64, &wait_ms, NULL)) {
    cr_ingest_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "wait= takes milliseconds");
    return;
  }
  wait_ms = MIN (wait_ms, WAIT_MAX_MS);
  Waiter probe = { .ingest = ingest,
                   .sdk_app_id = key.sdk_app_id,
                   .string_room = key.string_room,
                   .room_id = (char *)key.room_id,
                   .after = after };
  if (wait_ms == 0 || waiter_has_news (&probe, NULL)) {
    internal_room_reply (ingest, msg, &key, after);
    return;
  }
  Waiter *w = g_new0 (Waiter, 1);
  *w = probe;
  w->room_id = g_strdup (key.room_id);
  cr_link_held_add (ingest->room_waiters, msg, (guint)wait_ms, w);
}

/* seg: rooms {SdkAppId} {room|str-room} {RoomId} members {UserId} */
static void
internal_member (CrIngest *ingest, SoupServerMessage *msg, char **seg, GHashTable *query,
                 gboolean join)
{
  CrRoomKey key;
  if (!internal_room_key (msg, seg, &key))
    return;
  const char *task = query != NULL ? g_hash_table_lookup (query, CR_LINK_Q_TASK) : NULL;
  if (task == NULL || task[0] == '\0') {
    cr_ingest_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "a member needs ?task=TaskId");
    return;
  }
  if (!join) {
    cr_room_leave (ingest->rooms, &key, seg[5], task);
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
    return;
  }
  guint64 last = 0;
  g_autoptr (GError) error = NULL;
  if (!cr_room_join (ingest->rooms, &key, seg[5], task, &last, &error)) {
    cr_ingest_reply_error (msg, SOUP_STATUS_CONFLICT, "%s", error->message);
    return;
  }
  g_autoptr (JsonObject) reply = json_object_new ();
  json_object_set_int_member (reply, CR_LINK_LAST_SEQ, (gint64)last);
  internal_reply_json (msg, SOUP_STATUS_OK, reply);
}

/* The publisher of (app, room, user, stream), or NULL. */
static CrPublisher *
internal_find_publisher (CrIngest *ingest, guint64 app, gboolean string_room, const char *room,
                         const char *user, CrStreamKind stream)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, ingest->publishers);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    CrPublisher *p = value;
    if (p->sdk_app_id == app && p->string_room == string_room && p->stream == stream
        && strcmp (p->room_id, room) == 0 && strcmp (p->user_id, user) == 0)
      return p;
  }
  return NULL;
}

static void
internal_forward_add (CrIngest *ingest, SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) req = cr_json_parse_object (data, len, &error);
  gint64 app = 0, rtp = 0, rtcp = 0;
  const char *room = cr_json_get_string (req, CR_LINK_ROOM_ID);
  const char *user = cr_json_get_string (req, CR_LINK_USER_ID);
  const char *stream_name = cr_json_get_string (req, CR_LINK_STREAM);
  const char *media = cr_json_get_string (req, CR_LINK_MEDIA);
  CrStreamKind stream = CR_STREAM_MAIN;
  if (req == NULL || !cr_json_get_int (req, CR_LINK_SDK_APP_ID, &app) || room == NULL
      || user == NULL || !cr_stream_kind_parse (stream_name, &stream)
      || (g_strcmp0 (media, "audio") != 0 && g_strcmp0 (media, "video") != 0)
      || !cr_json_get_int (req, CR_LINK_RTP_PORT, &rtp) || rtp < 1 || rtp > 65535
      || (cr_json_get_int (req, CR_LINK_RTCP_PORT, &rtcp) && (rtcp < 0 || rtcp > 65535))) {
    cr_ingest_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                           "expected {\"SdkAppId\",\"StrRoom\",\"RoomId\",\"UserId\",\"Stream\":"
                           "\"main|aux\",\"Media\":\"audio|video\",\"RtpPort\",\"RtcpPort\"}%s%s",
                           error != NULL ? ": " : "", error != NULL ? error->message : "");
    return;
  }
  gboolean string_room = cr_json_get_bool (req, CR_LINK_STR_ROOM);
  gboolean video = strcmp (media, "video") == 0;
  const char *task_id = cr_json_get_string (req, CR_LINK_TASK_ID); /* the owner, optional */
  CrPublisher *pub
      = internal_find_publisher (ingest, (guint64)app, string_room, room, user, stream);
  CrForward *fwd = pub != NULL && pub->session != NULL
                       ? cr_ingest_session_forward (pub->session, video)
                       : NULL;
  if (fwd == NULL) {
    cr_ingest_reply_error (msg, SOUP_STATUS_NOT_FOUND,
                           "user %s publishes no %s %s in that room (yet)", user, stream_name,
                           media);
    return;
  }
  guint id = cr_forward_add (fwd, (guint16)rtp, (guint16)rtcp, task_id, &error);
  if (id == 0) {
    cr_ingest_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "cannot forward: %s",
                           error->message);
    return;
  }
  g_autofree char *forward_id = g_strdup_printf ("%s-%c-%u", pub->id, video ? 'v' : 'a', id);
  g_autofree char *caps = cr_forward_caps_string (fwd);
  g_autoptr (JsonObject) reply = json_object_new ();
  json_object_set_string_member (reply, CR_LINK_FORWARD_ID, forward_id);
  json_object_set_string_member (reply, CR_LINK_CAPS, caps != NULL ? caps : "");
  json_object_set_int_member (reply, CR_LINK_SSRC, cr_forward_ssrc (fwd));
  g_info ("forward %s: %s %s of user %s to 127.0.0.1:%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
          " for task %s",
          forward_id, stream_name, media, user, rtp, rtcp, task_id != NULL ? task_id : "-");
  internal_reply_json (msg, SOUP_STATUS_CREATED, reply);
}

/* The forward "<publisher>-<a|v>-<n>" and its subscriber number, or NULL. */
static CrForward *
internal_find_forward (CrIngest *ingest, const char *forward_id, guint *subscriber)
{
  g_auto (GStrv) parts = g_strsplit (forward_id, "-", 3);
  guint64 n = 0;
  CrPublisher *pub
      = g_strv_length (parts) == 3 ? g_hash_table_lookup (ingest->publishers, parts[0]) : NULL;
  CrForward *fwd = pub != NULL && pub->session != NULL && (parts[1][0] == 'a' || parts[1][0] == 'v')
                       ? cr_ingest_session_forward (pub->session, parts[1][0] == 'v')
                       : NULL;
  if (fwd == NULL || !g_ascii_string_to_unsigned (parts[2], 10, 1, G_MAXUINT, &n, NULL))
    return NULL;
  *subscriber = (guint)n;
  return fwd;
}

static void
internal_forward_remove (CrIngest *ingest, SoupServerMessage *msg, const char *forward_id)
{
  guint n = 0;
  CrForward *fwd = internal_find_forward (ingest, forward_id, &n);
  if (fwd == NULL || !cr_forward_remove (fwd, n)) {
    cr_ingest_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no forward %s", forward_id);
    return;
  }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

static void
internal_forward_keyframe (CrIngest *ingest, SoupServerMessage *msg, const char *forward_id)
{
  guint n = 0;
  CrForward *fwd = internal_find_forward (ingest, forward_id, &n);
  if (fwd == NULL) {
    cr_ingest_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no forward %s", forward_id);
    return;
  }
  cr_forward_request_keyframe (fwd);
  soup_server_message_set_status (msg, SOUP_STATUS_ACCEPTED, NULL);
}

/* Every forward subscriber now, with its task: what a worker holds, and what is gone. */
static void
internal_forward_list (CrIngest *ingest, SoupServerMessage *msg)
{
  JsonArray *list = json_array_new ();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, ingest->publishers);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    CrPublisher *pub = value;
    for (int video = 0; video < 2 && pub->session != NULL; video++) {
      CrForward *fwd = cr_ingest_session_forward (pub->session, video);
      g_autoptr (GArray) subs = fwd != NULL ? cr_forward_list (fwd) : NULL;
      for (guint i = 0; subs != NULL && i < subs->len; i++) {
        const CrForwardSubscriber *sub = &g_array_index (subs, CrForwardSubscriber, i);
        JsonObject *o = json_object_new ();
        g_autofree char *id = g_strdup_printf ("%s-%c-%u", pub->id, video ? 'v' : 'a', sub->id);
        json_object_set_string_member (o, CR_LINK_FORWARD_ID, id);
        if (sub->task_id != NULL)
          json_object_set_string_member (o, CR_LINK_TASK_ID, sub->task_id);
        json_object_set_string_member (o, CR_LINK_USER_ID, pub->user_id);
        json_object_set_string_member (o, CR_LINK_STREAM, cr_stream_kind_name (pub->stream));
        json_object_set_string_member (o, CR_LINK_MEDIA, video ? "video" : "audio");
        json_object_set_int_member (o, CR_LINK_RTP_PORT, sub->rtp_port);
        json_object_set_int_member (o, CR_LINK_RTCP_PORT, sub->rtcp_port);
        json_object_set_int_member (o, CR_LINK_PACKETS, (gint64)sub->packets);
        json_array_add_object_element (list, o);
      }
    }
  }
  g_autoptr (JsonObject) reply = json_object_new ();
  json_object_set_array_member (reply, CR_LINK_FORWARDS, list);
  internal_reply_json (msg, SOUP_STATUS_OK, reply);
}

static void
internal_handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                 gpointer data)
{
  CrIngest *ingest = data;
  if (soup_server_message_get_status (msg) != 0)
    return;
  const char *method = soup_server_message_get_method (msg);
  g_auto (GStrv) raw = g_strsplit (
      g_uri_get_path (soup_server_message_get_uri (msg)) + strlen (CR_LINK_PATH_ROOT "/"), "/", 0);
  for (char **r = raw; *r != NULL; r++) {
    char *dec = g_uri_unescape_string (*r, "/");
    g_free (*r);
    *r = dec != NULL ? dec : g_strdup ("");
  }
  guint n = g_strv_length (raw);
  gboolean rooms = n >= 4 && strcmp (raw[0], CR_LINK_SEG_ROOMS) == 0;
  gboolean forwards = strcmp (raw[0], CR_LINK_SEG_FORWARDS) == 0;
  gboolean members = rooms && n == 6 && strcmp (raw[4], CR_LINK_SEG_MEMBERS) == 0;
  if (rooms && n == 4 && strcmp (method, "GET") == 0)
    internal_room (ingest, msg, raw, query);
  else if (members && (strcmp (method, "PUT") == 0 || strcmp (method, "DELETE") == 0))
    internal_member (ingest, msg, raw, query, strcmp (method, "PUT") == 0);
  else if (n == 1 && forwards && strcmp (method, "POST") == 0)
    internal_forward_add (ingest, msg);
  else if (n == 1 && forwards && strcmp (method, "GET") == 0)
    internal_forward_list (ingest, msg);
  else if (n == 2 && forwards && strcmp (method, "DELETE") == 0)
    internal_forward_remove (ingest, msg, raw[1]);
  else if (n == 3 && forwards && strcmp (raw[2], CR_LINK_SEG_KEYFRAME) == 0
           && strcmp (method, "POST") == 0)
    internal_forward_keyframe (ingest, msg, raw[1]);
  else
    cr_ingest_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no internal resource %s %s", method, path);
}

void
cr_internal_api_register (CrIngest *ingest)
{
  ingest->room_waiters = cr_link_held_new (waiter_answer, waiter_free, NULL);
  cr_room_registry_set_change_hook (ingest->rooms, internal_on_room_change, ingest);
  cr_link_server_add_handler (ingest->link, CR_LINK_PATH_ROOMS, internal_handle, ingest);
  cr_link_server_add_handler (ingest->link, CR_LINK_PATH_FORWARDS, internal_handle, ingest);
}

void
cr_internal_api_unregister (CrIngest *ingest)
{
  cr_room_registry_set_change_hook (ingest->rooms, NULL, NULL);
  cr_link_server_remove_handler (ingest->link, CR_LINK_PATH_ROOMS);
  cr_link_server_remove_handler (ingest->link, CR_LINK_PATH_FORWARDS);
  if (ingest->wake_id != 0)
    g_source_remove (ingest->wake_id);
  ingest->wake_id = 0;
  cr_link_held_free (g_steal_pointer (&ingest->room_waiters), waiter_stopping);
}
