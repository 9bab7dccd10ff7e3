/* libsoup glue for the control API; http_server.h explains the limits enforced here. */
#include "http_server.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "common/api_error.h"

struct CrHttpServer {
  SoupServer *soup;
  CrApi *api;
  const CrConfig *config;
  guint16 port;
  gboolean https;
  GHashTable *refusals; /* path -> Refusal: a handler's own oversized-body answer */
  SoupServerCallback browser_page; /* GET / from a browser; NULL: none */
  gpointer browser_page_data;
};

typedef struct {
  guint status;
  char *content_type;
  char *body;
} Refusal;

static void
refusal_free (Refusal *r)
{
  g_free (r->content_type);
  g_free (r->body);
  g_free (r);
}

/* GLib's TLS backend loads a key that does not belong to the certificate and fails every
 * handshake later: compare them now. */
static gboolean
http_key_matches (const char *cert_path, const char *key_path, GError **error)
{
  FILE *cf = fopen (cert_path, "r"), *kf = fopen (key_path, "r");
  X509 *cert = cf != NULL ? PEM_read_X509 (cf, NULL, NULL, NULL) : NULL;
  EVP_PKEY *key = kf != NULL ? PEM_read_PrivateKey (kf, NULL, NULL, NULL) : NULL;
  gboolean ok = cert != NULL && key != NULL && X509_check_private_key (cert, key) == 1;
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "the private key does not belong to the certificate");
  X509_free (cert);
  EVP_PKEY_free (key);
  if (cf != NULL)
    fclose (cf);
  if (kf != NULL)
    fclose (kf);
  return ok;
}

/* tls-cert and tls-key: both or neither; loaded (and checked to match) now, so a wrong file
 * stops the start with its name rather than failing each handshake. */
static GTlsCertificate *
http_load_tls (const CrConfig *config, GError **error)
{
  gboolean cert = *config->tls_cert != '\0', key = *config->tls_key != '\0';
  if (cert != key) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "tls-cert and tls-key go together: %s is set, %s is not",
                 cert ? "tls-cert" : "tls-key", cert ? "tls-key" : "tls-cert");
    return NULL;
  }
  g_autoptr (GError) local = NULL;
  GTlsCertificate *c = g_tls_certificate_new_from_files (config->tls_cert, config->tls_key, &local);
  if (c == NULL || !http_key_matches (config->tls_cert, config->tls_key, &local)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "tls-cert %s / tls-key %s: %s",
                 config->tls_cert, config->tls_key, local->message);
    g_clear_object (&c);
  }
  return c;
}

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
  const Refusal *own = g_hash_table_lookup (server->refusals, path);
  g_autofree char *text
      = api ? http_size_error (server->config)
        : own != NULL
            ? g_strdup (own->body)
            : g_strdup_printf ("the request body is larger than %" G_GINT64_FORMAT " bytes\n",
                               server->config->api_max_body);
  g_autofree char *status
      = api           ? g_strdup ("200 OK")
        : own != NULL ? g_strdup_printf ("%u %s", own->status, soup_status_get_phrase (own->status))
                      : g_strdup ("413 Payload Too Large");
  g_autofree char *reply = g_strdup_printf (
      "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
      status,
      api           ? "application/json"
      : own != NULL ? own->content_type
                    : "text/plain; charset=utf-8",
      strlen (text), text);
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
  if (sock == NULL)
    return;
  /* The link's Unix socket too: libsoup's server does not notice a client closing an idle
   * keep-alive connection, so one a worker dropped would hold its fd for the daemon's life. A
   * worker whose connection is shut down after IDLE_S reconnects on its next call. */
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
  g_autoptr (GTlsCertificate) tls = NULL;
  if (*config->tls_cert != '\0' || *config->tls_key != '\0') {
    tls = http_load_tls (config, error);
    if (tls == NULL) {
      g_free (server);
      return NULL;
    }
  }
  server->https = tls != NULL;
  server->soup = soup_server_new ("server-header", "cloudrec/" CLOUDREC_VERSION, "tls-certificate",
                                  tls, NULL);
  server->refusals
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)refusal_free);
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
      || !soup_server_listen_socket (server->soup, sock,
                                     server->https ? SOUP_SERVER_LISTEN_HTTPS : 0, error))
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

gboolean
cr_http_server_is_https (CrHttpServer *server)
{
  return server->https;
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

void
cr_http_server_add_handler_refusing (CrHttpServer *server, const char *path,
                                     SoupServerCallback callback, gpointer user_data, guint status,
                                     const char *content_type, const char *body)
{
  Refusal *r = g_new0 (Refusal, 1);
  r->status = status;
  r->content_type = g_strdup (content_type);
  r->body = g_strdup (body);
  g_hash_table_replace (server->refusals, g_strdup (path), r);
  cr_http_server_add_handler (server, path, callback, user_data);
}

gboolean
cr_http_server_listen_socket (CrHttpServer *server, GSocket *sock, GError **error)
{
  return soup_server_listen_socket (server->soup, sock, 0, error);
}

void
cr_http_server_add_websocket_handler (CrHttpServer *server, const char *path,
                                      SoupServerWebsocketCallback callback, gpointer user_data)
{
  soup_server_add_websocket_handler (server->soup, path, NULL, NULL, callback, user_data, NULL);
}

void
cr_http_server_remove_handler (CrHttpServer *server, const char *path)
{
  soup_server_remove_handler (server->soup, path);
  g_hash_table_remove (server->refusals, path);
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
  g_hash_table_unref (server->refusals);
  g_free (server);
}
