/* MPEG-TS files of one medium, cut and muxed on the streaming thread; see ts_segment_sink.h. */
#include "ts_segment_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gst/base/gstbasesink.h>
#include <string.h>
#include <unistd.h>

#include "media/elements.h"
#include "media/ts_mux.h"

GST_DEBUG_CATEGORY_STATIC (cr_ts_segment_debug);
#define GST_CAT_DEFAULT cr_ts_segment_debug

#define FACTORY "crtssegmentsink"
/* As mpegtsmux: running time plus 3600 s, so that no stamp is below 0 (the HLS writer moves them
 * to the playlist's time anyway, ts_retime.h). */
#define STAMP_BASE (G_GINT64_CONSTANT (3600) * 90000)
#define WRITE_CHUNK (64 * 1024) /* bytes gathered before a write() */

enum { PROP_0, PROP_MAX_SIZE_TIME };
enum { SIGNAL_FORMAT_LOCATION_FULL, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef struct {
  GstBaseSink parent;
  GstClockTime max_size_time;
  CrTsMux mux;
  gboolean have_kind;
  int fd; /* the open file, or -1 */
  char *location;
  guint fragment_id;
  GstClockTime file_start;             /* running time of the open file's first frame */
  GstClockTime last_key;               /* running time of the last keyframe */
  GstClockTime last_gop;               /* how long the last complete GOP was */
  GstClockTime last_end;               /* running time of the end of the last frame written */
  GstClockTime last_running, last_len; /* the last frame's running time and length */
  GByteArray *out;                     /* packets not written yet */
} CrTsSegmentSink;

typedef struct {
  GstBaseSinkClass parent_class;
} CrTsSegmentSinkClass;

G_DEFINE_TYPE (CrTsSegmentSink, cr_ts_segment_sink, GST_TYPE_BASE_SINK)

static GstStaticPadTemplate sink_template
    = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                               GST_STATIC_CAPS ("video/x-h264, stream-format=byte-stream, "
                                                "alignment=au; "
                                                "audio/mpeg, mpegversion=4, stream-format=adts"));

gboolean
cr_ts_segment_cuts (GstClockTime file_start, GstClockTime running, GstClockTime last_gop,
                    GstClockTime max_size_time)
{
  if (!GST_CLOCK_TIME_IS_VALID (file_start) || !GST_CLOCK_TIME_IS_VALID (running)
      || running <= file_start || max_size_time == 0)
    return FALSE;
  GstClockTime next = GST_CLOCK_TIME_IS_VALID (last_gop) ? last_gop : CR_TS_SEGMENT_GOP_GUESS;
  return running - file_start + next > max_size_time;
}

static void
segment_post (CrTsSegmentSink *s, const char *name, GstClockTime running)
{
  GstStructure *st = gst_structure_new (name, "location", G_TYPE_STRING, s->location,
                                        "running-time", GST_TYPE_CLOCK_TIME, running, NULL);
  gst_element_post_message (GST_ELEMENT (s), gst_message_new_element (GST_OBJECT (s), st));
}

static gboolean
segment_flush (CrTsSegmentSink *s)
{
  gsize done = 0;
  while (done < s->out->len) {
    ssize_t n = write (s->fd, s->out->data + done, s->out->len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      g_byte_array_set_size (s->out, 0);
      GST_ELEMENT_ERROR (s, RESOURCE, WRITE, ("cannot write %s: %s", s->location, g_strerror (err)),
                         (NULL));
      return FALSE;
    }
    done += (gsize)n;
  }
  g_byte_array_set_size (s->out, 0);
  return TRUE;
}

/* Closes the open file; with @running valid, tells the HLS writer it ended there. */
static gboolean
segment_close (CrTsSegmentSink *s, GstClockTime running, gboolean announce)
{
  if (s->fd < 0)
    return TRUE;
  gboolean ok = segment_flush (s);
  if (close (s->fd) != 0 && ok) {
    GST_ELEMENT_ERROR (s, RESOURCE, CLOSE, ("cannot close %s: %s", s->location, g_strerror (errno)),
                       (NULL));
    ok = FALSE;
  }
  s->fd = -1;
  GST_DEBUG_OBJECT (s, "%s closed at %" GST_TIME_FORMAT, s->location, GST_TIME_ARGS (running));
  if (announce)
    segment_post (s, "splitmuxsink-fragment-closed", running);
  g_clear_pointer (&s->location, g_free);
  return ok;
}

static gboolean
segment_open (CrTsSegmentSink *s, GstBuffer *first, GstClockTime running)
{
  GstBaseSink *bs = GST_BASE_SINK (s);
  GstCaps *caps = gst_pad_get_current_caps (GST_BASE_SINK_PAD (bs));
  GstSample *sample = gst_sample_new (first, caps, &bs->segment, NULL);
  if (caps != NULL)
    gst_caps_unref (caps);
  char *location = NULL;
  g_signal_emit (s, signals[SIGNAL_FORMAT_LOCATION_FULL], 0, s->fragment_id, sample, &location);
  gst_sample_unref (sample);
  if (location == NULL) {
    GST_ELEMENT_ERROR (s, RESOURCE, NOT_FOUND, ("no file name for fragment %u", s->fragment_id),
                       (NULL));
    return FALSE;
  }
  int fd = g_open (location, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    GST_ELEMENT_ERROR (s, RESOURCE, OPEN_WRITE,
                       ("cannot create %s: %s", location, g_strerror (errno)), (NULL));
    g_free (location);
    return FALSE;
  }
  s->fd = fd;
  s->location = location;
  s->fragment_id++;
  s->file_start = running;
  cr_ts_mux_restart (&s->mux);
  GST_DEBUG_OBJECT (s, "%s opened at %" GST_TIME_FORMAT, location, GST_TIME_ARGS (running));
  segment_post (s, "splitmuxsink-fragment-opened", running);
  return TRUE;
}

static gint64
segment_stamp (GstBaseSink *bs, GstClockTime ts)
{
  GstClockTime running = GST_CLOCK_TIME_IS_VALID (ts)
                             ? gst_segment_to_running_time (&bs->segment, GST_FORMAT_TIME, ts)
                             : GST_CLOCK_TIME_NONE;
  if (!GST_CLOCK_TIME_IS_VALID (running))
    return -1;
  return (gint64)gst_util_uint64_scale_round (running, 90000, GST_SECOND) + STAMP_BASE;
}

static GstFlowReturn
segment_render (GstBaseSink *bs, GstBuffer *buf)
{
  CrTsSegmentSink *s = (CrTsSegmentSink *)bs;
  if (!s->have_kind)
    return GST_FLOW_NOT_NEGOTIATED;
  GstClockTime ts = GST_BUFFER_DTS_OR_PTS (buf);
  GstClockTime running = GST_CLOCK_TIME_IS_VALID (ts)
                             ? gst_segment_to_running_time (&bs->segment, GST_FORMAT_TIME, ts)
                             : GST_CLOCK_TIME_NONE;
  gint64 pts = segment_stamp (bs, GST_BUFFER_PTS (buf));
  gint64 dts = segment_stamp (bs, GST_BUFFER_DTS (buf));
  if (!GST_CLOCK_TIME_IS_VALID (running) || pts < 0) {
    GST_DEBUG_OBJECT (s, "a frame without a running time dropped");
    return GST_FLOW_OK;
  }
  gboolean key = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  if (s->fd >= 0) /* a pause before this frame: the clock runs through it (ts_mux.h) */
    cr_ts_mux_bridge (&s->mux, s->out, dts >= 0 ? dts : pts);
  if (key) { /* the GOP before this keyframe is complete */
    if (GST_CLOCK_TIME_IS_VALID (s->last_key) && running > s->last_key)
      s->last_gop = running - s->last_key;
    s->last_key = running;
  }
  if (key && s->fd >= 0
      && cr_ts_segment_cuts (s->file_start, running, s->last_gop, s->max_size_time)
      && !segment_close (s, running, TRUE))
    return GST_FLOW_ERROR;
  if (s->fd < 0 && !segment_open (s, buf, running))
    return GST_FLOW_ERROR;
  GstMapInfo map;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return GST_FLOW_ERROR;
  cr_ts_mux_frame (&s->mux, s->out, map.data, map.size, pts, dts, key);
  gst_buffer_unmap (buf, &map);
  /* Where the file ends if this frame is its last: a frame without a duration (the encoder's
   * last) lasts as long as the one before it. */
  if (GST_BUFFER_DURATION_IS_VALID (buf))
    s->last_len = GST_BUFFER_DURATION (buf);
  else if (GST_CLOCK_TIME_IS_VALID (s->last_running) && running > s->last_running)
    s->last_len = running - s->last_running;
  s->last_running = running;
  GstClockTime end = running + (GST_CLOCK_TIME_IS_VALID (s->last_len) ? s->last_len : 0);
  if (!GST_CLOCK_TIME_IS_VALID (s->last_end) || end > s->last_end)
    s->last_end = end;
  if (s->out->len >= WRITE_CHUNK && !segment_flush (s))
    return GST_FLOW_ERROR;
  return GST_FLOW_OK;
}

static gboolean
segment_set_caps (GstBaseSink *bs, GstCaps *caps)
{
  CrTsSegmentSink *s = (CrTsSegmentSink *)bs;
  const GstStructure *st = gst_caps_get_structure (caps, 0);
  CrTsMuxKind kind = gst_structure_has_name (st, "video/x-h264") ? CR_TS_MUX_H264 : CR_TS_MUX_AAC;
  if (!s->have_kind || s->mux.kind != kind)
    cr_ts_mux_init (&s->mux, kind);
  s->have_kind = TRUE;
  return TRUE;
}

static gboolean
segment_event (GstBaseSink *bs, GstEvent *event)
{
  CrTsSegmentSink *s = (CrTsSegmentSink *)bs;
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    segment_close (s, s->last_end, TRUE); /* an error was posted if it failed */
  return GST_BASE_SINK_CLASS (cr_ts_segment_sink_parent_class)->event (bs, event);
}

static gboolean
segment_start (GstBaseSink *bs)
{
  CrTsSegmentSink *s = (CrTsSegmentSink *)bs;
  s->file_start = s->last_key = s->last_gop = s->last_end = GST_CLOCK_TIME_NONE;
  s->last_running = s->last_len = GST_CLOCK_TIME_NONE;
  return TRUE;
}

static gboolean
segment_stop (GstBaseSink *bs)
{
  CrTsSegmentSink *s = (CrTsSegmentSink *)bs;
  segment_close (s, GST_CLOCK_TIME_NONE, FALSE); /* what is on disk stays, unannounced */
  return TRUE;
}

static void
segment_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  CrTsSegmentSink *s = (CrTsSegmentSink *)object;
  if (id == PROP_MAX_SIZE_TIME)
    s->max_size_time = g_value_get_uint64 (value);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
segment_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  CrTsSegmentSink *s = (CrTsSegmentSink *)object;
  if (id == PROP_MAX_SIZE_TIME)
    g_value_set_uint64 (value, s->max_size_time);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
segment_finalize (GObject *object)
{
  CrTsSegmentSink *s = (CrTsSegmentSink *)object;
  if (s->fd >= 0)
    close (s->fd);
  g_free (s->location);
  g_byte_array_unref (s->out);
  G_OBJECT_CLASS (cr_ts_segment_sink_parent_class)->finalize (object);
}

static void
cr_ts_segment_sink_class_init (CrTsSegmentSinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *sink_class = GST_BASE_SINK_CLASS (klass);
  object_class->set_property = segment_set_property;
  object_class->get_property = segment_get_property;
  object_class->finalize = segment_finalize;
  g_object_class_install_property (
      object_class, PROP_MAX_SIZE_TIME,
      g_param_spec_uint64 ("max-size-time", "Max size time", "About how long a file is (ns)", 0,
                           G_MAXUINT64, 10 * GST_SECOND,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  /* As splitmuxsink's: (fragment id, the file's first frame as a sample) -> the file's path. */
  signals[SIGNAL_FORMAT_LOCATION_FULL]
      = g_signal_new ("format-location-full", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_STRING, 2, G_TYPE_UINT, GST_TYPE_SAMPLE);
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class, "cloudrec TS segments", "Sink/File",
                                         "One medium as MPEG-TS files cut at keyframes",
                                         "cloudrec");
  sink_class->render = segment_render;
  sink_class->set_caps = segment_set_caps;
  sink_class->event = segment_event;
  sink_class->start = segment_start;
  sink_class->stop = segment_stop;
}

static void
cr_ts_segment_sink_init (CrTsSegmentSink *s)
{
  s->fd = -1;
  s->max_size_time = 10 * GST_SECOND;
  s->out = g_byte_array_sized_new (WRITE_CHUNK + 64 * 188);
  s->file_start = s->last_key = s->last_gop = s->last_end = GST_CLOCK_TIME_NONE;
  s->last_running = s->last_len = GST_CLOCK_TIME_NONE;
  GstBaseSink *bs = GST_BASE_SINK (s);
  /* A file writer: no clock wait, no preroll wait, no last-sample reference per buffer. */
  gst_base_sink_set_sync (bs, FALSE);
  gst_base_sink_set_async_enabled (bs, FALSE);
  gst_base_sink_set_last_sample_enabled (bs, FALSE);
  gst_base_sink_set_qos_enabled (bs, FALSE);
}

void
cr_ts_segment_sink_register (void)
{
  static gsize registered = 0;
  if (g_once_init_enter (&registered)) {
    GST_DEBUG_CATEGORY_INIT (cr_ts_segment_debug, "cloudrec-tssegment", 0,
                             "cloudrec: TS files of one medium");
    gst_element_register (NULL, FACTORY, GST_RANK_NONE, cr_ts_segment_sink_get_type ());
    g_once_init_leave (&registered, 1);
  }
}

GstElement *
cr_ts_segment_sink_new (GstClockTime max_size_time, const char *name)
{
  cr_ts_segment_sink_register ();
  GstElement *sink = g_object_new (cr_ts_segment_sink_get_type (), "name", name, NULL);
  g_object_set (sink, "max-size-time", (guint64)max_size_time, NULL);
  return sink;
}
