/* `cloudrec plugins --data-dir DIR`: writes the recording workers' GStreamer registry
 * (<DIR>/gst-worker/registry.bin, media/worker_plugins.h) from the plugins the daemon linked
 * for them, so that no worker, not even the first, pays for the scan. The daemon runs it once
 * at start, as the program its workers run; it does nothing else. */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "media/worker_plugins.h"

int
cr_cmd_plugins (int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_STRING, &data_dir, "the daemon's data directory", "DIR" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;
  if (!cr_cli_parse ("cloudrec plugins", "- write the recording workers' GStreamer registry",
                     entries, argc, argv, &error)) {
    fprintf (stderr, "cloudrec plugins: %s\n", error->message);
    return 2;
  }
  if (data_dir == NULL) {
    fprintf (stderr, "cloudrec plugins: --data-dir is required\n");
    return 2;
  }
  if (!cr_worker_plugins_init (data_dir, &error)) {
    fprintf (stderr, "cloudrec plugins: %s\n", error->message);
    return 1;
  }
  return 0;
}
