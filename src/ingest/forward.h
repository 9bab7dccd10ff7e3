/* RTP forwards: the published RTP of one track, copied to the loopback UDP ports of subscribers.
 *
 * Why a pad probe and sendto() instead of tee + udpsink per subscriber: subscribers come and go
 * while the stream runs (a recorder starts, a worker restarts), and adding a branch to a running
 * pipeline costs a state change and a queue thread each; a probe that walks a short list under a
 * mutex costs a few microseconds per packet and nothing per idle subscriber. RTCP sender reports
 * of the publisher are re-sent to each subscriber's RTCP port (same SSRC and timestamps, since
 * packets are forwarded unchanged), so a recorder can map RTP time to wall-clock time and
 * lip-sync audio with video. A new subscriber triggers keyframe requests (PLI/FIR upstream)
 * until a keyframe has passed. */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _CrForward CrForward;

/* A forward for the RTP leaving @pad (a webrtcbin src pad), sending with @socket (an unbound UDP
 * socket shared by all forwards). @encoding: "H264", "VP8" or "OPUS". */
CrForward *cr_forward_new (GstPad *pad, GSocket *socket, const char *encoding, gboolean is_video);
void cr_forward_free (CrForward *fwd);

/* Adds a subscriber; returns its id (> 0). @rtcp_port may be 0 (no sender reports). */
guint cr_forward_add (CrForward *fwd, guint16 rtp_port, guint16 rtcp_port);
gboolean cr_forward_remove (CrForward *fwd, guint id);
/* Asks the publisher for a keyframe (PLI/FIR), repeated until one has passed (video only). */
void cr_forward_request_keyframe (CrForward *fwd);
guint cr_forward_subscriber_count (CrForward *fwd);

/* Once a second: re-sends the publisher's newest sender report (from @rtp_session, the
 * rtpbin's internal RTPSession) and repeats keyframe requests that have not been answered. */
void cr_forward_tick (CrForward *fwd, GObject *rtp_session, gint64 now_us);

/* The caps of the forwarded RTP (for the subscriber to decode), as text. */
char *cr_forward_caps_string (CrForward *fwd);
guint32 cr_forward_ssrc (CrForward *fwd);
gboolean cr_forward_is_video (CrForward *fwd);
/* Monotonic microseconds of the last packet, 0 before the first. */
gint64 cr_forward_last_packet_us (CrForward *fwd);
guint64 cr_forward_bytes (CrForward *fwd);

/* Whether an RTP payload starts a keyframe (H.264 IDR/SPS incl. in STAP-A and FU-A starts,
 * VP8 key frame). Pure, for tests. */
gboolean cr_rtp_payload_is_keyframe (const char *encoding, const guint8 *payload, gsize len);

G_END_DECLS
