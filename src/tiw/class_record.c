/* Class recording; see class_record.h. A class task is one JSON record (kept as is in
 * class_records.record_json):
 *   TaskId, SdkAppId, RecordUserId, Status, Request (the normalised StartOnlineRecord),
 *   TrtcRoom, StringRoom, IdleStop (s), FinishReason, CreatedMs, StartMs (RECORDING first
 *   reached), StopMs, PausedMs (the pause under way), Spans [{Start, End, Tasks [{TaskId, Part}]}],
 *   Omitted [{VideoTime, PauseTime, ResumeTime}], ExceptionCnt, Result (once FINISHED). */
#include "class_record.h"

#include <glib/gstdio.h>
#include <string.h>

#include "api/actions.h"
#include "auth/usersig.h"
#include "auto/auto_template.h"
#include "common/api_error.h"
#include "common/json_util.h"
#include "task/codes.h"
#include "task/task_id.h"
#include "tiw/class_state.h"
#include "tiw/class_store.h"
#include "tiw/mp4_info.h"
#include "blob/s3_client.h"
#include "files/naming.h"
#include "task/spec.h"
#include "upload/storage_target.h"
#include "upload/uploader.h"
#include "validate/validate.h"

#define TICK_MS 1000
#define EXPIRE_S 86400 /* a callback's ExpireTime after its Timestamp */
#define LOCAL_DAYS 3   /* the seed: results kept 3 days without a bucket */
#define SWEEP_TICKS 5  /* local results past their days are looked for this often */

struct _CrClassRecorder {
  CrApi *api;
  CrCallbackSender *callbacks;
  CrClassStore *store;
  GHashTable *active; /* TaskId -> JsonObject record, every class task not FINISHED */
  GHashTable *probes; /* "<bucket>/<key>" -> CrMp4Info of a file in an object store */
  GPtrArray *probing; /* Probe, being read in a thread */
  guint tick;
  guint ticks;
};

/* ---- the record ---- */

static CrClassState
rec_state (JsonObject *r)
{
  CrClassState s = CR_CLASS_FINISHED;
  cr_class_state_from_name (cr_json_get_string (r, "Status"), &s);
  return s;
}

static JsonObject *
rec_request (JsonObject *r)
{
  return cr_json_get_object (r, "Request");
}

static gboolean
rec_save (CrClassRecorder *rec, JsonObject *r, GError **error)
{
  g_autofree char *text = cr_json_object_to_string (r);
  CrClassRow row = {
    (char *)cr_json_get_string (r, "TaskId"),       (guint64)cr_json_get_int_or (r, "SdkAppId", 0),
    (char *)cr_json_get_string (r, "RecordUserId"), (char *)cr_json_get_string (r, "Status"),
    cr_json_get_int_or (r, "CreatedMs", 0),         rec->api->now_ms (),
    cr_json_get_int_or (r, "LocalUntilMs", 0),      text
  };
  return cr_class_store_put (rec->store, &row, error);
}

static void
rec_save_or_warn (CrClassRecorder *rec, JsonObject *r)
{
  g_autoptr (GError) error = NULL;
  if (!rec_save (rec, r, &error))
    g_warning ("class task %s: %s", cr_json_get_string (r, "TaskId"), error->message);
}

static void
rec_set_state (JsonObject *r, CrClassState s)
{
  json_object_set_string_member (r, "Status", cr_class_state_name (s));
}

static JsonObject *
rec_last_span (JsonObject *r)
{
  JsonArray *spans = cr_json_get_array (r, "Spans");
  guint n = spans != NULL ? json_array_get_length (spans) : 0;
  return n > 0 ? json_array_get_object_element (spans, n - 1) : NULL;
}

/* The class task @task_id of @app: in memory while unfinished, else from the store (a new ref). */
static JsonObject *
rec_find (CrClassRecorder *rec, const CrApp *app, const char *task_id, GError **error)
{
  JsonObject *r = g_hash_table_lookup (rec->active, task_id);
  if (r != NULL && (guint64)cr_json_get_int_or (r, "SdkAppId", 0) == app->sdk_app_id)
    return json_object_ref (r);
  if (r == NULL) {
    g_autoptr (CrClassRow) row = cr_class_store_get (rec->store, app->sdk_app_id, task_id, error);
    if (row == NULL && error != NULL && *error != NULL)
      return NULL;
    if (row != NULL)
      return cr_json_parse_object (row->record_json, strlen (row->record_json), error);
  }
  cr_api_error_set (error, CR_CLASS_ERROR_NOT_FOUND,
                    "TaskId %s is not an online recording of SdkAppId %" G_GUINT64_FORMAT, task_id,
                    app->sdk_app_id);
  return NULL;
}

/* ---- callbacks ---- */

JsonObject *
cr_class_callback_body (guint64 sdk_app_id, const char *type, JsonObject *data, const char *key,
                        gint64 now_s)
{
  JsonObject *body = json_object_new ();
  json_object_set_object_member (body, "EventData", data);
  json_object_set_string_member (body, "EventType", type);
  gint64 expire = now_s + EXPIRE_S;
  json_object_set_int_member (body, "ExpireTime", expire);
  json_object_set_int_member (body, "SdkAppId", (gint64)sdk_app_id);
  g_autofree char *sign = NULL;
  if (key != NULL && *key != '\0') {
    g_autofree char *text = g_strdup_printf ("%s%" G_GINT64_FORMAT, key, expire);
    sign = g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
  }
  json_object_set_string_member (body, "Sign", sign != NULL ? sign : "");
  json_object_set_int_member (body, "Timestamp", now_s);
  return body;
}

/* Queues event @type (392-394, named @name) of class @r with @data (taken), under the first
 * TRTC task of its last span (the outbox keeps events per TRTC task). */
static void
rec_emit (CrClassRecorder *rec, JsonObject *r, int type, const char *name, JsonObject *data)
{
  g_autoptr (JsonObject) owned = data;
  JsonObject *span = rec_last_span (r);
  JsonArray *tasks = cr_json_get_array (span, "Tasks");
  JsonObject *first = tasks != NULL && json_array_get_length (tasks) > 0
                          ? json_array_get_object_element (tasks, 0)
                          : NULL;
  const char *trtc_task = cr_json_get_string (first, "TaskId");
  if (rec->callbacks == NULL || trtc_task == NULL)
    return;
  guint64 app = (guint64)cr_json_get_int_or (r, "SdkAppId", 0);
  g_autofree char *url = NULL, *key = NULL;
  g_autoptr (GError) error = NULL;
  if (!cr_class_store_get_callback (rec->store, app, &url, &key, &error)) {
    g_warning ("class task %s: no %s callback: %s", cr_json_get_string (r, "TaskId"), name,
               error->message);
    return;
  }
  JsonObject *payload = json_object_new ();
  json_object_set_string_member (payload, "Url", url);
  json_object_set_object_member (payload, "Body",
                                 cr_class_callback_body (app, name, g_steal_pointer (&owned), key,
                                                         rec->api->now_ms () / 1000));
  cr_callback_sender_emit (rec->callbacks, app, trtc_task, type, payload);
}

static JsonObject *
rec_event_data (JsonObject *r)
{
  JsonObject *d = json_object_new ();
  json_object_set_string_member (d, "TaskId", cr_json_get_string (r, "TaskId"));
  json_object_set_int_member (d, "RoomId", cr_json_get_int_or (rec_request (r), "RoomId", 0));
  json_object_set_string_member (d, "RecordUserId", cr_json_get_string (r, "RecordUserId"));
  return d;
}

/* ---- the TRTC tasks of a span ---- */

/* The robots of @r: the RecordUserId itself for the first part when TRTC takes it (up to 30
 * bytes, so "_s" still fits), else a digest of it. */
static char *
rec_robot (JsonObject *r, CrClassPart part)
{
  const char *user = cr_json_get_string (r, "RecordUserId");
  g_autofree char *base = NULL;
  if (strlen (user) <= 30)
    base = g_strdup (user);
  else {
    g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, user, -1);
    base = g_strdup_printf ("tic_rec_%.20s", digest);
  }
  if (part == CR_CLASS_PART_MIXED)
    return g_steal_pointer (&base);
  return g_strdup_printf ("%s_%s", base, part == CR_CLASS_PART_AUDIO ? "a" : "s");
}

/* The storage of the app's class recordings: its `class-record-storage*` keys, else the local
 * store; the files of class @task_id under "<prefix>/<task_id>/<TRTC TaskId>/". */
static CrAutoTemplate *
rec_storage (const CrApp *app, const char *task_id, gint64 idle_s)
{
  CrAutoTemplate *t = app->class_storage != NULL ? cr_auto_template_copy (app->class_storage)
                                                 : cr_auto_template_new ();
  if (app->class_storage == NULL)
    t->storage = CR_AUTO_STORAGE_LOCAL;
  t->stream_type = CR_STREAMS_AUDIO_VIDEO;
  t->output_format = CR_OUTPUT_MP4;
  t->file_minutes = 1440;
  t->resume_wait_s = idle_s;
  char *prefix
      = *t->prefix != '\0' ? g_strdup_printf ("%s/%s", t->prefix, task_id) : g_strdup (task_id);
  g_free (t->prefix);
  t->prefix = prefix;
  return t;
}

static void
rec_stop_trtc (CrClassRecorder *rec, guint64 app, const char *trtc_task)
{
  CrTaskStore *store = rec->api->store;
  g_autoptr (GError) error = NULL;
  g_autoptr (CrTask) task = store->vt->lookup (store, app, trtc_task, &error);
  if (task == NULL || task->status == CR_TASK_EXITED)
    return;
  if (!store->vt->set_status (store, app, trtc_task, CR_TASK_EXITED, CR_LEAVE_STOPPED,
                              rec->api->now_ms (), NULL, &error)) {
    g_warning ("class recording: cannot stop task %s: %s", trtc_task, error->message);
    return;
  }
  if (rec->api->workers != NULL)
    cr_supervisor_stop (rec->api->workers, trtc_task);
}

/* Ends the last span at @now_ms: its TRTC tasks stop (their files are finished and stored). */
static void
rec_end_span (CrClassRecorder *rec, JsonObject *r, gint64 now_ms)
{
  JsonObject *span = rec_last_span (r);
  if (span == NULL || cr_json_get_int_or (span, "End", 0) != 0)
    return;
  json_object_set_int_member (span, "End", now_ms);
  JsonArray *tasks = cr_json_get_array (span, "Tasks");
  for (guint i = 0; tasks != NULL && i < json_array_get_length (tasks); i++)
    rec_stop_trtc (rec, (guint64)cr_json_get_int_or (r, "SdkAppId", 0),
                   cr_json_get_string (json_array_get_object_element (tasks, i), "TaskId"));
}

/* Starts a span: the TRTC tasks of the parts the request wants. All or none. */
static gboolean
rec_start_span (CrClassRecorder *rec, const CrApp *app, JsonObject *r, GError **error)
{
  JsonObject *req = rec_request (r);
  const char *task_id = cr_json_get_string (r, "TaskId");
  g_autoptr (CrAutoTemplate) t
      = rec_storage (app, task_id, cr_json_get_int_or (r, "IdleStop", 300));
  JsonArray *tasks = json_array_new ();
  const CrClassPart parts[] = { CR_CLASS_PART_MIXED, CR_CLASS_PART_SINGLE, CR_CLASS_PART_AUDIO };
  static const char *const part_names[] = { "mixed", "single", "audio" };
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++) {
    if (!cr_class_wants_part (req, parts[i]))
      continue;
    g_autofree char *robot = rec_robot (r, parts[i]);
    g_autoptr (JsonObject) create
        = cr_auto_template_request (t, app->sdk_app_id, cr_json_get_string (r, "TrtcRoom"),
                                    cr_json_get_bool (r, "StringRoom"), robot, NULL);
    json_object_set_int_member (create, "ResourceExpiredHour", 720);
    cr_class_fill_part (req, parts[i], create);
    g_autoptr (JsonObject) params
        = cr_validate_request ("CreateCloudRecording", create, CR_VALIDATE_JSON, error);
    g_autofree char *trtc_task = NULL;
    if (params != NULL)
      cr_auto_template_finish_request (t, params);
    if (params == NULL
        || !cr_api_create_task (rec->api, app, params, CR_CREATE_ROBOT_TRUSTED, &trtc_task,
                                error)) {
      for (guint j = 0; j < json_array_get_length (tasks); j++)
        rec_stop_trtc (rec, app->sdk_app_id,
                       cr_json_get_string (json_array_get_object_element (tasks, j), "TaskId"));
      json_array_unref (tasks);
      return FALSE;
    }
    JsonObject *entry = json_object_new ();
    json_object_set_string_member (entry, "TaskId", trtc_task);
    json_object_set_string_member (entry, "Part", part_names[parts[i]]);
    json_array_add_object_element (tasks, entry);
    g_info ("class task %s: TRTC task %s records room %s (%s, robot %s)", task_id, trtc_task,
            cr_json_get_string (r, "TrtcRoom"), part_names[parts[i]], robot);
  }
  if (json_array_get_length (tasks) == 0) {
    json_array_unref (tasks);
    cr_api_error_set (error, "InvalidParameter",
                      "RecordControl disables every stream and MixStream is off: nothing to "
                      "record");
    return FALSE;
  }
  JsonObject *span = json_object_new ();
  json_object_set_int_member (span, "Start", rec->api->now_ms ());
  json_object_set_int_member (span, "End", 0);
  json_object_set_array_member (span, "Tasks", tasks);
  json_array_add_object_element (cr_json_get_array (r, "Spans"), span);
  return TRUE;
}

/* ---- stopping and the result ---- */

/* Moves @r to STOPPED for @reason: its span ends, OnlineRecordStopped is queued. */
static void
rec_stop (CrClassRecorder *rec, JsonObject *r, const char *reason, gint64 now_ms)
{
  if (rec_state (r) == CR_CLASS_PAUSED) {
    /* the pause under way ends with the recording */
    json_object_set_int_member (r, "PausedMs", 0);
  }
  rec_end_span (rec, r, now_ms);
  rec_set_state (r, CR_CLASS_STOPPED);
  json_object_set_string_member (r, "FinishReason", reason);
  json_object_set_int_member (r, "StopMs", now_ms);
  g_info ("class task %s stopped (%s)", cr_json_get_string (r, "TaskId"), reason);
  JsonObject *data = rec_event_data (r);
  json_object_set_string_member (data, "FinishReason", reason);
  rec_emit (rec, r, CR_EVENT_CLASS_STOPPED, "OnlineRecordStopped", data);
}

/* A file's facts as probed: known, or being read from its object store (NULL). */
typedef struct {
  CrClassRecorder *rec; /* NULL once the recorder is gone */
  char *id;             /* "<bucket>/<key>": the probes table's key */
  CrS3Config config;    /* strings owned below */
  char *endpoint, *region, *bucket, *access_key, *secret_key, *key, *tmp_dir;
  CrMp4Info info;
  char *error;
} Probe;

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
      || !(g_str_has_suffix (p->key, ".aac") ? cr_adts_info_read (path, &p->info, &error)
                                             : cr_mp4_info_read (path, &p->info, &error)))
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
  CrNamingTask naming = { .sdk_app_id = spec->sdk_app_id,
                          .room_id = spec->room_id,
                          .string_room = spec->string_room,
                          .task_id = task->task_id,
                          .prefix = (const char *const *)spec->storage.prefix };
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
    if (!(g_str_has_suffix (name, ".aac") ? cr_adts_info_read (abs, info, &error)
                                          : cr_mp4_info_read (abs, info, &error)))
      g_warning ("class recording: %s", error->message);
    return TRUE;
  }
  g_autofree char *escaped = g_uri_escape_string (*key, "/", FALSE);
  g_free (*url);
  *url = endpoint != NULL  ? g_strdup_printf ("%s/%s/%s", endpoint, st->bucket, escaped)
         : st->vendor == 0 ? g_strdup_printf ("https://%s.cos.%s.myqcloud.com/%s", st->bucket,
                                              st->region, escaped)
                           : g_strdup_printf ("https://%s.s3.%s.amazonaws.com/%s", st->bucket,
                                              st->region, escaped);
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

static gint
video_info_compare (gconstpointer a, gconstpointer b)
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
static gboolean
rec_collect (CrClassRecorder *rec, JsonObject *r, JsonArray **out_videos,
             JsonArray **out_interrupts)
{
  CrTaskStore *store = rec->api->store;
  guint64 app = (guint64)cr_json_get_int_or (r, "SdkAppId", 0);
  JsonArray *spans = cr_json_get_array (r, "Spans");
  g_autoptr (GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify)json_node_unref);
  g_autoptr (GHashTable) files_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) spans_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *mix_user = cr_class_mix_user_id (rec_request (r));
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
        if (!g_str_has_suffix (f->file_name, audio ? ".aac" : ".mp4"))
          continue;
        g_autofree char *url = NULL, *key = NULL;
        CrMp4Info info;
        if (!rec_file_facts (rec, task, f->file_name, &info, &url, &key))
          ready = FALSE;
        gboolean aux = strstr (f->file_name, "__UserId_e_aux_") != NULL;
        JsonObject *v = json_object_new ();
        json_object_set_int_member (v, "VideoPlayTime", play + MAX (0, f->begin_ts_ms - start));
        json_object_set_int_member (v, "VideoSize", info.size);
        json_object_set_string_member (v, "VideoFormat", audio ? "aac" : "mp4");
        json_object_set_int_member (v, "VideoDuration", info.duration_ms);
        json_object_set_string_member (v, "VideoUrl", url);
        json_object_set_string_member (v, "VideoId", key);
        json_object_set_int_member (v, "VideoType", mixed ? 3 : audio ? 4 : aux ? 1 : 0);
        g_autofree char *user = mixed ? g_strdup (mix_user)
                                : aux ? g_strdup_printf ("tic_substream_%s", f->user_id)
                                      : g_strdup (f->user_id);
        json_object_set_string_member (v, "UserId", user);
        json_object_set_int_member (v, "Width", info.width);
        json_object_set_int_member (v, "Height", info.height);
        JsonNode *node = json_node_new (JSON_NODE_OBJECT);
        json_node_take_object (node, v);
        g_ptr_array_add (nodes, node);
        if (!mixed && !aux && !audio) {
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
  g_ptr_array_sort (nodes, video_info_compare);
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

static gint64
rec_total_ms (JsonObject *r, gint64 now_ms)
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
static void
rec_describe (CrClassRecorder *rec, JsonObject *r, JsonObject *out)
{
  JsonObject *req = rec_request (r);
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
  json_object_set_int_member (out, "TotalTime", rec_total_ms (r, now));
  json_object_set_int_member (out, "ExceptionCnt", cr_json_get_int_or (r, "ExceptionCnt", 0));
  JsonArray *omitted = cr_json_get_array (r, "Omitted");
  json_object_set_array_member (out, "OmittedDurations",
                                omitted != NULL ? json_array_ref (omitted) : json_array_new ());
  JsonArray *videos = cr_json_get_array (result, "VideoInfos");
  json_object_set_array_member (out, "VideoInfos",
                                videos != NULL ? json_array_ref (videos) : json_array_new ());
  json_object_set_string_member (out, "ReplayUrl", "");
  JsonArray *interrupts = cr_json_get_array (result, "Interrupts");
  json_object_set_array_member (
      out, "Interrupts", interrupts != NULL ? json_array_ref (interrupts) : json_array_new ());
}

static void
rec_finish (CrClassRecorder *rec, JsonObject *r, JsonArray *videos, JsonArray *interrupts)
{
  JsonObject *result = json_object_new ();
  json_object_set_array_member (result, "VideoInfos", videos);
  json_object_set_array_member (result, "Interrupts", interrupts);
  json_object_set_object_member (r, "Result", result);
  rec_set_state (r, CR_CLASS_FINISHED);
  if (cr_json_get_bool (r, "LocalOnly"))
    json_object_set_int_member (
        r, "LocalUntilMs",
        rec->api->now_ms () + LOCAL_DAYS * rec->api->config->storage_retention_unit_s * 1000);
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
  rec_describe (rec, r, data);
  json_object_remove_member (data, "Status");
  rec_emit (rec, r, CR_EVENT_CLASS_FINISHED, "OnlineRecordFinished", data);
}

/* ---- the clock ---- */

/* One look at an unfinished class task; TRUE when it changed. */
static gboolean
rec_check (CrClassRecorder *rec, JsonObject *r, gint64 now)
{
  CrClassState state = rec_state (r);
  const CrConfig *config = rec->api->config;
  guint64 app = (guint64)cr_json_get_int_or (r, "SdkAppId", 0);
  if (state == CR_CLASS_STOPPED) {
    JsonArray *videos = NULL, *interrupts = NULL;
    json_object_set_int_member (r, "ExceptionCnt", cr_json_get_int_or (r, "Exceptions", 0));
    if (!rec_collect (rec, r, &videos, &interrupts))
      return FALSE;
    rec_finish (rec, r, videos, interrupts);
    return TRUE;
  }
  if (now - cr_json_get_int_or (r, "CreatedMs", now) >= config->class_max_duration * 1000) {
    rec_stop (rec, r, CR_CLASS_FINISH_FORCE_STOP, now);
    return TRUE;
  }
  if (state == CR_CLASS_PAUSED) {
    if (now - cr_json_get_int_or (r, "PausedMs", now) >= config->class_pause_stop * 1000) {
      rec_stop (rec, r, CR_CLASS_FINISH_FORCE_STOP, now);
      return TRUE;
    }
    return FALSE;
  }
  /* PREPARED or RECORDING: the span's TRTC tasks say whether media flows or the robots left */
  JsonArray *tasks = cr_json_get_array (rec_last_span (r), "Tasks");
  gboolean flowing = FALSE;
  for (guint i = 0; tasks != NULL && i < json_array_get_length (tasks); i++) {
    const char *trtc = cr_json_get_string (json_array_get_object_element (tasks, i), "TaskId");
    g_autoptr (GError) error = NULL;
    g_autoptr (CrTask) task = rec->api->store->vt->lookup (rec->api->store, app, trtc, &error);
    if (task == NULL || task->status == CR_TASK_EXITED) {
      int leave = task != NULL ? task->leave_code : -1;
      gboolean idle = leave == CR_LEAVE_IDLE || leave == CR_LEAVE_ROOM_TIMEOUT;
      if (!idle)
        json_object_set_int_member (r, "Exceptions", cr_json_get_int_or (r, "Exceptions", 0) + 1);
      g_info ("class task %s: TRTC task %s left the room (LeaveCode %d)",
              cr_json_get_string (r, "TaskId"), trtc, leave);
      rec_stop (rec, r, idle ? CR_CLASS_FINISH_AUTO : CR_CLASS_FINISH_EXCEPTION, now);
      return TRUE;
    }
    flowing = flowing || task->status == CR_TASK_IN_PROGRESS;
  }
  if (state == CR_CLASS_PREPARED && flowing) {
    rec_set_state (r, CR_CLASS_RECORDING);
    json_object_set_int_member (r, "StartMs", now);
    /* the class's timeline starts with its media, not with the robots joining */
    json_object_set_int_member (rec_last_span (r), "Start", now);
    g_info ("class task %s recording", cr_json_get_string (r, "TaskId"));
    rec_emit (rec, r, CR_EVENT_CLASS_STARTED, "OnlineRecordStarted", rec_event_data (r));
    return TRUE;
  }
  return FALSE;
}

/* Removes @path and everything under it. */
static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);
      remove_tree (child);
    }
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

/* The local files of class tasks kept past their days (no bucket configured) are removed. */
static void
rec_sweep_local (CrClassRecorder *rec, gint64 now)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = cr_class_store_list_expired (rec->store, now, &error);
  if (rows == NULL) {
    g_warning ("class recording: %s", error->message);
    return;
  }
  for (guint i = 0; i < rows->len; i++) {
    const CrClassRow *row = g_ptr_array_index (rows, i);
    g_autoptr (JsonObject) r
        = cr_json_parse_object (row->record_json, strlen (row->record_json), NULL);
    if (r == NULL)
      continue;
    JsonArray *spans = cr_json_get_array (r, "Spans");
    for (guint j = 0; spans != NULL && j < json_array_get_length (spans); j++) {
      JsonArray *tasks = cr_json_get_array (json_array_get_object_element (spans, j), "Tasks");
      for (guint k = 0; tasks != NULL && k < json_array_get_length (tasks); k++) {
        const char *trtc = cr_json_get_string (json_array_get_object_element (tasks, k), "TaskId");
        g_autoptr (CrTask) task
            = rec->api->store->vt->lookup (rec->api->store, row->sdk_app_id, trtc, NULL);
        g_autoptr (CrTaskSpec) spec
            = task != NULL ? cr_task_spec_new_from_text (task->params_json, NULL) : NULL;
        if (spec == NULL)
          continue;
        CrNamingTask naming = { .sdk_app_id = spec->sdk_app_id,
                                .room_id = spec->room_id,
                                .string_room = spec->string_room,
                                .task_id = task->task_id,
                                .prefix = (const char *const *)spec->storage.prefix };
        g_autofree char *rel = cr_naming_dir (&naming);
        g_autofree char *dir = g_build_filename (rec->api->config->storage_dir, rel, NULL);
        remove_tree (dir);
        g_autofree char *parent = g_path_get_dirname (dir);
        g_rmdir (parent); /* the class's folder, once empty */
      }
    }
    json_object_set_int_member (r, "LocalUntilMs", 0);
    json_object_set_int_member (r, "LocalRemovedMs", now);
    g_info ("class task %s: its local files are removed (%d days without a bucket)", row->task_id,
            LOCAL_DAYS);
    rec_save_or_warn (rec, r);
  }
}

static gboolean
rec_on_tick (gpointer data)
{
  CrClassRecorder *rec = data;
  gint64 now = rec->api->now_ms ();
  if (rec->ticks++ % SWEEP_TICKS == 0)
    rec_sweep_local (rec, now);
  g_autoptr (GList) ids = g_hash_table_get_keys (rec->active);
  for (GList *l = ids; l != NULL; l = l->next) {
    JsonObject *r = g_hash_table_lookup (rec->active, l->data);
    if (!rec_check (rec, r, now))
      continue;
    rec_save_or_warn (rec, r);
    if (rec_state (r) == CR_CLASS_FINISHED)
      g_hash_table_remove (rec->active, l->data);
  }
  return G_SOURCE_CONTINUE;
}

/* ---- the actions ---- */

gboolean
cr_class_recorder_start (CrClassRecorder *rec, const CrApp *app, JsonObject *req, char **task_id,
                         GError **error)
{
  if (!cr_class_check_request (req, error))
    return FALSE;
  const char *user = cr_json_get_string (req, "RecordUserId");
  gint64 now = rec->api->now_ms ();
  g_autoptr (GError) sig_error = NULL;
  g_autoptr (CrUserSig) sig
      = cr_usersig_verify (cr_json_get_string (req, "RecordUserSig"), app->sdk_app_id, user,
                           app->usersig_key, now / 1000, &sig_error);
  if (sig == NULL) {
    cr_api_error_set (error, "InvalidParameter.RecordUserSig",
                      "RecordUserSig is not valid for RecordUserId %s: %s", user,
                      sig_error->message);
    return FALSE;
  }
  g_autoptr (JsonObject) r = json_object_new ();
  g_autofree char *id = cr_task_id_new ();
  json_object_set_string_member (r, "TaskId", id);
  json_object_set_int_member (r, "SdkAppId", (gint64)app->sdk_app_id);
  json_object_set_string_member (r, "RecordUserId", user);
  rec_set_state (r, CR_CLASS_PREPARED);
  json_object_set_object_member (r, "Request", json_object_ref (req));
  gboolean string_room = FALSE;
  g_autofree char *room = cr_class_trtc_room (req, &string_room);
  json_object_set_string_member (r, "TrtcRoom", room);
  json_object_set_boolean_member (r, "StringRoom", string_room);
  json_object_set_int_member (
      r, "IdleStop",
      cr_json_get_int_or (req, "AutoStopTimeout", rec->api->config->class_idle_stop));
  json_object_set_int_member (r, "CreatedMs", now);
  json_object_set_int_member (r, "StartMs", 0);
  json_object_set_int_member (r, "StopMs", 0);
  json_object_set_int_member (r, "PausedMs", 0);
  json_object_set_array_member (r, "Spans", json_array_new ());
  json_object_set_array_member (r, "Omitted", json_array_new ());
  json_object_set_int_member (r, "Exceptions", 0);
  json_object_set_int_member (r, "ExceptionCnt", 0);
  json_object_set_boolean_member (r, "LocalOnly", app->class_storage == NULL);
  /* The seed: a second recording with the same RecordUserId takes the robot over; the first
   * one's recording fails (EXCEPTION). */
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, rec->active);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    JsonObject *old = value;
    if ((guint64)cr_json_get_int_or (old, "SdkAppId", 0) == app->sdk_app_id
        && g_strcmp0 (cr_json_get_string (old, "RecordUserId"), user) == 0
        && cr_class_state_active (rec_state (old))) {
      g_info ("class task %s: RecordUserId %s taken over by class task %s",
              cr_json_get_string (old, "TaskId"), user, id);
      json_object_set_int_member (old, "Exceptions", cr_json_get_int_or (old, "Exceptions", 0) + 1);
      rec_stop (rec, old, CR_CLASS_FINISH_EXCEPTION, now);
      rec_save_or_warn (rec, old);
    }
  }
  if (!rec_start_span (rec, app, r, error))
    return FALSE;
  if (!rec_save (rec, r, error)) {
    rec_end_span (rec, r, now);
    return FALSE;
  }
  g_info ("class task %s started: room %s, RecordUserId %s", id, room, user);
  g_hash_table_insert (rec->active, g_strdup (id), g_steal_pointer (&r));
  *task_id = g_steal_pointer (&id);
  return TRUE;
}

/* The unfinished class task for @op, moved to its next state (in memory). */
static JsonObject *
rec_apply (CrClassRecorder *rec, const CrApp *app, const char *task_id, CrClassOp op,
           GError **error)
{
  g_autoptr (JsonObject) r = rec_find (rec, app, task_id, error);
  if (r == NULL)
    return NULL;
  CrClassState next;
  if (!cr_class_state_apply (rec_state (r), op, &next, error))
    return NULL;
  return g_hash_table_lookup (rec->active, task_id); /* active: the transition allowed it */
}

gboolean
cr_class_recorder_pause (CrClassRecorder *rec, const CrApp *app, const char *task_id,
                         GError **error)
{
  JsonObject *r = rec_apply (rec, app, task_id, CR_CLASS_OP_PAUSE, error);
  if (r == NULL)
    return FALSE;
  gint64 now = rec->api->now_ms ();
  rec_end_span (rec, r, now);
  rec_set_state (r, CR_CLASS_PAUSED);
  json_object_set_int_member (r, "PausedMs", now);
  g_info ("class task %s paused", task_id);
  return rec_save (rec, r, error);
}

gboolean
cr_class_recorder_resume (CrClassRecorder *rec, const CrApp *app, const char *task_id,
                          GError **error)
{
  JsonObject *r = rec_apply (rec, app, task_id, CR_CLASS_OP_RESUME, error);
  if (r == NULL)
    return FALSE;
  gint64 now = rec->api->now_ms ();
  gint64 paused = cr_json_get_int_or (r, "PausedMs", now);
  if (!rec_start_span (rec, app, r, error))
    return FALSE;
  JsonObject *o = json_object_new ();
  json_object_set_int_member (o, "VideoTime", rec_total_ms (r, now));
  json_object_set_int_member (o, "PauseTime", paused);
  json_object_set_int_member (o, "ResumeTime", now);
  json_array_add_object_element (cr_json_get_array (r, "Omitted"), o);
  json_object_set_int_member (r, "PausedMs", 0);
  rec_set_state (r, CR_CLASS_RECORDING);
  g_info ("class task %s resumed", task_id);
  return rec_save (rec, r, error);
}

gboolean
cr_class_recorder_stop (CrClassRecorder *rec, const CrApp *app, const char *task_id, GError **error)
{
  JsonObject *r = rec_apply (rec, app, task_id, CR_CLASS_OP_STOP, error);
  if (r == NULL)
    return FALSE;
  rec_stop (rec, r, CR_CLASS_FINISH_USER_CALL, rec->api->now_ms ());
  return rec_save (rec, r, error);
}

gboolean
cr_class_recorder_describe (CrClassRecorder *rec, const CrApp *app, const char *task_id,
                            JsonObject *reply, GError **error)
{
  g_autoptr (JsonObject) r = rec_find (rec, app, task_id, error);
  if (r == NULL)
    return FALSE;
  rec_describe (rec, r, reply);
  return TRUE;
}

gboolean
cr_class_recorder_set_callback (CrClassRecorder *rec, const CrApp *app, const char *url,
                                const char *key, GError **error)
{
  return cr_class_store_set_callback (rec->store, app->sdk_app_id, url, key, error);
}

gboolean
cr_class_recorder_get_callback (CrClassRecorder *rec, const CrApp *app, char **url, char **key,
                                GError **error)
{
  return cr_class_store_get_callback (rec->store, app->sdk_app_id, url, key, error);
}

/* ---- life ---- */

CrClassRecorder *
cr_class_recorder_new (CrApi *api, CrCallbackSender *callbacks, GError **error)
{
  g_autoptr (CrClassStore) store = cr_class_store_open (api->config->db_path, error);
  if (store == NULL)
    return NULL;
  g_autoptr (GPtrArray) rows = cr_class_store_list_unfinished (store, error);
  if (rows == NULL)
    return NULL;
  CrClassRecorder *rec = g_new0 (CrClassRecorder, 1);
  rec->api = api;
  rec->callbacks = callbacks;
  rec->store = g_steal_pointer (&store);
  rec->active
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)json_object_unref);
  rec->probes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  rec->probing = g_ptr_array_new ();
  for (guint i = 0; i < rows->len; i++) {
    const CrClassRow *row = g_ptr_array_index (rows, i);
    g_autoptr (GError) parse_error = NULL;
    JsonObject *r
        = cr_json_parse_object (row->record_json, strlen (row->record_json), &parse_error);
    if (r == NULL) {
      g_warning ("class task %s: unreadable record: %s", row->task_id, parse_error->message);
      continue;
    }
    g_hash_table_insert (rec->active, g_strdup (row->task_id), r);
  }
  if (rows->len > 0)
    g_info ("class recording: %u class tasks taken over", rows->len);
  rec->tick = g_timeout_add (TICK_MS, rec_on_tick, rec);
  return rec;
}

void
cr_class_recorder_free (CrClassRecorder *rec)
{
  if (rec == NULL)
    return;
  if (rec->tick != 0)
    g_source_remove (rec->tick);
  g_hash_table_unref (rec->active);
  for (guint i = 0; i < rec->probing->len; i++)
    ((Probe *)g_ptr_array_index (rec->probing, i))->rec = NULL;
  g_ptr_array_unref (rec->probing);
  g_hash_table_unref (rec->probes);
  cr_class_store_close (rec->store);
  g_free (rec);
}
