/* One subcommand per run; see dispatch.h. */
#include "cli/dispatch.h"

#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static void
usage (FILE *out, const char *program, const CrCommand *commands, guint n_commands)
{
  fprintf (out, "usage: %s <command> [options]\n\ncommands:\n", program);
  for (guint i = 0; i < n_commands; i++)
    fprintf (out, "  %-12s %s\n", commands[i].name, commands[i].help);
}

int
cr_cli_dispatch (const char *program, const CrCommand *commands, guint n_commands, int argc,
                 char **argv)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
    usage (argc < 2 ? stderr : stdout, program, commands, n_commands);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp (argv[1], "--version") == 0)
    return cr_cmd_version (0, NULL);
  for (guint i = 0; i < n_commands; i++) {
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 2, argv + 2);
  }
  fprintf (stderr, "%s: unknown command \"%s\"\n\n", program, argv[1]);
  usage (stderr, program, commands, n_commands);
  return 2;
}
