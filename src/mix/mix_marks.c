/* Watermarks of the mix: image and text marks drawn over the finished picture, with their own
 * transparency, by one overlaycomposition element after the compositor.
 *
 * Why not compositor layers: the compositor refuses inputs with alpha when its output (I420, what
 * the encoder takes) has none, and an alpha canvas would cost a conversion of every frame. An
 * overlay composition blends only the marks' rectangles. Each mark is rasterised once (pictures
 * fitted by picture.c, text drawn by textrender) and kept by its id while it stays listed. */
#include <string.h>

#include "mix/mix_private.h"

/* A straight-alpha RGBA picture as an overlay rectangle at @rect. */
static GstVideoOverlayRectangle *
mark_from_picture (const CrPicture *picture, CrRect rect)
{
  gsize size = 0;
  const guint8 *from = g_bytes_get_data (picture->rgba, &size);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i + 3 < size; i += 4) { /* BGRA in memory */
    map.data[i] = from[i + 2], map.data[i + 1] = from[i + 1], map.data[i + 2] = from[i];
    map.data[i + 3] = from[i + 3];
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_add_video_meta (buf, GST_VIDEO_FRAME_FLAG_NONE,
                             GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, (guint)picture->width,
                             (guint)picture->height);
  GstVideoOverlayRectangle *r = gst_video_overlay_rectangle_new_raw (
      buf, rect.x, rect.y, (guint)rect.width, (guint)rect.height,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  gst_buffer_unref (buf);
  return r;
}

/* A text box, rasterised by the pango plugin's textrender. */
static GstVideoOverlayRectangle *
mark_from_text (const CrMixLayer *spec)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrPicture) picture
      = cr_picture_text (spec->text, spec->font, spec->font_px, spec->argb, spec->bg_argb,
                         spec->rect.width, spec->rect.height, &error);
  if (picture == NULL) {
    GST_WARNING ("text watermark \"%s\": %s", spec->text != NULL ? spec->text : "", error->message);
    g_warning ("text watermark \"%s\": %s", spec->text != NULL ? spec->text : "", error->message);
    return NULL;
  }
  return mark_from_picture (picture, spec->rect);
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
