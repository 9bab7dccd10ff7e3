/* Receiving a forward's RTP on a loopback UDP port: the caps depayloading needs, the decode or
 * remux chain per codec, and the port the kernel picked.
 *
 * Why shared: a single-stream track (remux) and the mixed picture (decode) receive the ingest's
 * forwards the same way; the caps cleaning and the port lookup live once. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Only what depayloading needs: the forward's caps carry SDP extras (extmap, rtcp-fb). NULL if
 * @caps does not parse. */
char *cr_rtp_clean_caps (const char *caps);

/* The loopback port a "port=0" udpsrc was given (0 before it has a socket). */
guint16 cr_rtp_udpsrc_port (GstElement *udpsrc);

/* Depayload and decode to raw: video (H.264 or VP8) or Opus audio. */
const char *cr_rtp_decode_chain (const char *caps, gboolean video);

G_END_DECLS
