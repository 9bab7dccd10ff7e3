/* The link's socket and route guard; see link_server.h. */
#include "link_server.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "link/link.h"

struct CrLinkServer {
  CrHttpServer *http;
  char *path;
  GPtrArray *routes; /* Route */
};

typedef struct {
  CrLinkServer *link;
  char *path;
  SoupServerCallback callback;
  gpointer user_data;
} Route;

static void
route_free (Route *r)
{
  g_free (r->path);
  g_free (r);
}

static void
link_not_found (SoupServerMessage *msg, const char *path)
{
  g_autofree char *text = g_strdup_printf ("no internal resource %s %s\n",
                                           soup_server_message_get_method (msg), path);
  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

/* The one check: /internal/... is served on the link's socket only. */
static gboolean
link_on_socket (SoupServerMessage *msg)
{
  GSocketAddress *local = soup_server_message_get_local_address (msg);
  return local != NULL && G_IS_UNIX_SOCKET_ADDRESS (local);
}

static void
link_dispatch (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
               gpointer data)
{
  Route *r = data;
  if (soup_server_message_get_status (msg) != 0)
    return; /* already answered from the headers (oversized body) */
  if (!link_on_socket (msg)) {
    link_not_found (msg, path);
    return;
  }
  /* A worker keeps its connections for its life, idle between calls for as long as it likes.
   * The HTTP server bounds each request with api-timeout as a socket timeout, and a connection
   * left idle past it was neither served nor closed again: its fd and objects kept for good, and
   * the worker's next call on it unanswered (a 5 s timeout, then a new connection). The body is
   * read by now: no timeout from here on for the link's local peers. */
  GSocket *sock = soup_server_message_get_socket (msg);
  if (sock != NULL)
    g_socket_set_timeout (sock, 0);
  r->callback (soup, msg, path, query, r->user_data);
}

/* /internal/... that no feature serves. */
static void
link_unknown (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
              gpointer data)
{
  link_not_found (msg, path);
}

/* A file at @path: removed when nothing answers on it (left by a daemon that died), an error
 * when a live daemon does (two daemons on one data directory would share its store). */
static gboolean
link_clear_stale (GSocketAddress *addr, const char *path, GError **error)
{
  GStatBuf st;
  if (g_lstat (path, &st) != 0)
    return TRUE;
  if (S_ISSOCK (st.st_mode)) {
    g_autoptr (GSocket) probe = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                              G_SOCKET_PROTOCOL_DEFAULT, NULL);
    if (probe != NULL && g_socket_connect (probe, addr, NULL, NULL)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                   "another daemon serves %s (same --data-dir?)", path);
      return FALSE;
    }
  }
  if (g_unlink (path) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot remove %s: %s", path,
                 g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static GSocket *
link_listen (const char *path, GError **error)
{
  if (strlen (path) >= 108) { /* sizeof sockaddr_un.sun_path on Linux */
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                 "%s: the path of a Unix socket must be shorter than 108 bytes (shorter "
                 "--data-dir)",
                 path);
    return NULL;
  }
  g_autoptr (GSocketAddress) addr = g_unix_socket_address_new (path);
  if (!link_clear_stale (addr, path, error))
    return NULL;
  g_autoptr (GSocket) sock
      = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  if (sock == NULL)
    return NULL;
  g_socket_set_listen_backlog (sock, 128);
  /* Created 0600 from the start: no moment where another user could connect. */
  mode_t old = umask (0177);
  gboolean bound = g_socket_bind (sock, addr, FALSE, error);
  umask (old);
  if (!bound || g_chmod (path, 0600) != 0 || !g_socket_listen (sock, error)) {
    if (bound && error != NULL && *error == NULL)
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "chmod %s: %s", path,
                   g_strerror (errno));
    return NULL;
  }
  return g_steal_pointer (&sock);
}

CrLinkServer *
cr_link_server_new (CrHttpServer *http, const char *socket_path, GError **error)
{
  g_autoptr (GSocket) sock = link_listen (socket_path, error);
  if (sock == NULL)
    return NULL;
  if (!cr_http_server_listen_socket (http, sock, error)) {
    g_unlink (socket_path);
    return NULL;
  }
  CrLinkServer *link = g_new0 (CrLinkServer, 1);
  link->http = http;
  link->path = g_strdup (socket_path);
  link->routes = g_ptr_array_new_with_free_func ((GDestroyNotify)route_free);
  cr_http_server_add_handler (http, CR_LINK_PATH_ROOT, link_unknown, link);
  return link;
}

void
cr_link_server_add_handler (CrLinkServer *link, const char *path, SoupServerCallback callback,
                            gpointer user_data)
{
  g_return_if_fail (g_str_has_prefix (path, CR_LINK_PATH_ROOT "/"));
  Route *r = g_new0 (Route, 1);
  r->link = link;
  r->path = g_strdup (path);
  r->callback = callback;
  r->user_data = user_data;
  g_ptr_array_add (link->routes, r);
  cr_http_server_add_handler (link->http, path, link_dispatch, r);
}

void
cr_link_server_remove_handler (CrLinkServer *link, const char *path)
{
  for (guint i = 0; i < link->routes->len; i++) {
    Route *r = g_ptr_array_index (link->routes, i);
    if (strcmp (r->path, path) == 0) {
      cr_http_server_remove_handler (link->http, path);
      g_ptr_array_remove_index (link->routes, i);
      return;
    }
  }
}

const char *
cr_link_server_path (CrLinkServer *link)
{
  return link->path;
}

void
cr_link_server_free (CrLinkServer *link)
{
  if (link == NULL)
    return;
  while (link->routes->len > 0) {
    Route *r = g_ptr_array_index (link->routes, link->routes->len - 1);
    g_autofree char *path = g_strdup (r->path);
    cr_link_server_remove_handler (link, path);
  }
  g_ptr_array_unref (link->routes);
  cr_http_server_remove_handler (link->http, CR_LINK_PATH_ROOT);
  g_unlink (link->path);
  g_free (link->path);
  g_free (link);
}
