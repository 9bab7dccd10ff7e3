/* x264enc's input pictures with and without cr_x264_hand_off_input(): 60 pictures of their own
 * (so each one's end is seen: no pool takes it back) go into x264enc at the mix's settings
 * (veryfast, no B-frames) one at a time; counted is how many are alive at once. Without the
 * hand-off x264enc keeps each until its encoded frame comes out (the look-ahead's length and
 * more); with it, a picture is gone once x264enc's chain has returned. Every picture is encoded
 * either way. (That the pictures' pixels survive is checked by test_mix_layers and the mix's
 * integration tests, which decode the mixed output.) */
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include "media/x264_handoff.h"
#include "gst_run.h"

#define WIDTH 320
#define HEIGHT 240
#define PICTURES 60

typedef struct {
  gint alive, most_alive, encoded;
} Count;

static void
on_picture_gone (gpointer data, GstMiniObject *picture)
{
  g_atomic_int_add (&((Count *)data)->alive, -1);
}

static void
on_encoded (GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer data)
{
  ((Count *)data)->encoded++;
}

/* Encodes PICTURES pictures, counting into @count. */
static void
encode (gboolean hand_off, Count *count)
{
  GError *error = NULL;
  GstElement *p = gst_parse_launch (
      "appsrc name=src format=time block=true max-buffers=1 "
      "caps=video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "x264enc name=enc speed-preset=veryfast bframes=0 ! "
      "fakesink name=sink signal-handoffs=true sync=false",
      &error);
  g_assert_no_error (error);
  GstElement *src = gst_bin_get_by_name (GST_BIN (p), "src");
  GstElement *enc = gst_bin_get_by_name (GST_BIN (p), "enc");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  if (hand_off)
    cr_x264_hand_off_input (enc);
  g_signal_connect (sink, "handoff", G_CALLBACK (on_encoded), count);
  g_assert_cmpint (gst_element_set_state (p, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  gsize size = WIDTH * HEIGHT * 3 / 2;
  for (int i = 0; i < PICTURES; i++) {
    GstBuffer *picture = gst_buffer_new_allocate (NULL, size, NULL);
    gst_buffer_memset (picture, 0, (guint8)(i * 4), size);
    GST_BUFFER_PTS (picture) = gst_util_uint64_scale (i, GST_SECOND, 30);
    GST_BUFFER_DURATION (picture) = GST_SECOND / 30;
    gint alive = g_atomic_int_add (&count->alive, 1) + 1;
    count->most_alive = MAX (count->most_alive, alive);
    gst_mini_object_weak_ref (GST_MINI_OBJECT (picture), on_picture_gone, count);
    g_assert_cmpint (gst_app_src_push_buffer (GST_APP_SRC (src), picture), ==, GST_FLOW_OK);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  cr_test_wait_eos (p, 60);
  gst_object_unref (src);
  gst_object_unref (enc);
  gst_object_unref (sink);
  gst_object_unref (p);
  g_assert_cmpint (g_atomic_int_get (&count->alive), ==, 0);
}

static void
test_pictures_released (void)
{
  Count held = { 0 }, handed = { 0 };
  encode (FALSE, &held);
  encode (TRUE, &handed);
  g_test_message ("most pictures alive at once: %d without the hand-off, %d with it",
                  held.most_alive, handed.most_alive);
  g_assert_cmpint (held.encoded, ==, PICTURES);
  g_assert_cmpint (handed.encoded, ==, PICTURES);
  /* appsrc's one queued picture, the one being pushed and the one x264enc is encoding. */
  g_assert_cmpint (handed.most_alive, <=, 3);
  g_assert_cmpint (held.most_alive, >, 8); /* why the hand-off exists: the look-ahead is 10 */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/x264_handoff/pictures_released", test_pictures_released);
  return g_test_run ();
}
