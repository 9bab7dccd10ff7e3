/* PrivateMapKey userbuf parsing and room checks; layout in reference §9.4. */
#include "private_map_key.h"

#include <string.h>

#include "usersig.h"

void
cr_private_map_key_free (CrPrivateMapKey *pmk)
{
  if (pmk == NULL)
    return;
  g_free (pmk->account);
  g_free (pmk->room_str);
  g_free (pmk);
}

/* A bounds-checked big-endian reader over the userbuf. */
typedef struct {
  const guint8 *p;
  gsize left;
} Reader;

static gboolean
read_u8 (Reader *r, guint32 *out)
{
  if (r->left < 1)
    return FALSE;
  *out = r->p[0];
  r->p++, r->left--;
  return TRUE;
}

static gboolean
read_be (Reader *r, gsize width, guint32 *out)
{
  if (r->left < width)
    return FALSE;
  guint32 v = 0;
  for (gsize i = 0; i < width; i++)
    v = (v << 8) | r->p[i];
  *out = v;
  r->p += width, r->left -= width;
  return TRUE;
}

static gboolean
read_text (Reader *r, char **out)
{
  guint32 len = 0;
  if (!read_be (r, 2, &len) || r->left < len || memchr (r->p, '\0', len) != NULL
      || !g_utf8_validate ((const char *)r->p, len, NULL))
    return FALSE;
  *out = g_strndup ((const char *)r->p, len);
  r->p += len, r->left -= len;
  return TRUE;
}

CrPrivateMapKey *
cr_private_map_key_parse (GBytes *userbuf, GError **error)
{
  gsize size = 0;
  const guint8 *data = userbuf != NULL ? g_bytes_get_data (userbuf, &size) : NULL;
  Reader r = { data, size };
  g_autoptr (CrPrivateMapKey) pmk = g_new0 (CrPrivateMapKey, 1);
  guint32 version = 0, account_type = 0;
  if (!read_u8 (&r, &version) || version > 1 || !read_text (&r, &pmk->account)
      || !read_be (&r, 4, &pmk->sdk_app_id) || !read_be (&r, 4, &pmk->room_num)
      || !read_be (&r, 4, &pmk->abs_expire) || !read_be (&r, 4, &pmk->privileges)
      || !read_be (&r, 4, &account_type) || (version == 1 && !read_text (&r, &pmk->room_str))
      || r.left != 0) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_MALFORMED,
                 "its userbuf (%" G_GSIZE_FORMAT " bytes) is not a PrivateMapKey record", size);
    return NULL;
  }
  pmk->string_room = version == 1;
  return g_steal_pointer (&pmk);
}

gboolean
cr_private_map_key_check (const CrPrivateMapKey *pmk, guint64 sdk_app_id, const char *user_id,
                          const char *room_id, gboolean string_room, guint32 need, gint64 now_s,
                          GError **error)
{
  g_autofree char *granted_room = pmk->string_room
                                      ? g_strdup_printf ("string room \"%s\"", pmk->room_str)
                                      : g_strdup_printf ("room %" G_GUINT32_FORMAT, pmk->room_num);
  if (pmk->sdk_app_id != sdk_app_id) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_APP_MISMATCH,
                 "it was issued for SdkAppId %" G_GUINT32_FORMAT, pmk->sdk_app_id);
    return FALSE;
  }
  if (g_strcmp0 (pmk->account, user_id) != 0) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_USER_MISMATCH,
                 "its room grant names UserId \"%s\"", pmk->account);
    return FALSE;
  }
  gboolean same_room
      = pmk->string_room == string_room
        && (string_room ? g_strcmp0 (pmk->room_str, room_id) == 0
                        : g_strcmp0 (room_id, "") != 0
                              && g_ascii_strtoull (room_id, NULL, 10) == pmk->room_num
                              && strlen (room_id) <= 10);
  if (!same_room) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_MALFORMED, "it opens %s, not %s %s",
                 granted_room, string_room ? "string room" : "room", room_id);
    return FALSE;
  }
  if ((gint64)pmk->abs_expire < now_s) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_EXPIRED,
                 "its room grant expired at %" G_GUINT32_FORMAT " (now %" G_GINT64_FORMAT ")",
                 pmk->abs_expire, now_s);
    return FALSE;
  }
  if ((pmk->privileges & need) != need) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_MALFORMED,
                 "it grants privileges 0x%02x in %s; 0x%02x are needed", pmk->privileges,
                 granted_room, need);
    return FALSE;
  }
  return TRUE;
}
