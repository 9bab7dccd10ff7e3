/* Monotonic time in front of a muxer; see ts_guard.h. */
#include "ts_guard.h"

#define GUARD_KEY "cloudrec-ts-guard"

typedef struct {
  char *what;
  GstSegment segment;
  gboolean have_segment;
  GstClockTime last; /* running time of the last buffer passed, or NONE */
  gint dropped;      /* atomic */
} TsGuard;

static void
guard_free (gpointer data)
{
  TsGuard *g = data;
  g_free (g->what);
  g_free (g);
}

static GstPadProbeReturn
guard_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  TsGuard *g = data;
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
      gst_event_copy_segment (event, &g->segment);
      g->have_segment = g->segment.format == GST_FORMAT_TIME;
      g->last = GST_CLOCK_TIME_NONE;
    } else if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
      g->last = GST_CLOCK_TIME_NONE;
    }
    return GST_PAD_PROBE_OK;
  }
  if (!g->have_segment) { /* attached after the segment went by */
    GstEvent *sticky = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
    if (sticky != NULL) {
      gst_event_copy_segment (sticky, &g->segment);
      g->have_segment = g->segment.format == GST_FORMAT_TIME;
      gst_event_unref (sticky);
    }
  }
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime ts = GST_BUFFER_DTS_OR_PTS (buffer);
  if (!g->have_segment || !GST_CLOCK_TIME_IS_VALID (ts))
    return GST_PAD_PROBE_OK;
  GstClockTime running = gst_segment_to_running_time (&g->segment, GST_FORMAT_TIME, ts);
  if (!GST_CLOCK_TIME_IS_VALID (running))
    return GST_PAD_PROBE_OK;
  if (GST_CLOCK_TIME_IS_VALID (g->last) && running < g->last) {
    if (g_atomic_int_add (&g->dropped, 1) == 0)
      g_info ("%s: a buffer %.1f ms earlier than the one before it dropped (the muxer would "
              "stop the recording)",
              g->what, (double)(g->last - running) / GST_MSECOND);
    return GST_PAD_PROBE_DROP;
  }
  g->last = running;
  return GST_PAD_PROBE_OK;
}

void
cr_ts_guard_attach (GstPad *pad, const char *what)
{
  TsGuard *g = g_new0 (TsGuard, 1);
  g->what = g_strdup (what);
  g->last = GST_CLOCK_TIME_NONE;
  gst_segment_init (&g->segment, GST_FORMAT_UNDEFINED);
  g_object_set_data_full (G_OBJECT (pad), GUARD_KEY, g, guard_free);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM
                              | GST_PAD_PROBE_TYPE_EVENT_FLUSH,
                     guard_probe, g, NULL);
}

guint
cr_ts_guard_dropped (GstPad *pad)
{
  TsGuard *g = g_object_get_data (G_OBJECT (pad), GUARD_KEY);
  return g != NULL ? (guint)g_atomic_int_get (&g->dropped) : 0;
}
