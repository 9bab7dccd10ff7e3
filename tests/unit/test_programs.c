/* Finding the programs beside this one (common/programs.h): this test program copied into a
 * directory as `cloudrec-worker`, with and without a `cloudrec` beside it, answers where its main
 * program is. */
#include <glib/gstdio.h>
#include <string.h>

#include "common/programs.h"

#define PRINT_MAIN "--print-main-program"

static char *
copy_self_to (const char *dir, const char *name)
{
  g_autofree char *self = cr_program_self (NULL);
  g_assert_nonnull (self);
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (self, &contents, &len, NULL));
  char *path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, contents, (gssize)len, NULL));
  g_assert_cmpint (g_chmod (path, 0755), ==, 0);
  return path;
}

/* What the copy at @path prints for PRINT_MAIN: its main program's path, or "none". */
static char *
main_program_of (const char *path)
{
  const char *argv[] = { path, PRINT_MAIN, NULL };
  g_autofree char *out = NULL;
  int status = 0;
  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                               &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_strdup (g_strchomp (out));
}

static void
test_self_and_beside (void)
{
  g_autofree char *self = cr_program_self (NULL);
  g_assert_nonnull (self);
  g_autofree char *base = g_path_get_basename (self);
  g_assert_cmpstr (base, ==, "test_programs");
  g_autofree char *beside = cr_program_beside_self ("test_programs");
  g_assert_cmpstr (beside, ==, self);
  g_assert_null (cr_program_beside_self ("no-such-program"));
  g_assert_null (cr_program_beside_self (".")); /* a directory is no program */
  g_autofree char *main_program = cr_program_main (NULL);
  g_assert_cmpstr (main_program, ==, self); /* not the worker program: itself */
}

static void
test_worker_finds_main (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cloudrec-programs-XXXXXX", NULL);
  g_assert_nonnull (dir);
  g_autofree char *worker = copy_self_to (dir, CR_WORKER_PROGRAM);
  g_autofree char *alone = main_program_of (worker);
  g_assert_cmpstr (alone, ==, "none");
  g_autofree char *main_path = copy_self_to (dir, CR_MAIN_PROGRAM);
  g_autofree char *found = main_program_of (worker);
  g_assert_cmpstr (found, ==, main_path);
  g_autofree char *itself = main_program_of (main_path);
  g_assert_cmpstr (itself, ==, main_path);
  g_remove (worker);
  g_remove (main_path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  if (argc == 2 && strcmp (argv[1], PRINT_MAIN) == 0) {
    g_autofree char *main_program = cr_program_main (NULL);
    g_print ("%s\n", main_program != NULL ? main_program : "none");
    return 0;
  }
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/programs/self_and_beside", test_self_and_beside);
  g_test_add_func ("/programs/worker_finds_main", test_worker_finds_main);
  return g_test_run ();
}
