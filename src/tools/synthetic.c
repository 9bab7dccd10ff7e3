/* Flashing video and beeping audio; see synthetic.h for why. */
#include "synthetic.h"

#include <gst/audio/audio.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

gboolean
cr_synthetic_is_flash_frame (guint64 index, int fps)
{
  return fps > 0 && index % (guint64)fps == 0;
}

gint16
cr_synthetic_sample (guint64 n)
{
  guint64 in_second = n % CR_SYNTHETIC_RATE;
  gboolean beep = in_second < (guint64)CR_SYNTHETIC_RATE * CR_SYNTHETIC_BEEP_MS / 1000;
  double hz = beep ? CR_SYNTHETIC_BEEP_HZ : CR_SYNTHETIC_TONE_HZ;
  double amplitude = beep ? 0.8 : 0.1;
  /* Phase from the sample index modulo the rate: both frequencies divide 48000, so it is exact. */
  double phase = 2.0 * G_PI * hz * (double)in_second / CR_SYNTHETIC_RATE;
  return (gint16)lrint (amplitude * 32767.0 * sin (phase));
}

gboolean
cr_synthetic_parse_colour (const char *text, guint32 *argb)
{
  static const struct {
    const char *name;
    guint32 rgb;
  } names[] = {
    { "red", 0xff0000 },   { "green", 0x00ff00 },  { "blue", 0x0000ff },   { "white", 0xffffff },
    { "black", 0x000000 }, { "yellow", 0xffff00 }, { "cyan", 0x00ffff },   { "magenta", 0xff00ff },
    { "gray", 0x808080 },  { "grey", 0x808080 },   { "orange", 0xffa500 }, { "purple", 0x800080 },
  };
  if (text == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    if (g_ascii_strcasecmp (text, names[i].name) == 0) {
      *argb = 0xff000000u | names[i].rgb;
      return TRUE;
    }
  }
  if (text[0] != '#' || strlen (text) != 7)
    return FALSE;
  for (int i = 1; i < 7; i++) {
    if (!g_ascii_isxdigit (text[i]))
      return FALSE;
  }
  *argb = 0xff000000u | (guint32)g_ascii_strtoull (text + 1, NULL, 16);
  return TRUE;
}

/* ---- video ---- */

static GstPadProbeReturn video_paint_white (GstPad *pad, GstPadProbeInfo *info);

static GstPadProbeReturn
video_flash_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  int fps = GPOINTER_TO_INT (data);
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!GST_BUFFER_PTS_IS_VALID (buf))
    return GST_PAD_PROBE_OK;
  guint64 index = gst_util_uint64_scale_round (GST_BUFFER_PTS (buf), (guint64)fps, GST_SECOND);
  if (!cr_synthetic_is_flash_frame (index, fps))
    return GST_PAD_PROBE_OK;
  return video_paint_white (pad, info);
}

/* The wall clock (Unix ms) when the frame of running time @pts was captured: now less its age. */
static gint64
video_capture_wall_ms (GstPad *pad, GstClockTime pts)
{
  gint64 now = g_get_real_time () / 1000;
  GstElement *parent = GST_ELEMENT (gst_pad_get_parent (pad));
  if (parent == NULL)
    return now;
  GstClock *clock = gst_element_get_clock (parent);
  gint64 age = 0;
  if (clock != NULL && GST_CLOCK_TIME_IS_VALID (pts)) {
    GstClockTime running = gst_clock_get_time (clock) - gst_element_get_base_time (parent);
    if (running >= pts && running - pts < 10 * GST_SECOND)
      age = (gint64)((running - pts) / GST_MSECOND);
  }
  if (clock != NULL)
    gst_object_unref (clock);
  gst_object_unref (parent);
  return now - age;
}

typedef struct {
  gint64 white_at_ms, offset_ms;
} WhiteAt;

static GstPadProbeReturn
video_white_at_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  const WhiteAt *w = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (video_capture_wall_ms (pad, GST_BUFFER_PTS (buf)) + w->offset_ms < w->white_at_ms)
    return GST_PAD_PROBE_OK;
  return video_paint_white (pad, info);
}

/* The frame of @info, all white. */
static GstPadProbeReturn
video_paint_white (GstPad *pad, GstPadProbeInfo *info)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  GstVideoInfo vinfo;
  if (caps == NULL || !gst_video_info_from_caps (&vinfo, caps))
    return GST_PAD_PROBE_OK;
  buf = gst_buffer_make_writable (buf);
  GstVideoFrame frame;
  if (gst_video_frame_map (&frame, &vinfo, buf, GST_MAP_WRITE)) {
    /* I420 white: Y 235, U and V 128 (limited range). */
    static const guint8 value[3] = { 235, 128, 128 };
    for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (&frame); p++) {
      guint8 *row = GST_VIDEO_FRAME_PLANE_DATA (&frame, p);
      int stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p);
      int h = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p);
      int w = GST_VIDEO_FRAME_COMP_WIDTH (&frame, p);
      for (int y = 0; y < h; y++)
        memset (row + (gsize)y * stride, value[MIN (p, 2)], (gsize)w);
    }
    gst_video_frame_unmap (&frame);
  }
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

static GstElement *
bin_with_ghost_src (GstElement *bin, GstElement *last)
{
  GstPad *src = gst_element_get_static_pad (last, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", src));
  gst_object_unref (src);
  return bin;
}

GstElement *
cr_synthetic_video_new (const CrSyntheticVideo *o)
{
  GstElement *bin = gst_bin_new ("synthetic-video");
  GstElement *src = gst_element_factory_make ("videotestsrc", NULL);
  GstElement *caps = gst_element_factory_make ("capsfilter", NULL);
  GstElement *clock = gst_element_factory_make (o->plain ? "identity" : "timeoverlay", NULL);

  g_object_set (src, "is-live", TRUE, NULL);
  if (o->solid)
    g_object_set (src, "pattern", 17 /* solid-color */, "foreground-color", o->argb, NULL);
  g_autoptr (GstCaps) want = gst_caps_new_simple (
      "video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT, o->width, "height",
      G_TYPE_INT, o->height, "framerate", GST_TYPE_FRACTION, o->fps, 1, NULL);
  g_object_set (caps, "caps", want, NULL);
  if (!o->plain)
    g_object_set (clock, "time-mode", 1 /* running-time */, "font-desc", "Sans 28", "halignment",
                  1 /* center */, "valignment", 1 /* bottom */, "shaded-background", TRUE, NULL);
  gst_bin_add_many (GST_BIN (bin), src, caps, clock, NULL);
  gst_element_link_many (src, caps, clock, NULL);
  GstPad *out = gst_element_get_static_pad (clock, "src");
  if (!o->plain)
    gst_pad_add_probe (out, GST_PAD_PROBE_TYPE_BUFFER, video_flash_probe, GINT_TO_POINTER (o->fps),
                       NULL);
  if (o->white_at_ms > 0) {
    WhiteAt *w = g_new (WhiteAt, 1);
    *w = (WhiteAt){ o->white_at_ms, o->clock_offset_ms };
    gst_pad_add_probe (out, GST_PAD_PROBE_TYPE_BUFFER, video_white_at_probe, w, g_free);
  }
  gst_object_unref (out);
  return bin_with_ghost_src (bin, clock);
}

/* ---- audio ---- */

static GstPadProbeReturn
audio_beep_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!GST_BUFFER_PTS_IS_VALID (buf))
    return GST_PAD_PROBE_OK;
  guint64 first = gst_util_uint64_scale_round (GST_BUFFER_PTS (buf), CR_SYNTHETIC_RATE, GST_SECOND);
  buf = gst_buffer_make_writable (buf);
  GstMapInfo map;
  if (gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
    gint16 *samples = (gint16 *)map.data;
    gsize n = map.size / sizeof (gint16);
    for (gsize i = 0; i < n; i++)
      samples[i] = GINT16_TO_LE (cr_synthetic_sample (first + i));
    gst_buffer_unmap (buf, &map);
  }
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

GstElement *
cr_synthetic_audio_new (int plain_hz)
{
  GstElement *bin = gst_bin_new ("synthetic-audio");
  GstElement *src = gst_element_factory_make ("audiotestsrc", NULL);
  GstElement *caps = gst_element_factory_make ("capsfilter", NULL);
  /* The source only paces and timestamps; the probe writes every sample. 10 ms buffers. */
  g_object_set (src, "is-live", TRUE, "wave", plain_hz > 0 ? 0 /* sine */ : 4 /* silence */, "freq",
                (double)MAX (plain_hz, 1), "volume", 0.3, "samplesperbuffer",
                CR_SYNTHETIC_RATE / 100, NULL);
  g_autoptr (GstCaps) want = gst_caps_new_simple (
      "audio/x-raw", "format", G_TYPE_STRING, "S16LE", "rate", G_TYPE_INT, CR_SYNTHETIC_RATE,
      "channels", G_TYPE_INT, 1, "layout", G_TYPE_STRING, "interleaved", NULL);
  g_object_set (caps, "caps", want, NULL);
  gst_bin_add_many (GST_BIN (bin), src, caps, NULL);
  gst_element_link (src, caps);
  GstPad *out = gst_element_get_static_pad (caps, "src");
  if (plain_hz <= 0)
    gst_pad_add_probe (out, GST_PAD_PROBE_TYPE_BUFFER, audio_beep_probe, NULL, NULL);
  gst_object_unref (out);
  return bin_with_ghost_src (bin, caps);
}
