/* The uploader: the daemon's end of "spool, then upload".
 *
 * Why in the daemon: a task's files must reach its storage even after its worker has ended,
 * crashed or been replaced, and after the daemon itself restarts; the daemon outlives them all
 * and owns the task store, in whose file the queue (upload_queue.h) lives. Workers write each
 * finished file into the spool (fsync'd) and queue it over the link (POST /internal/uploads);
 * the uploader sends each task's queue in order, one transfer per task at a time, on a small
 * thread pool so that a slow store never blocks the main loop, and removes a file from the
 * spool only after the store answered 200 with its ETag. Failures are retried with exponential
 * backoff (capped by `upload-retry-max`) for as long as the task's ResourceExpiredHour lasts.
 *
 * Callbacks: 303 when a task's first file is queued; 308 with the store's Code and Message when
 * an attempt fails after a success (once per streak); 305 when the worker's last file is
 * stored: Status 0, or 1 as soon as the end is queued while files are kept back (failing), then
 * 2 once those are stored. */
#pragma once

#include "config/config.h"
#include "link/link_server.h"
#include "outbox/sender.h"
#include "store/task_store.h"
#include "upload/upload_queue.h"

G_BEGIN_DECLS

typedef struct _CrUploader CrUploader;
typedef void (*CrUploadEndFunc) (gpointer data, guint64 sdk_app_id, const char *task_id,
                                 const char *why);

/* Loads the queue (uploads of an earlier run resume) and serves POST /internal/uploads on
 * @link. Takes @queue. */
CrUploader *cr_uploader_new (const CrConfig *config, CrTaskStore *store, CrUploadQueue *queue,
                             CrCallbackSender *callbacks, CrLinkServer *link, GError **error);
void cr_uploader_free (CrUploader *up);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrUploader, cr_uploader_free)

/* What the queue holds for a task, for Describe's extension and /metrics. */
typedef struct {
  guint pending;        /* files and playlists waiting */
  gint64 pending_bytes; /* of the waiting files */
  gboolean failing;     /* the last attempt failed */
  gboolean spool_full;  /* a file was refused: the spool reached spool-max-mb */
  char *last_error;     /* of the last failed attempt, or NULL */
} CrUploadState;

void cr_uploader_task_state (CrUploader *up, const char *task_id, CrUploadState *out);

/* Rows waiting or in flight over every task whose store answers: files, playlists and the ends
 * whose 305 is still to be sent. A graceful stop waits for 0. The rows of a task whose last
 * attempt failed (in backoff) are not counted: waiting for a store that is down would only
 * spend the stop's time; they stay queued and resume at the next start. */
guint cr_uploader_pending (CrUploader *up);

/* Told once a task's worker's END is reached: everything it queued before is stored (@why NULL)
 * or some rows were given up (@why says why; their files stay in the spool). Called on the main
 * loop right before the 305 is queued (docs/record-once.md: the one-call result). */
void cr_uploader_set_end_func (CrUploader *up, CrUploadEndFunc func, gpointer data);
void cr_upload_state_clear (CrUploadState *s);

G_END_DECLS
