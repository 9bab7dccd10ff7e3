/* String formats used by the schemas: user ids, prefix patterns, colours, image URLs, path
 * segments. Each returns NULL when the text is acceptable, else what was expected. */
#include <string.h>

#include "validate/schema.h"

static gboolean
is_user_id_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-';
}

const char *
cr_format_user_id (const char *s)
{
  for (const char *p = s; *p; p++) {
    if (!is_user_id_char (*p))
      return "made of letters, digits, '_' and '-' (a TRTC UserId)";
  }
  return NULL;
}

/* A UserId, or a prefix match written as a UserId prefix followed by ".*$". */
const char *
cr_format_user_pattern (const char *s)
{
  gsize len = strlen (s);
  g_autofree char *head = g_str_has_suffix (s, ".*$") ? g_strndup (s, len - 3) : g_strdup (s);
  if (*head == '\0' && len > 0 && g_str_has_suffix (s, ".*$"))
    return NULL; /* ".*$": every user */
  for (const char *p = head; *p; p++) {
    if (!is_user_id_char (*p))
      return "a UserId (letters, digits, '_', '-') optionally ending in \".*$\" for a prefix match";
  }
  return NULL;
}

/* TRTC's string RoomId alphabet (the length is the field's rule). */
const char *
cr_format_string_room_id (const char *s)
{
  static const char extra[] = " !#$%&()+-:;<=.>?@[]^_{}|~,";
  for (const char *p = s; *p; p++) {
    if (!g_ascii_isalnum (*p) && strchr (extra, *p) == NULL)
      return "letters, digits, space and !#$%&()+-:;<=.>?@[]^_{}|~, only (a TRTC string RoomId)";
  }
  return NULL;
}

/* An integer RoomId written as text: 1..4294967294 in decimal, no sign, no leading zero. */
const char *
cr_format_integer_room_id (const char *s)
{
  guint64 v = 0;
  if (s[0] == '0' || !g_ascii_string_to_unsigned (s, 10, 1, 4294967294u, &v, NULL))
    return "an integer RoomId in [1, 4294967294] written in decimal";
  return NULL;
}

const char *
cr_format_colour (const char *s)
{
  if (strlen (s) != 7 || s[0] != '#')
    return "a colour written #RRGGBB";
  for (int i = 1; i < 7; i++) {
    if (!g_ascii_isxdigit (s[i]))
      return "a colour written #RRGGBB";
  }
  return NULL;
}

/* TRTC: http(s), only  a-z A-Z 0-9 - . _ ~ : / ? # [ ] @ ! & ( ) * + , % = , ending in an image
 * suffix before any query. */
const char *
cr_format_image_url (const char *s)
{
  static const char extra[] = "-._~:/?#[]@!&()*+,%=";
  if (!g_str_has_prefix (s, "http://") && !g_str_has_prefix (s, "https://"))
    return "an http:// or https:// URL of a .jpg, .jpeg or .png image";
  for (const char *p = s; *p; p++) {
    if (!g_ascii_isalnum (*p) && strchr (extra, *p) == NULL)
      return "a URL using only the characters a-z A-Z 0-9 - . _ ~ : / ? # [ ] @ ! & ( ) * + , % =";
  }
  gsize path_len = strcspn (s, "?#");
  g_autofree char *path = g_ascii_strdown (s, (gssize)path_len);
  if (!g_str_has_suffix (path, ".jpg") && !g_str_has_suffix (path, ".jpeg")
      && !g_str_has_suffix (path, ".png"))
    return "a URL whose path ends in .jpg, .jpeg or .png";
  return NULL;
}

const char *
cr_format_path_segment (const char *s)
{
  for (const char *p = s; *p; p++) {
    if (!is_user_id_char (*p))
      return "made of letters, digits, '_' and '-'";
  }
  return NULL;
}

const char *
cr_format_region (const char *s)
{
  for (const char *p = s; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return "a region name made of letters, digits, '-' and '_'";
  }
  return NULL;
}

const char *
cr_format_bucket (const char *s)
{
  for (const char *p = s; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '_')
      return "a bucket name made of letters, digits, '-', '.' and '_'";
  }
  return NULL;
}

const char *
cr_format_key (const char *s)
{
  for (const char *p = s; *p; p++) {
    if (!g_ascii_isgraph (*p))
      return "printable ASCII without spaces";
  }
  return NULL;
}
