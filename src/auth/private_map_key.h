/* PrivateMapKey: the room ticket a TLSSigAPIv2 UserSig carries in its userbuf (reference §9.4).
 *
 * Why a separate module: the userbuf is a small big-endian record (room, expiry, privilege bits)
 * that must be parsed with bounds checks and compared with the room a request names; keeping it out
 * of usersig.c keeps that file about the signature alone. Pure, no I/O. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Privilege bits of the ticket. */
enum {
  CR_PMK_CREATE_ROOM = 1,
  CR_PMK_ENTER_ROOM = 2,
  CR_PMK_SEND_AUDIO = 4,
  CR_PMK_RECV_AUDIO = 8,
  CR_PMK_SEND_VIDEO = 16,
  CR_PMK_RECV_VIDEO = 32,
  CR_PMK_SEND_AUX = 64,
  CR_PMK_RECV_AUX = 128,
};

typedef struct {
  gboolean string_room; /* version 1: the room is room_str; version 0: room_num */
  char *account;
  guint32 sdk_app_id;
  guint32 room_num;
  char *room_str;
  guint32 abs_expire; /* Unix seconds */
  guint32 privileges;
} CrPrivateMapKey;

void cr_private_map_key_free (CrPrivateMapKey *pmk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrPrivateMapKey, cr_private_map_key_free)

/* Parses a userbuf. NULL with a message naming the first inconsistency on malformed input. */
CrPrivateMapKey *cr_private_map_key_parse (GBytes *userbuf, GError **error);

/* Checks that @pmk opens the room (@room_id, @string_room) of @sdk_app_id for @user_id at @now_s
 * with every bit of @need. FALSE with a message that says what does not match. */
gboolean cr_private_map_key_check (const CrPrivateMapKey *pmk, guint64 sdk_app_id,
                                   const char *user_id, const char *room_id, gboolean string_room,
                                   guint32 need, gint64 now_s, GError **error);

G_END_DECLS
