/* See sdp_answer.h. */
#include "sdp_answer.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

/* "a=candidate:F C udp PRIO ADDR PORT typ host ..." -> the public copy, or NULL. */
static char *
sdp_public_copy (const char *line, const char *public_ip, GSocketFamily family)
{
  if (!g_str_has_prefix (line, "a=candidate:"))
    return NULL;
  g_auto (GStrv) f = g_strsplit (line + strlen ("a=candidate:"), " ", -1);
  if (g_strv_length (f) < 8 || g_ascii_strcasecmp (f[2], "udp") != 0 || strcmp (f[6], "typ") != 0
      || strcmp (f[7], "host") != 0)
    return NULL;
  g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (f[4]);
  if (addr == NULL || g_inet_address_get_family (addr) != family)
    return NULL;
  g_autoptr (GInetAddress) pub = g_inet_address_new_from_string (public_ip);
  if (g_inet_address_equal (addr, pub))
    return NULL;
  char *end = NULL;
  guint64 prio = g_ascii_strtoull (f[3], &end, 10);
  if (end == f[3] || *end != '\0' || prio == 0)
    return NULL;
  /* A foundation is 1..32 ice-chars: "P" + at most 31 of the original. */
  g_autofree char *foundation = g_strdup_printf ("P%.31s", f[0]);
  g_autofree char *priority = g_strdup_printf ("%" G_GUINT64_FORMAT, prio - 1);
  g_free (f[0]);
  f[0] = g_steal_pointer (&foundation);
  g_free (f[3]);
  f[3] = g_steal_pointer (&priority);
  g_free (f[4]);
  f[4] = g_strdup (public_ip);
  g_autofree char *rest = g_strjoinv (" ", f);
  return g_strconcat ("a=candidate:", rest, NULL);
}

char *
cr_sdp_answer_add_public_candidates (const char *sdp, const char *public_ip)
{
  g_autoptr (GInetAddress) pub
      = public_ip != NULL ? g_inet_address_new_from_string (public_ip) : NULL;
  if (pub == NULL)
    return g_strdup (sdp);
  GSocketFamily family = g_inet_address_get_family (pub);
  GString *out = g_string_new (NULL);
  const char *p = sdp;
  while (*p != '\0') {
    const char *nl = strchr (p, '\n');
    gsize len = nl != NULL ? (gsize)(nl - p + 1) : strlen (p);
    g_string_append_len (out, p, len);
    gsize body = len;
    while (body > 0 && (p[body - 1] == '\n' || p[body - 1] == '\r'))
      body--;
    g_autofree char *line = g_strndup (p, body);
    g_autofree char *copy = sdp_public_copy (line, public_ip, family);
    if (copy != NULL) {
      g_string_append (out, copy);
      g_string_append_len (out, p + body, len - body); /* the same line ending */
    }
    p += len;
  }
  return g_string_free (out, FALSE);
}
