/* Frame times after the jitter buffer (src/media/rtp_pace.c): a burst that the jitter buffer
 * stamped with one time (its "backwards timestamps, using previous time") leaves with each frame
 * one RTP step after the one before; packets of one frame share its time; times that move on,
 * and packets without a time, are left alone; a step is at least 1 ms and at most 1 s. */
#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include "media/rtp_pace.h"

#define MS GST_MSECOND

/* An RTP packet (header only) with timestamp @rtp, stamped @pts. */
static void
push (GstHarness *h, guint32 rtp, GstClockTime pts)
{
  guint8 head[12] = { 0x80, 96, 0, 0, rtp >> 24, rtp >> 16, rtp >> 8, rtp, 0, 0, 0, 1 };
  GstBuffer *b = gst_buffer_new_memdup (head, sizeof head);
  GST_BUFFER_PTS (b) = pts;
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
test_burst_paced (void)
{
  GstHarness *h = gst_harness_new ("identity");
  gst_harness_set_src_caps_str (h, "application/x-rtp");
  GstPad *pad = gst_element_get_static_pad (h->element, "src");
  cr_rtp_pace_attach (pad, 90000, "test");
  /* 10 fps: 9000 ticks a frame */
  push (h, 1000, 0);
  push (h, 10000, 100 * MS);
  push (h, 10000, 104 * MS); /* same frame, a later packet: the frame's time */
  /* a stall, then a burst the jitter buffer stamped with its last time */
  push (h, 19000, 100 * MS);
  push (h, 28000, 100 * MS);
  push (h, 28000, 100 * MS);
  push (h, 37000, 90 * MS);
  push (h, 46000, 500 * MS); /* on again: left as it is */
  push (h, 55000, GST_CLOCK_TIME_NONE);
  g_assert_cmpuint (pull_pts (h), ==, 0);
  g_assert_cmpuint (pull_pts (h), ==, 100 * MS);
  g_assert_cmpuint (pull_pts (h), ==, 100 * MS);
  g_assert_cmpuint (pull_pts (h), ==, 200 * MS);
  g_assert_cmpuint (pull_pts (h), ==, 300 * MS);
  g_assert_cmpuint (pull_pts (h), ==, 300 * MS);
  g_assert_cmpuint (pull_pts (h), ==, 400 * MS);
  g_assert_cmpuint (pull_pts (h), ==, 500 * MS);
  g_assert_true (pull_pts (h) == GST_CLOCK_TIME_NONE);
  gst_object_unref (pad);
  gst_harness_teardown (h);
}

static void
test_steps_bounded (void)
{
  CrRtpPace p = { .clock_rate = 48000 };
  g_assert_cmpuint (cr_rtp_pace_next (&p, 0xfffffc40u, 10 * MS), ==, 10 * MS);
  /* across the 32-bit wrap: 960 ticks = 20 ms */
  g_assert_cmpuint (cr_rtp_pace_next (&p, 0x00000000u, 10 * MS), ==, 30 * MS);
  /* a step of 10 s (a long pause in RTP time) while the time stands still: at most 1 s */
  g_assert_cmpuint (cr_rtp_pace_next (&p, 480000, 30 * MS), ==, 1030 * MS);
  /* RTP time going back: 1 ms */
  g_assert_cmpuint (cr_rtp_pace_next (&p, 1000, 1030 * MS), ==, 1031 * MS);
  g_assert_cmpuint (p.paced, ==, 3);
  /* no clock rate known: 1 ms steps */
  CrRtpPace q = { 0 };
  g_assert_cmpuint (cr_rtp_pace_next (&q, 5, 7 * MS), ==, 7 * MS);
  g_assert_cmpuint (cr_rtp_pace_next (&q, 9, 7 * MS), ==, 8 * MS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/rtp_pace/burst_paced", test_burst_paced);
  g_test_add_func ("/rtp_pace/steps_bounded", test_steps_bounded);
  return g_test_run ();
}
