/* The MP4/AAC split planner: parts cut on segment boundaries by MaxMediaFileDuration and by size,
 * the other track's segments following the part that holds most of each. */
#include "files/outputs.h"

static const gint64 T0 = 1700000000000;

/* @n segments of @seconds each from @start, @bytes each. */
static CrPlaylist *
playlist (int n, gint64 start, double seconds, guint64 bytes)
{
  CrPlaylist *pl = cr_playlist_new ("alice", "main", FALSE, 1, start);
  for (int i = 0; i < n; i++) {
    g_autofree char *uri = g_strdup_printf ("s%d.ts", i);
    cr_playlist_add (pl, uri, start + (gint64)(i * seconds * 1000), seconds, bytes, FALSE);
  }
  return pl;
}

static GString *
describe (GArray *parts)
{
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < parts->len; i++) {
    const CrOutputPart *p = &g_array_index (parts, CrOutputPart, i);
    g_string_append_printf (out, "%s[%u,%u)+[%u,%u) %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT,
                            i ? " " : "", p->primary_from, p->primary_to, p->other_from,
                            p->other_to, p->start_ms - T0, p->end_ms - T0);
  }
  return out;
}

static void
test_no_split (void)
{
  g_autoptr (CrPlaylist) video = playlist (10, T0, 10, 100000);
  g_autoptr (CrPlaylist) audio = playlist (10, T0 + 300, 10, 10000);
  g_autoptr (GArray) parts = cr_output_plan (video, audio, 1440 * 60000, CR_OUTPUT_MAX_BYTES);
  g_autoptr (GString) d = describe (parts);
  g_assert_cmpstr (d->str, ==, "[0,10)+[0,10) 0..100300");
}

static void
test_split_by_duration (void)
{
  g_autoptr (CrPlaylist) video = playlist (14, T0, 10, 100000);
  g_autoptr (CrPlaylist) audio = playlist (14, T0 + 300, 10, 10000);
  g_autoptr (GArray) parts = cr_output_plan (video, audio, 60000, CR_OUTPUT_MAX_BYTES);
  g_autoptr (GString) d = describe (parts);
  /* 60 s parts: six 10 s segments each; audio segment 5 (50.3 s) starts before video 6 (60 s). */
  g_assert_cmpstr (d->str, ==,
                   "[0,6)+[0,6) 0..60300 [6,12)+[6,12) 60000..120300 "
                   "[12,14)+[12,14) 120000..140300");
}

static void
test_split_by_size (void)
{
  g_autoptr (CrPlaylist) video = playlist (5, T0, 10, 100);
  g_autoptr (CrPlaylist) audio = playlist (5, T0 + 300, 10, 10);
  g_autoptr (GArray) parts = cr_output_plan (video, audio, 1440 * 60000, 250);
  g_autoptr (GString) d = describe (parts);
  g_assert_cmpstr (d->str, ==,
                   "[0,2)+[0,2) 0..20300 [2,4)+[2,4) 20000..40300 [4,5)+[4,5) 40000..50300");
  /* A segment bigger than the cap is a part of its own, never dropped. */
  g_autoptr (CrPlaylist) big = playlist (3, T0, 10, 1000);
  g_autoptr (GArray) alone = cr_output_plan (big, NULL, 1440 * 60000, 250);
  g_autoptr (GString) d2 = describe (alone);
  g_assert_cmpstr (d2->str, ==,
                   "[0,1)+[0,0) 0..10000 [1,2)+[0,0) 10000..20000 "
                   "[2,3)+[0,0) 20000..30000");
}

static void
test_other_track_edges (void)
{
  /* Audio started 5 s before the first picture and goes on 20 s after the last. */
  g_autoptr (CrPlaylist) video = playlist (3, T0, 10, 100);
  g_autoptr (CrPlaylist) audio = playlist (6, T0 - 5000, 10, 10);
  g_autoptr (GArray) parts = cr_output_plan (video, audio, 20000, CR_OUTPUT_MAX_BYTES);
  g_autoptr (GString) d = describe (parts);
  g_assert_cmpstr (d->str, ==, "[0,2)+[0,2) -5000..20000 [2,3)+[2,6) 15000..55000");
  /* Audio alone (an AAC file, or StreamType 1). */
  g_autoptr (GArray) only = cr_output_plan (audio, NULL, 30000, CR_OUTPUT_MAX_BYTES);
  g_autoptr (GString) d2 = describe (only);
  g_assert_cmpstr (d2->str, ==, "[0,3)+[0,0) -5000..25000 [3,6)+[0,0) 25000..55000");
}

/* Parts of one big segment each, the audio cut 6 s after the pictures: audio segment 0 (6..16 s)
 * has its midpoint in video segment 1, so by the midpoint rule the first part would have no sound
 * at all; it takes the next video segment too, past the size cap, to keep its audio. */
static void
test_other_track_never_starved (void)
{
  g_autoptr (CrPlaylist) video = playlist (4, T0, 10, 1000);
  g_autoptr (CrPlaylist) audio = playlist (4, T0 + 6000, 10, 10);
  g_autoptr (GArray) parts = cr_output_plan (video, audio, 1440 * 60000, 250);
  g_autoptr (GString) d = describe (parts);
  g_assert_cmpstr (d->str, ==,
                   "[0,2)+[0,1) 0..20000 [2,3)+[1,2) 16000..30000 [3,4)+[2,4) 26000..46000");
  for (guint i = 0; i < parts->len; i++) {
    const CrOutputPart *p = &g_array_index (parts, CrOutputPart, i);
    g_assert_cmpuint (p->other_to, >, p->other_from);
  }
}

/* Measured: the audio is cut ~85 ms before each video keyframe; each part keeps its own audio. */
static void
test_real_boundaries (void)
{
  g_autoptr (CrPlaylist) video = cr_playlist_new ("judy", "main", FALSE, 1, T0);
  g_autoptr (CrPlaylist) audio = cr_playlist_new ("judy", "main", FALSE, 0, T0);
  cr_playlist_add (video, "v0.ts", T0 + 23463, 9.997, 856716, FALSE);
  cr_playlist_add (video, "v1.ts", T0 + 33459, 10.0, 855024, FALSE);
  cr_playlist_add (video, "v2.ts", T0 + 43459, 8.0, 685072, FALSE);
  cr_playlist_add (audio, "a0.ts", T0 + 23391, 9.984, 208304, FALSE);
  cr_playlist_add (audio, "a1.ts", T0 + 33374, 9.984, 208304, FALSE);
  cr_playlist_add (audio, "a2.ts", T0 + 43358, 9.984, 208116, FALSE);
  g_autoptr (GArray) parts = cr_output_plan (video, audio, 1440 * 60000, 1 << 20);
  g_autoptr (GString) d = describe (parts);
  g_assert_cmpstr (d->str, ==,
                   "[0,1)+[0,1) 23391..33460 [1,2)+[1,2) 33374..43459 "
                   "[2,3)+[2,3) 43358..53342");
}

/* Seen in CI: the recording ends with a short video segment that starts after the midpoint of
 * the last audio segment; that tail part would have had no sound and joins the part before. */
static void
test_tail_never_without_other (void)
{
  g_autoptr (CrPlaylist) video = cr_playlist_new ("judy", "main", FALSE, 1, T0);
  g_autoptr (CrPlaylist) audio = cr_playlist_new ("judy", "main", FALSE, 0, T0);
  cr_playlist_add (video, "v0.ts", T0, 10.0, 900, FALSE);
  cr_playlist_add (video, "v1.ts", T0 + 10000, 10.0, 900, FALSE);
  cr_playlist_add (video, "v2.ts", T0 + 20000, 0.5, 50, FALSE);
  cr_playlist_add (audio, "a0.ts", T0, 10.0, 100, FALSE);
  cr_playlist_add (audio, "a1.ts", T0 + 10000, 10.3, 100, FALSE);
  g_autoptr (GArray) parts = cr_output_plan (video, audio, 1440 * 60000, 1000);
  g_autoptr (GString) d = describe (parts);
  g_assert_cmpstr (d->str, ==, "[0,1)+[0,1) 0..10000 [1,3)+[1,2) 10000..20500");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/outputs/no-split", test_no_split);
  g_test_add_func ("/outputs/split-by-duration", test_split_by_duration);
  g_test_add_func ("/outputs/split-by-size", test_split_by_size);
  g_test_add_func ("/outputs/other-track-edges", test_other_track_edges);
  g_test_add_func ("/outputs/other-track-never-starved", test_other_track_never_starved);
  g_test_add_func ("/outputs/tail-never-without-other", test_tail_never_without_other);
  g_test_add_func ("/outputs/real-boundaries", test_real_boundaries);
  return g_test_run ();
}
