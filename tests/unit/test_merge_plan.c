/* `cloudrec merge`'s planner on hand-made playlists: one segment, out-of-order lines, gaps under
 * and over 15 s in -m 0 / -m 1 / -s, -a's choice of main and aux video, failover (ha<n>_) files in
 * the same timeline, an audio-only user, the -r/-p/size reasons to encode, and the errors (an
 * empty directory, a broken playlist, a missing or truncated segment, mismatched tracks). */
#include <string.h>

#include "tools/merge_plan.h"

#define APP "1400000001_9001__UserId_s_"
#define ALICE "YWxpY2U." /* base64 variant of "alice" */
#define BOB "Ym9i"       /* "bob" */
#define T0 1768908632574 /* 2026-01-20 11:30:32.574 UTC */

typedef struct {
  GHashTable *sizes;
  GHashTable *playlists;
} Dir;

static void
dir_init (Dir *d)
{
  d->sizes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  d->playlists = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static void
dir_clear (Dir *d)
{
  g_hash_table_unref (d->sizes);
  g_hash_table_unref (d->playlists);
}

static void
dir_file (Dir *d, const char *name, gint64 size)
{
  g_hash_table_insert (d->sizes, g_strdup (name), g_memdup2 (&size, sizeof size));
}

/* A playlist of @user's @stream ("main_video"...) with segments given as start offsets (ms from
 * T0) and durations (s); every segment is put in the directory with 1000 bytes. */
static char *
playlist (Dir *d, const char *ha, const char *user, const char *stream, const char *user_id,
          const gint64 *starts, const double *durs, guint n, int w, int h)
{
  g_autofree char *name = g_strdup_printf ("%s" APP "%s__UserId_e_%s.m3u8", ha, user, stream);
  GString *t = g_string_new ("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n");
  g_string_append_printf (t, "#EXT-X-TRTC-MEDIA-ID:%s\n#EXT-X-TRTC-USER-ID:%s\n",
                          g_str_has_prefix (stream, "aux") ? "aux" : "main", user_id);
  g_string_append_printf (t, "#EXT-X-TRTC-STREAM-TYPE:%d\n", strstr (stream, "video") ? 1 : 0);
  if (w > 0)
    g_string_append_printf (t, "#EXT-X-TRTC-VIDEO-METADATA:WIDTH:%d HEIGHT:%d Codec:27\n", w, h);
  for (guint i = 0; i < n; i++) {
    g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc ((T0 + starts[i]) / 1000);
    g_autofree char *ymd = g_date_time_format (dt, "%Y%m%d%H%M%S");
    g_autofree char *seg = g_strdup_printf ("%s" APP "%s__UserId_e_%s_%s%03d.ts", ha, user, stream,
                                            ymd, (int)((T0 + starts[i]) % 1000));
    g_string_append_printf (t,
                            "#EXT-X-TRTC-FILE-ATTR:%" G_GINT64_FORMAT ",1000\n#EXTINF:%.3f,\n%s\n",
                            T0 + starts[i], durs[i], seg);
    dir_file (d, seg, 1000);
  }
  g_string_append (t, "#EXT-X-ENDLIST\n");
  g_hash_table_insert (d->playlists, g_strdup (name), g_strdup (t->str));
  dir_file (d, name, t->len);
  return g_string_free (t, FALSE);
}

static CrMergeOptions
opts (void)
{
  return (CrMergeOptions){ .mode = 0, .av = 0, .fps = 15 };
}

static CrMergePlan *
plan (Dir *d, const CrMergeOptions *o)
{
  g_autoptr (GError) error = NULL;
  CrMergePlan *p = cr_merge_plan_build (d->sizes, d->playlists, o, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p);
  return p;
}

static const CrMergeOutput *
out (const CrMergePlan *p, guint i)
{
  g_assert_cmpuint (i, <, p->outputs->len);
  return g_ptr_array_index (p->outputs, i);
}

static void
test_one_segment (void)
{
  Dir d;
  dir_init (&d);
  gint64 s[] = { 0 };
  double du[] = { 7.5 };
  g_free (playlist (&d, "", ALICE, "main_video", "alice", s, du, 1, 640, 360));
  g_free (playlist (&d, "", ALICE, "main_audio", "alice", s, du, 1, 0, 0));
  CrMergeOptions o = opts ();
  g_autoptr (CrMergePlan) p = plan (&d, &o);
  g_assert_cmpuint (p->outputs->len, ==, 1);
  const CrMergeOutput *x = out (p, 0);
  g_assert_cmpstr (x->name, ==, ALICE "_20260120113032574_av.mp4");
  g_assert_cmpstr (x->user_id, ==, "alice");
  g_assert_cmpint (x->duration_ms, ==, 7500);
  g_assert_false (x->video_encode); /* one size, no gap: remuxed */
  g_assert_false (x->audio_encode);
  g_assert_cmpint (x->width, ==, 640);
  dir_clear (&d);
}

static void
test_out_of_order (void)
{
  Dir d;
  dir_init (&d);
  gint64 s[] = { 20000, 0, 10000 };
  double du[] = { 5, 10, 10 };
  g_free (playlist (&d, "", ALICE, "main_video", "alice", s, du, 3, 320, 180));
  CrMergeOptions o = opts ();
  g_autoptr (CrMergePlan) p = plan (&d, &o);
  g_assert_cmpuint (p->outputs->len, ==, 1);
  const CrMergeOutput *x = out (p, 0);
  g_assert_cmpuint (x->video->len, ==, 3);
  for (guint i = 0; i < 3; i++) {
    const CrMergePiece *pc = g_ptr_array_index (x->video, i);
    g_assert_cmpint (pc->out_ms, ==, i * 10000);
  }
  g_assert_cmpint (x->duration_ms, ==, 25000);
  g_assert_cmpstr (x->name, ==, ALICE "_20260120113032574_av.mp4");
  g_assert_false (x->video_encode);
  dir_clear (&d);
}

/* alice: 0-10 s, back at 14 s (a 4 s gap) until 20 s, back at 40 s (a 20 s gap) until 45 s. */
static void
gaps_dir (Dir *d)
{
  gint64 s[] = { 0, 14000, 40000 };
  double du[] = { 10, 6, 5 };
  g_free (playlist (d, "", ALICE, "main_video", "alice", s, du, 3, 320, 180));
  g_free (playlist (d, "", ALICE, "main_audio", "alice", s, du, 3, 0, 0));
}

static void
test_gaps_segment_mode (void)
{
  Dir d;
  dir_init (&d);
  gaps_dir (&d);
  CrMergeOptions o = opts ();
  g_autoptr (CrMergePlan) p = plan (&d, &o);
  g_assert_cmpuint (p->outputs->len, ==, 2); /* the 4 s gap stays inside, the 20 s one cuts */
  g_assert_cmpint (out (p, 0)->duration_ms, ==, 20000);
  g_assert_true (out (p, 0)->video_encode); /* the 4 s gap is filled */
  g_assert_cmpstr (out (p, 0)->video_why, ==, "gap");
  g_assert_true (out (p, 0)->audio_encode);
  g_assert_cmpint (out (p, 1)->duration_ms, ==, 5000);
  g_assert_false (out (p, 1)->video_encode);
  g_assert_cmpstr (out (p, 1)->name, ==, ALICE "_20260120113112574_av.mp4");
  const CrMergePiece *pc = g_ptr_array_index (out (p, 0)->video, 1);
  g_assert_cmpint (pc->out_ms, ==, 14000);
  g_assert_true (pc->anchor); /* after a gap: placed by its FILE-ATTR */
  dir_clear (&d);
}

static void
test_gaps_one_file (void)
{
  Dir d;
  dir_init (&d);
  gaps_dir (&d);
  CrMergeOptions o = opts ();
  o.mode = 1;
  g_autoptr (CrMergePlan) p = plan (&d, &o);
  g_assert_cmpuint (p->outputs->len, ==, 1);
  g_assert_cmpint (out (p, 0)->duration_ms, ==, 45000); /* gaps filled */
  const CrMergePiece *pc = g_ptr_array_index (out (p, 0)->video, 2);
  g_assert_cmpint (pc->out_ms, ==, 40000);
  o.drop_gaps = TRUE;
  g_autoptr (CrMergePlan) q = plan (&d, &o);
  g_assert_cmpuint (q->outputs->len, ==, 1);
  g_assert_cmpint (out (q, 0)->duration_ms, ==, 25000); /* the 20 s gap left out, not the 4 s */
  pc = g_ptr_array_index (out (q, 0)->video, 2);
  g_assert_cmpint (pc->out_ms, ==, 20000);
  dir_clear (&d);
}

static void
test_failover (void)
{
  Dir d;
  dir_init (&d);
  gint64 s1[] = { 0, 10000 }, s2[] = { 20000, 30000 };
  double du[] = { 10, 10 };
  g_free (playlist (&d, "", ALICE, "main_video", "alice", s1, du, 2, 320, 180));
  g_free (playlist (&d, "ha1_", ALICE, "main_video", "alice", s2, du, 2, 320, 180));
  CrMergeOptions o = opts ();
  g_autoptr (CrMergePlan) p = plan (&d, &o);
  g_assert_cmpuint (p->outputs->len, ==, 1);
  g_assert_cmpint (out (p, 0)->duration_ms, ==, 40000);
  g_assert_cmpuint (out (p, 0)->video->len, ==, 4);
  const CrMergePiece *pc = g_ptr_array_index (out (p, 0)->video, 2);
  g_assert_true (g_str_has_prefix (pc->file, "ha1_"));
  g_assert_cmpint (pc->out_ms, ==, 20000);
  dir_clear (&d);
}

static void
test_audio_only_and_users (void)
{
  Dir d;
  dir_init (&d);
  gint64 s[] = { 1000 };
  double du[] = { 8 };
  g_free (playlist (&d, "", BOB, "main_audio", "bob", s, du, 1, 0, 0));
  g_free (playlist (&d, "", ALICE, "main_video", "alice", s, du, 1, 320, 180));
  CrMergeOptions o = opts ();
  g_autoptr (CrMergePlan) p = plan (&d, &o);
  g_assert_cmpuint (p->outputs->len, ==, 2);
  g_assert_cmpstr (out (p, 0)->name, ==, ALICE "_20260120113033574_av.mp4");
  g_assert_cmpstr (out (p, 1)->name, ==, BOB "_20260120113033574.m4a");
  g_assert_cmpuint (out (p, 1)->video->len, ==, 0);
  dir_clear (&d);
}

/* main video 0-10 s, aux video 5-25 s (two segments), audio 0-25 s. */
static void
test_aux_choice (void)
{
  Dir d;
  dir_init (&d);
  gint64 sm[] = { 0 }, sa[] = { 5000, 15000 }, sau[] = { 0, 10000 };
  double dm[] = { 10 }, da[] = { 10, 10 }, dau[] = { 10, 15 };
  g_free (playlist (&d, "", ALICE, "main_video", "alice", sm, dm, 1, 320, 180));
  g_free (playlist (&d, "", ALICE, "aux_video", "alice", sa, da, 2, 640, 360));
  g_free (playlist (&d, "", ALICE, "aux_audio", "alice", sau, dau, 2, 0, 0));
  CrMergeOptions o = opts ();
  g_autoptr (CrMergePlan) p0 = plan (&d, &o);
  g_assert_cmpuint (out (p0, 0)->video->len, ==, 1); /* -a 0: main only */
  g_assert_cmpuint (out (p0, 0)->audio->len, ==, 2); /* no main audio: the aux audio */
  g_assert_true (out (p0, 0)->video_encode);         /* the picture ends at 10 s of 25 */
  o.av = 2;
  g_autoptr (CrMergePlan) p2 = plan (&d, &o);
  g_assert_cmpuint (out (p2, 0)->video->len, ==, 2);
  g_assert_true (((CrMergePiece *)g_ptr_array_index (out (p2, 0)->video, 0))->aux);
  g_assert_cmpint (out (p2, 0)->width, ==, 640);
  o.av = 1;
  g_autoptr (CrMergePlan) p1 = plan (&d, &o);
  g_assert_cmpuint (out (p1, 0)->video->len, ==, 2); /* main, then the aux where no main */
  g_assert_false (((CrMergePiece *)g_ptr_array_index (out (p1, 0)->video, 0))->aux);
  g_assert_true (((CrMergePiece *)g_ptr_array_index (out (p1, 0)->video, 1))->aux);
  g_assert_cmpstr (out (p1, 0)->video_why, ==, "size");
  dir_clear (&d);
}

static void
test_encode_reasons (void)
{
  Dir d;
  dir_init (&d);
  gint64 s[] = { 0 };
  double du[] = { 5 };
  g_free (playlist (&d, "", ALICE, "main_video", "alice", s, du, 1, 320, 180));
  CrMergeOptions o = opts ();
  o.width = 320, o.height = 180; /* the recorded size: nothing to do */
  g_autoptr (CrMergePlan) a = plan (&d, &o);
  g_assert_false (out (a, 0)->video_encode);
  o.width = 160, o.height = 90;
  g_autoptr (CrMergePlan) b = plan (&d, &o);
  g_assert_cmpstr (out (b, 0)->video_why, ==, "-r");
  g_assert_cmpint (out (b, 0)->width, ==, 160);
  o.width = 0, o.fps_given = TRUE, o.fps = 24;
  g_autoptr (CrMergePlan) c = plan (&d, &o);
  g_assert_cmpstr (out (c, 0)->video_why, ==, "-p");
  g_assert_cmpint (out (c, 0)->fps, ==, 24);
  dir_clear (&d);
}

static void
expect_error (Dir *d, int code, const char *needle)
{
  CrMergeOptions o = opts ();
  g_autoptr (GError) error = NULL;
  g_autoptr (CrMergePlan) p = cr_merge_plan_build (d->sizes, d->playlists, &o, &error);
  g_assert_null (p);
  g_assert_error (error, CR_MERGE_ERROR, code);
  if (strstr (error->message, needle) == NULL)
    g_error ("\"%s\" does not name \"%s\"", error->message, needle);
}

static void
test_errors (void)
{
  Dir d;
  dir_init (&d);
  expect_error (&d, CR_MERGE_ERROR_EMPTY, "no single-stream recording");
  /* A mixed recording alone is no single-stream recording either. */
  g_hash_table_insert (d.playlists, g_strdup ("1400000001_9001.m3u8"), g_strdup ("#EXTM3U\n"));
  expect_error (&d, CR_MERGE_ERROR_EMPTY, "no single-stream recording");
  dir_clear (&d);

  /* A truncated last segment is named. */
  dir_init (&d);
  gint64 s[] = { 0, 10000 };
  double du[] = { 10, 3 };
  g_free (playlist (&d, "", ALICE, "main_video", "alice", s, du, 2, 320, 180));
  const char *last = ALICE "__UserId_e_main_video_20260120113042574.ts";
  g_autofree char *last_name = g_strconcat (APP, last, NULL);
  dir_file (&d, last_name, 500);
  expect_error (&d, CR_MERGE_ERROR_SEGMENT, "truncated");
  expect_error (&d, CR_MERGE_ERROR_SEGMENT, last_name);
  g_hash_table_remove (d.sizes, last_name);
  expect_error (&d, CR_MERGE_ERROR_SEGMENT, "missing");
  dir_clear (&d);

  /* A broken playlist. */
  dir_init (&d);
  g_hash_table_insert (d.playlists, g_strdup (APP ALICE "__UserId_e_main_audio.m3u8"),
                       g_strdup ("#EXTM3U\n#EXT-X-TRTC-FILE-ATTR:12x,9\n#EXTINF:1,\na.ts\n"));
  expect_error (&d, CR_MERGE_ERROR_PLAYLIST, "FILE-ATTR");
  g_hash_table_insert (d.playlists, g_strdup (APP ALICE "__UserId_e_main_audio.m3u8"),
                       g_strdup ("hello"));
  expect_error (&d, CR_MERGE_ERROR_PLAYLIST, "not a playlist");
  dir_clear (&d);

  /* Tags that do not match the name. */
  dir_init (&d);
  gint64 one[] = { 0 };
  double d1[] = { 2 };
  g_autofree char *text = playlist (&d, "", ALICE, "main_audio", "mallory", one, d1, 1, 0, 0);
  g_assert_nonnull (strstr (text, "mallory"));
  expect_error (&d, CR_MERGE_ERROR_TRACKS, "mallory");
  dir_clear (&d);
  dir_init (&d);
  g_autofree char *v = playlist (&d, "", ALICE, "main_video", "alice", one, d1, 1, 0, 0);
  char *st = strstr (v, "STREAM-TYPE:1");
  st[strlen ("STREAM-TYPE:")] = '0';
  g_hash_table_insert (d.playlists, g_strdup (APP ALICE "__UserId_e_main_video.m3u8"),
                       g_strdup (v));
  expect_error (&d, CR_MERGE_ERROR_TRACKS, "STREAM-TYPE");
  dir_clear (&d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/merge_plan/one_segment", test_one_segment);
  g_test_add_func ("/merge_plan/out_of_order", test_out_of_order);
  g_test_add_func ("/merge_plan/gaps_segment_mode", test_gaps_segment_mode);
  g_test_add_func ("/merge_plan/gaps_one_file", test_gaps_one_file);
  g_test_add_func ("/merge_plan/failover", test_failover);
  g_test_add_func ("/merge_plan/audio_only", test_audio_only_and_users);
  g_test_add_func ("/merge_plan/aux_choice", test_aux_choice);
  g_test_add_func ("/merge_plan/encode_reasons", test_encode_reasons);
  g_test_add_func ("/merge_plan/errors", test_errors);
  return g_test_run ();
}
