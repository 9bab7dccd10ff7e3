/* One transfer, on a pool thread; see upload_transfer.h. */
#include "upload/upload_transfer.h"

#include <gio/gio.h>
#include <string.h>

void
cr_upload_job_free (CrUploadJob *job)
{
  if (job == NULL)
    return;
  cr_upload_free (job->row);
  g_free (job->endpoint);
  g_free (job->region);
  g_free (job->bucket);
  g_free (job->access_key);
  g_free (job->secret_key);
  g_free (job->etag);
  g_free (job->multipart_id);
  g_clear_error (&job->error);
  g_free (job);
}

/* The clients of this thread, by store and credentials. */
static GPrivate thread_clients = G_PRIVATE_INIT ((GDestroyNotify)g_hash_table_unref);

static CrS3Client *
job_client (const CrUploadJob *job)
{
  GHashTable *clients = g_private_get (&thread_clients);
  if (clients == NULL) {
    clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify)cr_s3_client_free);
    g_private_set (&thread_clients, clients);
  }
  /* Secrets are part of the identity of a client, but only as a digest in memory. */
  g_autofree char *id_text
      = g_strdup_printf ("%s\n%d\n%s\n%s\n%s\n%s\n%ld\n%" G_GINT64_FORMAT,
                         job->endpoint != NULL ? job->endpoint : "", job->vendor, job->region,
                         job->bucket, job->access_key, job->secret_key, job->timeout_s,
                         job->max_send_bytes_per_s);
  char *id = g_compute_checksum_for_string (G_CHECKSUM_SHA256, id_text, -1);
  memset (id_text, 0, strlen (id_text));
  CrS3Client *client = g_hash_table_lookup (clients, id);
  if (client != NULL) {
    g_free (id);
    return client;
  }
  CrS3Config config = { job->endpoint,   job->vendor,     job->region,    job->bucket,
                        job->access_key, job->secret_key, job->timeout_s, job->max_send_bytes_per_s };
  client = cr_s3_client_new (&config);
  g_hash_table_insert (clients, id, client);
  return client;
}

static void
job_on_upload_id (const char *upload_id, gpointer data)
{
  CrUploadJob *job = data; /* job->multipart_id is the caller's *upload_id: not touched here */
  if (job->on_multipart_id != NULL)
    job->on_multipart_id (job->row->id, upload_id, job->data);
}

static const char *
content_type_of (const char *key)
{
  if (g_str_has_suffix (key, ".m3u8"))
    return "application/vnd.apple.mpegurl";
  if (g_str_has_suffix (key, ".ts"))
    return "video/mp2t";
  if (g_str_has_suffix (key, ".mp4"))
    return "video/mp4";
  if (g_str_has_suffix (key, ".aac") || g_str_has_suffix (key, ".m4a"))
    return "audio/mp4";
  if (g_str_has_suffix (key, ".json"))
    return "application/json";
  return "application/octet-stream";
}

void
cr_upload_job_run (CrUploadJob *job)
{
  CrS3Client *client = job_client (job);
  const CrUpload *row = job->row;
  const char *type = content_type_of (row->object_key);
  if (row->kind == CR_UPLOAD_PLAYLIST) {
    gsize len = 0;
    const void *data = row->content != NULL ? g_bytes_get_data (row->content, &len) : "";
    job->ok = cr_s3_put_bytes (client, row->object_key, data != NULL ? data : "", len, type,
                               &job->etag, &job->error);
    return;
  }
  if (job->part_size > 0 && row->size > (gint64)job->part_size) {
    job->multipart_id = g_strdup (row->multipart_id);
    job->ok = cr_s3_put_file_multipart (client, row->object_key, row->path, job->part_size,
                                        &job->multipart_id, job_on_upload_id, job, &job->error);
    return;
  }
  job->ok = cr_s3_put_file (client, row->object_key, row->path, type, &job->etag, &job->error);
}
