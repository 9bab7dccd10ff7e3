/* The TS muxer of one medium (packets, tables, PES timestamps, PCR, continuity) and the segment
 * sink built on it: AAC cut into files that ffprobe reads with the exact timestamps of the frames,
 * the files announced as splitmuxsink announces them. (H.264 through the HLS writer: test_hls.) */
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/mp4.h"
#include "media/ts_mux.h"
#include "media/ts_retime.h"
#include "media/ts_segment_sink.h"
#include "gst_run.h"

#define STAMP_BASE (G_GINT64_CONSTANT (3600) * 90000)

typedef struct {
  guint packets, unit_starts, pcrs, random_access;
  gint64 first_pcr;
  guint8 cc_next;
  GByteArray *es; /* the stream's PES bytes, reassembled */
} Walk;

/* Checks every packet of @data (sync byte, PSI CRCs, the stream's continuity) and gathers the
 * stream's bytes. */
static Walk
walk_packets (const guint8 *data, gsize len)
{
  Walk w = { 0, 0, 0, 0, -1, 0, g_byte_array_new () };
  g_assert_cmpuint (len % CR_TS_PACKET, ==, 0);
  for (gsize off = 0; off < len; off += CR_TS_PACKET) {
    const guint8 *p = data + off;
    g_assert_cmpuint (p[0], ==, 0x47);
    guint pid = ((p[1] & 0x1f) << 8) | p[2];
    gboolean start = (p[1] & 0x40) != 0;
    gsize at = 4;
    if (p[3] & 0x20) {
      g_assert_cmpuint (p[4], <=, 183);
      if (p[4] > 0 && (p[5] & 0x10)) {
        gint64 base
            = ((gint64)p[6] << 25) | (p[7] << 17) | (p[8] << 9) | (p[9] << 1) | (p[10] >> 7);
        if (w.first_pcr < 0)
          w.first_pcr = base;
        w.pcrs++;
      }
      if (p[4] > 0 && (p[5] & 0x40))
        w.random_access++;
      at = 5 + p[4];
    }
    g_assert_true (p[3] & 0x10); /* every packet carries payload */
    if (pid == 0 || pid == CR_TS_MUX_PMT_PID) {
      g_assert_true (start);
      const guint8 *section = p + at + 1 + p[at];
      gsize section_len = 3 + (((section[1] & 0x0f) << 8) | section[2]);
      g_assert_cmpuint (cr_ts_mux_crc32 (section, section_len), ==, 0); /* CRC included */
      g_assert_cmpuint (section[0], ==, pid == 0 ? 0x00 : 0x02);
      continue;
    }
    g_assert_cmpuint (pid, ==, CR_TS_MUX_ES_PID);
    g_assert_cmpuint (p[3] & 0x0f, ==, w.cc_next);
    w.cc_next = (w.cc_next + 1) & 0x0f;
    w.packets++;
    w.unit_starts += start;
    g_byte_array_append (w.es, p + at, CR_TS_PACKET - at);
  }
  return w;
}

static void
test_mux_packets (void)
{
  CrTsMux m;
  cr_ts_mux_init (&m, CR_TS_MUX_H264);
  GByteArray *out = g_byte_array_new ();
  /* Units of sizes around the packet's edges, one with its own delimiter. */
  gsize sizes[] = { 1, 150, 151, 152, 165, 166, 167, 168, 169, 170, 171, 184, 185, 400, 3000 };
  gint64 pts0 = 5 * G_GINT64_CONSTANT (90000);
  GByteArray *expected = g_byte_array_new ();
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    guint8 *unit = g_malloc (sizes[i] + 6);
    gsize len = sizes[i];
    if (i == 3) { /* starts with an access unit delimiter: none is added */
      static const guint8 aud[] = { 0, 0, 0, 1, 0x09, 0xf0 };
      memcpy (unit, aud, sizeof aud);
      for (gsize k = 0; k < len; k++)
        unit[6 + k] = (guint8)(k * 7 + i);
      len += 6;
    } else {
      for (gsize k = 0; k < len; k++)
        unit[k] = (guint8)(k * 7 + i);
    }
    gint64 pts = pts0 + i * 6000;
    gint64 dts = i % 2 == 0 ? -1 : pts - 3000;
    cr_ts_mux_frame (&m, out, unit, len, pts, dts, i % 5 == 0);
    g_byte_array_append (expected, unit, len);
    g_free (unit);
  }
  Walk w = walk_packets (out->data, out->len);
  g_assert_cmpuint (w.unit_starts, ==, G_N_ELEMENTS (sizes));
  g_assert_cmpuint (w.pcrs, ==, G_N_ELEMENTS (sizes));
  g_assert_cmpuint (w.random_access, ==, 3);
  /* The first DTS is the first PTS here; the PCR runs the lead behind it. */
  g_assert_cmpint (w.first_pcr, ==, pts0 - CR_TS_MUX_PCR_LEAD);
  gint64 min_pts = -1, min_pcr = -1;
  cr_ts_scan (out->data, out->len, &min_pts, &min_pcr);
  g_assert_cmpint (min_pts, ==, pts0);
  g_assert_cmpint (cr_ts_scan_video_pts (out->data, out->len), ==, pts0);
  /* Every DTS where it was given: the walker moves them all by the same amount. */
  g_assert_cmpuint (cr_ts_shift (out->data, out->len, 0), ==, 2 * G_N_ELEMENTS (sizes) + 7);
  /* The PES: header, a delimiter where the unit had none, the unit's bytes. */
  GByteArray *units = g_byte_array_new ();
  const guint8 *es = w.es->data;
  gsize at = 0;
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_assert_cmpmem (es + at, 4, "\x00\x00\x01\xe0", 4);
    g_assert_cmpuint (es[at + 4] << 8 | es[at + 5], ==, 0); /* video: unbounded */
    guint8 flags = es[at + 7] >> 6;
    g_assert_cmpuint (flags, ==, i % 2 == 0 ? 0x2 : 0x3);
    const guint8 *stamp = es + at + 9;
    gint64 pts = ((gint64)(stamp[0] & 0x0e) << 29) | (stamp[1] << 22) | ((stamp[2] & 0xfe) << 14)
                 | (stamp[3] << 7) | (stamp[4] >> 1);
    g_assert_cmpint (pts, ==, pts0 + i * 6000);
    at += 9 + es[at + 8];
    if (i != 3) {
      g_assert_cmpmem (es + at, 6, "\x00\x00\x00\x01\x09\xf0", 6);
      at += 6;
    }
    gsize len = sizes[i] + (i == 3 ? 6 : 0);
    g_byte_array_append (units, es + at, len);
    at += len;
  }
  g_assert_cmpuint (at, ==, w.es->len);
  g_assert_cmpmem (units->data, units->len, expected->data, expected->len);

  /* A new file: the tables again, counters from 0; ADTS gets a bounded PES length. */
  g_byte_array_set_size (out, 0);
  cr_ts_mux_init (&m, CR_TS_MUX_AAC);
  guint8 frame[200] = { 0xff, 0xf9, 0x50 }; /* ADTS, ID 1 (MPEG-2) */
  cr_ts_mux_frame (&m, out, frame, sizeof frame, G_GINT64_CONSTANT (1) << 33 | 7, -1, TRUE);
  Walk a = walk_packets (out->data, out->len);
  g_assert_cmpuint (out->len, ==, 4 * CR_TS_PACKET); /* PAT, PMT, 2 of the stream */
  g_assert_cmpmem (a.es->data, 4, "\x00\x00\x01\xc0", 4);
  g_assert_cmpuint (a.es->data[4] << 8 | a.es->data[5], ==, 3 + 5 + sizeof frame);
  /* written as MPEG-4 (ID 0): mp4mux takes what tsdemux and aacparse then announce */
  g_assert_cmpmem (a.es->data + 14, 3, "\xff\xf1\x50", 3);
  g_assert_cmpmem (a.es->data + 17, sizeof frame - 3, frame + 3, sizeof frame - 3);
  cr_ts_scan (out->data, out->len, &min_pts, NULL);
  g_assert_cmpint (min_pts, ==, 7); /* modulo 2^33 */
  g_byte_array_unref (a.es);
  g_byte_array_unref (w.es);
  g_byte_array_unref (units);
  g_byte_array_unref (expected);
  g_byte_array_unref (out);
}

static void
test_cuts (void)
{
  GstClockTime s = GST_SECOND;
  /* Steady 2 s GOPs, 10 s files: the keyframe at 10 s ends the file, the one at 8 s does not. */
  g_assert_false (cr_ts_segment_cuts (0, 8 * s, 2 * s, 10 * s));
  g_assert_true (cr_ts_segment_cuts (0, 10 * s, 2 * s, 10 * s));
  /* 200 ms groups of AAC: the file ends before the group that would take it over 10 s. */
  g_assert_false (cr_ts_segment_cuts (0, 9700 * GST_MSECOND, 213 * GST_MSECOND, 10 * s));
  g_assert_true (cr_ts_segment_cuts (0, 9800 * GST_MSECOND, 213 * GST_MSECOND, 10 * s));
  /* A keyframe asked for 9 s into a long GOP ends the file (another as long would not fit). */
  g_assert_true (cr_ts_segment_cuts (0, 9100 * GST_MSECOND, 9100 * GST_MSECOND, 10 * s));
  /* A GOP of unknown length counts as CR_TS_SEGMENT_GOP_GUESS. */
  g_assert_true (cr_ts_segment_cuts (0, 9100 * GST_MSECOND, GST_CLOCK_TIME_NONE, 10 * s));
  g_assert_false (cr_ts_segment_cuts (0, 8900 * GST_MSECOND, GST_CLOCK_TIME_NONE, 10 * s));
  /* Nothing before the file's start, no file, the file's own first frame. */
  g_assert_false (cr_ts_segment_cuts (5 * s, 4 * s, s, 10 * s));
  g_assert_false (cr_ts_segment_cuts (GST_CLOCK_TIME_NONE, 40 * s, s, 10 * s));
  g_assert_false (cr_ts_segment_cuts (5 * s, 5 * s, 20 * s, 10 * s));
}

typedef struct {
  char *dir;
  GPtrArray *opened; /* locations */
  GArray *opened_at, *closed_at;
} Files;

static char *
on_location (GstElement *sink, guint fragment, GstSample *first, gpointer data)
{
  Files *f = data;
  g_assert_nonnull (gst_sample_get_buffer (first));
  g_assert_nonnull (gst_sample_get_segment (first));
  return g_strdup_printf ("%s/part_%u.ts", f->dir, fragment);
}

/* ffprobe's "codec,rate,channels" of @path's first stream and its packets' PTS (90 kHz). */
static char *
probe (const char *path, const char *entries)
{
  const char *argv[]
      = { "ffprobe", "-v", "error", "-show_entries", entries, "-of", "csv=p=0", path, NULL };
  char *out = NULL;
  int status = -1;
  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               NULL, &status, NULL));
  g_assert_cmpint (status, ==, 0);
  return out;
}

/* Runs @launch (its sink named "sink") to its end, gathering the files the sink announced in @f;
 * @probe (optional) sees every buffer on the sink's pad. */
static void
record_files (const char *launch, Files *f, GstPadProbeCallback probe)
{
  GstElement *p = gst_parse_launch (launch, NULL);
  g_assert_nonnull (p);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  g_signal_connect (sink, "format-location-full", G_CALLBACK (on_location), f);
  if (probe != NULL) {
    GstPad *pad = gst_element_get_static_pad (sink, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, probe, NULL, NULL);
    gst_object_unref (pad);
  }
  g_assert_cmpint (gst_element_set_state (p, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (p));
  for (gboolean done = FALSE; !done;) {
    GstMessage *m = gst_bus_timed_pop (bus, 30 * GST_SECOND);
    g_assert_nonnull (m);
    g_assert_cmpint (GST_MESSAGE_TYPE (m), !=, GST_MESSAGE_ERROR);
    const GstStructure *st = gst_message_get_structure (m);
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ELEMENT && GST_MESSAGE_SRC (m) == GST_OBJECT (sink)) {
      GstClockTime running = GST_CLOCK_TIME_NONE;
      g_assert_true (gst_structure_get_clock_time (st, "running-time", &running));
      const char *location = gst_structure_get_string (st, "location");
      if (gst_structure_has_name (st, "splitmuxsink-fragment-opened")) {
        g_ptr_array_add (f->opened, g_strdup (location));
        g_array_append_val (f->opened_at, running);
      } else {
        g_assert_true (gst_structure_has_name (st, "splitmuxsink-fragment-closed"));
        g_assert_cmpstr (location, ==, g_ptr_array_index (f->opened, f->closed_at->len));
        g_array_append_val (f->closed_at, running);
      }
    }
    done = GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS;
    gst_message_unref (m);
  }
  gst_object_unref (bus);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (p);
}

static Files
files_new (void)
{
  Files f = { g_dir_make_tmp ("cr-tsseg-XXXXXX", NULL), g_ptr_array_new_with_free_func (g_free),
              g_array_new (FALSE, FALSE, sizeof (GstClockTime)),
              g_array_new (FALSE, FALSE, sizeof (GstClockTime)) };
  return f;
}

/* Removes the files of @f (and @extra, when set) and their directory. */
static void
files_clear (Files *f, const char *extra)
{
  if (extra != NULL)
    g_unlink (extra);
  for (guint i = 0; i < f->opened->len; i++)
    if (g_ptr_array_index (f->opened, i) != NULL)
      g_unlink (g_ptr_array_index (f->opened, i));
  g_rmdir (f->dir);
  g_free (f->dir);
  g_ptr_array_unref (f->opened);
  g_array_unref (f->opened_at);
  g_array_unref (f->closed_at);
}

/* The files of @f remuxed to @mp4 (cr_mp4_remux: one run, sound). */
static void
remux_audio (Files *f, const char *mp4)
{
  g_ptr_array_add (f->opened, NULL);
  GError *error = NULL;
  CrRemuxRun run = { (const char *const *)f->opened->pdata, CR_REMUX_AUDIO, 0 };
  gboolean remuxed = cr_mp4_remux (&run, 1, mp4, &error);
  g_assert_no_error (error);
  g_assert_true (remuxed);
}

#define AAC_LAUNCH(frames, max_ns)                                                          \
  "audiotestsrc num-buffers=" frames " samplesperbuffer=1024 ! "                            \
  "audio/x-raw,rate=48000,channels=2 ! voaacenc bitrate=64000 ! aacparse ! "                \
  "crtssegmentsink name=sink max-size-time=" max_ns

/* 100 AAC frames (1024 samples at 48 kHz: 1920 ticks each) into files of at most 1 s: every
 * frame a keyframe, so each full file has 46 frames (47 would be 1.003 s). */
static void
test_sink_aac (void)
{
  Files f = files_new ();
  record_files (AAC_LAUNCH ("100", "1000000000"), &f, NULL);

  guint counts[] = { 46, 46, 8 };
  g_assert_cmpuint (f.opened->len, ==, 3);
  g_assert_cmpuint (f.closed_at->len, ==, 3);
  guint frame = 0;
  for (guint i = 0; i < 3; i++) {
    const char *path = g_ptr_array_index (f.opened, i);
    /* Opened at its first frame, closed at the next file's first frame (the last: at its last
     * frame's end, to the rounding of the frames' durations). */
    g_assert_cmpuint (g_array_index (f.opened_at, GstClockTime, i), ==,
                      gst_util_uint64_scale (frame, 1024 * GST_SECOND, 48000));
    gint64 end = (gint64)gst_util_uint64_scale (frame + counts[i], 1024 * GST_SECOND, 48000);
    g_assert_cmpint (ABS ((gint64)g_array_index (f.closed_at, GstClockTime, i) - end), <=,
                     i == 2 ? 1000 : 0);
    g_autofree char *stream = probe (path, "stream=codec_name,profile,sample_rate,channels");
    g_auto (GStrv) streams = g_strsplit (g_strstrip (stream), "\n", 2); /* then its program's */
    g_assert_cmpstr (streams[0], ==, "aac,LC,48000,2");
    g_autofree char *packets = probe (path, "packet=pts");
    g_auto (GStrv) lines = g_strsplit (g_strstrip (packets), "\n", -1);
    guint n = 0;
    for (guint k = 0; lines[k] != NULL; k++) {
      if (*g_strstrip (lines[k]) == '\0') /* ffprobe's csv: an empty line after some packets */
        continue;
      g_assert_cmpint (g_ascii_strtoll (lines[k], NULL, 10), ==, STAMP_BASE + frame * 1920);
      frame++;
      n++;
    }
    g_assert_cmpuint (n, ==, counts[i]);
  }
  /* tsdemux + aacparse announce MPEG-4 AAC (mp4mux refuses mpegversion 2). */
  GstElement *back = gst_parse_launch ("filesrc name=in ! tsdemux ! aacparse ! "
                                       "audio/mpeg,mpegversion=4 ! fakesink",
                                       NULL);
  GstElement *in = gst_bin_get_by_name (GST_BIN (back), "in");
  g_object_set (in, "location", g_ptr_array_index (f.opened, 0), NULL);
  gst_object_unref (in);
  cr_test_play_to_eos (back, 30);
  gst_object_unref (back);
  /* Read back through tsdemux (what the MP4 remux, merge and compose do): every frame. */
  g_autofree char *mp4 = g_build_filename (f.dir, "out.mp4", NULL);
  remux_audio (&f, mp4);
  const char *argv[] = { "ffprobe",
                         "-v",
                         "error",
                         "-count_packets",
                         "-show_entries",
                         "stream=codec_name,nb_read_packets",
                         "-of",
                         "csv=p=0",
                         mp4,
                         NULL };
  g_autofree char *out = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               NULL, NULL, NULL));
  g_assert_cmpstr (g_strstrip (out), ==, "aac,100");
  files_clear (&f, mp4);
}

/* Frames from PAUSE_AT on come PAUSE_NS later: a publisher whose sound stopped for a while. */
#define PAUSE_AT 60
#define PAUSE_NS (3 * GST_SECOND)

static GstPadProbeReturn
delay_after_pause (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  static guint n;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (GST_BUFFER_OFFSET (buf) == 0)
    n = 0;
  if (n++ >= PAUSE_AT) {
    buf = gst_buffer_make_writable (buf);
    GST_BUFFER_PTS (buf) += PAUSE_NS;
    GST_BUFFER_DTS (buf) = GST_BUFFER_PTS (buf);
    GST_PAD_PROBE_INFO_DATA (info) = buf;
  }
  return GST_PAD_PROBE_OK;
}

/* A 3 s pause in the sound, inside a file and at a cut: the files keep it, and so does their
 * MP4 (tsdemux closed a pause the PCR jumped over: the MP4 was 3 s shorter, the sound after it
 * early). */
static void
test_sink_pause (void)
{
  for (guint cut = 0; cut < 2; cut++) {
    Files f = files_new ();
    /* files of 10 s (the pause inside the one file) or of 1 s (the frame after it starts one) */
    record_files (cut ? AAC_LAUNCH ("120", "1000000000") : AAC_LAUNCH ("120", "10000000000"), &f,
                  delay_after_pause);
    g_assert_cmpuint (f.opened->len, ==, cut ? 4 : 1);
    g_autofree char *mp4 = g_build_filename (f.dir, "out.mp4", NULL);
    remux_audio (&f, mp4);
    g_autofree char *packets = probe (mp4, "packet=pts_time");
    g_auto (GStrv) lines = g_strsplit (g_strstrip (packets), "\n", -1);
    guint n = 0;
    double first = 0;
    for (guint k = 0; lines[k] != NULL; k++) {
      if (*g_strstrip (lines[k]) == '\0')
        continue;
      double t = g_ascii_strtod (lines[k], NULL);
      if (n == 0)
        first = t;
      double expected = n * 1024.0 / 48000 + (n >= PAUSE_AT ? (double)PAUSE_NS / GST_SECOND : 0);
      if (fabs (t - first - expected) > 0.002)
        g_error ("cut %u: MP4 frame %u at %.4f s, expected %.4f s", cut, n, t - first, expected);
      n++;
    }
    g_assert_cmpuint (n, ==, 120);
    files_clear (&f, mp4);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  cr_ts_segment_sink_register ();
  g_test_add_func ("/ts-mux/packets", test_mux_packets);
  g_test_add_func ("/ts-segment/cuts", test_cuts);
  g_test_add_func ("/ts-segment/aac", test_sink_aac);
  g_test_add_func ("/ts-segment/pause", test_sink_pause);
  return g_test_run ();
}
