/* Concat (TIW's StartOnlineRecord `Concat`): a user's videos that pauses and interruptions cut
 * into several files are joined into one per user and video type, the time between them filled
 * with the request's Image (or black) and silence (media/concat.h). The joined file is stored
 * beside the class's TRTC folders as "<class folder>/<UserId>_concat.mp4" and replaces the
 * pieces in VideoInfos; the pieces stay stored (nothing recorded is removed).
 *
 * Why at the end, in a thread: the pieces exist only once every span's TRTC task has finished
 * and uploaded them (the result's collect step), and joining them is a decode and encode of the
 * whole class. A class in an object store has its pieces downloaded to a temporary directory and
 * the joined file uploaded back. A failure leaves that user's pieces in VideoInfos, and the
 * daemon's log says why. */
#include <glib/gstdio.h>
#include <string.h>

#include "blob/s3_client.h"
#include "common/json_util.h"
#include "config/config.h"
#include "media/concat.h"
#include "mix/image_cache.h"
#include "task/spec.h"
#include "tiw/class_private.h"
#include "tiw/mp4_info.h"
#include "upload/storage_target.h"

#define PART_SIZE (16 * 1024 * 1024)

typedef struct {
  char *user_id;
  gint64 type;
  gint64 play_start; /* the first piece's VideoPlayTime */
  int width, height;
  GPtrArray *keys; /* char*: the pieces' object keys (VideoId) */
  GArray *starts;  /* gint64: each piece's VideoPlayTime - play_start */
  char *out_key, *out_url;
  JsonObject *video; /* the joined file's VideoInfo, once written */
} Group;

struct _CrClassConcat {
  CrClassRecorder *rec; /* NULL once the recorder is gone */
  char *task_id;
  GPtrArray *groups; /* Group */
  gboolean s3;
  char *storage_dir;
  char *endpoint, *region, *bucket, *access_key, *secret_key;
  int vendor;
  char *image_url, *image_dir, *fetch_deny;
  gboolean done;
};

static void
group_free (Group *g)
{
  g_free (g->user_id);
  g_ptr_array_unref (g->keys);
  g_array_unref (g->starts);
  g_free (g->out_key);
  g_free (g->out_url);
  if (g->video != NULL)
    json_object_unref (g->video);
  g_free (g);
}

void
cr_class_concat_free (CrClassConcat *job)
{
  g_ptr_array_unref (job->groups);
  g_free (job->task_id);
  g_free (job->storage_dir);
  g_free (job->endpoint);
  g_free (job->region);
  g_free (job->bucket);
  g_free (job->access_key);
  g_free (job->secret_key);
  g_free (job->image_url);
  g_free (job->image_dir);
  g_free (job->fetch_deny);
  g_free (job);
}

/* "<a>/<class>/<trtc>/<file>" -> "<a>/<class>/<UserId>_concat.mp4" (URLs and keys alike). */
static char *
beside_class (const char *piece, const char *user_id)
{
  const char *last = strrchr (piece, '/');
  if (last == NULL)
    return g_strdup_printf ("%s_concat.mp4", user_id);
  const char *folder = last;
  while (folder > piece && *(folder - 1) != '/')
    folder--;
  if (folder == piece) /* "<trtc>/<file>": the class's folder is the root */
    return g_strdup_printf ("%s_concat.mp4", user_id);
  return g_strdup_printf ("%.*s%s_concat.mp4", (int)(folder - piece), piece, user_id);
}

/* The groups of @videos worth joining: videos (cameras, screen shares, the mix) of one UserId
 * and type in more than one file. */
static GPtrArray *
concat_groups (JsonArray *videos)
{
  GPtrArray *groups = g_ptr_array_new_with_free_func ((GDestroyNotify)group_free);
  g_autoptr (GHashTable) by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < json_array_get_length (videos); i++) {
    JsonObject *v = json_array_get_object_element (videos, i);
    gint64 type = cr_json_get_int_or (v, "VideoType", 0);
    if (type == 4 || g_strcmp0 (cr_json_get_string (v, "VideoFormat"), "mp4") != 0)
      continue;
    const char *user = cr_json_get_string (v, "UserId");
    g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT "/%s", type, user);
    Group *g = g_hash_table_lookup (by_key, key);
    if (g == NULL) {
      g = g_new0 (Group, 1);
      g->user_id = g_strdup (user);
      g->type = type;
      g->play_start = cr_json_get_int_or (v, "VideoPlayTime", 0);
      g->width = (int)cr_json_get_int_or (v, "Width", 0);
      g->height = (int)cr_json_get_int_or (v, "Height", 0);
      g->keys = g_ptr_array_new_with_free_func (g_free);
      g->starts = g_array_new (FALSE, FALSE, sizeof (gint64));
      /* the mix and a camera may share no name, but a screen share is "tic_substream_<user>" */
      g->out_key = beside_class (cr_json_get_string (v, "VideoId"), user);
      g->out_url = beside_class (cr_json_get_string (v, "VideoUrl"), user);
      g_hash_table_insert (by_key, g_steal_pointer (&key), g);
      g_ptr_array_add (groups, g);
    }
    g_ptr_array_add (g->keys, g_strdup (cr_json_get_string (v, "VideoId")));
    gint64 start = cr_json_get_int_or (v, "VideoPlayTime", 0) - g->play_start;
    g_array_append_val (g->starts, start);
  }
  for (guint i = groups->len; i-- > 0;) {
    if (((Group *)g_ptr_array_index (groups, i))->keys->len < 2)
      g_ptr_array_remove_index (groups, i);
  }
  return groups;
}

/* In the thread: one group joined and stored; its VideoInfo set. */
static gboolean
concat_group (CrClassConcat *job, Group *g, CrS3Client *s3, const char *tmp_dir, const char *image,
              GError **error)
{
  guint n = g->keys->len;
  g_autofree CrConcatPiece *pieces = g_new0 (CrConcatPiece, n);
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  gboolean with_audio = FALSE;
  for (guint i = 0; i < n; i++) {
    const char *key = g_ptr_array_index (g->keys, i);
    char *path = s3 != NULL ? g_strdup_printf ("%s/piece%u.mp4", tmp_dir, i)
                            : g_build_filename (job->storage_dir, key, NULL);
    g_ptr_array_add (paths, path);
    if (s3 != NULL && !cr_s3_get_file (s3, key, path, error))
      return FALSE;
    CrMp4Info info;
    if (!cr_mp4_info_read (path, &info, error))
      return FALSE;
    pieces[i] = (CrConcatPiece){ path, g_array_index (g->starts, gint64, i), info.duration_ms,
                                 info.has_audio };
    with_audio = with_audio || info.has_audio;
  }
  g_autofree char *out = s3 != NULL ? g_strdup_printf ("%s/joined.mp4", tmp_dir)
                                    : g_build_filename (job->storage_dir, g->out_key, NULL);
  if (!cr_concat_write (pieces, n, g->width, g->height, with_audio, image, out, error))
    return FALSE;
  CrMp4Info info;
  gboolean ok = cr_mp4_info_read (out, &info, error);
  if (ok && s3 != NULL) {
    g_autofree char *upload_id = NULL;
    ok = cr_s3_put_file_multipart (s3, g->out_key, out, PART_SIZE, &upload_id, NULL, NULL, error);
  }
  if (s3 != NULL) {
    g_unlink (out);
    for (guint i = 0; i < n; i++)
      g_unlink (g_ptr_array_index (paths, i));
  }
  if (!ok)
    return FALSE;
  JsonObject *v = json_object_new ();
  json_object_set_int_member (v, "VideoPlayTime", g->play_start);
  json_object_set_int_member (v, "VideoSize", info.size);
  json_object_set_string_member (v, "VideoFormat", "mp4");
  json_object_set_int_member (v, "VideoDuration", info.duration_ms);
  json_object_set_string_member (v, "VideoUrl", g->out_url);
  json_object_set_string_member (v, "VideoId", g->out_key);
  json_object_set_int_member (v, "VideoType", g->type);
  json_object_set_string_member (v, "UserId", g->user_id);
  json_object_set_int_member (v, "Width", info.width);
  json_object_set_int_member (v, "Height", info.height);
  g->video = v;
  return TRUE;
}

static void
concat_run (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  CrClassConcat *job = data;
  g_autoptr (CrS3Client) s3 = NULL;
  if (job->s3) {
    CrS3Config c = { job->endpoint,   job->vendor,     job->region, job->bucket,
                     job->access_key, job->secret_key, 0,           0 };
    s3 = cr_s3_client_new (&c);
  }
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp_dir = g_dir_make_tmp ("cloudrec-concat-XXXXXX", &error);
  const char *image = NULL;
  g_autoptr (CrImageCache) cache = NULL;
  if (job->image_url != NULL && *job->image_url != '\0') {
    cache = cr_image_cache_new (job->image_dir, job->fetch_deny, NULL, NULL, &error);
    image = cache != NULL ? cr_image_cache_file (cache, job->image_url, &error) : NULL;
    if (image == NULL)
      g_warning ("class task %s: Concat.Image %s cannot be used (%s): black instead", job->task_id,
                 job->image_url, error->message);
    g_clear_error (&error);
  }
  for (guint i = 0; tmp_dir != NULL && i < job->groups->len; i++) {
    Group *g = g_ptr_array_index (job->groups, i);
    if (!concat_group (job, g, s3, tmp_dir, image, &error)) {
      g_warning ("class task %s: the videos of %s stay apart: %s", job->task_id, g->user_id,
                 error->message);
      g_clear_error (&error);
    }
  }
  if (tmp_dir != NULL)
    g_rmdir (tmp_dir);
  g_task_return_boolean (task, TRUE);
}

static void
concat_done (GObject *source, GAsyncResult *res, gpointer data)
{
  CrClassConcat *job = g_task_get_task_data (G_TASK (res));
  job->done = TRUE;
  if (job->rec == NULL)
    cr_class_concat_free (job); /* the recorder closed meanwhile */
}

/* A new job for @r's @videos, its storage read from the class's first TRTC task; NULL when
 * nothing needs joining. */
static CrClassConcat *
concat_job_new (CrClassRecorder *rec, JsonObject *r, JsonArray *videos, JsonObject *concat)
{
  g_autoptr (GPtrArray) groups = concat_groups (videos);
  if (groups->len == 0)
    return NULL;
  JsonArray *spans = cr_json_get_array (r, "Spans");
  JsonObject *span = spans != NULL && json_array_get_length (spans) > 0
                         ? json_array_get_object_element (spans, 0)
                         : NULL;
  JsonArray *tasks = cr_json_get_array (span, "Tasks");
  const char *trtc = tasks != NULL && json_array_get_length (tasks) > 0
                         ? cr_json_get_string (json_array_get_object_element (tasks, 0), "TaskId")
                         : NULL;
  guint64 app = (guint64)cr_json_get_int_or (r, "SdkAppId", 0);
  g_autoptr (CrTask) task
      = trtc != NULL ? rec->api->store->vt->lookup (rec->api->store, app, trtc, NULL) : NULL;
  g_autoptr (CrTaskSpec) spec
      = task != NULL ? cr_task_spec_new_from_text (task->params_json, NULL) : NULL;
  if (spec == NULL)
    return NULL;
  const CrConfig *config = rec->api->config;
  CrClassConcat *job = g_new0 (CrClassConcat, 1);
  job->rec = rec;
  job->task_id = g_strdup (cr_json_get_string (r, "TaskId"));
  job->groups = g_steal_pointer (&groups);
  CrStorageEndpoints endpoints = { { NULL } };
  cr_storage_endpoints_parse (config->storage_endpoint, &endpoints, NULL);
  job->s3 = cr_storage_target_kind (&spec->storage, &endpoints) == CR_TARGET_S3;
  job->endpoint = g_strdup (cr_storage_endpoint_url (&spec->storage, &endpoints));
  cr_storage_endpoints_clear (&endpoints);
  job->storage_dir = g_strdup (config->storage_dir);
  job->vendor = spec->storage.vendor;
  job->region = g_strdup (spec->storage.region);
  job->bucket = g_strdup (spec->storage.bucket);
  job->access_key = g_strdup (spec->storage.access_key);
  job->secret_key = g_strdup (spec->storage.secret_key);
  job->image_url = g_strdup (cr_json_get_string (concat, "Image"));
  job->image_dir = g_build_filename (config->data_dir, "cache", "images", NULL);
  job->fetch_deny = g_strdup (config->fetch_deny);
  return job;
}

/* @videos with each joined group's pieces replaced by its one file. */
static JsonArray *
concat_apply (CrClassConcat *job, JsonArray *videos)
{
  g_autoptr (GHashTable) joined = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify)json_node_unref);
  for (guint i = 0; i < job->groups->len; i++) {
    Group *g = g_ptr_array_index (job->groups, i);
    if (g->video == NULL)
      continue;
    for (guint k = 0; k < g->keys->len; k++)
      g_hash_table_add (joined, g_ptr_array_index (g->keys, k));
    JsonNode *n = json_node_new (JSON_NODE_OBJECT);
    json_node_set_object (n, g->video);
    g_ptr_array_add (nodes, n);
  }
  for (guint i = 0; i < json_array_get_length (videos); i++) {
    JsonObject *v = json_array_get_object_element (videos, i);
    const char *id = cr_json_get_string (v, "VideoId");
    if (id == NULL || !g_hash_table_contains (joined, id))
      g_ptr_array_add (nodes, json_node_ref (json_array_get_element (videos, i)));
  }
  g_ptr_array_sort (nodes, cr_class_video_info_compare);
  JsonArray *out = json_array_new ();
  for (guint i = 0; i < nodes->len; i++)
    json_array_add_element (out, json_node_ref (g_ptr_array_index (nodes, i)));
  return out;
}

gboolean
cr_class_rec_concat (CrClassRecorder *rec, JsonObject *r, JsonArray **videos)
{
  JsonObject *concat = cr_json_get_object (cr_class_rec_request (r), "Concat");
  JsonNode *enabled = concat != NULL ? json_object_get_member (concat, "Enabled") : NULL;
  if (enabled == NULL || !JSON_NODE_HOLDS_VALUE (enabled) || !json_node_get_boolean (enabled))
    return TRUE;
  const char *task_id = cr_json_get_string (r, "TaskId");
  CrClassConcat *job = g_hash_table_lookup (rec->concats, task_id);
  if (job == NULL) {
    job = concat_job_new (rec, r, *videos, concat);
    if (job == NULL)
      return TRUE; /* nothing cut in pieces */
    g_info ("class task %s: joining %u users' videos (Concat)", task_id, job->groups->len);
    g_hash_table_insert (rec->concats, g_strdup (task_id), job);
    GTask *t = g_task_new (NULL, NULL, concat_done, NULL);
    g_task_set_task_data (t, job, NULL);
    g_task_run_in_thread (t, concat_run);
    g_object_unref (t);
    return FALSE;
  }
  if (!job->done)
    return FALSE;
  JsonArray *joined = concat_apply (job, *videos);
  json_array_unref (*videos);
  *videos = joined;
  g_hash_table_remove (rec->concats, task_id); /* frees the job */
  return TRUE;
}

void
cr_class_concat_detach (CrClassRecorder *rec)
{
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, rec->concats);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    CrClassConcat *job = value;
    if (job->done) {
      g_hash_table_iter_remove (&it);
    } else {
      job->rec = NULL; /* freed when its thread ends */
      g_hash_table_iter_steal (&it);
      g_free (key);
    }
  }
}
