/* The HTTP front of the daemon (libsoup-3): moves bytes between sockets and cr_api_handle().
 *
 * Why the size and time limits live here: an oversized body is refused from its Content-Length
 * before it is read, and a client that dribbles bytes is cut off by a socket timeout, so neither
 * can hold memory or a connection hostage. Everything the API decides is in api.c. */
#pragma once

#include <libsoup/soup.h>

#include "api/api.h"

G_BEGIN_DECLS

typedef struct CrHttpServer CrHttpServer;

/* Listens on @listen ("HOST:PORT"; port 0 picks a free one) and serves @api at "/". */
CrHttpServer *cr_http_server_new (CrApi *api, const CrConfig *config, const char *listen,
                                  GError **error);
/* The port actually bound. */
guint16 cr_http_server_port (CrHttpServer *server);
/* Serves @path (and below) with @callback, behind the same body-size guard as the API: an
 * oversized Content-Length is refused (413) before the body is read. For WHIP, pages, ... */
/* TRUE when the listen port speaks HTTPS (tls-cert). The link's Unix socket never does. */
gboolean cr_http_server_is_https (CrHttpServer *server);
void cr_http_server_add_handler (CrHttpServer *server, const char *path,
                                 SoupServerCallback callback, gpointer user_data);
/* The same, with the oversized body's refusal in @path's own format: HTTP @status, @content_type
 * and @body (copied) instead of 413 text (the one-call endpoint answers 400 JSON). */
void cr_http_server_add_handler_refusing (CrHttpServer *server, const char *path,
                                          SoupServerCallback callback, gpointer user_data,
                                          guint status, const char *content_type, const char *body);
void cr_http_server_remove_handler (CrHttpServer *server, const char *path);
/* Upgrades a WebSocket request to @path to a connection handed to @callback. A handler added with
 * cr_http_server_add_handler for the same path runs first: if it sets a status (a refusal), no
 * upgrade happens. For the whiteboard (board/board_http.c). */
void cr_http_server_add_websocket_handler (CrHttpServer *server, const char *path,
                                           SoupServerWebsocketCallback callback,
                                           gpointer user_data);
/* Serves a browser's GET or HEAD of "/" (no X-TC-Action header, Accept naming text/html) with
 * @callback instead of the API's MissingParameter error: the web console (console/console.h).
 * Every other request to "/" is an API call as before. */
void cr_http_server_set_browser_page (CrHttpServer *server, SoupServerCallback callback,
                                      gpointer user_data);

/* Serves the same handlers on @sock too (bound and listening; the server keeps a reference).
 * The daemon-worker link listens on a Unix socket this way (link/link_server.h). */
gboolean cr_http_server_listen_socket (CrHttpServer *server, GSocket *sock, GError **error);
void cr_http_server_free (CrHttpServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrHttpServer, cr_http_server_free)

G_END_DECLS
