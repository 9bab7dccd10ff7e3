/* Decoding, rasterising and fitting still pictures; see picture.h. */
#include "picture.h"

#include <gio/gio.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <string.h>

#include "media/elements.h"
#include "mix/layout.h"

GST_DEBUG_CATEGORY_STATIC (cr_picture_debug);
#define GST_CAT_DEFAULT cr_picture_debug
#define DEBUG_INIT()                                                                               \
  CR_DEBUG_INIT (cr_picture_debug, "cloudrec-picture", "cloudrec: still pictures of the mix")

#define PICTURE_TIMEOUT (5 * GST_SECOND)
#define PICTURE_MAX_FILE (8 * 1024 * 1024)

void
cr_picture_free (CrPicture *p)
{
  if (p == NULL)
    return;
  g_bytes_unref (p->rgba);
  g_free (p);
}

/* The size a JPEG declares in its first frame header (SOFn), or FALSE. */
static gboolean
jpeg_size (const guint8 *d, gsize n, int *width, int *height)
{
  gsize i = 2;
  while (i + 9 < n) {
    if (d[i] != 0xff)
      return FALSE;
    guint8 marker = d[i + 1];
    gsize len = ((gsize)d[i + 2] << 8) | d[i + 3];
    if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc) {
      *height = (d[i + 5] << 8) | d[i + 6];
      *width = (d[i + 7] << 8) | d[i + 8];
      return TRUE;
    }
    i += 2 + len;
  }
  return FALSE;
}

const char *
cr_picture_decoder_for (const guint8 *d, gsize n, int *width, int *height, GError **error)
{
  const char *decoder = NULL;
  *width = *height = 0;
  if (n >= 24 && memcmp (d, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp (d + 12, "IHDR", 4) == 0) {
    *width = (int)MIN ((guint32)d[16] << 24 | (guint32)d[17] << 16 | (guint32)d[18] << 8 | d[19],
                       (guint32)G_MAXINT);
    *height = (int)MIN ((guint32)d[20] << 24 | (guint32)d[21] << 16 | (guint32)d[22] << 8 | d[23],
                        (guint32)G_MAXINT);
    decoder = "pngdec";
  } else if (n >= 4 && d[0] == 0xff && d[1] == 0xd8 && jpeg_size (d, n, width, height)) {
    decoder = "jpegdec";
  } else {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not a PNG or JPEG picture");
    return NULL;
  }
  if (*width <= 0 || *height <= 0 || *width > CR_PICTURE_MAX_SIDE
      || *height > CR_PICTURE_MAX_SIDE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "a %dx%d picture: pictures are 1 to %d pixels a side", *width, *height,
                 CR_PICTURE_MAX_SIDE);
    return NULL;
  }
  return decoder;
}

/* Which decoder @path needs, after checking what it says of its size. */
static const char *
picture_decoder (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize n = 0;
  if (!g_file_get_contents (path, &data, &n, error))
    return NULL;
  if (n > PICTURE_MAX_FILE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is larger than %d bytes", path,
                 PICTURE_MAX_FILE);
    return NULL;
  }
  int width = 0, height = 0;
  GError *local = NULL;
  const char *decoder = cr_picture_decoder_for ((const guint8 *)data, n, &width, &height, &local);
  if (decoder == NULL)
    g_propagate_prefixed_error (error, local, "%s: ", path);
  return decoder;
}

/* Runs @pipeline (an appsink named "sink" at its end) until it hands over one sample. */
static GstSample *
picture_pull (GstElement *pipeline, const char *what, GError **error)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), PICTURE_TIMEOUT);
  gst_object_unref (sink);
  if (sample == NULL) {
    GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    GError *cause = NULL;
    if (msg != NULL)
      gst_message_parse_error (msg, &cause, NULL);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", what,
                 cause != NULL ? cause->message : "nothing came out");
    g_clear_error (&cause);
    g_clear_pointer (&msg, gst_message_unref);
    gst_object_unref (bus);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return sample;
}

/* Converts the RGBA @sample into a @width x @height picture: @crop[4] of the source cut off, the
 * rest scaled into the centred @dest_w x @dest_h, transparent around. */
static CrPicture *
picture_convert (GstSample *sample, const int crop[4], int width, int height, int dest_w,
                 int dest_h)
{
  GstVideoInfo in, out;
  gst_video_info_from_caps (&in, gst_sample_get_caps (sample));
  gst_video_info_set_format (&out, GST_VIDEO_FORMAT_RGBA, (guint)width, (guint)height);
  GST_VIDEO_INFO_FPS_N (&out) = GST_VIDEO_INFO_FPS_N (&in); /* the converter wants them equal */
  GST_VIDEO_INFO_FPS_D (&out) = GST_VIDEO_INFO_FPS_D (&in);
  GstStructure *config = gst_structure_new (
      "GstVideoConverter", GST_VIDEO_CONVERTER_OPT_SRC_X, G_TYPE_INT, crop[0],
      GST_VIDEO_CONVERTER_OPT_SRC_Y, G_TYPE_INT, crop[2], GST_VIDEO_CONVERTER_OPT_SRC_WIDTH,
      G_TYPE_INT, GST_VIDEO_INFO_WIDTH (&in) - crop[0] - crop[1],
      GST_VIDEO_CONVERTER_OPT_SRC_HEIGHT, G_TYPE_INT,
      GST_VIDEO_INFO_HEIGHT (&in) - crop[2] - crop[3], GST_VIDEO_CONVERTER_OPT_DEST_X, G_TYPE_INT,
      (width - dest_w) / 2, GST_VIDEO_CONVERTER_OPT_DEST_Y, G_TYPE_INT, (height - dest_h) / 2,
      GST_VIDEO_CONVERTER_OPT_DEST_WIDTH, G_TYPE_INT, dest_w, GST_VIDEO_CONVERTER_OPT_DEST_HEIGHT,
      G_TYPE_INT, dest_h, GST_VIDEO_CONVERTER_OPT_FILL_BORDER, G_TYPE_BOOLEAN, TRUE,
      GST_VIDEO_CONVERTER_OPT_BORDER_ARGB, G_TYPE_UINT, 0x00000000u, NULL);
  GstVideoConverter *convert = gst_video_converter_new (&in, &out, config);
  GstBuffer *to = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&out), NULL);
  GstVideoFrame src, dst;
  gboolean ok = gst_video_frame_map (&src, &in, gst_sample_get_buffer (sample), GST_MAP_READ);
  if (ok && !gst_video_frame_map (&dst, &out, to, GST_MAP_WRITE)) {
    gst_video_frame_unmap (&src);
    ok = FALSE;
  }
  CrPicture *p = NULL;
  if (ok) {
    gst_video_converter_frame (convert, &src, &dst);
    gst_video_frame_unmap (&src);
    gst_video_frame_unmap (&dst);
    p = g_new0 (CrPicture, 1);
    p->width = width;
    p->height = height;
    gsize size = 0;
    gpointer rgba = NULL;
    gst_buffer_extract_dup (to, 0, (gsize)width * height * 4, &rgba, &size);
    p->rgba = g_bytes_new_take (rgba, size);
  }
  gst_buffer_unref (to);
  gst_video_converter_free (convert);
  return p;
}

CrPicture *
cr_picture_fit (const char *path, int width, int height, int render_mode, GError **error)
{
  if (width <= 0 || height <= 0 || width > CR_PICTURE_MAX_SIDE || height > CR_PICTURE_MAX_SIDE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "no room for a picture: %dx%d",
                 width, height);
    return NULL;
  }
  DEBUG_INIT ();
  const char *decoder = picture_decoder (path, error);
  if (decoder == NULL)
    return NULL;
  GST_DEBUG ("%s (%s) to %dx%d, render mode %d", path, decoder, width, height, render_mode);
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = cr_element ("filesrc", NULL, error);
  GstElement *decode = src != NULL ? cr_element (decoder, NULL, error) : NULL;
  GstElement *convert = decode != NULL ? cr_element ("videoconvert", NULL, error) : NULL;
  GstElement *sink = convert != NULL ? cr_element ("appsink", "sink", error) : NULL;
  if (sink == NULL) {
    gst_object_unref (pipeline);
    return NULL;
  }
  g_object_set (src, "location", path, NULL);
  if (!cr_bin_chain (GST_BIN (pipeline), error, src, decode, convert,
                     cr_capsfilter (gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
                                                         "RGBA", NULL)),
                     sink, NULL)) {
    gst_object_unref (pipeline);
    return NULL;
  }
  GstSample *sample = picture_pull (pipeline, path, error);
  gst_object_unref (pipeline);
  if (sample == NULL)
    return NULL;
  GstVideoInfo in;
  gst_video_info_from_caps (&in, gst_sample_get_caps (sample));
  int image_w = GST_VIDEO_INFO_WIDTH (&in), image_h = GST_VIDEO_INFO_HEIGHT (&in);
  int crop[4];
  cr_layout_crop (image_w, image_h, width, height, render_mode, crop);
  int kept_w = image_w - crop[0] - crop[1], kept_h = image_h - crop[2] - crop[3];
  int dest_w = width, dest_h = height;
  if (cr_layout_keeps_aspect (render_mode)) { /* fit inside, bars around */
    if ((gint64)kept_w * height > (gint64)width * kept_h)
      dest_h = MAX (1, (int)((gint64)kept_h * width / kept_w));
    else
      dest_w = MAX (1, (int)((gint64)kept_w * height / kept_h));
  }
  CrPicture *p = picture_convert (sample, crop, width, height, dest_w, dest_h);
  gst_sample_unref (sample);
  if (p == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s cannot be scaled", path);
  return p;
}

CrPicture *
cr_picture_text (const char *text, const char *font, int font_px, guint32 argb, guint32 bg_argb,
                 int width, int height, GError **error)
{
  if (width <= 0 || height <= 0 || width > CR_PICTURE_MAX_SIDE || height > CR_PICTURE_MAX_SIDE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "no room for text: %dx%d", width,
                 height);
    return NULL;
  }
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *text_src = cr_element ("appsrc", "src", error);
  GstElement *text_render = text_src != NULL ? cr_element ("textrender", "render", error) : NULL;
  GstElement *convert = text_render != NULL ? cr_element ("videoconvert", NULL, error) : NULL;
  GstElement *sink = convert != NULL ? cr_element ("appsink", "sink", error) : NULL;
  if (sink == NULL) {
    gst_object_unref (pipeline);
    return NULL;
  }
  cr_set (text_src, "format", "time");
  GstCaps *markup_caps
      = gst_caps_new_simple ("text/x-raw", "format", G_TYPE_STRING, "pango-markup", NULL);
  g_object_set (text_src, "caps", markup_caps, NULL);
  gst_caps_unref (markup_caps);
  cr_set (text_render, "halignment", "left");
  cr_set (text_render, "valignment", "top");
  cr_set (text_render, "line-alignment", "left");
  g_object_set (text_render, "xpad", 0, "ypad", 0, NULL);
  GstCaps *drawn = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "ARGB", "width",
                                        G_TYPE_INT, width, "height", G_TYPE_INT, height,
                                        "framerate", GST_TYPE_FRACTION, 1, 1, NULL);
  if (!cr_bin_chain (GST_BIN (pipeline), error, text_src, text_render, cr_capsfilter (drawn),
                     convert,
                     cr_capsfilter (gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
                                                         "RGBA", NULL)),
                     sink, NULL)) {
    gst_object_unref (pipeline);
    return NULL;
  }
  GstElement *render = gst_bin_get_by_name (GST_BIN (pipeline), "render");
  g_autofree char *font_desc
      = g_strdup_printf ("%s %dpx", font != NULL ? font : "Sans", CLAMP (font_px, 1, 500));
  g_object_set (render, "font-desc", font_desc, NULL);
  gst_object_unref (render);
  g_autofree char *markup = g_markup_printf_escaped ("<span foreground=\"#%06x\">%s</span>",
                                                     argb & 0xffffff, text != NULL ? text : "");
  GstBuffer *buf = gst_buffer_new_memdup (markup, strlen (markup));
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = GST_SECOND;
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  gst_app_src_push_buffer (GST_APP_SRC (src), buf);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  gst_object_unref (src);
  GstSample *sample = picture_pull (pipeline, "text", error);
  gst_object_unref (pipeline);
  if (sample == NULL)
    return NULL;
  const int none[4] = { 0, 0, 0, 0 };
  CrPicture *p = picture_convert (sample, none, width, height, width, height);
  gst_sample_unref (sample);
  if (p == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "text cannot be drawn");
    return NULL;
  }
  /* The box's colour under the text (straight alpha "over"). */
  guint bg_a = bg_argb >> 24;
  if (bg_a == 0)
    return p;
  gsize size = 0;
  guint8 *px = g_bytes_unref_to_data (p->rgba, &size);
  const guint bg[3] = { (bg_argb >> 16) & 0xff, (bg_argb >> 8) & 0xff, bg_argb & 0xff };
  for (gsize i = 0; i + 3 < size; i += 4) {
    guint a = px[i + 3];
    guint out_a = a + bg_a * (255 - a) / 255;
    for (int c = 0; c < 3; c++)
      px[i + c]
          = out_a == 0 ? 0 : (guint8)((px[i + c] * a + bg[c] * bg_a * (255 - a) / 255) / out_a);
    px[i + 3] = (guint8)out_a;
  }
  p->rgba = g_bytes_new_take (px, size);
  return p;
}
