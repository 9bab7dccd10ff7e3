/* One transfer of the uploader: a spooled file or a playlist to an S3-compatible store, run on
 * a pool thread. Private to src/upload/.
 *
 * Why apart from the queue logic: everything here blocks (network, disk) and touches nothing of
 * the daemon's state; the uploader hands a job over and gets it back on the main loop. Each pool
 * thread keeps one S3 client per store (connection reuse). */
#pragma once

#include "blob/s3_client.h"
#include "upload/upload_queue.h"

G_BEGIN_DECLS

typedef struct {
  /* in */
  CrUpload *row;    /* a copy */
  char *endpoint;   /* NULL: the vendor's public endpoint */
  int vendor;
  char *region, *bucket, *access_key, *secret_key;
  long timeout_s;
  gint64 max_send_bytes_per_s; /* 0: unlimited */
  gsize part_size;  /* files larger than this go as multipart uploads in parts of this size */
  /* called (on the pool thread) as soon as a multipart UploadId exists, to be kept */
  void (*on_multipart_id) (gint64 row_id, const char *upload_id, gpointer data);
  gpointer data;
  /* out */
  gboolean ok;
  char *etag;
  char *multipart_id;
  GError *error;
} CrUploadJob;

void cr_upload_job_free (CrUploadJob *job);

/* Runs @job (blocking). */
void cr_upload_job_run (CrUploadJob *job);

G_END_DECLS
