/* Video-generation mode: the spans' parts, the streams' place on the board clock, the board log,
 * the ReplayUrl; see class_video.h. */
#include "class_video.h"

#include <stdlib.h>
#include <string.h>

#include "board/board.h"
#include "common/json_util.h"
#include "files/naming.h"
#include "task/codes.h"
#include "task/spec.h"
#include "tiw/class_private.h"
#include "tiw/class_video_gen.h"
#include "tiw/class_video_token.h"
#include "upload/storage_target.h"

gboolean
cr_class_video_mode (JsonObject *req)
{
  return g_strcmp0 (cr_json_get_string (req, "RecordMode"), CR_CLASS_VIDEO_MODE) == 0;
}

gboolean
cr_class_video_wants_part (JsonObject *req, CrClassPart part)
{
  if (!cr_class_video_mode (req))
    return TRUE;
  return part == CR_CLASS_PART_SINGLE;
}

void
cr_class_video_fill_part (JsonObject *req, JsonObject *create)
{
  if (!cr_class_video_mode (req))
    return;
  JsonObject *record = cr_json_get_object (create, "RecordParams");
  json_object_set_int_member (record, "OutputFormat", CR_OUTPUT_HLS);
  json_object_set_int_member (record, "StreamType", CR_STREAMS_AUDIO_VIDEO);
  json_object_set_int_member (record, "MediaId", CR_MEDIA_MAIN_AND_AUX);
  json_object_set_int_member (record, "AvMerge", 1); /* one playlist per user and stream */
}

/* ---- a stream's facts ---- */

gboolean
cr_class_video_playlist_facts (const char *text, gint64 *start_rec_ms, gint64 *first_segment_ms,
                               gint64 *duration_ms)
{
  *start_rec_ms = 0;
  *first_segment_ms = 0;
  double total = 0;
  gboolean any = FALSE;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    const char *l = g_strstrip (lines[i]);
    if (g_str_has_prefix (l, "#EXT-X-TRTC-START-REC-TIME:"))
      *start_rec_ms = g_ascii_strtoll (l + strlen ("#EXT-X-TRTC-START-REC-TIME:"), NULL, 10);
    else if (g_str_has_prefix (l, "#EXT-X-TRTC-FILE-ATTR:") && *first_segment_ms == 0)
      *first_segment_ms = g_ascii_strtoll (l + strlen ("#EXT-X-TRTC-FILE-ATTR:"), NULL, 10);
    else if (g_str_has_prefix (l, "#EXTINF:")) {
      total += g_ascii_strtod (l + strlen ("#EXTINF:"), NULL);
      any = TRUE;
    }
  }
  *duration_ms = (gint64)(total * 1000 + 0.5);
  if (*first_segment_ms == 0)
    *first_segment_ms = *start_rec_ms;
  return any && *start_rec_ms > 0;
}

static int
cmp_gint64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
  return x < y ? -1 : x > y;
}

gboolean
cr_class_video_sei_origin (JsonArray *samples, gint64 lead_ms, gint64 *origin_ms)
{
  guint n = samples != NULL ? json_array_get_length (samples) : 0;
  if (n == 0)
    return FALSE;
  g_autofree gint64 *v = g_new (gint64, n);
  guint k = 0;
  for (guint i = 0; i < n; i++) {
    JsonObject *s = json_array_get_object_element (samples, i);
    gint64 media = 0, board = 0;
    if (s == NULL || !cr_json_get_int (s, "MediaMs", &media)
        || !cr_json_get_int (s, "BoardMs", &board))
      continue;
    v[k++] = board - (media - lead_ms);
  }
  if (k == 0)
    return FALSE;
  qsort (v, k, sizeof *v, cmp_gint64);
  *origin_ms = k % 2 == 1 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
  return TRUE;
}

JsonArray *
cr_class_video_runs (const char *text, JsonArray *samples)
{
  g_autoptr (GArray) shifts = cr_class_video_gen_run_shifts (text, samples);
  JsonArray *out = json_array_new ();
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint run = 0;
  double media_s = 0; /* the player's time: the EXTINF before, discontinuities or not */
  JsonObject *open = NULL;
  gint64 attr = 0;
  for (guint i = 0; lines[i] != NULL; i++) {
    const char *l = g_strstrip (lines[i]);
    if (g_str_has_prefix (l, "#EXT-X-DISCONTINUITY")) {
      run++;
      open = NULL;
    } else if (g_str_has_prefix (l, "#EXT-X-TRTC-FILE-ATTR:")) {
      attr = g_ascii_strtoll (l + strlen ("#EXT-X-TRTC-FILE-ATTR:"), NULL, 10);
    } else if (g_str_has_prefix (l, "#EXTINF:")) {
      double d = g_ascii_strtod (l + strlen ("#EXTINF:"), NULL);
      if (open == NULL) {
        open = json_object_new ();
        gint64 shift = g_array_index (shifts, gint64, MIN (run, shifts->len - 1));
        json_object_set_int_member (open, "MediaStartMs", (gint64)(media_s * 1000 + 0.5));
        json_object_set_int_member (open, "BoardStartMs", attr + shift);
        json_object_set_int_member (open, "DurationMs", 0);
        json_array_add_object_element (out, open);
      }
      media_s += d;
      gint64 start = json_object_get_int_member (open, "MediaStartMs");
      json_object_set_int_member (open, "DurationMs", (gint64)(media_s * 1000 + 0.5) - start);
    }
  }
  return out;
}

/* The local directory of TRTC task @task's files: its folder in the local store, or for a task
 * in an object store "<@fetched>/<TaskId>" when @fetched is given and that directory exists (its
 * files downloaded there); else NULL. */
static char *
task_local_dir (CrClassRecorder *rec, const CrTask *task, const char *fetched)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrTaskSpec) spec = cr_task_spec_new_from_text (task->params_json, &error);
  if (spec == NULL)
    return NULL;
  CrStorageEndpoints endpoints = { { NULL } };
  cr_storage_endpoints_parse (rec->api->config->storage_endpoint, &endpoints, NULL);
  CrTargetKind kind = cr_storage_target_kind (&spec->storage, &endpoints);
  cr_storage_endpoints_clear (&endpoints);
  if (kind == CR_TARGET_S3) {
    g_autofree char *copy
        = fetched != NULL ? g_build_filename (fetched, task->task_id, NULL) : NULL;
    return copy != NULL && g_file_test (copy, G_FILE_TEST_IS_DIR) ? g_steal_pointer (&copy) : NULL;
  }
  CrNamingTask naming = cr_task_spec_naming (spec, task->task_id);
  g_autofree char *rel = cr_naming_dir (&naming);
  g_autofree char *path = g_build_filename (rec->api->config->storage_dir, rel, NULL);
  return g_canonicalize_filename (path, NULL);
}

JsonArray *
cr_class_video_streams (CrClassRecorder *rec, JsonObject *r, const char *fetched)
{
  CrTaskStore *store = rec->api->store;
  guint64 app = (guint64)cr_json_get_int_or (r, "SdkAppId", 0);
  JsonArray *out = json_array_new ();
  JsonArray *spans = cr_json_get_array (r, "Spans");
  for (guint i = 0; spans != NULL && i < json_array_get_length (spans); i++) {
    JsonArray *tasks = cr_json_get_array (json_array_get_object_element (spans, i), "Tasks");
    for (guint j = 0; tasks != NULL && j < json_array_get_length (tasks); j++) {
      const char *trtc = cr_json_get_string (json_array_get_object_element (tasks, j), "TaskId");
      g_autoptr (GError) error = NULL;
      g_autoptr (CrTask) task = store->vt->lookup (store, app, trtc, &error);
      g_autofree char *dir = task != NULL ? task_local_dir (rec, task, fetched) : NULL;
      g_autoptr (GPtrArray) files
          = dir != NULL ? store->vt->list_files (store, trtc, &error) : NULL;
      for (guint k = 0; files != NULL && k < files->len; k++) {
        const CrTaskFile *f = g_ptr_array_index (files, k);
        if (!g_str_has_suffix (f->file_name, ".m3u8"))
          continue;
        g_autofree char *path = g_build_filename (dir, f->file_name, NULL);
        g_autofree char *text = NULL;
        gint64 start_rec, first, duration;
        if (!g_file_get_contents (path, &text, NULL, NULL)
            || !cr_class_video_playlist_facts (text, &start_rec, &first, &duration))
          continue;
        g_autofree char *sidecar_path = g_strconcat (path, ".sync.json", NULL);
        g_autofree char *sidecar = NULL;
        gsize len = 0;
        g_autoptr (JsonObject) sync = g_file_get_contents (sidecar_path, &sidecar, &len, NULL)
                                          ? cr_json_parse_object (sidecar, len, NULL)
                                          : NULL;
        JsonArray *samples = cr_json_get_array (sync, "Samples");
        gint64 origin = first;
        gboolean sei = cr_class_video_sei_origin (samples, first - start_rec, &origin);
        JsonObject *s = json_object_new ();
        json_object_set_int_member (s, "Span", i);
        json_object_set_string_member (s, "UserId", f->user_id);
        json_object_set_string_member (
            s, "Media", strstr (f->file_name, "__UserId_e_aux") != NULL ? "aux" : "main");
        json_object_set_string_member (s, "TrtcTaskId", trtc);
        json_object_set_string_member (s, "File", f->file_name);
        json_object_set_string_member (s, "Dir", dir);
        json_object_set_int_member (s, "BoardStartMs", origin);
        json_object_set_int_member (s, "ReceiveStartMs", first);
        json_object_set_string_member (s, "SyncSource", sei ? "sei" : "receive");
        json_object_set_int_member (s, "SeiSamples",
                                    samples != NULL ? json_array_get_length (samples) : 0);
        json_object_set_int_member (s, "DurationMs", duration);
        json_object_set_array_member (s, "Runs", cr_class_video_runs (text, samples));
        json_array_add_object_element (out, s);
      }
    }
  }
  return out;
}

/* ---- the board log ---- */

JsonArray *
cr_class_video_board_log (CrClassRecorder *rec, JsonObject *r, gint64 to_ms)
{
  if (rec->api->board == NULL)
    return json_array_new (); /* no whiteboard service (unit tests) */
  g_autofree char *room = g_strdup_printf (
      "%" G_GINT64_FORMAT, cr_json_get_int_or (cr_class_rec_request (r), "RoomId", 0));
  g_autoptr (GError) error = NULL;
  JsonArray *out = cr_board_log_read (
      rec->api->board, (guint64)cr_json_get_int_or (r, "SdkAppId", 0), room, 0, to_ms, &error);
  if (out == NULL) {
    g_warning ("class task %s: cannot read the board log: %s", cr_json_get_string (r, "TaskId"),
               error->message);
    return json_array_new ();
  }
  return out;
}

/* ---- ReplayUrl ---- */

char *
cr_class_video_replay_url (CrClassRecorder *rec, JsonObject *r)
{
  guint64 app = (guint64)cr_json_get_int_or (r, "SdkAppId", 0);
  const CrApp *a = cr_apps_find (rec->api->config->apps, app);
  const char *task_id = cr_json_get_string (r, "TaskId");
  gint64 expiry = rec->api->now_ms () / 1000 + rec->api->config->replay_url_hours * 3600;
  g_autofree char *token
      = cr_class_replay_token (a != NULL ? a->usersig_key : "", app, task_id, expiry);
  return g_strdup_printf ("%s/board/replay?task=%s&sdkappid=%" G_GUINT64_FORMAT "&token=%s",
                          rec->replay_base != NULL ? rec->replay_base : "http://127.0.0.1", task_id,
                          app, token);
}
