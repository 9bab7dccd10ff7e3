/* PAT and PMT moved to the front of an MPEG-TS segment; see ts_tables.h. */
#include "ts_tables.h"

#include <string.h>

#include "media/ts_retime.h"

#define TS_SYNC 0x47
#define PAT_PID 0x0000
#define NULL_PID 0x1fff

static guint
packet_pid (const guint8 *p)
{
  return ((guint)(p[1] & 0x1f) << 8) | p[2];
}

/* The payload of the packet @p that starts a section (after its pointer field), or NULL. */
static const guint8 *
section_start (const guint8 *p, gsize *left)
{
  if (!(p[1] & 0x40))
    return NULL;
  int control = (p[3] >> 4) & 0x3;
  gsize at = 4;
  if (control & 0x2)
    at += 1 + (gsize)p[4];
  if (!(control & 0x1) || at >= CR_TS_PACKET)
    return NULL;
  at += 1 + (gsize)p[at]; /* the pointer field */
  if (at >= CR_TS_PACKET)
    return NULL;
  *left = CR_TS_PACKET - at;
  return p + at;
}

/* The PMT's PID named by the PAT in packet @p (the first program; the network PID skipped), or
 * -1 when the packet holds no whole PAT section. */
static int
pat_pmt_pid (const guint8 *p)
{
  gsize left = 0;
  const guint8 *s = section_start (p, &left);
  if (s == NULL || left < 8 || s[0] != 0x00)
    return -1;
  gsize length = ((gsize)(s[1] & 0x0f) << 8) | s[2];
  if (length < 9 || 3 + length > left)
    return -1;
  /* programs from byte 8 to the CRC (4 bytes) */
  for (gsize at = 8; at + 4 <= 3 + length - 4; at += 4) {
    guint program = ((guint)s[at] << 8) | s[at + 1];
    if (program != 0)
      return (int)(((guint)(s[at + 2] & 0x1f) << 8) | s[at + 3]);
  }
  return -1;
}

guint
cr_ts_tables_first (guint8 *data, gsize len)
{
  gsize n = len / CR_TS_PACKET, pat = n, pmt = n;
  int pmt_pid = -1;
  for (gsize i = 0; i < n; i++) {
    const guint8 *p = data + i * CR_TS_PACKET;
    if (p[0] != TS_SYNC)
      return 0;
    guint pid = packet_pid (p);
    if (pat == n) {
      if (pid != PAT_PID)
        continue;
      if (i == 0 || (pmt_pid = pat_pmt_pid (p)) < 0 || pmt_pid == PAT_PID || pmt_pid == NULL_PID)
        return 0;
      pat = i;
    } else if (pid == (guint)pmt_pid) {
      gsize left = 0;
      const guint8 *s = section_start (p, &left);
      if (s == NULL || left < 3 || s[0] != 0x02 || 3 + (((gsize)(s[1] & 0x0f) << 8) | s[2]) > left)
        return 0; /* not a PMT that fits one packet */
      pmt = i;
      break;
    }
  }
  if (pmt == n)
    return 0;
  /* [0, pat) and (pat, pmt) move two packets on; the PAT and the PMT go first. */
  guint8 tables[2 * CR_TS_PACKET];
  memcpy (tables, data + pat * CR_TS_PACKET, CR_TS_PACKET);
  memcpy (tables + CR_TS_PACKET, data + pmt * CR_TS_PACKET, CR_TS_PACKET);
  memmove (data + (pat + 2) * CR_TS_PACKET, data + (pat + 1) * CR_TS_PACKET,
           (pmt - pat - 1) * CR_TS_PACKET);
  memmove (data + 2 * CR_TS_PACKET, data, pat * CR_TS_PACKET);
  memcpy (data, tables, sizeof tables);
  return 2;
}
