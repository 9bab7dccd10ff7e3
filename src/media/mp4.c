/* TS segments -> one MP4 or ADTS file with GStreamer; see mp4.h.
 *
 * Per run: appsrc (the run's files back to back, read in 256 KB chunks on its streaming thread)
 * ! tsdemux ! h264parse / aacparse ! concat (one per track: the runs in order) ! mp4mux. One
 * demuxer per run rather than per file: the segments were cut from one mux, so their bytes
 * concatenate into valid TS with continuous timestamps, the audio keeps its place against the
 * video across segment boundaries (a branch per file glued each file's audio end to end, ~8 ms
 * of drift per segment), and a 1-hour recording is a handful of elements and threads instead of
 * thousands. No queues: the demuxer's thread pushes both tracks straight into mp4mux, whose
 * inputs may each hold MUX_LATENCY of media so one track can run ahead of the other. */
#include "mp4.h"

#include <gio/gio.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <unistd.h>

#include "media/elements.h"
#include "media/h264_keyframes.h"

GST_DEBUG_CATEGORY_STATIC (cr_mp4_debug);
#define GST_CAT_DEFAULT cr_mp4_debug
#define DEBUG_INIT() CR_DEBUG_INIT (cr_mp4_debug, "cloudrec-mp4", "cloudrec: MP4 and AAC remux")

#define REMUX_TIMEOUT_S 600

/* How much media each input of mp4mux may hold before its pusher waits: a run's video and audio
 * come out of one demuxer thread, so one track must be able to get ahead of the other by what
 * the TS interleaves (well under a second) without a queue and its thread in between. */
#define MUX_LATENCY (10 * GST_SECOND)

/* The files of a run, fed to an appsrc in order as one byte stream. */
typedef struct {
  char **files;
  guint next; /* index of the file to open after @fd */
  int fd;     /* the file being read, or -1 */
  CrPcrBridge *bridge; /* the clock through a pause (ts_pcr_bridge.h) */
} Feed;

static void
feed_free (gpointer data)
{
  Feed *feed = data;
  if (feed->fd >= 0)
    close (feed->fd);
  g_strfreev (feed->files);
  cr_pcr_bridge_free (feed->bridge);
  g_free (feed);
}

static void
feed_fail (GstAppSrc *src, const char *path, int err)
{
  GError *error = g_error_new (G_IO_ERROR, g_io_error_from_errno (err), "cannot read %s: %s", path,
                               g_strerror (err));
  gst_element_post_message (GST_ELEMENT (src),
                            gst_message_new_error (GST_OBJECT (src), error, NULL));
  g_error_free (error);
  gst_app_src_end_of_stream (src);
}

/* appsrc wants data: the next chunk of the current file, the next file, or the end. Runs on the
 * appsrc's streaming thread, which then pushes it through the demuxer and parsers. */
static void
feed_need_data (GstAppSrc *src, guint length, gpointer data)
{
  (void)length;
  Feed *feed = data;
  for (;;) {
    if (feed->fd < 0) {
      const char *path = feed->files[feed->next];
      if (path == NULL) {
        GstBuffer *rest = cr_buffer_ts_rest (feed->bridge);
        if (rest != NULL)
          gst_app_src_push_buffer (src, rest);
        gst_app_src_end_of_stream (src);
        return;
      }
      feed->fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
      if (feed->fd < 0) {
        feed_fail (src, path, errno);
        return;
      }
      feed->next++;
    }
    int err = 0;
    GstBuffer *buf = cr_buffer_read_ts (feed->fd, feed->bridge, &err);
    if (buf != NULL) {
      gst_app_src_push_buffer (src, buf);
      return;
    }
    if (err != 0) {
      feed_fail (src, feed->files[feed->next - 1], err);
      return;
    }
    close (feed->fd); /* end of this file: on to the next */
    feed->fd = -1;
  }
}

/* An appsrc that plays @files back to back as one MPEG-TS byte stream (mp4.h). */
gpointer
cr_ts_feed_source (const char *const *files, GError **error)
{
  GstElement *src = cr_element ("appsrc", NULL, error);
  if (src == NULL)
    return NULL;
  g_autoptr (GstCaps) caps = gst_caps_new_simple ("video/mpegts", "systemstream", G_TYPE_BOOLEAN,
                                                  TRUE, "packetsize", G_TYPE_INT, 188, NULL);
  g_object_set (src, "caps", caps, "format", GST_FORMAT_BYTES, "stream-type",
                GST_APP_STREAM_TYPE_STREAM, NULL);
  Feed *feed = g_new0 (Feed, 1);
  feed->files = g_strdupv ((char **)files);
  feed->fd = -1;
  feed->bridge = cr_pcr_bridge_new ();
  GstAppSrcCallbacks callbacks = { .need_data = feed_need_data };
  gst_app_src_set_callbacks (GST_APP_SRC (src), &callbacks, feed, feed_free);
  return src;
}

/* The parsers of one run's demuxer: [0] audio, [1] video (NULL when not taken). */
typedef struct {
  GstElement *parser[2];
  gboolean ended[2];     /* given up as missing: ended with EOS, never linked */
  GstClockTime first_ts; /* of the run's first buffer on a linked pad, while one is missing */
} Demuxed;

/* How much of a run's media is waited for before a medium its playlist promised but its TS
 * does not carry is given up. tsdemux may announce a stream late (a first PMT written before
 * the audio joined the mux), so "no more pads" is not the end of the question; mp4mux holds
 * about 10 s per input without queues, so the wait must stay well below that. */
#define MISSING_GRACE (2 * GST_SECOND)

/* tsdemux's pad of a medium the run takes is linked to its parser; the others are left alone. */
static void
remux_on_demux_pad (GstElement *demux, GstPad *pad, gpointer data)
{
  (void)demux;
  Demuxed *d = data;
  g_autoptr (GstCaps) caps = gst_pad_query_caps (pad, NULL);
  const char *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  int m = g_str_has_prefix (name, "video/") ? 1 : g_str_has_prefix (name, "audio/") ? 0 : -1;
  if (m < 0 || d->parser[m] == NULL || d->ended[m])
    return;
  g_autoptr (GstPad) sink = gst_element_get_static_pad (d->parser[m], "sink");
  if (!gst_pad_is_linked (sink))
    gst_pad_link (pad, sink);
}

/* Ends the parsers of the media the run was to have but its TS has not shown: their tracks go on
 * with the next run instead of waiting for them. */
static void
remux_end_missing (GstElement *demux, Demuxed *d)
{
  for (int m = 0; m < 2; m++) {
    if (d->parser[m] == NULL || d->ended[m])
      continue;
    g_autoptr (GstPad) sink = gst_element_get_static_pad (d->parser[m], "sink");
    if (!gst_pad_is_linked (sink)) {
      GST_WARNING_OBJECT (demux, "no %s in this run", m ? "video" : "audio");
      d->ended[m] = TRUE;
      gst_pad_send_event (sink, gst_event_new_stream_start ("cloudrec-remux-missing"));
      gst_pad_send_event (sink, gst_event_new_eos ());
    }
  }
}

/* On a linked demuxer pad while a medium is missing: after MISSING_GRACE of media, or at the
 * run's end, the missing one is given up. */
static GstPadProbeReturn
remux_watch_missing (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Demuxed *d = data;
  GstElement *demux = GST_ELEMENT (gst_pad_get_parent (pad));
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstClockTime ts = GST_BUFFER_DTS_OR_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
    if (GST_CLOCK_TIME_IS_VALID (ts)) {
      if (!GST_CLOCK_TIME_IS_VALID (d->first_ts))
        d->first_ts = ts;
      else if (ts >= d->first_ts + MISSING_GRACE) {
        remux_end_missing (demux, d);
        ret = GST_PAD_PROBE_REMOVE;
      }
    }
  } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS) {
    remux_end_missing (demux, d);
    ret = GST_PAD_PROBE_REMOVE;
  }
  if (demux != NULL)
    gst_object_unref (demux);
  return ret;
}

/* The demuxer has announced the streams of its first program: a medium the run was to have and
 * that is not among them is watched for a little longer (remux_watch_missing). */
static void
remux_on_no_more_pads (GstElement *demux, gpointer data)
{
  Demuxed *d = data;
  gboolean missing = FALSE;
  GstPad *linked = NULL;
  for (int m = 0; m < 2; m++) {
    if (d->parser[m] == NULL || d->ended[m])
      continue;
    g_autoptr (GstPad) sink = gst_element_get_static_pad (d->parser[m], "sink");
    GstPad *peer = gst_pad_get_peer (sink);
    if (peer == NULL)
      missing = TRUE;
    else if (linked == NULL)
      linked = peer;
    else
      gst_object_unref (peer);
  }
  if (missing && linked == NULL)
    remux_end_missing (demux, d); /* nothing of it flows: nothing to wait with */
  else if (missing) {
    d->first_ts = GST_CLOCK_TIME_NONE;
    gst_pad_add_probe (linked, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                       remux_watch_missing, d, NULL);
  }
  if (linked != NULL)
    gst_object_unref (linked);
}

/* Every run's media is placed at (its run's start in the file + LEAD): the demuxer's segment
 * starts at the earliest timestamp it has seen when it starts pushing, which may be a frame after
 * a track's first one (an AAC priming frame ahead of the first video frame), and the parser would
 * drop what lies before it. Opening each segment LEAD earlier keeps those frames; mp4mux starts
 * the file at the earliest timestamp of all tracks, so the lead itself does not show. */
#define LEAD GST_SECOND

/* A run's track, seen at its parser's input: the segment opened LEAD early and based so that the
 * run's first timestamp falls at the run's start in the file (+ LEAD). */
typedef struct {
  GstClockTime at; /* the run's start in the file */
} Placement;

static GstPadProbeReturn
remux_place_segment (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void)pad;
  const Placement *place = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_SEGMENT)
    return GST_PAD_PROBE_OK;
  GstSegment seg;
  gst_event_copy_segment (event, &seg);
  if (seg.format != GST_FORMAT_TIME || seg.rate < 0)
    return GST_PAD_PROBE_OK;
  guint64 lead = MIN (seg.start, (guint64)LEAD);
  seg.start -= lead;
  seg.time = seg.time >= lead ? seg.time - lead : 0;
  if (GST_CLOCK_TIME_IS_VALID (seg.position))
    seg.position = seg.start;
  seg.base = place->at + (LEAD - lead);
  GstEvent *out = gst_event_new_segment (&seg);
  gst_event_set_seqnum (out, gst_event_get_seqnum (event));
  gst_event_unref (event);
  GST_PAD_PROBE_INFO_DATA (info) = out;
  return GST_PAD_PROBE_OK;
}

/* A track after its concat: where its last buffer ended (running time), so that a run placed
 * a little before the previous one ended (the playlist's durations are rounded) is moved after
 * it instead of making the muxer's timestamps go back. */
typedef struct {
  GstSegment seg;
  GstClockTime end; /* running time */
} TrackEnd;

static GstPadProbeReturn
remux_keep_order (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void)pad;
  TrackEnd *te = data;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime ts = GST_BUFFER_DTS_OR_PTS (buf);
    if (te->seg.format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID (ts)) {
      GstClockTime rt = gst_segment_to_running_time (&te->seg, GST_FORMAT_TIME, ts);
      if (GST_CLOCK_TIME_IS_VALID (rt)) {
        if (GST_BUFFER_DURATION_IS_VALID (buf))
          rt += GST_BUFFER_DURATION (buf);
        te->end = GST_CLOCK_TIME_IS_VALID (te->end) ? MAX (te->end, rt) : rt;
      }
    }
    return GST_PAD_PROBE_OK;
  }
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_SEGMENT)
    return GST_PAD_PROBE_OK;
  gst_event_copy_segment (event, &te->seg);
  if (te->seg.format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID (te->end))
    return GST_PAD_PROBE_OK;
  GstClockTime first = gst_segment_to_running_time (&te->seg, GST_FORMAT_TIME, te->seg.start);
  if (GST_CLOCK_TIME_IS_VALID (first) && first + LEAD < te->end) {
    GST_DEBUG_OBJECT (pad, "run moved %" GST_TIME_FORMAT " later, after the previous one",
                      GST_TIME_ARGS (te->end - first - LEAD));
    te->seg.base += te->end - first - LEAD;
    GstEvent *out = gst_event_new_segment (&te->seg);
    gst_event_set_seqnum (out, gst_event_get_seqnum (event));
    gst_event_unref (event);
    GST_PAD_PROBE_INFO_DATA (info) = out;
  }
  return GST_PAD_PROBE_OK;
}

/* concat for the track @m (0 audio, 1 video) feeding the muxer's pad (a request pad
 * "audio_%u"/"video_%u" of mp4mux, or identity's "sink"); made on first use. */
static GstElement *
track_concat (GstElement *pipeline, GstElement *mux, GstElement **concat, int m, GError **error)
{
  if (*concat != NULL)
    return *concat;
  GstElement *c = cr_element ("concat", NULL, error);
  if (c == NULL || !cr_bin_chain (GST_BIN (pipeline), error, c, NULL))
    return NULL;
  g_object_set (c, "adjust-base", FALSE, NULL); /* each run is placed by remux_place_segment */
  GstPad *to_mux = gst_element_get_static_pad (mux, "sink");
  if (to_mux == NULL)
    to_mux = gst_element_request_pad_simple (mux, m ? "video_%u" : "audio_%u");
  g_autoptr (GstPad) from = gst_element_get_static_pad (c, "src");
  TrackEnd *te = g_new0 (TrackEnd, 1);
  te->end = GST_CLOCK_TIME_NONE;
  gst_pad_add_probe (from, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     remux_keep_order, te, g_free);
  if (to_mux == NULL || gst_pad_link (from, to_mux) != GST_PAD_LINK_OK) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot link the %s to the muxer",
                 m ? "video" : "audio");
    g_clear_object (&to_mux);
    return NULL;
  }
  gst_object_unref (to_mux);
  return *concat = c;
}

/* Per run of @runs that has a medium of @want: appsrc ! tsdemux, and per medium taken a parser
 * into that track's concat, which feeds @mux. A run that starts after its track's previous run
 * ended (a gap, or the track's first run starting late) gets the gap as a pad offset. */
static gboolean
remux_build (GstElement *pipeline, GstElement *mux, const CrRemuxRun *runs, guint n, guint want,
             GError **error)
{
  static const char *const parsers[2] = { "aacparse", "h264parse" };
  static const guint flags[2] = { CR_REMUX_AUDIO, CR_REMUX_VIDEO };
  GstBin *bin = GST_BIN (pipeline);
  GstElement *concat[2] = { NULL, NULL };
  gboolean any = FALSE;
  for (guint r = 0; r < n; r++) {
    const CrRemuxRun *run = &runs[r];
    if ((run->media & want) == 0 || run->files == NULL || run->files[0] == NULL)
      continue;
    GstElement *src = cr_ts_feed_source (run->files, error);
    GstElement *demux = src != NULL ? cr_element ("tsdemux", NULL, error) : NULL;
    if (demux == NULL || !cr_bin_chain (bin, error, src, demux, NULL))
      return FALSE;
    Demuxed *d = g_new0 (Demuxed, 1);
    g_object_set_data_full (G_OBJECT (demux), "cloudrec-demuxed", d, g_free);
    g_signal_connect (demux, "pad-added", G_CALLBACK (remux_on_demux_pad), d);
    g_signal_connect (demux, "no-more-pads", G_CALLBACK (remux_on_no_more_pads), d);
    for (int m = 0; m < 2; m++) {
      if ((run->media & want & flags[m]) == 0)
        continue;
      GstElement *c = track_concat (pipeline, mux, &concat[m], m, error);
      GstElement *parse = c != NULL ? cr_element (parsers[m], NULL, error) : NULL;
      if (parse == NULL || !cr_bin_chain (bin, error, parse, c, NULL))
        return FALSE;
      d->parser[m] = parse;
      if (m == 1) { /* the MP4's sync samples: its IDR pictures, not an encoder's scene cuts */
        g_autoptr (GstPad) parsed = gst_element_get_static_pad (parse, "src");
        cr_h264_mark_idr_keyframes (parsed);
      }
      Placement *place = g_new (Placement, 1);
      place->at = (GstClockTime)MAX (run->start_ms, 0) * GST_MSECOND;
      g_autoptr (GstPad) in = gst_element_get_static_pad (parse, "sink");
      gst_pad_add_probe (in, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, remux_place_segment, place,
                         g_free);
      GST_DEBUG ("run %u %s: at %" G_GINT64_FORMAT " ms", r, m ? "video" : "audio", run->start_ms);
      any = TRUE;
    }
  }
  if (!any)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "no segments to remux");
  return any;
}


/* The pipeline's end: @mux (named "mux") ! [@caps] ! filesink location=@path. */
static GstElement *
remux_pipeline (const char *mux_factory, GstCaps *caps, const char *path, GstElement **mux,
                GError **error)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  *mux = cr_element (mux_factory, "mux", error);
  GstElement *sink = *mux != NULL ? cr_element ("filesink", NULL, error) : NULL;
  if (sink == NULL) {
    g_clear_pointer (&caps, gst_caps_unref);
    gst_object_unref (pipeline);
    return NULL;
  }
  g_object_set (sink, "location", path, NULL);
  gboolean ok = caps != NULL ? cr_bin_chain (GST_BIN (pipeline), error, *mux, cr_capsfilter (caps),
                                             sink, NULL)
                             : cr_bin_chain (GST_BIN (pipeline), error, *mux, sink, NULL);
  if (!ok) {
    gst_object_unref (pipeline);
    return NULL;
  }
  return pipeline;
}

gboolean
cr_mp4_remux (const CrRemuxRun *runs, guint n, const char *out_path, GError **error)
{
  DEBUG_INIT ();
  g_autofree char *tmp = g_strconcat (out_path, ".tmp", NULL);
  GstElement *mux = NULL;
  GstElement *pipeline = remux_pipeline ("mp4mux", NULL, tmp, &mux, error);
  if (pipeline == NULL)
    return FALSE;
  g_object_set (mux, "faststart", TRUE, "latency", (guint64)MUX_LATENCY, NULL);
  if (!remux_build (pipeline, mux, runs, n, CR_REMUX_AUDIO | CR_REMUX_VIDEO, error)) {
    gst_object_unref (pipeline);
    return FALSE;
  }
  return cr_pipeline_run_to_file (pipeline, tmp, out_path, REMUX_TIMEOUT_S, "MP4 remux", error);
}

gboolean
cr_aac_extract (const CrRemuxRun *runs, guint n, const char *out_path, GError **error)
{
  DEBUG_INIT ();
  g_autofree char *tmp = g_strconcat (out_path, ".tmp", NULL);
  GstElement *mux = NULL;
  GstElement *pipeline = remux_pipeline (
      "identity", gst_caps_new_simple ("audio/mpeg", "stream-format", G_TYPE_STRING, "adts", NULL),
      tmp, &mux, error);
  if (pipeline == NULL)
    return FALSE;
  if (!remux_build (pipeline, mux, runs, n, CR_REMUX_AUDIO, error)) {
    gst_object_unref (pipeline);
    return FALSE;
  }
  return cr_pipeline_run_to_file (pipeline, tmp, out_path, REMUX_TIMEOUT_S, "MP4 remux", error);
}
