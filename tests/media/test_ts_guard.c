/* The guard in front of a muxer (src/media/ts_guard.c): a buffer earlier than the one before it
 * is dropped and counted; equal times, a new segment and buffers without time pass; on a sink
 * pad, buffers chained into it count too. */
#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include "media/ts_guard.h"

static void
push (GstHarness *h, GstClockTime pts, GstClockTime dts)
{
  GstBuffer *b = gst_buffer_new ();
  GST_BUFFER_PTS (b) = pts;
  GST_BUFFER_DTS (b) = dts;
  g_assert_cmpint (gst_harness_push (h, b), ==, GST_FLOW_OK);
}

static GstClockTime
pull_pts (GstHarness *h)
{
  GstBuffer *b = gst_harness_try_pull (h);
  g_assert_nonnull (b);
  GstClockTime pts = GST_BUFFER_PTS (b);
  gst_buffer_unref (b);
  return pts;
}

static void
test_backwards_dropped (void)
{
  GstHarness *h = gst_harness_new ("identity");
  gst_harness_set_src_caps_str (h, "audio/x-unknown");
  GstPad *pad = gst_element_get_static_pad (h->element, "src");
  cr_ts_guard_attach (pad, "test");
  const GstClockTime ms = GST_MSECOND;
  push (h, 0, GST_CLOCK_TIME_NONE);
  push (h, 40 * ms, GST_CLOCK_TIME_NONE);
  push (h, 20 * ms, GST_CLOCK_TIME_NONE); /* back: dropped */
  push (h, 40 * ms, GST_CLOCK_TIME_NONE); /* equal: passes */
  push (h, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE); /* no time: passes */
  push (h, 100 * ms, 60 * ms);            /* DTS is what counts */
  push (h, 90 * ms, 50 * ms);             /* DTS back although PTS is later than 60: dropped */
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 5);
  g_assert_cmpuint (pull_pts (h), ==, 0);
  g_assert_cmpuint (pull_pts (h), ==, 40 * ms);
  g_assert_cmpuint (pull_pts (h), ==, 40 * ms);
  g_assert_true (pull_pts (h) == GST_CLOCK_TIME_NONE);
  g_assert_cmpuint (pull_pts (h), ==, 100 * ms);
  g_assert_cmpuint (cr_ts_guard_dropped (pad), ==, 2);
  /* a new segment starts over: an earlier time passes again */
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  push (h, 10 * ms, GST_CLOCK_TIME_NONE);
  g_assert_cmpuint (pull_pts (h), ==, 10 * ms);
  g_assert_cmpuint (cr_ts_guard_dropped (pad), ==, 2);
  gst_object_unref (pad);
  gst_harness_teardown (h);
}

/* On a sink pad the guard also sees buffers chained into the pad by another thread (the filler
 * chains into splitmuxsink's pad), not only those its peer pushes. */
static void
test_sink_pad_sees_chained (void)
{
  GstHarness *h = gst_harness_new ("identity");
  gst_harness_set_src_caps_str (h, "video/x-unknown");
  GstPad *pad = gst_element_get_static_pad (h->element, "sink");
  cr_ts_guard_attach (pad, "test");
  const GstClockTime ms = GST_MSECOND;
  push (h, 200 * ms, GST_CLOCK_TIME_NONE);
  GstBuffer *filler = gst_buffer_new ();
  GST_BUFFER_PTS (filler) = 400 * ms;
  g_assert_cmpint (gst_pad_chain (pad, filler), ==, GST_FLOW_OK);
  push (h, 300 * ms, GST_CLOCK_TIME_NONE); /* earlier than the chained one: dropped */
  push (h, 500 * ms, GST_CLOCK_TIME_NONE);
  g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 3);
  g_assert_cmpuint (pull_pts (h), ==, 200 * ms);
  g_assert_cmpuint (pull_pts (h), ==, 400 * ms);
  g_assert_cmpuint (pull_pts (h), ==, 500 * ms);
  g_assert_cmpuint (cr_ts_guard_dropped (pad), ==, 1);
  gst_object_unref (pad);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ts_guard/backwards_dropped", test_backwards_dropped);
  g_test_add_func ("/ts_guard/sink_pad_sees_chained", test_sink_pad_sees_chained);
  return g_test_run ();
}
