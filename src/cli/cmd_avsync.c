/* `cloudrec avsync FILE...`: the A/V sync of recorded files that hold both audio and video (an MP4,
 * or AvMerge TS segments in order), measured on `cloudrec publish`'s flashes and beeps; prints
 * the report as JSON. The same measurement the recorder writes beside each recording. */
#include <gst/gst.h>
#include <stdio.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "media/avsync.h"

int
cr_cmd_avsync (int argc, char **argv)
{
  g_auto (GStrv) files = NULL;
  GOptionEntry entries[] = {
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "FILE..." },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;
  if (!cr_cli_parse ("cloudrec avsync", "FILE... - measure the A/V sync of recorded files", entries,
                     argc, argv, &error)
      || files == NULL) {
    fprintf (stderr, "cloudrec avsync: %s\n", error != NULL ? error->message : "no file given");
    return 2;
  }
  if (!gst_init_check (NULL, NULL, &error)) {
    fprintf (stderr, "cloudrec avsync: %s\n", error->message);
    return 1;
  }
  guint n = g_strv_length (files);
  g_autofree CrAvsyncFile *list = g_new0 (CrAvsyncFile, n);
  for (guint i = 0; i < n; i++)
    list[i] = (CrAvsyncFile){ files[i], -1 }; /* back to back */
  CrAvsyncReport report;
  if (!cr_avsync_measure (list, n, list, n, &report, &error)) {
    fprintf (stderr, "cloudrec avsync: %s\n", error->message);
    return 1;
  }
  g_autofree char *json = cr_avsync_report_to_json (&report);
  printf ("%s\n", json);
  return 0;
}
