/* What `cloudrec compose` reads: a finished task's single-stream HLS playlists (reference §10),
 * cut into runs of segments without a discontinuity, each with its start time (FILE-ATTR) and the
 * media it holds (#EXT-X-TRTC-STREAM-TYPE; none: audio and video). A failover's "ha<n>_"
 * playlists are more runs of the same streams. Mixed playlists (MIX-STREAM 1) are skipped. */
#include "tools/compose_private.h"

#include "media/ts_retime.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

void
compose_run_free (ComposeRun *r)
{
  g_free (r->user_id);
  g_free (r->key);
  g_ptr_array_unref (r->files);
  g_free (r);
}

/* A run of @playlist's segments so far (none: nothing), added to @runs. */
static void
close_run (GPtrArray *runs, ComposeRun **open)
{
  ComposeRun *r = *open;
  *open = NULL;
  if (r == NULL)
    return;
  if (r->files->len == 0) {
    compose_run_free (r);
    return;
  }
  g_ptr_array_add (r->files, NULL);
  g_ptr_array_add (runs, r);
}

static gboolean
parse_playlist (const char *dir, const char *name, GPtrArray *runs, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return FALSE;
  if (!g_str_has_prefix (text, "#EXTM3U")) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not an HLS playlist", name);
    return FALSE;
  }
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *user = NULL;
  gboolean aux = FALSE, mixed = FALSE;
  int stream_type = -1;
  for (char **l = lines; *l != NULL; l++) {
    g_strstrip (*l);
    if (g_str_has_prefix (*l, "#EXT-X-TRTC-USER-ID:"))
      {
        g_free (user);
        user = g_strdup (*l + strlen ("#EXT-X-TRTC-USER-ID:"));
      }
    else if (g_str_has_prefix (*l, "#EXT-X-TRTC-MEDIA-ID:"))
      aux = strcmp (*l + strlen ("#EXT-X-TRTC-MEDIA-ID:"), "aux") == 0;
    else if (g_str_has_prefix (*l, "#EXT-X-TRTC-MIX-STREAM:"))
      mixed = atoi (*l + strlen ("#EXT-X-TRTC-MIX-STREAM:")) == 1;
    else if (g_str_has_prefix (*l, "#EXT-X-TRTC-STREAM-TYPE:"))
      stream_type = atoi (*l + strlen ("#EXT-X-TRTC-STREAM-TYPE:"));
  }
  if (mixed || user == NULL)
    return TRUE; /* not a single-stream playlist */
  guint media = stream_type == 0   ? COMPOSE_AUDIO
                : stream_type == 1 ? COMPOSE_VIDEO
                                   : COMPOSE_AUDIO | COMPOSE_VIDEO;
  ComposeRun *run = NULL;
  gint64 seg_start = -1;
  double seg_duration = -1;
  for (char **l = lines; *l != NULL; l++) {
    const char *line = *l;
    if (g_str_has_prefix (line, "#EXT-X-DISCONTINUITY")) {
      close_run (runs, &run);
    } else if (g_str_has_prefix (line, "#EXT-X-TRTC-FILE-ATTR:")) {
      seg_start = g_ascii_strtoll (line + strlen ("#EXT-X-TRTC-FILE-ATTR:"), NULL, 10);
    } else if (g_str_has_prefix (line, "#EXTINF:")) {
      seg_duration = g_ascii_strtod (line + strlen ("#EXTINF:"), NULL);
    } else if (*line != '\0' && *line != '#') {
      if (seg_start <= 0 || seg_duration < 0) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "%s: segment %s has no #EXT-X-TRTC-FILE-ATTR start time or #EXTINF", name,
                     line);
        return FALSE;
      }
      g_autofree char *file = g_build_filename (dir, line, NULL);
      if (!g_file_test (file, G_FILE_TEST_IS_REGULAR)) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: segment %s is missing", name,
                     line);
        return FALSE;
      }
      gint64 end = seg_start + (gint64)(seg_duration * 1000 + 0.5);
      /* A jump of more than a second between segments is a gap even without the tag. */
      if (run != NULL && llabs (seg_start - run->end_ms) > 1000)
        close_run (runs, &run);
      if (run == NULL) {
        run = g_new0 (ComposeRun, 1);
        run->user_id = g_strdup (user);
        run->aux = aux;
        run->media = media;
        run->start_ms = seg_start;
        run->files = g_ptr_array_new_with_free_func (g_free);
      }
      g_ptr_array_add (run->files, g_steal_pointer (&file));
      run->end_ms = MAX (run->end_ms, end);
      seg_start = -1;
      seg_duration = -1;
    }
  }
  close_run (runs, &run);
  return TRUE;
}

/* A run of a playlist of sound and pictures (AvMerge) can hold sound alone: the camera came on
 * later, or was unsubscribed for a while (each such change starts a new run). Its first file
 * says which: without a video PES the run is audio, so the layout treats the user as a
 * microphone and no decoder waits for pictures that never come. */
static void
run_check_video (ComposeRun *r)
{
  if (r->media != (COMPOSE_AUDIO | COMPOSE_VIDEO) || r->files->len == 0)
    return;
  gint64 pts = -1, video_pts = -1; /* a file with timestamps, none of them a picture's */
  if (cr_ts_scan_file (g_ptr_array_index (r->files, 0), &pts, NULL, &video_pts, NULL) && pts >= 0
      && video_pts < 0)
    r->media = COMPOSE_AUDIO;
}

static int
run_by_start (gconstpointer a, gconstpointer b)
{
  const ComposeRun *x = *(ComposeRun **)a, *y = *(ComposeRun **)b;
  return x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms;
}

GPtrArray *
compose_read_runs (const char *dir, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (const char *name; (name = g_dir_read_name (d)) != NULL;) {
    if (g_str_has_suffix (name, ".m3u8"))
      g_ptr_array_add (names, g_strdup (name));
  }
  g_autoptr (GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify)compose_run_free);
  for (guint i = 0; i < names->len; i++) {
    if (!parse_playlist (dir, g_ptr_array_index (names, i), runs, error))
      return NULL;
  }
  if (runs->len == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "%s holds no single-stream recording (no .m3u8 with #EXT-X-TRTC-USER-ID and "
                 "segments)",
                 dir);
    return NULL;
  }
  for (guint i = 0; i < runs->len; i++)
    run_check_video (g_ptr_array_index (runs, i));
  g_ptr_array_sort (runs, run_by_start);
  for (guint i = 0; i < runs->len; i++) {
    ComposeRun *r = g_ptr_array_index (runs, i);
    r->key = g_strdup_printf ("%s/%s/%u", r->user_id, r->aux ? "aux" : "main", i);
  }
  return g_steal_pointer (&runs);
}

void
compose_keep_window (GPtrArray *runs, gint64 from_ms, gint64 to_ms)
{
  for (guint i = runs->len; i-- > 0;) {
    ComposeRun *r = g_ptr_array_index (runs, i);
    if ((from_ms > 0 && r->end_ms <= from_ms) || (to_ms > 0 && r->start_ms >= to_ms)) {
      g_ptr_array_remove_index (runs, i); /* keeps the order of the others */
      continue;
    }
    if (from_ms > r->start_ms) {
      r->skip_ms += from_ms - r->start_ms;
      r->start_ms = from_ms;
    }
    if (to_ms > 0 && to_ms < r->end_ms)
      r->end_ms = to_ms;
  }
}
