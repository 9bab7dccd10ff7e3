/* One track to HLS; see track.h. */
#include "track.h"

#include <gio/gio.h>

#include "media/aac_delay.h"
#include "media/audio_gop.h"
#include "media/rtp_pace.h"
#include "media/ts_guard.h"
#include "media/hls_writer.h"
#include "media/rtp_in.h"
#include "media/sei_probe.h"
#include "media/elements.h"
#include "media/video_fill.h"
#include "task/codes.h"

GST_DEBUG_CATEGORY_STATIC (cr_track_debug);
#define GST_CAT_DEFAULT cr_track_debug

/* How long a track's jitter buffer waits for a late packet (see track_add_branch). */
#define JITTER_LATENCY_MS 1000
#define DEBUG_INIT()                                                                               \
  CR_DEBUG_INIT (cr_track_debug, "cloudrec-track", "cloudrec: one recorded track")

struct _CrTrack {
  char *stem;
  GstElement *pipeline;
  GstElement *udpsrc[2]; /* audio, video; NULL when the track has no such medium */
  CrHlsWriter *hls;
  CrPlaylist *playlist;  /* borrowed */
  gint64 last_packet_us; /* atomic */
  CrTrackSegmentFunc on_segment;
  CrTrackKeyframeFunc on_keyframe;
  gpointer user_data;
  gint64 last_video_us; /* atomic: monotonic µs of the last video packet */
  CrVideoFill *fill;    /* FillType, or NULL */
  gint64 last_key_us;   /* atomic: monotonic µs of the last live keyframe (0: none yet) */
  gint64 key_asked_us;  /* when the worker was last asked to get one */
  guint video_timer;    /* the filler and the keyframe watch */
  guint bus_watch;
  CrSeiProbe *sei; /* H.264: the publisher's board-clock samples (sei_probe.h) */
};

static void
track_on_segment (const CrSegment *segment, gboolean first, gpointer data)
{
  CrTrack *t = data;
  cr_sei_probe_flush (t->sei, t->playlist->start_rec_ms);
  if (t->on_segment != NULL)
    t->on_segment (t, segment, first, t->user_data);
}

static gboolean
track_on_bus (GstBus *bus, GstMessage *msg, gpointer data)
{
  CrTrack *t = data;
  if (cr_hls_writer_handle_message (t->hls, msg))
    return G_SOURCE_CONTINUE;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) error = NULL;
    gst_message_parse_error (msg, &error, NULL);
    g_warning ("track %s: %s", t->stem, error->message);
  }
  return G_SOURCE_CONTINUE;
}

static GstPadProbeReturn
track_count_packet (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  CrTrack *t = data;
  gint64 now = g_get_monotonic_time ();
  __atomic_store_n (&t->last_packet_us, now, __ATOMIC_RELAXED);
  if (t->udpsrc[1] != NULL && GST_PAD_PARENT (pad) == t->udpsrc[1])
    __atomic_store_n (&t->last_video_us, now, __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

static void
track_need_keyframe (gpointer data)
{
  CrTrack *t = data;
  if (t->on_keyframe != NULL)
    t->on_keyframe (t, t->user_data);
}

static GstPadProbeReturn
track_on_live_picture (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  CrTrack *t = data;
  if (!GST_BUFFER_FLAG_IS_SET (GST_PAD_PROBE_INFO_BUFFER (info), GST_BUFFER_FLAG_DELTA_UNIT))
    __atomic_store_n (&t->last_key_us, g_get_monotonic_time (), __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

/* Segments are cut at keyframes, and a browser sends one only when asked (PLI): a second before
 * a segment is due without one, the worker asks the publisher, so segments stay ~10 s long. */
static void
track_watch_keyframes (CrTrack *t)
{
  gint64 now = g_get_monotonic_time ();
  gint64 last_key = __atomic_load_n (&t->last_key_us, __ATOMIC_RELAXED);
  gint64 last_video = __atomic_load_n (&t->last_video_us, __ATOMIC_RELAXED);
  gboolean due = last_key != 0 && now - last_key > (CR_TRACK_SEGMENT_S - 1) * G_USEC_PER_SEC;
  gboolean flowing = last_video != 0 && now - last_video < G_USEC_PER_SEC;
  if (due && flowing && now - t->key_asked_us > G_USEC_PER_SEC) {
    t->key_asked_us = now;
    GST_DEBUG ("%s: no keyframe for %" G_GINT64_FORMAT " ms: asking", t->stem,
               (now - last_key) / 1000);
    track_need_keyframe (t);
  }
}

/* When the video tick is next needed: with FillType every CR_FILL_INTERVAL_MS; without, only the
 * keyframe watch runs, which can ask no sooner than CR_TRACK_SEGMENT_S - 1 s after the last
 * keyframe, so the main loop sleeps until then (it woke 5 times a second per track before) and
 * looks every CR_FILL_INTERVAL_MS from there, as it did. */
static guint
track_video_tick_ms (CrTrack *t)
{
  if (t->fill != NULL)
    return CR_FILL_INTERVAL_MS;
  gint64 last_key = __atomic_load_n (&t->last_key_us, __ATOMIC_RELAXED);
  gint64 wait_us = (CR_TRACK_SEGMENT_S - 1) * G_USEC_PER_SEC;
  if (last_key != 0) /* none yet: the first one is at least that far from being due */
    wait_us = last_key + wait_us - g_get_monotonic_time ();
  return (guint)MAX (wait_us / 1000 + 1, CR_FILL_INTERVAL_MS);
}

static gboolean
track_video_tick (gpointer data)
{
  CrTrack *t = data;
  if (t->fill != NULL)
    cr_video_fill_tick (t->fill, __atomic_load_n (&t->last_video_us, __ATOMIC_RELAXED));
  track_watch_keyframes (t);
  t->video_timer = g_timeout_add (track_video_tick_ms (t), track_video_tick, t);
  return G_SOURCE_REMOVE;
}

/* The end of the video chain: keyframes watched, and with FillType filler pictures go there. */
static void
track_setup_video (CrTrack *t, int fill_type)
{
  GstElement *out = gst_bin_get_by_name (GST_BIN (t->pipeline), "vout");
  if (out == NULL)
    return;
  GstPad *live = gst_element_get_static_pad (out, "src");
  gst_pad_add_probe (live, GST_PAD_PROBE_TYPE_BUFFER, track_on_live_picture, t, NULL);
  if (fill_type == CR_FILL_LAST_PICTURE || fill_type == CR_FILL_BLACK)
    t->fill = cr_video_fill_new (t->pipeline, live, fill_type, track_need_keyframe, t);
  gst_object_unref (live);
  gst_object_unref (out);
  t->video_timer = g_timeout_add (track_video_tick_ms (t), track_video_tick, t);
}

/* The picture size, for #EXT-X-TRTC-VIDEO-METADATA, from the parser's caps. */
static GstPadProbeReturn
track_on_video_caps (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  CrTrack *t = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps = NULL;
    gst_event_parse_caps (event, &caps);
    const GstStructure *st = gst_caps_get_structure (caps, 0);
    int width = 0, height = 0;
    if (gst_structure_get_int (st, "width", &width)
        && gst_structure_get_int (st, "height", &height))
      cr_hls_writer_set_video_size (t->hls, width, height);
  }
  return GST_PAD_PROBE_OK;
}

/* @alone: the chain's medium is the track's only one (its frames go to a TS segment sink). */
static const char *
track_chain (const char *caps, gboolean video, gboolean alone)
{
  /* opusdec decodes to any rate Opus has and to stereo from mono itself: no converter or
   * resampler (two elements per packet) is needed to give the encoder 48 kHz stereo. The
   * encoder keeps its default timestamps (each AAC frame the time of the Opus packet its first
   * sample came from). perfect-timestamp (frames following their sample count from the first)
   * was tried: it lets them drift up to its 40 ms tolerance from their packets' times, the whole
   * budget of record.test's AvMerge A/V check. A frame that comes out earlier than the one
   * before (packets stamped closer than 20 ms apart) is dropped by the guard instead: 21 ms of
   * sound. voaacenc frames its output in ADTS itself when the TS segment sink asks for it, one
   * frame a buffer with its time and duration, so a track of sound alone has no aacparse (one
   * element less per frame); splitmuxsink's mpegtsmux gets the parser's output as before. */
  if (!video && alone)
    return "rtpopusdepay ! opusdec ! audio/x-raw,rate=48000,channels=2 ! "
           "voaacenc bitrate=64000";
  if (!video)
    return "rtpopusdepay ! opusdec ! audio/x-raw,rate=48000,channels=2 ! "
           "voaacenc bitrate=64000 ! aacparse";
  if (strstr (caps, "VP8") != NULL)
    return "rtpvp8depay ! vp8dec ! videoconvert ! x264enc tune=zerolatency speed-preset=veryfast "
           "key-int-max=60 ! video/x-h264,profile=constrained-baseline ! h264parse name=parse ! "
           "capsfilter caps=\"video/x-h264,stream-format=byte-stream,alignment=au\"";
  /* The depayloader must hand over whole access units: NAL-aligned output lets a parameter-set
   * unit and its picture share one timestamp, and the picture leaves the muxer without a PTS. */
  return "rtph264depay ! video/x-h264,alignment=au ! h264parse name=parse config-interval=-1 ! "
         "capsfilter caps=\"video/x-h264,stream-format=byte-stream,alignment=au\"";
}

/* Whether a queue (a thread of its own) goes between the end of @video's chain and the muxer.
 * For the audio or the remuxed H.264 of a track that records one medium, a queue of ours added
 * one more thread and hand-off per buffer (~0.003 cores per stream, bench/README.md): the chain's
 * thread (the jitter buffer's) pushes into the TS segment sink itself, which muxes and writes on
 * it and waits for nothing. Two kinds of branch keep it:
 * - both branches of an A/V file (AvMerge): there the input ahead of the other waits for it in
 *   splitmuxsink at a GOP's edge. Without the queue that wait fell on the audio's jitter buffer
 *   thread, and record.test's AvMerge A/V check measured 60 and 83 ms in 2 of 4 runs (40 ms
 *   allowed; -4 and 22 ms in the others); with it, the old pipeline. The filler's pictures
 *   (video_fill.h), chained from the main loop, must not wait there either.
 * - a transcoded VP8 video (the record test once saw two pictures with one DTS there without it).
 * The audio a clean CI run lost when the queue first went (2026-12-03: an audio TS 3.6 s long
 * under a 10.8 s EXTINF, an audio-only task with no file) was splitmuxsink's "Timestamping error
 * on input streams": a buffer earlier than one it already took (every AAC frame of an audio-only
 * file is a GOP of its own) makes it stop cutting files, and the same error came with the queue
 * in place too. The guard (ts_guard.h) on the last pad before the muxer drops such buffers
 * whichever thread pushes them. */
static gboolean
track_branch_queued (const CrTrackOptions *o, gboolean video)
{
  gboolean both = o->audio_caps != NULL && o->video_caps != NULL;
  return both || (video && strstr (o->video_caps, "VP8") != NULL);
}

/* "udpsrc ! rtpjitterbuffer ! chain [! identity] [! queue] ! sink.<pad>" for one medium, in
 * @pipeline; the udpsrc is named "vsrc" or "asrc", the end of the chain "vout" or "aout" (none
 * for sound alone)
 * (FillType injects into the peer of "vout"'s src pad: the queue, or the sink's pad). */
static gboolean
track_add_branch (GstElement *pipeline, GstElement *sink, const CrTrackOptions *o, gboolean video,
                  GError **error)
{
  const char *caps = video ? o->video_caps : o->audio_caps;
  g_autofree char *clean = cr_rtp_clean_caps (caps);
  if (clean == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad RTP caps \"%s\"", caps);
    return FALSE;
  }
  gboolean queued = track_branch_queued (o, video);
  gboolean both = o->audio_caps != NULL && o->video_caps != NULL;
  GstElement *src = cr_element ("udpsrc", video ? "vsrc" : "asrc", error);
  GstElement *jitter = src != NULL ? cr_element ("rtpjitterbuffer", NULL, error) : NULL;
  GstElement *chain
      = jitter != NULL ? cr_chain_bin (track_chain (caps, video, !both), error) : NULL;
  /* The video's end is a named element (the filler, the keyframe watch and the SEI probe find
   * it); a track of sound alone links its chain to the sink itself. */
  GstElement *out = chain != NULL && (video || both)
                        ? cr_element ("identity", video ? "vout" : "aout", error)
                        : NULL;
  if (chain == NULL || ((video || both) && out == NULL))
    return FALSE;
  GstElement *queue = queued ? cr_element ("queue", NULL, error) : NULL;
  if (queued && queue == NULL)
    return FALSE;
  g_autoptr (GstCaps) rtp_caps = gst_caps_from_string (clean);
  /* Who sent a packet is not needed (the forward is ours): no address object per packet. */
  g_object_set (src, "address", "127.0.0.1", "port", 0, "caps", rtp_caps,
                "retrieve-sender-address", FALSE, NULL);
  if (out != NULL) /* nobody listens to identity's per-buffer signal */
    g_object_set (out, "signal-handoffs", FALSE, NULL);
  /* A busy machine may hold the worker back for a moment (40 recordings on 2 cores: tasks
   * starting or being finished). The forward's packets wait in the socket meanwhile and arrive
   * in a burst; rtpjitterbuffer (slave mode) times them by their RTP timestamps unless one
   * arrives later than its time plus the latency, which it takes for a sender that paused and
   * re-bases on the arrival: a hole of the stall's length in the files (0.23-0.25 s at 40
   * recordings with 200 ms; a worker stopped for 0.3/0.6/0.9 s left holes of 0.31/0.62/0.54 s
   * in both media). WebRTC senders keep their RTP clocks running through a pause, so a recorder
   * loses nothing by waiting longer: JITTER_LATENCY_MS covers stalls up to it (the jitter buffer
   * re-bases on any jump over 1 s itself). The buffer only waits when a packet is missing (for
   * its resend); faststart lets the first packets through without waiting the latency. */
  g_object_set (jitter, "latency", JITTER_LATENCY_MS, "faststart-min-packets", 2, NULL);
  /* Recorded sound decodes CR_AAC_ENCODER_DELAY_NS after its frames' times (the encoder's
   * priming, media/aac_delay.h): every picture is placed that much later too, in an A/V file and
   * in a user's own video playlist alike, so that picture and sound meet as they arrived.
   * (record.test's AvMerge check measured the sound 49 ms behind in the MP4 without this, 31-46
   * ms in the HLS; a user's separate playlists 45-49 ms.) */
  if (video)
    g_object_set (jitter, "ts-offset", (gint64)CR_AAC_ENCODER_DELAY_NS, NULL);
  GstElement *last = queue != NULL ? queue : out != NULL ? out : chain;
  /* (without out there is no queue: the list ends at the chain) */
  if (!cr_bin_chain (GST_BIN (pipeline), error, src, jitter, chain, out, queue, NULL))
    return FALSE;
  g_autofree char *what = g_strdup_printf ("track %s %s", o->stem, video ? "video" : "audio");
  int clock_rate = 0;
  gst_structure_get_int (gst_caps_get_structure (rtp_caps, 0), "clock-rate", &clock_rate);
  g_autoptr (GstPad) jittered = gst_element_get_static_pad (jitter, "src");
  cr_rtp_pace_attach (jittered, (guint)MAX (clock_rate, 0), what);
  g_autoptr (GstPad) from = gst_element_get_static_pad (last, "src");
  if (!video && o->video_caps == NULL) /* audio alone: files are cut at its 200 ms groups */
    cr_audio_gop_attach (from);
  g_autoptr (GstPad) to = both ? gst_element_request_pad_simple (sink, video ? "video" : "audio_%u")
                               : gst_element_get_static_pad (sink, "sink");
  if (to == NULL || gst_pad_link (from, to) != GST_PAD_LINK_OK) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot link the %s to the files",
                 video ? "video" : "audio");
    return FALSE;
  }
  /* On the sink's pad itself: a probe there also sees what the filler chains into it. */
  cr_ts_guard_attach (to, what);
  return TRUE;
}

/* The pipeline: one branch per medium into a sink named "sink" that cuts the TS fragments: for
 * an A/V file (AvMerge) a splitmuxsink, which interleaves the two; for one medium a TS segment
 * sink (ts_segment_sink.h), which muxes on the branch's own thread: splitmuxsink's input queue
 * and mpegtsmux's aggregator were two more threads and hand-offs per buffer, ~0.002 cores a
 * recording (bench/README.md, "Single-stream recording"). */
static GstElement *
track_pipeline (const CrTrackOptions *o, GError **error)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  gboolean both = o->audio_caps != NULL && o->video_caps != NULL;
  GstElement *sink = both ? cr_hls_sink_new (pipeline, CR_TRACK_SEGMENT_S, FALSE, error)
                          : cr_hls_one_medium_sink_new (pipeline, CR_TRACK_SEGMENT_S);
  if (sink == NULL) {
    gst_object_unref (pipeline);
    return NULL;
  }
  if ((o->video_caps != NULL && !track_add_branch (pipeline, sink, o, TRUE, error))
      || (o->audio_caps != NULL && !track_add_branch (pipeline, sink, o, FALSE, error))) {
    gst_object_unref (pipeline);
    return NULL;
  }
  return pipeline;
}

CrTrack *
cr_track_new (const CrTrackOptions *o, CrTrackSegmentFunc on_segment,
              CrTrackKeyframeFunc on_keyframe, gpointer user_data, GError **error)
{
  DEBUG_INIT ();
  if (o->audio_caps == NULL && o->video_caps == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "a track needs audio or video");
    return NULL;
  }
  if (g_mkdir_with_parents (o->dir, 0755) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot create %s: %s", o->dir,
                 g_strerror (errno));
    return NULL;
  }
  GstElement *pipeline = track_pipeline (o, error);
  if (pipeline == NULL)
    return NULL;
  CrTrack *t = g_new0 (CrTrack, 1);
  t->stem = g_strdup (o->stem);
  t->pipeline = pipeline;
  t->udpsrc[0] = gst_bin_get_by_name (GST_BIN (pipeline), "asrc");
  t->udpsrc[1] = gst_bin_get_by_name (GST_BIN (pipeline), "vsrc");
  t->on_segment = on_segment;
  t->on_keyframe = on_keyframe;
  t->user_data = user_data;
  if (o->video_caps != NULL)
    track_setup_video (t, o->fill_type);
  t->playlist = o->playlist;
  if (o->audio_caps != NULL) {
    o->playlist->audio_channels = 2;
    o->playlist->audio_rate = 48000;
  }
  int type = o->merged ? -1 : o->video_caps != NULL ? CR_TRACK_VIDEO : CR_TRACK_AUDIO;
  guint media = (o->audio_caps != NULL ? CR_SEGMENT_AUDIO : 0)
                | (o->video_caps != NULL ? CR_SEGMENT_VIDEO : 0);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  t->hls = cr_hls_writer_new (sink, o->dir, o->stem, type, media, o->playlist, track_on_segment, t);
  gst_object_unref (sink);
  GstElement *vout = gst_bin_get_by_name (GST_BIN (pipeline), "vout");
  if (vout != NULL) {
    GstPad *vpad = gst_element_get_static_pad (vout, "src");
    g_autofree char *sidecar = g_strdup_printf ("%s/%s.sync.json", o->dir,
                                                cr_hls_writer_playlist_name (t->hls));
    t->sei = cr_sei_probe_attach (vpad, sidecar);
    gst_object_unref (vpad);
    gst_object_unref (vout);
  }
  GstElement *parse = gst_bin_get_by_name (GST_BIN (pipeline), "parse");
  if (parse != NULL) {
    GstPad *out = gst_element_get_static_pad (parse, "src");
    gst_pad_add_probe (out, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, track_on_video_caps, t, NULL);
    gst_object_unref (out);
    gst_object_unref (parse);
  }
  for (int m = 0; m < 2; m++) {
    if (t->udpsrc[m] == NULL)
      continue;
    GstPad *src = gst_element_get_static_pad (t->udpsrc[m], "src");
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, track_count_packet, t, NULL);
    gst_object_unref (src);
  }
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  t->bus_watch = gst_bus_add_watch (bus, track_on_bus, t);
  gst_object_unref (bus);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the recording pipeline cannot start");
    cr_track_finish (t);
    return NULL;
  }
  GST_INFO ("%s: recording (audio %s, video %s, fill %d)", t->stem,
            o->audio_caps != NULL ? "yes" : "no", o->video_caps != NULL ? "yes" : "no",
            o->fill_type);
  return t;
}

guint16
cr_track_rtp_port (CrTrack *t, gboolean video)
{
  GstElement *udpsrc = t->udpsrc[video ? 1 : 0];
  return udpsrc != NULL ? cr_rtp_udpsrc_port (udpsrc) : 0;
}

const char *
cr_track_playlist_name (CrTrack *t)
{
  return cr_hls_writer_playlist_name (t->hls);
}

gint64
cr_track_start_ms (CrTrack *t)
{
  return t->playlist->start_rec_ms;
}

gint64
cr_track_last_packet_us (CrTrack *t)
{
  return __atomic_load_n (&t->last_packet_us, __ATOMIC_RELAXED);
}

void
cr_track_finish (CrTrack *t)
{
  if (t == NULL)
    return;
  GST_INFO ("%s: ending", t->stem);
  /* EOS closes the open fragment; wait for it, bounded, handling bus messages meanwhile. */
  g_source_remove (t->bus_watch);
  if (t->video_timer != 0)
    g_source_remove (t->video_timer);
  cr_hls_writer_stop_pipeline (t->hls, t->pipeline, track_on_bus, t);
  cr_hls_writer_finish (t->hls);
  cr_sei_probe_free (t->sei, t->playlist->start_rec_ms);
  for (int m = 0; m < 2; m++)
    g_clear_object (&t->udpsrc[m]);
  cr_video_fill_free (t->fill);
  gst_object_unref (t->pipeline);
  g_free (t->stem);
  g_free (t);
}
