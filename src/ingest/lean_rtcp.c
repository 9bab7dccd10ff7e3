/* Receiver statistics and RTCP packets; see lean_rtcp.h. */
#include "lean_rtcp.h"

#include "be_bytes.h"

#include <string.h>

#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100

/* The common header: V=2, @count (RC or FMT), @pt, @words (length in 32-bit words minus one). */
static void
put_header (guint8 *p, guint count, guint pt, guint words)
{
  p[0] = 0x80 | (count & 0x1f);
  p[1] = pt;
  p[2] = words >> 8;
  p[3] = words;
}

typedef enum { STATS_FIRST, STATS_COUNTED, STATS_IGNORED } StatsCount;

static void
stats_start (CrRtcpRecvStats *st, guint32 ssrc, guint16 seq)
{
  guint32 rate = st->clock_rate;
  memset (st, 0, sizeof *st);
  st->clock_rate = rate;
  st->ssrc = ssrc;
  st->base_seq = seq;
  st->max_seq = seq;
  st->bad_seq = RTP_SEQ_MOD + 1; /* none */
  st->received = 1;
}

/* Counts packet @seq of @ssrc (RFC 3550 A.1). A packet far from the others is ignored unless the
 * next one follows it (a sender that restarted its numbering): a retransmission that comes
 * hundreds of packets late must not start the statistics over. */
static StatsCount
stats_count (CrRtcpRecvStats *st, guint32 ssrc, guint16 seq)
{
  if (st->ssrc != ssrc || st->received == 0) {
    stats_start (st, ssrc, seq);
    return STATS_FIRST;
  }
  guint16 delta = (guint16)(seq - st->max_seq);
  if (delta < MAX_DROPOUT) {
    if (seq < st->max_seq)
      st->cycles += RTP_SEQ_MOD;
    st->max_seq = seq;
  } else if (delta <= RTP_SEQ_MOD - MAX_MISORDER) {
    if (seq != st->bad_seq) {
      st->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
      return STATS_IGNORED;
    }
    /* Two in a row: the sender restarted; start over from here. */
    stats_start (st, ssrc, seq);
    return STATS_COUNTED;
  } /* else: a late or duplicate packet */
  st->received++;
  return STATS_COUNTED;
}

void
cr_rtcp_stats_update (CrRtcpRecvStats *st, guint32 ssrc, guint16 seq, guint32 ts, gint64 now_us)
{
  StatsCount c = stats_count (st, ssrc, seq);
  if (c == STATS_IGNORED)
    return;
  if (c == STATS_FIRST) {
    st->transit = (now_us * (gint64)st->clock_rate) / G_USEC_PER_SEC - ts;
    return;
  }
  /* Interarrival jitter (RFC 3550 A.8), in timestamp units. */
  gint64 arrival = (now_us * (gint64)st->clock_rate) / G_USEC_PER_SEC;
  gint64 transit = arrival - ts;
  gint64 d = transit - st->transit;
  st->transit = transit;
  if (d < 0)
    d = -d;
  if (d < (gint64)st->clock_rate * 10) /* a timestamp jump is not jitter */
    st->jitter += (1.0 / 16.0) * ((double)d - st->jitter);
}

void
cr_rtcp_stats_update_resent (CrRtcpRecvStats *st, guint32 ssrc, guint16 seq)
{
  if (st->ssrc != ssrc || st->received == 0)
    return;
  if ((guint16)(seq - st->max_seq) >= 0x8000)
    st->received++; /* behind the newest, however far: it was asked for, not a restart */
  else
    stats_count (st, ssrc, seq);
}

void
cr_rtcp_write_report_block (CrRtcpRecvStats *st, guint8 *out, gint64 now_us)
{
  guint32 extended = st->cycles + st->max_seq;
  guint32 expected = extended - st->base_seq + 1;
  gint64 lost = (gint64)expected - st->received;
  lost = CLAMP (lost, -0x800000, 0x7fffff);
  guint32 expected_interval = expected - st->expected_prior;
  guint32 received_interval = st->received - st->received_prior;
  st->expected_prior = expected;
  st->received_prior = st->received;
  gint64 lost_interval = (gint64)expected_interval - received_interval;
  guint8 fraction = expected_interval == 0 || lost_interval <= 0
                        ? 0
                        : (guint8)MIN (255, (lost_interval << 8) / expected_interval);
  cr_be_put32 (out, st->ssrc);
  cr_be_put32 (out + 4, ((guint32)fraction << 24) | ((guint32)lost & 0xffffff));
  cr_be_put32 (out + 8, extended);
  cr_be_put32 (out + 12, (guint32)st->jitter);
  cr_be_put32 (out + 16, st->lsr);
  guint32 dlsr = 0;
  if (st->lsr != 0) /* in 1/65536 s */
    dlsr = (guint32)(((now_us - st->lsr_arrival_us) * 65536) / G_USEC_PER_SEC);
  cr_be_put32 (out + 20, dlsr);
}

gsize
cr_rtcp_build_feedback (guint8 *out, gsize cap, guint32 sender_ssrc, CrRtcpRecvStats *stats,
                        guint n_stats, guint64 remb_bps, gint64 now_us)
{
  guint n = 0;
  guint8 *p = out + 8;
  for (guint i = 0; i < n_stats && n < 31 && (gsize)(p + 24 - out) <= cap; i++) {
    if (stats[i].ssrc == 0 || stats[i].received == 0)
      continue;
    cr_rtcp_write_report_block (&stats[i], p, now_us);
    p += 24;
    n++;
  }
  put_header (out, n, 201, (guint)((p - out) / 4 - 1));
  cr_be_put32 (out + 4, sender_ssrc);
  if (remb_bps == 0 || n == 0 || (gsize)(p - out) + 20 + 4 * n > cap)
    return p - out;
  /* REMB: PSFB (206) FMT 15, media SSRC 0, "REMB", count, exponent (6 bits), mantissa (18). */
  guint8 *r = p;
  guint exp = 0;
  guint64 mantissa = remb_bps;
  while (mantissa > 0x3ffff) {
    mantissa >>= 1;
    exp++;
  }
  put_header (r, 15, 206, 4 + n);
  cr_be_put32 (r + 4, sender_ssrc);
  cr_be_put32 (r + 8, 0);
  memcpy (r + 12, "REMB", 4);
  r[16] = n;
  r[17] = (exp << 2) | (mantissa >> 16);
  r[18] = mantissa >> 8;
  r[19] = mantissa;
  guint8 *q = r + 20;
  for (guint i = 0; i < n_stats; i++) {
    if (stats[i].ssrc == 0 || stats[i].received == 0)
      continue;
    cr_be_put32 (q, stats[i].ssrc);
    q += 4;
  }
  return q - out;
}

gsize
cr_rtcp_build_pli (guint8 *out, guint32 sender_ssrc, guint32 media_ssrc)
{
  put_header (out, 1, 206, 2);
  cr_be_put32 (out + 4, sender_ssrc);
  cr_be_put32 (out + 8, media_ssrc);
  return 12;
}

gsize
cr_rtcp_build_fir (guint8 *out, guint32 sender_ssrc, guint32 media_ssrc, guint8 fir_seq)
{
  put_header (out, 4, 206, 4);
  cr_be_put32 (out + 4, sender_ssrc);
  cr_be_put32 (out + 8, 0);
  cr_be_put32 (out + 12, media_ssrc);
  cr_be_put32 (out + 16, (guint32)fir_seq << 24);
  return 20;
}

gsize
cr_rtcp_build_sr (guint8 *out, guint32 ssrc, guint64 ntp, guint32 rtptime, guint32 packets,
                  guint32 octets)
{
  put_header (out, 0, 200, 6);
  cr_be_put32 (out + 4, ssrc);
  cr_be_put32 (out + 8, ntp >> 32);
  cr_be_put32 (out + 12, (guint32)ntp);
  cr_be_put32 (out + 16, rtptime);
  cr_be_put32 (out + 20, packets);
  cr_be_put32 (out + 24, octets);
  return 28;
}

gboolean
cr_rtcp_foreach_sr (const guint8 *data, gsize len,
                    void (*func) (const CrRtcpSenderInfo *sr, gpointer user_data),
                    gpointer user_data)
{
  gsize off = 0;
  while (off + 4 <= len) {
    const guint8 *p = data + off;
    if ((p[0] >> 6) != 2)
      return FALSE;
    gsize size = 4 * (((gsize)p[2] << 8 | p[3]) + 1);
    if (off + size > len)
      return FALSE;
    if (p[1] == 200 && size >= 28) {
      CrRtcpSenderInfo sr = { cr_be_get32 (p + 4), ((guint64)cr_be_get32 (p + 8) << 32) | cr_be_get32 (p + 12),
                              cr_be_get32 (p + 16), cr_be_get32 (p + 20), cr_be_get32 (p + 24) };
      func (&sr, user_data);
    }
    off += size;
  }
  return off == len;
}
