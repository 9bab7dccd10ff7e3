/* A board state drawn with cairo, exactly as the contract's Rendering section says
 * (docs/board.md): white background; the shown page's elements in log order; strokes as
 * polylines with round caps and joins, width*H wide; shapes filled first (when fill is set, not
 * for a line) then outlined; text top-left anchored, sans-serif at size*H px (pango-cairo).
 *
 * Why a renderer object besides the pure drawing: a video repeats the same picture for most of
 * its frames and grows it by one element at a time, so the renderer keeps its picture and, when
 * only elements were appended to the page it shows, draws just those on top (the state's
 * generation tells it); anything else (undo, clear, another page) draws the page again. */
#pragma once

#include <cairo.h>

#include "board/board_state.h"

G_BEGIN_DECLS

/* Draws @s's shown page on @cr, over [0, @width) x [0, @height) (user space = pixels). */
void cr_board_render (cairo_t *cr, const CrBoardState *s, int width, int height);

/* Draws one element (no background). */
void cr_board_render_element (cairo_t *cr, const CrBoardElement *e, int width, int height);

typedef struct _CrBoardRenderer CrBoardRenderer;

/* A picture of @width x @height (CAIRO_FORMAT_RGB24), white. */
CrBoardRenderer *cr_board_renderer_new (int width, int height);
void cr_board_renderer_free (CrBoardRenderer *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrBoardRenderer, cr_board_renderer_free)

/* Brings the picture to @s. TRUE when it changed (drawn again, or new elements drawn on it);
 * FALSE (nothing drawn) when @s is the version drawn last. */
gboolean cr_board_renderer_update (CrBoardRenderer *r, const CrBoardState *s);

/* The picture (owned by @r; flushed). */
cairo_surface_t *cr_board_renderer_surface (CrBoardRenderer *r);

/* How many times the whole page was drawn, and how many times only new elements were. */
void cr_board_renderer_counts (const CrBoardRenderer *r, guint *full, guint *partial);

G_END_DECLS
