/* A board state drawn with cairo and pango; see board_render.h. */
#include "board_render.h"

#include <pango/pangocairo.h>

#define KAPPA 0.5522847498307936 /* four cubic Béziers make a circle */

static void
set_rgb (cairo_t *cr, guint32 rgb)
{
  cairo_set_source_rgb (cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                        (rgb & 0xff) / 255.0);
}

/* The ellipse in the box (x0, y0)-(x1, y1) as a path, without a scaled matrix (a box of zero
 * width or height would make it singular: the path is then flat, as a canvas draws it). */
static void
ellipse_path (cairo_t *cr, double x0, double y0, double x1, double y1)
{
  double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, rx = (x1 - x0) / 2, ry = (y1 - y0) / 2;
  double kx = rx * KAPPA, ky = ry * KAPPA;
  cairo_new_path (cr);
  cairo_move_to (cr, cx + rx, cy);
  cairo_curve_to (cr, cx + rx, cy + ky, cx + kx, cy + ry, cx, cy + ry);
  cairo_curve_to (cr, cx - kx, cy + ry, cx - rx, cy + ky, cx - rx, cy);
  cairo_curve_to (cr, cx - rx, cy - ky, cx - kx, cy - ry, cx, cy - ry);
  cairo_curve_to (cr, cx + kx, cy - ry, cx + rx, cy - ky, cx + rx, cy);
  cairo_close_path (cr);
}

static void
draw_text (cairo_t *cr, const CrBoardElement *e, int width, int height)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *font = pango_font_description_from_string ("Sans");
  pango_font_description_set_absolute_size (font, e->size * height * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_text (layout, e->text, -1);
  set_rgb (cr, e->color);
  cairo_move_to (cr, e->x * width, e->y * height);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

void
cr_board_render_element (cairo_t *cr, const CrBoardElement *e, int width, int height)
{
  cairo_save (cr);
  cairo_new_path (cr);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  switch (e->kind) {
  case CR_BOARD_EL_STROKE:
    cairo_set_line_width (cr, e->width * height);
    cairo_move_to (cr, e->points[0] * width, e->points[1] * height);
    /* One point: a zero-length segment, which round caps draw as a dot. */
    for (guint i = e->n_points > 1 ? 1 : 0; i < e->n_points; i++)
      cairo_line_to (cr, e->points[2 * i] * width, e->points[2 * i + 1] * height);
    set_rgb (cr, e->color);
    cairo_stroke (cr);
    break;
  case CR_BOARD_EL_SHAPE: {
    double x0 = e->x0 * width, y0 = e->y0 * height, x1 = e->x1 * width, y1 = e->y1 * height;
    cairo_set_line_width (cr, e->width * height);
    if (e->shape == CR_BOARD_SHAPE_LINE) {
      cairo_move_to (cr, x0, y0);
      cairo_line_to (cr, x1, y1);
    } else if (e->shape == CR_BOARD_SHAPE_RECT) {
      cairo_rectangle (cr, x0, y0, x1 - x0, y1 - y0);
    } else {
      ellipse_path (cr, x0, y0, x1, y1);
    }
    if (e->filled) {
      set_rgb (cr, e->fill);
      cairo_fill_preserve (cr);
    }
    set_rgb (cr, e->color);
    cairo_stroke (cr);
    break;
  }
  case CR_BOARD_EL_TEXT:
    draw_text (cr, e, width, height);
    break;
  }
  cairo_restore (cr);
}

void
cr_board_render (cairo_t *cr, const CrBoardState *s, int width, int height)
{
  cairo_save (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_fill (cr);
  cairo_restore (cr);
  GPtrArray *page = cr_board_state_shown (s);
  for (guint i = 0; i < page->len; i++)
    cr_board_render_element (cr, g_ptr_array_index (page, i), width, height);
}

struct _CrBoardRenderer {
  int width, height;
  cairo_surface_t *surface;
  cairo_t *cr;
  gboolean drawn;      /* a state was drawn: the fields below describe it */
  guint64 version;     /* of the state drawn */
  guint64 generation;  /* of the state drawn */
  guint shown;         /* its page */
  guint elements;      /* how many of that page's elements are drawn */
  guint full, partial; /* counts */
};

CrBoardRenderer *
cr_board_renderer_new (int width, int height)
{
  CrBoardRenderer *r = g_new0 (CrBoardRenderer, 1);
  r->width = width;
  r->height = height;
  r->surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  r->cr = cairo_create (r->surface);
  cairo_set_source_rgb (r->cr, 1, 1, 1);
  cairo_paint (r->cr);
  return r;
}

void
cr_board_renderer_free (CrBoardRenderer *r)
{
  if (r == NULL)
    return;
  cairo_destroy (r->cr);
  cairo_surface_destroy (r->surface);
  g_free (r);
}

gboolean
cr_board_renderer_update (CrBoardRenderer *r, const CrBoardState *s)
{
  if (r->drawn && s->version == r->version)
    return FALSE;
  GPtrArray *page = cr_board_state_shown (s);
  if (r->drawn && s->generation == r->generation && s->shown == r->shown
      && page->len >= r->elements) {
    r->version = s->version;
    if (page->len == r->elements)
      return FALSE; /* the change was on another page */
    for (guint i = r->elements; i < page->len; i++)
      cr_board_render_element (r->cr, g_ptr_array_index (page, i), r->width, r->height);
    r->partial++;
  } else {
    cr_board_render (r->cr, s, r->width, r->height);
    r->full++;
  }
  r->drawn = TRUE;
  r->version = s->version;
  r->generation = s->generation;
  r->shown = s->shown;
  r->elements = page->len;
  cairo_surface_flush (r->surface);
  return TRUE;
}

cairo_surface_t *
cr_board_renderer_surface (CrBoardRenderer *r)
{
  return r->surface;
}

void
cr_board_renderer_counts (const CrBoardRenderer *r, guint *full, guint *partial)
{
  *full = r->full;
  *partial = r->partial;
}
