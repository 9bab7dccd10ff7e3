/* A whiteboard's picture as data: the pages, each page's elements in log order, the shown page,
 * and the replay of a board log (docs/board.md) up to any board time.
 *
 * Why pure and forgiving: the C renderer (board_render.h) and the video writer (board_video.h)
 * draw whatever this holds, frame after frame, from logs kept for as long as the recordings. The
 * board service validates ops before it stores them (board_ops.h); a log read back (an old one,
 * one edited by hand, a later version's) may still hold an entry this version does not know, so
 * a bad entry is skipped with a warning and the rest still renders. No I/O but the file loader,
 * no GStreamer, no cairo: unit-tested on its own (tests/unit/test_board_state.c). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  CR_BOARD_EL_STROKE,
  CR_BOARD_EL_SHAPE,
  CR_BOARD_EL_TEXT,
} CrBoardElKind;

typedef enum {
  CR_BOARD_SHAPE_LINE,
  CR_BOARD_SHAPE_RECT,
  CR_BOARD_SHAPE_ELLIPSE,
} CrBoardShape;

/* One drawn thing. Coordinates are fractions of the board's width (x) and height (y); widths and
 * sizes fractions of its height. */
typedef struct {
  CrBoardElKind kind;
  char *id;
  guint32 color; /* 0xRRGGBB */
  double width;  /* stroke, shape: line width */
  /* stroke */
  double *points; /* x0, y0, x1, y1, ... */
  guint n_points;
  /* shape */
  CrBoardShape shape;
  gboolean filled;
  guint32 fill; /* 0xRRGGBB when filled */
  double x0, y0, x1, y1;
  /* text: (x, y) is the top-left of the text box */
  double size, x, y;
  char *text;
} CrBoardElement;

typedef struct {
  GPtrArray *pages; /* per page: a GPtrArray of CrBoardElement, in log order */
  guint shown;      /* the page shown */
  guint64 version;  /* bumped by every change */
  /* Bumped by every change that is not "elements appended to the shown page" (undo, clear, a
   * page shown): a renderer that drew version v of the same generation only draws the new
   * elements on top. */
  guint64 generation;
} CrBoardState;

/* One page (0) shown, no element. */
CrBoardState *cr_board_state_new (void);
void cr_board_state_free (CrBoardState *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrBoardState, cr_board_state_free)

/* Back to one empty page (version and generation bumped). */
void cr_board_state_reset (CrBoardState *s);

/* Applies one op object ({"kind":...}). FALSE with @error (the state unchanged) when the op is
 * malformed or cannot apply: an unknown kind, a member missing or of the wrong type, a page that
 * does not exist. An undo of an id that is on no page changes nothing and is not an error. */
gboolean cr_board_state_apply (CrBoardState *s, JsonObject *op, GError **error);

/* The elements of the shown page, in drawing order. */
GPtrArray *cr_board_state_shown (const CrBoardState *s);

/* ---- the replay of a log ---- */

typedef struct _CrBoardReplay CrBoardReplay;

/* The op entries of @entries (the log: {"t":"op","seq":n,"ts":ms,"user":U,"op":{...}} and chat
 * entries, which are ignored), sorted by seq. An entry without an integer seq and ts or without
 * an op object, or with a seq already seen, is left out with a line in @warnings (strings;
 * NULL: not reported). */
CrBoardReplay *cr_board_replay_new (JsonArray *entries, GPtrArray *warnings);

/* Reads @path: a JSON array of entries, or the {"Ops":[...],"LastSeq":n} object GET /board/log
 * answers. NULL with @error (naming the file) when it cannot be read or is neither. */
CrBoardReplay *cr_board_replay_load (const char *path, GPtrArray *warnings, GError **error);

void cr_board_replay_free (CrBoardReplay *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrBoardReplay, cr_board_replay_free)

/* The number of op entries kept. */
guint cr_board_replay_count (const CrBoardReplay *r);

/* The state at board time @t_ms: every op with ts <= @t_ms applied in seq order. The replay owns
 * the state; times asked for must not decrease (a smaller one starts again from nothing). Ops
 * that cannot apply are reported once in @warnings. TRUE when the state changed since the last
 * call. */
gboolean cr_board_replay_seek (CrBoardReplay *r, gint64 t_ms, GPtrArray *warnings);
const CrBoardState *cr_board_replay_state (const CrBoardReplay *r);

G_END_DECLS
