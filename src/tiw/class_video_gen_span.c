/* A span of a video-generation task: its work directory, its inputs there (each camera's
 * playlist moved onto the board clock, the FILE-ATTR of each of its runs shifted by that run's
 * SEI samples and its segments linked, beside the board's log) and the compose job that mixes
 * them with the rendered board into the span's MP4.
 * Why links in a work directory: a compose job reads one folder of playlists and segments, as
 * CloudrecCreateCompose does, while the recorded files stay as they are. */
#include <errno.h>
#include <stdlib.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "common/file_util.h"
#include "common/json_util.h"
#include "tiw/class_video.h"
#include "tiw/class_video_gen_private.h"
#include "tools/compose_jobs.h"

static int
cmp_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
  return x < y ? -1 : x > y;
}

/* The median of @values (sorted in place); FALSE when empty. */
static gboolean
median (GArray *values, gint64 *out)
{
  guint n = values->len;
  if (n == 0)
    return FALSE;
  g_array_sort (values, cmp_gint64);
  const gint64 *v = (const gint64 *)values->data;
  *out = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return TRUE;
}

GArray *
cr_class_video_gen_run_shifts (const char *text, JsonArray *samples)
{
  /* the runs: their first FILE-ATTR (G_MAXINT64: none) */
  g_autoptr (GArray) starts = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 start_rec = 0, none = G_MAXINT64;
  g_array_append_val (starts, none);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    const char *l = g_strstrip (lines[i]);
    if (g_str_has_prefix (l, "#EXT-X-TRTC-START-REC-TIME:"))
      start_rec = g_ascii_strtoll (l + strlen ("#EXT-X-TRTC-START-REC-TIME:"), NULL, 10);
    else if (g_str_has_prefix (l, "#EXT-X-DISCONTINUITY"))
      g_array_append_val (starts, none);
    else if (g_str_has_prefix (l, "#EXT-X-TRTC-FILE-ATTR:")
             && g_array_index (starts, gint64, starts->len - 1) == none)
      g_array_index (starts, gint64, starts->len - 1)
          = g_ascii_strtoll (l + strlen ("#EXT-X-TRTC-FILE-ATTR:"), NULL, 10);
  }
  /* each sample's offset (board clock - receive clock), in the last run begun when it arrived */
  guint n = starts->len;
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GPtrArray) per_run = g_ptr_array_new_with_free_func ((GDestroyNotify)g_array_unref);
  for (guint k = 0; k < n; k++)
    g_ptr_array_add (per_run, g_array_new (FALSE, FALSE, sizeof (gint64)));
  for (guint i = 0; samples != NULL && i < json_array_get_length (samples); i++) {
    JsonObject *s = json_array_get_object_element (samples, i);
    gint64 media = 0, board = 0;
    if (s == NULL || !cr_json_get_int (s, "MediaMs", &media)
        || !cr_json_get_int (s, "BoardMs", &board))
      continue;
    gint64 received = start_rec + media, offset = board - received;
    guint run = 0;
    for (guint k = 0; k < n; k++) {
      gint64 start = g_array_index (starts, gint64, k);
      if (start != none && start <= received)
        run = k;
    }
    g_array_append_val (all, offset);
    g_array_append_val ((GArray *)g_ptr_array_index (per_run, run), offset);
  }
  gint64 stream_shift = 0; /* no sample at all: the receive clock */
  median (all, &stream_shift);
  GArray *shifts = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n);
  for (guint k = 0; k < n; k++) {
    gint64 shift = stream_shift; /* a run without samples: the stream's */
    median (g_ptr_array_index (per_run, k), &shift);
    g_array_append_val (shifts, shift);
  }
  return shifts;
}

char *
cr_class_video_gen_shift_playlist (const char *text, GArray *shifts, const char *prefix,
                                   GPtrArray *segments)
{
  GString *out = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint run = 0;
  for (guint i = 0; lines[i] != NULL; i++) {
    char *l = g_strstrip (lines[i]);
    if (lines[i + 1] == NULL && *l == '\0')
      break; /* the text's final newline */
    gint64 shift_ms = shifts != NULL && shifts->len > 0
                          ? g_array_index (shifts, gint64, MIN (run, shifts->len - 1))
                          : 0;
    const char *attr = "#EXT-X-TRTC-FILE-ATTR:", *start = "#EXT-X-TRTC-START-REC-TIME:";
    if (g_str_has_prefix (l, attr)) {
      char *end = NULL;
      gint64 ms = g_ascii_strtoll (l + strlen (attr), &end, 10);
      g_string_append_printf (out, "%s%" G_GINT64_FORMAT "%s\n", attr, ms + shift_ms, end);
    } else if (g_str_has_prefix (l, start)) {
      gint64 ms = g_ascii_strtoll (l + strlen (start), NULL, 10);
      g_string_append_printf (out, "%s%" G_GINT64_FORMAT "\n", start, ms + shift_ms);
    } else if (*l != '\0' && *l != '#') {
      g_autofree char *base = g_path_get_basename (l);
      g_string_append_printf (out, "%s%s\n", prefix, base);
      if (segments != NULL)
        g_ptr_array_add (segments, g_strdup (l));
    } else {
      if (g_str_has_prefix (l, "#EXT-X-DISCONTINUITY"))
        run++;
      g_string_append_printf (out, "%s\n", l);
    }
  }
  return g_string_free (out, FALSE);
}

JsonObject *
cr_class_video_gen_mix_params (JsonObject *req, const char *board_user)
{
  g_autoptr (JsonObject) create = json_object_new ();
  json_object_set_object_member (create, "RecordParams", json_object_new ());
  cr_class_fill_part (req, CR_CLASS_PART_MIXED, create);
  /* the board as real-time mode mixes its publisher: ModelId 1 big, 2 a grid tile, Custom's
   * "tic_record_user" tiles */
  cr_class_fill_board (req, CR_CLASS_PART_MIXED, board_user, create);
  JsonObject *layout = cr_json_get_object (create, "MixLayoutParams");
  JsonObject *params = json_object_new ();
  json_object_set_object_member (params, "MixLayoutParams", json_object_ref (layout));
  json_object_set_object_member (
      params, "MixTranscodeParams",
      json_object_ref (cr_json_get_object (create, "MixTranscodeParams")));
  return params;
}

/* Whether StreamControls entry @c concerns stream @stream_id (TIW matches by prefix). */
static gboolean
control_matches (JsonObject *c, const char *stream_id)
{
  const char *id = cr_json_get_string (c, "StreamId");
  return id != NULL && *id != '\0' && g_str_has_prefix (stream_id, id);
}

CrClassStreamUse
cr_class_video_gen_stream_use (JsonObject *rc, const char *stream_id)
{
  if (rc == NULL || !cr_json_get_bool (rc, "Enabled"))
    return CR_CLASS_STREAM_WHOLE;
  gboolean all_off = cr_json_get_bool (rc, "DisableRecord");
  gboolean record = !all_off, muted = FALSE, unmuted = FALSE;
  JsonArray *list = cr_json_get_array (rc, "StreamControls");
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++) {
    JsonObject *c = json_array_get_object_element (list, i);
    if (c == NULL || !control_matches (c, stream_id))
      continue;
    /* as real-time mode's lists: an allow list when every stream is off, else a block list */
    gboolean off = cr_json_get_bool (c, "DisableRecord");
    if (all_off && !off)
      record = TRUE;
    else if (!all_off && off)
      record = FALSE;
    if (json_object_has_member (c, "DisableAudio")) {
      if (cr_json_get_bool (c, "DisableAudio"))
        muted = TRUE;
      else
        unmuted = TRUE;
    }
  }
  if (!record)
    return CR_CLASS_STREAM_LEFT_OUT;
  /* a stream's own entry wins over the global setting */
  if (muted || (cr_json_get_bool (rc, "DisableAudio") && !unmuted))
    return CR_CLASS_STREAM_VIDEO_ONLY;
  return CR_CLASS_STREAM_WHOLE;
}

char *
cr_class_video_gen_video_only (const char *text)
{
  GString *out = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  gboolean typed = FALSE;
  for (guint i = 0; lines[i] != NULL; i++) {
    const char *l = lines[i];
    const char *tag = "#EXT-X-TRTC-STREAM-TYPE:";
    if (g_str_has_prefix (l, tag)) {
      if (atoi (l + strlen (tag)) == 0) { /* sound alone: nothing is left */
        g_string_free (out, TRUE);
        return NULL;
      }
      typed = TRUE;
      g_string_append_printf (out, "%s1", tag);
    } else if (!typed && g_str_has_prefix (l, "#EXTINF:")) {
      /* no type (audio and video): video from here on, before the first segment */
      typed = TRUE;
      g_string_append_printf (out, "%s1\n%s", tag, l);
    } else
      g_string_append (out, l);
    if (lines[i + 1] != NULL)
      g_string_append_c (out, '\n');
  }
  return g_string_free (out, FALSE);
}

/* The task's own directory: <storage>/tiw-video/<SdkAppId>/<TaskId>. */
char *
cr_video_gen_dir (CrClassVideoGen *gen, JsonObject *t)
{
  g_autofree char *app
      = g_strdup_printf ("%" G_GINT64_FORMAT, cr_json_get_int_or (t, "SdkAppId", 0));
  return g_build_filename (gen->rec->api->config->storage_dir, "tiw-video", app,
                           cr_json_get_string (t, "TaskId"), NULL);
}

char *
cr_video_gen_span_dir (CrClassVideoGen *gen, JsonObject *t, gint64 i)
{
  g_autofree char *dir = cr_video_gen_dir (gen, t);
  g_autofree char *name = g_strdup_printf ("span%" G_GINT64_FORMAT, i);
  return g_build_filename (dir, name, NULL);
}

JsonObject *
cr_video_gen_current_span (JsonObject *t)
{
  JsonArray *spans = cr_json_get_array (t, "Spans");
  gint64 i = cr_json_get_int_or (t, "Span", 0);
  return spans != NULL && i >= 0 && i < json_array_get_length (spans)
             ? json_array_get_object_element (spans, i)
             : NULL;
}

/* The span's inputs in its work directory's "in": each stream's playlist on the board clock (its
 * segments linked, from the local store or the bucket's copy in "bucket/"), the board log; then
 * board-render starts writing the board there. */
gboolean
cr_video_gen_span_prepare (CrClassVideoGen *gen, JsonObject *t, JsonObject *r, GError **error)
{
  CrClassRecorder *rec = gen->rec;
  gint64 index = cr_json_get_int_or (t, "Span", 0);
  JsonObject *span = cr_video_gen_current_span (t);
  gint64 class_span = cr_json_get_int_or (span, "ClassSpan", 0);
  g_autofree char *work = cr_video_gen_span_dir (gen, t, index);
  g_autofree char *in = g_build_filename (work, "in", NULL);
  g_autofree char *fetched = g_build_filename (work, CR_VIDEO_GEN_FETCHED, NULL);
  cr_file_remove_tree (in);
  if (g_mkdir_with_parents (in, 0755) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create %s", in);
    return FALSE;
  }
  JsonObject *req = cr_json_get_object (t, "Request");
  JsonObject *rc = cr_json_get_object (req, "RecordControl");
  g_autoptr (JsonArray) streams = cr_class_video_streams (rec, r, fetched);
  guint used = 0;
  for (guint i = 0; i < json_array_get_length (streams); i++) {
    JsonObject *s = json_array_get_object_element (streams, i);
    const char *user = cr_json_get_string (s, "UserId");
    /* RecordControl's StreamId of the stream: its user, "tic_substream_<user>" for a screen
     * share (as VideoInfos name it) */
    g_autofree char *stream_id = g_strcmp0 (cr_json_get_string (s, "Media"), "aux") == 0
                                     ? g_strconcat ("tic_substream_", user, NULL)
                                     : g_strdup (user);
    CrClassStreamUse use = cr_class_video_gen_stream_use (rc, stream_id);
    if (cr_json_get_int_or (s, "Span", -1) != class_span || use == CR_CLASS_STREAM_LEFT_OUT)
      continue;
    const char *dir = cr_json_get_string (s, "Dir");
    g_autofree char *path = g_build_filename (dir, cr_json_get_string (s, "File"), NULL);
    g_autofree char *text = NULL;
    if (!g_file_get_contents (path, &text, NULL, error))
      return FALSE;
    if (use == CR_CLASS_STREAM_VIDEO_ONLY) {
      /* DisableAudio: compose takes the picture of this stream and not its sound */
      char *video = cr_class_video_gen_video_only (text);
      g_free (text);
      text = video;
      if (text == NULL)
        continue; /* its sound alone was recorded */
    }
    g_autofree char *prefix = g_strdup_printf ("s%u_", i);
    g_autoptr (GPtrArray) segments = g_ptr_array_new_with_free_func (g_free);
    /* each run (a user who left and came back) on the board clock by its own SEI samples */
    g_autofree char *sidecar_path = g_strconcat (path, ".sync.json", NULL);
    g_autofree char *sidecar = NULL;
    gsize sidecar_len = 0;
    g_autoptr (JsonObject) sync = g_file_get_contents (sidecar_path, &sidecar, &sidecar_len, NULL)
                                      ? cr_json_parse_object (sidecar, sidecar_len, NULL)
                                      : NULL;
    g_autoptr (GArray) shifts
        = cr_class_video_gen_run_shifts (text, cr_json_get_array (sync, "Samples"));
    g_autofree char *shifted = cr_class_video_gen_shift_playlist (text, shifts, prefix, segments);
    for (guint k = 0; k < segments->len; k++) {
      const char *seg = g_ptr_array_index (segments, k);
      g_autofree char *base = g_path_get_basename (seg);
      g_autofree char *target = g_build_filename (dir, seg, NULL);
      g_autofree char *link_name = g_strdup_printf ("%s/%s%s", in, prefix, base);
      if (symlink (target, link_name) != 0) {
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot link %s: %s",
                     link_name, g_strerror (errno));
        return FALSE;
      }
    }
    g_autofree char *name = g_strdup_printf ("%s/%s%s", in, prefix, cr_json_get_string (s, "File"));
    if (!g_file_set_contents (name, shifted, -1, error))
      return FALSE;
    used++;
  }
  if (used == 0 && !cr_video_gen_board_wanted (t)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "span %" G_GINT64_FORMAT " of class %s has no per-user playlist (in this "
                 "server's local storage or the class's bucket)",
                 class_span, cr_json_get_string (t, "OnlineRecordTaskId"));
    return FALSE;
  }
  g_autoptr (JsonArray) log
      = cr_class_video_board_log (rec, r, cr_json_get_int_or (span, "End", 0));
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (node, log);
  g_autofree char *log_text = json_to_string (node, FALSE);
  g_autofree char *log_path = g_build_filename (work, "board.json", NULL);
  return g_file_set_contents (log_path, log_text, -1, error);
}

gboolean
cr_video_gen_board_wanted (JsonObject *t)
{
  /* TIW's StreamId "tic_record_user" is the board's stream (matched by prefix, as the others) */
  const char *board = cr_json_get_string (t, "BoardUserId");
  JsonObject *rc = cr_json_get_object (cr_json_get_object (t, "Request"), "RecordControl");
  return cr_class_video_gen_stream_use (rc, board != NULL ? board : "tic_record_user")
         != CR_CLASS_STREAM_LEFT_OUT;
}

gboolean
cr_video_gen_span_compose_start (CrClassVideoGen *gen, JsonObject *t, GError **error)
{
  CrClassRecorder *rec = gen->rec;
  JsonObject *span = cr_video_gen_current_span (t);
  gint64 index = cr_json_get_int_or (t, "Span", 0);
  g_autofree char *work = cr_video_gen_span_dir (gen, t, index);
  g_autofree char *in = g_build_filename (work, "in", NULL);
  g_autofree char *dir = cr_video_gen_dir (gen, t);
  g_autofree char *file_name
      = g_strdup_printf ("%" G_GINT64_FORMAT "_%" G_GINT64_FORMAT "_%s_%" G_GINT64_FORMAT ".mp4",
                         cr_json_get_int_or (t, "SdkAppId", 0), cr_json_get_int_or (t, "RoomId", 0),
                         cr_json_get_string (t, "TaskId"), index);
  g_autofree char *out = g_build_filename (dir, file_name, NULL);
  g_autoptr (JsonObject) params = cr_class_video_gen_mix_params (
      cr_json_get_object (t, "Request"), cr_json_get_string (t, "BoardUserId"));
  g_autofree char *params_json = cr_json_object_to_string (params);
  /* Only the span: media recorded after the Pause was asked for, or moved past the span's edges
   * by a stream's SEI offset, is left out (the board is rendered for the same span). */
  CrComposeTarget target = { .in = in,
                             .out = out,
                             .object_key = file_name,
                             .url = "",
                             .from_ms = cr_json_get_int_or (span, "Start", 0),
                             .to_ms = cr_json_get_int_or (span, "End", 0) };
  g_autofree char *images = g_build_filename (rec->api->config->data_dir, "cache", "images", NULL);
  g_autofree char *id = cr_compose_jobs_start (
      (guint64)cr_json_get_int_or (t, "SdkAppId", 0), cr_json_get_string (t, "TaskId"), &target,
      file_name, params_json, images, rec->api->config->fetch_deny, NULL, NULL, error);
  if (id == NULL)
    return FALSE;
  json_object_set_string_member (span, "ComposeId", id);
  json_object_set_string_member (span, "File", out);
  json_object_set_string_member (span, "Phase", "compose");
  g_info ("video generation %s: span %" G_GINT64_FORMAT ": compose %s",
          cr_json_get_string (t, "TaskId"), index, id);
  return TRUE;
}
