/* Missing-packet tracking and generic NACKs; see lean_nack.h.
 *
 * The numbers, and why:
 * - REORDER_GRACE_US (10 ms): a gap may be reordering, not loss. A WebRTC sender's pacer sends a
 *   frame's packets in bursts a few ms apart and reordering on real paths stays within a few ms;
 *   waiting longer would spend the workers' 200 ms jitterbuffer window on nothing.
 * - DEFAULT_RETRY_US (40 ms) until a round trip is measured, then 1.25 x the smoothed time from a
 *   NACK to the resend of a packet asked for once (Karn: a packet asked for twice could answer
 *   either), never under MIN_RETRY_US (20 ms): a sender resends a packet at most once per round
 *   trip, so asking faster only repeats the question.
 * - MAX_TRIES (8): with 10% loss each way, a NACK or its resend is lost ~19% of the time, and 8
 *   tries leave ~2e-6 of the packets unrecovered; a sender that still does not answer no longer
 *   has the packet.
 * - GIVE_UP_US (1 s): WebRTC senders keep about a second of sent packets; older ones cannot come.
 * - CR_NACK_MAX_MISSING (256) and MAX_GAP (the same): 5% loss of 1000 packets a second (10
 *   Mbit/s) is ~50 missing within a second; 256 also holds a 250 ms outage at that rate. A jump
 *   larger than that is not loss we can repair (an outage beyond our window, or a sender that
 *   restarted): the tracking starts over there instead of asking for hundreds of packets. When
 *   the list is full the oldest entry is given up. 256 sequence numbers in a row take 16 FCIs.
 * - CR_NACK_HISTORY (1024 packets, 128 bytes of bits): which recent packets arrived, so that a
 *   resend of one we have is dropped; more than a second of a 10 Mbit/s stream. A packet missing
 *   further back than that is given up even within GIVE_UP_US.
 * - RESTART_BACK (3000, RFC 3550 A.1's MAX_DROPOUT): a packet that far behind the newest is a
 *   sender that restarted its numbering; one less far back than the history but already seen is
 *   a duplicate, one beyond the history is too old to be of use and is dropped as one. */
#include "lean_nack.h"

#include "be_bytes.h"

#include <string.h>

#define REORDER_GRACE_US (10 * 1000)
#define DEFAULT_RETRY_US (40 * 1000)
#define MIN_RETRY_US (20 * 1000)
#define MAX_TRIES 8
#define GIVE_UP_US G_USEC_PER_SEC
#define MAX_GAP CR_NACK_MAX_MISSING
#define RESTART_BACK 3000

void
cr_nack_init (CrNackTracker *t)
{
  memset (t, 0, sizeof *t);
}

static void
seen_set (CrNackTracker *t, gint64 ext)
{
  guint bit = (guint)(ext % CR_NACK_HISTORY);
  t->seen[bit / 64] |= G_GUINT64_CONSTANT (1) << (bit % 64);
}

static void
seen_clear (CrNackTracker *t, gint64 ext)
{
  guint bit = (guint)(ext % CR_NACK_HISTORY);
  t->seen[bit / 64] &= ~(G_GUINT64_CONSTANT (1) << (bit % 64));
}

static gboolean
seen_get (const CrNackTracker *t, gint64 ext)
{
  guint bit = (guint)(ext % CR_NACK_HISTORY);
  return (t->seen[bit / 64] >> (bit % 64)) & 1;
}

/* Follows @ssrc from @seq on; whatever was missing before is given up. */
static void
nack_start (CrNackTracker *t, guint32 ssrc, guint16 seq)
{
  t->given_up += t->n_missing;
  t->n_missing = 0;
  memset (t->seen, 0, sizeof t->seen);
  t->ssrc = ssrc;
  t->started = TRUE;
  /* One cycle up, so that "behind the first packet" stays positive. */
  t->highest = (gint64)seq + 65536;
  seen_set (t, t->highest);
}

/* The index of @ext in the missing list, or -1 (binary search: the list is ascending). */
static int
missing_find (const CrNackTracker *t, gint64 ext)
{
  int lo = 0, hi = (int)t->n_missing - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    if (t->missing[mid].seq == ext)
      return mid;
    if (t->missing[mid].seq < ext)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -1;
}

static void
missing_remove (CrNackTracker *t, guint i)
{
  memmove (&t->missing[i], &t->missing[i + 1], (t->n_missing - i - 1) * sizeof t->missing[0]);
  t->n_missing--;
}

/* The newest packet is now @ext (> highest): the ones between are missing. */
static void
nack_advance (CrNackTracker *t, gint64 ext, gint64 now_us)
{
  for (gint64 s = t->highest + 1; s < ext; s++) {
    seen_clear (t, s);
    if (t->n_missing == CR_NACK_MAX_MISSING) {
      missing_remove (t, 0);
      t->given_up++;
    }
    t->missing[t->n_missing++] = (CrNackMissing){ s, now_us, 0, 0 };
  }
  t->highest = ext;
  seen_set (t, ext);
  /* Past the history its arrival could not be told from a duplicate: given up (a fast stream,
   * over 1000 packets a second, before GIVE_UP_US). */
  guint old = 0;
  while (old < t->n_missing && t->missing[old].seq <= ext - CR_NACK_HISTORY)
    old++;
  if (old > 0) {
    memmove (&t->missing[0], &t->missing[old], (t->n_missing - old) * sizeof t->missing[0]);
    t->n_missing -= old;
    t->given_up += old;
  }
}

CrNackVerdict
cr_nack_on_packet (CrNackTracker *t, guint32 ssrc, guint16 seq, gint64 now_us)
{
  if (!t->started || ssrc != t->ssrc) {
    nack_start (t, ssrc, seq);
    return CR_NACK_NEW;
  }
  gint16 diff = (gint16)(guint16)(seq - (guint16)t->highest);
  gint64 ext = t->highest + diff;
  if (diff > 0) {
    if (diff > MAX_GAP)
      nack_start (t, ssrc, seq);
    else
      nack_advance (t, ext, now_us);
    return CR_NACK_NEW;
  }
  gint64 back = -(gint64)diff;
  if (back >= RESTART_BACK) {
    nack_start (t, ssrc, seq);
    return CR_NACK_NEW;
  }
  if (back >= CR_NACK_HISTORY || seen_get (t, ext))
    return CR_NACK_DUPLICATE;
  seen_set (t, ext);
  int i = missing_find (t, ext);
  if (i < 0)
    return CR_NACK_NEW; /* given up already, or from before the first packet */
  CrNackMissing m = t->missing[i];
  missing_remove (t, (guint)i);
  if (m.tries == 0)
    return CR_NACK_NEW; /* reordered, not lost */
  t->recovered++;
  if (m.tries == 1) {
    gint64 sample = CLAMP (now_us - m.sent_us, 1000, GIVE_UP_US);
    t->rtt_us = t->rtt_us == 0 ? sample : t->rtt_us + (sample - t->rtt_us) / 8;
  }
  return CR_NACK_RECOVERED;
}

gint64
cr_nack_retry_us (const CrNackTracker *t)
{
  if (t->rtt_us == 0)
    return DEFAULT_RETRY_US;
  return MAX (MIN_RETRY_US, t->rtt_us + t->rtt_us / 4);
}

guint
cr_nack_due (CrNackTracker *t, gint64 now_us, guint16 *seqs, guint max)
{
  gint64 retry = cr_nack_retry_us (t);
  guint n = 0, keep = 0;
  for (guint i = 0; i < t->n_missing; i++) {
    CrNackMissing m = t->missing[i];
    if (now_us - m.first_us >= GIVE_UP_US
        || (m.tries >= MAX_TRIES && now_us - m.sent_us >= retry)) {
      t->given_up++;
      continue;
    }
    gboolean due = m.tries == 0 ? now_us - m.first_us >= REORDER_GRACE_US
                                : m.tries < MAX_TRIES && now_us - m.sent_us >= retry;
    if (due && n < max) {
      if (m.tries == 0)
        t->nacked++;
      m.tries++;
      m.sent_us = now_us;
      seqs[n++] = (guint16)m.seq;
    }
    t->missing[keep++] = m;
  }
  t->n_missing = keep;
  return n;
}

gsize
cr_nack_write_rtcp (guint8 *out, gsize cap, guint32 sender_ssrc, guint32 media_ssrc,
                    const guint16 *seqs, guint n)
{
  if (n == 0 || cap < 16)
    return 0;
  guint8 *p = out + 12;
  guint i = 0;
  while (i < n && (gsize)(p + 4 - out) <= cap) {
    guint16 pid = seqs[i++];
    guint16 blp = 0;
    /* Bit k of the BLP: PID + k + 1 is lost too (RFC 4585 6.2.1). */
    for (; i < n; i++) {
      guint16 d = (guint16)(seqs[i] - pid);
      if (d > 16)
        break;
      if (d > 0)
        blp |= (guint16)(1u << (d - 1));
    }
    cr_be_put16 (p, pid);
    cr_be_put16 (p + 2, blp);
    p += 4;
  }
  gsize len = (gsize)(p - out);
  out[0] = 0x80 | 1; /* V=2, FMT 1: generic NACK */
  out[1] = 205;      /* RTPFB */
  cr_be_put16 (out + 2, (guint16)(len / 4 - 1));
  cr_be_put32 (out + 4, sender_ssrc);
  cr_be_put32 (out + 8, media_ssrc);
  return len;
}
