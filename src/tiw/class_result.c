/* The result of a class task: its VideoInfos read from the stored files themselves (the MP4
 * headers, ADTS frames; a file in an object store is downloaded in a thread once), its
 * Interrupts, TotalTime, and what DescribeOnlineRecord and OnlineRecordFinished answer. */
#include <glib/gstdio.h>
#include <string.h>

#include "blob/s3_client.h"
#include "common/json_util.h"
#include "files/naming.h"
#include "task/codes.h"
#include "task/spec.h"
#include "tiw/class_private.h"
#include "tiw/class_video.h"
#include "tiw/mp4_info.h"
#include "upload/storage_target.h"
#include "upload/uploader.h"

/* A file's facts as probed: known, or being read from its object store (NULL). */
typedef struct {
  CrClassRecorder *rec; /* NULL once the recorder is gone */
  char *id;             /* "<bucket>/<key>": the probes table's key */
  CrS3Config config;    /* strings owned below */
  char *endpoint, *region, *bucket, *access_key, *secret_key, *key, *tmp_dir;
  CrMp4Info info;
  char *error;
} Probe;

/* A class file's format by its name: "mp4", "mp3" (AudioFileNeeded) or "aac" (classes recorded
 * before MP3); NULL for anything else. */
static const char *
media_format (const char *name)
{
  static const char *const formats[] = { "mp4", "mp3", "aac" };
  const char *dot = strrchr (name, '.');
  for (guint i = 0; dot != NULL && i < G_N_ELEMENTS (formats); i++) {
    if (strcmp (dot + 1, formats[i]) == 0)
      return formats[i];
  }
  return NULL;
}

/* The facts of the file at @path, read as @name's format says. */
static gboolean
media_info_read (const char *name, const char *path, CrMp4Info *info, GError **error)
{
  const char *format = media_format (name);
  if (g_strcmp0 (format, "mp3") == 0)
    return cr_mp3_info_read (path, info, error);
  if (g_strcmp0 (format, "aac") == 0)
    return cr_adts_info_read (path, info, error);
  return cr_mp4_info_read (path, info, error);
}

static void
probe_free (Probe *p)
{
  g_free (p->id);
  g_free (p->endpoint);
  g_free (p->region);
  g_free (p->bucket);
  g_free (p->access_key);
  g_free (p->secret_key);
  g_free (p->key);
  g_free (p->tmp_dir);
  g_free (p->error);
  g_free (p);
}

/* In a thread: the object downloaded to a temporary file, its headers read, the file removed. */
static void
probe_run (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  Probe *p = data;
  g_autoptr (CrS3Client) client = cr_s3_client_new (&p->config);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("cloudrec-class-XXXXXX", &error);
  g_autofree char *path = dir != NULL ? g_build_filename (dir, "probe.mp4", NULL) : NULL;
  if (path == NULL || !cr_s3_get_file (client, p->key, path, &error)
      || !media_info_read (p->key, path, &p->info, &error))
    p->error = g_strdup (error->message);
  if (path != NULL)
    g_unlink (path);
  if (dir != NULL)
    g_rmdir (dir);
  g_task_return_boolean (task, TRUE);
}

static void
probe_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Probe *p = g_task_get_task_data (G_TASK (res));
  if (p->rec == NULL)
    return; /* the recorder closed meanwhile */
  if (p->error != NULL)
    g_warning ("class recording: cannot read %s: %s (VideoInfo without size and duration)", p->id,
               p->error);
  CrMp4Info *info = g_memdup2 (&p->info, sizeof p->info);
  g_hash_table_replace (p->rec->probes, g_strdup (p->id), info);
  g_ptr_array_remove_fast (p->rec->probing, p);
}

/* Where a stored file is (@key, @url) and what it is (@info): FALSE while the facts of a file in
 * an object store are being read (a download in a thread; asked again at the next tick). */
static gboolean
rec_file_facts (CrClassRecorder *rec, const CrTask *task, const char *name, CrMp4Info *info,
                char **url, char **key)
{
  memset (info, 0, sizeof *info);
  *url = g_strdup ("");
  *key = g_strdup (name);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrTaskSpec) spec = cr_task_spec_new_from_text (task->params_json, &error);
  if (spec == NULL) {
    g_warning ("class recording: task %s: %s", task->task_id, error->message);
    return TRUE;
  }
  CrNamingTask naming = cr_task_spec_naming (spec, task->task_id);
  g_autofree char *rel = cr_naming_dir (&naming);
  g_free (*key);
  *key = g_strconcat (rel, name, NULL); /* rel ends in '/' */
  CrStorageEndpoints endpoints = { { NULL } };
  cr_storage_endpoints_parse (rec->api->config->storage_endpoint, &endpoints, NULL);
  CrTargetKind kind = cr_storage_target_kind (&spec->storage, &endpoints);
  g_autofree char *endpoint = g_strdup (cr_storage_endpoint_url (&spec->storage, &endpoints));
  cr_storage_endpoints_clear (&endpoints);
  const CrSpecStorage *st = &spec->storage;
  if (kind != CR_TARGET_S3) {
    g_autofree char *path = g_build_filename (rec->api->config->storage_dir, *key, NULL);
    g_autofree char *abs = g_canonicalize_filename (path, NULL);
    g_free (*url);
    *url = g_filename_to_uri (abs, NULL, NULL);
    if (!media_info_read (name, abs, info, &error))
      g_warning ("class recording: %s", error->message);
    return TRUE;
  }
  g_free (*url);
  *url = cr_storage_object_url (st, endpoint, *key);
  g_autofree char *id = g_strdup_printf ("%s/%s", st->bucket, *key);
  CrMp4Info *known = g_hash_table_lookup (rec->probes, id);
  if (known != NULL) {
    *info = *known;
    return TRUE;
  }
  for (guint i = 0; i < rec->probing->len; i++) {
    if (strcmp (((Probe *)g_ptr_array_index (rec->probing, i))->id, id) == 0)
      return FALSE;
  }
  Probe *p = g_new0 (Probe, 1);
  p->rec = rec;
  p->id = g_steal_pointer (&id);
  p->endpoint = g_strdup (endpoint);
  p->region = g_strdup (st->region);
  p->bucket = g_strdup (st->bucket);
  p->access_key = g_strdup (st->access_key);
  p->secret_key = g_strdup (st->secret_key);
  p->key = g_strdup (*key);
  p->config = (CrS3Config){ p->endpoint,   st->vendor,    p->region, p->bucket,
                            p->access_key, p->secret_key, 0,         0 };
  g_ptr_array_add (rec->probing, p);
  GTask *t = g_task_new (NULL, NULL, probe_done, NULL);
  g_task_set_task_data (t, p, (GDestroyNotify)probe_free);
  g_task_run_in_thread (t, probe_run);
  g_object_unref (t);
  return FALSE;
}

gint
cr_class_video_info_compare (gconstpointer a, gconstpointer b)
{
  JsonObject *x = json_node_get_object (*(JsonNode *const *)a);
  JsonObject *y = json_node_get_object (*(JsonNode *const *)b);
  gint64 tx = cr_json_get_int_or (x, "VideoPlayTime", 0),
         ty = cr_json_get_int_or (y, "VideoPlayTime", 0);
  if (tx != ty)
    return tx < ty ? -1 : 1;
  return g_strcmp0 (cr_json_get_string (x, "UserId"), cr_json_get_string (y, "UserId"));
}

/* VideoInfos and Interrupts of the finished spans; FALSE (nothing set) while a TRTC task has not
 * finished its files or some still wait for their object store. */
gboolean
cr_class_rec_collect (CrClassRecorder *rec, JsonObject *r, JsonArray **out_videos,
                      JsonArray **out_interrupts)
{
  CrTaskStore *store = rec->api->store;
  guint64 app = (guint64)cr_json_get_int_or (r, "SdkAppId", 0);
  JsonArray *spans = cr_json_get_array (r, "Spans");
  g_autoptr (GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify)json_node_unref);
  g_autoptr (GHashTable) files_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) spans_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *mix_user = cr_class_mix_user_id (cr_class_rec_request (r));
  gint64 play = 0;
  gboolean ready = TRUE;
  for (guint i = 0; spans != NULL && i < json_array_get_length (spans); i++) {
    JsonObject *span = json_array_get_object_element (spans, i);
    gint64 start = cr_json_get_int_or (span, "Start", 0), end = cr_json_get_int_or (span, "End", 0);
    JsonArray *tasks = cr_json_get_array (span, "Tasks");
    g_autoptr (GHashTable) users_here = g_hash_table_new (g_str_hash, g_str_equal);
    for (guint j = 0; tasks != NULL && j < json_array_get_length (tasks); j++) {
      JsonObject *entry = json_array_get_object_element (tasks, j);
      const char *trtc = cr_json_get_string (entry, "TaskId");
      gboolean mixed = g_strcmp0 (cr_json_get_string (entry, "Part"), "mixed") == 0;
      gboolean audio = g_strcmp0 (cr_json_get_string (entry, "Part"), "audio") == 0;
      g_autoptr (GError) error = NULL;
      g_autoptr (CrTask) task = store->vt->lookup (store, app, trtc, &error);
      if (task == NULL)
        continue; /* gone from the store: nothing to describe */
      if (task->finished_ms == 0)
        return FALSE;
      CrUploadState up = { 0 };
      cr_uploader_task_state (rec->api->uploads, trtc, &up);
      gint64 pending = up.pending;
      cr_upload_state_clear (&up);
      if (pending > 0)
        return FALSE;
      g_autoptr (GPtrArray) files = store->vt->list_files (store, trtc, &error);
      for (guint k = 0; files != NULL && k < files->len; k++) {
        const CrTaskFile *f = g_ptr_array_index (files, k);
        const char *format = media_format (f->file_name);
        if (format == NULL || (strcmp (format, "mp4") == 0) == audio)
          continue;
        g_autofree char *url = NULL, *key = NULL;
        CrMp4Info info;
        if (!rec_file_facts (rec, task, f->file_name, &info, &url, &key))
          ready = FALSE;
        gboolean aux = strstr (f->file_name, "__UserId_e_aux_") != NULL;
        /* the board publisher's own video: TIW's whiteboard video (VideoType 2, UserId "") */
        gboolean board = !mixed && !audio && !aux
                         && g_strcmp0 (f->user_id, cr_json_get_string (r, "BoardUser")) == 0;
        JsonObject *v = json_object_new ();
        json_object_set_int_member (v, "VideoPlayTime", play + MAX (0, f->begin_ts_ms - start));
        json_object_set_int_member (v, "VideoSize", info.size);
        json_object_set_string_member (v, "VideoFormat", format);
        json_object_set_int_member (v, "VideoDuration", info.duration_ms);
        json_object_set_string_member (v, "VideoUrl", url);
        json_object_set_string_member (v, "VideoId", key);
        json_object_set_int_member (v, "VideoType",
                                    mixed   ? 3
                                    : audio ? 4
                                    : aux   ? 1
                                    : board ? 2
                                            : 0);
        g_autofree char *user = mixed   ? g_strdup (mix_user)
                                : aux   ? g_strdup_printf ("tic_substream_%s", f->user_id)
                                : board ? g_strdup ("")
                                        : g_strdup (f->user_id);
        json_object_set_string_member (v, "UserId", user);
        json_object_set_int_member (v, "Width", info.width);
        json_object_set_int_member (v, "Height", info.height);
        JsonNode *node = json_node_new (JSON_NODE_OBJECT);
        json_node_take_object (node, v);
        g_ptr_array_add (nodes, node);
        if (!mixed && !aux && !audio && !board) {
          g_hash_table_replace (
              files_of, g_strdup (f->user_id),
              GINT_TO_POINTER (GPOINTER_TO_INT (g_hash_table_lookup (files_of, f->user_id)) + 1));
          g_hash_table_add (users_here, f->user_id);
        }
      }
      /* a failover is an exception the recording survived */
      json_object_set_int_member (r, "ExceptionCnt",
                                  cr_json_get_int_or (r, "ExceptionCnt", 0) + task->failovers);
      /* the users are counted by span below, before @files goes */
      GHashTableIter it;
      gpointer user;
      g_hash_table_iter_init (&it, users_here);
      while (g_hash_table_iter_next (&it, &user, NULL))
        g_hash_table_replace (
            spans_of, g_strdup (user),
            GINT_TO_POINTER (GPOINTER_TO_INT (g_hash_table_lookup (spans_of, user)) + 1));
      g_hash_table_remove_all (users_here);
    }
    play += MAX (0, end - start);
  }
  if (!ready)
    return FALSE;
  g_ptr_array_sort (nodes, cr_class_video_info_compare);
  JsonArray *videos = json_array_new ();
  for (guint i = 0; i < nodes->len; i++)
    json_array_add_element (videos, json_node_ref (g_ptr_array_index (nodes, i)));
  /* Interrupts: a user's video broken into more files than the spans they were recorded in */
  JsonArray *interrupts = json_array_new ();
  g_autoptr (GList) users = g_hash_table_get_keys (files_of);
  users = g_list_sort (users, (GCompareFunc)g_strcmp0);
  for (GList *u = users; u != NULL; u = u->next) {
    int count = GPOINTER_TO_INT (g_hash_table_lookup (files_of, u->data))
                - GPOINTER_TO_INT (g_hash_table_lookup (spans_of, u->data));
    JsonObject *o = json_object_new ();
    json_object_set_string_member (o, "UserId", u->data);
    json_object_set_int_member (o, "Count", MAX (count, 0));
    json_array_add_object_element (interrupts, o);
  }
  *out_videos = videos;
  *out_interrupts = interrupts;
  return TRUE;
}

gint64
cr_class_rec_total_ms (JsonObject *r, gint64 now_ms)
{
  JsonArray *spans = cr_json_get_array (r, "Spans");
  gint64 total = 0;
  for (guint i = 0; spans != NULL && i < json_array_get_length (spans); i++) {
    JsonObject *span = json_array_get_object_element (spans, i);
    gint64 end = cr_json_get_int_or (span, "End", 0);
    total += MAX (0, (end != 0 ? end : now_ms) - cr_json_get_int_or (span, "Start", 0));
  }
  return total;
}

/* The members DescribeOnlineRecord answers and OnlineRecordFinished carries. */
void
cr_class_rec_describe (CrClassRecorder *rec, JsonObject *r, JsonObject *out)
{
  JsonObject *req = cr_class_rec_request (r);
  JsonObject *result = cr_json_get_object (r, "Result");
  gint64 now = rec->api->now_ms ();
  const char *reason = cr_json_get_string (r, "FinishReason");
  json_object_set_string_member (out, "FinishReason", reason != NULL ? reason : "");
  json_object_set_string_member (out, "TaskId", cr_json_get_string (r, "TaskId"));
  json_object_set_string_member (out, "Status", cr_json_get_string (r, "Status"));
  gint64 room = cr_json_get_int_or (req, "RoomId", 0);
  json_object_set_int_member (out, "RoomId", room);
  const char *group = cr_json_get_string (req, "GroupId");
  g_autofree char *room_text = g_strdup_printf ("%" G_GINT64_FORMAT, room);
  json_object_set_string_member (out, "GroupId",
                                 group != NULL && *group != '\0' ? group : room_text);
  json_object_set_string_member (out, "RecordUserId", cr_json_get_string (r, "RecordUserId"));
  json_object_set_int_member (out, "RecordStartTime", cr_json_get_int_or (r, "StartMs", 0) / 1000);
  json_object_set_int_member (out, "RecordStopTime", cr_json_get_int_or (r, "StopMs", 0) / 1000);
  json_object_set_int_member (out, "TotalTime", cr_class_rec_total_ms (r, now));
  json_object_set_int_member (out, "ExceptionCnt", cr_json_get_int_or (r, "ExceptionCnt", 0));
  JsonArray *omitted = cr_json_get_array (r, "Omitted");
  json_object_set_array_member (out, "OmittedDurations",
                                omitted != NULL ? json_array_ref (omitted) : json_array_new ());
  JsonArray *videos = cr_json_get_array (result, "VideoInfos");
  json_object_set_array_member (out, "VideoInfos",
                                videos != NULL ? json_array_ref (videos) : json_array_new ());
  g_autofree char *replay
      = cr_class_video_mode (req) ? cr_class_video_replay_url (rec, r) : g_strdup ("");
  json_object_set_string_member (out, "ReplayUrl", replay);
  JsonArray *interrupts = cr_json_get_array (result, "Interrupts");
  json_object_set_array_member (
      out, "Interrupts", interrupts != NULL ? json_array_ref (interrupts) : json_array_new ());
}

void
cr_class_rec_finish (CrClassRecorder *rec, JsonObject *r, JsonArray *videos, JsonArray *interrupts)
{
  JsonObject *result = json_object_new ();
  json_object_set_array_member (result, "VideoInfos", videos);
  json_object_set_array_member (result, "Interrupts", interrupts);
  json_object_set_object_member (r, "Result", result);
  cr_class_rec_set_state (r, CR_CLASS_FINISHED);
  if (cr_json_get_bool (r, "LocalOnly"))
    json_object_set_int_member (r, "LocalUntilMs",
                                rec->api->now_ms ()
                                    + CR_CLASS_LOCAL_DAYS
                                          * rec->api->config->storage_retention_unit_s * 1000);
  g_info ("class task %s finished: %u videos", cr_json_get_string (r, "TaskId"),
          json_array_get_length (videos));
  g_autofree char *mark = g_strdup_printf ("/%s/", cr_json_get_string (r, "TaskId"));
  GHashTableIter it;
  gpointer id;
  g_hash_table_iter_init (&it, rec->probes);
  while (g_hash_table_iter_next (&it, &id, NULL)) {
    if (strstr (id, mark) != NULL)
      g_hash_table_iter_remove (&it);
  }
  JsonObject *data = json_object_new ();
  cr_class_rec_describe (rec, r, data);
  json_object_remove_member (data, "Status");
  cr_class_rec_emit (rec, r, CR_EVENT_CLASS_FINISHED, "OnlineRecordFinished", data);
}

void
cr_class_rec_detach_probes (CrClassRecorder *rec)
{
  for (guint i = 0; i < rec->probing->len; i++)
    ((Probe *)g_ptr_array_index (rec->probing, i))->rec = NULL;
}
