/* One track to HLS; see track.h. */
#include "track.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <unistd.h>

#include "recorder/video_fill.h"

#define EOS_TIMEOUT_S 5 /* splitmuxsink sometimes never posts EOS (media-notes) */

struct _CrTrack {
  char *dir;
  char *stem;
  int type; /* CR_TRACK_AUDIO, CR_TRACK_VIDEO, or -1 for audio and video together */
  GstElement *pipeline;
  GstElement *udpsrc[2]; /* audio, video; NULL when the track has no such medium */
  GstElement *sink;      /* splitmuxsink */
  CrPlaylist *playlist;  /* borrowed: it outlives the track when the user comes back */
  gboolean resumed;      /* the first segment of this track follows a gap */
  char *playlist_name;
  char *playlist_path;
  gint64 start_ms;
  gint64 last_packet_us; /* atomic */
  /* Fragments named but not yet closed, by path: splitmuxsink names the next file before it
   * reports the previous one closed. */
  GHashTable *pending;   /* path -> Fragment */
  gint64 base_ms;        /* wall clock of the first fragment */
  GstClockTime base_pts; /* its first buffer's PTS */
  GMutex lock;           /* pending */
  CrTrackSegmentFunc on_segment;
  CrTrackKeyframeFunc on_keyframe;
  gpointer user_data;
  gint64 last_video_us; /* atomic: monotonic µs of the last video packet */
  CrVideoFill *fill;    /* FillType, or NULL */
  gint64 last_key_us;   /* atomic: monotonic µs of the last live keyframe (0: none yet) */
  gint64 key_asked_us;  /* when the worker was last asked to get one */
  guint video_timer;    /* the filler and the keyframe watch */
  guint bus_watch;
  gboolean eos;
};

typedef struct {
  char *name;
  gint64 start_ms;
  GstClockTime opened; /* running time, once opened */
} Fragment;

static void
fragment_free (Fragment *f)
{
  g_free (f->name);
  g_free (f);
}

static gboolean
track_write_playlist (CrTrack *t, GError **error)
{
  g_mutex_lock (&t->lock);
  g_autofree char *text = cr_playlist_render (t->playlist);
  g_mutex_unlock (&t->lock);
  return cr_file_replace_durably (t->playlist_path, text, strlen (text), error);
}

static void
fsync_path (const char *path)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd >= 0) {
    fsync (fd);
    close (fd);
  }
}

/* A fragment is closed: make it durable, then list it. */
static void
track_fragment_closed (CrTrack *t, const char *location, GstClockTime running)
{
  g_autofree char *key = NULL;
  Fragment *f = NULL;
  g_mutex_lock (&t->lock);
  if (location != NULL)
    g_hash_table_steal_extended (t->pending, location, (gpointer *)&key, (gpointer *)&f);
  g_mutex_unlock (&t->lock);
  if (f == NULL)
    return;
  fsync_path (location);
  GStatBuf st;
  guint64 bytes = g_stat (location, &st) == 0 ? (guint64)st.st_size : 0;
  double duration = GST_CLOCK_TIME_IS_VALID (running) && GST_CLOCK_TIME_IS_VALID (f->opened)
                        ? (double)(running - f->opened) / GST_SECOND
                        : (double)(g_get_real_time () / 1000 - f->start_ms) / 1000.0;
  gboolean first = t->playlist->segments->len == 0;
  if (bytes > 0) {
    cr_playlist_add (t->playlist, f->name, f->start_ms, duration, bytes, t->resumed);
    CrSegment *added = g_ptr_array_index (t->playlist->segments, t->playlist->segments->len - 1);
    added->media = (t->udpsrc[0] != NULL ? CR_SEGMENT_AUDIO : 0)
                   | (t->udpsrc[1] != NULL ? CR_SEGMENT_VIDEO : 0);
    t->resumed = FALSE;
    g_autoptr (GError) error = NULL;
    if (!track_write_playlist (t, &error))
      g_warning ("track %s: %s", t->stem, error->message);
  }
  if (bytes > 0 && t->on_segment != NULL)
    t->on_segment (t, g_ptr_array_index (t->playlist->segments, t->playlist->segments->len - 1),
                   first, t->user_data);
  fragment_free (f);
}

static gboolean
track_on_bus (GstBus *bus, GstMessage *msg, gpointer data)
{
  CrTrack *t = data;
  switch (GST_MESSAGE_TYPE (msg)) {
  case GST_MESSAGE_ELEMENT: {
    const GstStructure *s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, "splitmuxsink-fragment-opened")) {
      const char *location = gst_structure_get_string (s, "location");
      g_mutex_lock (&t->lock);
      Fragment *f = location != NULL ? g_hash_table_lookup (t->pending, location) : NULL;
      if (f != NULL)
        gst_structure_get_clock_time (s, "running-time", &f->opened);
      g_mutex_unlock (&t->lock);
    } else if (gst_structure_has_name (s, "splitmuxsink-fragment-closed")) {
      GstClockTime running = GST_CLOCK_TIME_NONE;
      gst_structure_get_clock_time (s, "running-time", &running);
      track_fragment_closed (t, gst_structure_get_string (s, "location"), running);
    }
    break;
  }
  case GST_MESSAGE_EOS:
    t->eos = TRUE;
    break;
  case GST_MESSAGE_ERROR: {
    g_autoptr (GError) error = NULL;
    gst_message_parse_error (msg, &error, NULL);
    g_warning ("track %s: %s", t->stem, error->message);
    break;
  }
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

/* splitmuxsink asks for the next file name: named by the wall-clock start of the fragment. Called
 * from a streaming thread; the bus handlers that read `pending` run on the main context. */
static char *
track_format_location (GstElement *sink, guint fragment, GstSample *first, gpointer data)
{
  CrTrack *t = data;
  Fragment *f = g_new0 (Fragment, 1);
  /* The first fragment starts now; later ones at the first one's time plus the media time passed,
   * so names do not drift with how late splitmuxsink asks (a keyframe wait, a busy thread). */
  GstBuffer *buf = first != NULL ? gst_sample_get_buffer (first) : NULL;
  GstClockTime pts = buf != NULL ? GST_BUFFER_PTS (buf) : GST_CLOCK_TIME_NONE;
  if (t->base_ms == 0 || !GST_CLOCK_TIME_IS_VALID (pts) || !GST_CLOCK_TIME_IS_VALID (t->base_pts)
      || pts < t->base_pts) {
    f->start_ms = g_get_real_time () / 1000;
    if (t->base_ms == 0 && GST_CLOCK_TIME_IS_VALID (pts)) {
      t->base_ms = f->start_ms;
      t->base_pts = pts;
    }
  } else {
    f->start_ms = t->base_ms + (gint64)((pts - t->base_pts) / GST_MSECOND);
  }
  f->opened = GST_CLOCK_TIME_NONE;
  f->name = cr_naming_ts (t->stem, t->type, f->start_ms);
  char *path = g_build_filename (t->dir, f->name, NULL);
  g_mutex_lock (&t->lock);
  g_hash_table_replace (t->pending, g_strdup (path), f);
  g_mutex_unlock (&t->lock);
  return path;
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
    track_need_keyframe (t);
  }
}

static gboolean
track_video_tick (gpointer data)
{
  CrTrack *t = data;
  if (t->fill != NULL)
    cr_video_fill_tick (t->fill, __atomic_load_n (&t->last_video_us, __ATOMIC_RELAXED));
  track_watch_keyframes (t);
  return G_SOURCE_CONTINUE;
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
  if (fill_type == 0 || fill_type == 1)
    t->fill = cr_video_fill_new (t->pipeline, live, fill_type, track_need_keyframe, t);
  gst_object_unref (live);
  gst_object_unref (out);
  t->video_timer = g_timeout_add (CR_FILL_INTERVAL_MS, track_video_tick, t);
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
        && gst_structure_get_int (st, "height", &height)) {
      g_mutex_lock (&t->lock);
      t->playlist->video_width = width;
      t->playlist->video_height = height;
      g_mutex_unlock (&t->lock);
    }
  }
  return GST_PAD_PROBE_OK;
}

static const char *
track_chain (const char *caps, gboolean video)
{
  if (!video)
    return "rtpopusdepay ! opusdec ! audioconvert ! audioresample ! "
           "audio/x-raw,rate=48000,channels=2 ! voaacenc bitrate=64000 ! aacparse";
  if (strstr (caps, "VP8") != NULL)
    return "rtpvp8depay ! vp8dec ! videoconvert ! x264enc tune=zerolatency speed-preset=veryfast "
           "key-int-max=60 ! video/x-h264,profile=constrained-baseline ! h264parse name=parse ! "
           "video/x-h264,stream-format=byte-stream,alignment=au";
  /* The depayloader must hand over whole access units: NAL-aligned output lets a parameter-set
   * unit and its picture share one timestamp, and the picture leaves the muxer without a PTS. */
  return "rtph264depay ! video/x-h264,alignment=au ! h264parse name=parse config-interval=-1 ! "
         "video/x-h264,stream-format=byte-stream,alignment=au";
}

/* Only what depayloading needs: the forward's caps carry SDP extras (extmap, rtcp-fb). NULL if
 * @caps does not parse. */
static char *
track_clean_caps (const char *caps)
{
  g_autoptr (GstCaps) rtp_caps = gst_caps_from_string (caps);
  if (rtp_caps == NULL || gst_caps_is_empty (rtp_caps))
    return NULL;
  GstStructure *st = gst_caps_get_structure (rtp_caps, 0);
  g_autoptr (GstCaps) clean = gst_caps_new_simple (
      "application/x-rtp", "media", G_TYPE_STRING, gst_structure_get_string (st, "media"),
      "encoding-name", G_TYPE_STRING, gst_structure_get_string (st, "encoding-name"), NULL);
  int clock_rate = 0, payload = 0;
  gst_structure_get_int (st, "clock-rate", &clock_rate);
  gst_structure_get_int (st, "payload", &payload);
  gst_caps_set_simple (clean, "clock-rate", G_TYPE_INT, clock_rate, "payload", G_TYPE_INT, payload,
                       NULL);
  return gst_caps_to_string (clean);
}

/* "udpsrc ! jitterbuffer ! chain ! queue ! sink.<pad>" for one medium; the end of the video
 * chain is named "vout" (FillType injects there). */
static gboolean
track_append_branch (GString *desc, const char *caps, gboolean video, const char *sink_pad,
                     GError **error)
{
  g_autofree char *clean = track_clean_caps (caps);
  if (clean == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad RTP caps \"%s\"", caps);
    return FALSE;
  }
  g_string_append_printf (desc,
                          " udpsrc name=%s address=127.0.0.1 port=0 caps=\"%s\" ! "
                          "rtpjitterbuffer latency=200 ! %s ! identity name=%s ! queue ! sink.%s",
                          video ? "vsrc" : "asrc", clean, track_chain (caps, video),
                          video ? "vout" : "aout", sink_pad);
  return TRUE;
}

CrTrack *
cr_track_new (const CrTrackOptions *o, CrTrackSegmentFunc on_segment,
              CrTrackKeyframeFunc on_keyframe, gpointer user_data, GError **error)
{
  if (o->audio_caps == NULL && o->video_caps == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "a track needs audio or video");
    return NULL;
  }
  if (g_mkdir_with_parents (o->dir, 0755) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot create %s: %s", o->dir,
                 g_strerror (errno));
    return NULL;
  }
  g_autoptr (GString) desc = g_string_new (NULL);
  g_string_append_printf (
      desc,
      "splitmuxsink name=sink muxer-factory=mpegtsmux max-size-time=%" G_GUINT64_FORMAT
      " send-keyframe-requests=false async-finalize=false",
      (guint64)CR_TRACK_SEGMENT_S * GST_SECOND);
  if ((o->video_caps != NULL && !track_append_branch (desc, o->video_caps, TRUE, "video", error))
      || (o->audio_caps != NULL
          && !track_append_branch (desc, o->audio_caps, FALSE, "audio_0", error)))
    return NULL;
  GstElement *pipeline = gst_parse_launch (desc->str, error);
  if (pipeline == NULL)
    return NULL;
  CrTrack *t = g_new0 (CrTrack, 1);
  t->dir = g_strdup (o->dir);
  t->stem = g_strdup (o->stem);
  t->type = o->merged ? -1 : o->video_caps != NULL ? CR_TRACK_VIDEO : CR_TRACK_AUDIO;
  t->pipeline = pipeline;
  t->udpsrc[0] = gst_bin_get_by_name (GST_BIN (pipeline), "asrc");
  t->udpsrc[1] = gst_bin_get_by_name (GST_BIN (pipeline), "vsrc");
  t->sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  t->on_segment = on_segment;
  t->on_keyframe = on_keyframe;
  t->user_data = user_data;
  if (o->video_caps != NULL)
    track_setup_video (t, o->fill_type);
  t->pending
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)fragment_free);
  g_mutex_init (&t->lock);
  t->base_pts = GST_CLOCK_TIME_NONE;
  t->start_ms = o->playlist->start_rec_ms;
  t->playlist_name = cr_naming_m3u8 (o->stem, t->type);
  t->playlist_path = g_build_filename (o->dir, t->playlist_name, NULL);
  t->playlist = o->playlist;
  t->resumed = t->playlist->segments->len > 0;
  t->playlist->ended = FALSE;
  if (o->audio_caps != NULL) {
    t->playlist->audio_channels = 2;
    t->playlist->audio_rate = 48000;
  }
  g_signal_connect (t->sink, "format-location-full", G_CALLBACK (track_format_location), t);
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
  return t;
}

guint16
cr_track_rtp_port (CrTrack *t, gboolean video)
{
  GstElement *udpsrc = t->udpsrc[video ? 1 : 0];
  if (udpsrc == NULL)
    return 0;
  int port = 0;
  g_object_get (udpsrc, "port", &port, NULL);
  if (port == 0) {
    GSocket *sock = NULL;
    g_object_get (udpsrc, "used-socket", &sock, NULL);
    if (sock != NULL) {
      g_autoptr (GSocketAddress) addr = g_socket_get_local_address (sock, NULL);
      if (addr != NULL)
        port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr));
      g_object_unref (sock);
    }
  }
  return (guint16)port;
}

const char *
cr_track_playlist_name (CrTrack *t)
{
  return t->playlist_name;
}

gint64
cr_track_start_ms (CrTrack *t)
{
  return t->start_ms;
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
  /* EOS closes the open fragment; wait for it, bounded, handling bus messages meanwhile. */
  gst_element_send_event (t->pipeline, gst_event_new_eos ());
  gint64 deadline = g_get_monotonic_time () + EOS_TIMEOUT_S * G_USEC_PER_SEC;
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (t->pipeline));
  while (!t->eos && g_get_monotonic_time () < deadline) {
    GstMessage *msg = gst_bus_timed_pop (bus, 100 * GST_MSECOND);
    if (msg != NULL) {
      track_on_bus (bus, msg, t);
      gst_message_unref (msg);
    }
  }
  gst_object_unref (bus);
  g_source_remove (t->bus_watch);
  if (t->video_timer != 0)
    g_source_remove (t->video_timer);
  gst_element_set_state (t->pipeline, GST_STATE_NULL);
  /* No fragment-closed came for what is still open (no EOS in time): list what is on disk. */
  g_autofree gpointer *open = g_hash_table_get_keys_as_array (t->pending, NULL);
  g_auto (GStrv) paths = g_strdupv ((char **)open);
  for (char **p = paths; *p != NULL; p++)
    track_fragment_closed (t, *p, GST_CLOCK_TIME_NONE);
  t->playlist->ended = TRUE;
  g_autoptr (GError) error = NULL;
  if (t->playlist->segments->len > 0 && !track_write_playlist (t, &error))
    g_warning ("track %s: %s", t->stem, error->message);
  for (int m = 0; m < 2; m++)
    g_clear_object (&t->udpsrc[m]);
  gst_object_unref (t->sink);
  cr_video_fill_free (t->fill);
  gst_object_unref (t->pipeline);
  g_hash_table_unref (t->pending);
  g_mutex_clear (&t->lock);
  g_free (t->playlist_name);
  g_free (t->playlist_path);
  g_free (t->dir);
  g_free (t->stem);
  g_free (t);
}
