/* The upload queue: what waits in the local spool for a task's storage, durably.
 *
 * Why a queue in the database and not a directory scan: the order matters (a segment is stored
 * before the playlist that lists it, the task's last file after everything else) and so does
 * what was already attempted (a multipart UploadId and its parts survive a restart), so each
 * spooled file is a row, written before the worker's call returns. A playlist is kept as its
 * text at the time it was queued, and queuing it again replaces the waiting copy and moves it to
 * the back: the playlist that reaches the store never lists a segment that is not there yet.
 *
 * A vtable like the task store's (SQLite here; PostgreSQL in cluster mode). One queue per thread:
 * in the daemon only the main loop uses it; the transfers run elsewhere and report back. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_UPLOAD_QUEUE_VERSION 1

typedef enum {
  CR_UPLOAD_FILE = 0,     /* a spooled file (@path), removed from the spool once stored */
  CR_UPLOAD_PLAYLIST = 1, /* a playlist as it was when queued (@content) */
  CR_UPLOAD_END = 2,      /* the task wrote its last file: 305 once everything before is stored */
} CrUploadKind;

typedef struct {
  gint64 id; /* the queue order; set by add */
  guint64 sdk_app_id;
  char *task_id;
  char *object_key; /* the key in the task's storage ("<Prefix>/<TaskId>/<name>") */
  CrUploadKind kind;
  char *path;      /* FILE: the spooled file */
  GBytes *content; /* PLAYLIST: its text */
  gint64 size;     /* bytes of the file or text */
  char *multipart_id; /* FILE: the S3 UploadId of a multipart upload under way, or NULL */
  int attempts;       /* failed attempts so far */
  gint64 next_ms;     /* not before (wall clock ms) */
  char *last_error;   /* of the last failed attempt, or NULL */
  gint64 created_ms;
} CrUpload;

CrUpload *cr_upload_copy (const CrUpload *u);
void cr_upload_free (CrUpload *u);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrUpload, cr_upload_free)

typedef struct CrUploadQueue CrUploadQueue;

typedef struct {
  guint version;
  /* Appends @u (its id is ignored) and returns its id; a waiting PLAYLIST or FILE row of the same
   * task and key is replaced (the newer copy wins). -1 on error. */
  gint64 (*add) (CrUploadQueue *q, const CrUpload *u, GError **error);
  /* Every row (of @task_id, or of all tasks when NULL), in queue order. */
  GPtrArray *(*list) (CrUploadQueue *q, const char *task_id, GError **error);
  /* Records a failed attempt or a multipart UploadId: attempts, next_ms, multipart_id, last_error. */
  gboolean (*update) (CrUploadQueue *q, const CrUpload *u, GError **error);
  /* Removes row @id (stored); a missing row is not an error. */
  gboolean (*remove) (CrUploadQueue *q, gint64 id, GError **error);
  /* Bytes of spooled FILE rows (all tasks). -1 on error. */
  gint64 (*spooled_bytes) (CrUploadQueue *q, GError **error);
  void (*close) (CrUploadQueue *q);
} CrUploadQueueVtable;

struct CrUploadQueue {
  const CrUploadQueueVtable *vt;
};

/* The queue in the SQLite task store's file (its schema is the store's migration 4). */
CrUploadQueue *cr_sqlite_upload_queue_open (const char *path, GError **error);

static inline void
cr_upload_queue_close (CrUploadQueue *q)
{
  if (q != NULL)
    q->vt->close (q);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrUploadQueue, cr_upload_queue_close)

G_END_DECLS
