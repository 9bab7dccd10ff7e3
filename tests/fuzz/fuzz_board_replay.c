/* Fuzzes the board renderer's input: any bytes as a board log (JSON), replayed at increasing
 * and then earlier board times and drawn at a small size after each change, the renderer that
 * draws only new elements checked against a whole redraw. No crash, no leak, no cairo error
 * state, and the same pixels either way. */
#include <stdint.h>
#include <string.h>

#include "board/board_render.h"

#define FUZZ_W 64
#define FUZZ_H 36

static gboolean
same (cairo_surface_t *a, cairo_surface_t *b)
{
  int stride = cairo_image_surface_get_stride (a);
  for (int y = 0; y < FUZZ_H; y++) {
    const guint32 *ra = (const guint32 *)(cairo_image_surface_get_data (a) + (gsize)y * stride);
    const guint32 *rb = (const guint32 *)(cairo_image_surface_get_data (b) + (gsize)y * stride);
    for (int x = 0; x < FUZZ_W; x++)
      if ((ra[x] & 0xffffff) != (rb[x] & 0xffffff))
        return FALSE;
  }
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  JsonParser *parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *)data, (gssize)size, NULL)
      || !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser))) {
    g_object_unref (parser);
    return 0;
  }
  GPtrArray *warnings = g_ptr_array_new_with_free_func (g_free);
  CrBoardReplay *r
      = cr_board_replay_new (json_node_get_array (json_parser_get_root (parser)), warnings);
  CrBoardRenderer *grown = cr_board_renderer_new (FUZZ_W, FUZZ_H);
  static const gint64 times[]
      = { G_MININT64 + 1, -1, 0, 1, 2, 3, 5, 8, 100, 1000, G_MAXINT64, 4, G_MAXINT64 };
  for (guint i = 0; i < G_N_ELEMENTS (times); i++) {
    cr_board_replay_seek (r, times[i], warnings);
    cr_board_renderer_update (grown, cr_board_replay_state (r));
    CrBoardRenderer *whole = cr_board_renderer_new (FUZZ_W, FUZZ_H);
    cr_board_renderer_update (whole, cr_board_replay_state (r));
    if (cairo_surface_status (cr_board_renderer_surface (grown)) != CAIRO_STATUS_SUCCESS
        || !same (cr_board_renderer_surface (grown), cr_board_renderer_surface (whole)))
      __builtin_trap ();
    cr_board_renderer_free (whole);
  }
  cr_board_renderer_free (grown);
  cr_board_replay_free (r);
  g_ptr_array_unref (warnings);
  g_object_unref (parser);
  return 0;
}
