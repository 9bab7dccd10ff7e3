/* Concat of a video-generation task (the request's Concat.Enabled, more than one span): the
 * spans' MP4s joined into one, each at its span's place on the class's timeline; then the end of
 * the task (its MP4s stored in the class's bucket where it has one), its result. Why a thread:
 * joining is a decode and encode of the whole class (media/concat.h), too long for the daemon's
 * main loop. */
#include <gio/gio.h>

#include "common/file_util.h"
#include "common/json_util.h"
#include "media/concat.h"
#include "mix/image_cache.h"
#include "tiw/class_video_gen_private.h"
#include "tiw/mp4_info.h"

/* Concat: the spans' MP4s joined in a thread (media/concat.h). */
typedef struct {
  CrVideoGenWork work;
  char *task_id;
  GArray *pieces; /* CrConcatPiece, paths owned by @paths */
  GPtrArray *paths;
  int width, height;
  gboolean with_audio;
  char *image_url, *image_dir, *fetch_deny, *out;
  gboolean ok;
  char *error;
} Join;

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
  j->work.done = TRUE;
  if (j->work.gen == NULL)
    join_free (j); /* the tasks are gone */
}

/* Starts joining the spans' MP4s: each at its span's place on the class's timeline (pauses
 * included, filled with Concat.Image or black, as real-time Concat fills them). */
static gboolean
join_start (CrClassVideoGen *gen, JsonObject *t, GError **error)
{
  Join *j = g_new0 (Join, 1);
  j->work.gen = gen;
  j->work.free_work = (GDestroyNotify)join_free;
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
  g_autofree char *dir = cr_video_gen_dir (gen, t);
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

/* All spans composed: Concat's join where asked, the upload to the class's bucket where it has
 * one (TRUE once there is nothing left to wait for), then the result. */
gboolean
cr_video_gen_check_end (CrClassVideoGen *gen, JsonObject *t, JsonObject *r)
{
  const char *id = cr_json_get_string (t, "TaskId");
  if (concat_wanted (t) && cr_json_get_string (t, "ConcatFile") == NULL) {
    Join *j = g_hash_table_lookup (gen->joins, id);
    g_autoptr (GError) error = NULL;
    if (j == NULL) {
      if (!join_start (gen, t, &error)) {
        g_autofree char *message = g_strdup_printf ("Concat: %s", error->message);
        cr_video_gen_finish (gen, t, CR_VIDEO_GEN_ERROR_GENERATION, message);
        return TRUE;
      }
      return FALSE;
    }
    if (!j->work.done)
      return FALSE;
    g_hash_table_steal (gen->joins, id);
    if (!j->ok) {
      g_autofree char *message = g_strdup_printf ("Concat: %s", j->error);
      join_free (j);
      cr_video_gen_finish (gen, t, CR_VIDEO_GEN_ERROR_GENERATION, message);
      return TRUE;
    }
    json_object_set_string_member (t, "ConcatFile", j->out);
    join_free (j);
  }
  g_autofree char *why = NULL;
  CrVideoGenBucket stored = cr_video_gen_bucket_store (gen, t, r, &why);
  if (stored == CR_VIDEO_GEN_BUCKET_RUNNING)
    return FALSE;
  if (stored == CR_VIDEO_GEN_BUCKET_FAILED) {
    g_autofree char *message = g_strdup_printf ("the class's bucket: %s", why);
    cr_video_gen_finish (gen, t, CR_VIDEO_GEN_ERROR_GENERATION, message);
    return TRUE;
  }
  cr_video_gen_collect (gen, t);
  if (stored == CR_VIDEO_GEN_BUCKET_DONE) {
    /* the MP4s are in the class's bucket: no local copy stays */
    g_autofree char *dir = cr_video_gen_dir (gen, t);
    cr_file_remove_tree (dir);
  }
  cr_video_gen_finish (gen, t, NULL, NULL);
  return TRUE;
}
