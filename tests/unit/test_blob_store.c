/* The local blob store: keys as paths under the root, hostile keys refused, a file in the working
 * directory stored in place, a file from elsewhere moved in, removal idempotent. */
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "blob/blob_store.h"

static void
test_keys (void)
{
  g_assert_true (cr_blob_key_is_valid ("a/b/TASK/1400000001_8888.m3u8"));
  g_assert_true (cr_blob_key_is_valid ("TASK-x./ha1_f+g.ts"));
  const char *bad[] = { "", "/abs", "a//b", "a/./b", "../x", "a/..", "a/", NULL };
  for (const char **k = bad; *k != NULL; k++)
    g_assert_false (cr_blob_key_is_valid (*k));
  g_assert_false (cr_blob_key_is_valid (NULL));
}

static void
test_local (void)
{
  g_autofree char *root = g_dir_make_tmp ("blob-XXXXXX", NULL);
  CrBlobStore *bs = cr_local_blob_store_new (root);
  g_assert_cmpstr (bs->vt->name, ==, "local");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = bs->vt->work_dir (bs, "p1/p2/TASK", &error);
  g_assert_no_error (error);
  g_autofree char *expected = g_build_filename (root, "p1/p2/TASK", NULL);
  g_assert_cmpstr (dir, ==, expected);
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));

  /* In place: the working directory is the store. */
  g_autofree char *seg = g_build_filename (dir, "a.ts", NULL);
  g_assert_true (g_file_set_contents (seg, "ts", 2, NULL));
  g_assert_true (bs->vt->put_file (bs, "p1/p2/TASK/a.ts", seg, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (seg, G_FILE_TEST_EXISTS));

  /* From elsewhere: moved under its key. */
  g_autofree char *outside = g_build_filename (root, "spool.tmp", NULL);
  g_assert_true (g_file_set_contents (outside, "mp4", 3, NULL));
  g_assert_true (bs->vt->put_file (bs, "p1/p2/TASK/b.mp4", outside, &error));
  g_autofree char *moved = g_build_filename (dir, "b.mp4", NULL);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (moved, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "mp4");
  g_assert_false (g_file_test (outside, G_FILE_TEST_EXISTS));

  /* Refused: hostile keys, a missing source. */
  g_assert_false (bs->vt->put_file (bs, "../escape", seg, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (bs->vt->work_dir (bs, "/etc", &error));
  g_clear_error (&error);
  g_assert_false (bs->vt->put_file (bs, "p1/c.ts", "/nonexistent/c.ts", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  g_assert_true (bs->vt->remove (bs, "p1/p2/TASK/b.mp4", NULL));
  g_assert_false (g_file_test (moved, G_FILE_TEST_EXISTS));
  g_assert_true (bs->vt->remove (bs, "p1/p2/TASK/b.mp4", NULL)); /* already gone */
  g_remove (seg);
  g_rmdir (dir);
  g_autofree char *p2 = g_build_filename (root, "p1/p2", NULL);
  g_autofree char *p1 = g_build_filename (root, "p1", NULL);
  g_rmdir (p2);
  g_rmdir (p1);
  g_rmdir (root);
  cr_blob_store_close (bs);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/blob/keys", test_keys);
  g_test_add_func ("/blob/local", test_local);
  return g_test_run ();
}
