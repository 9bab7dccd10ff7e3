/* The built-in whiteboard service (docs/board.md): boards of (SdkAppId, room), the pages
 * connected to each over WebSocket, and the board clock.
 *
 * Why in the daemon: a class recording captures the board page and renders the board's log, so
 * the board must live where the recordings are made, with one clock for both: every op and chat
 * message is stamped by the daemon (ts, Unix ms) and numbered per board (seq) as it arrives,
 * stored in the log (board_log.h), then sent to every page of the board, the sender's included.
 * A page that connects gets a welcome (the clock, the last seq), the whole history, then the live
 * entries, in seq order. A slow page never holds the others up: its backlog is bounded and it is
 * dropped past the bound (it reconnects and catches up from the log). Main loop only. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "config/config.h"

G_BEGIN_DECLS

typedef struct _CrBoard CrBoard;

/* Opens the log in the (migrated) store file @db_path. */
CrBoard *cr_board_new (const CrConfig *config, const char *db_path, GError **error);
/* Closes every connection and the log. */
void cr_board_free (CrBoard *board);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrBoard, cr_board_free)

/* The ts of the newest op (not chat) of the board, 0 if none (the class idle rule reads it). */
gint64 cr_board_last_op_ms (CrBoard *board, guint64 sdk_app_id, const char *room);

/* The board's entries (JSON objects, as the protocol sends them) with @from_ms <= ts <= @to_ms in
 * seq order; @to_ms <= 0: no upper bound. NULL with @error set when the log cannot be read. */
JsonArray *cr_board_log_read (CrBoard *board, guint64 app, const char *room, gint64 from_ms,
                              gint64 to_ms, GError **error);

/* ---- for board_http.c ---- */

/* The log's JSON reply {"Ops":[...],"LastSeq":n} for /board/log: entries with seq > @since_seq
 * and @from_ms <= ts <= @to_ms (a bound < 0: none). NULL with @error set. */
char *cr_board_log_reply (CrBoard *board, guint64 app, const char *room, gint64 since_seq,
                          gint64 from_ms, gint64 to_ms, GError **error);
/* TRUE while the board has room for one more connection (board-max-connections). */
gboolean cr_board_has_room (CrBoard *board, guint64 app, const char *room);
/* Takes over @ws (a new server connection) for @user of the board: welcome, the history after
 * @since_seq (0: all of it), then live entries. */
void cr_board_join (CrBoard *board, guint64 app, const char *room, const char *user,
                    gint64 since_seq, SoupWebsocketConnection *ws);
/* The number of pages connected to the board. */
guint cr_board_connection_count (CrBoard *board, guint64 app, const char *room);

G_END_DECLS
