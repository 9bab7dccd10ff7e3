/* libFuzzer target: the whiteboard's client messages (src/board/board_ops.c) exactly as a page
 * sends them over /board/ws, and the room and user of its query. Whatever is accepted must
 * serialise to an op that is accepted again (what is stored replays). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "board/board_ops.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  CrBoardMsg *m = cr_board_msg_parse ((const char *)data, size, &error);
  if (m == NULL) {
    g_assert (error != NULL && error->message[0] != '\0');
    g_clear_error (&error);
  } else if (m->kind == CR_BOARD_MSG_OP) {
    char *again = g_strconcat ("{\"t\":\"op\",\"op\":", m->body, "}", NULL);
    CrBoardMsg *m2 = cr_board_msg_parse (again, strlen (again), &error);
    g_assert (m2 != NULL);
    g_assert (strcmp (m2->body, m->body) == 0);
    cr_board_msg_free (m2);
    g_free (again);
  } else {
    g_assert (cr_board_chat_check (m->body, NULL));
  }
  cr_board_msg_free (m);
  char *text = g_strndup ((const char *)data, size);
  cr_board_room_problem (text);
  cr_board_user_problem (text);
  cr_board_id_valid (text);
  g_free (text);
  return 0;
}
