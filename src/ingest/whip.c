/* WHIP (RFC 9725) over the daemon's HTTP server: checks a publish request from the outside in
 * (path, app, room, user, stream, UserSig, content type, offer) so that each refusal names its
 * cause, then hands the offer to the ingest. Non-trickle: PATCH is answered 405, as the RFC
 * allows. Every response but a session's OPTIONS (the publishers' liveness poll) carries
 * Connection: close (a libsoup 3.2 socket leak on idle keep-alive clients). */
#include <string.h>

#include "auth/usersig.h"
#include "ingest/ingest_private.h"

#define WHIP_ALLOW "POST, DELETE, OPTIONS"
#define WHIP_RETRY_AFTER_S "10" /* a stopping daemon: about the time a restart takes */

/* RoomId rules shared with CreateCloudRecording: integer rooms 1..4294967294 in plain decimal;
 * string rooms up to 64 bytes of letters, digits, space and TRTC's punctuation. */
static const char *
whip_room_problem (const char *room, gboolean string_room)
{
  if (!string_room) {
    guint64 v = 0;
    if (room[0] == '0' || !g_ascii_string_to_unsigned (room, 10, 1, 4294967294u, &v, NULL))
      return "an integer room id must be 1..4294967294 in decimal";
    return NULL;
  }
  static const char extra[] = " !#$%&()+-:;<=.>?@[]^_{}|~,";
  gsize len = strlen (room);
  if (len == 0 || len > 64)
    return "a string room id must be 1 to 64 bytes long";
  for (const char *p = room; *p; p++) {
    if (!g_ascii_isalnum (*p) && strchr (extra, *p) == NULL)
      return "a string room id may use letters, digits, space and !#$%&()+-:;<=.>?@[]^_{}|~, only";
  }
  return NULL;
}

static const char *
whip_user_problem (const char *user)
{
  gsize len = strlen (user);
  if (len == 0 || len > 32)
    return "a UserId must be 1 to 32 bytes long";
  for (const char *p = user; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return "a UserId may use letters, digits, '_' and '-' only";
  }
  return NULL;
}

static void
whip_cors (SoupServerMessage *msg)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (h, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace (h, "Access-Control-Allow-Methods", WHIP_ALLOW);
  soup_message_headers_replace (h, "Access-Control-Allow-Headers", "Authorization, Content-Type");
  soup_message_headers_replace (h, "Access-Control-Expose-Headers", "Location");
}

static void
whip_post (CrIngest *ingest, SoupServerMessage *msg, char **seg)
{
  /* seg: {SdkAppId} {room|str-room} {RoomId} {UserId} {main|aux} */
  guint64 app_id = 0;
  if (!g_ascii_string_to_unsigned (seg[0], 10, 1, G_MAXUINT32, &app_id, NULL)) {
    cr_ingest_reply_error (msg, SOUP_STATUS_NOT_FOUND, "\"%s\" is not an SdkAppId", seg[0]);
    return;
  }
  const CrApp *app = cr_apps_find (ingest->config->apps, app_id);
  if (app == NULL) {
    cr_ingest_reply_error (msg, SOUP_STATUS_NOT_FOUND,
                           "SdkAppId %" G_GUINT64_FORMAT " is not an application of this server",
                           app_id);
    return;
  }
  gboolean string_room = strcmp (seg[1], "str-room") == 0;
  if (!string_room && strcmp (seg[1], "room") != 0) {
    cr_ingest_reply_error (msg, SOUP_STATUS_NOT_FOUND,
                           "expected /whip/{SdkAppId}/room|str-room/{RoomId}/{UserId}/main|aux");
    return;
  }
  const char *problem = whip_room_problem (seg[2], string_room);
  if (problem == NULL)
    problem = whip_user_problem (seg[3]);
  CrStreamKind stream = CR_STREAM_MAIN;
  if (problem == NULL && !cr_stream_kind_parse (seg[4], &stream))
    problem = "the stream must be \"main\" or \"aux\"";
  if (problem != NULL) {
    cr_ingest_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", problem);
    return;
  }
  SoupMessageHeaders *in = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (in, "Authorization");
  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0 || auth[7] == '\0') {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Bearer");
    cr_ingest_reply_error (msg, SOUP_STATUS_UNAUTHORIZED,
                           "an \"Authorization: Bearer <UserSig>\" header is required");
    return;
  }
  g_autoptr (GError) error = NULL;
  g_autoptr (CrUserSig) sig = cr_usersig_verify (auth + 7, app_id, seg[3], app->usersig_key,
                                                 g_get_real_time () / G_USEC_PER_SEC, &error);
  if (sig == NULL) {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Bearer error=\"invalid_token\"");
    cr_ingest_reply_error (msg, SOUP_STATUS_UNAUTHORIZED,
                           "the UserSig is not valid for user %s: %s", seg[3], error->message);
    return;
  }
  const char *type = soup_message_headers_get_content_type (in, NULL);
  if (g_strcmp0 (type, "application/sdp") != 0) {
    cr_ingest_reply_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                           "the offer must be sent as Content-Type: application/sdp, not %s",
                           type != NULL ? type : "nothing");
    return;
  }
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  gsize len = 0;
  const char *text = g_bytes_get_data (bytes, &len);
  CrSdpOffer *offer = cr_sdp_offer_parse (text, len, &error);
  if (offer == NULL) {
    cr_ingest_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
    return;
  }
  CrRoomKey key = { app_id, string_room, seg[2] };
  cr_ingest_publish (ingest, msg, &key, seg[3], stream, offer);
}

/* Splits the encoded path after "/whip/" into decoded segments; NULL if a segment is empty, does
 * not decode, or decodes to something with a '/' or a NUL. */
static char **
whip_segments (const char *encoded_path)
{
  g_auto (GStrv) raw = g_strsplit (encoded_path + strlen ("/whip/"), "/", 0);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (char **r = raw; *r != NULL; r++) {
    char *seg = g_uri_unescape_string (*r, "/");
    if (seg == NULL || *seg == '\0' || !g_utf8_validate (seg, -1, NULL)) {
      g_free (seg);
      g_ptr_array_unref (out);
      return NULL;
    }
    g_ptr_array_add (out, seg);
  }
  g_ptr_array_add (out, NULL);
  return (char **)g_ptr_array_free (out, FALSE);
}

static void
whip_handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
             gpointer data)
{
  CrIngest *ingest = data;
  if (soup_server_message_get_status (msg) != 0)
    return; /* refused from the headers (oversized body) */
  const char *method = soup_server_message_get_method (msg);
  whip_cors (msg);
  g_auto (GStrv) seg = whip_segments (g_uri_get_path (soup_server_message_get_uri (msg)));
  guint n = seg != NULL ? g_strv_length (seg) : 0;
  gboolean is_session = n == 2 && strcmp (seg[0], "session") == 0;
  gboolean is_endpoint = n == 5;
  if (!is_session && !is_endpoint) {
    cr_ingest_reply_error (msg, SOUP_STATUS_NOT_FOUND,
                           "no WHIP resource here: publish to "
                           "/whip/{SdkAppId}/room|str-room/{RoomId}/{UserId}/main|aux");
    return;
  }
  SoupMessageHeaders *out = soup_server_message_get_response_headers (msg);
  if (strcmp (method, "OPTIONS") == 0) {
    /* On a session, OPTIONS also tells a client whether the session still exists: WHIP has no
     * channel to say "you were kicked", so `cloudrec publish` asks every few seconds. */
    if (is_session && g_hash_table_lookup (ingest->publishers, seg[1]) == NULL) {
      cr_ingest_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no WHIP session %s (it ended)", seg[1]);
      return;
    }
    soup_message_headers_replace (out, "Allow", is_endpoint ? "POST, OPTIONS" : "DELETE, OPTIONS");
    if (is_endpoint)
      soup_message_headers_replace (out, "Accept-Post", "application/sdp");
    /* The session's liveness poll keeps its connection: libsoup 3.2's server keeps ~0.5 KB for
     * good of every connection it accepts and closes, and a poll every 2 s on a new connection
     * grew the daemon by ~0.8 MB per publisher-hour (docs/reliability.md, Soak). So no
     * Connection: close, and a 200 with an empty body rather than a 204: a 204 carries no
     * Content-Length, and libsoup's client takes such a response as ended by EOF and closes the
     * connection after it. A connection left idle is shut down by the HTTP server's idle timer. */
    if (is_endpoint) {
      soup_message_headers_replace (out, "Connection", "close");
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
    } else {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "", 0);
    }
    return;
  }
  if (is_endpoint && strcmp (method, "POST") == 0 && ingest->stopping) {
    soup_message_headers_replace (out, "Retry-After", WHIP_RETRY_AFTER_S);
    cr_ingest_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                           "the server is stopping; publish again once it has restarted");
    return;
  }
  if (is_endpoint && strcmp (method, "POST") == 0) {
    whip_post (ingest, msg, seg);
    return;
  }
  if (is_session && strcmp (method, "DELETE") == 0) {
    if (!cr_ingest_end (ingest, seg[1], "left")) {
      cr_ingest_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no WHIP session %s (ended already?)",
                             seg[1]);
      return;
    }
    soup_message_headers_replace (out, "Connection", "close");
    soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    return;
  }
  soup_message_headers_replace (out, "Allow", is_endpoint ? "POST, OPTIONS" : "DELETE, OPTIONS");
  if (is_session && strcmp (method, "PATCH") == 0)
    cr_ingest_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                           "trickle ICE and ICE restarts are not supported: send every candidate "
                           "in the offer");
  else
    cr_ingest_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                           "method %s is not allowed on this WHIP resource", method);
}

void
cr_ingest_stop_accepting (CrIngest *ingest)
{
  ingest->stopping = TRUE;
}

void
cr_whip_register (CrIngest *ingest)
{
  cr_http_server_add_handler (ingest->http, "/whip", whip_handle, ingest);
}
