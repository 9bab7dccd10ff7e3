/* File names against the worked examples of reference §10.2. */
#include "files/naming.h"

static void
test_integer_room (void)
{
  CrNamingTask t = { 1400123456, "12345", FALSE, "TASK", NULL, 0 };
  g_autofree char *stem = cr_naming_single_stem (&t, "1686119", FALSE);
  g_autofree char *m3u8 = cr_naming_m3u8 (stem, CR_TRACK_VIDEO);
  g_autofree char *ts = cr_naming_ts (stem, CR_TRACK_VIDEO, 2001145551825);
  g_assert_cmpstr (m3u8, ==, "1400123456_12345__UserId_s_MTY4NjExOQ..__UserId_e_main_video.m3u8");
  g_assert_cmpstr (
      ts, ==, "1400123456_12345__UserId_s_MTY4NjExOQ..__UserId_e_main_video_20330531094551825.ts");
  g_autofree char *dir = cr_naming_dir (&t);
  g_assert_cmpstr (dir, ==, "TASK/");
}

static void
test_string_room_prefix (void)
{
  const char *const prefix[] = { "prefix1", "prefix2", NULL };
  CrNamingTask t = { 1400000001, "room??", TRUE, "TASKID-example.", prefix, 0 };
  g_autofree char *dir = cr_naming_dir (&t);
  g_autofree char *stem = cr_naming_single_stem (&t, "user?>~", TRUE);
  g_autofree char *m3u8 = cr_naming_m3u8 (stem, CR_TRACK_AUDIO);
  g_autofree char *ts = cr_naming_ts (stem, CR_TRACK_AUDIO, 1700000000123);
  g_autofree char *mp4 = cr_naming_mp4 (stem, 0);
  g_autofree char *mp4_2 = cr_naming_mp4 (stem, 2);
  g_assert_cmpstr (dir, ==, "prefix1/prefix2/TASKID-example./");
  g_assert_cmpstr (m3u8, ==, "1400000001_cm9vbT8-__UserId_s_dXNlcj8+fg..__UserId_e_aux_audio.m3u8");
  g_assert_cmpstr (ts, ==,
                   "1400000001_cm9vbT8-__UserId_s_dXNlcj8+fg..__UserId_e_aux_audio_"
                   "20231114221320123.ts");
  g_assert_cmpstr (mp4, ==, "1400000001_cm9vbT8-__UserId_s_dXNlcj8+fg..__UserId_e_aux.mp4");
  g_assert_cmpstr (mp4_2, ==, "1400000001_cm9vbT8-__UserId_s_dXNlcj8+fg..__UserId_e_aux_2.mp4");
}

static void
test_mixed_and_failover (void)
{
  CrNamingTask t = { 1400000001, "ab", TRUE, "TASKID-example.", NULL, 0 };
  g_autofree char *stem = cr_naming_mixed_stem (&t);
  g_autofree char *m3u8 = cr_naming_m3u8 (stem, -1);
  g_autofree char *ts = cr_naming_ts (stem, -1, 1622186279144);
  g_autofree char *mp4 = cr_naming_mp4 (stem, 0);
  g_assert_cmpstr (m3u8, ==, "1400000001_YWI..m3u8");
  g_assert_cmpstr (ts, ==, "1400000001_YWI._20210528071759144.ts");
  g_assert_cmpstr (mp4, ==, "1400000001_YWI..mp4");
  t.failover = 1;
  g_autofree char *ha = cr_naming_mixed_stem (&t);
  g_autofree char *ha_m3u8 = cr_naming_m3u8 (ha, -1);
  g_assert_cmpstr (ha_m3u8, ==, "ha1_1400000001_YWI..m3u8");
  g_autofree char *aac = cr_naming_aac (stem, 0);
  g_assert_cmpstr (aac, ==, "1400000001_YWI..aac");
}

static void
test_utc_stamp (void)
{
  g_autofree char *a = cr_naming_utc_stamp (1768908632574);
  g_assert_cmpstr (a, ==, "20260120113032574");
  g_autofree char *b = cr_naming_utc_stamp (0);
  g_assert_cmpstr (b, ==, "19700101000000000");
  g_autofree char *c = cr_naming_utc_stamp (1622425551884);
  g_assert_cmpstr (c, ==, "20210531014551884");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/naming/integer-room", test_integer_room);
  g_test_add_func ("/naming/string-room-prefix", test_string_room_prefix);
  g_test_add_func ("/naming/mixed-failover", test_mixed_and_failover);
  g_test_add_func ("/naming/utc-stamp", test_utc_stamp);
  return g_test_run ();
}
