/* The folders of bucket classes kept for their replay (class_video_replay_cache.h): a live
 * class's folder for CR_REPLAY_CACHE_LIVE_MS, a finished one's for good, a newer copy replacing
 * an older one whole, and the least recently used going beyond CR_REPLAY_CACHE_FOLDERS. */
#include <glib/gstdio.h>

#include "tiw/class_video_replay_cache.h"

#define MS 1000 /* µs */

/* A complete copy of folder @name holding one file with @text, made in the cache's root. */
static char *
make_copy (CrReplayCache *c, const char *name, const char *text)
{
  char *dir = g_build_filename (cr_replay_cache_root (c), ".fetch-test", name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_autofree char *file = g_build_filename (dir, "a.m3u8", NULL);
  g_assert_true (g_file_set_contents (file, text, -1, NULL));
  return dir;
}

static char *
read_kept (CrReplayCache *c, const char *name)
{
  g_autofree char *file = g_build_filename (cr_replay_cache_root (c), name, "a.m3u8", NULL);
  char *text = NULL;
  return g_file_get_contents (file, &text, NULL, NULL) ? text : NULL;
}

static void
put (CrReplayCache *c, const char *name, const char *text, gboolean final, gint64 now)
{
  g_autofree char *dir = make_copy (c, name, text);
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_replay_cache_put (c, name, dir, final, now, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS)); /* moved, not copied */
}

static void
test_cache_live_and_final (void)
{
  CrReplayCache *c = cr_replay_cache_new (NULL);
  g_assert_nonnull (c);
  gint64 t0 = 1000000 * MS;
  g_assert_false (cr_replay_cache_fresh (c, "live", FALSE, t0));
  put (c, "live", "one", FALSE, t0);
  put (c, "done", "final", TRUE, t0);
  g_assert_true (cr_replay_cache_fresh (c, "live", FALSE, t0 + (CR_REPLAY_CACHE_LIVE_MS - 1) * MS));
  g_assert_false (cr_replay_cache_fresh (c, "live", FALSE, t0 + CR_REPLAY_CACHE_LIVE_MS * MS));
  g_assert_true (cr_replay_cache_fresh (c, "done", FALSE, t0 + 86400000LL * MS));
  /* a request for the FINISHED class is not served a live copy, however fresh (it may lack the
   * last segments); a final copy serves both */
  g_assert_false (cr_replay_cache_fresh (c, "live", TRUE, t0 + MS));
  g_assert_true (cr_replay_cache_fresh (c, "done", TRUE, t0 + MS));
  /* a newer copy replaces the older whole, fresh from its own time */
  put (c, "live", "two", FALSE, t0 + 5000 * MS);
  g_autofree char *text = read_kept (c, "live");
  g_assert_cmpstr (text, ==, "two");
  g_assert_true (cr_replay_cache_fresh (c, "live", FALSE, t0 + 6000 * MS));
  g_autofree char *root = g_strdup (cr_replay_cache_root (c));
  cr_replay_cache_free (c);
  g_assert_false (g_file_test (root, G_FILE_TEST_EXISTS));
}

static void
test_cache_least_recently_used_goes (void)
{
  CrReplayCache *c = cr_replay_cache_new (NULL);
  gint64 t = 1000 * MS;
  for (int i = 0; i < CR_REPLAY_CACHE_FOLDERS; i++) {
    g_autofree char *name = g_strdup_printf ("f%d", i);
    put (c, name, name, TRUE, t++);
  }
  /* f0 used again: f1 is now the least recently used */
  g_assert_true (cr_replay_cache_fresh (c, "f0", FALSE, t++));
  put (c, "new", "new", TRUE, t++);
  g_assert_true (cr_replay_cache_fresh (c, "f0", FALSE, t++));
  g_assert_false (cr_replay_cache_fresh (c, "f1", FALSE, t++));
  g_autofree char *gone = read_kept (c, "f1");
  g_assert_null (gone);
  g_assert_true (cr_replay_cache_fresh (c, "f2", FALSE, t++));
  g_assert_true (cr_replay_cache_fresh (c, "new", FALSE, t++));
  cr_replay_cache_free (c);
}

static void
test_cache_put_fails_clearly (void)
{
  CrReplayCache *c = cr_replay_cache_new (NULL);
  g_autoptr (GError) error = NULL;
  g_assert_false (cr_replay_cache_put (c, "x", "/nonexistent/cloudrec-copy", FALSE, 0, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (g_strstr_len (error->message, -1, "/nonexistent/cloudrec-copy"));
  g_assert_false (cr_replay_cache_fresh (c, "x", FALSE, 0));
  cr_replay_cache_free (c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/replay-cache/live-and-final", test_cache_live_and_final);
  g_test_add_func ("/replay-cache/least-recently-used-goes", test_cache_least_recently_used_goes);
  g_test_add_func ("/replay-cache/put-fails-clearly", test_cache_put_fails_clearly);
  return g_test_run ();
}
