/* PCR-only packets through a pause of an MPEG-TS stream; see ts_pcr_bridge.h. */
#include "ts_pcr_bridge.h"

#include <string.h>

#define TS_PACKET 188
#define TS_SYNC 0x47
#define TS_WRAP_MASK ((G_GINT64_CONSTANT (1) << 33) - 1)
#define MAX_PIDS 4 /* PIDs whose PCR is followed (a recording's TS has one) */

void
cr_ts_put_pcr (guint8 *p, gint64 pcr)
{
  p[0] = (guint8)(pcr >> 25);
  p[1] = (guint8)(pcr >> 17);
  p[2] = (guint8)(pcr >> 9);
  p[3] = (guint8)(pcr >> 1);
  p[4] = (guint8)(((pcr & 1) << 7) | 0x7e);
  p[5] = 0x00;
}

void
cr_ts_put_clock_bridge (GByteArray *out, guint pid, guint cc, gint64 from, gint64 gap,
                        guint max_packets)
{
  gint64 step = MAX (CR_TS_PCR_EVERY, gap / MAX (max_packets, 1));
  for (gint64 at = step; at < gap; at += step) {
    guint off = out->len;
    g_byte_array_set_size (out, off + TS_PACKET);
    guint8 *p = out->data + off;
    p[0] = TS_SYNC;
    p[1] = (guint8)((pid >> 8) & 0x1f);
    p[2] = (guint8)(pid & 0xff);
    p[3] = (guint8)(0x20 | (cc & 0x0f)); /* adaptation field only */
    p[4] = TS_PACKET - 5;                /* which fills the packet */
    p[5] = 0x10;                         /* a PCR */
    cr_ts_put_pcr (p + 6, (from + at) & TS_WRAP_MASK);
    memset (p + 12, 0xff, TS_PACKET - 12);
  }
}

typedef struct {
  guint pid;
  gint64 pcr; /* the last one, -1 before the first */
  guint cc;   /* the PID's last continuity counter */
} PidClock;

struct _CrPcrBridge {
  guint8 carry[TS_PACKET];
  guint carried;
  gboolean lost_sync;
  PidClock clocks[MAX_PIDS];
  guint n_clocks;
};

CrPcrBridge *
cr_pcr_bridge_new (void)
{
  return g_new0 (CrPcrBridge, 1);
}

void
cr_pcr_bridge_free (CrPcrBridge *b)
{
  g_free (b);
}

static PidClock *
bridge_clock (CrPcrBridge *b, guint pid, gboolean add)
{
  for (guint i = 0; i < b->n_clocks; i++)
    if (b->clocks[i].pid == pid)
      return &b->clocks[i];
  if (!add || b->n_clocks == MAX_PIDS)
    return NULL;
  b->clocks[b->n_clocks] = (PidClock){ .pid = pid, .pcr = -1 };
  return &b->clocks[b->n_clocks++];
}

gint64
cr_ts_read_pcr (const guint8 *p)
{
  return ((gint64)p[0] << 25) | ((gint64)p[1] << 17) | ((gint64)p[2] << 9) | ((gint64)p[3] << 1)
         | (p[4] >> 7);
}

/* One whole packet @p onto @out, after the bridge it needs. */
static void
bridge_packet (CrPcrBridge *b, GByteArray *out, const guint8 *p)
{
  guint pid = ((guint)(p[1] & 0x1f) << 8) | p[2];
  gboolean adaptation = (p[3] & 0x20) != 0, payload = (p[3] & 0x10) != 0;
  gboolean has_pcr = adaptation && p[4] >= 7 && (p[5] & 0x10) != 0;
  PidClock *c = bridge_clock (b, pid, has_pcr);
  if (c != NULL && has_pcr) {
    gint64 pcr = cr_ts_read_pcr (p + 6);
    gboolean discontinuity = (p[5] & 0x80) != 0;
    if (c->pcr >= 0 && !discontinuity) {
      gint64 gap = (pcr - c->pcr) & TS_WRAP_MASK;
      if (gap > CR_TS_PCR_EVERY && gap <= TS_WRAP_MASK / 2) /* a pause, not going back */
        cr_ts_put_clock_bridge (out, pid, c->cc, c->pcr, gap, CR_TS_BRIDGE_MAX_READ);
    }
    c->pcr = pcr;
  }
  if (c != NULL)
    c->cc = payload ? (p[3] & 0x0f) : c->cc;
  g_byte_array_append (out, p, TS_PACKET);
}

void
cr_pcr_bridge_push (CrPcrBridge *b, GByteArray *out, const guint8 *data, gsize len)
{
  if (b->lost_sync) {
    g_byte_array_append (out, data, (guint)len);
    return;
  }
  if (b->carried > 0) {
    gsize take = MIN (len, (gsize)(TS_PACKET - b->carried));
    memcpy (b->carry + b->carried, data, take);
    b->carried += (guint)take;
    data += take;
    len -= take;
    if (b->carried < TS_PACKET)
      return;
    b->carried = 0;
    if (b->carry[0] != TS_SYNC) {
      b->lost_sync = TRUE;
      g_byte_array_append (out, b->carry, TS_PACKET);
      g_byte_array_append (out, data, (guint)len);
      return;
    }
    bridge_packet (b, out, b->carry);
  }
  while (len >= TS_PACKET) {
    if (data[0] != TS_SYNC) {
      b->lost_sync = TRUE;
      g_byte_array_append (out, data, (guint)len);
      return;
    }
    bridge_packet (b, out, data);
    data += TS_PACKET;
    len -= TS_PACKET;
  }
  memcpy (b->carry, data, len);
  b->carried = (guint)len;
}

void
cr_pcr_bridge_finish (CrPcrBridge *b, GByteArray *out)
{
  g_byte_array_append (out, b->carry, b->carried);
  b->carried = 0;
}
