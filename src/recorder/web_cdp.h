/* The Chrome DevTools Protocol over Chromium's --remote-debugging-pipe.
 *
 * Why the pipe and not a port: a DevTools port listens on loopback, where the recorded page (and
 * any local user) could reach it and drive the browser; the pipe is two file descriptors only the
 * worker holds. Messages are JSON texts ended by a NUL byte, both ways. The recorder uses a few
 * calls (find and attach the page, emulate a phone, navigate) and a few events (the load event,
 * a crash). Everything runs on the worker's main context. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _CrWebCdp CrWebCdp;

/* The answer to a call: @result (NULL when the call failed or the pipe closed, with @error). */
typedef void (*CrWebCdpReply) (CrWebCdp *cdp, JsonObject *result, const char *error, gpointer data);
/* An event: @method ("Page.loadEventFired"), its params, its session ("" for the browser's). */
typedef void (*CrWebCdpEvent) (CrWebCdp *cdp, const char *method, JsonObject *params,
                               const char *session_id, gpointer data);

/* Takes @to_browser (Chromium's fd 3) and @from_browser (its fd 4). */
CrWebCdp *cr_web_cdp_new (int to_browser, int from_browser, CrWebCdpEvent on_event, gpointer data);
void cr_web_cdp_free (CrWebCdp *cdp);
/* Sends @method with @params (taken; NULL: none) to @session_id (NULL: the browser). @reply may
 * be NULL. FALSE when the pipe is closed. */
gboolean cr_web_cdp_call (CrWebCdp *cdp, const char *session_id, const char *method,
                          JsonObject *params, CrWebCdpReply reply, gpointer data);
/* Whether the browser's end of the pipe closed (Chromium exited). */
gboolean cr_web_cdp_closed (CrWebCdp *cdp);

G_END_DECLS
