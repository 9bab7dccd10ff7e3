/* Running one subcommand: `cloudrec <command>` and `cloudrec-worker record` share it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *help;
} CrCommand;

/* Runs the command named by @argv[1] with the arguments after it, or prints @program's usage
 * (--help; to stderr with status 2 when the command is missing or unknown). --version prints the
 * version. Returns the exit status. */
int cr_cli_dispatch (const char *program, const CrCommand *commands, guint n_commands, int argc,
                     char **argv);

G_END_DECLS
