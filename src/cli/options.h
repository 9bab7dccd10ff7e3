/* Flag parsing shared by the subcommands that use GOption (usersig, publish). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Parses @argv (the arguments after the subcommand) against @entries. FALSE with @error on a bad
 * flag or a left-over argument. @command names the program in --help ("cloudrec publish"). */
gboolean cr_cli_parse (const char *command, const char *summary, const GOptionEntry *entries,
                       int argc, char **argv, GError **error);

G_END_DECLS
