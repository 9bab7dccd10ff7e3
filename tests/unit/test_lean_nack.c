/* The lean engine's retransmission parts: the generic NACK packet checked byte by byte against
 * RFC 4585 6.2.1, the missing-packet tracker (reordering grace, retries, round trip, giving up,
 * wraps, sender restarts and jumps that must not turn into a flood of NACKs, duplicates), the
 * RTX unwrap of RFC 4588, and the receiver statistics of resent packets. */
#include <string.h>

#include "ingest/lean_nack.h"
#include "ingest/lean_rtcp.h"
#include "ingest/lean_rtx.h"

#define MS 1000
#define SSRC 0x11223344u

/* ---- the NACK packet ---- */

static void
test_nack_layout (void)
{
  /* 100, 101, 103: PID 100, BLP bits 0 (101) and 2 (103); 117 is PID + 17, past the mask: a
   * second FCI with 118 as its bit 0; 200 alone. */
  static const guint16 seqs[] = { 100, 101, 103, 117, 118, 200 };
  static const guint8 want[] = {
    0x81, 205,  0,    5,    /* V=2 P=0 FMT=1, PT=205 (RTPFB), length 5 words - 1 = 24 bytes */
    0xaa, 0xbb, 0xcc, 0xdd, /* packet sender */
    0x11, 0x22, 0x33, 0x44, /* media source */
    0x00, 100,  0x00, 0x05, /* PID 100, BLP 0000 0000 0000 0101 */
    0x00, 117,  0x00, 0x01, /* PID 117, BLP bit 0 */
    0x00, 200,  0x00, 0x00, /* PID 200 */
  };
  guint8 out[64];
  gsize n = cr_nack_write_rtcp (out, sizeof out, 0xaabbccdd, SSRC, seqs, G_N_ELEMENTS (seqs));
  g_assert_cmpmem (out, n, want, sizeof want);

  /* Across the wrap, a full mask: 65534, then 65535, 0, ..., 14 (the 16 after it). */
  guint16 wrap[17];
  for (guint i = 0; i < 17; i++)
    wrap[i] = (guint16)(65534 + i);
  n = cr_nack_write_rtcp (out, sizeof out, 1, 2, wrap, 17);
  static const guint8 fci[] = { 0xff, 0xfe, 0xff, 0xff };
  g_assert_cmpuint (n, ==, 16);
  g_assert_cmpmem (out + 12, 4, fci, 4);
  /* 65534 and 2 (PID + 4): bit 3. */
  guint16 two[] = { 65534, 2 };
  n = cr_nack_write_rtcp (out, sizeof out, 1, 2, two, 2);
  g_assert_cmpuint (n, ==, 16);
  g_assert_cmpuint (out[14], ==, 0);
  g_assert_cmpuint (out[15], ==, 0x08);

  /* Room for one FCI only: the first run is sent, the header says so. */
  n = cr_nack_write_rtcp (out, 16, 1, 2, seqs, G_N_ELEMENTS (seqs));
  g_assert_cmpuint (n, ==, 16);
  g_assert_cmpuint (out[3], ==, 3);
  g_assert_cmpuint (cr_nack_write_rtcp (out, sizeof out, 1, 2, seqs, 0), ==, 0);
}

/* ---- the tracker ---- */

/* Feeds @first..@last (inclusive, modulo 2^16) but the ones in @skip, at @now. */
static void
feed (CrNackTracker *t, guint16 first, guint16 last, const guint16 *skip, guint n_skip, gint64 now)
{
  for (guint16 s = first;; s++) {
    gboolean skipped = FALSE;
    for (guint i = 0; i < n_skip; i++)
      skipped |= skip[i] == s;
    if (!skipped)
      g_assert_cmpint (cr_nack_on_packet (t, SSRC, s, now), ==, CR_NACK_NEW);
    if (s == last)
      break;
  }
}

static void
test_tracker_retries (void)
{
  CrNackTracker t;
  cr_nack_init (&t);
  gint64 t0 = 5000000;
  guint16 lost[] = { 13 };
  feed (&t, 10, 15, lost, 1, t0);
  g_assert_cmpuint (t.n_missing, ==, 1);
  guint16 due[CR_NACK_MAX_MISSING];
  /* Not within the reordering grace. */
  g_assert_cmpuint (cr_nack_due (&t, t0 + 5 * MS, due, 16), ==, 0);
  g_assert_cmpuint (cr_nack_due (&t, t0 + 10 * MS, due, 16), ==, 1);
  g_assert_cmpuint (due[0], ==, 13);
  g_assert_cmpuint (t.nacked, ==, 1);
  /* Not again before the retry time (no round trip known yet: 40 ms). */
  g_assert_cmpint (cr_nack_retry_us (&t), ==, 40 * MS);
  g_assert_cmpuint (cr_nack_due (&t, t0 + 30 * MS, due, 16), ==, 0);
  g_assert_cmpuint (cr_nack_due (&t, t0 + 50 * MS, due, 16), ==, 1);
  g_assert_cmpuint (t.nacked, ==, 1); /* the same packet: counted once */
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 13, t0 + 70 * MS), ==, CR_NACK_RECOVERED);
  g_assert_cmpuint (t.recovered, ==, 1);
  g_assert_cmpuint (t.n_missing, ==, 0);
  g_assert_cmpint (t.rtt_us, ==, 0); /* asked twice: which NACK did it answer? not a sample */
  /* Again (a second resend), or an old one: duplicates. */
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 13, t0 + 80 * MS), ==, CR_NACK_DUPLICATE);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 14, t0 + 80 * MS), ==, CR_NACK_DUPLICATE);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 15, t0 + 80 * MS), ==, CR_NACK_DUPLICATE);
  g_assert_cmpuint (t.given_up, ==, 0);
}

static void
test_tracker_rtt (void)
{
  CrNackTracker t;
  cr_nack_init (&t);
  gint64 t0 = 1000000;
  guint16 lost[] = { 3, 4 };
  feed (&t, 1, 6, lost, 2, t0);
  guint16 due[16];
  g_assert_cmpuint (cr_nack_due (&t, t0 + 10 * MS, due, 16), ==, 2);
  /* 3 comes 60 ms after its one NACK: the round trip; retries wait 1.25 x that. */
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 3, t0 + 70 * MS), ==, CR_NACK_RECOVERED);
  g_assert_cmpint (t.rtt_us, ==, 60 * MS);
  g_assert_cmpint (cr_nack_retry_us (&t), ==, 75 * MS);
  g_assert_cmpuint (cr_nack_due (&t, t0 + 80 * MS, due, 16), ==, 0);
  g_assert_cmpuint (cr_nack_due (&t, t0 + 85 * MS, due, 16), ==, 1);
  g_assert_cmpuint (due[0], ==, 4);
  /* A fast path: never below 20 ms between two NACKs of a packet. */
  cr_nack_init (&t);
  feed (&t, 1, 6, lost, 2, t0);
  cr_nack_due (&t, t0 + 10 * MS, due, 16);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 3, t0 + 11 * MS), ==, CR_NACK_RECOVERED);
  g_assert_cmpint (t.rtt_us, ==, 1 * MS);
  g_assert_cmpint (cr_nack_retry_us (&t), ==, 20 * MS);
}

static void
test_tracker_reordering (void)
{
  CrNackTracker t;
  cr_nack_init (&t);
  gint64 t0 = 1000000;
  guint16 late[] = { 21 };
  feed (&t, 20, 23, late, 1, t0);
  guint16 due[16];
  g_assert_cmpuint (cr_nack_due (&t, t0 + 4 * MS, due, 16), ==, 0);
  /* It was late, not lost: nothing asked, nothing counted. */
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 21, t0 + 6 * MS), ==, CR_NACK_NEW);
  g_assert_cmpuint (cr_nack_due (&t, t0 + 50 * MS, due, 16), ==, 0);
  g_assert_cmpuint (t.nacked + t.recovered + t.given_up, ==, 0);
  /* A packet from before the first one (the stream's start reordered) is new, once. */
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 19, t0 + 7 * MS), ==, CR_NACK_NEW);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 19, t0 + 8 * MS), ==, CR_NACK_DUPLICATE);
}

static void
test_tracker_gives_up (void)
{
  CrNackTracker t;
  cr_nack_init (&t);
  gint64 t0 = 1000000;
  guint16 lost[] = { 7 };
  feed (&t, 5, 9, lost, 1, t0);
  /* Polled every 10 ms for 2 s: 8 NACKs at most, then given up, then quiet. */
  guint sent = 0;
  guint16 due[16];
  for (gint64 now = t0; now < t0 + 2 * G_USEC_PER_SEC; now += 10 * MS)
    sent += cr_nack_due (&t, now, due, 16);
  g_assert_cmpuint (sent, ==, 8);
  g_assert_cmpuint (t.nacked, ==, 1);
  g_assert_cmpuint (t.given_up, ==, 1);
  g_assert_cmpuint (t.n_missing, ==, 0);
  /* It comes after all, far too late for the tracker: forwarded once, not recovered. */
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 7, t0 + 3 * G_USEC_PER_SEC), ==, CR_NACK_NEW);
  g_assert_cmpuint (t.recovered, ==, 0);

  /* With a round trip that long, the age limit (1 s) comes before the 8th try. */
  cr_nack_init (&t);
  feed (&t, 5, 9, lost, 1, t0);
  t.rtt_us = 400 * MS;
  sent = 0;
  for (gint64 now = t0; now < t0 + 2 * G_USEC_PER_SEC; now += 10 * MS)
    sent += cr_nack_due (&t, now, due, 16);
  g_assert_cmpuint (sent, ==, 2); /* at 10 ms and 510 ms; the 1010 ms one is past the age */
  g_assert_cmpuint (t.given_up, ==, 1);
}

static void
test_tracker_wrap (void)
{
  CrNackTracker t;
  cr_nack_init (&t);
  gint64 t0 = 1000000;
  guint16 lost[] = { 65535, 0 };
  feed (&t, 65530, 5, lost, 2, t0);
  g_assert_cmpuint (t.n_missing, ==, 2);
  guint16 due[16];
  g_assert_cmpuint (cr_nack_due (&t, t0 + 10 * MS, due, 16), ==, 2);
  g_assert_cmpuint (due[0], ==, 65535);
  g_assert_cmpuint (due[1], ==, 0);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 0, t0 + 20 * MS), ==, CR_NACK_RECOVERED);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 65535, t0 + 21 * MS), ==, CR_NACK_RECOVERED);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 65534, t0 + 22 * MS), ==, CR_NACK_DUPLICATE);
  /* Many wraps later the numbers still line up. */
  for (guint i = 0; i < 3 * 65536; i++)
    cr_nack_on_packet (&t, SSRC, (guint16)(6 + i), t0 + 30 * MS);
  g_assert_cmpuint (t.n_missing, ==, 0);
  g_assert_cmpuint (t.given_up, ==, 0);
}

/* A sender that restarts its numbering or jumps far ahead, or a new SSRC: no NACK at all. */
static void
test_tracker_jumps (void)
{
  CrNackTracker t;
  cr_nack_init (&t);
  gint64 t0 = 1000000;
  guint16 due[CR_NACK_MAX_MISSING];
  feed (&t, 100, 110, NULL, 0, t0);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 5000, t0), ==, CR_NACK_NEW);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 5001, t0), ==, CR_NACK_NEW);
  g_assert_cmpuint (t.n_missing, ==, 0);
  /* back by thousands */
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 40, t0), ==, CR_NACK_NEW);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 41, t0), ==, CR_NACK_NEW);
  g_assert_cmpuint (t.n_missing, ==, 0);
  /* a jump just past what is followed */
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 41 + CR_NACK_MAX_MISSING + 2, t0), ==, CR_NACK_NEW);
  g_assert_cmpuint (t.n_missing, ==, 0);
  g_assert_cmpuint (cr_nack_due (&t, t0 + 100 * MS, due, G_N_ELEMENTS (due)), ==, 0);
  /* one packet a few hundred behind: not a restart, too old to forward twice */
  guint16 h = (guint16)(41 + CR_NACK_MAX_MISSING + 2);
  feed (&t, h + 1, h + 1200, NULL, 0, t0);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, h + 1200 - 1500, t0), ==, CR_NACK_DUPLICATE);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, h + 1200 - 500, t0), ==, CR_NACK_DUPLICATE);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, h + 1201, t0), ==, CR_NACK_NEW);
  g_assert_cmpuint (t.n_missing, ==, 0);

  /* A new SSRC starts over; what the old one missed is given up. */
  cr_nack_init (&t);
  guint16 lost[] = { 3 };
  feed (&t, 1, 5, lost, 1, t0);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC + 1, 900, t0), ==, CR_NACK_NEW);
  g_assert_cmpuint (t.n_missing, ==, 0);
  g_assert_cmpuint (t.given_up, ==, 1);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC + 1, 901, t0), ==, CR_NACK_NEW);
}

/* Gaps that together exceed the list: the oldest are given up; one NACK carries the rest. */
static void
test_tracker_cap (void)
{
  CrNackTracker t;
  cr_nack_init (&t);
  gint64 t0 = 1000000;
  guint16 s = 1;
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, s, t0), ==, CR_NACK_NEW);
  for (int i = 0; i < 3; i++) {
    s = (guint16)(s + 201); /* 200 missing each time */
    g_assert_cmpint (cr_nack_on_packet (&t, SSRC, s, t0), ==, CR_NACK_NEW);
  }
  g_assert_cmpuint (t.n_missing, ==, CR_NACK_MAX_MISSING);
  g_assert_cmpuint (t.given_up, ==, 600 - CR_NACK_MAX_MISSING);
  guint16 due[CR_NACK_MAX_MISSING];
  guint n = cr_nack_due (&t, t0 + 10 * MS, due, G_N_ELEMENTS (due));
  g_assert_cmpuint (n, ==, CR_NACK_MAX_MISSING);
  g_assert_cmpuint (due[n - 1], ==, s - 1);
  for (guint i = 1; i < n; i++) /* ascending, across the runs' received packets */
    g_assert_cmpuint ((guint16)(due[i] - due[i - 1]), <=, 2);
  guint8 out[12 + 4 * CR_NACK_MAX_MISSING];
  gsize len = cr_nack_write_rtcp (out, sizeof out, 1, SSRC, due, n);
  g_assert_cmpuint (len, <=, sizeof out);
  g_assert_cmpuint (len, <, 12 + 4 * 20); /* runs of 17 in one FCI each */
}

/* A stream fast enough to send the history's worth of packets before the age limit: a packet
 * missing that far back is given up (its arrival could no longer be told from a duplicate). */
static void
test_tracker_history (void)
{
  CrNackTracker t;
  cr_nack_init (&t);
  gint64 t0 = 1000000;
  guint16 lost[] = { 2 };
  feed (&t, 1, CR_NACK_HISTORY, lost, 1, t0);
  g_assert_cmpuint (t.n_missing, ==, 1);
  feed (&t, CR_NACK_HISTORY + 1, CR_NACK_HISTORY + 2, NULL, 0, t0 + 100 * MS);
  g_assert_cmpuint (t.n_missing, ==, 0);
  g_assert_cmpuint (t.given_up, ==, 1);
  g_assert_cmpint (cr_nack_on_packet (&t, SSRC, 2, t0 + 101 * MS), ==, CR_NACK_DUPLICATE);
}

/* ---- RTX ---- */

static void
test_rtx_restore (void)
{
  /* RTX: V=2 P=1 X=1 CC=0, M=1 PT=97, seq 5000, ts 0x01020304, SSRC 0xdeadbeef, a one-word
   * extension, OSN 0x1234, payload "abc", 3 bytes of padding. */
  guint8 rtx[] = {
    0xb0, 0x80 | 97, 0x13, 0x88, 1, 2, 3,    4,    0xde, 0xad, 0xbe, 0xef, 0xbe, 0xde,
    0,    1,         0x10, 0xff, 0, 0, 0x12, 0x34, 'a',  'b',  'c',  0,    0,    3,
  };
  static const guint8 want[] = {
    0x90, 0x80 | 96, 0x12, 0x34, 1,    2,    3, 4, 0xaa, 0xbb, 0xcc, 0xdd,
    0xbe, 0xde,      0,    1,    0x10, 0xff, 0, 0, 'a',  'b',  'c',
  };
  gsize len = sizeof rtx;
  g_assert_true (cr_rtx_restore (rtx, &len, 96, 0xaabbccdd));
  g_assert_cmpmem (rtx, len, want, sizeof want);

  /* Padding only (a bandwidth probe): refused, untouched. */
  guint8 probe[] = { 0xa0, 97, 0, 1, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 4 };
  guint8 copy[sizeof probe];
  memcpy (copy, probe, sizeof probe);
  len = sizeof probe;
  g_assert_false (cr_rtx_restore (probe, &len, 96, 1));
  g_assert_cmpuint (len, ==, sizeof probe);
  g_assert_cmpmem (probe, sizeof probe, copy, sizeof copy);
  /* No room for the OSN; a header longer than the packet. */
  guint8 shorty[] = { 0x80, 97, 0, 1, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0x12 };
  len = sizeof shorty;
  g_assert_false (cr_rtx_restore (shorty, &len, 96, 1));
  guint8 csrcs[] = { 0x8f, 97, 0, 1, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0x12, 0x34 };
  len = sizeof csrcs;
  g_assert_false (cr_rtx_restore (csrcs, &len, 96, 1));
}

/* ---- receiver statistics ---- */

static void
test_stats_resent (void)
{
  CrRtcpRecvStats st = { 0 };
  st.clock_rate = 90000;
  gint64 t = 1000000;
  for (guint16 s = 1000; s < 1600; s++, t += 4000) {
    if (s != 1001)
      cr_rtcp_stats_update (&st, SSRC, s, s * 360u, t);
  }
  g_assert_cmpuint (st.received, ==, 599);
  double jitter = st.jitter;
  /* 1001 resent 600 packets later: received (no loss left), no jitter sample, no restart. */
  cr_rtcp_stats_update_resent (&st, SSRC, 1001);
  g_assert_cmpuint (st.received, ==, 600);
  g_assert_cmpuint (st.base_seq, ==, 1000);
  g_assert_true (st.jitter == jitter);
  guint8 out[128];
  cr_rtcp_build_feedback (out, sizeof out, 1, &st, 1, 0, t);
  g_assert_cmpuint (((guint32)out[8 + 5] << 16 | out[8 + 6] << 8 | out[8 + 7]), ==, 0);
  /* Another SSRC's resend is not counted. */
  cr_rtcp_stats_update_resent (&st, SSRC + 1, 5);
  g_assert_cmpuint (st.received, ==, 600);
  /* One stray packet far off is ignored; two in a row are a sender that restarted. */
  cr_rtcp_stats_update (&st, SSRC, 30000, 0, t);
  g_assert_cmpuint (st.base_seq, ==, 1000);
  g_assert_cmpuint (st.received, ==, 600);
  cr_rtcp_stats_update (&st, SSRC, 40000, 0, t);
  cr_rtcp_stats_update (&st, SSRC, 40001, 360, t + 4000);
  g_assert_cmpuint (st.base_seq, ==, 40001); /* RFC 3550 A.1: from the second on */
  g_assert_cmpuint (st.received, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lean/nack/layout", test_nack_layout);
  g_test_add_func ("/lean/nack/retries", test_tracker_retries);
  g_test_add_func ("/lean/nack/rtt", test_tracker_rtt);
  g_test_add_func ("/lean/nack/reordering", test_tracker_reordering);
  g_test_add_func ("/lean/nack/gives-up", test_tracker_gives_up);
  g_test_add_func ("/lean/nack/wrap", test_tracker_wrap);
  g_test_add_func ("/lean/nack/jumps", test_tracker_jumps);
  g_test_add_func ("/lean/nack/cap", test_tracker_cap);
  g_test_add_func ("/lean/nack/history", test_tracker_history);
  g_test_add_func ("/lean/rtx/restore", test_rtx_restore);
  g_test_add_func ("/lean/rtcp/stats-resent", test_stats_resent);
  return g_test_run ();
}
