/* The clock through a pause of a TS byte stream (ts_pcr_bridge.h): where PCR-only packets go in,
 * with which PCRs and continuity counters, whatever the chunks the stream is read in; what is
 * left alone (a PCR going back, a marked discontinuity, a stream without packet sync). */
#include <string.h>

#include "media/ts_pcr_bridge.h"

#define PACKET 188
#define PID 0x100
#define MS 90 /* 90 kHz ticks */

/* A packet of @pid with a payload (continuity counter @cc) and, when @pcr >= 0, a PCR. */
static void
put_packet (GByteArray *ts, guint pid, guint cc, gint64 pcr, gboolean discontinuity)
{
  guint off = ts->len;
  g_byte_array_set_size (ts, off + PACKET);
  guint8 *p = ts->data + off;
  memset (p, 0xab, PACKET);
  p[0] = 0x47;
  p[1] = (guint8)(pid >> 8);
  p[2] = (guint8)pid;
  if (pcr < 0) {
    p[3] = (guint8)(0x10 | (cc & 0x0f));
    return;
  }
  p[3] = (guint8)(0x30 | (cc & 0x0f));
  p[4] = 7;
  p[5] = (guint8)(0x10 | (discontinuity ? 0x80 : 0));
  cr_ts_put_pcr (p + 6, pcr);
}

static gint64
packet_pcr (const guint8 *p)
{
  if ((p[3] & 0x20) == 0 || p[4] < 7 || (p[5] & 0x10) == 0)
    return -1;
  return ((gint64)p[6] << 25) | ((gint64)p[7] << 17) | ((gint64)p[8] << 9) | ((gint64)p[9] << 1)
         | (p[10] >> 7);
}

/* @ts through a bridge in chunks of @chunk bytes. */
static GByteArray *
bridge_all (const GByteArray *ts, gsize chunk)
{
  CrPcrBridge *b = cr_pcr_bridge_new ();
  GByteArray *out = g_byte_array_new ();
  for (gsize at = 0; at < ts->len; at += chunk)
    cr_pcr_bridge_push (b, out, ts->data + at, MIN (chunk, ts->len - at));
  cr_pcr_bridge_finish (b, out);
  cr_pcr_bridge_free (b);
  return out;
}

/* Audio (no PCR) and video (PCR) packets, a 3 s pause in both after the video's PCR at 40 ms. */
static GByteArray *
paused_stream (void)
{
  GByteArray *ts = g_byte_array_new ();
  put_packet (ts, PID, 0, 0, FALSE);
  put_packet (ts, 0x101, 0, -1, FALSE);
  put_packet (ts, PID, 1, 40 * MS, FALSE);
  put_packet (ts, PID, 2, -1, FALSE); /* the rest of that frame: the counter the bridge repeats */
  put_packet (ts, 0x101, 1, -1, FALSE);
  put_packet (ts, PID, 3, 3040 * MS, FALSE);
  return ts;
}

static void
test_bridge_pause (void)
{
  g_autoptr (GByteArray) ts = paused_stream ();
  /* chunk sizes: whole, odd, one byte, a packet, across packets */
  const gsize chunks[] = { 1 << 20, 1000, 1, PACKET, PACKET + 1, 7 };
  g_autoptr (GByteArray) first = NULL;
  for (guint c = 0; c < G_N_ELEMENTS (chunks); c++) {
    GByteArray *out = bridge_all (ts, chunks[c]);
    if (first == NULL) {
      first = out;
      continue;
    }
    g_assert_cmpmem (out->data, out->len, first->data, first->len);
    g_byte_array_free (out, TRUE);
  }
  /* 29 clock packets (100 ms to 2.9 s after 40 ms) between the 5th packet and the last */
  g_assert_cmpuint (first->len, ==, (6 + 29) * PACKET);
  g_assert_cmpmem (first->data, 5 * PACKET, ts->data, 5 * PACKET);
  for (guint k = 0; k < 29; k++) {
    const guint8 *p = first->data + (5 + k) * PACKET;
    g_assert_cmphex (p[0], ==, 0x47);
    g_assert_cmphex (((p[1] & 0x1f) << 8) | p[2], ==, PID);
    g_assert_cmphex (p[3], ==, 0x20 | 2); /* adaptation only, the counter of the PID's last */
    g_assert_cmpuint (p[4], ==, PACKET - 5);
    g_assert_cmpint (packet_pcr (p), ==, (40 + 100 * (k + 1)) * MS);
  }
  g_assert_cmpmem (first->data + 34 * PACKET, PACKET, ts->data + 5 * PACKET, PACKET);
}

/* No bridge for a step under 100 ms, a PCR going back, or one marked as a discontinuity. */
static void
test_bridge_leaves_alone (void)
{
  g_autoptr (GByteArray) ts = g_byte_array_new ();
  put_packet (ts, PID, 0, 1000 * MS, FALSE);
  put_packet (ts, PID, 1, 1100 * MS, FALSE); /* exactly 100 ms */
  put_packet (ts, PID, 2, 500 * MS, FALSE);  /* back */
  put_packet (ts, PID, 3, 9000 * MS, TRUE);  /* a discontinuity */
  g_autoptr (GByteArray) out = bridge_all (ts, 333);
  g_assert_cmpmem (out->data, out->len, ts->data, ts->len);
}

/* Across the 33-bit wrap; a pause of 10 minutes bridged every 100 ms; one of 2 hours with at
 * most CR_TS_BRIDGE_MAX_READ packets. */
static void
test_bridge_wrap_and_bound (void)
{
  gint64 wrap = G_GINT64_CONSTANT (1) << 33;
  gint64 ten_min = 600 * 1000 * MS, two_h = 7200 * 1000 * MS;
  g_autoptr (GByteArray) ts = g_byte_array_new ();
  put_packet (ts, PID, 0, wrap - 50 * MS, FALSE);
  put_packet (ts, PID, 1, 250 * MS, FALSE); /* 300 ms later, past the wrap */
  put_packet (ts, PID, 2, 250 * MS + ten_min, FALSE);
  put_packet (ts, PID, 3, 250 * MS + ten_min + two_h, FALSE);
  g_autoptr (GByteArray) out = bridge_all (ts, 4096);
  g_assert_cmpuint (out->len, ==, (4 + 2 + 5999 + CR_TS_BRIDGE_MAX_READ - 1) * PACKET);
  g_assert_cmpint (packet_pcr (out->data + PACKET), ==, 50 * MS); /* wrapped */
  g_assert_cmpint (packet_pcr (out->data + 2 * PACKET), ==, 150 * MS);
  g_assert_cmpint (packet_pcr (out->data + 4 * PACKET), ==, 350 * MS);
  g_assert_cmpint (packet_pcr (out->data + (4 + 5998) * PACKET), ==, 250 * MS + ten_min - 100 * MS);
  g_assert_cmpint (packet_pcr (out->data + (4 + 5999) * PACKET), ==, 250 * MS + ten_min);
  /* the 2 hours: a packet every 200 ms */
  g_assert_cmpint (packet_pcr (out->data + (5 + 5999) * PACKET), ==, 250 * MS + ten_min + 200 * MS);
  g_assert_cmpint (packet_pcr (out->data + (6 + 5999) * PACKET), ==, 250 * MS + ten_min + 400 * MS);
}

/* Bytes without packet sync pass on as they are from where sync is lost, nothing dropped; a
 * partial packet at the end comes out of finish. */
static void
test_bridge_no_sync (void)
{
  g_autoptr (GByteArray) ts = g_byte_array_new ();
  put_packet (ts, PID, 0, 0, FALSE);
  guint8 junk[500];
  memset (junk, 0x11, sizeof junk);
  g_byte_array_append (ts, junk, sizeof junk);
  put_packet (ts, PID, 1, 5000 * MS, FALSE);
  for (gsize chunk = 1; chunk < 600; chunk += 97) {
    g_autoptr (GByteArray) out = bridge_all (ts, chunk);
    g_assert_cmpmem (out->data, out->len, ts->data, ts->len);
  }
  g_autoptr (GByteArray) tail = g_byte_array_new ();
  put_packet (tail, PID, 0, 0, FALSE);
  g_byte_array_append (tail, junk, 100);
  g_autoptr (GByteArray) out = bridge_all (tail, 64);
  g_assert_cmpmem (out->data, out->len, tail->data, tail->len);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ts-pcr-bridge/pause", test_bridge_pause);
  g_test_add_func ("/ts-pcr-bridge/leaves-alone", test_bridge_leaves_alone);
  g_test_add_func ("/ts-pcr-bridge/wrap-and-bound", test_bridge_wrap_and_bound);
  g_test_add_func ("/ts-pcr-bridge/no-sync", test_bridge_no_sync);
  return g_test_run ();
}
