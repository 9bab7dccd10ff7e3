/* Filler pictures for a stopped video; see video_fill.h. */
#include "video_fill.h"

#include "media/elements.h"
#include "task/codes.h"

GST_DEBUG_CATEGORY_STATIC (cr_fill_debug);
#define GST_CAT_DEFAULT cr_fill_debug
#define DEBUG_INIT()                                                                               \
  CR_DEBUG_INIT (cr_fill_debug, "cloudrec-fill", "cloudrec: filler pictures for a stopped video")

#define FILL_PTS_MARGIN                                                                            \
  (300 * GST_MSECOND) /* below the jitterbuffer's 200 ms: live stays later                         \
                       */
#define KEYFRAME_ASK_US (500 * G_TIME_SPAN_MILLISECOND)
#define BLACK_TIMEOUT_S 10

struct _CrVideoFill {
  GstElement *pipeline;
  GstPad *live_pad;
  gulong probe;
  GstPad *inject_pad; /* the sink pad the live pictures go into next */
  int fill_type;
  CrVideoFillKeyframeFunc need_keyframe;
  gpointer user_data;
  GMutex lock;
  GstBuffer *picture;      /* the keyframe to repeat (FillType 0), or the black one (1) */
  GstCaps *caps;           /* of the live stream */
  GstSegment segment;      /* of the live stream: the fillers are timed and sent in it too, so
                            * that the funnel switching between the two changes nothing */
  GstClockTime last_pts;   /* the latest picture into the funnel, live or filler */
  gboolean await_keyframe; /* the live frames are dropped until a keyframe */
  gboolean want_keyframe;  /* a live frame was dropped: ask the publisher */
  gboolean live_dts;       /* the live pictures carry a DTS */
  gint64 asked_us;
  guint pushed;
};

/* Live pictures: remember the last keyframe, the caps and the segment; drop deltas after a fill. */
static GstPadProbeReturn
video_fill_on_live (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  CrVideoFill *f = data;
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
      const GstSegment *segment = NULL;
      gst_event_parse_segment (event, &segment);
      g_mutex_lock (&f->lock);
      gst_segment_copy_into (segment, &f->segment);
      g_mutex_unlock (&f->lock);
    }
    return GST_PAD_PROBE_OK;
  }
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gboolean key = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;
  g_mutex_lock (&f->lock);
  if (f->await_keyframe && !key) {
    f->want_keyframe = TRUE;
    ret = GST_PAD_PROBE_DROP;
  } else {
    f->await_keyframe = FALSE;
    if (GST_BUFFER_PTS_IS_VALID (buf))
      f->last_pts = GST_BUFFER_PTS (buf);
    f->live_dts = GST_BUFFER_DTS_IS_VALID (buf);
    if (key && f->fill_type == CR_FILL_LAST_PICTURE)
      gst_buffer_replace (&f->picture, buf);
    if (f->caps == NULL)
      f->caps = gst_pad_get_current_caps (pad);
  }
  g_mutex_unlock (&f->lock);
  return ret;
}

static void
video_fill_on_handoff (GstElement *sink, GstBuffer *buf, GstPad *pad, gpointer data)
{
  GstBuffer **out = data;
  if (*out == NULL)
    *out = gst_buffer_ref (buf);
}

/* One black H.264 keyframe (with its SPS/PPS) of @width x @height, or NULL. */
static GstBuffer *
video_fill_encode_black (int width, int height)
{
  GstElement *src = gst_element_factory_make ("videotestsrc", NULL);
  GstElement *enc = gst_element_factory_make ("x264enc", NULL);
  GstElement *out = gst_element_factory_make ("fakesink", "out");
  if (src == NULL || enc == NULL || out == NULL) {
    g_clear_object (&src);
    g_clear_object (&enc);
    g_clear_object (&out);
    return NULL;
  }
  cr_set (src, "pattern", "black");
  g_object_set (src, "num-buffers", 1, NULL);
  cr_set (enc, "tune", "zerolatency");
  cr_set (enc, "speed-preset", "ultrafast");
  g_object_set (enc, "key-int-max", 1, NULL);
  g_object_set (out, "signal-handoffs", TRUE, NULL);
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstCaps *raw = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                                      G_TYPE_INT, width, "height", G_TYPE_INT, height, "framerate",
                                      GST_TYPE_FRACTION, 5, 1, NULL);
  GstCaps *h264 = gst_caps_new_simple ("video/x-h264", "profile", G_TYPE_STRING,
                                       "constrained-baseline", "stream-format", G_TYPE_STRING,
                                       "byte-stream", "alignment", G_TYPE_STRING, "au", NULL);
  if (!cr_bin_chain (GST_BIN (pipeline), NULL, src, cr_capsfilter (raw), enc, cr_capsfilter (h264),
                     out, NULL)) {
    gst_object_unref (pipeline);
    return NULL;
  }
  GstBuffer *black = NULL;
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  g_signal_connect (sink, "handoff", G_CALLBACK (video_fill_on_handoff), &black);
  gst_object_unref (sink);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, BLACK_TIMEOUT_S * GST_SECOND,
                                                GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_clear_pointer (&msg, gst_message_unref);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return black;
}

CrVideoFill *
cr_video_fill_new (GstElement *pipeline, GstPad *live_pad, int fill_type,
                   CrVideoFillKeyframeFunc need_keyframe, gpointer user_data)
{
  DEBUG_INIT ();
  CrVideoFill *f = g_new0 (CrVideoFill, 1);
  g_mutex_init (&f->lock);
  f->pipeline = gst_object_ref (pipeline);
  f->live_pad = gst_object_ref (live_pad);
  f->inject_pad = gst_pad_get_peer (live_pad);
  f->fill_type = fill_type;
  f->need_keyframe = need_keyframe;
  f->user_data = user_data;
  f->last_pts = GST_CLOCK_TIME_NONE;
  gst_segment_init (&f->segment, GST_FORMAT_TIME);
  f->probe = gst_pad_add_probe (live_pad,
                                GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                                video_fill_on_live, f, NULL);

  return f;
}

/* The running time of the pipeline now, or NONE. */
static GstClockTime
video_fill_running_time (CrVideoFill *f)
{
  GstClock *clock = gst_element_get_clock (f->pipeline);
  if (clock == NULL)
    return GST_CLOCK_TIME_NONE;
  GstClockTime now = gst_clock_get_time (clock);
  GstClockTime base = gst_element_get_base_time (f->pipeline);
  gst_object_unref (clock);
  return now > base ? now - base : GST_CLOCK_TIME_NONE;
}

void
cr_video_fill_tick (CrVideoFill *f, gint64 last_packet_us)
{
  gint64 now_us = g_get_monotonic_time ();
  g_mutex_lock (&f->lock);
  gboolean ask = f->want_keyframe && now_us - f->asked_us >= KEYFRAME_ASK_US;
  if (ask) {
    f->want_keyframe = FALSE;
    f->asked_us = now_us;
  }
  /* Filling goes on while the returning video waits for its keyframe. */
  gboolean silent = (last_packet_us != 0 && now_us - last_packet_us > CR_FILL_AFTER_US)
                    || (f->await_keyframe && f->pushed > 0);
  gboolean ready = f->caps != NULL && GST_CLOCK_TIME_IS_VALID (f->last_pts);
  g_autoptr (GstCaps) caps = ready ? gst_caps_ref (f->caps) : NULL;
  gboolean need_black = f->fill_type == CR_FILL_BLACK && f->picture == NULL;
  g_mutex_unlock (&f->lock);
  if (ask && f->need_keyframe != NULL)
    f->need_keyframe (f->user_data);
  if (!silent || !ready)
    return;
  if (need_black) {
    const GstStructure *st = gst_caps_get_structure (caps, 0);
    int width = 0, height = 0;
    if (!gst_structure_get_int (st, "width", &width)
        || !gst_structure_get_int (st, "height", &height))
      return;
    GstBuffer *black = video_fill_encode_black (width, height);
    g_mutex_lock (&f->lock);
    f->picture = black;
    g_mutex_unlock (&f->lock);
  }
  GstClockTime running = video_fill_running_time (f);
  g_mutex_lock (&f->lock);
  GstBuffer *out = f->picture != NULL && GST_CLOCK_TIME_IS_VALID (running)
                       ? gst_buffer_copy (f->picture)
                       : NULL;
  GstSegment segment;
  gst_segment_copy_into (&f->segment, &segment);
  if (out != NULL) {
    /* A running time a little in the past, as a time of the live stream's segment. */
    GstClockTime pts = gst_segment_position_from_running_time (
        &f->segment, GST_FORMAT_TIME, running > FILL_PTS_MARGIN ? running - FILL_PTS_MARGIN : 0);
    if (!GST_CLOCK_TIME_IS_VALID (pts))
      pts = f->last_pts + GST_MSECOND;
    pts = MAX (pts, f->last_pts + GST_MSECOND);
    f->last_pts = pts;
    GST_BUFFER_PTS (out) = pts;
    /* Like the live pictures (no B-frames: the parser leaves DTS unset); a DTS on the fillers
     * alone stalls splitmuxsink. */
    GST_BUFFER_DTS (out) = f->live_dts ? pts : GST_CLOCK_TIME_NONE;
    GST_BUFFER_DURATION (out) = CR_FILL_INTERVAL_MS * GST_MSECOND;
    GST_BUFFER_FLAG_UNSET (out, GST_BUFFER_FLAG_DELTA_UNIT); /* decodes alone: a cut may follow */
    f->await_keyframe = TRUE;
    f->pushed++;
    GST_LOG ("filler picture %u at %" GST_TIME_FORMAT, f->pushed, GST_TIME_ARGS (pts));
  }
  g_mutex_unlock (&f->lock);
  if (out == NULL)
    return;
  /* Chained into the next element as if the live stream had sent it: the pad's stream lock
   * serialises it with live pictures, and the caps and segment on that pad are the live ones. */
  if (f->inject_pad != NULL)
    gst_pad_chain (f->inject_pad, out);
  else
    gst_buffer_unref (out);
}

void
cr_video_fill_free (CrVideoFill *f)
{
  if (f == NULL)
    return;
  gst_pad_remove_probe (f->live_pad, f->probe);
  gst_object_unref (f->live_pad);
  g_clear_object (&f->inject_pad);
  gst_object_unref (f->pipeline);
  gst_buffer_replace (&f->picture, NULL);
  g_clear_pointer (&f->caps, gst_caps_unref);
  g_mutex_clear (&f->lock);
  g_free (f);
}
