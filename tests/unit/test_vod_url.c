/* The VOD library's URL rules (vod_url.h): Tencent VOD key hotlink protection signing, the Dir
 * rule, expiry, playlist rewriting, names and byte ranges. */
#include <string.h>

#include "vod/vod_url.h"

#define KEY "24FEQmTzro4V5u3D5epW"

static void
test_sign_vector (void)
{
  /* md5("24FEQmTzro4V5u3D5epW" "/dir1/dir2/" "5e0a7e80" "72d4cd1101"), computed apart with
   * Python's hashlib from the documented formula md5(KEY + Dir + t + exper + rlimit + us). */
  g_autofree char *sign = cr_vod_url_sign (KEY, "/dir1/dir2/", "5e0a7e80", "72d4cd1101");
  g_assert_cmpstr (sign, ==, "631822ba514f00d48e64d178db88e842");
  g_autofree char *q = cr_vod_url_query (KEY, "/dir1/dir2/", 0x5e0a7e80, "72d4cd1101");
  g_assert_cmpstr (q, ==, "t=5e0a7e80&us=72d4cd1101&sign=631822ba514f00d48e64d178db88e842");
}

static void
test_dir_rule (void)
{
  g_autofree char *a = cr_vod_url_dir ("/dir1/dir2/myVideo.mp4");
  g_autofree char *b = cr_vod_url_dir ("/vod/5123/");
  g_autofree char *c = cr_vod_url_dir ("x");
  g_assert_cmpstr (a, ==, "/dir1/dir2/");
  g_assert_cmpstr (b, ==, "/vod/5123/");
  g_assert_cmpstr (c, ==, "/");
  /* One signature covers every file of the directory, and only that directory. */
  g_autofree char *s = cr_vod_url_sign (KEY, "/vod/5123/", "70000000", "ab");
  g_assert_cmpint (cr_vod_url_verify (KEY, "/vod/5123/a.m3u8", "70000000", "ab", s, 100), ==,
                   CR_VOD_URL_OK);
  g_assert_cmpint (cr_vod_url_verify (KEY, "/vod/5123/a_1.ts", "70000000", "ab", s, 100), ==,
                   CR_VOD_URL_OK);
  g_assert_cmpint (cr_vod_url_verify (KEY, "/vod/5124/a.m3u8", "70000000", "ab", s, 100), ==,
                   CR_VOD_URL_BAD_SIGN);
  g_assert_cmpint (cr_vod_url_verify (KEY, "/vod/5123/sub/a.ts", "70000000", "ab", s, 100), ==,
                   CR_VOD_URL_BAD_SIGN);
}

static void
test_round_trip_and_tamper (void)
{
  const char *path = "/vod/5170000000012345678/rec.mp4";
  g_autofree char *us = cr_vod_url_new_us ();
  g_assert_cmpuint (strlen (us), ==, 10);
  g_autofree char *dir = cr_vod_url_dir (path);
  g_autofree char *t = g_strdup_printf ("%x", 1700000600);
  g_autofree char *sign = cr_vod_url_sign (KEY, dir, t, us);
  g_assert_cmpint (cr_vod_url_verify (KEY, path, t, us, sign, 1700000000), ==, CR_VOD_URL_OK);
  /* Upper-case hex in sign is the same signature. */
  g_autofree char *upper = g_ascii_strup (sign, -1);
  g_assert_cmpint (cr_vod_url_verify (KEY, path, t, us, upper, 1700000000), ==, CR_VOD_URL_OK);
  /* Another key, t, us, sign or path: refused. */
  g_assert_cmpint (cr_vod_url_verify ("OtherKey123", path, t, us, sign, 1700000000), ==,
                   CR_VOD_URL_BAD_SIGN);
  g_autofree char *t2 = g_strdup_printf ("%x", 1700000601);
  g_assert_cmpint (cr_vod_url_verify (KEY, path, t2, us, sign, 1700000000), ==,
                   CR_VOD_URL_BAD_SIGN);
  g_assert_cmpint (cr_vod_url_verify (KEY, path, t, "0000000000", sign, 1700000000), ==,
                   CR_VOD_URL_BAD_SIGN);
  g_assert_cmpint (cr_vod_url_verify (KEY, path, t, NULL, sign, 1700000000), ==,
                   CR_VOD_URL_BAD_SIGN);
  g_autofree char *bad = g_strdup (sign);
  bad[31] = bad[31] == '0' ? '1' : '0';
  g_assert_cmpint (cr_vod_url_verify (KEY, path, t, us, bad, 1700000000), ==, CR_VOD_URL_BAD_SIGN);
  g_assert_cmpint (
      cr_vod_url_verify (KEY, "/vod/5170000000012345679/rec.mp4", t, us, sign, 1700000000), ==,
      CR_VOD_URL_BAD_SIGN);
  /* Missing or malformed parts. */
  g_assert_cmpint (cr_vod_url_verify (KEY, path, NULL, us, sign, 0), ==, CR_VOD_URL_MISSING);
  g_assert_cmpint (cr_vod_url_verify (KEY, path, t, us, NULL, 0), ==, CR_VOD_URL_MISSING);
  g_assert_cmpint (cr_vod_url_verify (KEY, path, "", us, sign, 0), ==, CR_VOD_URL_MISSING);
  g_assert_cmpint (cr_vod_url_verify (KEY, path, "12g", us, sign, 0), ==, CR_VOD_URL_MALFORMED);
  g_assert_cmpint (cr_vod_url_verify (KEY, path, t, us, "abc", 0), ==, CR_VOD_URL_MALFORMED);
}

static void
test_expiry_boundary (void)
{
  const char *path = "/vod/51/a.mp4";
  g_autofree char *q_sign = cr_vod_url_sign (KEY, "/vod/51/", "64", "u");
  /* t = 0x64 = 100: valid through second 100, expired from 101. */
  g_assert_cmpint (cr_vod_url_verify (KEY, path, "64", "u", q_sign, 99), ==, CR_VOD_URL_OK);
  g_assert_cmpint (cr_vod_url_verify (KEY, path, "64", "u", q_sign, 100), ==, CR_VOD_URL_OK);
  g_assert_cmpint (cr_vod_url_verify (KEY, path, "64", "u", q_sign, 101), ==, CR_VOD_URL_EXPIRED);
  /* An expired URL whose signature is also wrong is a bad signature (nothing learnt about t). */
  g_assert_cmpint (cr_vod_url_verify ("WrongKey99", path, "64", "u", q_sign, 101), ==,
                   CR_VOD_URL_BAD_SIGN);
}

static void
test_m3u8_rewrite (void)
{
  const char *in = "#EXTM3U\n"
                   "#EXT-X-TARGETDURATION:2\n"
                   "#EXT-X-TRTC-FILE-ATTR:1,2\n"
                   "\n"
                   "#EXTINF:1.000,\n"
                   "seg_0.ts\n"
                   "#EXTINF:1.000,\r\n"
                   "seg_1.ts?x=1\r\n"
                   "#EXTINF:1.000,\n"
                   "https://cdn.example/seg_2.ts\n"
                   "#EXTINF:1.000,\n"
                   "/abs/seg_3.ts\n"
                   "#EXTINF:1.000,\n"
                   "seg_4.ts  \n"
                   "#EXT-X-ENDLIST";
  g_autofree char *out = cr_vod_m3u8_sign (in, strlen (in), "t=1&us=2&sign=3");
  g_assert_cmpstr (out, ==,
                   "#EXTM3U\n"
                   "#EXT-X-TARGETDURATION:2\n"
                   "#EXT-X-TRTC-FILE-ATTR:1,2\n"
                   "\n"
                   "#EXTINF:1.000,\n"
                   "seg_0.ts?t=1&us=2&sign=3\n"
                   "#EXTINF:1.000,\r\n"
                   "seg_1.ts?x=1&t=1&us=2&sign=3\r\n"
                   "#EXTINF:1.000,\n"
                   "https://cdn.example/seg_2.ts\n"
                   "#EXTINF:1.000,\n"
                   "/abs/seg_3.ts\n"
                   "#EXTINF:1.000,\n"
                   "seg_4.ts?t=1&us=2&sign=3\n"
                   "#EXT-X-ENDLIST");
  g_auto (GStrv) segs = cr_vod_m3u8_segments (in, strlen (in));
  const char *want[] = { "seg_0.ts", "seg_4.ts", NULL };
  g_assert_cmpstrv (segs, want);
}

static void
test_names (void)
{
  g_assert_true (cr_vod_name_valid ("rec.mp4"));
  g_assert_true (cr_vod_name_valid ("abc__UserDefine_u_1400_x.m3u8"));
  const char *bad[]
      = { "", ".", "..", "../x", "a/b", "a\\b", ".hidden", "meta.json", "a\tb", "a\x7f" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (cr_vod_name_valid (bad[i]));
  g_assert_false (cr_vod_name_valid (NULL));
  g_autofree char *long_name = g_strnfill (201, 'a');
  g_assert_false (cr_vod_name_valid (long_name));
  g_assert_true (cr_vod_file_id_valid ("5170000000012345678"));
  g_assert_false (cr_vod_file_id_valid ("51x"));
  g_assert_false (cr_vod_file_id_valid (""));
  g_assert_false (cr_vod_file_id_valid (".."));
  g_assert_cmpstr (cr_vod_content_type ("a.mp4"), ==, "video/mp4");
  g_assert_cmpstr (cr_vod_content_type ("a.M3U8"), ==, "application/vnd.apple.mpegurl");
  g_assert_cmpstr (cr_vod_content_type ("a.ts"), ==, "video/mp2t");
  g_assert_cmpstr (cr_vod_content_type ("a.aac"), ==, "audio/aac");
  g_assert_cmpstr (cr_vod_content_type ("a.m4a"), ==, "audio/mp4");
  g_assert_cmpstr (cr_vod_content_type ("a"), ==, "application/octet-stream");
}

static void
test_ranges (void)
{
  gint64 s = -1, e = -1;
  g_assert_cmpint (cr_vod_parse_range (NULL, 100, &s, &e), ==, CR_VOD_RANGE_NONE);
  g_assert_cmpint (cr_vod_parse_range ("bytes=0-9", 100, &s, &e), ==, CR_VOD_RANGE_OK);
  g_assert_cmpint (s, ==, 0);
  g_assert_cmpint (e, ==, 9);
  g_assert_cmpint (cr_vod_parse_range ("bytes=40-", 100, &s, &e), ==, CR_VOD_RANGE_OK);
  g_assert_cmpint (s, ==, 40);
  g_assert_cmpint (e, ==, 99);
  g_assert_cmpint (cr_vod_parse_range ("bytes=-10", 100, &s, &e), ==, CR_VOD_RANGE_OK);
  g_assert_cmpint (s, ==, 90);
  g_assert_cmpint (e, ==, 99);
  g_assert_cmpint (cr_vod_parse_range ("bytes=-1000", 100, &s, &e), ==, CR_VOD_RANGE_OK);
  g_assert_cmpint (s, ==, 0);
  g_assert_cmpint (cr_vod_parse_range ("bytes=50-1000", 100, &s, &e), ==, CR_VOD_RANGE_OK);
  g_assert_cmpint (e, ==, 99);
  g_assert_cmpint (cr_vod_parse_range ("bytes=99-99", 100, &s, &e), ==, CR_VOD_RANGE_OK);
  g_assert_cmpint (cr_vod_parse_range ("bytes=100-", 100, &s, &e), ==, CR_VOD_RANGE_UNSATISFIABLE);
  g_assert_cmpint (cr_vod_parse_range ("bytes=-0", 100, &s, &e), ==, CR_VOD_RANGE_UNSATISFIABLE);
  g_assert_cmpint (cr_vod_parse_range ("bytes=0-", 0, &s, &e), ==, CR_VOD_RANGE_UNSATISFIABLE);
  const char *ignored[]
      = { "bytes=5-2", "bytes=a-b", "items=0-1", "bytes=0-1,5-6", "bytes=", "bytes=-", "bytes=1" };
  for (guint i = 0; i < G_N_ELEMENTS (ignored); i++)
    g_assert_cmpint (cr_vod_parse_range (ignored[i], 100, &s, &e), ==, CR_VOD_RANGE_NONE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vod_url/sign_vector", test_sign_vector);
  g_test_add_func ("/vod_url/dir_rule", test_dir_rule);
  g_test_add_func ("/vod_url/round_trip_and_tamper", test_round_trip_and_tamper);
  g_test_add_func ("/vod_url/expiry_boundary", test_expiry_boundary);
  g_test_add_func ("/vod_url/m3u8_rewrite", test_m3u8_rewrite);
  g_test_add_func ("/vod_url/names", test_names);
  g_test_add_func ("/vod_url/ranges", test_ranges);
  return g_test_run ();
}
