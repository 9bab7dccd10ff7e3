/* Console sessions and login tokens; see console_session.h. */
#include "console_session.h"

#include <openssl/rand.h>

#include "auth/crypto_util.h"

struct CrConsoleSessions {
  GHashTable *sessions; /* id -> CrConsoleSession */
  GHashTable *tokens;   /* token -> CrConsoleSession (expires_ms: the token's) */
};

CrConsoleSessions *
cr_console_sessions_new (void)
{
  CrConsoleSessions *s = g_new0 (CrConsoleSessions, 1);
  s->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  s->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return s;
}

void
cr_console_sessions_free (CrConsoleSessions *s)
{
  if (s == NULL)
    return;
  g_hash_table_unref (s->sessions);
  g_hash_table_unref (s->tokens);
  g_free (s);
}

static char *
random_id (void)
{
  guchar bytes[32];
  if (RAND_bytes (bytes, sizeof bytes) != 1)
    g_error ("console: the random generator failed"); /* never a guessable session id */
  return cr_hex_encode (bytes, sizeof bytes);
}

static char *
table_add (GHashTable *table, guint64 sdk_app_id, gboolean admin, gint64 now_ms, gint64 ttl_ms)
{
  CrConsoleSession *e = g_new0 (CrConsoleSession, 1);
  e->sdk_app_id = sdk_app_id;
  e->admin = admin;
  e->created_ms = now_ms;
  e->expires_ms = now_ms + ttl_ms;
  char *id = random_id ();
  g_hash_table_replace (table, g_strdup (id), e);
  return id;
}

/* The live entry @id, or NULL (an expired one is removed). */
static CrConsoleSession *
table_find (GHashTable *table, const char *id, gint64 now_ms)
{
  if (id == NULL)
    return NULL;
  CrConsoleSession *e = g_hash_table_lookup (table, id);
  if (e != NULL && now_ms >= e->expires_ms) {
    g_hash_table_remove (table, id);
    return NULL;
  }
  return e;
}

char *
cr_console_token_add (CrConsoleSessions *s, guint64 sdk_app_id, gint64 now_ms, gint64 ttl_ms)
{
  return table_add (s->tokens, sdk_app_id, FALSE, now_ms, ttl_ms);
}

gboolean
cr_console_token_take (CrConsoleSessions *s, const char *token, gint64 now_ms,
                       guint64 *out_sdk_app_id)
{
  CrConsoleSession *e = table_find (s->tokens, token, now_ms);
  if (e == NULL)
    return FALSE;
  *out_sdk_app_id = e->sdk_app_id;
  g_hash_table_remove (s->tokens, token);
  return TRUE;
}

char *
cr_console_session_open (CrConsoleSessions *s, guint64 sdk_app_id, gboolean admin, gint64 now_ms,
                         gint64 ttl_ms)
{
  cr_console_sessions_sweep (s, now_ms);
  return table_add (s->sessions, sdk_app_id, admin, now_ms, ttl_ms);
}

gboolean
cr_console_session_find (CrConsoleSessions *s, const char *id, gint64 now_ms, CrConsoleSession *out)
{
  CrConsoleSession *e = table_find (s->sessions, id, now_ms);
  if (e == NULL)
    return FALSE;
  *out = *e;
  return TRUE;
}

gboolean
cr_console_session_close (CrConsoleSessions *s, const char *id)
{
  return id != NULL && g_hash_table_remove (s->sessions, id);
}

static gboolean
expired (gpointer key, gpointer value, gpointer now)
{
  return *(gint64 *)now >= ((CrConsoleSession *)value)->expires_ms;
}

void
cr_console_sessions_sweep (CrConsoleSessions *s, gint64 now_ms)
{
  g_hash_table_foreach_remove (s->sessions, expired, &now_ms);
  g_hash_table_foreach_remove (s->tokens, expired, &now_ms);
}

guint
cr_console_session_count (CrConsoleSessions *s)
{
  return g_hash_table_size (s->sessions);
}
