/* The disk guard (free space against disk-min-free-mb) and storage retention (finished tasks'
 * local directories removed after their time, nothing live, nothing outside the storage dir). */
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/api_error.h"
#include "store/task_store.h"
#include "upload/disk_guard.h"
#include "upload/retention.h"

static void
test_disk_guard (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("disk-guard-XXXXXX", &error);
  gint64 free_mb = cr_disk_free_mb (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (free_mb, >=, 0);
  const char *const dirs[] = { "/", dir, NULL };
  g_assert_true (cr_disk_guard_check (dirs, 0, &error));
  g_assert_true (cr_disk_guard_check (dirs, 1, &error) || free_mb < 1);
  g_clear_error (&error);
  /* more than any disk here has: refused, naming the first short directory and both numbers */
  g_assert_false (cr_disk_guard_check (dirs, 16777216, &error));
  g_assert_cmpstr (cr_api_error_code (error), ==, "FailedOperation");
  g_assert_nonnull (strstr (error->message, "the disk of / has"));
  g_assert_nonnull (strstr (error->message, "16777216 MiB"));
  g_clear_error (&error);
  const char *const missing[] = { "/nonexistent/cloudrec-disk-guard", NULL };
  g_assert_false (cr_disk_guard_check (missing, 1, &error));
  g_assert_cmpstr (cr_api_error_code (error), ==, "FailedOperation");
  g_assert_nonnull (strstr (error->message, "/nonexistent/cloudrec-disk-guard"));
  g_assert_cmpint (cr_disk_free_mb ("/nonexistent/cloudrec-disk-guard", NULL), ==, -1);
  g_rmdir (dir);
}

static CrTask *
task_with (const char *id, const char *prefix_json, gint64 t0)
{
  CrTask *t = cr_task_new ();
  t->task_id = g_strdup (id);
  t->sdk_app_id = 1400000001;
  t->room_id = g_strdup ("1");
  t->room_id_type = 1;
  t->user_id = g_strdup ("rec");
  t->status = CR_TASK_IDLE;
  t->leave_code = -1;
  t->params_json = g_strdup_printf (
      "{\"StorageParams\":{\"CloudStorage\":{\"Vendor\":0,\"FileNamePrefix\":%s}}}", prefix_json);
  t->created_ms = t->updated_ms = t0;
  t->expires_ms = t0 + 3600000;
  return t;
}

static char *
make_recording (const char *root, const char *key)
{
  char *dir = g_build_filename (root, key, NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_autofree char *f = g_build_filename (dir, "a.m3u8", NULL);
  g_assert_true (g_file_set_contents (f, "#EXTM3U\n", -1, NULL));
  g_autofree char *sub = g_build_filename (dir, ".hls", NULL);
  g_mkdir (sub, 0755);
  g_autofree char *f2 = g_build_filename (sub, "x.ts", NULL);
  g_assert_true (g_file_set_contents (f2, "ts", -1, NULL));
  return dir;
}

static void
test_retention (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("retention-XXXXXX", &error);
  g_autofree char *db = g_build_filename (tmp, "t.db", NULL);
  g_autofree char *root = g_build_filename (tmp, "storage", NULL);
  g_autofree char *outside = g_build_filename (tmp, "outside", NULL);
  g_mkdir (root, 0755);
  g_autoptr (CrTaskStore) store = cr_sqlite_store_open (db, &error);
  g_assert_no_error (error);
  const gint64 t0 = 1700000000000;
  struct {
    const char *id, *prefix;
  } rows[]
      = { { "T-old", "[\"p\",\"q\"]" }, { "T-new", "[\"p\",\"q\"]" }, { "T-live", "[\"p\",\"q\"]" },
          { "T-unfinished", "[]" },     { "T-link", "[\"l\"]" },      { "T-bad", "[\"..\"]" } };
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
    g_autoptr (CrTask) t = task_with (rows[i].id, rows[i].prefix, t0);
    g_assert_true (store->vt->insert (store, t, 100, &error));
  }
  g_autofree char *d_old = make_recording (root, "p/q/T-old");
  g_autofree char *d_new = make_recording (root, "p/q/T-new");
  g_autofree char *d_live = make_recording (root, "p/q/T-live");
  g_autofree char *d_unf = make_recording (root, "T-unfinished");
  /* a prefix directory that is a symbolic link out of the storage dir */
  g_autofree char *d_out = make_recording (outside, "T-link");
  g_autofree char *l = g_build_filename (root, "l", NULL);
  g_assert_cmpint (symlink (outside, l), ==, 0);
  g_autofree char *d_bad = make_recording (tmp, "T-bad"); /* <root>/../T-bad */
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
    if (strcmp (rows[i].id, "T-live") == 0)
      continue;
    g_assert_true (store->vt->set_status (store, 1400000001, rows[i].id, CR_TASK_EXITED, 0,
                                          t0 + 1000, NULL, &error));
    if (strcmp (rows[i].id, "T-unfinished") != 0)
      g_assert_true (store->vt->finish (store, 1400000001, rows[i].id,
                                        strcmp (rows[i].id, "T-new") == 0 ? t0 + 50000 : t0 + 2000,
                                        NULL, &error));
  }
  g_assert_no_error (error);
  CrTask probe = { .task_id = (char *)"T-bad",
                   .params_json = (char *)"{\"StorageParams\":{\"CloudStorage\":{"
                                          "\"FileNamePrefix\":[\"..\"]}}}" };
  g_assert_null (cr_retention_task_key (&probe));
  probe.params_json = (char *)"{\"StorageParams\":{\"CloudStorage\":{\"FileNamePrefix\":[\"a\"]}}}";
  g_autofree char *key = cr_retention_task_key (&probe);
  g_assert_cmpstr (key, ==, "a/T-bad");

  g_autoptr (CrRetention) r = cr_retention_new (store, root, 10000);
  /* nothing is old enough yet */
  g_assert_cmpuint (cr_retention_sweep (r, t0 + 11000), ==, 0);
  g_assert_true (g_file_test (d_old, G_FILE_TEST_IS_DIR));
  /* T-old finished at +2 s: gone at +12 s; the rest stays (the link out of the storage dir is
   * reported and left alone) */
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "*T-link is not inside the storage*");
  g_assert_cmpuint (cr_retention_sweep (r, t0 + 12000), ==, 1);
  g_test_assert_expected_messages ();
  g_assert_false (g_file_test (d_old, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (d_new, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (d_live, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (d_unf, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (d_bad, G_FILE_TEST_IS_DIR));
  g_autofree char *out_file = g_build_filename (d_out, "a.m3u8", NULL);
  g_assert_true (g_file_test (out_file, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (l, G_FILE_TEST_EXISTS));
  /* T-new's turn; its emptied prefix directories go too, the storage dir stays */
  g_assert_cmpuint (cr_retention_sweep (r, t0 + 60000), ==, 1);
  g_assert_false (g_file_test (d_new, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (d_live, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (root, G_FILE_TEST_IS_DIR));
  /* much later: live and unfinished tasks are still never touched */
  g_assert_cmpuint (cr_retention_sweep (r, t0 + 999999999), ==, 0);
  g_assert_true (g_file_test (d_live, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (d_unf, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (out_file, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (d_bad, G_FILE_TEST_IS_DIR));
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (cmd), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/disks/guard", test_disk_guard);
  g_test_add_func ("/disks/retention", test_retention);
  return g_test_run ();
}
