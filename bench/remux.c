/* The remux bench's worker: cr_outputs_write (OutputFormat 1, hls+mp4) on an HLS made by
 * gen_hls.sh, the way a task's end calls it, timed by itself so that the driver (remux.mjs) gets
 * the cost of our code alone: one process per run, so its peak RSS is the run's.
 *
 * Usage: remux HLS_DIR OUT_DIR MAX_SECONDS
 * Reads HLS_DIR/index.m3u8 (#EXTINF durations, segment names), describes it as the AvMerge
 * playlist "bench/main/av" of one user (segments holding audio and video, start times back to
 * back, sizes from the files), writes the MP4 file(s) into OUT_DIR split at MAX_SECONDS and the
 * 2 GB cap, and prints one JSON object: wall and CPU seconds (getrusage RUSAGE_SELF, user + sys,
 * taken around the call only), peak RSS, and the files with their spans. */
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "bench_clock.h"

#include "files/outputs.h"
#include "task/codes.h"


/* The segments of @dir/index.m3u8 as one AvMerge playlist starting at @t0. */
static CrPlaylist *
playlist_read (const char *dir, gint64 t0, GError **error)
{
  g_autofree char *m3u8 = g_build_filename (dir, "index.m3u8", NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (m3u8, &text, NULL, error))
    return NULL;
  CrPlaylist *pl = cr_playlist_new ("bench", "main", FALSE, -1, t0);
  pl->audio_channels = 1;
  pl->audio_rate = 48000;
  pl->video_width = 640;
  pl->video_height = 360;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  double duration = -1, at_ms = (double)t0;
  for (char **l = lines; *l != NULL; l++) {
    g_strstrip (*l);
    if (g_str_has_prefix (*l, "#EXTINF:")) {
      duration = g_ascii_strtod (*l + 8, NULL);
    } else if (**l != '\0' && **l != '#' && duration >= 0) {
      g_autofree char *path = g_build_filename (dir, *l, NULL);
      struct stat st;
      if (stat (path, &st) != 0) {
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no segment %s", path);
        cr_playlist_free (pl);
        return NULL;
      }
      cr_playlist_add (pl, *l, (gint64)at_ms, duration, (guint64)st.st_size, FALSE);
      CrSegment *s = g_ptr_array_index (pl->segments, pl->segments->len - 1);
      s->media = CR_SEGMENT_AUDIO | CR_SEGMENT_VIDEO;
      at_ms += duration * 1000.0;
      duration = -1;
    }
  }
  pl->ended = TRUE;
  return pl;
}

int
main (int argc, char **argv)
{
  if (argc != 4) {
    fprintf (stderr, "usage: remux HLS_DIR OUT_DIR MAX_SECONDS\n");
    return 2;
  }
  gst_init (NULL, NULL);
  g_autoptr (GError) error = NULL;
  CrPlaylist *pl = playlist_read (argv[1], 1700000000000, &error);
  if (pl == NULL) {
    fprintf (stderr, "remux: %s\n", error->message);
    return 1;
  }
  g_autoptr (GHashTable) playlists
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)cr_playlist_free);
  g_hash_table_insert (playlists, g_strdup ("bench/main/av"), pl);
  CrNamingTask naming = { .sdk_app_id = 1400000001, .room_id = "bench", .task_id = "bench" };
  CrOutputOptions o = { .segment_dir = argv[1],
                        .out_dir = argv[2],
                        .naming = &naming,
                        .output_format = CR_OUTPUT_HLS_MP4,
                        .max_ms = (gint64)(g_ascii_strtod (argv[3], NULL) * 1000.0),
                        .max_bytes = CR_OUTPUT_MAX_BYTES,
                        .playlists = playlists };
  g_autoptr (GPtrArray) written
      = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_output_file_free);
  double w0 = bench_now_s (), c0 = bench_cpu_s ();
  gboolean ok = cr_outputs_write (&o, written, &error);
  double wall = bench_now_s () - w0, cpu = bench_cpu_s () - c0;
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  printf (
      "{\"ok\":%s,\"wall_s\":%.3f,\"cpu_s\":%.3f,\"max_rss_kb\":%ld,\"segments\":%u,\"files\":[",
      ok ? "true" : "false", wall, cpu, ru.ru_maxrss, pl->segments->len);
  for (guint i = 0; i < written->len; i++) {
    const CrOutputFile *f = g_ptr_array_index (written, i);
    printf ("%s{\"name\":\"%s\",\"start_ms\":%" G_GINT64_FORMAT ",\"end_ms\":%" G_GINT64_FORMAT "}",
            i ? "," : "", f->name, f->start_ms, f->end_ms);
  }
  printf ("]%s%s%s}\n", ok ? "" : ",\"error\":\"", ok ? "" : error->message, ok ? "" : "\"");
  return ok ? 0 : 1;
}
