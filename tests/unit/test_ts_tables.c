/* PAT and PMT to the front of a TS segment (ts_tables.h): the order mpegtsmux leaves when sound
 * comes before the first picture, fixed with every other packet kept in order; what is left
 * alone (tables already first, no PMT after the PAT, a section that does not fit one packet, bytes
 * without packet sync). */
#include <string.h>

#include "media/ts_tables.h"

#define PACKET 188
#define PMT_PID 0x20
#define AUDIO_PID 0x42
#define VIDEO_PID 0x41

/* A payload packet of @pid; @tag marks its bytes so the order can be checked. */
static void
put_payload (GByteArray *ts, guint pid, guint8 tag)
{
  guint off = ts->len;
  g_byte_array_set_size (ts, off + PACKET);
  guint8 *p = ts->data + off;
  memset (p, tag, PACKET);
  p[0] = 0x47;
  p[1] = (guint8)(pid >> 8);
  p[2] = (guint8)pid;
  p[3] = 0x10;
}

/* A section packet of @pid: pointer field 0, then @section (@n bytes), stuffing after. */
static void
put_section (GByteArray *ts, guint pid, const guint8 *section, gsize n)
{
  put_payload (ts, pid, 0xff);
  guint8 *p = ts->data + ts->len - PACKET;
  p[1] |= 0x40; /* payload unit start */
  p[4] = 0;
  memcpy (p + 5, section, n);
}

/* PAT: program 1 on PMT_PID (the CRC not checked, zeros). @length: its section_length. */
static void
put_pat (GByteArray *ts, guint length)
{
  const guint8 pat[] = { 0x00, 0xb0 | (length >> 8),  length & 0xff,  0, 1, 0xc1, 0, 0, 0x00,
                         0x01, 0xe0 | (PMT_PID >> 8), PMT_PID & 0xff, 0, 0, 0,    0 };
  put_section (ts, 0, pat, sizeof pat);
}

static void
put_pmt (GByteArray *ts, guint length)
{
  const guint8 pmt[] = {
    0x02, 0xb0 | (length >> 8), length & 0xff, 0, 1, 0xc1, 0, 0, 0xe0 | 0, 0x41, 0xf0, 0, 0, 0, 0, 0
  };
  put_section (ts, PMT_PID, pmt, sizeof pmt);
}

static guint
pid_at (const GByteArray *ts, guint i)
{
  const guint8 *p = ts->data + i * PACKET;
  return ((guint)(p[1] & 0x1f) << 8) | p[2];
}

static guint8
tag_at (const GByteArray *ts, guint i)
{
  return ts->data[i * PACKET + 100];
}

/* mpegtsmux's order: sound, the tables, the first picture, more of both. */
static GByteArray *
muxer_order (void)
{
  GByteArray *ts = g_byte_array_new ();
  put_payload (ts, AUDIO_PID, 1);
  put_payload (ts, AUDIO_PID, 2);
  put_pat (ts, 13);
  put_payload (ts, AUDIO_PID, 3); /* between the two tables */
  put_pmt (ts, 13);
  put_payload (ts, VIDEO_PID, 4);
  put_payload (ts, AUDIO_PID, 5);
  return ts;
}

static void
test_moved (void)
{
  g_autoptr (GByteArray) ts = muxer_order ();
  g_autoptr (GBytes) before = g_bytes_new (ts->data, ts->len);
  g_assert_cmpuint (cr_ts_tables_first (ts->data, ts->len), ==, 2);
  const guint pids[] = { 0, PMT_PID, AUDIO_PID, AUDIO_PID, AUDIO_PID, VIDEO_PID, AUDIO_PID };
  const guint8 tags[] = { 0, 0, 1, 2, 3, 4, 5 };
  for (guint i = 0; i < G_N_ELEMENTS (pids); i++) {
    g_assert_cmpuint (pid_at (ts, i), ==, pids[i]);
    if (tags[i] != 0)
      g_assert_cmpuint (tag_at (ts, i), ==, tags[i]);
  }
  /* the tables' bytes themselves are unchanged */
  const guint8 *old = g_bytes_get_data (before, NULL);
  g_assert_cmpmem (ts->data, PACKET, old + 2 * PACKET, PACKET);
  g_assert_cmpmem (ts->data + PACKET, PACKET, old + 4 * PACKET, PACKET);
  /* a second pass finds the tables first */
  g_assert_cmpuint (cr_ts_tables_first (ts->data, ts->len), ==, 0);
}

static void
assert_untouched (GByteArray *ts)
{
  g_autoptr (GBytes) before = g_bytes_new (ts->data, ts->len);
  g_assert_cmpuint (cr_ts_tables_first (ts->data, ts->len), ==, 0);
  g_assert_cmpmem (ts->data, ts->len, g_bytes_get_data (before, NULL), g_bytes_get_size (before));
}

static void
test_left_alone (void)
{
  /* tables already first */
  g_autoptr (GByteArray) first = g_byte_array_new ();
  put_pat (first, 13);
  put_pmt (first, 13);
  put_payload (first, AUDIO_PID, 1);
  assert_untouched (first);
  /* no PMT after the PAT */
  g_autoptr (GByteArray) no_pmt = g_byte_array_new ();
  put_payload (no_pmt, AUDIO_PID, 1);
  put_pat (no_pmt, 13);
  put_payload (no_pmt, VIDEO_PID, 2);
  assert_untouched (no_pmt);
  /* a PAT section longer than its packet */
  g_autoptr (GByteArray) long_pat = muxer_order ();
  long_pat->data[2 * PACKET + 6] |= 0x0f; /* section_length 0xfff */
  long_pat->data[2 * PACKET + 7] = 0xff;
  assert_untouched (long_pat);
  /* a PMT section longer than its packet */
  g_autoptr (GByteArray) long_pmt = g_byte_array_new ();
  put_payload (long_pmt, AUDIO_PID, 1);
  put_pat (long_pmt, 13);
  put_pmt (long_pmt, 0x3ff);
  assert_untouched (long_pmt);
  /* no packet sync */
  g_autoptr (GByteArray) garbage = muxer_order ();
  garbage->data[0] = 0x00;
  assert_untouched (garbage);
  /* nothing, and less than a packet */
  g_assert_cmpuint (cr_ts_tables_first (NULL, 0), ==, 0);
  guint8 short_bytes[100] = { 0x47 };
  g_assert_cmpuint (cr_ts_tables_first (short_bytes, sizeof short_bytes), ==, 0);
}

/* A trailing partial packet stays where it is. */
static void
test_partial_tail (void)
{
  g_autoptr (GByteArray) ts = muxer_order ();
  guint8 tail[50];
  memset (tail, 0x5a, sizeof tail);
  g_byte_array_append (ts, tail, sizeof tail);
  g_assert_cmpuint (cr_ts_tables_first (ts->data, ts->len), ==, 2);
  g_assert_cmpuint (pid_at (ts, 0), ==, 0);
  g_assert_cmpmem (ts->data + ts->len - sizeof tail, sizeof tail, tail, sizeof tail);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ts_tables/moved", test_moved);
  g_test_add_func ("/ts_tables/left-alone", test_left_alone);
  g_test_add_func ("/ts_tables/partial-tail", test_partial_tail);
  return g_test_run ();
}
