/* RTCP for the lean engine, pure (no I/O, unit-tested): the receiver's statistics of each
 * publisher SSRC (RFC 3550 A.1/A.3/A.8) and the packets we send and read.
 *
 * Why we send any: a WebRTC sender adapts its rate to the receiver's feedback. Receiver reports
 * (loss, jitter, round trip via LSR/DLSR) feed Chromium's loss-based estimate, and REMB
 * (draft-alvestrand-rmcat-remb) gives it the bitrate it may ramp to; the answer offers goog-remb
 * instead of transport-cc, so no per-packet TWCC feedback is needed. PLI (RFC 4585) and FIR
 * (RFC 5104) ask for a keyframe on behalf of the workers. From the publisher we only read sender
 * reports, which are re-sent to the workers for lip sync. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint32 ssrc; /* 0 until the first packet */
  guint32 clock_rate;
  guint16 max_seq;
  guint32 cycles; /* wraps of the sequence number, << 16 */
  guint32 base_seq;
  guint32 bad_seq; /* RFC 3550 A.1: a jump's next sequence number, > 65535 if none */
  guint32 received;
  guint32 expected_prior, received_prior;
  gint64 transit; /* previous packet's arrival - timestamp, in clock units */
  double jitter;  /* in clock units */
  guint32 lsr;    /* middle 32 bits of the last SR's NTP time, 0 if none */
  gint64 lsr_arrival_us;
} CrRtcpRecvStats;

/* One RTP packet of @ssrc (sequence @seq, timestamp @ts) arrived at @now_us. */
void cr_rtcp_stats_update (CrRtcpRecvStats *st, guint32 ssrc, guint16 seq, guint32 ts,
                           gint64 now_us);

/* A packet that was missing arrived as a retransmission (RTX): counted as received, as RFC 3550
 * counts a late packet, but not as a jitter sample (its delay is the NACK's round trip). Ignored
 * for an SSRC the statistics do not follow. */
void cr_rtcp_stats_update_resent (CrRtcpRecvStats *st, guint32 ssrc, guint16 seq);

/* A report block for @st (24 bytes into @out). */
void cr_rtcp_write_report_block (CrRtcpRecvStats *st, guint8 *out, gint64 now_us);

/* A compound RR (from @sender_ssrc, one block per @stats with an SSRC) then, if @remb_bps > 0,
 * a REMB for those SSRCs. Returns the length written (@cap must be >= 128). */
gsize cr_rtcp_build_feedback (guint8 *out, gsize cap, guint32 sender_ssrc, CrRtcpRecvStats *stats,
                              guint n_stats, guint64 remb_bps, gint64 now_us);
/* PLI (12 bytes) or FIR (20 bytes, command sequence @fir_seq) for @media_ssrc. */
gsize cr_rtcp_build_pli (guint8 *out, guint32 sender_ssrc, guint32 media_ssrc);
gsize cr_rtcp_build_fir (guint8 *out, guint32 sender_ssrc, guint32 media_ssrc, guint8 fir_seq);
/* A sender report with the sender info only (28 bytes). */
gsize cr_rtcp_build_sr (guint8 *out, guint32 ssrc, guint64 ntp, guint32 rtptime, guint32 packets,
                        guint32 octets);

typedef struct {
  guint32 ssrc;
  guint64 ntp;
  guint32 rtptime, packets, octets;
} CrRtcpSenderInfo;

/* Calls @func for each sender report in the compound packet @data; FALSE if malformed. */
gboolean cr_rtcp_foreach_sr (const guint8 *data, gsize len,
                             void (*func) (const CrRtcpSenderInfo *sr, gpointer user_data),
                             gpointer user_data);

/* Whether a packet whose first byte is 128..191 is RTCP (RFC 5761: payload type 64..95). */
static inline gboolean
cr_rtcp_is_rtcp (const guint8 *data, gsize len)
{
  return len >= 2 && (data[1] & 0x7f) >= 64 && (data[1] & 0x7f) <= 95;
}

G_END_DECLS
