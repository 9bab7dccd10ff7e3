/* The worker's end of the daemon-worker link (link.h): HTTP to the daemon over its Unix socket.
 *
 * Why a session bound to the socket: libsoup connects every request of such a session to the
 * socket whatever the URL's host, so the worker keeps plain HTTP calls (and the long poll) while
 * nothing it sends goes over TCP. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Calls that got no answer at all (the daemon busy, stopping or gone), as opposed to an answer
 * that refuses: a caller may ask again later. */
#define CR_LINK_ERROR (cr_link_error_quark ())
GQuark cr_link_error_quark (void);
typedef enum {
  CR_LINK_ERROR_NO_ANSWER,
} CrLinkError;

/* A session whose every request goes to the Unix socket @socket_path; @timeout_s as soup's
 * "timeout" (0: none). */
SoupSession *cr_link_session_new (const char *socket_path, guint timeout_s);
/* A request for @path (e.g. "/internal/callbacks") with the JSON @body (or NULL). */
SoupMessage *cr_link_message_new (const char *method, const char *path, const char *body);
/* Sends a request and waits: the reply's JSON object (NULL when the body is not one), its HTTP
 * status in @status (0 when nothing came back; then @error says why). */
JsonObject *cr_link_call (SoupSession *session, const char *method, const char *path,
                          const char *body, guint *status, GError **error);

G_END_DECLS
