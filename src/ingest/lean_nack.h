/* Retransmission requests for the lean engine, pure (no I/O, unit-tested): which RTP packets of a
 * publisher's SSRC are missing, when to ask for them again with a generic NACK (RFC 4585 6.2.1),
 * when to give up, and the NACK packet itself.
 *
 * Why: the lean engine forwards each packet as it arrives, with no jitterbuffer of its own, so a
 * packet lost between the publisher and us was lost for the recording too. WebRTC senders keep
 * about a second of sent packets and resend one on a NACK (as RTX, RFC 4588, when negotiated);
 * the workers' jitterbuffers (200 ms) put a resent packet back in its place. The tracker is fed
 * every packet of the SSRC (sequence numbers extended to 64 bits, so wraps need no care), sees
 * the gaps, and is polled for the sequence numbers to ask for now; the numbers it waits, retries
 * and gives up by are explained in lean_nack.c. A packet we already have is reported as a
 * duplicate (a resend after all, a sender's RTX probe of an old packet), so that nothing reaches
 * the workers twice. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Missing packets followed at once: see lean_nack.c. */
#define CR_NACK_MAX_MISSING 256
/* Packets behind the highest whose arrival is remembered (duplicates are recognised). */
#define CR_NACK_HISTORY 1024

typedef struct {
  gint64 seq;      /* extended */
  gint64 first_us; /* when the gap was seen */
  gint64 sent_us;  /* the last NACK for it, 0 before the first */
  guint tries;     /* NACKs sent for it */
} CrNackMissing;

typedef struct {
  guint32 ssrc;
  gboolean started;
  gint64 highest;                     /* the extended sequence number of the newest packet */
  guint64 seen[CR_NACK_HISTORY / 64]; /* arrived, by extended sequence modulo CR_NACK_HISTORY */
  CrNackMissing missing[CR_NACK_MAX_MISSING]; /* oldest first */
  guint n_missing;
  gint64 rtt_us; /* smoothed NACK-to-resend time, 0 until measured */
  /* Since the tracker was made, every SSRC it followed: */
  guint64 nacked;    /* distinct packets asked for at least once */
  guint64 recovered; /* asked for, then arrived */
  guint64 given_up;  /* found missing and never arrived while followed */
} CrNackTracker;

typedef enum {
  CR_NACK_NEW,       /* not seen before: forward it */
  CR_NACK_RECOVERED, /* was missing and asked for: forward it */
  CR_NACK_DUPLICATE, /* already had it, or far too old: drop it */
} CrNackVerdict;

void cr_nack_init (CrNackTracker *t);

/* A packet of @ssrc with sequence @seq arrived at @now_us (an original or a restored RTX). A new
 * SSRC, or a jump too large to be loss (a sender that restarted), starts the tracking over. */
CrNackVerdict cr_nack_on_packet (CrNackTracker *t, guint32 ssrc, guint16 seq, gint64 now_us);

/* The sequence numbers to ask for now (at most @max into @seqs, ascending), counted as asked;
 * packets past their last chance are given up here. */
guint cr_nack_due (CrNackTracker *t, gint64 now_us, guint16 *seqs, guint max);

/* The time before a NACK is repeated (the measured round trip, or a default). */
gint64 cr_nack_retry_us (const CrNackTracker *t);

/* A generic NACK (RTPFB, PT 205, FMT 1) from @sender_ssrc for @media_ssrc asking for @seqs
 * (ascending modulo 2^16): one FCI (PID and a bitmask of the 16 that follow) per run. Returns the
 * length written, 0 if @n is 0; stops at FCIs that would not fit in @cap (>= 16). */
gsize cr_nack_write_rtcp (guint8 *out, gsize cap, guint32 sender_ssrc, guint32 media_ssrc,
                          const guint16 *seqs, guint n);

G_END_DECLS
