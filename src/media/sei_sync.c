/* SEI syncTime; see sei_sync.h. */
#include "sei_sync.h"

#include <string.h>

const guint8 CR_SEI_SYNC_UUID[16] = { 0x63, 0x6c, 0x6f, 0x75, 0x64, 0x72, 0x65, 0x63,
                                      0x2d, 0x73, 0x79, 0x6e, 0x63, 0x74, 0x69, 0x6d };
/* "cloudrec-synctim" */

#define MAX_JSON 1024

/* The next NAL of an Annex-B buffer from @pos: its payload start (after the start code) and end.
 * FALSE at the end. */
static gboolean
next_nal (const guint8 *d, gsize size, gsize *pos, gsize *start, gsize *end, gsize *code_at)
{
  gsize i = *pos;
  while (i + 3 <= size && !(d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1))
    i++;
  if (i + 3 > size)
    return FALSE;
  *code_at = i > 0 && d[i - 1] == 0 ? i - 1 : i;
  *start = i + 3;
  gsize j = *start;
  while (j + 3 <= size && !(d[j] == 0 && d[j + 1] == 0 && (d[j + 2] == 1 || d[j + 2] == 0)))
    j++;
  *end = j + 3 <= size ? j : size;
  *pos = *end;
  return TRUE;
}

/* Removes emulation-prevention bytes (00 00 03 -> 00 00). */
static GByteArray *
unescape (const guint8 *p, gsize n)
{
  GByteArray *out = g_byte_array_sized_new ((guint)n);
  int zeros = 0;
  for (gsize i = 0; i < n; i++) {
    if (zeros >= 2 && p[i] == 3) {
      zeros = 0;
      continue;
    }
    zeros = p[i] == 0 ? zeros + 1 : 0;
    g_byte_array_append (out, p + i, 1);
  }
  return out;
}

/* {"syncTime": N} in @text (NUL padding or trailing bytes after the object ignored). */
static gboolean
json_sync_time (const guint8 *text, gsize n, gint64 *out)
{
  if (n == 0 || n > MAX_JSON)
    return FALSE;
  g_autofree char *s = g_strndup ((const char *)text, n); /* stops at a NUL */
  const char *key = strstr (s, "\"syncTime\"");
  if (key == NULL || strchr (s, '{') == NULL || strchr (s, '{') > key)
    return FALSE;
  const char *p = key + strlen ("\"syncTime\"");
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p++ != ':')
    return FALSE;
  while (*p == ' ' || *p == '\t')
    p++;
  if (!g_ascii_isdigit (*p))
    return FALSE;
  char *stop = NULL;
  guint64 v = g_ascii_strtoull (p, &stop, 10);
  while (*stop == ' ' || *stop == '\t')
    stop++;
  if ((*stop != '}' && *stop != ',') || v > G_MAXINT64 / 2)
    return FALSE;
  *out = (gint64)v;
  return TRUE;
}

gboolean
cr_sei_nal_sync_time (const guint8 *nal, gsize size, gint64 *board_ms)
{
  g_autoptr (GByteArray) rbsp = unescape (nal, size);
  const guint8 *p = rbsp->data;
  gsize n = rbsp->len, i = 0;
  /* sei_message()s until the rbsp trailing bits (0x80) */
  while (i < n && !(p[i] == 0x80 && i + 1 == n)) {
    guint type = 0, len = 0;
    while (i < n && p[i] == 0xff)
      type += 255, i++;
    if (i >= n)
      return FALSE;
    type += p[i++];
    while (i < n && p[i] == 0xff)
      len += 255, i++;
    if (i >= n)
      return FALSE;
    len += p[i++];
    if (len > n - i)
      return FALSE;
    const guint8 *payload = p + i;
    if (type == 5 && len > 16 && json_sync_time (payload + 16, len - 16, board_ms))
      return TRUE;
    if (type == 242 && json_sync_time (payload, len, board_ms))
      return TRUE;
    i += len;
  }
  return FALSE;
}

gboolean
cr_sei_find_sync_time (const guint8 *data, gsize size, gint64 *board_ms)
{
  gsize pos = 0, start, end, code_at;
  while (next_nal (data, size, &pos, &start, &end, &code_at)) {
    if (end > start && (data[start] & 0x1f) == 6
        && cr_sei_nal_sync_time (data + start + 1, end - start - 1, board_ms))
      return TRUE;
  }
  return FALSE;
}

gsize
cr_sei_insert_offset (const guint8 *data, gsize size)
{
  gsize pos = 0, start, end, code_at;
  while (next_nal (data, size, &pos, &start, &end, &code_at)) {
    guint type = end > start ? data[start] & 0x1f : 0;
    if (type >= 1 && type <= 5)
      return code_at;
  }
  return size;
}

GBytes *
cr_sei_build_sync_time (gint64 board_ms)
{
  g_autofree char *json = g_strdup_printf ("{\"syncTime\":%" G_GINT64_FORMAT "}", board_ms);
  gsize len = 16 + strlen (json);
  g_autoptr (GByteArray) rbsp = g_byte_array_new ();
  guint8 b = 5;
  g_byte_array_append (rbsp, &b, 1);
  for (gsize l = len;; l -= 255) {
    b = l >= 255 ? 255 : (guint8)l;
    g_byte_array_append (rbsp, &b, 1);
    if (l < 255)
      break;
  }
  g_byte_array_append (rbsp, CR_SEI_SYNC_UUID, 16);
  g_byte_array_append (rbsp, (const guint8 *)json, (guint)strlen (json));
  b = 0x80;
  g_byte_array_append (rbsp, &b, 1);
  GByteArray *out = g_byte_array_new ();
  static const guint8 head[5] = { 0, 0, 0, 1, 0x06 };
  g_byte_array_append (out, head, 5);
  int zeros = 0;
  for (guint i = 0; i < rbsp->len; i++) {
    if (zeros >= 2 && rbsp->data[i] <= 3) {
      b = 3;
      g_byte_array_append (out, &b, 1);
      zeros = 0;
    }
    zeros = rbsp->data[i] == 0 ? zeros + 1 : 0;
    g_byte_array_append (out, rbsp->data + i, 1);
  }
  return g_byte_array_free_to_bytes (out);
}
