/* `cloudrec merge -f DIR [-m 0|1] [-s] [-a 0|1|2] [-p FPS] [-r W H] [-b] [--dry-run]`: the seeds'
 * single-stream merge script (TRTC_Merge.py), with its options, defaults and output names.
 * Plans with tools/merge_plan, makes each file with tools/merge_run (docs/merge.md). */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "tools/merge_plan.h"
#include "tools/merge_run.h"

#define MERGE_DESCRIPTION                                                                          \
  "Merges each user's single-stream recording (the HLS playlists and TS segments of one task,\n"   \
  "main and aux, audio and video, ha<n>_ failover files included) into files in DIR:\n"            \
  "  <UserId>_<timestamp>_av.mp4   a user with video\n"                                            \
  "  <UserId>_<timestamp>.m4a      a user with audio only\n"                                       \
  "<UserId> is the user as the recording's file names write it (base64, '/'->'-', '='->'.');\n"    \
  "<timestamp> is the 17-digit UTC time (YYYYMMDDhhmmssSSS) in the name of the output's first\n"   \
  "slice (.ts), as the seeds' TRTC_Merge.py names it.\n"                                           \
  "A user's slices more than 15 s apart with no audio or video between them are two segments.\n"   \
  "H.264 and AAC are copied as they are where nothing needs filling or scaling; gaps, size or\n"   \
  "rate changes, -r and -p are encoded (x264, AAC).\n"                                             \
  "Exit status: 0 done, 1 a recording problem (no recording, a broken playlist, a missing or\n"    \
  "truncated segment, mismatched tracks: the message names the file), 2 a usage error."

static int
merge_usage_error (const char *msg)
{
  fprintf (stderr, "cloudrec merge: %s (see cloudrec merge --help)\n", msg);
  return 2;
}

typedef struct {
  gboolean tty;
  const char *name;
  guint index, count;
  int last_pct;
} Progress;

static void
merge_progress (double done_s, double total_s, gpointer data)
{
  Progress *p = data;
  int pct = total_s > 0 ? (int)CLAMP (done_s * 100 / total_s, 0, 100) : 100;
  if (pct == p->last_pct)
    return;
  p->last_pct = pct;
  if (p->tty) {
    char bar[31];
    int fill = pct * 30 / 100;
    memset (bar, '#', fill);
    memset (bar + fill, '-', 30 - fill);
    bar[30] = '\0';
    fprintf (stderr, "\r[%s] %3d%% %u/%u %s", bar, pct, p->index + 1, p->count, p->name);
  } else if (pct % 25 == 0 || pct == 100) {
    fprintf (stderr, "merge: %u/%u %s %d%%\n", p->index + 1, p->count, p->name, pct);
  }
  fflush (stderr);
}

/* "-r W H" (the seeds' form) becomes "-r W:H" for GOption. */
static char **
join_size_args (int argc, char **argv, int *out_argc)
{
  char **args = g_new0 (char *, argc + 2);
  int n = 0;
  args[n++] = g_strdup ("cloudrec merge");
  for (int i = 0; i < argc; i++) {
    if (strcmp (argv[i], "-r") == 0 && i + 2 < argc && g_ascii_isdigit (argv[i + 1][0])
        && g_ascii_isdigit (argv[i + 2][0])) {
      args[n++] = g_strdup ("-r");
      args[n++] = g_strdup_printf ("%s:%s", argv[i + 1], argv[i + 2]);
      i += 2;
    } else
      args[n++] = g_strdup (argv[i]);
  }
  *out_argc = n;
  return args;
}

static gboolean
load_dir (const char *dir, GHashTable *sizes, GHashTable *playlists, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return FALSE;
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    GStatBuf st;
    if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode))
      continue;
    gint64 size = st.st_size;
    g_hash_table_insert (sizes, g_strdup (name), g_memdup2 (&size, sizeof size));
    if (g_str_has_suffix (name, ".m3u8")) {
      char *text = NULL;
      if (!g_file_get_contents (path, &text, NULL, error))
        return FALSE;
      g_hash_table_insert (playlists, g_strdup (name), text);
    }
  }
  return TRUE;
}

int
cr_cmd_merge (int argc, char **argv)
{
  g_autofree char *dir = NULL, *size = NULL;
  int mode = 0, av = 0, fps = -1;
  gboolean drop_gaps = FALSE, black = FALSE, dry_run = FALSE;
  GOptionEntry entries[] = {
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &dir, "the recording's directory (required)", "DIR" },
    { "mode", 'm', 0, G_OPTION_ARG_INT, &mode,
      "0: a file per segment (default); 1: one file per user, the gaps filled", "0|1" },
    { "save", 's', 0, G_OPTION_ARG_NONE, &drop_gaps,
      "with -m 1: leave the gaps between segments out", NULL },
    { "av", 'a', 0, G_OPTION_ARG_INT, &av,
      "0: main video with the audio (default); 1: main video, or aux where there is no main; "
      "2: aux video with the audio",
      "0|1|2" },
    { "fps", 'p', 0, G_OPTION_ARG_INT, &fps,
      "frame rate of the video (default 15 where encoded; 5..120, clamped); given, the video is "
      "encoded at it",
      "FPS" },
    { "resolution", 'r', 0, G_OPTION_ARG_STRING, &size, "output picture size (-r 640 360)", "W H" },
    { "black", 'b', 0, G_OPTION_ARG_NONE, &black,
      "black where there is no video (default: the last picture)", NULL },
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run,
      "print the files that would be made (and copy or why encoded), make none", NULL },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- merge a single-stream recording");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx, MERGE_DESCRIPTION);
  int n = 0;
  g_auto (GStrv) args = join_size_args (argc, argv, &n);
  g_autofree char **view = g_memdup2 (args, sizeof (char *) * (n + 1)); /* parse reorders */
  char **p = view;
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &n, &p, &error))
    return merge_usage_error (error->message);
  if (n > 1)
    return merge_usage_error ("unexpected argument");
  if (dir == NULL)
    return merge_usage_error ("-f DIR is required");
  if (mode != 0 && mode != 1)
    return merge_usage_error ("-m must be 0 or 1");
  if (av < 0 || av > 2)
    return merge_usage_error ("-a must be 0, 1 or 2");
  CrMergeOptions o = { .mode = mode, .drop_gaps = drop_gaps, .av = av, .black = black };
  o.fps_given = fps != -1;
  o.fps = o.fps_given ? CLAMP (fps, 5, 120) : 15;
  if (size != NULL
      && (sscanf (size, "%d:%d", &o.width, &o.height) != 2
          && sscanf (size, "%dx%d", &o.width, &o.height) != 2))
    return merge_usage_error ("-r wants a width and a height: -r 640 360");
  if (size != NULL
      && (o.width < 16 || o.height < 16 || o.width > 7680 || o.height > 4320 || o.width % 2
          || o.height % 2))
    return merge_usage_error ("-r: even sizes from 16x16 to 7680x4320");
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR)) {
    fprintf (stderr, "cloudrec merge: %s is not a directory\n", dir);
    return 1;
  }
  g_autoptr (GHashTable) sizes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) playlists
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (!load_dir (dir, sizes, playlists, &error)) {
    fprintf (stderr, "cloudrec merge: %s\n", error->message);
    return 1;
  }
  g_autoptr (CrMergePlan) plan = cr_merge_plan_build (sizes, playlists, &o, &error);
  if (plan == NULL) {
    fprintf (stderr, "cloudrec merge: %s: %s\n", dir, error->message);
    return 1;
  }
  if (dry_run) {
    g_autofree char *text = cr_merge_plan_describe (plan);
    fputs (text, stdout);
    return 0;
  }
  if (!gst_init_check (NULL, NULL, &error)) {
    fprintf (stderr, "cloudrec merge: %s\n", error->message);
    return 1;
  }
  Progress prog = { .tty = isatty (STDERR_FILENO), .count = plan->outputs->len };
  for (guint i = 0; i < plan->outputs->len; i++) {
    const CrMergeOutput *out = g_ptr_array_index (plan->outputs, i);
    g_autofree char *path = g_build_filename (dir, out->name, NULL);
    prog.name = out->name;
    prog.index = i;
    prog.last_pct = -1;
    if (!cr_merge_run_output (dir, out, path, merge_progress, &prog, &error)) {
      if (prog.tty)
        fputc ('\n', stderr);
      fprintf (stderr, "cloudrec merge: %s: %s\n", out->name, error->message);
      return 1;
    }
    merge_progress (out->duration_ms / 1000.0, out->duration_ms / 1000.0, &prog);
    if (prog.tty)
      fputc ('\n', stderr);
    printf ("%s\n", path);
  }
  return 0;
}
