/* Filler pictures (video_fill) on a real H.264 stream, in a GstHarness around an identity whose
 * src pad is the live pad: no filler while the stream flows; once it has been silent for more
 * than CR_FILL_AFTER_US, each tick pushes one keyframe with a growing PTS, the last live keyframe's
 * bytes (FillType 0) or a picture that decodes to black at the stream's size (FillType 1); when
 * the stream returns, its delta frames are dropped until a keyframe and a tick asks for one. */
#include <gst/check/gstharness.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <string.h>

#include "media/video_fill.h"
#include "task/codes.h"

#define WIDTH 64
#define HEIGHT 48
#define FRAMES 30
#define FRAME_NS (100 * GST_MSECOND)

/* @FRAMES frames of H.264 (byte-stream, whole access units, a keyframe every 10), and their
 * caps. */
static GPtrArray *
encode (GstCaps **caps)
{
  g_autofree char *desc = g_strdup_printf (
      "videotestsrc num-buffers=%d ! video/x-raw,width=%d,height=%d,framerate=10/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 ! h264parse ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=out sync=false",
      FRAMES, WIDTH, HEIGHT);
  GError *error = NULL;
  GstElement *p = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  GstElement *out = gst_bin_get_by_name (GST_BIN (p), "out");
  gst_element_set_state (p, GST_STATE_PLAYING);
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify)gst_buffer_unref);
  GstSample *sample;
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (out), 60 * GST_SECOND)) != NULL) {
    if (*caps == NULL)
      *caps = gst_caps_ref (gst_sample_get_caps (sample));
    g_ptr_array_add (frames, gst_buffer_ref (gst_sample_get_buffer (sample)));
    gst_sample_unref (sample);
  }
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (out);
  gst_object_unref (p);
  g_assert_cmpuint (frames->len, ==, FRAMES);
  g_assert_nonnull (*caps);
  return frames;
}

static gboolean
is_key (GstBuffer *buf)
{
  return !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
}

/* The mean luma of @picture (one H.264 keyframe with its parameter sets) decoded; its size in
 * @width and @height. */
static double
decode_luma (GstCaps *caps, GstBuffer *picture, int *width, int *height)
{
  GstElementFactory *avdec = gst_element_factory_find ("avdec_h264");
  const char *decoder = avdec != NULL ? "avdec_h264" : "openh264dec";
  g_clear_object (&avdec);
  g_autofree char *desc = g_strdup_printf (
      "h264parse ! %s ! videoconvert ! capsfilter caps=video/x-raw,format=GRAY8", decoder);
  GstHarness *h = gst_harness_new_parse (desc);
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  GstBuffer *in = gst_buffer_copy (picture);
  GST_BUFFER_PTS (in) = GST_BUFFER_DTS (in) = 0;
  g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
  g_assert_true (gst_harness_push_event (h, gst_event_new_eos ()));
  GstBuffer *out = gst_harness_pull (h);
  g_assert_nonnull (out);
  g_autoptr (GstCaps) out_caps = gst_pad_get_current_caps (h->sinkpad);
  GstVideoInfo info;
  g_assert_true (gst_video_info_from_caps (&info, out_caps));
  *width = GST_VIDEO_INFO_WIDTH (&info);
  *height = GST_VIDEO_INFO_HEIGHT (&info);
  GstVideoFrame frame;
  g_assert_true (gst_video_frame_map (&frame, &info, out, GST_MAP_READ));
  const guint8 *y = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
  int stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  guint64 sum = 0;
  for (int row = 0; row < *height; row++)
    for (int col = 0; col < *width; col++)
      sum += y[row * stride + col];
  gst_video_frame_unmap (&frame);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  return (double)sum / (*width * *height);
}

static void
on_need_keyframe (gpointer data)
{
  (*(guint *)data)++;
}

/* Pushes @frames[@i] as the live picture at @pts. */
static GstFlowReturn
push_live (GstHarness *h, GPtrArray *frames, guint i, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_copy (g_ptr_array_index (frames, i));
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = FRAME_NS;
  return gst_harness_push (h, buf);
}

/* Ticks once, the last packet @ago_us ago, with the harness clock @step_ns later; returns the one
 * picture pushed downstream, or NULL (none: nothing pushed is left behind either way). */
static GstBuffer *
tick (GstHarness *h, CrVideoFill *fill, gint64 ago_us, GstClockTime *clock_ns)
{
  *clock_ns += CR_FILL_INTERVAL_MS * GST_MSECOND;
  g_assert_true (gst_harness_set_time (h, *clock_ns));
  cr_video_fill_tick (fill, g_get_monotonic_time () - ago_us);
  GstBuffer *out = gst_harness_try_pull (h);
  g_assert_null (gst_harness_try_pull (h));
  return out;
}

static void
run (int fill_type)
{
  GstCaps *caps = NULL;
  g_autoptr (GPtrArray) frames = encode (&caps);
  /* The last keyframe of the live part, and one later for the return. */
  guint live_end = 13, last_key = 0, return_key = 0;
  for (guint i = 1; i < frames->len; i++)
    if (is_key (g_ptr_array_index (frames, i))) {
      if (i < live_end)
        last_key = i;
      else if (return_key == 0 && i > live_end + 2)
        return_key = i;
    }
  g_assert_true (is_key (g_ptr_array_index (frames, 0)));
  g_assert_cmpuint (last_key, >, 0);
  g_assert_cmpuint (return_key, >, 0);
  g_assert_false (is_key (g_ptr_array_index (frames, return_key - 1)));
  g_assert_false (is_key (g_ptr_array_index (frames, return_key + 1)));

  GstHarness *h = gst_harness_new ("identity");
  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  GstClockTime clock_ns = GST_SECOND;
  g_assert_true (gst_harness_set_time (h, clock_ns));
  GstPad *live = gst_element_get_static_pad (h->element, "src");
  guint asked = 0;
  CrVideoFill *fill = cr_video_fill_new (h->element, live, fill_type, on_need_keyframe, &asked);
  gst_object_unref (live);

  /* (c) The stream flows: its pictures pass, no filler at any tick. */
  GstClockTime pts = 0;
  for (guint i = 0; i < live_end; i++, pts += FRAME_NS) {
    g_assert_cmpint (push_live (h, frames, i, pts), ==, GST_FLOW_OK);
    GstBuffer *out = gst_harness_pull (h);
    g_assert_cmpuint (GST_BUFFER_PTS (out), ==, pts);
    gst_buffer_unref (out);
    g_assert_null (tick (h, fill, 0, &clock_ns));
    g_assert_null (tick (h, fill, CR_FILL_AFTER_US / 2, &clock_ns));
  }
  g_assert_cmpuint (asked, ==, 0);

  /* (a) Silence: one keyframe a tick, later and later. */
  GstClockTime last_pts = pts - FRAME_NS;
  GstBuffer *filler = NULL;
  for (int n = 0; n < 3; n++) {
    g_clear_pointer (&filler, gst_buffer_unref);
    filler = tick (h, fill, 2 * CR_FILL_AFTER_US, &clock_ns);
    g_assert_nonnull (filler);
    g_assert_true (is_key (filler));
    g_assert_cmpuint (GST_BUFFER_PTS (filler), >, last_pts);
    last_pts = GST_BUFFER_PTS (filler);
  }
  int width = 0, height = 0;
  if (fill_type == CR_FILL_LAST_PICTURE) {
    GstBuffer *key = g_ptr_array_index (frames, last_key);
    gsize size = gst_buffer_get_size (filler);
    g_assert_cmpuint (size, ==, gst_buffer_get_size (key));
    GstMapInfo a, b;
    g_assert_true (gst_buffer_map (filler, &a, GST_MAP_READ));
    g_assert_true (gst_buffer_map (key, &b, GST_MAP_READ));
    g_assert_true (memcmp (a.data, b.data, size) == 0);
    gst_buffer_unmap (filler, &a);
    gst_buffer_unmap (key, &b);
  } else {
    /* The live picture is not dark: a black filler is not a copy of it. */
    g_assert_cmpfloat (decode_luma (caps, g_ptr_array_index (frames, last_key), &width, &height), >,
                       40.0);
    g_assert_cmpfloat (decode_luma (caps, filler, &width, &height), <, 20.0);
    g_assert_cmpint (width, ==, WIDTH);
    g_assert_cmpint (height, ==, HEIGHT);
  }
  g_clear_pointer (&filler, gst_buffer_unref);
  g_assert_cmpuint (asked, ==, 0);

  /* (b) The stream returns mid-GOP: its deltas are dropped, the filling goes on, a tick asks
   * for a keyframe; from the keyframe on, the stream passes again and no filler follows. */
  pts = last_pts + FRAME_NS;
  for (guint i = return_key - 2; i < return_key; i++, pts += FRAME_NS) {
    g_assert_cmpint (push_live (h, frames, i, pts), ==, GST_FLOW_OK);
    g_assert_null (gst_harness_try_pull (h));
  }
  g_assert_cmpuint (asked, ==, 0);
  filler = tick (h, fill, 0, &clock_ns);
  g_assert_nonnull (filler);
  g_assert_true (is_key (filler));
  g_assert_cmpuint (GST_BUFFER_PTS (filler), >, last_pts);
  gst_buffer_unref (filler);
  g_assert_cmpuint (asked, ==, 1);
  for (guint i = return_key; i < return_key + 2; i++, pts += FRAME_NS) {
    g_assert_cmpint (push_live (h, frames, i, pts), ==, GST_FLOW_OK);
    GstBuffer *out = gst_harness_pull (h);
    g_assert_cmpuint (GST_BUFFER_PTS (out), ==, pts);
    g_assert_true (is_key (out) == (i == return_key));
    gst_buffer_unref (out);
    g_assert_null (tick (h, fill, 0, &clock_ns));
  }
  g_assert_cmpuint (asked, ==, 1);

  cr_video_fill_free (fill);
  gst_harness_teardown (h);
  gst_caps_unref (caps);
}

static void
test_last_picture (void)
{
  run (CR_FILL_LAST_PICTURE);
}

static void
test_black (void)
{
  run (CR_FILL_BLACK);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/video_fill/last_picture", test_last_picture);
  g_test_add_func ("/video_fill/black", test_black);
  return g_test_run ();
}
