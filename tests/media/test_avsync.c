/* cr_avsync_measure: a file with a flash every second and a tick half a second after each frame
 * pair's start, measured alone and with undecodable files around it (left out and counted, the
 * measurement unchanged); nothing decodable is an error naming the file. */
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "media/avsync.h"
#include "gst_run.h"

/* 5 s of 2 fps video blinking black and white (a flash each second) and 1 kHz ticks each second
 * from 0.5 s, raw audio beside it in Matroska (no encoder priming to account for). */
static char *
make_marked_file (const char *dir)
{
  char *path = g_build_filename (dir, "marked.mkv", NULL);
  g_autofree char *desc = g_strdup_printf (
      "videotestsrc pattern=blink num-buffers=10 ! video/x-raw,width=64,height=48,framerate=2/1 ! "
      "x264enc speed-preset=ultrafast key-int-max=1 ! h264parse ! matroskamux name=mux ! "
      "filesink location=\"%s\" "
      "audiotestsrc wave=ticks volume=0.8 freq=1000 samplesperbuffer=480 num-buffers=500 "
      "timestamp-offset=500000000 ! audio/x-raw,rate=48000,channels=1,format=S16LE ! mux.",
      path);
  g_autoptr (GError) error = NULL;
  GstElement *p = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  cr_test_play_to_eos (p, 60);
  gst_object_unref (p);
  return path;
}

static void
test_avsync_leaves_out_broken_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cr-avsync-XXXXXX", NULL);
  g_assert_nonnull (dir);
  g_autofree char *good = make_marked_file (dir);
  g_autofree char *junk = g_build_filename (dir, "junk.ts", NULL);
  g_assert_true (g_file_set_contents (junk, "not media at all", -1, NULL));

  CrAvsyncFile alone[] = { { good, -1 } };
  CrAvsyncReport clean;
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_avsync_measure (alone, 1, alone, 1, &clean, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (clean.flashes, ==, 5);
  g_assert_cmpuint (clean.beeps, ==, 5);
  g_assert_cmpuint (clean.pairs, ==, 4);
  g_assert_cmpuint (clean.skipped, ==, 0);
  g_assert_cmpfloat (clean.measured_s, >, 4.9);
  g_assert_cmpfloat (clean.max_ms - clean.min_ms, <, 1.0);

  /* A broken file before and after: left out on both media, the rest measured the same. */
  CrAvsyncFile with_junk[] = { { junk, -1 }, { good, -1 }, { junk, -1 } };
  CrAvsyncReport r;
  g_assert_true (cr_avsync_measure (with_junk, 3, with_junk, 3, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.skipped, ==, 4);
  g_assert_cmpuint (r.pairs, ==, clean.pairs);
  g_assert_cmpfloat (r.offset_ms, ==, clean.offset_ms);
  g_autofree char *json = cr_avsync_report_to_json (&r);
  g_assert_nonnull (strstr (json, "\"SkippedFiles\":4}"));

  /* Nothing that decodes: an error naming the file. */
  CrAvsyncFile only_junk[] = { { junk, -1 } };
  g_assert_false (cr_avsync_measure (only_junk, 1, alone, 1, &r, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, junk));

  g_unlink (good);
  g_unlink (junk);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/avsync/leaves-out-broken-files", test_avsync_leaves_out_broken_files);
  return g_test_run ();
}
