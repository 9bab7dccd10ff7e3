/* The web console: a page served from the binary at "/" for browsers, and the session-authenticated
 * routes under /console/ it calls (docs/console.md).
 *
 * Why sessions and not the API's signatures: a browser cannot keep a SecretKey safe, so it logs in
 * once (a one-time link `serve` prints, an app's SecretId/SecretKey, or the operator's
 * console-admin-token) and holds only a random session id in an HttpOnly, SameSite=Strict cookie.
 * Every JSON route also wants the X-Cloudrec-Console header, which a cross-site form or image
 * cannot send, and refuses a foreign Origin. Actions run through cr_api_handle_as(): the API's own
 * pipeline after authentication (rate limit, validation, app check), so the console can do
 * nothing the app's signed API could not, and an app's session never reaches another app. */
#pragma once

#include "api/api.h"
#include "api/http_server.h"

G_BEGIN_DECLS

typedef struct CrConsole CrConsole;

/* Serves the console on @http for @api (both borrowed, outliving the console). */
CrConsole *cr_console_new (CrApi *api, CrHttpServer *http);
void cr_console_free (CrConsole *console);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrConsole, cr_console_free)

/* A new one-time login link for @sdk_app_id's console, valid CR_CONSOLE_LINK_MINUTES: the path and
 * query ("/console/login?token=..."), to append to the daemon's address. */
#define CR_CONSOLE_LINK_MINUTES 15
char *cr_console_login_path (CrConsole *console, guint64 sdk_app_id);

G_END_DECLS
