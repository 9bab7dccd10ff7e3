/* `cloudrec-worker record ...`: the recording worker alone, the program the daemon starts per
 * task when it is installed beside `cloudrec` (common/programs.h). It runs the same
 * `cloudrec record` code but links only what a worker uses, not the daemon's libnice, WebRTC,
 * cairo, libcurl or libcrypto, so each worker maps fewer libraries (bench/README.md, "worker
 * memory"). `plugins` writes the workers' GStreamer registry (the daemon runs it at start). */
#include "cli/commands.h"
#include "cli/dispatch.h"

static const CrCommand commands[] = {
  { "record", cr_cmd_record, "record one task (the worker `cloudrec serve` starts per task)" },
  { "plugins", cr_cmd_plugins, "write the workers' GStreamer registry (`cloudrec serve` runs it)" },
  { "version", cr_cmd_version, "print the version" },
};

int
main (int argc, char **argv)
{
  return cr_cli_dispatch ("cloudrec-worker", commands, G_N_ELEMENTS (commands), argc, argv);
}
