/* The whiteboard's HTTP endpoints; see board_http.h. */
#include "board_http.h"

#include <string.h>

#include "auth/usersig.h"
#include "board/board_ops.h"
#include "web-resources.h"

typedef struct {
  CrBoard *board;
  const CrConfig *config;
} BoardHttp;

static void
http_reply_text (SoupServerMessage *msg, guint status, const char *type, char *body)
{
  soup_server_message_set_status (msg, status, NULL);
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (h, "Cache-Control", "no-store");
  soup_server_message_set_response (msg, type, SOUP_MEMORY_TAKE, body, strlen (body));
}

/* A refusal: HTTP @status with {"Code":@code,"Message":...}. */
G_GNUC_PRINTF (4, 5)
static void
http_refuse (SoupServerMessage *msg, guint status, const char *code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_info ("board: %u %s", status, text);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "Message");
  json_builder_add_string_value (b, text);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  http_reply_text (msg, status, "application/json", json_to_string (root, FALSE));
}

static const char *
http_query (GHashTable *query, const char *name)
{
  return query != NULL ? g_hash_table_lookup (query, name) : NULL;
}

/* The board and user of a /board/ws or /board/log request, its UserSig checked; FALSE after
 * answering the refusal. */
static gboolean
http_authorize (BoardHttp *h, SoupServerMessage *msg, GHashTable *query, guint64 *app_id,
                const char **room, const char **user)
{
  const char *app_text = http_query (query, "sdkappid");
  const CrApp *app = NULL;
  if (app_text == NULL
      || !g_ascii_string_to_unsigned (app_text, 10, 1, G_MAXUINT32, app_id, NULL)) {
    http_refuse (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                 "sdkappid must be an SdkAppId (a positive integer)");
    return FALSE;
  }
  app = cr_apps_find (h->config->apps, *app_id);
  if (app == NULL) {
    http_refuse (msg, SOUP_STATUS_FORBIDDEN, "AuthFailure",
                 "SdkAppId %" G_GUINT64_FORMAT " is not an application of this server", *app_id);
    return FALSE;
  }
  *room = http_query (query, "room");
  *user = http_query (query, "userid");
  const char *problem = *room == NULL ? "room is required" : cr_board_room_problem (*room);
  if (problem == NULL)
    problem = *user == NULL ? "userid is required" : cr_board_user_problem (*user);
  if (problem != NULL) {
    http_refuse (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter", "%s", problem);
    return FALSE;
  }
  const char *usersig = http_query (query, "usersig");
  if (usersig == NULL || *usersig == '\0') {
    http_refuse (msg, SOUP_STATUS_UNAUTHORIZED, "AuthFailure",
                 "usersig is required (the UserSig of userid)");
    return FALSE;
  }
  g_autoptr (GError) error = NULL;
  g_autoptr (CrUserSig) sig = cr_usersig_verify (usersig, *app_id, *user, app->usersig_key,
                                                 g_get_real_time () / G_USEC_PER_SEC, &error);
  if (sig == NULL) {
    http_refuse (msg, SOUP_STATUS_FORBIDDEN, "AuthFailure",
                 "the UserSig is not valid for user %s: %s", *user, error->message);
    return FALSE;
  }
  return TRUE;
}

static gboolean
http_int_param (GHashTable *query, const char *name, gint64 min, gint64 *out)
{
  const char *text = http_query (query, name);
  if (text == NULL)
    return TRUE;
  guint64 v = 0;
  if (!g_ascii_string_to_unsigned (text, 10, (guint64)min, G_MAXINT64, &v, NULL))
    return FALSE;
  *out = (gint64)v;
  return TRUE;
}

static void
http_log (BoardHttp *h, SoupServerMessage *msg, GHashTable *query)
{
  guint64 app = 0;
  const char *room = NULL, *user = NULL;
  if (!http_authorize (h, msg, query, &app, &room, &user))
    return;
  gint64 since = 0, from = -1, to = -1;
  if (!http_int_param (query, "since", 0, &since) || !http_int_param (query, "from", 0, &from)
      || !http_int_param (query, "to", 0, &to)) {
    http_refuse (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                 "since, from and to must be non-negative integers (seq, Unix ms)");
    return;
  }
  g_autoptr (GError) error = NULL;
  char *reply = cr_board_log_reply (h->board, app, room, since, from, to, &error);
  if (reply == NULL) {
    http_refuse (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalError", "%s", error->message);
    return;
  }
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Access-Control-Allow-Origin", "*");
  http_reply_text (msg, SOUP_STATUS_OK, "application/json", reply);
}

static void
http_resource (SoupServerMessage *msg, const char *name, const char *type)
{
  g_autofree char *path = g_strconcat ("/cloudrec/web/", name, NULL);
  g_autoptr (GBytes) data
      = g_resource_lookup_data (web_get_resource (), path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (data == NULL) {
    soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
    return;
  }
  gsize len = 0;
  const char *bytes = g_bytes_get_data (data, &len);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (h, "Cache-Control", "no-cache");
  soup_message_headers_replace (h, "X-Content-Type-Options", "nosniff");
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, bytes, len);
}

static gboolean
http_method_ok (SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);
  if (strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0)
    return TRUE;
  soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                "GET, HEAD");
  return FALSE;
}

/* /board, /board/log, /board/board.js. */
static void
http_handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
             gpointer data)
{
  if (soup_server_message_get_status (msg) != 0 || !http_method_ok (msg))
    return;
  if (strcmp (path, "/board") == 0 || strcmp (path, "/board/") == 0)
    http_resource (msg, "board.html", "text/html; charset=utf-8");
  else if (strcmp (path, "/board/board.js") == 0)
    http_resource (msg, "board.js", "text/javascript; charset=utf-8");
  else if (strcmp (path, "/board/log") == 0)
    http_log (data, msg, query);
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

/* /board/ws before the upgrade: the refusals. Leaving the status unset lets libsoup upgrade (or
 * answer 400 to a request that is not a WebSocket handshake). */
static void
http_handle_ws (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                gpointer data)
{
  if (soup_server_message_get_status (msg) != 0)
    return;
  if (strcmp (path, "/board/ws") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  if (strcmp (soup_server_message_get_method (msg), "GET") != 0) {
    http_refuse (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "InvalidParameter",
                 "/board/ws is a WebSocket (GET with Upgrade: websocket)");
    return;
  }
  BoardHttp *h = data;
  guint64 app = 0;
  const char *room = NULL, *user = NULL;
  gint64 since = 0;
  if (!http_authorize (h, msg, query, &app, &room, &user))
    return;
  if (!http_int_param (query, "since", 0, &since)) {
    http_refuse (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                 "since must be a non-negative integer (the last seq the page applied)");
    return;
  }
  if (!cr_board_has_room (h->board, app, room)) {
    http_refuse (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "LimitExceeded",
                 "the board has %" G_GINT64_FORMAT " pages connected, the most it takes "
                 "(board-max-connections)",
                 h->config->board_max_connections);
    return;
  }
}

static void
http_on_websocket (SoupServer *soup, SoupServerMessage *msg, const char *path,
                   SoupWebsocketConnection *ws, gpointer data)
{
  /* The query was checked by http_handle_ws just before; read it again from the URI. */
  GUri *uri = soup_server_message_get_uri (msg);
  const char *raw = g_uri_get_query (uri);
  BoardHttp *h = data;
  g_autoptr (GHashTable) query = raw != NULL ? soup_form_decode (raw) : NULL;
  const char *app_text = http_query (query, "sdkappid");
  const char *room = http_query (query, "room");
  const char *user = http_query (query, "userid");
  guint64 app = 0;
  if (app_text == NULL || room == NULL || user == NULL
      || !g_ascii_string_to_unsigned (app_text, 10, 1, G_MAXUINT32, &app, NULL)) {
    soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, NULL);
    return;
  }
  gint64 since = 0;
  http_int_param (query, "since", 0, &since); /* a page reconnecting: what it has not applied */
  cr_board_join (h->board, app, room, user, since, ws);
}

struct _CrBoardHttp {
  BoardHttp h;
  CrHttpServer *http;
};

CrBoardHttp *
cr_board_http_new (CrHttpServer *http, CrBoard *board, const CrConfig *config)
{
  CrBoardHttp *self = g_new0 (CrBoardHttp, 1);
  self->h.board = board;
  self->h.config = config;
  self->http = http;
  cr_http_server_add_handler (http, "/board", http_handle, &self->h);
  cr_http_server_add_handler (http, "/board/ws", http_handle_ws, &self->h);
  cr_http_server_add_websocket_handler (http, "/board/ws", http_on_websocket, &self->h);
  return self;
}

void
cr_board_http_free (CrBoardHttp *self)
{
  if (self == NULL)
    return;
  cr_http_server_remove_handler (self->http, "/board/ws");
  cr_http_server_remove_handler (self->http, "/board");
  g_free (self);
}
