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

/* The sound at sample @n of a stream whose beeps are on the whole seconds of @n's count. */
static gint16
sound_at (guint64 n, gboolean beeps)
{
  guint64 in_second = n % CR_SYNTHETIC_RATE;
  gboolean beep = beeps && in_second < (guint64)CR_SYNTHETIC_RATE * CR_SYNTHETIC_BEEP_MS / 1000;
  double hz = beep ? CR_SYNTHETIC_BEEP_HZ : CR_SYNTHETIC_TONE_HZ;
  double amplitude = beep ? 0.8 : 0.1;
  /* Phase from the sample index modulo the rate: both frequencies divide 48000, so it is exact. */
  double phase = 2.0 * G_PI * hz * (double)in_second / CR_SYNTHETIC_RATE;
  return (gint16)lrint (amplitude * 32767.0 * sin (phase));
}

gint16
cr_synthetic_sample (guint64 n)
{
  return sound_at (n, TRUE);
}

gint16
cr_synthetic_sample_shifted (guint64 n, GstClockTimeDiff shift, gboolean beeps)
{
  gint64 samples
      = (gint64)gst_util_uint64_scale_round ((guint64)ABS (shift), CR_SYNTHETIC_RATE, GST_SECOND);
  samples = MIN (samples, CR_SYNTHETIC_RATE - 1);
  /* A whole second added keeps the count positive and the beeps where they were. */
  guint64 m = n + CR_SYNTHETIC_RATE - (guint64)(shift < 0 ? -samples : samples);
  return sound_at (m, beeps);
}

GstClockTimeDiff
cr_synthetic_frame_phase (GstClockTime pts, int fps)
{
  if (fps <= 0 || !GST_CLOCK_TIME_IS_VALID (pts))
    return 0;
  guint64 index = gst_util_uint64_scale_round (pts, (guint64)fps, GST_SECOND);
  return GST_CLOCK_DIFF (gst_util_uint64_scale_round (index, GST_SECOND, (guint64)fps), pts);
}

/* ---- the marks shared by a publisher's picture and sound ---- */

struct _CrSyntheticMarks {
  gboolean flashes;       /* a flashing picture places the beeps */
  gint known;             /* atomic: the picture's first frame was seen */
  GstClockTimeDiff phase; /* its cr_synthetic_frame_phase: written once, before known */
};

CrSyntheticMarks *
cr_synthetic_marks_new (gboolean flashes)
{
  CrSyntheticMarks *m = g_atomic_rc_box_new0 (CrSyntheticMarks);
  m->flashes = flashes;
  return m;
}

CrSyntheticMarks *
cr_synthetic_marks_ref (CrSyntheticMarks *marks)
{
  return g_atomic_rc_box_acquire (marks);
}

void
cr_synthetic_marks_unref (CrSyntheticMarks *marks)
{
  g_atomic_rc_box_release (marks);
}

static void
marks_unref (gpointer marks)
{
  if (marks != NULL)
    cr_synthetic_marks_unref (marks);
}

/* Where the beeps go: @shift after the whole seconds; FALSE while a flashing picture has not
 * told yet (the sound is the tone alone until then). */
static gboolean
marks_beep_shift (CrSyntheticMarks *m, GstClockTimeDiff *shift)
{
  *shift = 0;
  if (m == NULL || !m->flashes)
    return TRUE;
  if (!g_atomic_int_get (&m->known))
    return FALSE;
  *shift = m->phase;
  return TRUE;
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

typedef struct {
  int fps;
  CrSyntheticMarks *marks; /* or NULL */
} VideoFlash;

static void
video_flash_free (gpointer data)
{
  VideoFlash *f = data;
  marks_unref (f->marks);
  g_free (f);
}

static GstPadProbeReturn
video_flash_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  const VideoFlash *f = data;
  int fps = f->fps;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!GST_BUFFER_PTS_IS_VALID (buf))
    return GST_PAD_PROBE_OK;
  /* The frames step by exactly 1/fps from the first: its phase is every flash frame's. */
  if (f->marks != NULL && !g_atomic_int_get (&f->marks->known)) {
    f->marks->phase = cr_synthetic_frame_phase (GST_BUFFER_PTS (buf), fps);
    g_atomic_int_set (&f->marks->known, 1);
  }
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
cr_synthetic_video_new (const CrSyntheticVideo *o, CrSyntheticMarks *marks)
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
  if (!o->plain) {
    VideoFlash *f = g_new0 (VideoFlash, 1);
    f->fps = o->fps;
    f->marks = marks != NULL ? cr_synthetic_marks_ref (marks) : NULL;
    gst_pad_add_probe (out, GST_PAD_PROBE_TYPE_BUFFER, video_flash_probe, f, video_flash_free);
  }
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
  GstClockTimeDiff shift = 0;
  gboolean beeps = marks_beep_shift (data, &shift);
  guint64 first = gst_util_uint64_scale_round (GST_BUFFER_PTS (buf), CR_SYNTHETIC_RATE, GST_SECOND);
  buf = gst_buffer_make_writable (buf);
  GstMapInfo map;
  if (gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
    gint16 *samples = (gint16 *)map.data;
    gsize n = map.size / sizeof (gint16);
    for (gsize i = 0; i < n; i++)
      samples[i] = GINT16_TO_LE (cr_synthetic_sample_shifted (first + i, shift, beeps));
    gst_buffer_unmap (buf, &map);
  }
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

GstElement *
cr_synthetic_audio_new (int plain_hz, CrSyntheticMarks *marks)
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
    gst_pad_add_probe (out, GST_PAD_PROBE_TYPE_BUFFER, audio_beep_probe,
                       marks != NULL ? cr_synthetic_marks_ref (marks) : NULL, marks_unref);
  gst_object_unref (out);
  return bin_with_ghost_src (bin, caps);
}
