/* The web console's sessions and one-time login links, in memory.
 *
 * Why in memory: a session is a browser's login to this daemon, not state worth keeping across a
 * restart (the browser logs in again); a table with a clock the caller passes is exact to test.
 * Ids and tokens are 32 random bytes (OpenSSL's generator) in hex, compared by hash lookup of the
 * whole value. A session lasts a fixed time from its login (no sliding renewal), a login token
 * once and a short time. Used from the main thread only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct CrConsoleSessions CrConsoleSessions;

typedef struct {
  guint64 sdk_app_id; /* the app of an app's login; 0 for the operator (admin token) */
  gboolean admin;
  gint64 created_ms, expires_ms;
} CrConsoleSession;

CrConsoleSessions *cr_console_sessions_new (void);
void cr_console_sessions_free (CrConsoleSessions *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrConsoleSessions, cr_console_sessions_free)

/* A one-time login token for @sdk_app_id, valid until @now_ms + @ttl_ms. */
char *cr_console_token_add (CrConsoleSessions *s, guint64 sdk_app_id, gint64 now_ms, gint64 ttl_ms);
/* Uses @token up: TRUE and its app if it exists and had not expired at @now_ms (an expired one is
 * forgotten as well). */
gboolean cr_console_token_take (CrConsoleSessions *s, const char *token, gint64 now_ms,
                                guint64 *out_sdk_app_id);

/* A new session (its id, the cookie's value) lasting until @now_ms + @ttl_ms. */
char *cr_console_session_open (CrConsoleSessions *s, guint64 sdk_app_id, gboolean admin,
                               gint64 now_ms, gint64 ttl_ms);
/* The session @id at @now_ms into @out: FALSE if unknown or expired (then forgotten). */
gboolean cr_console_session_find (CrConsoleSessions *s, const char *id, gint64 now_ms,
                                  CrConsoleSession *out);
/* Logs @id out; FALSE if there was no such session. */
gboolean cr_console_session_close (CrConsoleSessions *s, const char *id);
/* Forgets every expired session and token. */
void cr_console_sessions_sweep (CrConsoleSessions *s, gint64 now_ms);
guint cr_console_session_count (CrConsoleSessions *s);

G_END_DECLS
