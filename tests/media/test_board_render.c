/* The board's cairo drawing, at two sizes (1280x960 and 640x360): a red stroke is red along its
 * centre line, a blue filled rectangle blue inside and black on its outline, black text is
 * drawn in its box at size*H px, white everywhere else; the renderer that draws only new
 * elements gives the same pixels as drawing the page whole, and draws again after an undo. */
#include <cairo.h>

#include "board/board_render.h"

static void
apply (CrBoardState *s, const char *json)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, json, -1, NULL));
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_board_state_apply (s, json_node_get_object (json_parser_get_root (p)), &error));
  g_assert_no_error (error);
}

static CrBoardState *
scene (void)
{
  CrBoardState *s = cr_board_state_new ();
  /* A red stroke along y = 0.5 from x 0.1 to 0.4, 0.02 H wide. */
  apply (s, "{\"kind\":\"stroke\",\"id\":\"s\",\"page\":0,\"color\":\"#ff0000\",\"width\":0.02,"
            "\"points\":[[0.1,0.5],[0.25,0.5],[0.4,0.5]]}");
  /* A blue rectangle with a black outline 0.01 H wide. */
  apply (s, "{\"kind\":\"shape\",\"id\":\"r\",\"page\":0,\"shape\":\"rect\",\"color\":\"#000000\","
            "\"width\":0.01,\"fill\":\"#0000ff\",\"x0\":0.5,\"y0\":0.1,\"x1\":0.9,\"y1\":0.4}");
  /* Black text 0.1 H high, its box's top-left at (0.1, 0.7). */
  apply (s, "{\"kind\":\"text\",\"id\":\"t\",\"page\":0,\"color\":\"#000000\",\"size\":0.1,"
            "\"x\":0.1,\"y\":0.7,\"text\":\"HHHH\"}");
  return s;
}

static guint32
pixel (cairo_surface_t *surface, double fx, double fy)
{
  int w = cairo_image_surface_get_width (surface), h = cairo_image_surface_get_height (surface);
  int x = CLAMP ((int)(fx * w), 0, w - 1), y = CLAMP ((int)(fy * h), 0, h - 1);
  const guint8 *row = cairo_image_surface_get_data (surface)
                      + (gsize)y * cairo_image_surface_get_stride (surface);
  return ((const guint32 *)row)[x] & 0xffffff;
}

#define assert_pixel(surface, fx, fy, rgb)                                                         \
  G_STMT_START                                                                                     \
  {                                                                                                \
    guint32 got_ = pixel (surface, fx, fy);                                                        \
    if (got_ != (rgb))                                                                             \
      g_error ("%dx%d at (%g, %g): %06x, not %06x", cairo_image_surface_get_width (surface),       \
               cairo_image_surface_get_height (surface), (double)(fx), (double)(fy), got_,         \
               (guint32)(rgb));                                                                    \
  }                                                                                                \
  G_STMT_END

/* The rows [top, bottom] holding a pixel darker than mid-grey in columns [x0, x1). */
static void
dark_rows (cairo_surface_t *surface, int x0, int x1, int *top, int *bottom)
{
  int h = cairo_image_surface_get_height (surface);
  *top = -1;
  *bottom = -1;
  for (int y = 0; y < h; y++) {
    const guint32 *row = (const guint32 *)(cairo_image_surface_get_data (surface)
                                           + (gsize)y * cairo_image_surface_get_stride (surface));
    for (int x = x0; x < x1; x++) {
      guint32 p = row[x];
      if (((p >> 16) & 0xff) < 128 && ((p >> 8) & 0xff) < 128 && (p & 0xff) < 128) {
        if (*top < 0)
          *top = y;
        *bottom = y;
        break;
      }
    }
  }
}

static void
check_scene (cairo_surface_t *surface)
{
  int w = cairo_image_surface_get_width (surface), h = cairo_image_surface_get_height (surface);
  /* The stroke: red on its centre line, and across its width (0.02 H: +-0.01 H). */
  assert_pixel (surface, 0.25, 0.5, 0xff0000);
  assert_pixel (surface, 0.12, 0.5, 0xff0000);
  assert_pixel (surface, 0.38, 0.5, 0xff0000);
  assert_pixel (surface, 0.25, 0.5 - 0.005, 0xff0000);
  assert_pixel (surface, 0.25, 0.5 + 0.02, 0xffffff); /* beyond its half width */
  assert_pixel (surface, 0.45, 0.5, 0xffffff);        /* beyond its round cap */
  /* The rectangle: blue inside, black on the outline, white outside. */
  assert_pixel (surface, 0.7, 0.25, 0x0000ff);
  assert_pixel (surface, 0.52, 0.12, 0x0000ff);
  assert_pixel (surface, 0.7, 0.1, 0x000000);
  assert_pixel (surface, 0.5, 0.25, 0x000000);
  assert_pixel (surface, 0.7, 0.45, 0xffffff);
  assert_pixel (surface, 0.95, 0.25, 0xffffff);
  /* White elsewhere. */
  assert_pixel (surface, 0.0, 0.0, 0xffffff);
  assert_pixel (surface, 0.99, 0.99, 0xffffff);
  assert_pixel (surface, 0.3, 0.2, 0xffffff);
  assert_pixel (surface, 0.8, 0.8, 0xffffff);
  /* The text: dark pixels only in its box, their height that of capitals at 0.1 H px
   * (DejaVu Sans' cap height is 0.73 em), starting below the box's top. */
  int top, bottom;
  dark_rows (surface, (int)(0.1 * w), (int)(0.45 * w), &top, &bottom);
  g_assert_cmpint (top, >=, (int)(0.7 * h));
  g_assert_cmpint (bottom, <=, (int)(0.8 * h) + 1);
  double cap = (double)(bottom - top + 1) / (0.1 * h);
  if (cap < 0.6 || cap > 0.85)
    g_error ("%dx%d: the text's capitals are %.2f of its size", w, h, cap);
  int left, right;
  dark_rows (surface, 0, (int)(0.1 * w) - 1, &left, &right);
  g_assert_cmpint (left, <, 0); /* nothing dark left of the box */
}

static void
test_sizes (void)
{
  static const int sizes[][2] = { { 1280, 960 }, { 640, 360 } };
  g_autoptr (CrBoardState) s = scene ();
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    int w = sizes[i][0], h = sizes[i][1];
    cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create (surface);
    cr_board_render (cr, s, w, h);
    cairo_destroy (cr);
    cairo_surface_flush (surface);
    check_scene (surface);
    cairo_surface_destroy (surface);
  }
}

/* Another page shown: only its elements; an ellipse and a one-point stroke draw. */
static void
test_pages_shapes (void)
{
  g_autoptr (CrBoardState) s = scene ();
  apply (s, "{\"kind\":\"page\",\"action\":\"add\",\"page\":1}");
  apply (s, "{\"kind\":\"shape\",\"id\":\"e\",\"page\":1,\"shape\":\"ellipse\","
            "\"color\":\"#00ff00\",\"width\":0.01,\"fill\":\"#ff00ff\",\"x0\":0.2,\"y0\":0.2,"
            "\"x1\":0.6,\"y1\":0.6}");
  apply (s, "{\"kind\":\"stroke\",\"id\":\"dot\",\"page\":1,\"color\":\"#0000ff\",\"width\":0.05,"
            "\"points\":[[0.8,0.8]]}");
  apply (s, "{\"kind\":\"shape\",\"id\":\"flat\",\"page\":1,\"shape\":\"ellipse\","
            "\"color\":\"#000000\",\"width\":0.01,\"fill\":null,\"x0\":0.1,\"y0\":0.9,"
            "\"x1\":0.1,\"y1\":0.95}"); /* zero width: no failure of cairo, still drawn flat */
  g_autoptr (CrBoardRenderer) r = cr_board_renderer_new (640, 360);
  g_assert_true (cr_board_renderer_update (r, s));
  cairo_surface_t *surface = cr_board_renderer_surface (r);
  assert_pixel (surface, 0.4, 0.4, 0xff00ff);   /* the ellipse's fill */
  assert_pixel (surface, 0.4, 0.2, 0x00ff00);   /* its outline, top */
  assert_pixel (surface, 0.21, 0.21, 0xffffff); /* the box's corner is outside the ellipse */
  assert_pixel (surface, 0.8, 0.8, 0x0000ff);   /* the dot */
  assert_pixel (surface, 0.12, 0.5, 0xffffff);  /* page 0's stroke is not shown */
  assert_pixel (surface, 0.7, 0.25, 0xffffff);  /* nor its rectangle */
}

static gboolean
same_pixels (cairo_surface_t *a, cairo_surface_t *b)
{
  int h = cairo_image_surface_get_height (a), stride = cairo_image_surface_get_stride (a);
  int w = cairo_image_surface_get_width (a);
  for (int y = 0; y < h; y++) {
    const guint32 *ra = (const guint32 *)(cairo_image_surface_get_data (a) + (gsize)y * stride);
    const guint32 *rb = (const guint32 *)(cairo_image_surface_get_data (b) + (gsize)y * stride);
    for (int x = 0; x < w; x++)
      if ((ra[x] & 0xffffff) != (rb[x] & 0xffffff))
        return FALSE;
  }
  return TRUE;
}

static void
test_incremental (void)
{
  g_autoptr (CrBoardState) s = cr_board_state_new ();
  g_autoptr (CrBoardRenderer) grown = cr_board_renderer_new (640, 360);
  g_assert_true (cr_board_renderer_update (grown, s));
  g_assert_false (cr_board_renderer_update (grown, s)); /* the same version: nothing drawn */
  g_autoptr (CrBoardState) ref = scene ();
  /* The scene's ops one by one, the renderer brought up to date after each. */
  apply (s, "{\"kind\":\"stroke\",\"id\":\"s\",\"page\":0,\"color\":\"#ff0000\",\"width\":0.02,"
            "\"points\":[[0.1,0.5],[0.25,0.5],[0.4,0.5]]}");
  g_assert_true (cr_board_renderer_update (grown, s));
  apply (s, "{\"kind\":\"shape\",\"id\":\"r\",\"page\":0,\"shape\":\"rect\",\"color\":\"#000000\","
            "\"width\":0.01,\"fill\":\"#0000ff\",\"x0\":0.5,\"y0\":0.1,\"x1\":0.9,\"y1\":0.4}");
  g_assert_true (cr_board_renderer_update (grown, s));
  apply (s, "{\"kind\":\"text\",\"id\":\"t\",\"page\":0,\"color\":\"#000000\",\"size\":0.1,"
            "\"x\":0.1,\"y\":0.7,\"text\":\"HHHH\"}");
  g_assert_true (cr_board_renderer_update (grown, s));
  guint full, partial;
  cr_board_renderer_counts (grown, &full, &partial);
  g_assert_cmpuint (full, ==, 1);
  g_assert_cmpuint (partial, ==, 3);
  g_autoptr (CrBoardRenderer) whole = cr_board_renderer_new (640, 360);
  g_assert_true (cr_board_renderer_update (whole, ref));
  g_assert_true (
      same_pixels (cr_board_renderer_surface (grown), cr_board_renderer_surface (whole)));
  check_scene (cr_board_renderer_surface (grown));
  /* A change on a page not shown: nothing to draw. */
  apply (s, "{\"kind\":\"page\",\"action\":\"add\",\"page\":1}");
  apply (s, "{\"kind\":\"page\",\"action\":\"goto\",\"page\":0}");
  g_assert_true (cr_board_renderer_update (grown, s)); /* another page was shown in between */
  apply (s, "{\"kind\":\"stroke\",\"id\":\"p1\",\"page\":1,\"color\":\"#ff0000\",\"width\":0.02,"
            "\"points\":[[0.5,0.5]]}");
  g_assert_false (cr_board_renderer_update (grown, s));
  /* Undo: the page drawn again, the stroke gone. */
  apply (s, "{\"kind\":\"undo\",\"id\":\"s\"}");
  g_assert_true (cr_board_renderer_update (grown, s));
  assert_pixel (cr_board_renderer_surface (grown), 0.25, 0.5, 0xffffff);
  assert_pixel (cr_board_renderer_surface (grown), 0.7, 0.25, 0x0000ff);
  cr_board_renderer_counts (grown, &full, &partial);
  g_assert_cmpuint (full, ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/board_render/sizes", test_sizes);
  g_test_add_func ("/board_render/pages_shapes", test_pages_shapes);
  g_test_add_func ("/board_render/incremental", test_incremental);
  return g_test_run ();
}
