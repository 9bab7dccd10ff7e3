/* Watermarks of the mix: image and text marks drawn over the finished picture, with their own
 * transparency, by one overlaycomposition element after the compositor.
 *
 * Why not compositor layers: the compositor refuses inputs with alpha when its output (I420, what
 * the encoder takes) has none, and an alpha canvas would cost a conversion of every frame. An
 * overlay composition blends only the marks' rectangles. Each mark is rasterised once (pictures
 * from the fitted pixbuf, text with Pango and Cairo) and kept by its id while it stays listed. */
#include <pango/pangocairo.h>
#include <string.h>

#include "recorder/mix_private.h"

/* A straight-alpha RGBA(A) pixbuf as an overlay rectangle at @rect. */
static GstVideoOverlayRectangle *
mark_from_picture (GdkPixbuf *picture, CrRect rect)
{
  int w = gdk_pixbuf_get_width (picture), h = gdk_pixbuf_get_height (picture);
  int stride = gdk_pixbuf_get_rowstride (picture), channels = gdk_pixbuf_get_n_channels (picture);
  const guint8 *pixels = gdk_pixbuf_read_pixels (picture);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, (gsize)w * h * 4, NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (int y = 0; y < h; y++) {
    const guint8 *from = pixels + (gsize)y * stride;
    guint8 *to = map.data + (gsize)y * w * 4;
    for (int x = 0; x < w; x++, from += channels, to += 4) {
      to[0] = from[2], to[1] = from[1], to[2] = from[0]; /* BGRA in memory */
      to[3] = channels == 4 ? from[3] : 255;
    }
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_add_video_meta (buf, GST_VIDEO_FRAME_FLAG_NONE,
                             GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, (guint)w, (guint)h);
  GstVideoOverlayRectangle *r = gst_video_overlay_rectangle_new_raw (
      buf, rect.x, rect.y, (guint)rect.width, (guint)rect.height,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  gst_buffer_unref (buf);
  return r;
}

static void
cairo_set_argb (cairo_t *cr, guint32 argb)
{
  cairo_set_source_rgba (cr, ((argb >> 16) & 0xff) / 255.0, ((argb >> 8) & 0xff) / 255.0,
                         (argb & 0xff) / 255.0, ((argb >> 24) & 0xff) / 255.0);
}

/* A text box: its background colour (or none), the text from the top-left corner, wrapped at
 * the box's width and clipped to it. */
static GstVideoOverlayRectangle *
mark_from_text (const CrMixLayer *spec)
{
  int w = MAX (spec->rect.width, 1), h = MAX (spec->rect.height, 1);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cairo_t *cr = cairo_create (surface);
  if ((spec->bg_argb >> 24) != 0) {
    cairo_set_argb (cr, spec->bg_argb);
    cairo_paint (cr);
  }
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *font
      = pango_font_description_from_string (spec->font != NULL ? spec->font : "Sans");
  pango_font_description_set_absolute_size (font, MAX (spec->font_px, 1) * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_width (layout, w * PANGO_SCALE);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_text (layout, spec->text != NULL ? spec->text : "", -1);
  cairo_set_argb (cr, spec->argb);
  pango_cairo_show_layout (cr, layout);
  pango_font_description_free (font);
  g_object_unref (layout);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  /* Cairo's ARGB32 is premultiplied BGRA in memory on little-endian machines. */
  int stride = cairo_image_surface_get_stride (surface);
  const guint8 *data = cairo_image_surface_get_data (surface);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, (gsize)w * h * 4, NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (int y = 0; y < h; y++) {
    const guint32 *from = (const guint32 *)(data + (gsize)y * stride);
    guint8 *to = map.data + (gsize)y * w * 4;
    for (int x = 0; x < w; x++, to += 4) {
      guint32 p = from[x];
      to[0] = p & 0xff, to[1] = (p >> 8) & 0xff, to[2] = (p >> 16) & 0xff, to[3] = p >> 24;
    }
  }
  gst_buffer_unmap (buf, &map);
  cairo_surface_destroy (surface);
  gst_buffer_add_video_meta (buf, GST_VIDEO_FRAME_FLAG_NONE,
                             GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, (guint)w, (guint)h);
  GstVideoOverlayRectangle *r
      = gst_video_overlay_rectangle_new_raw (buf, spec->rect.x, spec->rect.y, (guint)w, (guint)h,
                                             GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  gst_buffer_unref (buf);
  return r;
}

/* overlaycomposition asks for the marks of each frame (streaming thread; transfer full). */
static GstVideoOverlayComposition *
mix_marks_draw (GstElement *overlay, GstSample *sample, gpointer data)
{
  CrMix *m = data;
  g_mutex_lock (&m->marks_lock);
  GstVideoOverlayComposition *c
      = m->marks != NULL ? gst_video_overlay_composition_ref (m->marks) : NULL;
  g_mutex_unlock (&m->marks_lock);
  return c;
}

void
mix_marks_attach (CrMix *m, GstElement *overlay)
{
  g_mutex_init (&m->marks_lock);
  m->mark_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify)gst_video_overlay_rectangle_unref);
  if (overlay != NULL)
    g_signal_connect (overlay, "draw", G_CALLBACK (mix_marks_draw), m);
}

void
mix_marks_set (CrMix *m, const CrMixLayer *layers, guint n)
{
  g_autoptr (GHashTable) cache = g_hash_table_new_full (
      g_str_hash, g_str_equal, g_free, (GDestroyNotify)gst_video_overlay_rectangle_unref);
  GstVideoOverlayComposition *marks = NULL;
  for (guint i = 0; i < n; i++) {
    const CrMixLayer *spec = &layers[i];
    if (!spec->over || g_hash_table_contains (cache, spec->id))
      continue;
    GstVideoOverlayRectangle *r = g_hash_table_lookup (m->mark_cache, spec->id);
    if (r != NULL)
      gst_video_overlay_rectangle_ref (r);
    else if (spec->kind == CR_MIX_LAYER_TEXT)
      r = mark_from_text (spec);
    else if (spec->kind == CR_MIX_LAYER_PICTURE && spec->picture != NULL)
      r = mark_from_picture (spec->picture, spec->rect);
    if (r == NULL)
      continue;
    g_hash_table_insert (cache, g_strdup (spec->id), r);
    if (marks == NULL)
      marks = gst_video_overlay_composition_new (r);
    else
      gst_video_overlay_composition_add_rectangle (marks, r);
  }
  g_mutex_lock (&m->marks_lock);
  if (m->marks != NULL)
    gst_video_overlay_composition_unref (m->marks);
  m->marks = marks;
  g_mutex_unlock (&m->marks_lock);
  g_hash_table_unref (m->mark_cache); /* the marks still listed hold a ref in the new cache */
  m->mark_cache = g_steal_pointer (&cache);
}

void
mix_marks_clear (CrMix *m)
{
  if (m->marks != NULL)
    gst_video_overlay_composition_unref (m->marks);
  m->marks = NULL;
  g_hash_table_unref (m->mark_cache);
  g_mutex_clear (&m->marks_lock);
}
