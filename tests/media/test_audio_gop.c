/* Audio frames grouped for splitmuxsink (src/media/audio_gop.c): the first frame of every
 * CR_AUDIO_GOP_MS is a keyframe, the others delta units; a frame earlier than its group's start
 * starts a group; frames without a time join the group. */
#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include "media/audio_gop.h"

#define MS GST_MSECOND
#define FRAME (1024 * GST_SECOND / 48000) /* an AAC frame at 48 kHz: 21.33 ms */

static void
test_groups (void)
{
  GstClockTime start = GST_CLOCK_TIME_NONE;
  g_assert_true (cr_audio_gop_starts (&start, 1000 * MS));
  g_assert_false (cr_audio_gop_starts (&start, 1000 * MS + FRAME));
  g_assert_false (cr_audio_gop_starts (&start, GST_CLOCK_TIME_NONE));
  g_assert_false (cr_audio_gop_starts (&start, (1000 + CR_AUDIO_GOP_MS) * MS - 1));
  g_assert_true (cr_audio_gop_starts (&start, (1000 + CR_AUDIO_GOP_MS) * MS));
  g_assert_cmpuint (start, ==, (1000 + CR_AUDIO_GOP_MS) * MS);
  g_assert_true (cr_audio_gop_starts (&start, 500 * MS)); /* went back */
  g_assert_cmpuint (start, ==, 500 * MS);
}

/* Through a pad: of 2 s of frames, one keyframe per group, each group under CR_AUDIO_GOP_MS plus
 * a frame long. */
static void
test_flags_on_pad (void)
{
  GstHarness *h = gst_harness_new ("identity");
  gst_harness_set_src_caps_str (h, "audio/mpeg,mpegversion=4");
  GstPad *pad = gst_element_get_static_pad (h->element, "src");
  cr_audio_gop_attach (pad);
  guint frames = (guint)(2 * GST_SECOND / FRAME);
  for (guint i = 0; i < frames; i++) {
    GstBuffer *b = gst_buffer_new ();
    GST_BUFFER_PTS (b) = i * FRAME;
    if (i % 2 == 1)
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DELTA_UNIT); /* whatever came in is replaced */
    g_assert_cmpint (gst_harness_push (h, b), ==, GST_FLOW_OK);
  }
  guint keys = 0;
  GstClockTime last_key = GST_CLOCK_TIME_NONE;
  for (guint i = 0; i < frames; i++) {
    GstBuffer *b = gst_harness_pull (h);
    if (!GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT)) {
      if (GST_CLOCK_TIME_IS_VALID (last_key)) {
        g_assert_cmpuint (GST_BUFFER_PTS (b) - last_key, >=, CR_AUDIO_GOP_MS * MS);
        g_assert_cmpuint (GST_BUFFER_PTS (b) - last_key, <, CR_AUDIO_GOP_MS * MS + FRAME);
      }
      last_key = GST_BUFFER_PTS (b);
      keys++;
    }
    if (i == 0)
      g_assert_false (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT));
    gst_buffer_unref (b);
  }
  g_assert_cmpuint (keys, ==, 2000 / CR_AUDIO_GOP_MS);
  gst_object_unref (pad);
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/audio_gop/groups", test_groups);
  g_test_add_func ("/audio_gop/flags_on_pad", test_flags_on_pad);
  return g_test_run ();
}
