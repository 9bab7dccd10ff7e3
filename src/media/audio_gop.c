/* Audio frames grouped for splitmuxsink; see audio_gop.h. */
#include "audio_gop.h"

#include "media/elements.h"

gboolean
cr_audio_gop_starts (GstClockTime *group_start, GstClockTime pts)
{
  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return FALSE;
  /* A time before the group's start (a new segment, a resynchronised encoder) starts one too. */
  if (!GST_CLOCK_TIME_IS_VALID (*group_start) || pts < *group_start
      || pts - *group_start >= CR_AUDIO_GOP_MS * GST_MSECOND) {
    *group_start = pts;
    return TRUE;
  }
  return FALSE;
}

static GstPadProbeReturn
audio_gop_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstClockTime *group_start = data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  cr_probe_buffer_set_keyframe (info, cr_audio_gop_starts (group_start, GST_BUFFER_PTS (buffer)));
  return GST_PAD_PROBE_OK;
}

void
cr_audio_gop_attach (GstPad *pad)
{
  GstClockTime *group_start = g_new (GstClockTime, 1);
  *group_start = GST_CLOCK_TIME_NONE;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, audio_gop_probe, group_start, g_free);
}
