/* RTP forwards: the published RTP of one track, copied to the loopback UDP ports of subscribers.
 *
 * Why a pad probe and sendto() instead of tee + udpsink per subscriber: subscribers come and go
 * while the stream runs (a recorder starts, a worker restarts), and adding a branch to a running
 * pipeline costs a state change and a queue thread each; a probe that walks a short list under a
 * mutex costs a few microseconds per packet and nothing per idle subscriber. RTCP sender reports
 * of the publisher are re-sent to each subscriber's RTCP port (same SSRC and timestamps, since
 * packets are forwarded unchanged), so a recorder can map RTP time to wall-clock time and
 * lip-sync audio with video. A new subscriber triggers keyframe requests (PLI/FIR upstream)
 * until a keyframe has passed.
 *
 * Each subscriber belongs to a task (the recording that asked for it) and has its own UDP socket
 * connected to its port: on loopback a port nobody listens on answers ICMP port unreachable, which
 * a connected socket reports as ECONNREFUSED on a following send (an unconnected, shared socket
 * never would, and with IP_RECVERR its pending error would fail the next send to *another*
 * subscriber). A subscriber refused for more than CR_FORWARD_REFUSED_US is dropped: the forwards
 * of a worker that died stop within that time, whoever tells the ingest. */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _CrForward CrForward;

/* A forward for the RTP leaving @pad (a webrtcbin src pad). @encoding: "H264", "VP8" or "OPUS". */
CrForward *cr_forward_new (GstPad *pad, const char *encoding, gboolean is_video);
void cr_forward_free (CrForward *fwd);

/* Asks the publisher for a keyframe (called from any thread, with no forward lock held). */
typedef void (*CrForwardKeyframeFunc) (gpointer data);
/* A forward fed with cr_forward_push by the lean engine (session_lean.c), from the thread the
 * packet arrived on: @caps is the RTP caps text (cr_forward_caps_string), @keyframe sends a
 * PLI/FIR. */
CrForward *cr_forward_new_direct (const char *encoding, gboolean is_video, const char *caps,
                                  CrForwardKeyframeFunc keyframe, gpointer keyframe_data);
/* One decrypted RTP packet, sent to every subscriber (held first when grouped, below). */
void cr_forward_push (CrForward *fwd, const guint8 *rtp, gsize len);

/* A direct audio forward may send its packets in groups of @group (at most
 * CR_FORWARD_GROUP_MAX; 0 or 1: each as it comes; video: always each as it comes). Why: a
 * recording worker's socket thread and jitter buffer wake once per packet that arrives alone, and
 * on this machine a wake costs more than the packet's own work (40 single-stream recordings:
 * the audio socket thread cost 2.5x the video one at the same packet rate, because a picture's
 * packets come in a burst and sound's one by one; sending two together cut a worker's CPU by a
 * fifth). The pushing thread holds them (a packet over CR_FORWARD_HELD_BYTES goes at once, after
 * what is held) and must call cr_forward_flush once the oldest has waited CR_FORWARD_HOLD_US
 * (cr_forward_held_since); cr_forward_free sends what is held. A worker's jitter buffer waits a
 * second for late packets, so nothing a recording keeps changes. Same thread as the pushes. */
#define CR_FORWARD_GROUP_MAX 10
#define CR_FORWARD_HELD_BYTES 1500
#define CR_FORWARD_HOLD_US (100 * 1000)
void cr_forward_set_group (CrForward *fwd, guint group);
/* Monotonic µs when the oldest packet held arrived; 0 when none is. */
gint64 cr_forward_held_since (const CrForward *fwd);
/* Sends what is held, oldest first. */
void cr_forward_flush (CrForward *fwd);
/* An RTCP packet of the publisher (its sender report), sent to every subscriber's RTCP port. */
void cr_forward_push_rtcp (CrForward *fwd, const guint8 *rtcp, gsize len);

/* Refusals (ECONNREFUSED) for this long, with no refusal-free second between, drop a subscriber
 * (from the packet path, at once). */
#define CR_FORWARD_REFUSED_US (3 * G_USEC_PER_SEC / 2)

/* Adds a subscriber of task @task_id (NULL: of no task) on 127.0.0.1; returns its id (> 0), or
 * 0 with @error if its sockets cannot be made. @rtcp_port may be 0 (no sender reports). */
guint cr_forward_add (CrForward *fwd, guint16 rtp_port, guint16 rtcp_port, const char *task_id,
                      GError **error);
gboolean cr_forward_remove (CrForward *fwd, guint id);
/* Removes every subscriber of task @task_id; returns how many. */
guint cr_forward_remove_task (CrForward *fwd, const char *task_id);
/* How many subscribers were dropped as unreachable (see above) since the last call. */
guint cr_forward_take_dropped (CrForward *fwd);

/* A subscriber as listed by cr_forward_list. */
typedef struct {
  guint id;
  char *task_id; /* NULL if none */
  guint16 rtp_port, rtcp_port;
  guint64 packets; /* RTP packets sent to it */
} CrForwardSubscriber;
/* The subscribers now (a copy): array of CrForwardSubscriber, freed with g_array_unref. */
GArray *cr_forward_list (CrForward *fwd);
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
/* The payload of an RTP packet (past CSRCs, header extension and padding): its offset and
 * length, FALSE if @len cannot hold the header it announces. Pure, for tests. */
gboolean cr_rtp_payload_range (const guint8 *rtp, gsize len, gsize *offset, gsize *payload_len);

G_END_DECLS
