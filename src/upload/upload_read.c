/* POST /internal/reads: a worker's end reads segments back from its task's object store (the
 * spool let them go once stored); the daemon does the reading for it (link.h).
 *
 * Why the daemon: it holds the task's storage secret (sealed in the store, opened with the
 * daemon's key) and the S3 client; a worker that read the store itself would link libcurl and
 * libcrypto, about 6 MB of each worker's RSS for a read made once, at the end (bench/README.md,
 * "Worker memory"). The objects are read in order on a thread of their own with one client
 * (one connection), so a slow store never blocks the main loop; the answer comes when all are
 * written or the first fails. Each Path must be a new file in the spool, like the uploads'. */
#include <gio/gio.h>

#include "blob/blob_store.h"
#include "common/json_util.h"
#include "link/link.h"
#include "link/link_reply.h"
#include "upload/upload_private.h"

#define READ_MAX_OBJECTS 100000

typedef struct {
  char *key;
  char *path;
} ReadObject;

typedef struct {
  SoupServerMessage *msg; /* paused until the reads are done */
  gulong finished_id;     /* the worker went away: nothing to answer */
  gboolean gone;
  CrUploadJob *store;     /* the task's store (row unused) */
  GArray *objects;        /* ReadObject, in order */
  guint failed;           /* index of the object that failed (objects->len: none) */
  GError *error;
} ReadJob;

static void
read_object_clear (ReadObject *o)
{
  g_free (o->key);
  g_free (o->path);
}

static void
read_job_free (ReadJob *job)
{
  g_signal_handler_disconnect (job->msg, job->finished_id);
  g_object_unref (job->msg);
  cr_upload_job_free (job->store);
  g_array_unref (job->objects);
  g_clear_error (&job->error);
  g_free (job);
}

/* On a thread: every object in order, until the first failure. */
static void
read_job_run (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  ReadJob *job = data;
  const CrUploadJob *s = job->store;
  CrS3Config config = { s->endpoint,   s->vendor,     s->region,    s->bucket,
                        s->access_key, s->secret_key, s->timeout_s, 0 };
  g_autoptr (CrS3Client) client = cr_s3_client_new (&config);
  job->failed = job->objects->len;
  for (guint i = 0; i < job->objects->len; i++) {
    const ReadObject *o = &g_array_index (job->objects, ReadObject, i);
    if (!cr_s3_get_file (client, o->key, o->path, &job->error)) {
      job->failed = i;
      break;
    }
  }
  g_task_return_boolean (task, TRUE);
}

/* Back on the main loop: the answer. */
static void
read_job_done (GObject *source, GAsyncResult *res, gpointer data)
{
  ReadJob *job = g_task_get_task_data (G_TASK (res));
  if (job->gone)
    return;
  if (job->failed < job->objects->len) {
    const ReadObject *o = &g_array_index (job->objects, ReadObject, job->failed);
    g_autoptr (JsonObject) reply = json_object_new ();
    json_object_set_string_member (reply, CR_LINK_CODE, CR_LINK_STORAGE_READ);
    json_object_set_string_member (reply, CR_LINK_MESSAGE, job->error->message);
    json_object_set_string_member (reply, CR_LINK_KEY, o->key);
    g_info ("link: reads: %s: %s", o->key, job->error->message);
    cr_link_reply (job->msg, SOUP_STATUS_BAD_GATEWAY, reply);
  } else {
    cr_link_reply_ok (job->msg);
  }
  soup_server_message_unpause (job->msg);
}

static void
read_on_finished (SoupServerMessage *msg, gpointer data)
{
  ReadJob *job = data;
  job->gone = TRUE;
}

/* The request's Objects, each a valid key and a path in the spool that does not exist yet; NULL
 * (with the 400 answered) otherwise. */
static GArray *
read_objects (CrUploader *up, SoupServerMessage *msg, JsonArray *list)
{
  guint n = list != NULL ? json_array_get_length (list) : 0;
  if (list == NULL || n == 0 || n > READ_MAX_OBJECTS) {
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                         "Objects must list 1 to " G_STRINGIFY (READ_MAX_OBJECTS) " objects");
    return NULL;
  }
  g_autoptr (GArray) objects = g_array_sized_new (FALSE, TRUE, sizeof (ReadObject), n);
  g_array_set_clear_func (objects, (GDestroyNotify)read_object_clear);
  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element (list, i);
    JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    const char *key = cr_json_get_string (o, CR_LINK_KEY);
    const char *path = cr_json_get_string (o, CR_LINK_PATH);
    if (!cr_blob_key_is_valid (key) || path == NULL || !upload_path_in_spool (up, path)
        || g_file_test (path, G_FILE_TEST_EXISTS)) {
      cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                           "each of Objects must be {Key, Path: a new file in the spool}");
      return NULL;
    }
    ReadObject r = { g_strdup (key), g_strdup (path) };
    g_array_append_val (objects, r);
  }
  return g_steal_pointer (&objects);
}

static void
upload_read_handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                    gpointer data)
{
  CrUploader *up = data;
  (void)soup, (void)path, (void)query;
  g_autoptr (JsonObject) req = cr_link_post_object (msg);
  if (req == NULL)
    return;
  gint64 app = 0, timeout_s = 0;
  const char *task_id = cr_json_get_string (req, CR_LINK_TASK_ID);
  if (!cr_json_get_int (req, CR_LINK_SDK_APP_ID, &app) || app <= 0 || task_id == NULL
      || !cr_json_get_int (req, CR_LINK_TIMEOUT_S, &timeout_s) || timeout_s <= 0
      || timeout_s > 3600) {
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                         "expected {SdkAppId, TaskId, TimeoutS: 1..3600, Objects: [{Key, Path}]}");
    return;
  }
  g_autoptr (GArray) objects = read_objects (up, msg, cr_json_get_array (req, CR_LINK_OBJECTS));
  if (objects == NULL)
    return;
  g_autoptr (CrTask) task = cr_link_lookup_task (msg, up->store, (guint64)app, task_id);
  if (task == NULL)
    return;
  CrUploadJob *store = g_new0 (CrUploadJob, 1);
  g_autoptr (GError) error = NULL;
  if (!uploader_task_store (up, task, store, &error)) {
    cr_upload_job_free (store);
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter", error->message);
    return;
  }
  store->timeout_s = (long)timeout_s; /* the worker's bound per object, not upload-timeout */
  ReadJob *job = g_new0 (ReadJob, 1);
  job->msg = g_object_ref (msg);
  job->store = store;
  job->objects = g_steal_pointer (&objects);
  job->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (read_on_finished), job);
  /* The server's idle timeout (api-timeout) would cut the answer short: the reads take as long
   * as the store needs, each one bounded by TimeoutS without progress. */
  GSocket *sock = soup_server_message_get_socket (msg);
  if (sock != NULL)
    g_socket_set_timeout (sock, 0);
  soup_server_message_pause (msg);
  g_autoptr (GTask) task_run = g_task_new (NULL, NULL, read_job_done, NULL);
  g_task_set_task_data (task_run, job, (GDestroyNotify)read_job_free);
  g_task_run_in_thread (task_run, read_job_run);
}

void
upload_read_register (CrUploader *up)
{
  cr_link_server_add_handler (up->link, CR_LINK_PATH_READS, upload_read_handle, up);
}

void
upload_read_unregister (CrUploader *up)
{
  cr_link_server_remove_handler (up->link, CR_LINK_PATH_READS);
}
