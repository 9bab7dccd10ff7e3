/* VOD URL signing, playlist rewriting, names and ranges; see vod_url.h. */
#include "vod_url.h"

#include <string.h>

const char *
cr_vod_url_check_to_string (CrVodUrlCheck check)
{
  switch (check) {
  case CR_VOD_URL_OK:
    return "ok";
  case CR_VOD_URL_MISSING:
    return "missing signature (t, us, sign)";
  case CR_VOD_URL_MALFORMED:
    return "malformed signature";
  case CR_VOD_URL_BAD_SIGN:
    return "bad signature";
  case CR_VOD_URL_EXPIRED:
    return "expired signature";
  }
  return "?";
}

char *
cr_vod_url_dir (const char *path)
{
  const char *slash = strrchr (path, '/');
  if (slash == NULL)
    return g_strdup ("/");
  return g_strndup (path, (gsize)(slash - path) + 1);
}

char *
cr_vod_url_sign (const char *key, const char *dir, const char *t_hex, const char *us)
{
  /* sign = md5(KEY + Dir + t + exper + rlimit + us), exper and rlimit empty (vod_url.h). */
  g_autofree char *plain = g_strconcat (key, dir, t_hex, us != NULL ? us : "", NULL);
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, plain, -1);
}

char *
cr_vod_url_query (const char *key, const char *dir, gint64 expiry_s, const char *us)
{
  g_autofree char *t = g_strdup_printf ("%" G_GINT64_MODIFIER "x", expiry_s);
  g_autofree char *sign = cr_vod_url_sign (key, dir, t, us);
  /* The documented order: t, exper, rlimit, us, sign. */
  return g_strdup_printf ("t=%s&us=%s&sign=%s", t, us, sign);
}

char *
cr_vod_url_new_us (void)
{
  return g_strdup_printf ("%05x%05x", g_random_int_range (0, 0x100000),
                          g_random_int_range (0, 0x100000));
}

static gboolean
all_lower_hex (const char *s, gsize min, gsize max)
{
  gsize n = strlen (s);
  if (n < min || n > max)
    return FALSE;
  for (const char *p = s; *p; p++) {
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  }
  return TRUE;
}

CrVodUrlCheck
cr_vod_url_verify (const char *key, const char *path, const char *t, const char *us,
                   const char *sign, gint64 now_s)
{
  if (t == NULL || sign == NULL || *t == '\0' || *sign == '\0')
    return CR_VOD_URL_MISSING;
  g_autofree char *sign_lower = g_ascii_strdown (sign, -1);
  if (!all_lower_hex (t, 1, 15) || !all_lower_hex (sign_lower, 32, 32))
    return CR_VOD_URL_MALFORMED;
  g_autofree char *dir = cr_vod_url_dir (path);
  g_autofree char *want = cr_vod_url_sign (key, dir, t, us);
  guint diff = 0;
  for (guint i = 0; i < 32; i++)
    diff |= (guint)(want[i] ^ sign_lower[i]);
  if (diff != 0)
    return CR_VOD_URL_BAD_SIGN;
  /* Checked after the signature, so an attacker learns nothing about t from the answer. */
  gint64 expiry = (gint64)g_ascii_strtoull (t, NULL, 16);
  return now_s > expiry ? CR_VOD_URL_EXPIRED : CR_VOD_URL_OK;
}

/* A URI line that does not live next to the playlist. */
static gboolean
uri_is_absolute (const char *line, gsize len)
{
  if (len > 0 && line[0] == '/')
    return TRUE;
  for (gsize i = 0; i + 2 < len; i++) {
    if (line[i] == ':' && line[i + 1] == '/' && line[i + 2] == '/')
      return TRUE;
    if (!g_ascii_isalnum (line[i]) && line[i] != '+' && line[i] != '-' && line[i] != '.')
      return FALSE; /* not a scheme character: no scheme */
  }
  return FALSE;
}

/* Calls @fn for every line of @text: its start, its length without the end, and the end. */
typedef void (*LineFunc) (const char *line, gsize len, const char *eol, gsize eol_len,
                          gpointer data);

static void
for_each_line (const char *text, gsize len, LineFunc fn, gpointer data)
{
  gsize i = 0;
  while (i < len) {
    gsize start = i;
    while (i < len && text[i] != '\n' && text[i] != '\r')
      i++;
    gsize line_len = i - start;
    gsize eol = i;
    if (i < len && text[i] == '\r')
      i++;
    if (i < len && text[i] == '\n')
      i++;
    fn (text + start, line_len, text + eol, i - eol, data);
  }
}

/* Leading and trailing blanks of a line are not part of its URI. */
static void
trim (const char **line, gsize *len)
{
  while (*len > 0 && ((*line)[0] == ' ' || (*line)[0] == '\t')) {
    (*line)++;
    (*len)--;
  }
  while (*len > 0 && ((*line)[*len - 1] == ' ' || (*line)[*len - 1] == '\t'))
    (*len)--;
}

typedef struct {
  GString *out;
  const char *query;
} SignCtx;

static void
sign_line (const char *line, gsize len, const char *eol, gsize eol_len, gpointer data)
{
  SignCtx *ctx = data;
  const char *uri = line;
  gsize uri_len = len;
  trim (&uri, &uri_len);
  g_string_append_len (ctx->out, line, (gssize)len);
  if (uri_len > 0 && uri[0] != '#' && !uri_is_absolute (uri, uri_len)) {
    /* Insert before any trailing blanks, which were not part of the URI. */
    g_string_truncate (ctx->out, ctx->out->len - (len - (gsize)(uri - line) - uri_len));
    g_string_append_c (ctx->out, memchr (uri, '?', uri_len) != NULL ? '&' : '?');
    g_string_append (ctx->out, ctx->query);
  }
  g_string_append_len (ctx->out, eol, (gssize)eol_len);
}

char *
cr_vod_m3u8_sign (const char *playlist, gsize len, const char *query)
{
  SignCtx ctx = { g_string_sized_new (len + 256), query };
  for_each_line (playlist, len, sign_line, &ctx);
  return g_string_free (ctx.out, FALSE);
}

static void
segment_line (const char *line, gsize len, const char *eol, gsize eol_len, gpointer data)
{
  GPtrArray *out = data;
  trim (&line, &len);
  if (len == 0 || line[0] == '#' || uri_is_absolute (line, len) || memchr (line, '/', len) != NULL
      || memchr (line, '?', len) != NULL)
    return;
  g_ptr_array_add (out, g_strndup (line, len));
}

char **
cr_vod_m3u8_segments (const char *playlist, gsize len)
{
  GPtrArray *out = g_ptr_array_new ();
  for_each_line (playlist, len, segment_line, out);
  g_ptr_array_add (out, NULL);
  return (char **)g_ptr_array_free (out, FALSE);
}

gboolean
cr_vod_name_valid (const char *name)
{
  gsize n = name != NULL ? strlen (name) : 0;
  if (n == 0 || n > 200 || !g_utf8_validate (name, (gssize)n, NULL) || name[0] == '.'
      || strcmp (name, "meta.json") == 0)
    return FALSE;
  for (const char *p = name; *p; p++) {
    if (*p == '/' || *p == '\\' || (guchar)*p < 0x20 || *p == 0x7f)
      return FALSE;
  }
  return TRUE;
}

gboolean
cr_vod_file_id_valid (const char *id)
{
  gsize n = id != NULL ? strlen (id) : 0;
  if (n == 0 || n > 32)
    return FALSE;
  for (const char *p = id; *p; p++) {
    if (!g_ascii_isdigit (*p))
      return FALSE;
  }
  return TRUE;
}

const char *
cr_vod_content_type (const char *name)
{
  static const struct {
    const char *ext, *type;
  } types[] = {
    { ".mp4", "video/mp4" },   { ".m3u8", "application/vnd.apple.mpegurl" },
    { ".ts", "video/mp2t" },   { ".aac", "audio/aac" },
    { ".m4a", "audio/mp4" },   { ".mp3", "audio/mpeg" },
    { ".webm", "video/webm" },
  };
  const char *dot = strrchr (name, '.');
  for (guint i = 0; dot != NULL && i < G_N_ELEMENTS (types); i++) {
    if (g_ascii_strcasecmp (dot, types[i].ext) == 0)
      return types[i].type;
  }
  return "application/octet-stream";
}

/* A decimal number of at most 18 digits spanning [p, end). */
static gboolean
parse_pos (const char *p, const char *end, gint64 *out)
{
  if (p == end || end - p > 18)
    return FALSE;
  gint64 v = 0;
  for (; p < end; p++) {
    if (!g_ascii_isdigit (*p))
      return FALSE;
    v = v * 10 + (*p - '0');
  }
  *out = v;
  return TRUE;
}

CrVodRange
cr_vod_parse_range (const char *header, gint64 size, gint64 *start, gint64 *end)
{
  if (header == NULL)
    return CR_VOD_RANGE_NONE;
  while (*header == ' ')
    header++;
  if (g_ascii_strncasecmp (header, "bytes=", 6) != 0)
    return CR_VOD_RANGE_NONE;
  const char *spec = header + 6;
  if (strchr (spec, ',') != NULL)
    return CR_VOD_RANGE_NONE; /* several ranges: the whole body (RFC 9110 lets us ignore them) */
  const char *s = spec, *e = spec + strlen (spec);
  while (*s == ' ')
    s++;
  while (e > s && e[-1] == ' ')
    e--;
  const char *dash = memchr (s, '-', (gsize)(e - s));
  if (dash == NULL)
    return CR_VOD_RANGE_NONE;
  gint64 a = 0, b = 0;
  if (dash == s) { /* bytes=-n: the last n bytes */
    if (!parse_pos (dash + 1, e, &b))
      return CR_VOD_RANGE_NONE;
    if (b == 0 || size == 0)
      return CR_VOD_RANGE_UNSATISFIABLE;
    *start = b >= size ? 0 : size - b;
    *end = size - 1;
    return CR_VOD_RANGE_OK;
  }
  if (!parse_pos (s, dash, &a))
    return CR_VOD_RANGE_NONE;
  if (dash + 1 == e) {
    b = size - 1;
  } else {
    if (!parse_pos (dash + 1, e, &b) || b < a)
      return CR_VOD_RANGE_NONE; /* last < first is invalid, not unsatisfiable */
  }
  if (a >= size)
    return CR_VOD_RANGE_UNSATISFIABLE;
  *start = a;
  *end = b >= size ? size - 1 : b;
  return CR_VOD_RANGE_OK;
}
