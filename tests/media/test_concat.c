/* cr_concat_write: pieces of other sizes, with and without sound, placed at their starts with a
 * black gap and a still-image gap between them; the output's frames decoded and looked at. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include "media/concat.h"
#include "gst_run.h"

/* A piece: @seconds of a solid @rgb picture at @w x @h (with a tone when @audio), as MP4. */
static void
make_piece (const char *path, guint32 rgb, int w, int h, double seconds, gboolean audio)
{
  int frames = (int)(seconds * 15);
  g_autofree char *desc = g_strdup_printf (
      "videotestsrc pattern=solid-color foreground-color=%u num-buffers=%d ! "
      "video/x-raw,width=%d,height=%d,framerate=15/1 ! x264enc speed-preset=ultrafast ! "
      "h264parse ! mp4mux name=mux ! filesink location=\"%s\" %s",
      0xff000000u | rgb, frames, w, h, path,
      audio ? "audiotestsrc samplesperbuffer=480 num-buffers=" : "");
  g_autofree char *full
      = audio ? g_strdup_printf ("%s%d ! audio/x-raw,rate=48000,channels=2 ! voaacenc ! "
                                 "aacparse ! mux.",
                                 desc, (int)(seconds * 100))
              : g_strdup (desc);
  g_autoptr (GError) error = NULL;
  GstElement *p = gst_parse_launch (full, &error);
  g_assert_no_error (error);
  cr_test_play_to_eos (p, 60);
  gst_object_unref (p);
}

typedef struct {
  GstClockTime pts;
  guint8 r, g, b;
} Frame;

/* Every frame of @path: its time and the colour at its centre; the sound's length in @audio_ns. */
static GArray *
decode (const char *path, int *w, int *h, GstClockTime *audio_ns)
{
  /* the sound is read only where the file has some: an appsink that never gets a buffer would
   * hold the pipeline in its preroll */
  g_autofree char *desc = g_strdup_printf (
      "filesrc location=\"%s\" ! qtdemux name=d d.video_0 ! queue ! decodebin ! videoconvert ! "
      "video/x-raw,format=RGB ! appsink name=v sync=false %s",
      path,
      audio_ns != NULL ? "d.audio_0 ! queue ! decodebin ! audioconvert ! "
                         "audio/x-raw,format=S16LE ! appsink name=a sync=false"
                       : "");
  g_autoptr (GError) error = NULL;
  GstElement *p = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  GstElement *v = gst_bin_get_by_name (GST_BIN (p), "v");
  GstElement *a = audio_ns != NULL ? gst_bin_get_by_name (GST_BIN (p), "a") : NULL;
  gst_element_set_state (p, GST_STATE_PLAYING);
  GArray *frames = g_array_new (FALSE, FALSE, sizeof (Frame));
  GstSample *s;
  while ((s = gst_app_sink_try_pull_sample (GST_APP_SINK (v), 60 * GST_SECOND)) != NULL) {
    GstStructure *st = gst_caps_get_structure (gst_sample_get_caps (s), 0);
    gst_structure_get_int (st, "width", w);
    gst_structure_get_int (st, "height", h);
    GstBuffer *buf = gst_sample_get_buffer (s);
    GstMapInfo map;
    gst_buffer_map (buf, &map, GST_MAP_READ);
    int stride = GST_ROUND_UP_4 (*w * 3);
    const guint8 *px = map.data + (gsize)(*h / 2) * stride + (*w / 2) * 3;
    Frame f = { GST_BUFFER_PTS (buf), px[0], px[1], px[2] };
    g_array_append_val (frames, f);
    gst_buffer_unmap (buf, &map);
    gst_sample_unref (s);
  }
  if (audio_ns != NULL)
    *audio_ns = 0;
  while (a != NULL
         && (s = gst_app_sink_try_pull_sample (GST_APP_SINK (a), 5 * GST_SECOND)) != NULL) {
    GstBuffer *buf = gst_sample_get_buffer (s);
    *audio_ns = MAX (*audio_ns, GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf));
    gst_sample_unref (s);
  }
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (v);
  g_clear_object (&a);
  gst_object_unref (p);
  return frames;
}

static const Frame *
frame_at (GArray *frames, double seconds)
{
  const Frame *best = NULL;
  for (guint i = 0; i < frames->len; i++) {
    const Frame *f = &g_array_index (frames, Frame, i);
    if (f->pts <= (GstClockTime)(seconds * GST_SECOND))
      best = f;
  }
  g_assert_nonnull (best);
  return best;
}

#define NEAR(x, want) (ABS ((int)(x) - (int)(want)) < 40)

static void
test_concat_gaps (void)
{
  g_autofree char *dir = g_dir_make_tmp ("concat-XXXXXX", NULL);
  g_autofree char *red = g_build_filename (dir, "red.mp4", NULL);
  g_autofree char *green = g_build_filename (dir, "green.mp4", NULL);
  g_autofree char *blue = g_build_filename (dir, "blue.mp4", NULL);
  g_autofree char *image = g_build_filename (dir, "image.png", NULL);
  g_autofree char *out = g_build_filename (dir, "out.mp4", NULL);
  make_piece (red, 0xff0000, 320, 180, 1.0, TRUE);
  make_piece (green, 0x00ff00, 160, 120, 1.0, FALSE); /* other size, no sound */
  make_piece (blue, 0x0000ff, 320, 180, 1.0, TRUE);
  /* a yellow still for the second gap */
  g_autofree char *png = g_strdup_printf (
      "gst-launch-1.0 -q videotestsrc pattern=solid-color foreground-color=%u num-buffers=1 ! "
      "video/x-raw,width=64,height=64 ! pngenc ! filesink location=\"%s\"",
      0xffffff00u, image);
  g_assert_true (g_spawn_command_line_sync (png, NULL, NULL, NULL, NULL));
  /* red 0-1 s; black 1-2 s; green 2-3 s; then the image 3-4 s? no: the blue piece is placed at
   * 4 s, so the image fills 3-4 s */
  CrConcatPiece pieces[]
      = { { red, 0, 1000, TRUE }, { green, 2000, 1000, FALSE }, { blue, 4000, 1000, TRUE } };
  g_autoptr (GError) error = NULL;
  /* black first: the image only for the second run (below) */
  g_assert_true (cr_concat_write (pieces, 3, 320, 180, TRUE, NULL, out, &error));
  g_assert_no_error (error);
  int w = 0, h = 0;
  GstClockTime audio_ns = 0;
  g_autoptr (GArray) frames = decode (out, &w, &h, &audio_ns);
  g_assert_cmpint (w, ==, 320);
  g_assert_cmpint (h, ==, 180);
  g_assert_cmpint (frames->len, >=, 74);
  g_assert_cmpint (frames->len, <=, 76);
  g_assert_cmpint (ABS ((gint64)audio_ns - 5 * (gint64)GST_SECOND), <, GST_SECOND / 10);
  const Frame *f = frame_at (frames, 0.5);
  g_assert_true (NEAR (f->r, 255) && NEAR (f->g, 0) && NEAR (f->b, 0));
  f = frame_at (frames, 1.5);
  g_assert_true (NEAR (f->r, 0) && NEAR (f->g, 0) && NEAR (f->b, 0));
  f = frame_at (frames, 2.5);
  g_assert_true (NEAR (f->r, 0) && NEAR (f->g, 255) && NEAR (f->b, 0));
  f = frame_at (frames, 3.5);
  g_assert_true (NEAR (f->r, 0) && NEAR (f->g, 0) && NEAR (f->b, 0));
  f = frame_at (frames, 4.5);
  g_assert_true (NEAR (f->r, 0) && NEAR (f->g, 0) && NEAR (f->b, 255));
  /* with the image, the gaps are yellow */
  g_unlink (out);
  g_assert_true (cr_concat_write (pieces, 3, 320, 180, FALSE, image, out, &error));
  g_autoptr (GArray) frames2 = decode (out, &w, &h, NULL);
  g_autofree char *probe = g_strdup_printf ("ffprobe -v error -show_entries stream=codec_type "
                                            "-of csv=p=0 \"%s\"",
                                            out);
  g_autofree char *streams = NULL;
  g_assert_true (g_spawn_command_line_sync (probe, &streams, NULL, NULL, NULL));
  g_assert_cmpstr (streams, ==, "video\n"); /* no sound asked: no audio track */
  f = frame_at (frames2, 1.5);
  g_assert_true (NEAR (f->r, 255) && NEAR (f->g, 255) && NEAR (f->b, 0));
  f = frame_at (frames2, 3.5);
  g_assert_true (NEAR (f->r, 255) && NEAR (f->g, 255) && NEAR (f->b, 0));
  f = frame_at (frames2, 2.5);
  g_assert_true (NEAR (f->r, 0) && NEAR (f->g, 255) && NEAR (f->b, 0));
  /* a piece that is no MP4: an error, no output */
  g_unlink (out);
  g_assert_true (g_file_set_contents (green, "not a video", -1, NULL));
  g_clear_error (&error);
  g_assert_false (cr_concat_write (pieces, 3, 320, 180, TRUE, NULL, out, &error));
  g_assert_nonnull (error);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  const char *names[] = { red, green, blue, image };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_unlink (names[i]);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/concat/gaps", test_concat_gaps);
  return g_test_run ();
}
