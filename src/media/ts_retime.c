/* PTS, DTS and PCR of an MPEG-TS file moved in place; see ts_retime.h. */
#include "ts_retime.h"

#include <gio/gio.h>

#include "common/file_util.h"
#include "media/ts_pcr_bridge.h"

#define TS_SYNC 0x47

/* One timestamp of a packet: where it is and what kind (a video PES's PTS is also a PTS). */
typedef enum { STAMP_PTS, STAMP_PCR, STAMP_VIDEO_PTS } StampKind;

typedef void (*StampFunc) (guint8 *at, StampKind kind, gpointer data);

static gint64
stamp_read_pts (const guint8 *p)
{
  return ((gint64)(p[0] & 0x0e) << 29) | ((gint64)p[1] << 22) | ((gint64)(p[2] & 0xfe) << 14)
         | ((gint64)p[3] << 7) | ((gint64)p[4] >> 1);
}

static void
stamp_write_pts (guint8 *p, gint64 v)
{
  p[0] = (guint8)((p[0] & 0xf0) | ((v >> 29) & 0x0e) | 0x01); /* keeps the '001x' prefix */
  p[1] = (guint8)(v >> 22);
  p[2] = (guint8)(((v >> 14) & 0xfe) | 0x01);
  p[3] = (guint8)(v >> 7);
  p[4] = (guint8)(((v << 1) & 0xfe) | 0x01);
}

static void
stamp_write_pcr (guint8 *p, gint64 v)
{
  p[0] = (guint8)(v >> 25);
  p[1] = (guint8)(v >> 17);
  p[2] = (guint8)(v >> 9);
  p[3] = (guint8)(v >> 1);
  p[4] = (guint8)(((v << 7) & 0x80) | (p[4] & 0x7f));
}

/* Calls @func for each PCR and each PES PTS/DTS of @data, in order. */
static void
ts_foreach_stamp (guint8 *data, gsize len, StampFunc func, gpointer user_data)
{
  for (gsize off = 0; off + CR_TS_PACKET <= len; off += CR_TS_PACKET) {
    guint8 *p = data + off;
    if (p[0] != TS_SYNC)
      return;
    gboolean unit_start = (p[1] & 0x40) != 0;
    int control = (p[3] >> 4) & 0x3;
    gsize payload = 4;
    if (control & 0x2) { /* adaptation field */
      gsize af_len = p[4];
      if (af_len > CR_TS_PACKET - 5)
        continue;
      if (af_len >= 7 && (p[5] & 0x10))
        func (p + 6, STAMP_PCR, user_data);
      payload = 5 + af_len;
    }
    if (!(control & 0x1) || !unit_start || payload + 14 > CR_TS_PACKET)
      continue;
    guint8 *pes = p + payload;
    if (pes[0] != 0 || pes[1] != 0 || pes[2] != 1)
      continue;
    guint8 stream_id = pes[3];
    /* Streams without the optional PES header: padding, private 2, ECM, EMM, DSMCC, H.222.1 E. */
    if (stream_id == 0xbc || stream_id == 0xbe || stream_id == 0xbf || stream_id == 0xf0
        || stream_id == 0xf1 || stream_id == 0xf2 || stream_id == 0xf8 || stream_id == 0xff)
      continue;
    if ((pes[6] & 0xc0) != 0x80)
      continue;
    int flags = pes[7] >> 6;
    if (flags & 0x2)
      func (pes + 9, stream_id >= 0xe0 && stream_id <= 0xef ? STAMP_VIDEO_PTS : STAMP_PTS,
            user_data);
    if (flags == 0x3 && payload + 19 <= CR_TS_PACKET)
      func (pes + 14, STAMP_PTS, user_data); /* the DTS, same layout */
  }
}

typedef struct {
  gint64 min_pts, min_pcr, min_video_pts;
} Scan;

static void
scan_keep_min (gint64 *min, gint64 v)
{
  if (*min < 0 || v < *min)
    *min = v;
}

static void
scan_stamp (guint8 *at, StampKind kind, gpointer data)
{
  Scan *s = data;
  if (kind == STAMP_PCR) {
    scan_keep_min (&s->min_pcr, cr_ts_read_pcr (at));
    return;
  }
  gint64 v = stamp_read_pts (at);
  scan_keep_min (&s->min_pts, v);
  if (kind == STAMP_VIDEO_PTS)
    scan_keep_min (&s->min_video_pts, v);
}

static Scan
ts_scan (const guint8 *data, gsize len)
{
  Scan s = { -1, -1, -1 };
  /* Only reads: the walker's pointer is not written through. */
  ts_foreach_stamp ((guint8 *)data, len, scan_stamp, &s);
  return s;
}

void
cr_ts_scan (const guint8 *data, gsize len, gint64 *min_pts, gint64 *min_pcr)
{
  Scan s = ts_scan (data, len);
  if (min_pts != NULL)
    *min_pts = s.min_pts;
  if (min_pcr != NULL)
    *min_pcr = s.min_pcr;
}

gint64
cr_ts_scan_video_pts (const guint8 *data, gsize len)
{
  return ts_scan (data, len).min_video_pts;
}

typedef struct {
  gint64 delta;
  guint moved;
} Shift;

static void
shift_stamp (guint8 *at, StampKind kind, gpointer data)
{
  Shift *s = data;
  gint64 v = kind != STAMP_PCR ? stamp_read_pts (at) : cr_ts_read_pcr (at);
  v = ((v + s->delta) % CR_TS_WRAP + CR_TS_WRAP) % CR_TS_WRAP;
  if (kind != STAMP_PCR)
    stamp_write_pts (at, v);
  else
    stamp_write_pcr (at, v);
  s->moved++;
}

guint
cr_ts_shift (guint8 *data, gsize len, gint64 delta)
{
  Shift s = { delta % CR_TS_WRAP, 0 };
  ts_foreach_stamp (data, len, shift_stamp, &s);
  return s.moved;
}

gboolean
cr_ts_scan_file (const char *path, gint64 *min_pts, gint64 *min_pcr, gint64 *min_video_pts,
                 GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, error))
    return FALSE;
  Scan s = ts_scan ((const guint8 *)data, len);
  if (min_pts != NULL)
    *min_pts = s.min_pts;
  if (min_pcr != NULL)
    *min_pcr = s.min_pcr;
  if (min_video_pts != NULL)
    *min_video_pts = s.min_video_pts;
  return TRUE;
}

gboolean
cr_ts_shift_file (const char *path, gint64 delta, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, error))
    return FALSE;
  return cr_ts_shift ((guint8 *)data, len, delta) == 0
         || cr_file_overwrite (path, data, len, error);
}
