/* The uploader's queue logic, on the daemon's main loop; see uploader.h. The transfers are
 * upload_transfer.c (pool threads), the worker-facing endpoint upload_link.c. */
#include "upload/uploader.h"

#include "metrics/metrics.h"
#include "task/codes.h"
#include "task/spec.h"
#include "upload/storage_target.h"
#include "upload/upload_private.h"
#include "upload/upload_transfer.h"

#define BACKOFF_FIRST_MS 1000

static void uploader_kick (CrUploader *up);

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

static void
task_uploads_free (TaskUploads *t)
{
  g_queue_clear_full (&t->rows, (GDestroyNotify)cr_upload_free);
  g_free (t->task_id);
  g_free (t->last_error);
  g_free (t->given_up);
  g_free (t);
}

static void
task_uploads_clear_rows (TaskUploads *t)
{
  CrUpload *u;
  while ((u = g_queue_pop_head (&t->rows)) != NULL)
    cr_upload_free (u);
}

TaskUploads *
uploader_task (CrUploader *up, guint64 app, const char *task_id, gboolean create)
{
  TaskUploads *t = g_hash_table_lookup (up->tasks, task_id);
  if (t == NULL && create) {
    t = g_new0 (TaskUploads, 1);
    t->app = app;
    t->task_id = g_strdup (task_id);
    g_queue_init (&t->rows);
    g_hash_table_insert (up->tasks, t->task_id, t);
  }
  return t;
}

static void
uploader_emit (CrUploader *up, TaskUploads *t, CrEventType type, JsonObject *payload)
{
  cr_callback_sender_emit (up->callbacks, t->app, t->task_id, (int)type, payload);
}

static void
uploader_emit_status (CrUploader *up, TaskUploads *t, CrEventType type, int status)
{
  JsonObject *payload = json_object_new ();
  json_object_set_int_member (payload, "Status", status);
  uploader_emit (up, t, type, payload);
}

void
uploader_emit_error (CrUploader *up, TaskUploads *t, const char *code, const char *message)
{
  JsonObject *payload = json_object_new ();
  json_object_set_string_member (payload, "Code", code);
  json_object_set_string_member (payload, "Message", message);
  uploader_emit (up, t, CR_EVENT_UPLOAD_ERROR, payload);
}

static gboolean
task_has_end (TaskUploads *t)
{
  const CrUpload *tail = g_queue_peek_tail (&t->rows);
  return tail != NULL && tail->kind == CR_UPLOAD_END;
}

/* Files are being kept back in the spool after the worker's end: 305 Status 1 once, marked on
 * the END row (attempts) so that a restart does not send it again. */
static void
uploader_mark_kept_back (CrUploader *up, TaskUploads *t)
{
  CrUpload *end = g_queue_peek_tail (&t->rows);
  if (end == NULL || end->kind != CR_UPLOAD_END || end->attempts > 0)
    return;
  uploader_emit_status (up, t, CR_EVENT_UPLOAD_STOP, 1);
  end->attempts = 1;
  g_autoptr (GError) error = NULL;
  if (!up->queue->vt->update (up->queue, end, &error))
    g_warning ("uploads of task %s: %s", t->task_id, error->message);
}

gboolean
uploader_add (CrUploader *up, CrUpload *row, GError **error)
{
  TaskUploads *t = uploader_task (up, row->sdk_app_id, row->task_id, TRUE);
  gboolean first = g_queue_is_empty (&t->rows) && !t->started;
  row->created_ms = now_ms ();
  row->next_ms = 0;
  row->id = up->queue->vt->add (up->queue, row, error);
  if (row->id < 0)
    return FALSE;
  /* The queue replaced a waiting copy of the same object: drop it here too (unless it is the
   * one in flight, which then finishes as an orphan). */
  for (GList *l = t->rows.head; l != NULL; l = l->next) {
    CrUpload *old = l->data;
    if (old->kind == row->kind && g_strcmp0 (old->object_key, row->object_key) == 0
        && !(t->busy && l == t->rows.head)) {
      g_queue_delete_link (&t->rows, l);
      cr_upload_free (old);
      break;
    }
  }
  g_queue_push_tail (&t->rows, cr_upload_copy (row));
  if (first) {
    t->started = TRUE;
    uploader_emit_status (up, t, CR_EVENT_UPLOAD_START, 0);
  }
  if (row->kind == CR_UPLOAD_END && t->failing)
    uploader_mark_kept_back (up, t);
  uploader_kick (up);
  return TRUE;
}

/* The S3 settings of a task's storage, read once from its spec. FALSE when the task is gone or
 * its storage is not an object store (then its rows cannot be sent). */
static gboolean
uploader_task_target (CrUploader *up, TaskUploads *t, CrUploadJob *job, GError **error)
{
  g_autoptr (CrTask) task = up->store->vt->lookup (up->store, t->app, t->task_id, error);
  if (task == NULL) {
    if (error != NULL && *error == NULL)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "the task no longer exists");
    return FALSE;
  }
  t->expires_ms = task->expires_ms;
  if (!uploader_task_store (up, task, job, error))
    return FALSE;
  job->max_send_bytes_per_s = up->config->upload_rate_limit_kbps * 1024;
  job->part_size = (gsize)up->config->upload_part_mb * 1024 * 1024;
  return TRUE;
}

gboolean
uploader_task_store (CrUploader *up, const CrTask *task, CrUploadJob *job, GError **error)
{
  g_autoptr (CrTaskSpec) spec = cr_task_spec_new_from_text (task->params_json, error);
  if (spec == NULL)
    return FALSE;
  if (cr_storage_target_kind (&spec->storage, &up->endpoints) != CR_TARGET_S3) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 "the task's storage is not an object store");
    return FALSE;
  }
  job->endpoint = g_strdup (cr_storage_endpoint_url (&spec->storage, &up->endpoints));
  job->vendor = spec->storage.vendor;
  job->region = g_strdup (spec->storage.region);
  job->bucket = g_strdup (spec->storage.bucket);
  job->access_key = g_strdup (spec->storage.access_key);
  job->secret_key = g_strdup (spec->storage.secret_key);
  job->timeout_s = (long)up->config->upload_timeout;
  return TRUE;
}

/* ---- results, back on the main loop ---- */

typedef struct {
  CrUploader *up;
  gint64 row_id;
  char *upload_id;
} MultipartId;

static gboolean
uploader_keep_multipart_id (gpointer data)
{
  MultipartId *m = data;
  if (!m->up->closing) {
    CrUpload probe = { 0 };
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init (&it, m->up->tasks);
    while (g_hash_table_iter_next (&it, NULL, &value)) {
      CrUpload *head = g_queue_peek_head (&((TaskUploads *)value)->rows);
      if (head != NULL && head->id == m->row_id) {
        g_free (head->multipart_id);
        head->multipart_id = g_strdup (m->upload_id);
        g_info ("task %s: multipart upload of %s started", head->task_id, head->object_key);
        probe = *head;
        g_autoptr (GError) error = NULL;
        if (!m->up->queue->vt->update (m->up->queue, &probe, &error))
          g_warning ("upload %s: %s", head->object_key, error->message);
        break;
      }
    }
  }
  uploader_unref (m->up);
  g_free (m->upload_id);
  g_free (m);
  return G_SOURCE_REMOVE;
}

static void
job_on_multipart_id (gint64 row_id, const char *upload_id, gpointer data)
{
  MultipartId *m = g_new0 (MultipartId, 1);
  m->up = uploader_ref (data);
  m->row_id = row_id;
  m->upload_id = g_strdup (upload_id);
  g_main_context_invoke (m->up->context, uploader_keep_multipart_id, m);
}

/* The backoff before attempt @attempts + 1. */
static gint64
backoff_ms (const CrUploader *up, int attempts)
{
  gint64 cap = up->config->upload_retry_max * 1000;
  gint64 ms = BACKOFF_FIRST_MS;
  for (int i = 1; i < attempts && ms < cap; i++)
    ms *= 2;
  return MIN (ms, cap);
}

static void
uploader_job_failed (CrUploader *up, TaskUploads *t, CrUpload *head, const GError *err)
{
  g_autofree char *code
      = err->domain == CR_S3_ERROR ? cr_s3_error_code (err) : g_strdup ("SpoolError");
  cr_metrics_add ("cloudrec_uploads_total", "result=\"failed\"", 1);
  head->attempts++;
  head->next_ms = now_ms () + backoff_ms (up, head->attempts);
  g_free (head->last_error);
  head->last_error = g_strdup (err->message);
  g_free (t->last_error);
  t->last_error = g_strdup (err->message);
  g_autoptr (GError) error = NULL;
  if (!up->queue->vt->update (up->queue, head, &error))
    g_warning ("uploads of task %s: %s", t->task_id, error->message);
  g_warning ("task %s: upload of %s failed (attempt %d, next in %" G_GINT64_FORMAT " ms): %s",
             t->task_id, head->object_key, head->attempts, head->next_ms - now_ms (), err->message);
  if (!t->failing) {
    t->failing = TRUE;
    uploader_emit_error (up, t, code, err->message);
  }
  if (task_has_end (t))
    uploader_mark_kept_back (up, t);
}

static void
uploader_job_stored (CrUploader *up, TaskUploads *t, CrUpload *head, const CrUploadJob *job)
{
  g_autoptr (GError) error = NULL;
  /* The row first: a crash between the two leaves a stray spool file, never a lost one. */
  if (!up->queue->vt->remove (up->queue, head->id, &error)) {
    g_warning ("uploads of task %s: %s", t->task_id, error->message);
    return;
  }
  if (head->kind == CR_UPLOAD_FILE && head->path != NULL && g_remove (head->path) != 0
      && errno != ENOENT)
    g_warning ("task %s: cannot remove %s from the spool: %s", t->task_id, head->path,
               g_strerror (errno));
  g_debug ("task %s: stored %s (%" G_GINT64_FORMAT " bytes, etag %s)", t->task_id, head->object_key,
           head->size, job->etag != NULL ? job->etag : "-");
  up->stored_bytes += head->size;
  cr_metrics_add ("cloudrec_uploads_total", "result=\"ok\"", 1);
  cr_metrics_add ("cloudrec_uploaded_bytes_total", NULL, (double)head->size);
  t->failing = FALSE;
  g_queue_pop_head (&t->rows);
  cr_upload_free (head);
}

static gboolean
uploader_job_done (gpointer data)
{
  CrUploadJob *job = data;
  CrUploader *up = job->data;
  if (!up->closing) {
    TaskUploads *t = uploader_task (up, job->row->sdk_app_id, job->row->task_id, FALSE);
    CrUpload *head = t != NULL ? g_queue_peek_head (&t->rows) : NULL;
    if (t != NULL)
      t->busy = FALSE;
    if (head == NULL || head->id != job->row->id) {
      /* replaced while in flight: the newer copy is queued behind */
      g_autoptr (GError) error = NULL;
      if (!up->queue->vt->remove (up->queue, job->row->id, &error))
        g_warning ("uploads: %s", error->message);
    } else if (job->ok) {
      uploader_job_stored (up, t, head, job);
    } else {
      uploader_job_failed (up, t, head, job->error);
    }
    uploader_kick (up);
  }
  cr_upload_job_free (job);
  uploader_unref (up);
  return G_SOURCE_REMOVE;
}

static void
uploader_pool_run (gpointer data, gpointer user_data)
{
  CrUploadJob *job = data;
  (void)user_data;
  cr_upload_job_run (job);
  g_main_context_invoke (((CrUploader *)job->data)->context, uploader_job_done, job);
}

/* ---- scheduling ---- */

/* The task's storage is gone or never was an object store, or its time ran out: its rows are
 * given up (the files stay in the spool for an operator) and the end is reported. */
static void
uploader_give_up (CrUploader *up, TaskUploads *t, const char *why)
{
  g_warning ("task %s: uploads given up, %u files kept in the spool: %s", t->task_id,
             g_queue_get_length (&t->rows), why);
  uploader_emit_error (up, t, "UploadExpired", why);
  gboolean had_end = task_has_end (t);
  if (had_end)
    uploader_mark_kept_back (up, t);
  if (t->given_up == NULL)
    t->given_up = g_strdup (why);
  if (had_end && up->end_func != NULL)
    up->end_func (up->end_data, t->app, t->task_id, t->given_up);
  for (GList *l = t->rows.head; l != NULL; l = l->next) {
    g_autoptr (GError) error = NULL;
    if (!up->queue->vt->remove (up->queue, ((CrUpload *)l->data)->id, &error))
      g_warning ("uploads of task %s: %s", t->task_id, error->message);
  }
  task_uploads_clear_rows (t);
}

/* Removes the task's directory in the spool and its parents (FileNamePrefix) once empty. */
static void
uploader_remove_spool_dirs (CrUploader *up, const char *dir)
{
  g_autofree char *root = cr_storage_spool_root (up->config->data_dir);
  g_autofree char *d = g_strdup (dir);
  while (g_str_has_prefix (d, root) && strlen (d) > strlen (root) && g_rmdir (d) == 0) {
    char *parent = g_path_get_dirname (d);
    g_free (d);
    d = parent;
  }
}

/* Starts the head of @t if it is due; returns when it will be (G_MAXINT64: nothing to wait
 * for). */
static gint64
uploader_run_task (CrUploader *up, TaskUploads *t, gint64 now)
{
  while (!t->busy) {
    CrUpload *head = g_queue_peek_head (&t->rows);
    if (head == NULL)
      return G_MAXINT64;
    if (head->kind == CR_UPLOAD_END) {
      /* everything before is stored */
      t->ended = TRUE;
      if (head->path != NULL)
        uploader_remove_spool_dirs (up, head->path);
      if (up->end_func != NULL)
        up->end_func (up->end_data, t->app, t->task_id, t->given_up);
      uploader_emit_status (up, t, CR_EVENT_UPLOAD_STOP, head->attempts > 0 ? 2 : 0);
      g_autoptr (GError) error = NULL;
      if (!up->queue->vt->remove (up->queue, head->id, &error))
        g_warning ("uploads of task %s: %s", t->task_id, error->message);
      g_queue_pop_head (&t->rows);
      cr_upload_free (head);
      continue;
    }
    if (head->next_ms > now)
      return head->next_ms;
    CrUploadJob *job = g_new0 (CrUploadJob, 1);
    g_autoptr (GError) error = NULL;
    if (!uploader_task_target (up, t, job, &error)) {
      cr_upload_job_free (job);
      uploader_give_up (up, t, error->message);
      return G_MAXINT64;
    }
    if (head->attempts > 0 && t->expires_ms > 0 && now > t->expires_ms) {
      cr_upload_job_free (job);
      uploader_give_up (up, t, "the task's ResourceExpiredHour has passed");
      return G_MAXINT64;
    }
    job->row = cr_upload_copy (head);
    job->on_multipart_id = job_on_multipart_id;
    job->data = uploader_ref (up);
    t->busy = TRUE;
    g_thread_pool_push (up->pool, job, NULL);
  }
  return G_MAXINT64;
}

static gboolean
uploader_wake (gpointer data)
{
  CrUploader *up = data;
  up->wake_id = 0;
  uploader_kick (up);
  return G_SOURCE_REMOVE;
}

static void
uploader_kick (CrUploader *up)
{
  if (up->closing)
    return;
  gint64 now = now_ms ();
  gint64 next = G_MAXINT64;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, up->tasks);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    TaskUploads *t = value;
    next = MIN (next, uploader_run_task (up, t, now));
    if (t->ended && !t->busy && g_queue_is_empty (&t->rows))
      g_hash_table_iter_remove (&it);
  }
  if (up->wake_id != 0) {
    g_source_remove (up->wake_id);
    up->wake_id = 0;
  }
  if (next != G_MAXINT64)
    up->wake_id = g_timeout_add ((guint)CLAMP (next - now, 1, 3600 * 1000), uploader_wake, up);
}

/* ---- life ---- */

CrUploader *
uploader_ref (CrUploader *up)
{
  return g_atomic_rc_box_acquire (up);
}

static void
uploader_finalize (CrUploader *up)
{
  g_hash_table_unref (up->tasks);
  cr_storage_endpoints_clear (&up->endpoints);
  cr_upload_queue_close (up->queue);
  g_main_context_unref (up->context);
}

void
uploader_unref (CrUploader *up)
{
  g_atomic_rc_box_release_full (up, (GDestroyNotify)uploader_finalize);
}

CrUploader *
cr_uploader_new (const CrConfig *config, CrTaskStore *store, CrUploadQueue *queue,
                 CrCallbackSender *callbacks, CrLinkServer *link, GError **error)
{
  CrUploader *up = g_atomic_rc_box_new0 (CrUploader);
  up->config = config;
  up->store = store;
  up->queue = queue;
  up->callbacks = callbacks;
  up->link = link;
  up->context = g_main_context_ref_thread_default ();
  up->tasks
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)task_uploads_free);
  if (!cr_storage_endpoints_parse (config->storage_endpoint, &up->endpoints, error)) {
    uploader_unref (up);
    return NULL;
  }
  up->pool = g_thread_pool_new (uploader_pool_run, NULL, (int)config->upload_threads, FALSE, NULL);
  g_autoptr (GPtrArray) rows = queue->vt->list (queue, NULL, error);
  if (rows == NULL) {
    g_thread_pool_free (up->pool, TRUE, FALSE);
    uploader_unref (up);
    return NULL;
  }
  for (guint i = 0; i < rows->len; i++) {
    CrUpload *row = g_ptr_array_index (rows, i);
    TaskUploads *t = uploader_task (up, row->sdk_app_id, row->task_id, TRUE);
    t->started = TRUE;
    row->next_ms = 0; /* a restart retries at once */
    g_queue_push_tail (&t->rows, cr_upload_copy (row));
  }
  if (rows->len > 0)
    g_info ("uploads: %u files and playlists of %u tasks resume", rows->len,
            g_hash_table_size (up->tasks));
  upload_link_register (up);
  upload_read_register (up);
  uploader_kick (up);
  return up;
}

void
cr_uploader_free (CrUploader *up)
{
  if (up == NULL)
    return;
  upload_link_unregister (up);
  upload_read_unregister (up);
  up->closing = TRUE;
  if (up->wake_id != 0)
    g_source_remove (up->wake_id);
  /* Transfers under way are not waited for: the rows stay queued and go again after a restart
   * (a PUT of the same object is idempotent; a multipart upload resumes from its parts). */
  g_thread_pool_free (up->pool, TRUE, FALSE);
  uploader_unref (up);
}

void
cr_uploader_task_state (CrUploader *up, const char *task_id, CrUploadState *out)
{
  memset (out, 0, sizeof *out);
  TaskUploads *t = up != NULL ? g_hash_table_lookup (up->tasks, task_id) : NULL;
  if (t == NULL)
    return;
  for (GList *l = t->rows.head; l != NULL; l = l->next) {
    const CrUpload *u = l->data;
    if (u->kind == CR_UPLOAD_END)
      continue;
    out->pending++;
    if (u->kind == CR_UPLOAD_FILE)
      out->pending_bytes += u->size;
  }
  out->failing = t->failing;
  out->spool_full = t->spool_full;
  out->last_error = g_strdup (t->failing ? t->last_error : NULL);
}

guint
cr_uploader_pending (CrUploader *up)
{
  guint n = 0;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, up->tasks);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    const TaskUploads *t = value;
    if (!t->failing)
      n += g_queue_get_length ((GQueue *)&t->rows);
  }
  return n;
}

void
cr_uploader_set_end_func (CrUploader *up, CrUploadEndFunc func, gpointer data)
{
  up->end_func = func;
  up->end_data = data;
}

void
cr_upload_state_clear (CrUploadState *s)
{
  g_clear_pointer (&s->last_error, g_free);
}
