/* Schemas of the room administration calls: RemoveUser, RemoveUserByStrRoomId, DismissRoom and
 * DismissRoomByStrRoomId (fields as the Tencent Cloud SDK declares them: an integer RoomId is a
 * JSON number, a string RoomId a string; at most 10 UserIds). */
#include "validate/schema_macros.h"

#define F_INT_ROOM                                                                                 \
  {                                                                                                \
    .name = "RoomId", .kind = CR_FIELD_INT, .required = TRUE, .min = 1, .max = 4294967294,         \
    .code = "InvalidParameter.RoomId"                                                              \
  }
#define F_STR_ROOM                                                                                 \
  {                                                                                                \
    .name = "RoomId", .kind = CR_FIELD_STRING, .required = TRUE, .min = 1, .max = 64,              \
    .format = cr_format_string_room_id, .code = "InvalidParameter.RoomId"                          \
  }
#define F_USER_IDS                                                                                 \
  {                                                                                                \
    .name = "UserIds", .kind = CR_FIELD_STRING_LIST, .required = TRUE, .min = 1, .max = 10,        \
    .item_max = 32, .format = cr_format_user_id, .code = "InvalidParameter.UserId"                 \
  }

static const CrField remove_user_fields[] = { F_SDK_APP_ID, F_INT_ROOM, F_USER_IDS };
const CrSchema cr_schema_remove_user = CR_SCHEMA (remove_user_fields, NULL);

static const CrField remove_user_str_fields[] = { F_SDK_APP_ID, F_STR_ROOM, F_USER_IDS };
const CrSchema cr_schema_remove_user_str = CR_SCHEMA (remove_user_str_fields, NULL);

static const CrField dismiss_room_fields[] = { F_SDK_APP_ID, F_INT_ROOM };
const CrSchema cr_schema_dismiss_room = CR_SCHEMA (dismiss_room_fields, NULL);

static const CrField dismiss_room_str_fields[] = { F_SDK_APP_ID, F_STR_ROOM };
const CrSchema cr_schema_dismiss_room_str = CR_SCHEMA (dismiss_room_str_fields, NULL);
