/* The daemon's end of the daemon-worker link (link.h): the Unix socket and the /internal/...
 * routes.
 *
 * Why a layer of its own: features (the ingest's rooms and forwards, the callback sender, the
 * task endpoints) register their worker-facing handlers here and never learn which sockets the
 * HTTP server listens on; this one place makes sure such a handler only ever answers a request
 * that came in on the link's socket. */
#pragma once

#include "api/http_server.h"

G_BEGIN_DECLS

typedef struct CrLinkServer CrLinkServer;

/* Makes @http listen on the Unix socket @socket_path as well (created mode 0600; a stale file
 * left by a daemon that died is removed; a socket another live daemon answers on is an error).
 * Paths under /internal that no feature serves answer 404. */
CrLinkServer *cr_link_server_new (CrHttpServer *http, const char *socket_path, GError **error);
/* Serves @path (and below) with @callback, for requests that came in on the link's socket; the
 * same request on any other socket (the public TCP port) gets 404. */
void cr_link_server_add_handler (CrLinkServer *link, const char *path, SoupServerCallback callback,
                                 gpointer user_data);
void cr_link_server_remove_handler (CrLinkServer *link, const char *path);
/* The socket's path. */
const char *cr_link_server_path (CrLinkServer *link);
/* Removes the routes and the socket file (the listening socket closes with the HTTP server). */
void cr_link_server_free (CrLinkServer *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrLinkServer, cr_link_server_free)

G_END_DECLS
