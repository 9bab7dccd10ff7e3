/* One elementary stream into MPEG-TS packets; see ts_mux.h. */
#include "ts_mux.h"

#include "ts_pcr_bridge.h"

#include <string.h>

#define TS_PACKET 188
#define TS_PAYLOAD 184
#define TS_WRAP_MASK ((G_GINT64_CONSTANT (1) << 33) - 1)
#define PROGRAM_NUMBER 1

enum { CC_PAT, CC_PMT, CC_ES };

void
cr_ts_mux_init (CrTsMux *m, CrTsMuxKind kind)
{
  memset (m, 0, sizeof *m);
  m->kind = kind;
  m->tables_due = TRUE;
  m->last_dts = -1;
}

void
cr_ts_mux_restart (CrTsMux *m)
{
  memset (m->cc, 0, sizeof m->cc);
  m->tables_due = TRUE;
}

guint32
cr_ts_mux_crc32 (const guint8 *data, gsize len)
{
  guint32 crc = 0xffffffff;
  for (gsize i = 0; i < len; i++) {
    crc ^= (guint32)data[i] << 24;
    for (int b = 0; b < 8; b++)
      crc = (crc & 0x80000000) ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc;
}

static guint8 *
ts_packet_begin (GByteArray *out, guint16 pid, gboolean unit_start, gboolean adaptation, guint8 *cc)
{
  guint off = out->len;
  g_byte_array_set_size (out, off + TS_PACKET);
  guint8 *p = out->data + off;
  p[0] = 0x47;
  p[1] = (guint8)((unit_start ? 0x40 : 0) | ((pid >> 8) & 0x1f));
  p[2] = (guint8)(pid & 0xff);
  p[3] = (guint8)((adaptation ? 0x30 : 0x10) | (*cc & 0x0f));
  *cc = (*cc + 1) & 0x0f;
  return p;
}

/* A PSI section (without its CRC, which is added) in one packet, the rest 0xff. */
static void
ts_put_section (GByteArray *out, guint16 pid, guint8 *cc, guint8 *section, gsize len)
{
  guint32 crc = cr_ts_mux_crc32 (section, len);
  guint8 *p = ts_packet_begin (out, pid, TRUE, FALSE, cc);
  p[4] = 0; /* pointer field */
  memcpy (p + 5, section, len);
  p[5 + len] = (guint8)(crc >> 24);
  p[6 + len] = (guint8)(crc >> 16);
  p[7 + len] = (guint8)(crc >> 8);
  p[8 + len] = (guint8)crc;
  memset (p + 9 + len, 0xff, TS_PACKET - 9 - len);
}

static void
ts_put_tables (CrTsMux *m, GByteArray *out)
{
  guint8 pat[] = {
    0x00,
    0xb0,
    13,
    0x00,
    0x01,
    0xc1,
    0x00,
    0x00, /* table 0, length 13, stream id 1, v0 */
    0x00,
    PROGRAM_NUMBER,
    0xe0 | (CR_TS_MUX_PMT_PID >> 8),
    CR_TS_MUX_PMT_PID & 0xff,
  };
  ts_put_section (out, 0, &m->cc[CC_PAT], pat, sizeof pat);
  guint8 type = m->kind == CR_TS_MUX_H264 ? 0x1b : 0x0f;
  guint8 pmt[] = {
    0x02,
    0xb0,
    18,
    0x00,
    PROGRAM_NUMBER,
    0xc1,
    0x00,
    0x00, /* table 2, length 18, v0 */
    0xe0 | (CR_TS_MUX_ES_PID >> 8),
    CR_TS_MUX_ES_PID & 0xff, /* PCR PID: the stream's */
    0xf0,
    0x00, /* no program descriptors */
    type,
    0xe0 | (CR_TS_MUX_ES_PID >> 8),
    CR_TS_MUX_ES_PID & 0xff,
    0xf0,
    0x00,
  };
  ts_put_section (out, CR_TS_MUX_PMT_PID, &m->cc[CC_PMT], pmt, sizeof pmt);
}

void
cr_ts_mux_bridge (CrTsMux *m, GByteArray *out, gint64 dts)
{
  if (m->last_dts < 0 || m->tables_due) /* no frame yet, or a file not begun */
    return;
  gint64 gap = (dts - m->last_dts) & TS_WRAP_MASK;
  if (gap <= CR_TS_PCR_EVERY || gap > TS_WRAP_MASK / 2) /* none, or going back */
    return;
  cr_ts_put_clock_bridge (out, CR_TS_MUX_ES_PID, (guint)(m->cc[CC_ES] - 1),
                          m->last_dts - CR_TS_MUX_PCR_LEAD, gap, CR_TS_BRIDGE_MAX_FILE);
}

static void
ts_put_stamp (guint8 *p, guint8 prefix, gint64 v)
{
  p[0] = (guint8)((prefix << 4) | ((v >> 29) & 0x0e) | 0x01);
  p[1] = (guint8)(v >> 22);
  p[2] = (guint8)(((v >> 14) & 0xfe) | 0x01);
  p[3] = (guint8)(v >> 7);
  p[4] = (guint8)(((v << 1) & 0xfe) | 0x01);
}

static gboolean
h264_starts_with_aud (const guint8 *data, gsize len)
{
  gsize at = len >= 4 && data[0] == 0 && data[1] == 0 && data[2] == 0 && data[3] == 1 ? 4
             : len >= 3 && data[0] == 0 && data[1] == 0 && data[2] == 1               ? 3
                                                                                      : 0;
  return at > 0 && at < len && (data[at] & 0x1f) == 9;
}

/* Copies @n bytes from offset @from of the two pieces @a and @b taken as one. */
static void
copy_span (guint8 *to, const guint8 *a, gsize a_len, const guint8 *b, gsize from, gsize n)
{
  if (from < a_len) {
    gsize k = MIN (n, a_len - from);
    memcpy (to, a + from, k);
    to += k;
    n -= k;
    from = a_len;
  }
  if (n > 0)
    memcpy (to, b + (from - a_len), n);
}

void
cr_ts_mux_frame (CrTsMux *m, GByteArray *out, const guint8 *data, gsize len, gint64 pts, gint64 dts,
                 gboolean random_access)
{
  if (m->tables_due) {
    ts_put_tables (m, out);
    m->tables_due = FALSE;
  }
  gboolean video = m->kind == CR_TS_MUX_H264;
  pts &= TS_WRAP_MASK;
  dts = dts < 0 ? pts : dts & TS_WRAP_MASK;
  /* The PES header, and for H.264 an access unit delimiter when the unit has none. */
  static const guint8 aud[] = { 0x00, 0x00, 0x00, 0x01, 0x09, 0xf0 };
  guint8 head[19 + sizeof aud + 2];
  gsize head_len = dts != pts ? 19 : 14;
  head[0] = 0x00;
  head[1] = 0x00;
  head[2] = 0x01;
  head[3] = video ? 0xe0 : 0xc0;
  head[6] = 0x84; /* '10', data aligned */
  head[7] = dts != pts ? 0xc0 : 0x80;
  head[8] = (guint8)(head_len - 9);
  ts_put_stamp (head + 9, dts != pts ? 0x3 : 0x2, pts);
  if (dts != pts)
    ts_put_stamp (head + 14, 0x1, dts);
  if (video && !h264_starts_with_aud (data, len)) {
    memcpy (head + head_len, aud, sizeof aud);
    head_len += sizeof aud;
  }
  /* ADTS says MPEG-4 (ID 0), as mpegtsmux's headers did: voaacenc writes MPEG-2's ID, and
   * tsdemux + aacparse then announce mpegversion 2, which mp4mux refuses (the MP4 of a task
   * failed). The frame is the same AAC-LC either way. */
  if (!video && len >= 2 && data[0] == 0xff && (data[1] & 0xf0) == 0xf0) {
    head[head_len++] = data[0];
    head[head_len++] = data[1] & ~0x08;
    data += 2;
    len -= 2;
  }
  gsize pes_len = head_len - 6 + len;
  gsize length_field = video || pes_len > 0xffff ? 0 : pes_len; /* 0: unbounded (video) */
  head[4] = (guint8)(length_field >> 8);
  head[5] = (guint8)length_field;

  gint64 pcr = (dts - CR_TS_MUX_PCR_LEAD) & TS_WRAP_MASK;
  m->last_dts = dts;
  gsize total = head_len + len;
  for (gsize pos = 0; pos < total;) {
    gboolean first = pos == 0;
    gsize af_body = first ? 1 + 6 : 0; /* flags and the PCR */
    gsize space = TS_PAYLOAD - (af_body > 0 ? 1 + af_body : 0);
    gsize left = total - pos;
    gsize stuffing = left < space ? space - left : 0;
    gsize af_len = af_body; /* the adaptation field after its length byte */
    if (stuffing > 0)
      af_len = af_body > 0 ? af_body + stuffing : stuffing - 1;
    gboolean adaptation = af_body > 0 || stuffing > 0;
    guint8 *p = ts_packet_begin (out, CR_TS_MUX_ES_PID, first, adaptation, &m->cc[CC_ES]);
    gsize at = 4;
    if (adaptation) {
      p[at++] = (guint8)af_len;
      if (af_len > 0) {
        guint8 *flags = p + at++;
        *flags = 0;
        if (first) {
          *flags = (guint8)((random_access ? 0x40 : 0) | 0x10);
          cr_ts_put_pcr (p + at, pcr);
          at += 6;
        }
        gsize fill = 1 + af_len - (at - 4);
        memset (p + at, 0xff, fill);
        at += fill;
      }
    }
    gsize n = TS_PACKET - at;
    copy_span (p + at, head, head_len, data, pos, n);
    pos += n;
  }
}
