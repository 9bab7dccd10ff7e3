/* RTP from the ingest's forwards; see rtp_in.h. */
#include "rtp_in.h"

#include <gio/gio.h>
#include <string.h>

#include "media/elements.h"

GST_DEBUG_CATEGORY_STATIC (cr_rtp_debug);
#define GST_CAT_DEFAULT cr_rtp_debug
#define DEBUG_INIT()                                                                               \
  CR_DEBUG_INIT (cr_rtp_debug, "cloudrec-rtp", "cloudrec: RTP from the ingest forwards")

char *
cr_rtp_clean_caps (const char *caps)
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

guint16
cr_rtp_udpsrc_port (GstElement *udpsrc)
{
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
  DEBUG_INIT ();
  GST_DEBUG_OBJECT (udpsrc, "receiving RTP on 127.0.0.1:%d", port);
  return (guint16)port;
}

const char *
cr_rtp_decode_chain (const char *caps, gboolean video)
{
  if (!video)
    return "rtpopusdepay ! opusdec plc=true";
  if (strstr (caps, "VP8") != NULL)
    return "rtpvp8depay ! vp8dec";
  /* Without direct rendering: libav keeps each decoded picture it renders into a GStreamer buffer
   * as a reference, so that buffer is never writable and GstVideoDecoder copied it into a newly
   * malloc'ed one, every frame (1.4 MB at 720p). Decoded into libav's own pool instead, the
   * picture is copied once into a pooled buffer (perf: page faults, bench/mix.mjs). */
  return "rtph264depay ! h264parse ! avdec_h264 max-threads=1 direct-rendering=false";
}
