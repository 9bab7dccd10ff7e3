/* Strictly increasing RTP frame times after a jitter buffer; see rtp_pace.h. */
#include "rtp_pace.h"

#define PACE_KEY "cloudrec-rtp-pace"
#define MIN_STEP GST_MSECOND
#define MAX_STEP GST_SECOND

GstClockTime
cr_rtp_pace_next (CrRtpPace *p, guint32 rtp, GstClockTime pts)
{
  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return pts;
  if (!p->have) {
    p->have = TRUE;
    p->rtp = rtp;
    p->pts = pts;
    return pts;
  }
  if (rtp == p->rtp)
    return p->pts; /* the rest of the same frame */
  GstClockTime out = pts;
  if (pts <= p->pts) {
    gint32 ticks = (gint32)(rtp - p->rtp);
    GstClockTime step = ticks > 0 && p->clock_rate > 0
                            ? gst_util_uint64_scale ((guint64)ticks, GST_SECOND, p->clock_rate)
                            : MIN_STEP;
    out = p->pts + CLAMP (step, MIN_STEP, MAX_STEP);
    p->paced++;
  }
  p->rtp = rtp;
  p->pts = out;
  return out;
}

static GstPadProbeReturn
pace_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  CrRtpPace *p = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  guint8 head[8];
  if (gst_buffer_extract (buf, 0, head, sizeof head) != sizeof head)
    return GST_PAD_PROBE_OK;
  guint32 rtp = ((guint32)head[4] << 24) | ((guint32)head[5] << 16) | ((guint32)head[6] << 8)
                | head[7];
  GstClockTime pts = GST_BUFFER_PTS (buf);
  guint before = p->paced;
  GstClockTime out = cr_rtp_pace_next (p, rtp, pts);
  if (out == pts)
    return GST_PAD_PROBE_OK;
  if (before == 0 && p->paced == 1)
    g_info ("%s: a frame's time did not move on after the jitter buffer (a burst after a stall): "
            "placed by its RTP timestamp",
            p->what);
  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_PTS (buf) = out;
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

static void
pace_free (gpointer data)
{
  CrRtpPace *p = data;
  g_free (p->what);
  g_free (p);
}

void
cr_rtp_pace_attach (GstPad *pad, guint clock_rate, const char *what)
{
  CrRtpPace *p = g_new0 (CrRtpPace, 1);
  p->clock_rate = clock_rate;
  p->what = g_strdup (what);
  g_object_set_data_full (G_OBJECT (pad), PACE_KEY, p, pace_free);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, pace_probe, p, NULL);
}
