/* The whiteboard's append-only log in the task store's SQLite file (table board_log, migration 9),
 * on a connection of its own (as the usage and class stores).
 *
 * Why a log and not a state: a board's state at any moment is "every op up to then, in order",
 * so the recording's renderer and the replay page can rebuild the board at any time T from the
 * same rows, and a page that opens late catches up by reading the log. Each board (SdkAppId,
 * room) numbers its entries 1, 2, 3... (seq); the daemon's wall clock stamps each (ts_ms).
 * Nothing is ever updated or deleted. One thread at a time (the daemon's main loop). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CrBoardLog CrBoardLog;

typedef struct {
  gint64 seq;
  gint64 ts_ms;
  char *user;
  char *kind; /* "op" or "chat" */
  char *body; /* op: the op's JSON text; chat: the text */
} CrBoardEntry;

void cr_board_entry_free (CrBoardEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrBoardEntry, cr_board_entry_free)

/* The entry as the protocol sends it:
 * {"t":"op","seq":n,"ts":ms,"user":"U","op":{...}} or {"t":"chat",...,"text":"..."}. */
char *cr_board_entry_to_json (const CrBoardEntry *entry);

/* The store's file must exist and be migrated (the task store opens it first). */
CrBoardLog *cr_board_log_open (const char *path, GError **error);
void cr_board_log_close (CrBoardLog *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrBoardLog, cr_board_log_close)

/* Appends one entry to the board (@app, @room) with the next seq; returns that seq, or 0 with
 * @error set. */
gint64 cr_board_log_append (CrBoardLog *log, guint64 app, const char *room, gint64 ts_ms,
                            const char *user, const char *kind, const char *body, GError **error);

/* The board's last seq (0: empty), or -1 with @error set. */
gint64 cr_board_log_last_seq (CrBoardLog *log, guint64 app, const char *room, GError **error);

/* The ts of the board's newest "op" entry (chats do not count), 0 if none, -1 on error. */
gint64 cr_board_log_last_op_ms (CrBoardLog *log, guint64 app, const char *room, GError **error);

/* The board's entries with seq > @since_seq and @from_ms <= ts_ms <= @to_ms (a bound < 0: none),
 * in seq order, at most @limit of them (0: all). CrBoardEntry; NULL with @error set. */
GPtrArray *cr_board_log_entries (CrBoardLog *log, guint64 app, const char *room, gint64 since_seq,
                                 gint64 from_ms, gint64 to_ms, guint limit, GError **error);

/* The number of pages of the board after its page ops ("add" of P makes P + 1 pages; at least 1),
 * or -1 with @error set. */
gint64 cr_board_log_page_count (CrBoardLog *log, guint64 app, const char *room, GError **error);

G_END_DECLS
