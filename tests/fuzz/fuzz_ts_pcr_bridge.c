/* Fuzzes the PCR bridge the MP4 remux, compose and merge read every recorded TS through (a
 * damaged or hostile segment file reaches it): any bytes, cut into chunks of sizes the input picks
 * (its first byte), must come out the same as in one piece, and as the input with nothing but
 * whole clock-only packets inserted, no byte lost, changed or reordered. The same bytes go through
 * the HLS writer's tables-first rewrite (ts_tables.h): the same length, and either unchanged or
 * the input with two of its packets moved to the front, a PAT first. */
#include <stdint.h>
#include <string.h>

#include "media/ts_pcr_bridge.h"
#include "media/ts_tables.h"

#define PACKET 188

static void
check (gboolean ok)
{
  if (!ok)
    __builtin_trap ();
}

static GByteArray *
bridge (const uint8_t *data, size_t size, size_t chunk)
{
  CrPcrBridge *b = cr_pcr_bridge_new ();
  GByteArray *out = g_byte_array_new ();
  for (size_t at = 0; at < size; at += chunk)
    cr_pcr_bridge_push (b, out, data + at, MIN (chunk, size - at));
  cr_pcr_bridge_finish (b, out);
  cr_pcr_bridge_free (b);
  return out;
}

static gboolean
is_clock_packet (const guint8 *p)
{
  if (p[0] != 0x47 || (p[3] & 0x30) != 0x20 || p[4] != PACKET - 5 || p[5] != 0x10)
    return FALSE;
  for (int i = 12; i < PACKET; i++)
    if (p[i] != 0xff)
      return FALSE;
  return TRUE;
}

static void
check_tables_first (const uint8_t *data, size_t size)
{
  guint8 *out = g_memdup2 (data, size);
  guint moved = cr_ts_tables_first (out, size);
  check (moved == 0 || moved == 2);
  if (moved == 0) {
    check (size == 0 || memcmp (out, data, size) == 0);
  } else {
    check (size >= 3 * PACKET && (out[1] & 0x1f) == 0 && out[2] == 0); /* a PAT first */
    /* the input without the two moved packets (their first copies) is what follows them */
    size_t in = 0, at = 2 * PACKET;
    gboolean skipped[2] = { FALSE, FALSE };
    for (; in + PACKET <= size; in += PACKET) {
      gboolean skip = FALSE;
      for (int k = 0; k < 2 && !skip; k++)
        if (!skipped[k] && memcmp (data + in, out + k * PACKET, PACKET) == 0)
          skip = skipped[k] = TRUE;
      if (skip)
        continue;
      check (memcmp (data + in, out + at, PACKET) == 0);
      at += PACKET;
    }
    check (skipped[0] && skipped[1] && at == in);
    check (memcmp (data + in, out + at, size - in) == 0);
  }
  g_free (out);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  size_t chunk = 1 + data[0] * 3;
  data++;
  size--;
  check_tables_first (data, size);
  GByteArray *whole = bridge (data, size, size > 0 ? size : 1);
  GByteArray *cut = bridge (data, size, chunk);
  check (whole->len == cut->len && memcmp (whole->data, cut->data, whole->len) == 0);
  check (whole->len >= size && (whole->len - size) % PACKET == 0);
  /* the input, with whole clock-only packets between its packets */
  size_t in = 0, out = 0;
  while (out < whole->len) {
    if (whole->len - out >= PACKET && size - in >= PACKET
        && memcmp (whole->data + out, data + in, PACKET) == 0) {
      in += PACKET;
      out += PACKET;
    } else if (whole->len - out >= PACKET && whole->len - out > size - in) {
      check (in % PACKET == 0 && is_clock_packet (whole->data + out));
      out += PACKET;
    } else {
      check (whole->len - out == size - in
             && memcmp (whole->data + out, data + in, size - in) == 0);
      break;
    }
  }
  g_byte_array_free (whole, TRUE);
  g_byte_array_free (cut, TRUE);
  return 0;
}
