/* `cloudrec <command>`: one binary, one small file per subcommand. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

typedef struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *help;
} Command;

static const Command commands[] = {
  { "serve", cr_cmd_serve, "run the daemon: TRTC-compatible API (see `cloudrec serve --help`)" },
  { "usersig", cr_cmd_usersig, "print a TRTC UserSig for a user" },
  { "record", cr_cmd_record, "record one task (the worker the daemon starts per task)" },
  { "publish", cr_cmd_publish, "publish a synthetic stream into a room over WHIP (for tests)" },
  { "avsync", cr_cmd_avsync, "measure the A/V sync of recorded files (flashes and beeps)" },
  { "merge", cr_cmd_merge, "merge a single-stream recording into one file per user or segment" },
  { "events", cr_cmd_events, "list or resend a task's callback events (through the signed API)" },
  { "compose", cr_cmd_compose, "a new mixed MP4 from a finished single-stream recording" },
  { "board-render", cr_cmd_board_render, "a whiteboard's log into a user's single-stream video" },
  { "version", cr_cmd_version, "print the version" },
};

static void
usage (FILE *out)
{
  fprintf (out, "usage: cloudrec <command> [options]\n\ncommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-12s %s\n", commands[i].name, commands[i].help);
}

int
main (int argc, char **argv)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
    usage (argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp (argv[1], "--version") == 0)
    return cr_cmd_version (0, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++) {
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 2, argv + 2);
  }
  fprintf (stderr, "cloudrec: unknown command \"%s\"\n\n", argv[1]);
  usage (stderr);
  return 2;
}
