/* The mixed layout engine against the seeds' numbers: every count 1..25 in grid and floating,
 * 1..24 in screen-share, custom tiles with layers, alpha and entry-order filling. Canvas
 * 1000x1000 makes the seeds' fractions read as pixels (0.235 -> 235); 1280x720 checks rounding. */
#include "mix/layout.h"

static CrLayoutStream streams[30];
static char names[30][8];

static void
setup_streams (void)
{
  for (int i = 0; i < 30; i++) {
    g_snprintf (names[i], sizeof names[i], "u%d", i);
    streams[i] = (CrLayoutStream){ names[i], FALSE, TRUE };
  }
}

static GArray *
compute (CrLayoutMode mode, int w, int h, guint n)
{
  CrLayoutOptions o = { .width = w, .height = h, .mode = mode, .render_mode = CR_RENDER_CROP };
  return cr_layout_compute (&o, streams, n);
}

static const CrTile *
tile (GArray *tiles, guint i)
{
  return &g_array_index (tiles, CrTile, i);
}

#define ASSERT_RECT(t, X, Y, W, H)                                                                 \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_assert_cmpint ((t)->rect.x, ==, (X));                                                        \
    g_assert_cmpint ((t)->rect.y, ==, (Y));                                                        \
    g_assert_cmpint ((t)->rect.width, ==, (W));                                                    \
    g_assert_cmpint ((t)->rect.height, ==, (H));                                                   \
  }                                                                                                \
  G_STMT_END

static gboolean
overlap (const CrRect *a, const CrRect *b)
{
  return a->x < b->x + b->width && b->x < a->x + a->width && a->y < b->y + b->height
         && b->y < a->y + a->height;
}

static void
assert_inside_and_apart (GArray *tiles, int w, int h, guint from)
{
  for (guint i = 0; i < tiles->len; i++) {
    const CrRect *r = &tile (tiles, i)->rect;
    g_assert_true (r->x >= 0 && r->y >= 0 && r->x + r->width <= w && r->y + r->height <= h);
    for (guint j = MAX (i + 1, from); i >= from && j < tiles->len; j++)
      g_assert_false (overlap (r, &tile (tiles, j)->rect));
  }
}

static void
test_grid (void)
{
  /* Tile side by count: 1/1, 1/2 wide x full high, 1/2, 1/3, 1/4, 1/5. */
  for (guint n = 1; n <= 25; n++) {
    g_autoptr (GArray) t = compute (CR_LAYOUT_GRID, 1000, 1000, n);
    g_assert_cmpuint (t->len, ==, n);
    int side = n == 1 ? 1000 : n <= 4 ? 500 : n <= 9 ? 333 : n <= 16 ? 250 : 200;
    for (guint i = 0; i < n; i++) {
      g_assert_cmpint (ABS (tile (t, i)->rect.width - side), <=, 1);
      g_assert_cmpint (ABS (tile (t, i)->rect.height - (n == 2 ? 1000 : side)), <=, 1);
      g_assert_cmpint (tile (t, i)->stream, ==, (int)i);
    }
    assert_inside_and_apart (t, 1000, 1000, 0);
  }
  /* 1280x720: two side by side, three as 2 + 1 centred, five in a 3x3 grid centred. */
  g_autoptr (GArray) two = compute (CR_LAYOUT_GRID, 1280, 720, 2);
  ASSERT_RECT (tile (two, 0), 0, 0, 640, 720);
  ASSERT_RECT (tile (two, 1), 640, 0, 640, 720);
  g_autoptr (GArray) three = compute (CR_LAYOUT_GRID, 1280, 720, 3);
  ASSERT_RECT (tile (three, 0), 0, 0, 640, 360);
  ASSERT_RECT (tile (three, 1), 640, 0, 640, 360);
  ASSERT_RECT (tile (three, 2), 320, 360, 640, 360);
  g_autoptr (GArray) five = compute (CR_LAYOUT_GRID, 1280, 720, 5);
  ASSERT_RECT (tile (five, 0), 0, 120, 427, 240);
  ASSERT_RECT (tile (five, 2), 853, 120, 427, 240);
  ASSERT_RECT (tile (five, 3), 213, 360, 427, 240);
  ASSERT_RECT (tile (five, 4), 640, 360, 427, 240);
  g_autoptr (GArray) nine = compute (CR_LAYOUT_GRID, 1280, 720, 9);
  ASSERT_RECT (tile (nine, 8), 853, 480, 427, 240);
  g_autoptr (GArray) many = compute (CR_LAYOUT_GRID, 1280, 720, 30);
  g_assert_cmpuint (many->len, ==, 25); /* at most 25 pictures */
  ASSERT_RECT (tile (many, 24), 1024, 576, 256, 144);
}

static void
test_floating (void)
{
  for (guint n = 1; n <= 25; n++) {
    g_autoptr (GArray) t = compute (CR_LAYOUT_FLOATING, 1000, 1000, n);
    g_assert_cmpuint (t->len, ==, n);
    ASSERT_RECT (tile (t, 0), 0, 0, 1000, 1000);
    g_assert_cmpint (tile (t, 0)->z, <, n> 1 ? tile (t, 1)->z : 1);
    gboolean small = n <= 17;
    int size = small ? 235 : 188, gap = small ? 12 : 10, per_row = small ? 4 : 5;
    for (guint i = 1; i < n; i++) {
      int k = (int)i - 1, row = k / per_row, col = k % per_row;
      ASSERT_RECT (tile (t, i), gap + col * (size + gap), 1000 - gap - size - row * (size + gap),
                   size, size);
    }
    assert_inside_and_apart (t, 1000, 1000, 1);
  }
  /* MaxResolutionUserId takes the big picture; the others keep entry order. */
  CrLayoutOptions o
      = { .width = 1280, .height = 720, .mode = CR_LAYOUT_FLOATING, .max_resolution_user = "u2" };
  g_autoptr (GArray) t = cr_layout_compute (&o, streams, 4);
  g_assert_cmpint (tile (t, 0)->stream, ==, 2);
  g_assert_cmpint (tile (t, 1)->stream, ==, 0);
  g_assert_cmpint (tile (t, 3)->stream, ==, 3);
  ASSERT_RECT (tile (t, 1), 15, 542, 301, 169); /* 0.012*1280, (1-0.012-0.235)*720 */
}

static void
test_screen_share (void)
{
  struct {
    guint n;
    int sw, sh, big_w, big_h;
  } table[] = {
    { 2, 200, 250, 800, 1000 },  { 5, 200, 250, 800, 1000 },  { 6, 143, 167, 857, 1000 },
    { 7, 143, 167, 857, 1000 },  { 8, 111, 125, 889, 1000 },  { 9, 111, 125, 889, 1000 },
    { 10, 100, 125, 800, 1000 }, { 17, 100, 125, 800, 1000 }, { 18, 100, 125, 800, 875 },
    { 24, 100, 125, 800, 875 },
  };
  CrLayoutOptions o = {
    .width = 1000, .height = 1000, .mode = CR_LAYOUT_SCREEN_SHARE, .max_resolution_user = "u0"
  };
  for (guint c = 0; c < G_N_ELEMENTS (table); c++) {
    g_autoptr (GArray) t = cr_layout_compute (&o, streams, table[c].n);
    g_assert_cmpuint (t->len, ==, table[c].n);
    ASSERT_RECT (tile (t, 0), 0, 0, table[c].big_w, table[c].big_h);
    const CrRect *first = &tile (t, 1)->rect;
    g_assert_cmpint (first->x, ==, table[c].big_w);
    g_assert_cmpint (first->y, ==, 0);
    g_assert_cmpint (ABS (first->width - table[c].sw), <=, 1);
    g_assert_cmpint (ABS (first->height - table[c].sh), <=, 1);
    assert_inside_and_apart (t, 1000, 1000, 0);
  }
  /* Every count: never more than 24 pictures, all inside, none overlapping. */
  for (guint n = 1; n <= 26; n++) {
    g_autoptr (GArray) t = cr_layout_compute (&o, streams, n);
    g_assert_cmpuint (t->len, ==, MIN (n, 24));
    assert_inside_and_apart (t, 1000, 1000, 0);
  }
  /* 17 pictures: the second column starts with the 9th small tile. */
  g_autoptr (GArray) t17 = cr_layout_compute (&o, streams, 17);
  ASSERT_RECT (tile (t17, 8), 800, 875, 100, 125);
  ASSERT_RECT (tile (t17, 9), 900, 0, 100, 125);
  /* 20 pictures: 16 in the columns, 3 along the bottom from the bottom-left. */
  g_autoptr (GArray) t20 = cr_layout_compute (&o, streams, 20);
  ASSERT_RECT (tile (t20, 17), 0, 875, 100, 125);
  ASSERT_RECT (tile (t20, 19), 200, 875, 100, 125);
  /* No MaxResolutionUserId: the big slot is the background, everyone is small. */
  CrLayoutOptions none = o;
  none.max_resolution_user = NULL;
  g_autoptr (GArray) t = cr_layout_compute (&none, streams, 3);
  g_assert_cmpuint (t->len, ==, 4);
  g_assert_cmpint (tile (t, 0)->stream, ==, -1);
  g_assert_cmpint (tile (t, 1)->stream, ==, 0);
  /* MaxResolutionUserAlign 1: the big picture on the right, the columns on its left. */
  CrLayoutOptions right = o;
  right.big_on_right = TRUE;
  g_autoptr (GArray) r = cr_layout_compute (&right, streams, 12);
  ASSERT_RECT (tile (r, 0), 200, 0, 800, 1000);
  ASSERT_RECT (tile (r, 1), 100, 0, 100, 125);
  ASSERT_RECT (tile (r, 9), 0, 0, 100, 125);
}

static void
test_pure_audio (void)
{
  streams[1].has_video = FALSE;
  CrLayoutOptions o = { .width = 1000, .height = 1000, .mode = CR_LAYOUT_GRID };
  g_autoptr (GArray) keep = cr_layout_compute (&o, streams, 3);
  g_assert_cmpuint (keep->len, ==, 3); /* an audio-only user holds a tile by default */
  o.pure_audio_disable = TRUE;
  g_autoptr (GArray) drop = cr_layout_compute (&o, streams, 3);
  g_assert_cmpuint (drop->len, ==, 2);
  g_assert_cmpint (tile (drop, 1)->stream, ==, 2);
  ASSERT_RECT (tile (drop, 1), 500, 0, 500, 1000);
  streams[1].has_video = TRUE;
}

static void
test_custom (void)
{
  CrCustomTile list[] = {
    { 0, 0, 1280, 720, NULL, FALSE, 0, CR_RENDER_CROP, 0, NULL },           /* next in order */
    { 500, 900, 400, 400, "u3", FALSE, 128, CR_RENDER_LETTERBOX, 2, NULL }, /* clipped */
    { 10, 10, 320, 180, "u1", FALSE, 0, CR_RENDER_STRETCH, 1, NULL },
    { 10, 200, 320, 180, "nobody", FALSE, 0, CR_RENDER_CROP, 1, "http://x/p.png" },
    { 10, 400, 320, 180, NULL, FALSE, 0, CR_RENDER_CROP, 0, NULL },
  };
  CrLayoutOptions o = { .width = 1280,
                        .height = 720,
                        .mode = CR_LAYOUT_CUSTOM,
                        .custom = list,
                        .n_custom = G_N_ELEMENTS (list) };
  g_autoptr (GArray) t = cr_layout_compute (&o, streams, 4);
  g_assert_cmpuint (t->len, ==, 5);
  /* Drawn by ImageLayer, list order within a layer: layer 0 (u0, u2), 1 (u1, nobody), 2 (u3). */
  int order[] = { 0, 2, 1, -1, 3 };
  for (guint i = 0; i < 5; i++)
    g_assert_cmpint (tile (t, i)->stream, ==, order[i]);
  ASSERT_RECT (tile (t, 0), 0, 0, 1280, 720);
  ASSERT_RECT (tile (t, 4), 900, 500, 380, 220);
  g_assert_cmpint (tile (t, 4)->alpha, ==, 128);
  g_assert_cmpint (tile (t, 4)->render_mode, ==, CR_RENDER_LETTERBOX);
  g_assert_cmpstr (tile (t, 3)->sub_background_image, ==, "http://x/p.png");
}

static void
assert_crop (int in_w, int in_h, int tw, int th, int mode, int l, int r, int t, int b)
{
  int crop[4];
  cr_layout_crop (in_w, in_h, tw, th, mode, crop);
  g_assert_cmpint (crop[0], ==, l);
  g_assert_cmpint (crop[1], ==, r);
  g_assert_cmpint (crop[2], ==, t);
  g_assert_cmpint (crop[3], ==, b);
}

static void
test_render_crop (void)
{
  /* 16:9 into a square: crop keeps the middle 360 columns; smart cuts only 20% (128). */
  assert_crop (640, 360, 320, 320, CR_RENDER_CROP, 140, 140, 0, 0);
  assert_crop (640, 360, 320, 320, CR_RENDER_SMART, 64, 64, 0, 0);
  /* Portrait into landscape: rows cut, even, centred. */
  assert_crop (360, 640, 640, 360, CR_RENDER_CROP, 0, 0, 218, 220);
  assert_crop (360, 640, 640, 360, CR_RENDER_SMART, 0, 0, 64, 64);
  /* Same aspect, stretch and letterbox: nothing cut. */
  assert_crop (1280, 720, 640, 360, CR_RENDER_CROP, 0, 0, 0, 0);
  assert_crop (640, 360, 320, 320, CR_RENDER_STRETCH, 0, 0, 0, 0);
  assert_crop (640, 360, 320, 320, CR_RENDER_LETTERBOX, 0, 0, 0, 0);
  assert_crop (0, 0, 320, 320, CR_RENDER_CROP, 0, 0, 0, 0);
  g_assert_true (cr_layout_keeps_aspect (CR_RENDER_LETTERBOX));
  g_assert_true (cr_layout_keeps_aspect (CR_RENDER_SMART));
  g_assert_false (cr_layout_keeps_aspect (CR_RENDER_CROP));
  g_assert_false (cr_layout_keeps_aspect (CR_RENDER_STRETCH));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  setup_streams ();
  g_test_add_func ("/layout/grid", test_grid);
  g_test_add_func ("/layout/floating", test_floating);
  g_test_add_func ("/layout/screen-share", test_screen_share);
  g_test_add_func ("/layout/pure-audio", test_pure_audio);
  g_test_add_func ("/layout/custom", test_custom);
  g_test_add_func ("/layout/render-crop", test_render_crop);
  return g_test_run ();
}
