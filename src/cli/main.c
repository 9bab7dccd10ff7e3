/* `cloudrec <command>`: one binary, one small file per subcommand. */
#include "cli/commands.h"
#include "cli/dispatch.h"

static const CrCommand commands[] = {
  { "serve", cr_cmd_serve, "run the daemon: TRTC-compatible API (see `cloudrec serve --help`)" },
  { "usersig", cr_cmd_usersig, "print a TRTC UserSig for a user" },
  { "record", cr_cmd_record, "record one task (the worker the daemon starts per task)" },
  { "publish", cr_cmd_publish, "publish a synthetic stream into a room over WHIP (for tests)" },
  { "avsync", cr_cmd_avsync, "measure the A/V sync of recorded files (flashes and beeps)" },
  { "merge", cr_cmd_merge, "merge a single-stream recording into one file per user or segment" },
  { "events", cr_cmd_events, "list or resend a task's callback events (through the signed API)" },
  { "compose", cr_cmd_compose, "a new mixed MP4 from a finished single-stream recording" },
  { "board-render", cr_cmd_board_render, "a whiteboard's log into a user's single-stream video" },
  { "plugins", cr_cmd_plugins, "write the workers' GStreamer registry (`cloudrec serve` runs it)" },
  { "version", cr_cmd_version, "print the version" },
};

int
main (int argc, char **argv)
{
  return cr_cli_dispatch ("cloudrec", commands, G_N_ELEMENTS (commands), argc, argv);
}
