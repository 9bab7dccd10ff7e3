/* The whiteboard's HTTP endpoints (docs/board.md): GET /board (the page), /board/ws (the
 * WebSocket, its UserSig checked before the upgrade), /board/log (the log as JSON, same check),
 * /board/board.js (the shared board script).
 *
 * Why the check before the upgrade: a refused page gets an HTTP status and a JSON reason it can
 * show, and no connection is ever opened to a board by someone whose ticket does not hold. The
 * UserSig is checked as WHIP checks it (TLSSigAPIv2 with the app's key, for that user). */
#pragma once

#include "api/http_server.h"
#include "board/board.h"

G_BEGIN_DECLS

typedef struct _CrBoardHttp CrBoardHttp;

/* Serves @board's endpoints on @http until freed (both borrowed, outliving it). */
CrBoardHttp *cr_board_http_new (CrHttpServer *http, CrBoard *board, const CrConfig *config);
void cr_board_http_free (CrBoardHttp *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrBoardHttp, cr_board_http_free)

G_END_DECLS
