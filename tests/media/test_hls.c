/* The HLS side of a recording without a daemon: TS timestamps moved in place (ts_retime), the
 * HLS writer fed by a real splitmuxsink (segments named, closed, retimed, listed and durable; the
 * playlist ended), and the MP4 remux of those segments into a path with a space and quotes. */
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <stdlib.h>
#include <string.h>

#include "files/naming.h"
#include "files/playlist.h"
#include "media/hls_writer.h"
#include "media/mp4.h"
#include "media/ts_retime.h"
#include "media/ts_segment_sink.h"

#define LEAD_TICKS (CR_TS_CLOCK / 8) /* mpegtsmux's PCR runs 125 ms ahead of the first sample */

/* Runs @pipeline to EOS, feeding its bus to @hw when given. */
static void
run_to_eos (GstElement *pipeline, CrHlsWriter *hw)
{
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  for (;;) {
    GstMessage *m = gst_bus_timed_pop (bus, 30 * GST_SECOND);
    g_assert_nonnull (m);
    GstMessageType type = GST_MESSAGE_TYPE (m);
    if (type == GST_MESSAGE_ERROR) {
      GError *e = NULL;
      gst_message_parse_error (m, &e, NULL);
      g_error ("%s", e->message);
    }
    if (hw != NULL)
      cr_hls_writer_handle_message (hw, m);
    gst_message_unref (m);
    if (type == GST_MESSAGE_EOS)
      break;
  }
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

/* 3 s of 10 fps H.264, a keyframe a second: a TS file straight from mpegtsmux. */
static char *
make_ts (const char *dir)
{
  char *path = g_build_filename (dir, "plain.ts", NULL);
  GstElement *p
      = gst_parse_launch ("videotestsrc num-buffers=30 ! video/x-raw,width=64,height=36,"
                          "framerate=10/1 ! x264enc key-int-max=10 bframes=0 ! h264parse ! "
                          "mpegtsmux ! filesink name=out",
                          NULL);
  GstElement *out = gst_bin_get_by_name (GST_BIN (p), "out");
  g_object_set (out, "location", path, NULL);
  gst_object_unref (out);
  run_to_eos (p, NULL);
  gst_object_unref (p);
  return path;
}

static void
test_ts_retime (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cr-media-XXXXXX", NULL);
  g_autofree char *ts = make_ts (dir);
  gint64 pts = -1, pcr = -1;
  g_assert_true (cr_ts_scan_file (ts, &pts, &pcr, NULL, NULL));
  /* What mpegtsmux writes: running time (0) + 3600 s, the PCR a little ahead. */
  g_assert_cmpint (pts, ==, (gint64)3600 * CR_TS_CLOCK);
  g_assert_cmpint (pcr, >=, 0);
  g_assert_cmpint (pcr, <, pts);
  g_assert_true (cr_ts_shift_file (ts, 2 * CR_TS_CLOCK - pts, NULL));
  gint64 pts2 = -1, pcr2 = -1;
  g_assert_true (cr_ts_scan_file (ts, &pts2, &pcr2, NULL, NULL));
  g_assert_cmpint (pts2, ==, 2 * CR_TS_CLOCK);
  g_assert_cmpint (pcr2, ==, pcr + (2 * CR_TS_CLOCK - pts));
  /* Backwards past 0 wraps modulo 2^33, and forwards again undoes it. */
  g_autofree char *bytes = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (ts, &bytes, &len, NULL));
  g_assert_cmpuint (cr_ts_shift ((guint8 *)bytes, len, -10 * CR_TS_CLOCK), >, 30);
  gint64 wrapped = -1;
  cr_ts_scan ((const guint8 *)bytes, len, &wrapped, NULL);
  g_assert_cmpint (wrapped, ==, CR_TS_WRAP - 8 * CR_TS_CLOCK);
  cr_ts_shift ((guint8 *)bytes, len, 10 * CR_TS_CLOCK);
  cr_ts_scan ((const guint8 *)bytes, len, &wrapped, NULL);
  g_assert_cmpint (wrapped, ==, 2 * CR_TS_CLOCK);
  /* Not TS: nothing found, nothing moved. */
  guint8 junk[400];
  memset (junk, 0x47, sizeof junk);
  junk[188] = 0;
  cr_ts_scan (junk, sizeof junk, &pts, &pcr);
  g_assert_cmpint (pts, ==, -1);
  g_assert_cmpint (pcr, ==, -1);
  g_unlink (ts);
  g_rmdir (dir);
}

typedef struct {
  guint segments;
  guint firsts;
} Seen;

static void
on_segment (const CrSegment *segment, gboolean first, gpointer data)
{
  Seen *seen = data;
  seen->segments++;
  seen->firsts += first;
}

#define SPLITMUXSINK                                                                               \
  "splitmuxsink name=sink muxer-factory=mpegtsmux max-size-time=1000000000 async-finalize=false"
#define SEGMENT_SINK "crtssegmentsink name=sink max-size-time=1000000000"

/* Segments of ~1 s from @sink (splitmuxsink, or the TS segment sink of a one-medium track) handed
 * to the HLS writer; returns the playlist. */
static CrPlaylist *
record_hls (const char *dir, Seen *seen, const char *sink_desc)
{
  g_autofree char *desc
      = g_strdup_printf ("videotestsrc num-buffers=35 ! video/x-raw,width=64,height=36,"
                         "framerate=10/1 ! x264enc key-int-max=10 bframes=0 ! h264parse ! "
                         "video/x-h264,stream-format=byte-stream,alignment=au ! %s",
                         sink_desc);
  GstElement *p = gst_parse_launch (desc, NULL);
  g_assert_nonnull (p);
  CrPlaylist *pl = cr_playlist_new ("alice", "main", FALSE, 1, g_get_real_time () / 1000 - 5000);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  CrHlsWriter *hw = cr_hls_writer_new (sink, dir, "stem", CR_TRACK_VIDEO, CR_SEGMENT_VIDEO, pl,
                                       on_segment, seen);
  gst_object_unref (sink);
  g_assert_cmpstr (cr_hls_writer_playlist_name (hw), ==, "stem_video.m3u8");
  run_to_eos (p, hw);
  cr_hls_writer_finish (hw);
  gst_object_unref (p);
  return pl;
}

/* The frames ffprobe counts in the video of @path. */
static int
probe_frames (const char *path)
{
  const char *argv[] = { "ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0",
                         "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", path, NULL };
  g_autofree char *out = NULL;
  int status = -1;
  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               NULL, &status, NULL));
  g_assert_cmpint (status, ==, 0);
  return atoi (out);
}

static void
check_hls_writer (const char *sink_desc, gboolean exact)
{
  g_autofree char *dir = g_dir_make_tmp ("cr-media-XXXXXX", NULL);
  Seen seen = { 0 };
  g_autoptr (CrPlaylist) pl = record_hls (dir, &seen, sink_desc);
  g_assert_cmpuint (pl->segments->len, >=, 3);
  if (exact) /* cut at every keyframe a second apart, 0.5 s left: EXTINFs 1, 1, 1, 0.5 */
    g_assert_cmpuint (pl->segments->len, ==, 4);
  g_assert_cmpuint (seen.segments, ==, pl->segments->len);
  g_assert_cmpuint (seen.firsts, ==, 1);
  g_assert_true (pl->ended);
  g_autofree char *m3u8 = g_build_filename (dir, "stem_video.m3u8", NULL);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (m3u8, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "#EXT-X-ENDLIST"));
  const CrSegment *first = g_ptr_array_index (pl->segments, 0);
  /* A fresh playlist starts recording with its first segment (less the PCR lead). */
  g_assert_cmpint (first->start_ms - pl->start_rec_ms, ==, LEAD_TICKS / 90);
  g_autofree char *rec
      = g_strdup_printf ("#EXT-X-TRTC-START-REC-TIME:%" G_GINT64_FORMAT "\n", pl->start_rec_ms);
  g_assert_nonnull (strstr (text, rec));
  double total = 0;
  for (guint i = 0; i < pl->segments->len; i++) {
    const CrSegment *s = g_ptr_array_index (pl->segments, i);
    g_assert_true (g_str_has_prefix (s->uri, "stem_video_"));
    g_assert_nonnull (strstr (text, s->uri));
    g_assert_cmpuint (s->media, ==, CR_SEGMENT_VIDEO);
    g_assert_false (s->discontinuity);
    g_autofree char *path = g_build_filename (dir, s->uri, NULL);
    GStatBuf st;
    g_assert_cmpint (g_stat (path, &st), ==, 0);
    g_assert_cmpuint ((guint64)st.st_size, ==, s->bytes);
    /* Each segment's first PTS is its start minus START-REC-TIME (media time: exact to 1 ms). */
    gint64 pts = -1, pcr = -1;
    g_assert_true (cr_ts_scan_file (path, &pts, &pcr, NULL, NULL));
    g_assert_cmpint (pcr, >=, 0);
    gint64 expected = (s->start_ms - pl->start_rec_ms) * 90;
    g_assert_cmpint (ABS (pts - expected), <=, 90);
    if (i > 0)
      g_assert_cmpint (s->start_ms, >,
                       ((const CrSegment *)g_ptr_array_index (pl->segments, i - 1))->start_ms);
    if (exact) {
      g_assert_cmpfloat (ABS (s->duration_s - (i < 3 ? 1.0 : 0.5)), <, 0.001);
      g_assert_cmpint (probe_frames (path), ==, i < 3 ? 10 : 5);
      if (i > 0) /* the next segment starts where this one ends, to the ms */
        g_assert_cmpint (
            s->start_ms - ((const CrSegment *)g_ptr_array_index (pl->segments, i - 1))->start_ms,
            ==, 1000);
    }
    total += s->duration_s;
  }
  g_assert_cmpfloat (ABS (total - 3.5), <, 0.2);

  /* The MP4 of those segments, into a path with a space and both quotes. */
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < pl->segments->len; i++)
    g_ptr_array_add (
        files, g_build_filename (dir, ((const CrSegment *)g_ptr_array_index (pl->segments, i))->uri,
                                 NULL));
  g_ptr_array_add (files, NULL);
  g_autofree char *mp4 = g_build_filename (dir, "out 'a\" b.mp4", NULL);
  GError *error = NULL;
  CrRemuxRun run = { (const char *const *)files->pdata, CR_REMUX_VIDEO, 0 };
  g_assert_true (cr_mp4_remux (&run, 1, mp4, &error));
  g_assert_no_error (error);
  GStatBuf st;
  g_assert_cmpint (g_stat (mp4, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 1000);
  g_assert_cmpint (probe_frames (mp4), ==, 35); /* read back through tsdemux: every picture */

  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    g_unlink (path);
  }
  g_rmdir (dir);
}

static void
test_hls_writer (void)
{
  check_hls_writer (SPLITMUXSINK, FALSE);
}

/* The same through the TS segment sink of a one-medium track: the same names, START-REC-TIME and
 * timestamps, and its cuts exact. */
static void
test_hls_writer_one_medium (void)
{
  check_hls_writer (SEGMENT_SINK, TRUE);
}

/* Sound from 0, the first picture 700 ms later (a camera that starts late), in one TS: the first
 * segment begins with the sound, so its FILE-ATTR time is 700 ms before its first picture's and
 * its EXTINF covers the sound too; the next one follows it without a hole. */
static void
test_hls_writer_early_sound (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cr-media-XXXXXX", NULL);
  GstElement *p = gst_parse_launch (
      "videotestsrc num-buffers=28 timestamp-offset=700000000 ! "
      "video/x-raw,width=64,height=36,framerate=10/1 ! x264enc key-int-max=10 bframes=0 ! "
      "h264parse ! sink.video "
      "audiotestsrc num-buffers=350 samplesperbuffer=480 ! audio/x-raw,rate=48000,channels=1 ! "
      "voaacenc ! aacparse ! sink.audio_0 "
      "splitmuxsink name=sink muxer-factory=mpegtsmux max-size-time=1000000000 "
      "async-finalize=false",
      NULL);
  g_assert_nonnull (p);
  g_autoptr (CrPlaylist) pl
      = cr_playlist_new ("alice", "main", FALSE, 1, g_get_real_time () / 1000 - 5000);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  Seen seen = { 0 };
  CrHlsWriter *hw = cr_hls_writer_new (sink, dir, "stem", -1,
                                       CR_SEGMENT_AUDIO | CR_SEGMENT_VIDEO, pl, on_segment, &seen);
  gst_object_unref (sink);
  run_to_eos (p, hw);
  cr_hls_writer_finish (hw);
  gst_object_unref (p);
  g_assert_cmpuint (pl->segments->len, >=, 2);
  const CrSegment *first = g_ptr_array_index (pl->segments, 0);
  const CrSegment *second = g_ptr_array_index (pl->segments, 1);
  g_autofree char *path = g_build_filename (dir, first->uri, NULL);
  gint64 pts = -1, video_pts = -1;
  g_assert_true (cr_ts_scan_file (path, &pts, NULL, &video_pts, NULL));
  /* the file: sound at its FILE-ATTR time, the picture 700 ms later */
  g_assert_cmpint (ABS (pts - (first->start_ms - pl->start_rec_ms) * 90), <=, 90);
  g_assert_cmpint (ABS (video_pts - pts - 700 * 90), <=, 2 * 90);
  /* the second segment starts 1 s of pictures after the first picture: 1.7 s after the first
   * segment's start, where the first segment ends */
  g_assert_cmpint (ABS (second->start_ms - first->start_ms - 1700), <=, 5);
  g_assert_cmpfloat (ABS (first->duration_s - 1.7), <, 0.05);
  g_autofree char *second_path = g_build_filename (dir, second->uri, NULL);
  g_assert_true (cr_ts_scan_file (second_path, NULL, NULL, &video_pts, NULL));
  g_assert_cmpint (ABS (video_pts - (second->start_ms - pl->start_rec_ms) * 90), <=, 90);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree char *f = g_build_filename (dir, name, NULL);
    g_unlink (f);
  }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  cr_ts_segment_sink_register ();
  g_test_add_func ("/media/ts-retime", test_ts_retime);
  g_test_add_func ("/media/hls-writer", test_hls_writer);
  g_test_add_func ("/media/hls-writer-one-medium", test_hls_writer_one_medium);
  g_test_add_func ("/media/hls-writer-early-sound", test_hls_writer_early_sound);
  return g_test_run ();
}
