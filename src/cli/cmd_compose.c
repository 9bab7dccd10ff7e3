/* `cloudrec compose --in DIR --out FILE.mp4 --params JSON|@file`: a new mixed video from a
 * finished single-stream recording (tools/compose.h). The daemon's CloudrecCreateCompose runs
 * this command as its job, with --progress-lines: "progress <0..100>" lines on stdout. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

#include "cli/commands.h"
#include "common/api_error.h"
#include "common/json_util.h"
#include "tools/compose.h"

typedef struct {
  gboolean lines;
  gboolean tty;
} Progress;

static void
compose_progress (int percent, gpointer data)
{
  const Progress *p = data;
  if (p->lines) {
    printf ("progress %d\n", percent);
    fflush (stdout);
  } else if (p->tty) {
    fprintf (stderr, "\rcompose: %3d%%", percent);
    if (percent >= 100)
      fputc ('\n', stderr);
  } else if (percent % 10 == 0) {
    fprintf (stderr, "compose: %d%%\n", percent);
  }
}

/* A picture left out: on stderr, and as a "warning <text>" line for the daemon's job. */
static void
compose_warning (const char *text, gpointer data)
{
  const Progress *p = data;
  if (p->tty)
    fputc ('\n', stderr);
  fprintf (stderr, "cloudrec compose: warning: %s\n", text);
  if (p->lines) {
    printf ("warning %s\n", text);
    fflush (stdout);
  }
}

/* Removes the files of the temporary image cache @dir, then @dir. */
static void
compose_remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    g_remove (path);
  }
  g_rmdir (dir);
}

/* @text, or the contents of the file after "@". */
static char *
compose_params_text (const char *arg, GError **error)
{
  if (arg[0] != '@')
    return g_strdup (arg);
  char *text = NULL;
  return g_file_get_contents (arg + 1, &text, NULL, error) ? text : NULL;
}

int
cr_cmd_compose (int argc, char **argv)
{
  char *in = NULL, *out = NULL, *params = NULL, *image_cache = NULL, *fetch_deny = NULL;
  gboolean lines = FALSE;
  GOptionEntry entries[] = {
    { "in", 0, 0, G_OPTION_ARG_FILENAME, &in, "the finished task's directory (single-stream HLS)",
      "DIR" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "the MP4 to write", "FILE.mp4" },
    { "params", 0, 0, G_OPTION_ARG_STRING, &params,
      "{\"MixLayoutParams\":{...},\"MixTranscodeParams\":{...}} as in CreateCloudRecording "
      "(watermarks: MixLayoutParams.WaterMarkList), or @file",
      "JSON|@FILE" },
    { "progress-lines", 0, 0, G_OPTION_ARG_NONE, &lines,
      "print \"progress N\" (and \"warning TEXT\") lines on stdout", NULL },
    { "image-cache", 0, 0, G_OPTION_ARG_FILENAME, &image_cache,
      "where pictures by URL are downloaded once (default: a temporary directory)", "DIR" },
    { "fetch-deny", 0, 0, G_OPTION_ARG_STRING, &fetch_deny,
      "address ranges pictures are never fetched from, as the daemon's fetch-deny "
      "(default: link-local)",
      "CIDR,..." },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- a new mixed MP4 from a recording");
  g_option_context_set_summary (
      ctx, "Composes the single-stream HLS of a finished task into one mixed MP4 (H.264 + AAC)\n"
           "with the layout, watermarks and transcode parameters of a mixed CreateCloudRecording,\n"
           "faster than real time. The timeline runs from the earliest segment to the latest\n"
           "segment end; users are laid out over who is present at each moment (docs/compose.md).");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  char **args = g_new0 (char *, argc + 2);
  args[0] = (char *)"cloudrec compose";
  for (int i = 0; i < argc; i++)
    args[i + 1] = argv[i];
  int n = argc + 1;
  char **parse = args;
  gboolean parsed = g_option_context_parse (ctx, &n, &parse, &error);
  g_free (args);
  if (!parsed) {
    fprintf (stderr, "cloudrec compose: %s\n", error->message);
    return 2;
  }
  if (in == NULL || out == NULL) {
    fprintf (stderr, "cloudrec compose: --in DIR and --out FILE.mp4 are required\n");
    return 2;
  }
  g_autofree char *text = compose_params_text (params != NULL ? params : "{}", &error);
  g_autoptr (JsonObject) obj = text != NULL ? cr_json_parse_object (text, strlen (text), &error) : NULL;
  if (obj == NULL) {
    fprintf (stderr, "cloudrec compose: --params: %s\n", error->message);
    return 2;
  }
  g_autoptr (CrTaskSpec) spec = cr_compose_spec_new (obj, &error);
  if (spec == NULL) {
    fprintf (stderr, "cloudrec compose: --params: %s\n", error->message);
    return 2;
  }
  gst_init (NULL, NULL);
  Progress p = { lines, isatty (2) };
  g_autofree char *tmp_cache = image_cache == NULL ? g_dir_make_tmp ("cloudrec-images-XXXXXX", NULL)
                                                    : NULL;
  CrComposeOptions o = { .in_dir = in,
                         .out_path = out,
                         .spec = spec,
                         .progress = compose_progress,
                         .progress_data = &p,
                         .image_dir = image_cache != NULL ? image_cache : tmp_cache,
                         .fetch_deny = fetch_deny,
                         .warning = compose_warning,
                         .warning_data = &p };
  CrComposeResult r = { 0 };
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = cr_compose_run (&o, &r, &error);
  if (tmp_cache != NULL)
    compose_remove_dir (tmp_cache);
  if (!ok) {
    fprintf (stderr, "cloudrec compose: %s\n", error->message);
    return 1;
  }
  double took = (double)(g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  double media = (double)(r.end_ms - r.start_ms) / 1000.0;
  fprintf (stderr, "cloudrec compose: %s: %.3f s of %u stream(s), %u run(s), in %.2f s (%.1fx)\n",
           out, media, r.streams, r.runs, took, took > 0 ? media / took : 0.0);
  g_free (in);
  g_free (out);
  g_free (params);
  g_free (image_cache);
  g_free (fetch_deny);
  return 0;
}
