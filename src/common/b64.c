/* TRTC base64 variants: thin character maps over GLib's standard codec, plus a strict decoder. */
#include "b64.h"

#include <string.h>

static void
b64_map (char *s, const char *from, const char *to)
{
  for (char *p = s; *p; p++) {
    const char *hit = strchr (from, *p);
    if (hit != NULL)
      *p = to[hit - from];
  }
}

char *
cr_b64_filename_encode (const guchar *data, gsize len)
{
  char *s = g_base64_encode (data, len);
  b64_map (s, "/=", "-.");
  return s;
}

char *
cr_b64_usersig_encode (const guchar *data, gsize len)
{
  char *s = g_base64_encode (data, len);
  b64_map (s, "+/=", "*-_");
  return s;
}

guchar *
cr_b64_usersig_decode (const char *text, gsize *out_len)
{
  g_autofree char *std = g_strdup (text);
  for (char *p = std; *p; p++) {
    if (*p == '+' || *p == '/' || *p == '=')
      return NULL; /* standard characters are not part of the variant */
  }
  b64_map (std, "*-_", "+/=");
  return cr_b64_decode_strict (std, out_len);
}

static gboolean
b64_is_alpha (char c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/';
}

guchar *
cr_b64_decode_strict (const char *text, gsize *out_len)
{
  gsize len = strlen (text);
  if (len == 0 || len % 4 != 0)
    return NULL;
  gsize pad = 0;
  if (text[len - 1] == '=')
    pad++;
  if (text[len - 2] == '=')
    pad++;
  for (gsize i = 0; i < len - pad; i++) {
    if (!b64_is_alpha (text[i]))
      return NULL;
  }
  return g_base64_decode (text, out_len);
}
