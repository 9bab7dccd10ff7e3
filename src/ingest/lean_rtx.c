/* RTX unwrapping; see lean_rtx.h. */
#include "lean_rtx.h"

#include <string.h>

#include "ingest/forward.h"

gboolean
cr_rtx_restore (guint8 *buf, gsize *len, guint8 apt, guint32 media_ssrc)
{
  gsize off, plen;
  if (!cr_rtp_payload_range (buf, *len, &off, &plen) || plen < 2)
    return FALSE;
  guint8 osn_hi = buf[off], osn_lo = buf[off + 1];
  memmove (buf + off, buf + off + 2, plen - 2);
  *len = off + plen - 2;
  buf[0] &= (guint8)~0x20; /* the padding was the RTX packet's */
  buf[1] = (guint8)((buf[1] & 0x80) | (apt & 0x7f));
  buf[2] = osn_hi;
  buf[3] = osn_lo;
  buf[8] = (guint8)(media_ssrc >> 24);
  buf[9] = (guint8)(media_ssrc >> 16);
  buf[10] = (guint8)(media_ssrc >> 8);
  buf[11] = (guint8)media_ssrc;
  return TRUE;
}
