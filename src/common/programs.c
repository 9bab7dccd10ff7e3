/* Finding this project's programs beside the running one; see programs.h. */
#include "programs.h"

#include <unistd.h>

char *
cr_program_self (GError **error)
{
  return g_file_read_link ("/proc/self/exe", error);
}

char *
cr_program_beside_self (const char *name)
{
  g_autofree char *self = cr_program_self (NULL);
  if (self == NULL)
    return NULL;
  g_autofree char *dir = g_path_get_dirname (self);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || access (path, X_OK) != 0)
    return NULL;
  return g_steal_pointer (&path);
}

char *
cr_program_main (GError **error)
{
  g_autofree char *self = cr_program_self (error);
  if (self == NULL)
    return NULL;
  g_autofree char *base = g_path_get_basename (self);
  if (g_strcmp0 (base, CR_WORKER_PROGRAM) != 0)
    return g_steal_pointer (&self);
  char *main_program = cr_program_beside_self (CR_MAIN_PROGRAM);
  if (main_program == NULL)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no %s beside %s", CR_MAIN_PROGRAM, self);
  return main_program;
}
