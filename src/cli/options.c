/* See options.h. */
#include "cli/options.h"

gboolean
cr_cli_parse (const char *command, const char *summary, const GOptionEntry *entries, int argc,
              char **argv, GError **error)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new (summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  /* GOption wants argv[0]; the subcommand's arguments start after it. */
  g_autofree char **args = g_new0 (char *, argc + 2);
  args[0] = (char *)command;
  for (int i = 0; i < argc; i++)
    args[i + 1] = argv[i];
  int n = argc + 1;
  char **p = args;
  if (!g_option_context_parse (ctx, &n, &p, error))
    return FALSE;
  if (n > 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unexpected argument \"%s\"", p[1]);
    return FALSE;
  }
  return TRUE;
}
