/* Pictures placed after AAC's priming; see aac_delay.h. */
#include "aac_delay.h"

static GstPadProbeReturn
delay_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstClockTime delay = *(const GstClockTime *)data;
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  if (GST_BUFFER_PTS_IS_VALID (buf))
    GST_BUFFER_PTS (buf) += delay;
  if (GST_BUFFER_DTS_IS_VALID (buf))
    GST_BUFFER_DTS (buf) += delay;
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

void
cr_aac_delay_pictures (GstPad *pad, int sample_rate)
{
  GstClockTime *delay = g_new (GstClockTime, 1);
  *delay
      = gst_util_uint64_scale_int (CR_AAC_ENCODER_DELAY_SAMPLES, GST_SECOND, MAX (sample_rate, 1));
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, delay_probe, delay, g_free);
}
