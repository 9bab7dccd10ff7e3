/* The replay link's token; see class_video_token.h. */
#include "class_video_token.h"

#include <gio/gio.h>
#include <string.h>

static char *
token_mac (const char *key, guint64 app, const char *task_id, gint64 expiry_s)
{
  g_autofree char *text
      = g_strdup_printf ("%" G_GUINT64_FORMAT "\n%s\n%" G_GINT64_FORMAT, app, task_id, expiry_s);
  return g_compute_hmac_for_string (G_CHECKSUM_SHA256, (const guchar *)key, strlen (key), text, -1);
}

char *
cr_class_replay_token (const char *key, guint64 app, const char *task_id, gint64 expiry_s)
{
  g_autofree char *mac = token_mac (key != NULL ? key : "", app, task_id, expiry_s);
  return g_strdup_printf ("%" G_GINT64_FORMAT ".%s", expiry_s, mac);
}

gboolean
cr_class_replay_token_check (const char *key, guint64 app, const char *task_id, const char *token,
                             gint64 now_s, GError **error)
{
  const char *dot = token != NULL ? strchr (token, '.') : NULL;
  char *end = NULL;
  gint64 expiry = dot != NULL ? g_ascii_strtoll (token, &end, 10) : 0;
  if (dot == NULL || end != dot || expiry <= 0 || key == NULL || *key == '\0') {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "malformed replay token");
    return FALSE;
  }
  g_autofree char *mac = token_mac (key, app, task_id, expiry);
  /* constant time over the MAC's length */
  gsize n = strlen (mac);
  guint diff = strlen (dot + 1) != n;
  for (gsize i = 0; strlen (dot + 1) == n && i < n; i++)
    diff |= (guint)(mac[i] ^ dot[1 + i]);
  if (diff != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                 "the replay token does not match this class");
    return FALSE;
  }
  if (expiry < now_s) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                 "the replay token expired at %" G_GINT64_FORMAT, expiry);
    return FALSE;
  }
  return TRUE;
}
