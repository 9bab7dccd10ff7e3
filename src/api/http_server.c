/* libsoup glue for the control API; http_server.h explains the limits enforced here. */
#include "http_server.h"

#include <string.h>

#include "common/api_error.h"

struct CrHttpServer {
  SoupServer *soup;
  CrApi *api;
  const CrConfig *config;
  guint16 port;
  SoupServerCallback browser_page; /* GET / from a browser; NULL: none */
  gpointer browser_page_data;
};

static const char *
http_header (const char *lower_name, gpointer user_data)
{
  return soup_message_headers_get_one (user_data, lower_name);
}

static void
http_reply_json (SoupServerMessage *msg, char *json, gboolean close)
{
  SoupMessageHeaders *out = soup_server_message_get_response_headers (msg);
  const char *trace = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                    "X-TC-TraceId");
  if (trace != NULL)
    soup_message_headers_replace (out, "X-TC-TraceId", trace);
  if (close)
    soup_message_headers_replace (out, "Connection", "close");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, json, strlen (json));
}

static char *
http_size_error (const CrConfig *config)
{
  g_autofree char *text = g_strdup_printf (
      "the request body is larger than %" G_GINT64_FORMAT " bytes", config->api_max_body);
  return cr_api_error_reply ("RequestSizeLimitExceeded", text);
}

/* An early handler runs once the headers are read, before the body. libsoup would still read a
 * declared body before answering, so an oversized Content-Length takes the connection over:
 * the JSON error is written directly and the connection closed, the body never read. */
static void
http_early_size_check (SoupServer *soup, SoupServerMessage *msg, const char *path,
                       GHashTable *query, gpointer user_data)
{
  CrHttpServer *server = user_data;
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  if (soup_message_headers_get_encoding (h) != SOUP_ENCODING_CONTENT_LENGTH
      || soup_message_headers_get_content_length (h) <= server->config->api_max_body)
    return;
  /* The API answers every error inside an HTTP 200 envelope; other paths (WHIP) use HTTP. */
  gboolean api = strcmp (path, "/") == 0;
  g_autofree char *text
      = api ? http_size_error (server->config)
            : g_strdup_printf ("the request body is larger than %" G_GINT64_FORMAT " bytes\n",
                               server->config->api_max_body);
  g_autofree char *reply = g_strdup_printf (
      "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
      api ? "200 OK" : "413 Payload Too Large",
      api ? "application/json" : "text/plain; charset=utf-8", strlen (text), text);
  g_autoptr (GIOStream) conn = soup_server_message_steal_connection (msg);
  if (conn == NULL)
    return;
  GOutputStream *out = g_io_stream_get_output_stream (conn);
  g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, NULL);
  g_io_stream_close (conn, NULL, NULL);
}

/* A chunked body is counted as it arrives; past the limit the connection is dropped. */
static void
http_got_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  CrHttpServer *server = user_data;
  goffset total = soup_server_message_get_request_body (msg)->length;
  if (total > server->config->api_max_body) {
    g_info ("http: chunked body over %" G_GINT64_FORMAT " bytes; closing the connection",
            server->config->api_max_body);
    GSocket *sock = soup_server_message_get_socket (msg);
    if (sock != NULL)
      g_socket_shutdown (sock, TRUE, TRUE, NULL);
  }
}

/* Idle keep-alive connections. libsoup 3 has no idle timeout of its own, and the GSocket
 * timeout below (a slow sender's bound) left an idle connection open but no longer served once
 * it passed: a client's next request on it hung until the kernel gave up. So between requests a
 * connection has no socket timeout and a timer of its own instead (IDLE_S, longer than clients
 * keep idle sockets: Node's agent drops them after 5 s), armed when a request is done and
 * disarmed when the next one starts; when it fires the socket is shut down, and a client that
 * still held it sees the close at once and reconnects. */
#define IDLE_TIMER_KEY "cloudrec-idle-timer"
#define IDLE_S 60

static gboolean
http_idle_close (gpointer data)
{
  GSocket *sock = data;
  g_object_set_data (G_OBJECT (sock), IDLE_TIMER_KEY, NULL);
  g_socket_shutdown (sock, TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

static void
http_idle_disarm (GSocket *sock)
{
  guint id = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (sock), IDLE_TIMER_KEY));
  if (id != 0) {
    g_object_set_data (G_OBJECT (sock), IDLE_TIMER_KEY, NULL);
    g_source_remove (id);
  }
}

static void
http_request_done (SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
  GSocket *sock = soup_server_message_get_socket (msg);
  if (sock == NULL || g_socket_get_family (sock) == G_SOCKET_FAMILY_UNIX)
    return; /* the link's workers keep their connections */
  http_idle_disarm (sock);
  g_socket_set_timeout (sock, 0);
  guint id = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, IDLE_S, http_idle_close,
                                         g_object_ref (sock), g_object_unref);
  g_object_set_data (G_OBJECT (sock), IDLE_TIMER_KEY, GUINT_TO_POINTER (id));
}

static void
http_request_started (SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
  CrHttpServer *server = user_data;
  GSocket *sock = soup_server_message_get_socket (msg);
  if (sock != NULL) {
    http_idle_disarm (sock);
    g_socket_set_timeout (sock, (guint)server->config->api_timeout);
  }
  g_signal_connect (msg, "got-chunk", G_CALLBACK (http_got_chunk), server);
}

/* A browser opening the address: a GET or HEAD without the API's action header that accepts
 * HTML. The SDKs always send X-TC-Action, so no API call is taken for a page. */
static gboolean
http_is_browser_page (SoupServerMessage *msg, const char *method)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const char *accept = soup_message_headers_get_one (h, "Accept");
  return (strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0)
         && soup_message_headers_get_one (h, "X-TC-Action") == NULL && accept != NULL
         && strstr (accept, "text/html") != NULL;
}

static void
http_handle_api (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                 gpointer user_data)
{
  CrHttpServer *server = user_data;
  if (soup_server_message_get_status (msg) != 0)
    return; /* already answered from the headers (oversized body) */
  const char *method = soup_server_message_get_method (msg);
  if (strcmp (path, "/") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  if (server->browser_page != NULL && http_is_browser_page (msg, method)) {
    server->browser_page (soup, msg, path, query, server->browser_page_data);
    return;
  }
  if (strcmp (method, "POST") != 0 && strcmp (method, "GET") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                  "GET, POST");
    return;
  }
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  if (body->length > server->config->api_max_body) {
    http_reply_json (msg, http_size_error (server->config), TRUE);
    return;
  }
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  gsize len = 0;
  const guchar *data = g_bytes_get_data (bytes, &len);
  const char *raw_query = g_uri_get_query (soup_server_message_get_uri (msg));
  CrApiRequest req = {
    .method = method,
    .raw_query = strcmp (method, "GET") == 0 && raw_query != NULL ? raw_query : "",
    .body = data,
    .body_len = len,
    .header = http_header,
    .header_data = soup_server_message_get_request_headers (msg),
  };
  http_reply_json (msg, cr_api_handle (server->api, &req), FALSE);
}

CrHttpServer *
cr_http_server_new (CrApi *api, const CrConfig *config, const char *listen, GError **error)
{
  g_autoptr (GSocketConnectable) addr = g_network_address_parse (listen, 8080, error);
  if (addr == NULL)
    return NULL;
  const char *host = g_network_address_get_hostname (G_NETWORK_ADDRESS (addr));
  guint16 port = g_network_address_get_port (G_NETWORK_ADDRESS (addr));
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (host);
  if (inet == NULL && g_strcmp0 (host, "localhost") == 0)
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  if (inet == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "listen address \"%s\" must be a numeric IP address and port", listen);
    return NULL;
  }
  g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (inet, port);

  CrHttpServer *server = g_new0 (CrHttpServer, 1);
  server->api = api;
  server->config = config;
  server->soup = soup_server_new ("server-header", "cloudrec/" CLOUDREC_VERSION, NULL);
  g_signal_connect (server->soup, "request-started", G_CALLBACK (http_request_started), server);
  g_signal_connect (server->soup, "request-finished", G_CALLBACK (http_request_done), server);
  soup_server_add_early_handler (server->soup, "/", http_early_size_check, server, NULL);
  soup_server_add_handler (server->soup, "/", http_handle_api, server, NULL);
  /* Our own socket, for a listen backlog that absorbs bursts: with the default of 10 a burst of
   * new connections loses SYNs and waits a second for the retransmission. */
  g_autoptr (GSocket) sock = g_socket_new (g_socket_address_get_family (sa), G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, error);
  if (sock == NULL)
    goto fail;
  g_socket_set_listen_backlog (sock, 1024);
  if (!g_socket_bind (sock, sa, TRUE, error) || !g_socket_listen (sock, error)
      || !soup_server_listen_socket (server->soup, sock, 0, error))
    goto fail;
  GSList *uris = soup_server_get_uris (server->soup);
  server->port = uris != NULL ? (guint16)g_uri_get_port (uris->data) : port;
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  return server;
fail:
  cr_http_server_free (server);
  return NULL;
}

guint16
cr_http_server_port (CrHttpServer *server)
{
  return server->port;
}

void
cr_http_server_add_handler (CrHttpServer *server, const char *path, SoupServerCallback callback,
                            gpointer user_data)
{
  /* libsoup runs only the early handler registered for the most specific path, so each path
   * gets its own guard. */
  soup_server_add_early_handler (server->soup, path, http_early_size_check, server, NULL);
  soup_server_add_handler (server->soup, path, callback, user_data, NULL);
}

gboolean
cr_http_server_listen_socket (CrHttpServer *server, GSocket *sock, GError **error)
{
  return soup_server_listen_socket (server->soup, sock, 0, error);
}

void
cr_http_server_remove_handler (CrHttpServer *server, const char *path)
{
  soup_server_remove_handler (server->soup, path);
}

void
cr_http_server_set_browser_page (CrHttpServer *server, SoupServerCallback callback,
                                 gpointer user_data)
{
  server->browser_page = callback;
  server->browser_page_data = user_data;
}

void
cr_http_server_free (CrHttpServer *server)
{
  if (server == NULL)
    return;
  soup_server_disconnect (server->soup);
  g_object_unref (server->soup);
  g_free (server);
}
