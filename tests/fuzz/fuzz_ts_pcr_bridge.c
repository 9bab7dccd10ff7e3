/* Fuzzes the PCR bridge the MP4 remux, compose and merge read every recorded TS through (a
 * damaged or hostile segment file reaches it): any bytes, cut into chunks of sizes the input picks
 * (its first byte), must come out the same as in one piece, and as the input with nothing but
 * whole clock-only packets inserted, no byte lost, changed or reordered. */
#include <stdint.h>
#include <string.h>

#include "media/ts_pcr_bridge.h"

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

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  size_t chunk = 1 + data[0] * 3;
  data++;
  size--;
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
