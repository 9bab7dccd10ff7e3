/* A track without a daemon: RTP (H.264 remuxed, VP8 transcoded, Opus to AAC) sent over loopback
 * into cr_track_new()'s ports comes out as listed TS segments whose timestamps count from the
 * playlist's START-REC-TIME. */
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>

#include "media/track.h"
#include "media/ts_retime.h"

static void
on_segment (CrTrack *track, const CrSegment *segment, gboolean first, gpointer data)
{
  (*(guint *)data)++;
}

/* Sends @seconds of RTP made by @payload_desc ("... ! rtpXpay") to 127.0.0.1:@port, iterating
 * the main context meanwhile (the track's bus watch). */
static void
send_rtp (const char *source_desc, guint16 port, int seconds)
{
  g_autofree char *desc
      = g_strdup_printf ("%s ! udpsink host=127.0.0.1 port=%u", source_desc, port);
  GError *error = NULL;
  GstElement *p = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  gst_element_set_state (p, GST_STATE_PLAYING);
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (10000), TRUE);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
}

static void
record (const char *video_caps, const char *audio_caps, const char *video_src,
        const char *audio_src)
{
  g_autofree char *dir = g_dir_make_tmp ("cr-track-XXXXXX", NULL);
  g_autoptr (CrPlaylist) pl
      = cr_playlist_new ("alice", "main", FALSE, video_caps ? 1 : 0, g_get_real_time () / 1000);
  CrTrackOptions o = { dir, "stem", "alice", FALSE, audio_caps, video_caps, FALSE, -1, pl };
  guint segments = 0;
  GError *error = NULL;
  CrTrack *t = cr_track_new (&o, on_segment, NULL, &segments, &error);
  g_assert_no_error (error);
  g_assert_nonnull (t);
  guint16 port = cr_track_rtp_port (t, video_caps != NULL);
  g_assert_cmpuint (port, >, 0);
  g_assert_cmpuint (cr_track_rtp_port (t, video_caps == NULL), ==, 0);
  send_rtp (video_caps != NULL ? video_src : audio_src, port, 3);
  cr_track_finish (t);
  g_assert_cmpuint (pl->segments->len, >=, 1);
  g_assert_cmpuint (segments, ==, pl->segments->len);
  g_assert_true (pl->ended);
  const CrSegment *s = g_ptr_array_index (pl->segments, 0);
  g_autofree char *path = g_build_filename (dir, s->uri, NULL);
  gint64 pts = -1;
  g_assert_true (cr_ts_scan_file (path, &pts, NULL, NULL, NULL));
  g_assert_cmpint (pts, ==, (s->start_ms - pl->start_rec_ms) * 90);
  g_assert_cmpint (pts, <, CR_TS_CLOCK / 2);
  g_assert_cmpfloat (s->duration_s, >, 1.0);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree char *file = g_build_filename (dir, name, NULL);
    g_unlink (file);
  }
  g_rmdir (dir);
}

#define VIDEO_SRC "videotestsrc is-live=true ! video/x-raw,width=64,height=36,framerate=10/1 ! "

static void
test_h264 (void)
{
  record ("application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96", NULL,
          VIDEO_SRC "x264enc tune=zerolatency key-int-max=10 ! rtph264pay pt=96 config-interval=1",
          NULL);
}

static void
test_vp8 (void)
{
  record ("application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=97", NULL,
          VIDEO_SRC "vp8enc deadline=1 keyframe-max-dist=10 ! rtpvp8pay pt=97", NULL);
}

static void
test_opus (void)
{
  record (NULL, "application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=111",
          NULL, "audiotestsrc is-live=true ! opusenc ! rtpopuspay pt=111");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/track/h264", test_h264);
  g_test_add_func ("/track/vp8", test_vp8);
  g_test_add_func ("/track/opus", test_opus);
  return g_test_run ();
}
