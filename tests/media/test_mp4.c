/* The MP4 of a recording's segments (cr_outputs_write -> cr_mp4_remux): 1 s MPEG-TS segments cut
 * by splitmuxsink/mpegtsmux as a recording cuts them (H.264 + AAC muxed, AvMerge; or audio and
 * video apart), then the MP4 read back with qtdemux: each track's first and last presentation
 * time and frame count. The audio must end with the video (a remux that glued each segment's
 * audio end to end drifted ~10 ms per segment), no frame may be lost, a discontinuity (the user
 * away) is left out, and separate tracks keep their offset. */
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>

#include "files/outputs.h"
#include "media/ts_retime.h"
#include "task/codes.h"
#include "gst_run.h"

#define T0_MS G_GINT64_CONSTANT (1700000000000)

/* Media from PAUSE_AT on comes PAUSE_NS later (a publisher muted for a while): a probe on each
 * encoded stream before the muxer. PAUSE_AT is inside a GOP, so the pause is inside a file. */
#define PAUSE_AT (4500 * GST_MSECOND)
#define PAUSE_NS (3 * GST_SECOND)

static GstPadProbeReturn
delay_after_pause (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void)data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstEvent *event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *seg = NULL;
  gst_event_parse_segment (event, &seg);
  /* on the running time: an encoder's segment may start anywhere (x264enc's at 1000 hours) */
  GstClockTime rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME, GST_BUFFER_PTS (buf));
  gst_event_unref (event);
  if (rt < PAUSE_AT)
    return GST_PAD_PROBE_OK;
  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_PTS (buf) += PAUSE_NS;
  if (GST_BUFFER_DTS_IS_VALID (buf))
    GST_BUFFER_DTS (buf) += PAUSE_NS;
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

static void
pause_element (GstElement *pipeline, const char *name)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);
  if (e == NULL)
    return;
  g_autoptr (GstPad) pad = gst_element_get_static_pad (e, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, delay_after_pause, NULL, NULL);
  gst_object_unref (e);
}

/* Makes @seconds of 1 s TS segments @dir/@prefix%05d.ts with H.264 (30 fps, a keyframe a second)
 * and/or AAC (48 kHz mono), as one mux; with @pause, PAUSE_NS without media at PAUSE_AT. */
static void
make_segments_paused (const char *dir, const char *prefix, int seconds, gboolean video,
                      gboolean audio, gboolean pause)
{
  g_autofree char *desc = g_strdup_printf (
      "splitmuxsink name=sp muxer-factory=mpegtsmux max-size-time=1000000000 %s %s",
      video ? "videotestsrc is-live=false num-buffers=NV ! video/x-raw,width=160,height=120,"
              "framerate=30/1 ! x264enc key-int-max=30 speed-preset=ultrafast ! h264parse "
              "name=vparse ! queue ! sp.video"
            : "",
      audio ? "audiotestsrc num-buffers=NA samplesperbuffer=480 ! audio/x-raw,rate=48000,"
              "channels=1 ! avenc_aac ! aacparse name=aparse ! queue ! sp.audio_0"
            : "");
  g_autofree char *nv = g_strdup_printf ("%d", seconds * 30);
  g_autofree char *na = g_strdup_printf ("%d", seconds * 100);
  GString *d = g_string_new (desc);
  g_string_replace (d, "NV", nv, 0);
  g_string_replace (d, "NA", na, 0);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (d->str, &error);
  g_string_free (d, TRUE);
  g_assert_no_error (error);
  GstElement *sp = gst_bin_get_by_name (GST_BIN (pipeline), "sp");
  g_autofree char *location = g_strdup_printf ("%s/%s%%05d.ts", dir, prefix);
  g_object_set (sp, "location", location, NULL);
  gst_object_unref (sp);
  if (pause) {
    pause_element (pipeline, "vparse");
    pause_element (pipeline, "aparse");
  }
  cr_test_play_to_eos (pipeline, 60);
  gst_object_unref (pipeline);
}

static void
make_segments (const char *dir, const char *prefix, int seconds, gboolean video, gboolean audio)
{
  make_segments_paused (dir, prefix, seconds, video, audio, FALSE);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* Adds the segments @dir/@prefix* to @pl as a recording lists them: start times from their first
 * PTS (@pts0 ticks is @t0_ms), durations up to the next one (the last: @last_s), what they hold.
 */
static void
list_segments (CrPlaylist *pl, const char *dir, const char *prefix, gint64 t0_ms, gint64 pts0,
               double last_s, guint media, gboolean discontinuity)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL) {
    if (g_str_has_prefix (name, prefix))
      g_ptr_array_add (names, g_strdup (name));
  }
  g_ptr_array_sort (names, compare_names);
  g_assert_cmpuint (names->len, >=, 3);
  gint64 starts[64];
  g_assert_cmpuint (names->len, <, G_N_ELEMENTS (starts));
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
    gint64 pts = -1, pcr = -1;
    g_assert_true (cr_ts_scan_file (path, &pts, &pcr, NULL, NULL));
    starts[i] = t0_ms + (pts - pts0) / 90;
  }
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
    GStatBuf st;
    g_assert_cmpint (g_stat (path, &st), ==, 0);
    double dur = i + 1 < names->len ? (starts[i + 1] - starts[i]) / 1000.0 : last_s;
    cr_playlist_add (pl, names->pdata[i], starts[i], dur, st.st_size, discontinuity && i == 0);
    ((CrSegment *)g_ptr_array_index (pl->segments, pl->segments->len - 1))->media = media;
  }
}

static gint64
first_pts (const char *dir, const char *prefix)
{
  g_autofree char *path = g_strdup_printf ("%s/%s00000.ts", dir, prefix);
  gint64 pts = -1, pcr = -1;
  g_assert_true (cr_ts_scan_file (path, &pts, &pcr, NULL, NULL));
  return pts;
}

/* A track of the MP4 as qtdemux plays it: presentation times on the file's timeline. */
typedef struct {
  GstSegment seg;
  GstClockTime first, end;
  guint frames;
  GstClockTime last, max_gap; /* the last frame's time; the longest step between two */
} Track;

static GstPadProbeReturn
track_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Track *t = data;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime rt = gst_segment_to_running_time (&t->seg, GST_FORMAT_TIME, GST_BUFFER_PTS (b));
    g_assert_true (GST_CLOCK_TIME_IS_VALID (rt));
    t->first = MIN (t->first, rt);
    if (t->frames > 0 && rt > t->last)
      t->max_gap = MAX (t->max_gap, rt - t->last);
    t->last = rt;
    t->end = MAX (t->end, rt + GST_BUFFER_DURATION (b));
    t->frames++;
  } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_SEGMENT) {
    gst_event_copy_segment (GST_PAD_PROBE_INFO_EVENT (info), &t->seg);
  }
  return GST_PAD_PROBE_OK;
}

static void
on_qt_pad (GstElement *demux, GstPad *pad, gpointer data)
{
  Track *tracks = data;
  g_autoptr (GstCaps) caps = gst_pad_query_caps (pad, NULL);
  gboolean video
      = g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure (caps, 0)), "video/");
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, NULL);
  GstBin *bin = GST_BIN (GST_ELEMENT_PARENT (demux));
  gst_bin_add (bin, sink);
  gst_element_sync_state_with_parent (sink);
  g_autoptr (GstPad) in = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (in, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     track_probe, &tracks[video ? 1 : 0], NULL);
  g_assert_cmpint (gst_pad_link (pad, in), ==, GST_PAD_LINK_OK);
}

/* Reads @mp4: [0] audio, [1] video. */
static void
read_mp4 (const char *mp4, Track tracks[2])
{
  for (int i = 0; i < 2; i++)
    tracks[i] = (Track){ .first = GST_CLOCK_TIME_NONE, .end = 0 };
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("filesrc", NULL);
  GstElement *demux = gst_element_factory_make ("qtdemux", NULL);
  g_object_set (src, "location", mp4, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, demux, NULL);
  g_assert_true (gst_element_link (src, demux));
  g_signal_connect (demux, "pad-added", G_CALLBACK (on_qt_pad), tracks);
  cr_test_play_to_eos (pipeline, 60);
  gst_object_unref (pipeline);
  g_test_message ("audio %.3f..%.3f s (%u frames), video %.3f..%.3f s (%u frames)",
                  tracks[0].first / 1e9, tracks[0].end / 1e9, tracks[0].frames,
                  tracks[1].first / 1e9, tracks[1].end / 1e9, tracks[1].frames);
}

/* cr_outputs_write (hls+mp4) of @playlists into @dir; the one MP4's path. */
static char *
write_mp4 (const char *dir, GHashTable *playlists)
{
  CrNamingTask naming = { .sdk_app_id = 1400000001, .room_id = "r", .task_id = "t" };
  CrOutputOptions o = { .segment_dir = dir,
                        .out_dir = dir,
                        .naming = &naming,
                        .output_format = CR_OUTPUT_HLS_MP4,
                        .max_ms = 86400000,
                        .max_bytes = CR_OUTPUT_MAX_BYTES,
                        .playlists = playlists };
  g_autoptr (GPtrArray) written
      = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_output_file_free);
  GError *error = NULL;
  g_assert_true (cr_outputs_write (&o, written, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (written->len, ==, 1);
  const CrOutputFile *f = g_ptr_array_index (written, 0);
  g_assert_true (g_str_has_suffix (f->name, ".mp4"));
  return g_build_filename (dir, f->name, NULL);
}

static void
remove_dir (char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    g_unlink (path);
  }
  g_rmdir (dir);
  g_free (dir);
}

static GHashTable *
new_playlists (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)cr_playlist_free);
}

#define NEAR(a, b, tol) g_assert_cmpint (ABS ((gint64)(a) - (gint64)(b)), <=, (gint64)(tol))
#define MS GST_MSECOND

/* AvMerge: 10 x 1 s of muxed H.264 + AAC -> the audio ends with the video, nothing lost. */
static void
test_mp4_av_merged (void)
{
  char *dir = g_dir_make_tmp ("cloudrec-mp4-XXXXXX", NULL);
  make_segments (dir, "av", 10, TRUE, TRUE);
  g_autoptr (GHashTable) pls = new_playlists ();
  CrPlaylist *pl = cr_playlist_new ("u", "main", FALSE, -1, T0_MS);
  list_segments (pl, dir, "av", T0_MS, first_pts (dir, "av"), 1.0,
                 CR_SEGMENT_AUDIO | CR_SEGMENT_VIDEO, FALSE);
  g_assert_cmpuint (pl->segments->len, >=, 9);
  g_hash_table_insert (pls, g_strdup ("u/main/av"), pl);
  g_autofree char *mp4 = write_mp4 (dir, pls);
  Track t[2];
  read_mp4 (mp4, t);
  g_assert_cmpuint (t[1].frames, ==, 300);
  g_assert_cmpuint (t[0].frames, >=, 468); /* 10 s of 1024-sample frames at 48 kHz */
  NEAR (t[1].first, 0, 40 * MS);
  NEAR (t[0].first, 0, 40 * MS);
  NEAR (t[1].end, 10 * GST_SECOND, 40 * MS);
  NEAR (t[0].end, t[1].end, 40 * MS);
  remove_dir (dir);
}

/* AvMerge with the user away for 20 s between two runs of 4 s (two muxes): the MP4 holds 8 s,
 * the second run right after the first in both tracks. */
static void
test_mp4_av_discontinuity (void)
{
  char *dir = g_dir_make_tmp ("cloudrec-mp4-XXXXXX", NULL);
  make_segments (dir, "a", 4, TRUE, TRUE);
  make_segments (dir, "b", 4, TRUE, TRUE);
  g_autoptr (GHashTable) pls = new_playlists ();
  CrPlaylist *pl = cr_playlist_new ("u", "main", FALSE, -1, T0_MS);
  list_segments (pl, dir, "a", T0_MS, first_pts (dir, "a"), 1.0,
                 CR_SEGMENT_AUDIO | CR_SEGMENT_VIDEO, FALSE);
  list_segments (pl, dir, "b", T0_MS + 24000, first_pts (dir, "b"), 1.0,
                 CR_SEGMENT_AUDIO | CR_SEGMENT_VIDEO, TRUE);
  g_hash_table_insert (pls, g_strdup ("u/main/av"), pl);
  g_autofree char *mp4 = write_mp4 (dir, pls);
  Track t[2];
  read_mp4 (mp4, t);
  g_assert_cmpuint (t[1].frames, ==, 240);
  g_assert_cmpuint (t[0].frames, >=, 2 * 187);
  NEAR (t[1].end, 8 * GST_SECOND, 40 * MS);
  NEAR (t[0].end, t[1].end, 40 * MS);
  remove_dir (dir);
}

/* Audio and video recorded apart (no AvMerge), the audio starting 500 ms after the video: the
 * MP4 keeps that offset, and both end together. */
static void
test_mp4_separate_tracks (void)
{
  char *dir = g_dir_make_tmp ("cloudrec-mp4-XXXXXX", NULL);
  make_segments (dir, "v", 8, TRUE, FALSE);
  make_segments (dir, "s", 7, FALSE, TRUE); /* audio only: cut every second too */
  g_autoptr (GHashTable) pls = new_playlists ();
  CrPlaylist *v = cr_playlist_new ("u", "main", FALSE, 1, T0_MS);
  list_segments (v, dir, "v", T0_MS, first_pts (dir, "v"), 1.0, CR_SEGMENT_VIDEO, FALSE);
  CrPlaylist *a = cr_playlist_new ("u", "main", FALSE, 0, T0_MS + 500);
  list_segments (a, dir, "s", T0_MS + 500, first_pts (dir, "s"), 1.0, CR_SEGMENT_AUDIO, FALSE);
  g_hash_table_insert (pls, g_strdup ("u/main/video"), v);
  g_hash_table_insert (pls, g_strdup ("u/main/audio"), a);
  g_autofree char *mp4 = write_mp4 (dir, pls);
  Track t[2];
  read_mp4 (mp4, t);
  g_assert_cmpuint (t[1].frames, ==, 240);
  NEAR (t[1].first, 0, 40 * MS);
  NEAR (t[0].first, 500 * MS, 40 * MS);
  NEAR (t[1].end, 8 * GST_SECOND, 40 * MS);
  NEAR (t[0].end, 7500 * MS, 60 * MS); /* the encoder pads the last frame */
  remove_dir (dir);
}

/* AvMerge with both media stopped for 3 s inside a file (a publisher muted; mpegtsmux writes no
 * packet then, so the PCR jumps): the MP4 keeps the pause, in both tracks. tsdemux closed such a
 * jump to 0.5 s: the MP4 was 2.5 s short and everything after the pause early. */
static void
test_mp4_av_pause (void)
{
  char *dir = g_dir_make_tmp ("cloudrec-mp4-XXXXXX", NULL);
  make_segments_paused (dir, "av", 10, TRUE, TRUE, TRUE);
  g_autoptr (GHashTable) pls = new_playlists ();
  CrPlaylist *pl = cr_playlist_new ("u", "main", FALSE, -1, T0_MS);
  list_segments (pl, dir, "av", T0_MS, first_pts (dir, "av"), 1.0,
                 CR_SEGMENT_AUDIO | CR_SEGMENT_VIDEO, FALSE);
  g_hash_table_insert (pls, g_strdup ("u/main/av"), pl);
  g_autofree char *mp4 = write_mp4 (dir, pls);
  Track t[2];
  read_mp4 (mp4, t);
  g_test_message ("longest step: video %.3f s, audio %.3f s", t[1].max_gap / 1e9,
                  t[0].max_gap / 1e9);
  g_assert_cmpuint (t[1].frames, ==, 300);
  NEAR (t[1].first, 0, 40 * MS);
  NEAR (t[1].max_gap, PAUSE_NS + GST_SECOND / 30, 5 * MS);
  NEAR (t[0].max_gap, PAUSE_NS + 10 * MS, 25 * MS); /* 10 ms audio buffers, 21 ms AAC frames */
  NEAR (t[1].end, 13 * GST_SECOND, 40 * MS);
  NEAR (t[0].end, t[1].end, 40 * MS);
  remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/media/mp4/av-merged", test_mp4_av_merged);
  g_test_add_func ("/media/mp4/av-discontinuity", test_mp4_av_discontinuity);
  g_test_add_func ("/media/mp4/separate-tracks", test_mp4_separate_tracks);
  g_test_add_func ("/media/mp4/av-pause", test_mp4_av_pause);
  return g_test_run ();
}
