/* `cloudrec compose --in DIR --out FILE.mp4 --params JSON|@file`: a new mixed video from a
 * finished single-stream recording (tools/compose.h). The daemon's CloudrecCreateCompose runs
 * this command as its job, with --progress-lines: "progress <0..100>" lines on stdout. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

#include "common/file_util.h"
#include "cli/commands.h"
#include "common/api_error.h"
#include "common/json_util.h"
#include "tools/compose.h"
#include "tools/s3_prefix.h"

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
  g_autofree char *endpoint = NULL, *region = NULL;
  int vendor = 1;
  gboolean lines = FALSE;
  gint64 from_ms = 0, to_ms = 0;
  GOptionEntry entries[] = {
    { "in", 0, 0, G_OPTION_ARG_FILENAME, &in,
      "the finished task's directory (single-stream HLS), or its s3://BUCKET/PREFIX", "DIR" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "the MP4 to write, or s3://BUCKET/KEY.mp4",
      "FILE.mp4" },
    { "s3-endpoint", 0, 0, G_OPTION_ARG_STRING, &endpoint,
      "an S3-compatible server for s3:// (http(s)://host[:port], path-style)", "URL" },
    { "s3-vendor", 0, 0, G_OPTION_ARG_INT, &vendor,
      "without --s3-endpoint: 0 COS, 1 AWS S3 (default)", "0|1" },
    { "s3-region", 0, 0, G_OPTION_ARG_STRING, &region, "the S3 region (default us-east-1)",
      "REGION" },
    { "params", 0, 0, G_OPTION_ARG_STRING, &params,
      "{\"MixLayoutParams\":{...},\"MixTranscodeParams\":{...}} as in CreateCloudRecording "
      "(watermarks: MixLayoutParams.WaterMarkList), or @file",
      "JSON|@FILE" },
    { "from-ms", 0, 0, G_OPTION_ARG_INT64, &from_ms,
      "leave out what was recorded before this Unix ms (the playlists' FILE-ATTR times)", "MS" },
    { "to-ms", 0, 0, G_OPTION_ARG_INT64, &to_ms, "leave out what was recorded from this Unix ms on",
      "MS" },
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
           "segment end; users are laid out over who is present at each moment (docs/compose.md).\n"
           "--in and --out also take s3:// locations, with the key from AWS_ACCESS_KEY_ID and\n"
           "AWS_SECRET_ACCESS_KEY; the recording is downloaded into a temporary directory.");
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
  if (from_ms < 0 || to_ms < 0 || (to_ms > 0 && to_ms <= from_ms)) {
    fprintf (stderr, "cloudrec compose: --from-ms and --to-ms are Unix ms, --to-ms after --from-ms\n");
    return 2;
  }
  g_autofree char *text = compose_params_text (params != NULL ? params : "{}", &error);
  g_autoptr (JsonObject) obj
      = text != NULL ? cr_json_parse_object (text, strlen (text), &error) : NULL;
  if (obj == NULL) {
    fprintf (stderr, "cloudrec compose: --params: %s\n", error->message);
    return 2;
  }
  g_autoptr (CrTaskSpec) spec = cr_compose_spec_new (obj, &error);
  if (spec == NULL) {
    fprintf (stderr, "cloudrec compose: --params: %s\n", error->message);
    return 2;
  }
  if (endpoint != NULL && !g_str_has_prefix (endpoint, "http://")
      && !g_str_has_prefix (endpoint, "https://")) {
    fprintf (stderr, "cloudrec compose: --s3-endpoint wants http(s)://host[:port]\n");
    return 2;
  }
  g_auto (CrS3Loc) in_loc = { 0 }, out_loc = { 0 };
  g_autofree char *out_name = NULL;
  if (g_str_has_prefix (in, "s3://") && !cr_s3_loc_parse (in, &in_loc)) {
    fprintf (stderr, "cloudrec compose: --in s3://BUCKET[/PREFIX]\n");
    return 2;
  }
  if (g_str_has_prefix (out, "s3://")) {
    if (!cr_s3_loc_parse (out, &out_loc) || out_loc.prefix[0] == '\0') {
      fprintf (stderr, "cloudrec compose: --out s3://BUCKET/KEY.mp4\n");
      return 2;
    }
    char *slash = strrchr (out_loc.prefix, '/');
    out_name = g_strdup (slash != NULL ? slash + 1 : out_loc.prefix);
    if (slash != NULL)
      *slash = '\0';
    else
      out_loc.prefix[0] = '\0';
  }
  g_autofree char *tmp = NULL;
  g_autoptr (CrS3Client) in_client = NULL, out_client = NULL;
  const char *in_dir = in, *out_path = out;
  g_autofree char *tmp_out = NULL;
  int status = 1;
  if (in_loc.bucket != NULL || out_loc.bucket != NULL) {
    tmp = g_dir_make_tmp ("cloudrec-compose-XXXXXX", &error);
    if (tmp == NULL)
      goto fail;
  }
  if (in_loc.bucket != NULL) {
    in_client = cr_s3_client_from_env (&in_loc, endpoint, vendor,
                                       region != NULL ? region : "us-east-1", &error);
    if (in_client == NULL) {
      status = 2;
      goto fail;
    }
    g_autoptr (GHashTable) sizes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr (GHashTable) playlists
        = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    if (!cr_s3_prefix_load (in_client, &in_loc, tmp, sizes, playlists, &error)
        || !cr_s3_prefix_fetch_segments (in_client, &in_loc, tmp, sizes, playlists, &error)) {
      g_prefix_error (&error, "%s: ", in);
      goto fail;
    }
    in_dir = tmp;
  }
  if (out_loc.bucket != NULL) {
    out_client = cr_s3_client_from_env (&out_loc, endpoint, vendor,
                                        region != NULL ? region : "us-east-1", &error);
    if (out_client == NULL) {
      status = 2;
      goto fail;
    }
    tmp_out = g_build_filename (tmp, out_name, NULL);
    out_path = tmp_out;
  }
  {
    gst_init (NULL, NULL);
    Progress p = { lines, isatty (2) };
    g_autofree char *tmp_cache
        = image_cache == NULL ? g_dir_make_tmp ("cloudrec-images-XXXXXX", NULL) : NULL;
    CrComposeOptions o = { .in_dir = in_dir,
                           .out_path = out_path,
                           .spec = spec,
                           .progress = compose_progress,
                           .progress_data = &p,
                           .image_dir = image_cache != NULL ? image_cache : tmp_cache,
                           .fetch_deny = fetch_deny,
                           .warning = compose_warning,
                           .warning_data = &p,
                           .from_ms = from_ms,
                           .to_ms = to_ms };
    CrComposeResult r = { 0 };
    gint64 t0 = g_get_monotonic_time ();
    gboolean ok = cr_compose_run (&o, &r, &error);
    if (tmp_cache != NULL)
      cr_file_remove_tree (tmp_cache);
    if (!ok)
      goto fail;
    if (out_loc.bucket != NULL) {
      if (!cr_s3_prefix_put (out_client, &out_loc, out_name, out_path, &error))
        goto fail;
      /* The daemon's job reports where it went. */
      if (lines) {
        printf ("stored %s\n", out);
        fflush (stdout);
      }
    }
    if (tmp != NULL)
      cr_file_remove_tree (tmp);
    double took = (double)(g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
    double media = (double)(r.end_ms - r.start_ms) / 1000.0;
    fprintf (stderr, "cloudrec compose: %s: %.3f s of %u stream(s), %u run(s), in %.2f s (%.1fx)\n",
             out, media, r.streams, r.runs, took, took > 0 ? media / took : 0.0);
  }
  status = 0;
  goto out;
fail:
  fprintf (stderr, "cloudrec compose: %s\n", error->message);
  if (tmp != NULL)
    cr_file_remove_tree (tmp);
out:
  g_free (in);
  g_free (out);
  g_free (params);
  g_free (image_cache);
  g_free (fetch_deny);
  return status;
}
