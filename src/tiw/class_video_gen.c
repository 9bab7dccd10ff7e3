/* Video-generation tasks: queued, the board rendered and each span composed, the result; see
 * class_video_gen.h. */
#include "tiw/class_video_gen.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "media/concat.h"
#include "mix/image_cache.h"
#include "room/room.h"
#include "task/codes.h"
#include "task/task_id.h"
#include "tiw/class_private.h"
#include "tiw/class_video.h"
#include "tiw/mp4_info.h"
#include "tools/compose_jobs.h"

#define TICK_MS 1000
#define BOARD_FPS 15
#define MIN_SPAN_MS 1000     /* a shorter span makes no video */
#define RENDER_SHARE 30      /* of a span's progress, the board's rendering */
#define DEFAULT_BOARD_W 1280 /* TIW's Whiteboard defaults */
#define DEFAULT_BOARD_H 960
#define ERROR_GENERATION "FailedOperation.VideoGeneration"

typedef struct _CrClassVideoGen CrClassVideoGen;

/* A board-render subprocess of a task's current span. */
typedef struct {
  CrClassVideoGen *gen; /* NULL once the tasks are gone */
  char *task_id;
  GSubprocess *proc;
  gboolean done, ok;
  char *error;
} Render;

/* Concat: the spans' MP4s joined in a thread (media/concat.h). */
typedef struct {
  CrClassVideoGen *gen; /* NULL once the tasks are gone */
  char *task_id;
  GArray *pieces; /* CrConcatPiece, paths owned by @paths */
  GPtrArray *paths;
  int width, height;
  gboolean with_audio;
  char *image_url, *image_dir, *fetch_deny, *out;
  gboolean done, ok;
  char *error;
} Join;

struct _CrClassVideoGen {
  CrClassRecorder *rec;
  CrVideoGenStore *store;
  GHashTable *active;  /* TaskId -> JsonObject task, every task not FINISHED */
  GHashTable *renders; /* TaskId -> Render of its current span */
  GHashTable *joins;   /* TaskId -> Join under way or done */
  guint tick;
};

static void
join_free (Join *j)
{
  g_free (j->task_id);
  g_array_unref (j->pieces);
  g_ptr_array_unref (j->paths);
  g_free (j->image_url);
  g_free (j->image_dir);
  g_free (j->fetch_deny);
  g_free (j->out);
  g_free (j->error);
  g_free (j);
}

static void
render_free (Render *r)
{
  g_free (r->task_id);
  g_clear_object (&r->proc);
  g_free (r->error);
  g_free (r);
}

/* ---- pure pieces ---- */

char *
cr_class_video_gen_shift_playlist (const char *text, gint64 shift_ms, const char *prefix,
                                   GPtrArray *segments)
{
  GString *out = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    char *l = g_strstrip (lines[i]);
    if (lines[i + 1] == NULL && *l == '\0')
      break; /* the text's final newline */
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
    } else
      g_string_append_printf (out, "%s\n", l);
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

/* Whether RecordControl @rc leaves @user out (DisableRecord, per StreamControls entry first). */
static gboolean
user_disabled (JsonObject *rc, const char *user)
{
  if (rc == NULL || !cr_json_get_bool (rc, "Enabled"))
    return FALSE;
  JsonArray *list = cr_json_get_array (rc, "StreamControls");
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++) {
    JsonObject *c = json_array_get_object_element (list, i);
    if (g_strcmp0 (cr_json_get_string (c, "StreamId"), user) == 0)
      return cr_json_get_bool (c, "DisableRecord");
  }
  return cr_json_get_bool (rc, "DisableRecord");
}

/* ---- the record ---- */

static const char *
gen_status (JsonObject *t)
{
  return cr_json_get_string (t, "Status");
}

static void
gen_save (CrClassVideoGen *gen, JsonObject *t)
{
  gint64 now = gen->rec->api->now_ms ();
  json_object_set_int_member (t, "UpdatedMs", now);
  g_autofree char *text = cr_json_object_to_string (t);
  g_autoptr (GError) error = NULL;
  if (!cr_video_gen_store_put (gen->store, (guint64)cr_json_get_int_or (t, "SdkAppId", 0),
                               cr_json_get_string (t, "TaskId"),
                               cr_json_get_string (t, "OnlineRecordTaskId"), gen_status (t),
                               cr_json_get_int_or (t, "CreatedMs", now), now, text, &error))
    g_warning ("video generation %s: %s", cr_json_get_string (t, "TaskId"), error->message);
}

/* The task's own directory: <storage>/tiw-video/<SdkAppId>/<TaskId>. */
static char *
gen_dir (CrClassVideoGen *gen, JsonObject *t)
{
  g_autofree char *app
      = g_strdup_printf ("%" G_GINT64_FORMAT, cr_json_get_int_or (t, "SdkAppId", 0));
  return g_build_filename (gen->rec->api->config->storage_dir, "tiw-video", app,
                           cr_json_get_string (t, "TaskId"), NULL);
}

static char *
span_work_dir (CrClassVideoGen *gen, JsonObject *t, gint64 i)
{
  g_autofree char *dir = gen_dir (gen, t);
  g_autofree char *name = g_strdup_printf ("span%" G_GINT64_FORMAT, i);
  return g_build_filename (dir, name, NULL);
}

/* Removes @path and what is below it. */
static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    GDir *d = g_dir_open (path, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);
      remove_tree (child);
    }
    if (d != NULL)
      g_dir_close (d);
    g_rmdir (path);
  } else
    g_unlink (path);
}

static JsonObject *
current_span (JsonObject *t)
{
  JsonArray *spans = cr_json_get_array (t, "Spans");
  gint64 i = cr_json_get_int_or (t, "Span", 0);
  return spans != NULL && i >= 0 && i < json_array_get_length (spans)
             ? json_array_get_object_element (spans, i)
             : NULL;
}

static void
set_progress (JsonObject *t, int span_percent)
{
  JsonArray *spans = cr_json_get_array (t, "Spans");
  guint n = spans != NULL ? json_array_get_length (spans) : 0;
  gint64 i = cr_json_get_int_or (t, "Span", 0);
  int p = n > 0 ? (int)((i * 100 + span_percent) / n) : 0;
  json_object_set_int_member (t, "Progress",
                              MAX (cr_json_get_int_or (t, "Progress", 0), MIN (p, 99)));
}

/* ---- the end ---- */

/* DescribeVideoGenerationTask's members (also the callback's EventData). */
static void
gen_describe (JsonObject *t, JsonObject *out)
{
  json_object_set_string_member (out, "TaskId", cr_json_get_string (t, "TaskId"));
  json_object_set_string_member (out, "GroupId", cr_json_get_string (t, "GroupId"));
  json_object_set_int_member (out, "RoomId", cr_json_get_int_or (t, "RoomId", 0));
  json_object_set_string_member (out, "OnlineRecordTaskId",
                                 cr_json_get_string (t, "OnlineRecordTaskId"));
  json_object_set_string_member (out, "Status", gen_status (t));
  json_object_set_int_member (out, "Progress", cr_json_get_int_or (t, "Progress", 0));
  json_object_set_int_member (out, "TotalTime", cr_json_get_int_or (t, "TotalTime", 0));
  JsonArray *videos = cr_json_get_array (t, "VideoInfoList");
  json_object_set_array_member (out, "VideoInfoList",
                                videos != NULL ? json_array_ref (videos) : json_array_new ());
  if (videos != NULL && json_array_get_length (videos) > 0)
    json_object_set_object_member (out, "VideoInfos",
                                   json_object_ref (json_array_get_object_element (videos, 0)));
  const char *reason = cr_json_get_string (t, "FinishReason");
  json_object_set_string_member (out, "FinishReason", reason != NULL ? reason : "");
  const char *code = cr_json_get_string (t, "ErrorCode");
  json_object_set_string_member (out, "ErrorCode", code != NULL ? code : "");
  const char *message = cr_json_get_string (t, "ErrorMessage");
  json_object_set_string_member (out, "ErrorMessage", message != NULL ? message : "");
}

/* Callback VideoGenerationFinished (event 395), under the class's first TRTC task of its last
 * span (the outbox keeps events per TRTC task), to the app's SetVideoGenerationTaskCallback. */
static void
gen_emit_finished (CrClassVideoGen *gen, JsonObject *t)
{
  CrClassRecorder *rec = gen->rec;
  guint64 app = (guint64)cr_json_get_int_or (t, "SdkAppId", 0);
  g_autofree char *url = NULL, *key = NULL;
  g_autoptr (GError) error = NULL;
  if (rec->callbacks == NULL)
    return;
  if (!cr_video_gen_store_get_callback (gen->store, app, &url, &key, &error)) {
    g_warning ("video generation %s: no callback: %s", cr_json_get_string (t, "TaskId"),
               error->message);
    return;
  }
  const char *trtc_task = cr_json_get_string (t, "CallbackTaskId");
  if (*url == '\0' || trtc_task == NULL)
    return;
  JsonObject *data = json_object_new ();
  gen_describe (t, data);
  JsonObject *payload = json_object_new ();
  json_object_set_string_member (payload, "Url", url);
  json_object_set_object_member (payload, "Body",
                                 cr_class_callback_body (app, "VideoGenerationFinished", data, key,
                                                         rec->api->now_ms () / 1000));
  cr_callback_sender_emit (rec->callbacks, app, trtc_task, CR_EVENT_VIDEO_GEN_FINISHED, payload);
}

static void
gen_finish (CrClassVideoGen *gen, JsonObject *t, const char *code, const char *message)
{
  json_object_set_string_member (t, "Status", CR_VIDEO_GEN_FINISHED);
  json_object_set_int_member (t, "FinishedMs", gen->rec->api->now_ms ());
  if (code != NULL) {
    json_object_set_string_member (t, "FinishReason", "EXCEPTION");
    json_object_set_string_member (t, "ErrorCode", code);
    json_object_set_string_member (t, "ErrorMessage", message);
    g_warning ("video generation %s failed: %s", cr_json_get_string (t, "TaskId"), message);
  } else {
    json_object_set_string_member (t, "FinishReason", "DONE");
    json_object_set_int_member (t, "Progress", 100);
    g_info ("video generation %s finished: %u videos", cr_json_get_string (t, "TaskId"),
            json_array_get_length (cr_json_get_array (t, "VideoInfoList")));
  }
  gen_emit_finished (gen, t);
}

/* VideoInfoList from the spans' MP4s, in the real-time result's format (class_result.c). */
static void
gen_collect (CrClassVideoGen *gen, JsonObject *t)
{
  JsonArray *videos = json_array_new ();
  JsonArray *spans = cr_json_get_array (t, "Spans");
  const char *storage = gen->rec->api->config->storage_dir;
  g_autofree char *abs_storage = g_canonicalize_filename (storage, NULL);
  const char *joined = cr_json_get_string (t, "ConcatFile");
  for (guint i = 0; spans != NULL && i < json_array_get_length (spans); i++) {
    JsonObject *s = json_array_get_object_element (spans, i);
    /* Concat: one MP4 from the first span's place on, instead of the pieces */
    const char *path = joined != NULL ? (i == 0 ? joined : NULL) : cr_json_get_string (s, "File");
    if (path == NULL)
      continue;
    CrMp4Info info = { 0 };
    g_autoptr (GError) error = NULL;
    if (!cr_mp4_info_read (path, &info, &error))
      g_warning ("video generation %s: %s", cr_json_get_string (t, "TaskId"), error->message);
    g_autofree char *abs = g_canonicalize_filename (path, NULL);
    const char *key = g_str_has_prefix (abs, abs_storage) ? abs + strlen (abs_storage) : abs;
    while (*key == '/')
      key++;
    g_autofree char *url = g_filename_to_uri (abs, NULL, NULL);
    JsonObject *v = json_object_new ();
    json_object_set_int_member (v, "VideoPlayTime", cr_json_get_int_or (s, "PlayTime", 0));
    json_object_set_int_member (v, "VideoSize", info.size);
    json_object_set_string_member (v, "VideoFormat", "mp4");
    json_object_set_int_member (v, "VideoDuration", info.duration_ms);
    json_object_set_string_member (v, "VideoUrl", url != NULL ? url : "");
    json_object_set_string_member (v, "VideoId", key);
    json_object_set_int_member (v, "VideoType", 3); /* mixed */
    json_object_set_string_member (v, "UserId", cr_json_get_string (t, "MixUserId"));
    json_object_set_int_member (v, "Width", info.width);
    json_object_set_int_member (v, "Height", info.height);
    json_array_add_object_element (videos, v);
  }
  json_object_set_array_member (t, "VideoInfoList", videos);
}

/* ---- a span ---- */

static void
render_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Render *r = data;
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  gboolean ran
      = g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), res, &out, &err, &error);
  r->done = TRUE;
  r->ok
      = ran && g_subprocess_get_if_exited (r->proc) && g_subprocess_get_exit_status (r->proc) == 0;
  if (!r->ok) {
    /* the command's last line on stderr says why */
    g_auto (GStrv) lines = g_strsplit (err != NULL ? g_strstrip (err) : "", "\n", -1);
    guint n = g_strv_length (lines);
    r->error = g_strdup (!ran                             ? error->message
                         : n > 0 && *lines[n - 1] != '\0' ? lines[n - 1]
                                                          : "board-render ended abnormally");
  }
  if (r->gen == NULL)
    render_free (r); /* the tasks are gone */
}

static void
child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL); /* dies with the daemon, as compose jobs do */
}

/* The span's inputs in its work directory's "in": each stream's playlist on the board clock (its
 * segments linked), the board log; then board-render starts writing the board there. */
static gboolean
span_prepare (CrClassVideoGen *gen, JsonObject *t, JsonObject *r, GError **error)
{
  CrClassRecorder *rec = gen->rec;
  gint64 index = cr_json_get_int_or (t, "Span", 0);
  JsonObject *span = current_span (t);
  gint64 class_span = cr_json_get_int_or (span, "ClassSpan", 0);
  g_autofree char *work = span_work_dir (gen, t, index);
  remove_tree (work);
  g_autofree char *in = g_build_filename (work, "in", NULL);
  if (g_mkdir_with_parents (in, 0755) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create %s", in);
    return FALSE;
  }
  JsonObject *req = cr_json_get_object (t, "Request");
  JsonObject *rc = cr_json_get_object (req, "RecordControl");
  g_autoptr (JsonArray) streams = cr_class_video_streams (rec, r);
  guint used = 0;
  for (guint i = 0; i < json_array_get_length (streams); i++) {
    JsonObject *s = json_array_get_object_element (streams, i);
    const char *user = cr_json_get_string (s, "UserId");
    if (cr_json_get_int_or (s, "Span", -1) != class_span || user_disabled (rc, user))
      continue;
    const char *dir = cr_json_get_string (s, "Dir");
    g_autofree char *path = g_build_filename (dir, cr_json_get_string (s, "File"), NULL);
    g_autofree char *text = NULL;
    if (!g_file_get_contents (path, &text, NULL, error))
      return FALSE;
    g_autofree char *prefix = g_strdup_printf ("s%u_", i);
    g_autoptr (GPtrArray) segments = g_ptr_array_new_with_free_func (g_free);
    gint64 shift
        = cr_json_get_int_or (s, "BoardStartMs", 0) - cr_json_get_int_or (s, "ReceiveStartMs", 0);
    g_autofree char *shifted = cr_class_video_gen_shift_playlist (text, shift, prefix, segments);
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
  if (used == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "span %" G_GINT64_FORMAT " of class %s has no per-user playlist in this "
                 "server's local storage",
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

static gboolean
span_render_start (CrClassVideoGen *gen, JsonObject *t, GError **error)
{
  JsonObject *span = current_span (t);
  gint64 index = cr_json_get_int_or (t, "Span", 0);
  g_autofree char *work = span_work_dir (gen, t, index);
  g_autofree char *in = g_build_filename (work, "in", NULL);
  g_autofree char *log_path = g_build_filename (work, "board.json", NULL);
  g_autofree char *self = g_file_read_link ("/proc/self/exe", error);
  if (self == NULL)
    return FALSE;
  JsonObject *wb = cr_json_get_object (cr_json_get_object (t, "Request"), "Whiteboard");
  gint64 w = cr_json_get_int_or (wb, "Width", DEFAULT_BOARD_W) & ~1;
  gint64 h = cr_json_get_int_or (wb, "Height", DEFAULT_BOARD_H) & ~1;
  g_autofree char *ws = g_strdup_printf ("%" G_GINT64_FORMAT, CLAMP (w, 16, 4096));
  g_autofree char *hs = g_strdup_printf ("%" G_GINT64_FORMAT, CLAMP (h, 16, 4096));
  g_autofree char *fps = g_strdup_printf ("%d", BOARD_FPS);
  g_autofree char *from
      = g_strdup_printf ("%" G_GINT64_FORMAT, cr_json_get_int_or (span, "Start", 0));
  g_autofree char *to = g_strdup_printf ("%" G_GINT64_FORMAT, cr_json_get_int_or (span, "End", 0));
  g_autofree char *app
      = g_strdup_printf ("%" G_GINT64_FORMAT, cr_json_get_int_or (t, "SdkAppId", 0));
  g_autofree char *room
      = g_strdup_printf ("%" G_GINT64_FORMAT, cr_json_get_int_or (t, "RoomId", 0));
  const char *argv[] = { self,         "board-render",
                         "--log",      log_path,
                         "--width",    ws,
                         "--height",   hs,
                         "--fps",      fps,
                         "--from",     from,
                         "--to",       to,
                         "--user-id",  cr_json_get_string (t, "BoardUserId"),
                         "--out",      in,
                         "--sdkappid", app,
                         "--room",     room,
                         NULL };
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  GSubprocess *proc = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (proc == NULL)
    return FALSE;
  Render *r = g_new0 (Render, 1);
  r->gen = gen;
  r->task_id = g_strdup (cr_json_get_string (t, "TaskId"));
  r->proc = proc;
  g_hash_table_replace (gen->renders, g_strdup (r->task_id), r);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, render_done, r);
  g_info ("video generation %s: span %" G_GINT64_FORMAT ": rendering the board (%sx%s, %s..%s)",
          r->task_id, index, ws, hs, from, to);
  return TRUE;
}

static gboolean
span_compose_start (CrClassVideoGen *gen, JsonObject *t, GError **error)
{
  CrClassRecorder *rec = gen->rec;
  JsonObject *span = current_span (t);
  gint64 index = cr_json_get_int_or (t, "Span", 0);
  g_autofree char *work = span_work_dir (gen, t, index);
  g_autofree char *in = g_build_filename (work, "in", NULL);
  g_autofree char *dir = gen_dir (gen, t);
  g_autofree char *file_name
      = g_strdup_printf ("%" G_GINT64_FORMAT "_%" G_GINT64_FORMAT "_%s_%" G_GINT64_FORMAT ".mp4",
                         cr_json_get_int_or (t, "SdkAppId", 0), cr_json_get_int_or (t, "RoomId", 0),
                         cr_json_get_string (t, "TaskId"), index);
  g_autofree char *out = g_build_filename (dir, file_name, NULL);
  g_autoptr (JsonObject) params = cr_class_video_gen_mix_params (
      cr_json_get_object (t, "Request"), cr_json_get_string (t, "BoardUserId"));
  g_autofree char *params_json = cr_json_object_to_string (params);
  CrComposeTarget target = { .in = in, .out = out, .object_key = file_name, .url = "" };
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

/* ---- Concat ---- */

static gboolean
concat_wanted (JsonObject *t)
{
  JsonObject *concat = cr_json_get_object (cr_json_get_object (t, "Request"), "Concat");
  JsonArray *spans = cr_json_get_array (t, "Spans");
  return concat != NULL && cr_json_get_bool (concat, "Enabled") && spans != NULL
         && json_array_get_length (spans) > 1;
}

static void
join_run (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  Join *j = data;
  g_autoptr (GError) error = NULL;
  const char *image = NULL;
  g_autoptr (CrImageCache) cache = NULL;
  if (j->image_url != NULL && *j->image_url != '\0') {
    g_autoptr (GError) image_error = NULL;
    cache = cr_image_cache_new (j->image_dir, j->fetch_deny, NULL, NULL, &image_error);
    image = cache != NULL ? cr_image_cache_file (cache, j->image_url, &image_error) : NULL;
    if (image == NULL)
      g_warning ("video generation %s: Concat.Image %s cannot be used (%s): black instead",
                 j->task_id, j->image_url, image_error->message);
  }
  j->ok = cr_concat_write ((const CrConcatPiece *)j->pieces->data, j->pieces->len, j->width,
                           j->height, j->with_audio, image, j->out, &error);
  if (!j->ok)
    j->error = g_strdup (error->message);
  g_task_return_boolean (task, TRUE);
}

static void
join_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Join *j = g_task_get_task_data (G_TASK (res));
  j->done = TRUE;
  if (j->gen == NULL)
    join_free (j); /* the tasks are gone */
}

/* Starts joining the spans' MP4s: each at its span's place on the class's timeline (pauses
 * included, filled with Concat.Image or black, as real-time Concat fills them). */
static gboolean
join_start (CrClassVideoGen *gen, JsonObject *t, GError **error)
{
  Join *j = g_new0 (Join, 1);
  j->gen = gen;
  j->task_id = g_strdup (cr_json_get_string (t, "TaskId"));
  j->pieces = g_array_new (FALSE, TRUE, sizeof (CrConcatPiece));
  j->paths = g_ptr_array_new_with_free_func (g_free);
  JsonArray *spans = cr_json_get_array (t, "Spans");
  gint64 origin = cr_json_get_int_or (json_array_get_object_element (spans, 0), "Start", 0);
  for (guint i = 0; i < json_array_get_length (spans); i++) {
    JsonObject *s = json_array_get_object_element (spans, i);
    CrMp4Info info;
    char *path = g_strdup (cr_json_get_string (s, "File"));
    g_ptr_array_add (j->paths, path);
    if (path == NULL || !cr_mp4_info_read (path, &info, error)) {
      if (path == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "span %u has no MP4", i);
      join_free (j);
      return FALSE;
    }
    CrConcatPiece piece
        = { path, cr_json_get_int_or (s, "Start", 0) - origin, info.duration_ms, info.has_audio };
    g_array_append_val (j->pieces, piece);
    j->width = MAX (j->width, info.width);
    j->height = MAX (j->height, info.height);
    j->with_audio = j->with_audio || info.has_audio;
  }
  JsonObject *concat = cr_json_get_object (cr_json_get_object (t, "Request"), "Concat");
  j->image_url = g_strdup (cr_json_get_string (concat, "Image"));
  j->image_dir = g_build_filename (gen->rec->api->config->data_dir, "cache", "images", NULL);
  j->fetch_deny = g_strdup (gen->rec->api->config->fetch_deny);
  g_autofree char *dir = gen_dir (gen, t);
  g_autofree char *name = g_strdup_printf (
      "%" G_GINT64_FORMAT "_%" G_GINT64_FORMAT "_%s_concat.mp4",
      cr_json_get_int_or (t, "SdkAppId", 0), cr_json_get_int_or (t, "RoomId", 0), j->task_id);
  j->out = g_build_filename (dir, name, NULL);
  g_hash_table_replace (gen->joins, g_strdup (j->task_id), j);
  GTask *task = g_task_new (NULL, NULL, join_done, NULL);
  g_task_set_task_data (task, j, NULL);
  g_task_run_in_thread (task, join_run);
  g_object_unref (task);
  g_info ("video generation %s: joining %u spans (Concat)", j->task_id, j->pieces->len);
  return TRUE;
}

/* All spans composed: Concat's join where asked (TRUE once there is nothing left to wait for),
 * then the result. */
static gboolean
gen_check_end (CrClassVideoGen *gen, JsonObject *t)
{
  const char *id = cr_json_get_string (t, "TaskId");
  if (concat_wanted (t) && cr_json_get_string (t, "ConcatFile") == NULL) {
    Join *j = g_hash_table_lookup (gen->joins, id);
    g_autoptr (GError) error = NULL;
    if (j == NULL) {
      if (!join_start (gen, t, &error)) {
        g_autofree char *message = g_strdup_printf ("Concat: %s", error->message);
        gen_finish (gen, t, ERROR_GENERATION, message);
        return TRUE;
      }
      return FALSE;
    }
    if (!j->done)
      return FALSE;
    g_hash_table_steal (gen->joins, id);
    if (!j->ok) {
      g_autofree char *message = g_strdup_printf ("Concat: %s", j->error);
      join_free (j);
      gen_finish (gen, t, ERROR_GENERATION, message);
      return TRUE;
    }
    json_object_set_string_member (t, "ConcatFile", j->out);
    join_free (j);
  }
  gen_collect (gen, t);
  gen_finish (gen, t, NULL, NULL);
  return TRUE;
}

/* ---- the clock ---- */

/* Whether anybody publishes in the class's TRTC room now. */
static gboolean
room_busy (CrClassVideoGen *gen, JsonObject *r)
{
  CrRoomRegistry *rooms = gen->rec->api->rooms;
  if (rooms == NULL)
    return FALSE;
  CrRoomKey key = { .sdk_app_id = (guint64)cr_json_get_int_or (r, "SdkAppId", 0),
                    .string_room = cr_json_get_bool (r, "StringRoom"),
                    .room_id = cr_json_get_string (r, "TrtcRoom") };
  if (key.room_id == NULL)
    return FALSE;
  g_autoptr (GPtrArray) streams = cr_room_list_streams (rooms, &key);
  return streams != NULL && streams->len > 0;
}

/* QUEUED -> PROCESSING once the class is FINISHED and its room has nobody publishing. */
static gboolean
gen_check_queued (CrClassVideoGen *gen, JsonObject *t, JsonObject *r)
{
  if (cr_class_rec_state (r) != CR_CLASS_FINISHED || room_busy (gen, r))
    return FALSE;
  JsonArray *spans = json_array_new ();
  JsonArray *class_spans = cr_json_get_array (r, "Spans");
  gint64 play = 0;
  for (guint i = 0; class_spans != NULL && i < json_array_get_length (class_spans); i++) {
    JsonObject *cs = json_array_get_object_element (class_spans, i);
    gint64 start = cr_json_get_int_or (cs, "Start", 0), end = cr_json_get_int_or (cs, "End", 0);
    if (end - start < MIN_SPAN_MS)
      continue;
    JsonObject *s = json_object_new ();
    json_object_set_int_member (s, "ClassSpan", i);
    json_object_set_int_member (s, "Start", start);
    json_object_set_int_member (s, "End", end);
    json_object_set_int_member (s, "PlayTime", play);
    json_object_set_string_member (s, "Phase", "render");
    json_array_add_object_element (spans, s);
    play += end - start;
  }
  json_object_set_array_member (t, "Spans", spans);
  json_object_set_int_member (t, "Span", 0);
  json_object_set_int_member (t, "TotalTime", play);
  /* the class's callbacks' TRTC task keeps this one's in order too */
  JsonArray *tasks = cr_json_get_array (cr_class_rec_last_span (r), "Tasks");
  if (tasks != NULL && json_array_get_length (tasks) > 0)
    json_object_set_string_member (
        t, "CallbackTaskId",
        cr_json_get_string (json_array_get_object_element (tasks, 0), "TaskId"));
  json_object_set_string_member (t, "Status", CR_VIDEO_GEN_PROCESSING);
  g_info ("video generation %s processing: %u spans", cr_json_get_string (t, "TaskId"),
          json_array_get_length (spans));
  if (json_array_get_length (spans) == 0)
    gen_finish (gen, t, ERROR_GENERATION, "the class recorded no span of media");
  return TRUE;
}

/* One step of a PROCESSING task; TRUE when its record changed. */
static gboolean
gen_check_processing (CrClassVideoGen *gen, JsonObject *t, JsonObject *r)
{
  const char *id = cr_json_get_string (t, "TaskId");
  JsonObject *span = current_span (t);
  if (span == NULL)
    return gen_check_end (gen, t);
  const char *phase = cr_json_get_string (span, "Phase");
  g_autoptr (GError) error = NULL;
  if (g_strcmp0 (phase, "render") == 0) {
    Render *rd = g_hash_table_lookup (gen->renders, id);
    if (rd == NULL) {
      if (!span_prepare (gen, t, r, &error) || !span_render_start (gen, t, &error)) {
        gen_finish (gen, t, ERROR_GENERATION, error->message);
        return TRUE;
      }
      set_progress (t, 0);
      return TRUE;
    }
    if (!rd->done)
      return FALSE;
    g_autofree char *why = g_strdup (rd->error);
    gboolean ok = rd->ok;
    g_hash_table_remove (gen->renders, id);
    render_free (rd);
    if (!ok || !span_compose_start (gen, t, &error)) {
      g_autofree char *message
          = g_strdup_printf ("%s: %s", ok ? "compose" : "board-render", ok ? error->message : why);
      gen_finish (gen, t, ERROR_GENERATION, message);
      return TRUE;
    }
    set_progress (t, RENDER_SHARE);
    return TRUE;
  }
  if (g_strcmp0 (phase, "compose") == 0) {
    g_autoptr (CrComposeJob) job = cr_compose_jobs_lookup (
        (guint64)cr_json_get_int_or (t, "SdkAppId", 0), cr_json_get_string (span, "ComposeId"));
    if (job == NULL) {
      /* the daemon restarted meanwhile: the span again */
      json_object_set_string_member (span, "Phase", "render");
      return TRUE;
    }
    if (job->status == CR_COMPOSE_RUNNING) {
      gint64 before = cr_json_get_int_or (t, "Progress", 0);
      set_progress (t, RENDER_SHARE + job->progress * (100 - RENDER_SHARE) / 100);
      return cr_json_get_int_or (t, "Progress", 0) != before;
    }
    if (job->status == CR_COMPOSE_FAILED) {
      g_autofree char *message = g_strdup_printf ("compose: %s", job->error);
      gen_finish (gen, t, ERROR_GENERATION, message);
      return TRUE;
    }
    json_object_set_string_member (span, "Phase", "done");
    if (job->warnings != NULL && job->warnings->len > 0)
      json_object_set_string_member (span, "Warning", g_ptr_array_index (job->warnings, 0));
    g_autofree char *work = span_work_dir (gen, t, cr_json_get_int_or (t, "Span", 0));
    remove_tree (work);
    json_object_set_int_member (t, "Span", cr_json_get_int_or (t, "Span", 0) + 1);
    set_progress (t, 0);
    return TRUE;
  }
  /* "done": the next one */
  json_object_set_int_member (t, "Span", cr_json_get_int_or (t, "Span", 0) + 1);
  return TRUE;
}

static gboolean
gen_on_tick (gpointer data)
{
  CrClassVideoGen *gen = data;
  g_autoptr (GList) ids = g_hash_table_get_keys (gen->active);
  for (GList *l = ids; l != NULL; l = l->next) {
    JsonObject *t = g_hash_table_lookup (gen->active, l->data);
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) r
        = cr_class_rec_find (gen->rec, (guint64)cr_json_get_int_or (t, "SdkAppId", 0),
                             cr_json_get_string (t, "OnlineRecordTaskId"), &error);
    gboolean changed;
    if (r == NULL) {
      gen_finish (gen, t, ERROR_GENERATION, error->message);
      changed = TRUE;
    } else if (g_strcmp0 (gen_status (t), CR_VIDEO_GEN_QUEUED) == 0)
      changed = gen_check_queued (gen, t, r);
    else
      changed = gen_check_processing (gen, t, r);
    if (!changed)
      continue;
    gen_save (gen, t);
    if (g_strcmp0 (gen_status (t), CR_VIDEO_GEN_FINISHED) == 0)
      g_hash_table_remove (gen->active, l->data);
  }
  return G_SOURCE_CONTINUE;
}

/* ---- the actions ---- */

static gboolean
gen_available (CrClassRecorder *rec, GError **error)
{
  if (rec->vgen != NULL)
    return TRUE;
  cr_api_error_set (error, "InternalError", "video generation is not running on this server");
  return FALSE;
}

gboolean
cr_class_video_gen_create (CrClassRecorder *rec, const CrApp *app, JsonObject *req, char **task_id,
                           GError **error)
{
  if (!gen_available (rec, error))
    return FALSE;
  CrClassVideoGen *gen = rec->vgen;
  const char *class_id = cr_json_get_string (req, "OnlineRecordTaskId");
  g_autoptr (GError) find_error = NULL;
  g_autoptr (JsonObject) r = cr_class_rec_find (rec, app->sdk_app_id, class_id, &find_error);
  if (r == NULL) {
    if (strstr (find_error->message, "is not an online recording") == NULL) {
      g_propagate_error (error, g_steal_pointer (&find_error));
      return FALSE;
    }
    cr_api_error_set (error, CR_VIDEO_GEN_ERROR_NOT_FOUND,
                      "OnlineRecordTaskId %s is not an online recording of SdkAppId "
                      "%" G_GUINT64_FORMAT,
                      class_id, app->sdk_app_id);
    return FALSE;
  }
  JsonObject *class_req = cr_class_rec_request (r);
  if (!cr_class_video_mode (class_req)) {
    cr_api_error_set (error, CR_VIDEO_GEN_ERROR_REALTIME,
                      "OnlineRecordTaskId %s records in %s: its videos are made while it "
                      "records; video generation takes a VIDEO_GENERATION_MODE class",
                      class_id, cr_json_get_string (class_req, "RecordMode"));
    return FALSE;
  }
  CrClassState state = cr_class_rec_state (r);
  if (state != CR_CLASS_STOPPED && state != CR_CLASS_FINISHED) {
    cr_api_error_set (error, CR_VIDEO_GEN_ERROR_RECORDING,
                      "OnlineRecordTaskId %s is %s; stop it (StopOnlineRecord) before generating "
                      "its videos",
                      class_id, cr_class_state_name (state));
    return FALSE;
  }
  /* The effective request: this call's Whiteboard/MixStream/Concat/RecordControl win. */
  gint64 now = rec->api->now_ms ();
  g_autofree char *class_text = cr_json_object_to_string (class_req);
  g_autoptr (JsonObject) request = cr_json_parse_object (class_text, strlen (class_text), error);
  if (request == NULL)
    return FALSE;
  for (const char *const *m
       = (const char *const[]){ "Whiteboard", "MixStream", "Concat", "RecordControl", NULL };
       *m != NULL; m++) {
    JsonNode *n = json_object_get_member (req, *m);
    if (n != NULL)
      json_object_set_member (request, *m, json_node_copy (n));
  }
  g_autoptr (JsonObject) t = json_object_new ();
  g_autofree char *id = cr_task_id_new ();
  json_object_set_string_member (t, "TaskId", id);
  json_object_set_int_member (t, "SdkAppId", (gint64)app->sdk_app_id);
  json_object_set_string_member (t, "OnlineRecordTaskId", class_id);
  gint64 room = cr_json_get_int_or (class_req, "RoomId", 0);
  json_object_set_int_member (t, "RoomId", room);
  const char *group = cr_json_get_string (class_req, "GroupId");
  g_autofree char *room_text = g_strdup_printf ("%" G_GINT64_FORMAT, room);
  json_object_set_string_member (t, "GroupId", group != NULL && *group != '\0' ? group : room_text);
  json_object_set_string_member (t, "BoardUserId", cr_json_get_string (r, "RecordUserId"));
  g_autofree char *mix_user = cr_class_mix_user_id (request);
  json_object_set_string_member (t, "MixUserId", mix_user);
  json_object_set_string_member (t, "Status", CR_VIDEO_GEN_QUEUED);
  json_object_set_int_member (t, "Progress", 0);
  json_object_set_int_member (t, "CreatedMs", now);
  json_object_set_object_member (t, "Request", json_object_ref (request));
  g_autofree char *text = cr_json_object_to_string (t);
  if (!cr_video_gen_store_put (gen->store, app->sdk_app_id, id, class_id, CR_VIDEO_GEN_QUEUED, now,
                               now, text, error))
    return FALSE;
  g_info ("video generation %s of class %s queued", id, class_id);
  g_hash_table_insert (gen->active, g_strdup (id), g_steal_pointer (&t));
  *task_id = g_steal_pointer (&id);
  return TRUE;
}

gboolean
cr_class_video_gen_describe (CrClassRecorder *rec, const CrApp *app, const char *task_id,
                             JsonObject *reply, GError **error)
{
  if (!gen_available (rec, error))
    return FALSE;
  JsonObject *t = g_hash_table_lookup (rec->vgen->active, task_id);
  if (t != NULL && (guint64)cr_json_get_int_or (t, "SdkAppId", 0) == app->sdk_app_id) {
    gen_describe (t, reply);
    return TRUE;
  }
  g_autoptr (GError) local = NULL;
  g_autofree char *text
      = cr_video_gen_store_get (rec->vgen->store, app->sdk_app_id, task_id, &local);
  g_autoptr (JsonObject) stored
      = text != NULL ? cr_json_parse_object (text, strlen (text), &local) : NULL;
  if (stored == NULL) {
    if (local != NULL) {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
    cr_api_error_set (error, CR_VIDEO_GEN_ERROR_NOT_FOUND,
                      "TaskId %s is not a video-generation task of SdkAppId %" G_GUINT64_FORMAT,
                      task_id, app->sdk_app_id);
    return FALSE;
  }
  gen_describe (stored, reply);
  return TRUE;
}

gboolean
cr_class_video_gen_set_callback (CrClassRecorder *rec, const CrApp *app, const char *url,
                                 const char *key, GError **error)
{
  return gen_available (rec, error)
         && cr_video_gen_store_set_callback (rec->vgen->store, app->sdk_app_id, url, key, error);
}

gboolean
cr_class_video_gen_get_callback (CrClassRecorder *rec, const CrApp *app, char **url, char **key,
                                 GError **error)
{
  return gen_available (rec, error)
         && cr_video_gen_store_get_callback (rec->vgen->store, app->sdk_app_id, url, key, error);
}

/* ---- life ---- */

gboolean
cr_class_video_gen_start (CrClassRecorder *rec, GError **error)
{
  if (rec->vgen != NULL)
    return TRUE;
  g_autoptr (CrVideoGenStore) store = cr_video_gen_store_open (rec->api->config->db_path, error);
  if (store == NULL)
    return FALSE;
  g_autoptr (GPtrArray) rows = cr_video_gen_store_list_unfinished (store, error);
  if (rows == NULL)
    return FALSE;
  CrClassVideoGen *gen = g_new0 (CrClassVideoGen, 1);
  gen->rec = rec;
  gen->store = g_steal_pointer (&store);
  gen->active
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)json_object_unref);
  gen->renders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gen->joins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < rows->len; i++) {
    const char *text = g_ptr_array_index (rows, i);
    g_autoptr (GError) parse_error = NULL;
    JsonObject *t = cr_json_parse_object (text, strlen (text), &parse_error);
    if (t == NULL) {
      g_warning ("video generation: unreadable record: %s", parse_error->message);
      continue;
    }
    g_hash_table_insert (gen->active, g_strdup (cr_json_get_string (t, "TaskId")), t);
  }
  if (rows->len > 0)
    g_info ("video generation: %u tasks resumed", rows->len);
  gen->tick = g_timeout_add (TICK_MS, gen_on_tick, gen);
  rec->vgen = gen;
  return TRUE;
}

void
cr_class_video_gen_free (CrClassRecorder *rec)
{
  CrClassVideoGen *gen = rec->vgen;
  if (gen == NULL)
    return;
  rec->vgen = NULL;
  if (gen->tick != 0)
    g_source_remove (gen->tick);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, gen->renders);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Render *r = value;
    if (r->done)
      render_free (r);
    else
      r->gen = NULL; /* freed by its callback */
  }
  g_hash_table_unref (gen->renders);
  g_hash_table_iter_init (&it, gen->joins);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Join *j = value;
    if (j->done)
      join_free (j);
    else
      j->gen = NULL; /* freed when its thread is done */
  }
  g_hash_table_unref (gen->joins);
  g_hash_table_unref (gen->active);
  cr_video_gen_store_close (gen->store);
  g_free (gen);
}
