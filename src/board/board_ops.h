/* The whiteboard's client messages, checked before anything is stored (docs/board.md).
 *
 * Why pure and strict: every op a client sends is replayed by every page that opens the board and
 * by the C renderer of the class recording, for as long as the log is kept. One malformed op
 * stored once would break every replay, so an op is accepted only if it is exactly what the
 * contract says (no unknown member, no wrong type, no value out of range), and each refusal names
 * the member so that a client author can find the fault. No state, no I/O: unit-tested and
 * fuzzed (tests/fuzz/fuzz_board.c). Page numbers against the board's page count are checked by
 * the service (board.c), which knows the count. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CR_BOARD_ERROR (cr_board_error_quark ())
GQuark cr_board_error_quark (void);

typedef enum {
  CR_BOARD_ERROR_INVALID, /* the message breaks the contract; the message says where */
} CrBoardError;

#define CR_BOARD_MAX_MESSAGE (256 * 1024) /* bytes of one client message */
#define CR_BOARD_MAX_POINTS 10000
#define CR_BOARD_MAX_PAGES 1000 /* pages 0..999 */
#define CR_BOARD_MAX_CHAT 2000  /* characters */
#define CR_BOARD_MAX_TEXT 1000  /* characters of a text op */

typedef enum {
  CR_BOARD_MSG_OP,
  CR_BOARD_MSG_CHAT,
} CrBoardMsgKind;

typedef struct {
  CrBoardMsgKind kind;
  char *body;        /* OP: the op as compact JSON; CHAT: the text */
  char *op_kind;     /* OP: "stroke", "shape", "text", "page", "undo", "clear" */
  gint64 page;       /* OP: the page the op names, -1 for undo */
  gboolean page_add; /* OP: a page op with action "add" */
} CrBoardMsg;

void cr_board_msg_free (CrBoardMsg *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrBoardMsg, cr_board_msg_free)

/* Parses and checks one client message ({"t":"op","op":{...}} or {"t":"chat","text":"..."}) of
 * @len bytes. NULL with a CR_BOARD_ERROR naming the member when it breaks the contract. */
CrBoardMsg *cr_board_msg_parse (const char *data, gsize len, GError **error);

/* Checks one op object; TRUE if it is exactly one of the contract's ops. */
gboolean cr_board_op_check (JsonObject *op, GError **error);

/* Checks a chat text (1..2000 characters of UTF-8). */
gboolean cr_board_chat_check (const char *text, GError **error);

/* An element / op id: 1..64 of [A-Za-z0-9_-]. */
gboolean cr_board_id_valid (const char *id);

/* What is wrong with a board's room (TIW's RoomId as text: 1..64 bytes of letters, digits, space
 * and !#$%&()+-:;<=.>?@[]^_{}|~ as TRTC's string rooms) or user id (1..32 of [A-Za-z0-9_-]);
 * NULL when nothing is. */
const char *cr_board_room_problem (const char *room);
const char *cr_board_user_problem (const char *user);

G_END_DECLS
