/* The uploader's state, shared by uploader.c (the queue logic) and upload_link.c (the
 * worker-facing endpoint). Private to src/upload/. */
#pragma once

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "upload/storage_target.h"
#include "upload/upload_transfer.h"
#include "upload/uploader.h"

G_BEGIN_DECLS

/* One task's queue as the uploader holds it: the rows in order, at most one in flight (the
 * head). */
typedef struct {
  guint64 app;
  char *task_id;
  GQueue rows;         /* CrUpload*, queue order */
  gboolean busy;       /* the head is being sent */
  gboolean started;    /* 303 was sent (or the rows came from an earlier run) */
  gboolean failing;    /* the last attempt failed (308 sent for this streak) */
  gboolean spool_full; /* a file was refused (308 SpoolFull sent) */
  gboolean ended;      /* the worker's END was reached: forgotten once nothing is left */
  char *last_error;
  gint64 expires_ms; /* the task's ResourceExpiredHour, once read */
  char *given_up;    /* why rows of the task were given up (kept in the spool), or NULL */
} TaskUploads;

struct _CrUploader {
  const CrConfig *config;
  CrTaskStore *store;
  CrUploadQueue *queue;
  CrCallbackSender *callbacks;
  CrLinkServer *link;
  CrStorageEndpoints endpoints;
  GMainContext *context;
  GThreadPool *pool;
  GHashTable *tasks; /* task_id -> TaskUploads */
  guint wake_id;
  gboolean closing;
  gint64 stored_bytes;
  CrUploadEndFunc end_func; /* told when a task's END is reached (cr_uploader_set_end_func) */
  gpointer end_data;
};

CrUploader *uploader_ref (CrUploader *up);
void uploader_unref (CrUploader *up);
TaskUploads *uploader_task (CrUploader *up, guint64 app, const char *task_id, gboolean create);
/* Queues @row (its id and times are set); 303 for a task's first row. */
gboolean uploader_add (CrUploader *up, CrUpload *row, GError **error);
void uploader_emit_error (CrUploader *up, TaskUploads *t, const char *code, const char *message);

/* The object store of @task (its spec's StorageParams and the storage-endpoint setting) into
 * @job's endpoint, vendor, region, bucket, keys and timeout_s (upload-timeout); FALSE when its
 * spec does not read or its storage is not an object store. */
gboolean uploader_task_store (CrUploader *up, const CrTask *task, CrUploadJob *job,
                              GError **error);
/* @path, canonical, inside the spool root. */
gboolean upload_path_in_spool (CrUploader *up, const char *path);
void upload_link_register (CrUploader *up);
void upload_link_unregister (CrUploader *up);
/* POST /internal/reads (upload_read.c). */
void upload_read_register (CrUploader *up);
void upload_read_unregister (CrUploader *up);

G_END_DECLS
