/* PrivateMapKey: the reference §9.4 vector parses field by field; every mismatch is refused with a
 * message naming it; truncated and padded records are malformed, never over-read. */
#include "auth/private_map_key.h"

/* genPrivateMapKey("recorder_8888", 300, 8888, 255) at t = 1700000000 (reference §9.4). */
static const guint8 VECTOR[]
    = { 0x00, 0x00, 0x0d, 'r',  'e',  'c',  'o',  'r',  'd',  'e',  'r',  '_',
        '8',  '8',  '8',  '8',  0x53, 0x72, 0x4e, 0x01, 0x00, 0x00, 0x22, 0xb8,
        0x65, 0x53, 0xf2, 0x2c, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00 };

static CrPrivateMapKey *
parse (const guint8 *data, gsize len, GError **error)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, len);
  return cr_private_map_key_parse (bytes, error);
}

static void
test_vector_parses (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrPrivateMapKey) pmk = parse (VECTOR, sizeof VECTOR, &error);
  g_assert_no_error (error);
  g_assert_false (pmk->string_room);
  g_assert_cmpstr (pmk->account, ==, "recorder_8888");
  g_assert_cmpuint (pmk->sdk_app_id, ==, 1400000001);
  g_assert_cmpuint (pmk->room_num, ==, 8888);
  g_assert_cmpuint (pmk->abs_expire, ==, 1700000300);
  g_assert_cmpuint (pmk->privileges, ==, 255);
  g_assert_true (cr_private_map_key_check (pmk, 1400000001, "recorder_8888", "8888", FALSE,
                                           CR_PMK_ENTER_ROOM, 1700000000, &error));
  g_assert_no_error (error);
}

static void
expect_refused (const CrPrivateMapKey *pmk, guint64 app, const char *user, const char *room,
                gboolean string_room, guint32 need, gint64 now, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_assert_false (cr_private_map_key_check (pmk, app, user, room, string_room, need, now, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, needle));
}

static void
test_mismatches_refused (void)
{
  g_autoptr (CrPrivateMapKey) pmk = parse (VECTOR, sizeof VECTOR, NULL);
  const gint64 now = 1700000000;
  expect_refused (pmk, 1400000002, "recorder_8888", "8888", FALSE, 2, now, "SdkAppId 1400000001");
  expect_refused (pmk, 1400000001, "someone", "8888", FALSE, 2, now, "recorder_8888");
  expect_refused (pmk, 1400000001, "recorder_8888", "8889", FALSE, 2, now, "opens room 8888");
  expect_refused (pmk, 1400000001, "recorder_8888", "8888", TRUE, 2, now, "not string room");
  expect_refused (pmk, 1400000001, "recorder_8888", "4294976184", FALSE, 2, now, "opens room");
  expect_refused (pmk, 1400000001, "recorder_8888", "8888", FALSE, 2, now + 301, "expired");
  pmk->privileges = CR_PMK_RECV_AUDIO | CR_PMK_RECV_VIDEO;
  expect_refused (pmk, 1400000001, "recorder_8888", "8888", FALSE, CR_PMK_ENTER_ROOM, now,
                  "privileges 0x28");
}

static void
test_string_room (void)
{
  g_autoptr (GByteArray) buf = g_byte_array_new ();
  g_byte_array_append (buf, (const guint8 *)"\x01\x00\x01u", 4);
  g_byte_array_append (buf, VECTOR + 16, sizeof VECTOR - 16); /* sdkappid .. accountType */
  buf->data[4 + 4] = buf->data[4 + 5] = buf->data[4 + 6] = buf->data[4 + 7] = 0; /* room 0 */
  g_byte_array_append (buf, (const guint8 *)"\x00\x05room1", 7);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrPrivateMapKey) pmk = parse (buf->data, buf->len, &error);
  g_assert_no_error (error);
  g_assert_true (pmk->string_room);
  g_assert_cmpstr (pmk->room_str, ==, "room1");
  g_assert_true (
      cr_private_map_key_check (pmk, 1400000001, "u", "room1", TRUE, 2, 1700000000, &error));
  expect_refused (pmk, 1400000001, "u", "room2", TRUE, 2, 1700000000, "string room \"room1\"");
  expect_refused (pmk, 1400000001, "u", "0", FALSE, 2, 1700000000, "string room");
}

static void
test_malformed_records (void)
{
  for (gsize len = 0; len < sizeof VECTOR; len++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (CrPrivateMapKey) pmk = parse (VECTOR, len, &error);
    g_assert_null (pmk);
    g_assert_nonnull (strstr (error->message, "not a PrivateMapKey record"));
  }
  guint8 padded[sizeof VECTOR + 1] = { 0 };
  memcpy (padded, VECTOR, sizeof VECTOR);
  g_assert_null (parse (padded, sizeof padded, NULL));
  guint8 version2[sizeof VECTOR];
  memcpy (version2, VECTOR, sizeof VECTOR);
  version2[0] = 2;
  g_assert_null (parse (version2, sizeof version2, NULL));
  guint8 long_account[sizeof VECTOR];
  memcpy (long_account, VECTOR, sizeof VECTOR);
  long_account[1] = 0xff; /* account length beyond the record */
  g_assert_null (parse (long_account, sizeof long_account, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pmk/vector", test_vector_parses);
  g_test_add_func ("/pmk/mismatches", test_mismatches_refused);
  g_test_add_func ("/pmk/string-room", test_string_room);
  g_test_add_func ("/pmk/malformed", test_malformed_records);
  return g_test_run ();
}
