/* Fuzzes the lean engine's retransmission parts, which any publisher drives: the RTX unwrap of an
 * arbitrary decrypted packet (no over-read, never longer, a valid header kept), and the NACK
 * tracker fed arbitrary sequence numbers, SSRC changes and clock steps, with its invariants
 * checked after every step (the list bounded and ascending, the counters consistent) and every
 * NACK it writes read back to exactly the sequence numbers it said were due. The first byte picks
 * the mode. */
#include <stdint.h>
#include <string.h>

#include "ingest/lean_nack.h"
#include "ingest/lean_rtx.h"

#define MAX_PACKET 1500

static void
check (gboolean ok)
{
  if (!ok)
    __builtin_trap ();
}

static void
fuzz_rtx (const uint8_t *data, size_t size)
{
  guint8 buf[MAX_PACKET];
  memcpy (buf, data, size);
  gsize len = size;
  if (cr_rtx_restore (buf, &len, 96, 0x01020304)) {
    check (len + 2 <= size && len >= 12);
    check ((buf[0] >> 6) == 2 && (buf[0] & 0x20) == 0 && (buf[1] & 0x7f) == 96);
    check (buf[8] == 1 && buf[9] == 2 && buf[10] == 3 && buf[11] == 4);
  } else {
    check (len == size && memcmp (buf, data, size) == 0);
  }
}

static void
check_nack (const guint16 *due, guint n)
{
  guint8 out[12 + 4 * CR_NACK_MAX_MISSING];
  gsize len = cr_nack_write_rtcp (out, sizeof out, 7, 9, due, n);
  if (n == 0) {
    check (len == 0);
    return;
  }
  check (len >= 16 && len <= sizeof out && len % 4 == 0);
  check (out[0] == 0x81 && out[1] == 205 && (gsize)((out[2] << 8 | out[3]) + 1) * 4 == len);
  /* Read back: every FCI's PID and bits, in order, are the due list. */
  guint k = 0;
  for (gsize off = 12; off < len; off += 4) {
    guint16 pid = (guint16)(out[off] << 8 | out[off + 1]);
    guint16 blp = (guint16)(out[off + 2] << 8 | out[off + 3]);
    check (k < n && due[k++] == pid);
    for (int b = 0; b < 16; b++) {
      if (blp & (1u << b))
        check (k < n && due[k++] == (guint16)(pid + b + 1));
    }
  }
  check (k == n);
}

static void
fuzz_tracker (const uint8_t *data, size_t size)
{
  static CrNackTracker t; /* 8 KB: not on the fuzzer's stack */
  cr_nack_init (&t);
  gint64 now = 1000000;
  guint16 due[CR_NACK_MAX_MISSING];
  /* 4 bytes a step: sequence number, a clock step in ms, what to do */
  for (size_t i = 0; i + 4 <= size; i += 4) {
    guint16 seq = (guint16)(data[i] << 8 | data[i + 1]);
    now += (gint64)data[i + 2] * 1000;
    guint8 op = data[i + 3];
    guint64 recovered = t.recovered;
    if (op & 1) {
      CrNackVerdict v = cr_nack_on_packet (&t, (op & 2) ? 5 : 6, seq, now);
      check (v == CR_NACK_NEW || v == CR_NACK_DUPLICATE || v == CR_NACK_RECOVERED);
      check ((v == CR_NACK_RECOVERED) == (t.recovered == recovered + 1));
    }
    if (op & 4) {
      guint max = (op >> 3) == 0 ? G_N_ELEMENTS (due) : (op >> 3);
      guint n = cr_nack_due (&t, now, due, max);
      check (n <= max);
      check_nack (due, n);
    }
    check (t.n_missing <= CR_NACK_MAX_MISSING);
    for (guint k = 1; k < t.n_missing; k++)
      check (t.missing[k - 1].seq < t.missing[k].seq);
    for (guint k = 0; k < t.n_missing; k++)
      check (t.missing[k].seq < t.highest && t.missing[k].seq > t.highest - CR_NACK_HISTORY);
    check (t.recovered <= t.nacked);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1 || size > MAX_PACKET + 1)
    return 0;
  if (data[0] & 1)
    fuzz_rtx (data + 1, size - 1);
  else
    fuzz_tracker (data + 1, size - 1);
  return 0;
}
