/* Layout geometry of the mixed picture; see layout.h. Fractions of the canvas are turned into
 * pixels edge by edge (x0 = round(fx * W), x1 = round((fx + fw) * W)), so tiles that touch in
 * fractions touch in pixels: no gap, no overlap. */
#include "layout.h"

#include <math.h>
#include <string.h>

static CrRect
frac_rect (const CrLayoutOptions *o, double fx, double fy, double fw, double fh)
{
  int x0 = (int)lround (fx * o->width), y0 = (int)lround (fy * o->height);
  int x1 = (int)lround ((fx + fw) * o->width), y1 = (int)lround ((fy + fh) * o->height);
  return (CrRect){ x0, y0, x1 - x0, y1 - y0 };
}

static void
add_tile (GArray *tiles, int stream, CrRect rect, int z, int render_mode)
{
  CrTile t = { stream, rect, z, 0, render_mode, NULL };
  g_array_append_val (tiles, t);
}

/* Streams a template layout shows, in entry order (audio-only ones unless PureAudioDisable). */
static GArray *
eligible_streams (const CrLayoutOptions *o, const CrLayoutStream *streams, guint n)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint i = 0; i < n; i++) {
    if (o->pure_audio_disable && !streams[i].has_video)
      continue;
    int index = (int)i;
    g_array_append_val (out, index);
  }
  return out;
}

/* Position in @list of the stream that is MaxResolutionUserId, or -1. */
static int
find_big (const CrLayoutOptions *o, const CrLayoutStream *streams, GArray *list)
{
  for (guint i = 0; o->max_resolution_user != NULL && i < list->len; i++) {
    const CrLayoutStream *s = &streams[g_array_index (list, int, i)];
    if (g_strcmp0 (s->user_id, o->max_resolution_user) == 0 && s->aux == o->max_resolution_aux)
      return (int)i;
  }
  return -1;
}

/* Grid ("九宫格"): equal tiles, 1/1, 1/2 wide, 1/2, 1/3, 1/4, 1/5 for 1, 2, <=4, <=9, <=16, <=25.
 * Not in the seeds, chosen here: rows fill left to right, top to bottom; a partial last row is
 * centred, and the rows in use are centred vertically, as gallery views do. */
static void
layout_grid (const CrLayoutOptions *o, GArray *list, GArray *tiles)
{
  guint n = MIN (list->len, CR_LAYOUT_MAX_TILES);
  if (n == 0)
    return;
  int cols = n == 1 ? 1 : n <= 4 ? 2 : n <= 9 ? 3 : n <= 16 ? 4 : 5;
  int grid_rows = n == 2 ? 1 : cols;
  int rows = (int)((n + (guint)cols - 1) / (guint)cols);
  double tw = 1.0 / cols, th = 1.0 / grid_rows;
  double top = (grid_rows - rows) * th / 2.0;
  for (guint i = 0; i < n; i++) {
    int row = (int)i / cols, col = (int)i % cols;
    int in_row = row == rows - 1 ? (int)n - row * cols : cols;
    double left = (cols - in_row) * tw / 2.0;
    add_tile (tiles, g_array_index (list, int, i),
              frac_rect (o, left + col * tw, top + row * th, tw, th), 0, o->render_mode);
  }
}

/* Floating: the big picture fills the canvas; the others float over it from the bottom-left,
 * in rows going up: 0.235 of the canvas with 0.012 gaps and margins, 4 a row, up to 17 pictures;
 * beyond, 0.188 with 0.01, 5 a row, up to 25. */
static void
layout_floating (const CrLayoutOptions *o, const CrLayoutStream *streams, GArray *list,
                 GArray *tiles)
{
  guint n = MIN (list->len, CR_LAYOUT_MAX_TILES);
  if (n == 0)
    return;
  int big = find_big (o, streams, list);
  if (big < 0 || (guint)big >= n)
    big = 0;
  add_tile (tiles, g_array_index (list, int, big), frac_rect (o, 0, 0, 1, 1), 0, o->render_mode);
  gboolean small = n <= 17;
  double size = small ? 0.235 : 0.188, gap = small ? 0.012 : 0.01;
  int per_row = small ? 4 : 5;
  int k = 0;
  for (guint i = 0; i < n; i++) {
    if ((int)i == big)
      continue;
    int row = k / per_row, col = k % per_row;
    double x = gap + col * (size + gap);
    double y = 1.0 - gap - size - row * (size + gap);
    add_tile (tiles, g_array_index (list, int, i), frac_rect (o, x, y, size, size), 1,
              o->render_mode);
    k++;
  }
}

/* Screen share: the big picture on one side (the background when no MaxResolutionUserId), the
 * others in columns beside it, top to bottom, the column next to the big picture first (the
 * seeds do not say which fills first). Pictures counted with the big one: <=5: tiles 1/5 x 1/4;
 * <=7: 1/7 x 1/6; <=9: 1/9 x 1/8; <=17: 1/10 x 1/8 in two columns; beyond, up to 24, the big
 * picture is 7/8 high and the rest line up under it from its bottom-left corner. */
static void
layout_screen_share (const CrLayoutOptions *o, const CrLayoutStream *streams, GArray *list,
                     GArray *tiles)
{
  int big = find_big (o, streams, list);
  guint others = list->len - (big >= 0 ? 1 : 0);
  guint n = MIN (1 + others, 24); /* pictures, the big slot included */
  double sw, sh, big_w, big_h = 1.0;
  int per_col, cols;
  if (n <= 5)
    sw = 1.0 / 5, sh = 1.0 / 4, big_w = 4.0 / 5, per_col = 4, cols = 1;
  else if (n <= 7)
    sw = 1.0 / 7, sh = 1.0 / 6, big_w = 6.0 / 7, per_col = 6, cols = 1;
  else if (n <= 9)
    sw = 1.0 / 9, sh = 1.0 / 8, big_w = 8.0 / 9, per_col = 8, cols = 1;
  else
    sw = 1.0 / 10, sh = 1.0 / 8, big_w = 4.0 / 5, per_col = 8, cols = 2;
  if (n > 17)
    big_h = 7.0 / 8;
  double big_x = o->big_on_right ? 1.0 - big_w : 0.0;
  add_tile (tiles, big >= 0 ? g_array_index (list, int, big) : -1,
            frac_rect (o, big_x, 0, big_w, big_h), 0, o->render_mode);
  guint k = 0;
  for (guint i = 0; i < list->len && k + 1 < n; i++) {
    if ((int)i == big)
      continue;
    double x, y;
    if (k < (guint)(per_col * cols)) {
      int col = (int)k / per_col, row = (int)k % per_col;
      x = o->big_on_right ? big_x - (col + 1) * sw : big_w + col * sw;
      y = row * sh;
    } else {
      x = big_x + (k - (guint)(per_col * cols)) * sw;
      y = big_h;
    }
    add_tile (tiles, g_array_index (list, int, i), frac_rect (o, x, y, sw, sh), 1, o->render_mode);
    k++;
  }
}

static int
compare_tiles_by_z (gconstpointer a, gconstpointer b)
{
  const CrTile *x = a, *y = b;
  return (x->z > y->z) - (x->z < y->z);
}

/* Custom: each MixLayoutList entry is a tile; a named user goes where named, the other entries
 * take the streams no entry names, in entry order. Tiles are clipped to the canvas and drawn by
 * ImageLayer (stable: list order within a layer). */
static void
layout_custom (const CrLayoutOptions *o, const CrLayoutStream *streams, guint n, GArray *tiles)
{
  g_autofree gboolean *named = g_new0 (gboolean, MAX (n, 1));
  for (guint t = 0; t < o->n_custom; t++) {
    for (guint i = 0; o->custom[t].user_id != NULL && i < n; i++) {
      if (g_strcmp0 (streams[i].user_id, o->custom[t].user_id) == 0
          && streams[i].aux == o->custom[t].aux)
        named[i] = TRUE;
    }
  }
  guint next = 0;
  for (guint t = 0; t < MIN (o->n_custom, CR_LAYOUT_MAX_TILES); t++) {
    const CrCustomTile *c = &o->custom[t];
    int stream = -1;
    if (c->user_id != NULL) {
      for (guint i = 0; i < n && stream < 0; i++) {
        if (g_strcmp0 (streams[i].user_id, c->user_id) == 0 && streams[i].aux == c->aux)
          stream = (int)i;
      }
    } else {
      while (next < n && named[next])
        next++;
      if (next < n)
        stream = (int)next++;
    }
    int x0 = CLAMP (c->left, 0, o->width), y0 = CLAMP (c->top, 0, o->height);
    int x1 = CLAMP (c->left + c->width, 0, o->width);
    int y1 = CLAMP (c->top + c->height, 0, o->height);
    CrTile tile
        = { stream,         { x0, y0, x1 - x0, y1 - y0 }, c->image_layer, CLAMP (c->alpha, 0, 255),
            c->render_mode, c->sub_background_image };
    g_array_append_val (tiles, tile);
  }
  g_array_sort (tiles, compare_tiles_by_z); /* g_array_sort is stable (merge sort) */
}

GArray *
cr_layout_compute (const CrLayoutOptions *o, const CrLayoutStream *streams, guint n)
{
  GArray *tiles = g_array_new (FALSE, FALSE, sizeof (CrTile));
  if (o->mode == CR_LAYOUT_CUSTOM) {
    layout_custom (o, streams, n, tiles);
    return tiles;
  }
  g_autoptr (GArray) list = eligible_streams (o, streams, n);
  if (o->mode == CR_LAYOUT_FLOATING)
    layout_floating (o, streams, list, tiles);
  else if (o->mode == CR_LAYOUT_SCREEN_SHARE)
    layout_screen_share (o, streams, list, tiles);
  else
    layout_grid (o, list, tiles);
  return tiles;
}

void
cr_layout_crop (int in_w, int in_h, int tile_w, int tile_h, int render_mode, int crop[4])
{
  memset (crop, 0, 4 * sizeof (int));
  if ((render_mode != CR_RENDER_CROP && render_mode != CR_RENDER_SMART) || in_w <= 0 || in_h <= 0
      || tile_w <= 0 || tile_h <= 0)
    return;
  /* Compare in_w/in_h with tile_w/tile_h without floating point. */
  gint64 lhs = (gint64)in_w * tile_h, rhs = (gint64)tile_w * in_h;
  if (lhs == rhs)
    return;
  gboolean too_wide = lhs > rhs;
  int side = too_wide ? in_w : in_h;
  int keep = too_wide ? (int)(rhs / tile_h) : (int)(((gint64)in_w * tile_h) / tile_w);
  int cut = side - keep;
  if (render_mode == CR_RENDER_SMART)
    cut = MIN (cut, side / 5);
  cut &= ~1; /* even, so 4:2:0 chroma stays aligned */
  int *first = too_wide ? &crop[0] : &crop[2];
  first[0] = (cut / 2) & ~1;
  first[1] = cut - first[0];
}

gboolean
cr_layout_keeps_aspect (int render_mode)
{
  return render_mode == CR_RENDER_LETTERBOX || render_mode == CR_RENDER_SMART;
}
