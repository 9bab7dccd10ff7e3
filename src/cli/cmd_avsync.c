/* `cloudrec avsync FILE...`: the A/V sync of recorded files that hold both audio and video (an MP4,
 * or AvMerge TS segments in order), measured on `cloudrec publish`'s flashes and beeps; prints
 * the report as JSON. The same measurement the recorder writes beside each recording.
 * `cloudrec avsync --playlists VIDEO.m3u8 AUDIO.m3u8`: the same for a single-stream recording's
 * separate video and audio playlists, each segment at its FILE-ATTR time. */
#include <gst/gst.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "media/avsync.h"

/* A playlist's segments with their FILE-ATTR start times; the paths are kept in @keep. */
static GArray *
avsync_playlist (const char *m3u8, GPtrArray *keep, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (m3u8, &text, NULL, error))
    return NULL;
  g_autofree char *dir = g_path_get_dirname (m3u8);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (CrAvsyncFile));
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  gint64 start = -1;
  for (guint i = 0; lines[i] != NULL; i++) {
    char *l = g_strstrip (lines[i]);
    if (g_str_has_prefix (l, "#EXT-X-TRTC-FILE-ATTR:"))
      start = g_ascii_strtoll (l + strlen ("#EXT-X-TRTC-FILE-ATTR:"), NULL, 10);
    else if (*l != '\0' && *l != '#') {
      char *path = g_build_filename (dir, l, NULL);
      g_ptr_array_add (keep, path);
      CrAvsyncFile f = { path, start };
      g_array_append_val (out, f);
    }
  }
  return out;
}

int
cr_cmd_avsync (int argc, char **argv)
{
  g_auto (GStrv) files = NULL;
  gboolean playlists = FALSE;
  GOptionEntry entries[] = {
    { "playlists", 0, 0, G_OPTION_ARG_NONE, &playlists,
      "the two files are a video and an audio playlist (single-stream)", NULL },
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
  if (playlists) {
    if (n != 2) {
      fprintf (stderr, "cloudrec avsync: --playlists VIDEO.m3u8 AUDIO.m3u8\n");
      return 2;
    }
    g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (GArray) v = avsync_playlist (files[0], keep, &error);
    g_autoptr (GArray) a = v != NULL ? avsync_playlist (files[1], keep, &error) : NULL;
    CrAvsyncReport r;
    if (a == NULL
        || !cr_avsync_measure ((CrAvsyncFile *)v->data, v->len, (CrAvsyncFile *)a->data, a->len, &r,
                               &error)) {
      fprintf (stderr, "cloudrec avsync: %s\n", error->message);
      return 1;
    }
    g_autofree char *json = cr_avsync_report_to_json (&r);
    printf ("%s\n", json);
    return 0;
  }
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
