/* Video-generation mode's pure pieces: the SEI syncTime reader and writer (src/media/sei_sync.c)
 * and the replay link's token (src/tiw/class_video_token.c). */
#include <string.h>

#include "media/sei_sync.h"
#include "tiw/class_video_token.h"

/* An SEI NAL (with start code) from raw RBSP bytes, escaped. */
static GByteArray *
sei_nal (const guint8 *rbsp, gsize n)
{
  GByteArray *out = g_byte_array_new ();
  static const guint8 head[5] = { 0, 0, 0, 1, 6 };
  g_byte_array_append (out, head, 5);
  int zeros = 0;
  for (gsize i = 0; i < n; i++) {
    if (zeros >= 2 && rbsp[i] <= 3) {
      guint8 three = 3;
      g_byte_array_append (out, &three, 1);
      zeros = 0;
    }
    zeros = rbsp[i] == 0 ? zeros + 1 : 0;
    g_byte_array_append (out, rbsp + i, 1);
  }
  return out;
}

static const guint8 slice[] = { 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33 };
static const guint8 sps[] = { 0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e };

static void
test_sei_roundtrip (void)
{
  g_autoptr (GBytes) nal = cr_sei_build_sync_time (1600152855000);
  gsize n;
  const guint8 *d = g_bytes_get_data (nal, &n);
  g_assert_cmpuint (d[4], ==, 6);
  g_assert_cmpuint (d[5], ==, 5); /* user_data_unregistered */
  g_assert_cmpmem (d + 7, 16, CR_SEI_SYNC_UUID, 16);
  gint64 t = 0;
  g_assert_true (cr_sei_find_sync_time (d, n, &t));
  g_assert_cmpint (t, ==, 1600152855000);
  /* inside an access unit: SPS, SEI, slice */
  g_autoptr (GByteArray) au = g_byte_array_new ();
  g_byte_array_append (au, sps, sizeof sps);
  g_byte_array_append (au, d, (guint)n);
  g_byte_array_append (au, slice, sizeof slice);
  t = 0;
  g_assert_true (cr_sei_find_sync_time (au->data, au->len, &t));
  g_assert_cmpint (t, ==, 1600152855000);
  /* where the writer puts it: before the first slice, after the SPS */
  g_autoptr (GByteArray) plain = g_byte_array_new ();
  g_byte_array_append (plain, sps, sizeof sps);
  g_byte_array_append (plain, slice, sizeof slice);
  g_assert_cmpuint (cr_sei_insert_offset (plain->data, plain->len), ==, sizeof sps);
  g_assert_cmpuint (cr_sei_insert_offset (sps, sizeof sps), ==, sizeof sps);
  g_assert_false (cr_sei_find_sync_time (plain->data, plain->len, &t));
}

static void
test_sei_type_242 (void)
{
  const char *json = "{\"syncTime\": 1234567}";
  g_autoptr (GByteArray) rbsp = g_byte_array_new ();
  guint8 b = 242;
  g_byte_array_append (rbsp, &b, 1);
  b = (guint8)strlen (json);
  g_byte_array_append (rbsp, &b, 1);
  g_byte_array_append (rbsp, (const guint8 *)json, (guint)strlen (json));
  b = 0x80;
  g_byte_array_append (rbsp, &b, 1);
  g_autoptr (GByteArray) nal = sei_nal (rbsp->data, rbsp->len);
  gint64 t = 0;
  g_assert_true (cr_sei_find_sync_time (nal->data, nal->len, &t));
  g_assert_cmpint (t, ==, 1234567);
}

/* Payload bytes that need emulation prevention (a UUID of zeros), and a first SEI message of
 * another type (recovery point) before ours. */
static void
test_sei_escaped (void)
{
  const char *json = "{\"syncTime\":42}";
  g_autoptr (GByteArray) rbsp = g_byte_array_new ();
  static const guint8 recovery[] = { 6, 1, 0x84 };
  g_byte_array_append (rbsp, recovery, sizeof recovery);
  guint8 b = 5;
  g_byte_array_append (rbsp, &b, 1);
  b = (guint8)(16 + strlen (json));
  g_byte_array_append (rbsp, &b, 1);
  static const guint8 zeros[16] = { 0 };
  g_byte_array_append (rbsp, zeros, 16);
  g_byte_array_append (rbsp, (const guint8 *)json, (guint)strlen (json));
  b = 0x80;
  g_byte_array_append (rbsp, &b, 1);
  g_autoptr (GByteArray) nal = sei_nal (rbsp->data, rbsp->len);
  g_assert_cmpuint (nal->len, >, rbsp->len + 5); /* escaping happened */
  gint64 t = 0;
  g_assert_true (cr_sei_find_sync_time (nal->data, nal->len, &t));
  g_assert_cmpint (t, ==, 42);
  /* the writer escapes too: a board time whose JSON is short, read back through the escapes */
  g_autoptr (GBytes) built = cr_sei_build_sync_time (0);
  gsize n;
  const guint8 *d = g_bytes_get_data (built, &n);
  g_assert_true (cr_sei_find_sync_time (d, n, &t));
  g_assert_cmpint (t, ==, 0);
}

static void
test_sei_garbage (void)
{
  gint64 t = 99;
  static const guint8 empty[] = { 0 };
  g_assert_false (cr_sei_find_sync_time (empty, 0, &t));
  g_assert_false (cr_sei_find_sync_time (slice, sizeof slice, &t));
  /* a size past the end */
  static const guint8 cut[] = { 5, 200, 1, 2, 3 };
  g_autoptr (GByteArray) a = sei_nal (cut, sizeof cut);
  g_assert_false (cr_sei_find_sync_time (a->data, a->len, &t));
  /* type 5 without the JSON, other JSON, a negative and a non-number */
  const char *bad[]
      = { "",           "{\"other\":1}",       "{\"syncTime\":-5}", "{\"syncTime\":\"x\"}",
          "syncTime:5", "{\"syncTime\":12abc}" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GByteArray) rbsp = g_byte_array_new ();
    guint8 b = 242;
    g_byte_array_append (rbsp, &b, 1);
    b = (guint8)strlen (bad[i]);
    g_byte_array_append (rbsp, &b, 1);
    g_byte_array_append (rbsp, (const guint8 *)bad[i], (guint)strlen (bad[i]));
    b = 0x80;
    g_byte_array_append (rbsp, &b, 1);
    g_autoptr (GByteArray) nal = sei_nal (rbsp->data, rbsp->len);
    g_assert_false (cr_sei_find_sync_time (nal->data, nal->len, &t));
  }
  /* random bytes never crash and rarely match */
  GRand *rand = g_rand_new_with_seed (7);
  for (int k = 0; k < 2000; k++) {
    guint8 buf[64];
    for (guint i = 0; i < sizeof buf; i++)
      buf[i] = (guint8)g_rand_int_range (rand, 0, 8);
    cr_sei_find_sync_time (buf, sizeof buf, &t);
    cr_sei_insert_offset (buf, sizeof buf);
  }
  g_rand_free (rand);
  g_assert_cmpint (t, ==, 99);
}

static void
test_token (void)
{
  g_autofree char *tok = cr_class_replay_token ("key1", 1400000001, "task-a", 2000000000);
  g_assert_true (g_str_has_prefix (tok, "2000000000."));
  g_assert_true (cr_class_replay_token_check ("key1", 1400000001, "task-a", tok, 1999999999, NULL));
  g_autoptr (GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL, e6 = NULL;
  g_assert_false (cr_class_replay_token_check ("key1", 1400000001, "task-a", tok, 2000000001, &e1));
  g_assert_nonnull (strstr (e1->message, "expired"));
  g_assert_false (cr_class_replay_token_check ("key2", 1400000001, "task-a", tok, 0, &e2));
  g_assert_false (cr_class_replay_token_check ("key1", 1400000002, "task-a", tok, 0, &e3));
  g_assert_false (cr_class_replay_token_check ("key1", 1400000001, "task-b", tok, 0, &e4));
  /* the expiry cannot be moved */
  g_autofree char *moved = g_strdup_printf ("2100000000%s", strchr (tok, '.'));
  g_assert_false (cr_class_replay_token_check ("key1", 1400000001, "task-a", moved, 0, &e5));
  g_assert_false (cr_class_replay_token_check ("key1", 1400000001, "task-a", "junk", 0, &e6));
  g_assert_false (cr_class_replay_token_check ("key1", 1400000001, "task-a", NULL, 0, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sei/roundtrip", test_sei_roundtrip);
  g_test_add_func ("/sei/type242", test_sei_type_242);
  g_test_add_func ("/sei/escaped", test_sei_escaped);
  g_test_add_func ("/sei/garbage", test_sei_garbage);
  g_test_add_func ("/class_video/token", test_token);
  return g_test_run ();
}
