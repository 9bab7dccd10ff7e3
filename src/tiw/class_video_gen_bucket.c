/* A video-generation task of a class stored in a bucket (class-record-storage cos or s3): the
 * current span's per-user playlists and the segments they use downloaded from each of its TRTC
 * tasks' folders into the span's work directory (tools/s3_prefix.h, as `cloudrec compose --in
 * s3://` reads a task), and at the end the MP4s (the spans' and Concat's) uploaded into the
 * class's folder, "<prefix>/<class TaskId>/<TaskId>/<file>" beside its TRTC tasks' folders, with
 * the keys its TRTC tasks were given.
 *
 * Why threads: a class's media going down and its MP4s going up take long and must not block the
 * daemon's main loop; a daemon restart meanwhile starts the transfer again (its files are
 * written again whole). */
#include <glib/gstdio.h>
#include <string.h>

#include "common/file_util.h"
#include "common/json_util.h"
#include "task/spec.h"
#include "tiw/class_bucket.h"
#include "tiw/class_video_gen_private.h"
#include "tools/s3_prefix.h"
#include "upload/storage_target.h"

/* A task's download (the span's folders into their directories) or upload (its MP4s into one
 * folder). */
typedef struct {
  CrVideoGenWork work;
  char *task_id;
  GPtrArray *folders; /* CrClassFolder */
  GPtrArray *paths;   /* an upload: the files, each uploaded under its name; NULL: a download */
  gboolean ok;
  char *error;
} Transfer;

static void
transfer_free (Transfer *x)
{
  g_free (x->task_id);
  g_ptr_array_unref (x->folders);
  if (x->paths != NULL)
    g_ptr_array_unref (x->paths);
  g_free (x->error);
  g_free (x);
}

/* In the thread: each folder's playlists, their SEI sidecars and the segments they use into its
 * directory. */
static gboolean
transfer_download (Transfer *x, GError **error)
{
  for (guint i = 0; i < x->folders->len; i++) {
    if (!cr_class_folder_fetch (g_ptr_array_index (x->folders, i), TRUE, error))
      return FALSE;
  }
  return TRUE;
}

/* In the thread: the files uploaded into the one folder. */
static gboolean
transfer_upload (Transfer *x, GError **error)
{
  const CrClassFolder *f = g_ptr_array_index (x->folders, 0);
  CrS3Loc loc;
  g_autoptr (CrS3Client) c = cr_class_folder_client (f, &loc, error);
  if (c == NULL)
    return FALSE;
  for (guint i = 0; i < x->paths->len; i++) {
    const char *path = g_ptr_array_index (x->paths, i);
    g_autofree char *name = g_path_get_basename (path);
    if (!cr_s3_prefix_put (c, &loc, name, path, error))
      return FALSE;
  }
  return TRUE;
}

static void
transfer_run (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  Transfer *x = data;
  g_autoptr (GError) error = NULL;
  x->ok = x->paths != NULL ? transfer_upload (x, &error) : transfer_download (x, &error);
  if (!x->ok)
    x->error = g_strdup (error->message);
  g_task_return_boolean (task, TRUE);
}

static void
transfer_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Transfer *x = g_task_get_task_data (G_TASK (res));
  x->work.done = TRUE;
  if (x->work.gen == NULL)
    transfer_free (x); /* the tasks are gone */
}

static void
transfer_start (CrClassVideoGen *gen, Transfer *x)
{
  x->work.gen = gen;
  x->work.free_work = (GDestroyNotify)transfer_free;
  g_hash_table_replace (gen->transfers, g_strdup (x->task_id), x);
  GTask *task = g_task_new (NULL, NULL, transfer_done, NULL);
  g_task_set_task_data (task, x, NULL);
  g_task_run_in_thread (task, transfer_run);
  g_object_unref (task);
}

/* The task's transfer once it has ended (then forgotten): DONE or FAILED with @why; RUNNING
 * while it runs; LOCAL (nothing) when none was started. */
static CrVideoGenBucket
transfer_collect (CrClassVideoGen *gen, const char *task_id, char **why)
{
  Transfer *x = g_hash_table_lookup (gen->transfers, task_id);
  if (x == NULL)
    return CR_VIDEO_GEN_BUCKET_LOCAL;
  if (!x->work.done)
    return CR_VIDEO_GEN_BUCKET_RUNNING;
  gboolean ok = x->ok;
  if (!ok)
    *why = g_strdup (x->error);
  g_hash_table_remove (gen->transfers, task_id); /* the key only: the table owns no value */
  transfer_free (x);
  return ok ? CR_VIDEO_GEN_BUCKET_DONE : CR_VIDEO_GEN_BUCKET_FAILED;
}

CrVideoGenBucket
cr_video_gen_bucket_fetch (CrClassVideoGen *gen, JsonObject *t, JsonObject *r, char **why)
{
  const char *id = cr_json_get_string (t, "TaskId");
  if (g_hash_table_contains (gen->transfers, id))
    return transfer_collect (gen, id, why);
  guint64 app = (guint64)cr_json_get_int_or (t, "SdkAppId", 0);
  gint64 index = cr_json_get_int_or (t, "Span", 0);
  gint64 class_span = cr_json_get_int_or (cr_video_gen_current_span (t), "ClassSpan", 0);
  JsonArray *spans = cr_json_get_array (r, "Spans");
  JsonObject *cs = spans != NULL && class_span < json_array_get_length (spans)
                       ? json_array_get_object_element (spans, class_span)
                       : NULL;
  JsonArray *tasks = cr_json_get_array (cs, "Tasks");
  g_autofree char *work = cr_video_gen_span_dir (gen, t, index);
  g_autofree char *fetched = g_build_filename (work, CR_VIDEO_GEN_FETCHED, NULL);
  GPtrArray *folders = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_class_folder_free);
  for (guint i = 0; tasks != NULL && i < json_array_get_length (tasks); i++) {
    const char *trtc = cr_json_get_string (json_array_get_object_element (tasks, i), "TaskId");
    CrClassFolder *f = cr_class_task_folder (gen->rec, app, trtc);
    if (f == NULL)
      continue;
    f->dir = g_build_filename (fetched, trtc, NULL);
    g_ptr_array_add (folders, f);
  }
  if (folders->len == 0) {
    g_ptr_array_unref (folders);
    return CR_VIDEO_GEN_BUCKET_LOCAL;
  }
  cr_file_remove_tree (work); /* what a restart left */
  Transfer *x = g_new0 (Transfer, 1);
  x->task_id = g_strdup (id);
  x->folders = folders;
  g_info ("video generation %s: span %" G_GINT64_FORMAT ": downloading %u TRTC tasks' files", id,
          index, folders->len);
  transfer_start (gen, x);
  return CR_VIDEO_GEN_BUCKET_RUNNING;
}

/* The MP4s of the task: each span's and Concat's. */
static GPtrArray *
task_mp4s (JsonObject *t)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  JsonArray *spans = cr_json_get_array (t, "Spans");
  for (guint i = 0; spans != NULL && i < json_array_get_length (spans); i++) {
    const char *file = cr_json_get_string (json_array_get_object_element (spans, i), "File");
    if (file != NULL)
      g_ptr_array_add (paths, g_strdup (file));
  }
  const char *joined = cr_json_get_string (t, "ConcatFile");
  if (joined != NULL)
    g_ptr_array_add (paths, g_strdup (joined));
  return paths;
}

/* The folder the task's MP4s go to: "<class folder>/<TaskId>", the class folder being the parent
 * of its first TRTC task's ("<prefix>/<class TaskId>"); NULL when the class is local. */
static CrClassFolder *
task_out_folder (CrClassVideoGen *gen, JsonObject *t, JsonObject *r)
{
  JsonArray *spans = cr_json_get_array (r, "Spans");
  JsonObject *first = spans != NULL && json_array_get_length (spans) > 0
                          ? json_array_get_object_element (spans, 0)
                          : NULL;
  JsonArray *tasks = cr_json_get_array (first, "Tasks");
  const char *trtc = tasks != NULL && json_array_get_length (tasks) > 0
                         ? cr_json_get_string (json_array_get_object_element (tasks, 0), "TaskId")
                         : NULL;
  CrClassFolder *f
      = cr_class_task_folder (gen->rec, (guint64)cr_json_get_int_or (t, "SdkAppId", 0), trtc);
  if (f == NULL)
    return NULL;
  const char *slash = strrchr (f->prefix, '/');
  g_autofree char *class_folder = slash != NULL ? g_strndup (f->prefix, slash - f->prefix) : NULL;
  g_free (f->prefix);
  f->prefix = class_folder != NULL
                  ? g_strconcat (class_folder, "/", cr_json_get_string (t, "TaskId"), NULL)
                  : g_strdup (cr_json_get_string (t, "TaskId"));
  return f;
}

CrVideoGenBucket
cr_video_gen_bucket_store (CrClassVideoGen *gen, JsonObject *t, JsonObject *r, char **why)
{
  const char *id = cr_json_get_string (t, "TaskId");
  if (g_hash_table_contains (gen->transfers, id)) {
    CrVideoGenBucket step = transfer_collect (gen, id, why);
    if (step != CR_VIDEO_GEN_BUCKET_DONE)
      return step;
    /* where each file went: "Stored" {path: {Key, Url}} */
    CrClassFolder *f = task_out_folder (gen, t, r);
    if (f == NULL) {
      *why = g_strdup ("the class's bucket is no longer known");
      return CR_VIDEO_GEN_BUCKET_FAILED;
    }
    CrSpecStorage st = { .vendor = f->vendor, .region = f->region, .bucket = f->bucket };
    JsonObject *stored = json_object_new ();
    g_autoptr (GPtrArray) paths = task_mp4s (t);
    for (guint i = 0; i < paths->len; i++) {
      const char *path = g_ptr_array_index (paths, i);
      g_autofree char *name = g_path_get_basename (path);
      g_autofree char *key = g_strconcat (f->prefix, "/", name, NULL);
      g_autofree char *url = cr_storage_object_url (&st, f->endpoint, key);
      JsonObject *where = json_object_new ();
      json_object_set_string_member (where, "Key", key);
      json_object_set_string_member (where, "Url", url);
      json_object_set_object_member (stored, path, where);
    }
    json_object_set_object_member (t, "Stored", stored);
    cr_class_folder_free (f);
    return CR_VIDEO_GEN_BUCKET_DONE;
  }
  CrClassFolder *f = task_out_folder (gen, t, r);
  if (f == NULL)
    return CR_VIDEO_GEN_BUCKET_LOCAL;
  Transfer *x = g_new0 (Transfer, 1);
  x->task_id = g_strdup (id);
  x->folders = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_class_folder_free);
  g_ptr_array_add (x->folders, f);
  x->paths = task_mp4s (t);
  g_info ("video generation %s: uploading %u MP4s to s3://%s/%s/", id, x->paths->len, f->bucket,
          f->prefix);
  transfer_start (gen, x);
  return CR_VIDEO_GEN_BUCKET_RUNNING;
}
