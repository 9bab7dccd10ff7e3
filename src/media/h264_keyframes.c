/* Keyframes are IDR pictures only; see h264_keyframes.h. */
#include "h264_keyframes.h"

#include <string.h>

#include "media/elements.h"

#define NAL_IDR 5

gboolean
cr_h264_access_unit_is_idr (const guint8 *data, gsize size, guint nal_length_size)
{
  if (nal_length_size > 0) {
    for (gsize off = 0; off + nal_length_size < size;) {
      gsize len = 0;
      for (guint i = 0; i < nal_length_size; i++)
        len = len << 8 | data[off + i];
      off += nal_length_size;
      if ((data[off] & 0x1f) == NAL_IDR)
        return TRUE;
      if (len == 0 || len > size - off)
        return FALSE;
      off += len;
    }
    return FALSE;
  }
  for (gsize i = 0; i + 3 < size; i++) { /* 00 00 01, then the NAL header */
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
      if ((data[i + 3] & 0x1f) == NAL_IDR)
        return TRUE;
      i += 2;
    }
  }
  return FALSE;
}

/* The NAL length size @caps say: 0 for byte-stream. */
static guint
nal_length_size_of (GstCaps *caps)
{
  if (caps == NULL || gst_caps_is_empty (caps))
    return 0;
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const char *format = gst_structure_get_string (s, "stream-format");
  if (format == NULL || strcmp (format, "byte-stream") == 0)
    return 0;
  const GValue *v = gst_structure_get_value (s, "codec_data");
  GstBuffer *config
      = v != NULL && G_VALUE_HOLDS (v, GST_TYPE_BUFFER) ? gst_value_get_buffer (v) : NULL;
  guint8 byte4 = 3; /* avcC: lengthSizeMinusOne in the low bits of its fifth byte */
  if (config != NULL && gst_buffer_get_size (config) > 4)
    gst_buffer_extract (config, 4, &byte4, 1);
  return (byte4 & 3) + 1;
}

/* The NAL length size is read from each caps event, not from the pad's caps for every picture. */
static GstPadProbeReturn
mark_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  guint *nal_length_size = data;
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
      GstCaps *caps = NULL;
      gst_event_parse_caps (event, &caps);
      *nal_length_size = nal_length_size_of (caps);
    }
    return GST_PAD_PROBE_OK;
  }
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  gboolean idr = cr_h264_access_unit_is_idr (map.data, map.size, *nal_length_size);
  gst_buffer_unmap (buf, &map);
  cr_probe_buffer_set_keyframe (info, idr);
  return GST_PAD_PROBE_OK;
}

void
cr_h264_mark_idr_keyframes (GstPad *pad)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     mark_probe, g_new0 (guint, 1), g_free);
}
