/* The task store: where tasks and their file lists live.
 *
 * Why a vtable: the daemon runs on SQLite by default and on PostgreSQL in cluster mode; the API
 * and the supervisor only ever talk to this interface, and tests/store/ holds one conformance
 * suite that every implementation must pass. Versioned like libspa interfaces: an implementation
 * sets .version to the CR_TASK_STORE_VERSION it was written against.
 *
 * Conventions for every method:
 * - Errors are CR_API_ERROR GErrors. Storage failures are "InternalError.DBError"; rule
 *   failures carry the TRTC code the API returns as is (see each method).
 * - Tasks are always addressed by (sdk_app_id, task_id): a task of another app does not exist.
 * - Returned CrTask / CrTaskFile values are new copies owned by the caller.
 * - TaskIds are unique across all apps. Orderings are byte-wise (PostgreSQL: COLLATE "C"), ties
 *   broken by task_id.
 * - Files are addressed by task_id alone: callers look the task up (with its app) first. */
#pragma once

#include "task/event.h"
#include "task/task.h"

G_BEGIN_DECLS

/* 2: add_failover; 3: finish; 4: list_finished; 5: events; 6: auto-recording */
#define CR_TASK_STORE_VERSION 6

typedef struct CrTaskStore CrTaskStore;

typedef struct {
  guint version;
  const char *name; /* "sqlite", "postgres" */

  /* Inserts @task if fewer than @max_active non-exited tasks of its app exist, atomically.
   * Errors: "FailedOperation.RestrictedConcurrency" when the quota is used up;
   * "InternalError.DBError" when task_id already exists or storage fails. */
  gboolean (*insert) (CrTaskStore *store, const CrTask *task, gint64 max_active, GError **error);

  /* The task or NULL. Not found is NULL with no error set. */
  CrTask *(*lookup) (CrTaskStore *store, guint64 sdk_app_id, const char *task_id, GError **error);

  /* Replaces params_json of a non-exited task and bumps its revision; sets updated_ms = @now_ms.
   * Errors: "ResourceNotFound" when it does not exist or has exited. */
  gboolean (*update_params) (CrTaskStore *store, guint64 sdk_app_id, const char *task_id,
                             const char *params_json, gint64 now_ms, GError **error);

  /* Sets the status (setting the current one again is allowed). Moving to CR_TASK_EXITED records
   * @leave_code and ended_ms = @now_ms; @leave_code is ignored otherwise and updated_ms is left
   * alone. An exited task never changes again (FALSE with "ResourceNotFound"). @event (NULL or
   * type 0: none) is queued in the same transaction, only when the status changed. */
  gboolean (*set_status) (CrTaskStore *store, guint64 sdk_app_id, const char *task_id,
                          CrTaskStatus status, int leave_code, gint64 now_ms,
                          const CrEventNew *event, GError **error);

  /* Number of non-exited tasks of @sdk_app_id. -1 on error. */
  gint64 (*count_active) (CrTaskStore *store, guint64 sdk_app_id, GError **error);

  /* Every non-exited task of every app, oldest first (used to resume after a restart). */
  GPtrArray *(*list_active) (CrTaskStore *store, GError **error);

  /* Adds or replaces (same task_id + file_name) one StorageFileList entry; allowed after the
   * task exited (the last segment closes after the stop). Unknown task: InternalError.DBError. */
  gboolean (*put_file) (CrTaskStore *store, const CrTaskFile *file, GError **error);

  /* The StorageFileList of a task, ordered by begin_ts_ms then file_name. Empty array if none. */
  GPtrArray *(*list_files) (CrTaskStore *store, const char *task_id, GError **error);

  /* Counts one failover of a non-exited task (a new worker replaces one that stopped without
   * finishing) and returns the new count, atomically. -1 with "ResourceNotFound" when the task
   * does not exist or has exited. */
  int (*add_failover) (CrTaskStore *store, guint64 sdk_app_id, const char *task_id, GError **error);

  /* Marks an exited task finished (finished_ms = @now_ms): its last worker wrote and stored its
   * files and queued its 302 (and 310). Finishing again keeps the first time and succeeds.
   * Errors: "ResourceNotFound" when the task does not exist or has not exited. @event (NULL or
   * type 0: none) is queued in the same transaction, only by the first finish. */
  gboolean (*finish) (CrTaskStore *store, guint64 sdk_app_id, const char *task_id, gint64 now_ms,
                      const CrEventNew *event, GError **error);

  /* Every finished task (any app) with @after_ms < finished_ms <= @before_ms, ordered by
   * finished_ms then task_id: the local recordings past their retention (storage-retention-days).
   * NULL in a store that keeps no finished tasks (the worker's link store). */
  GPtrArray *(*list_finished) (CrTaskStore *store, gint64 after_ms, gint64 before_ms,
                               GError **error);

  /* ---- the outbox: callback events, kept after their task ends (NULL in the worker's link
   * store except add_event). ---- */

  /* Queues @event of the task (state Pending, due at @now_ms) and returns its id; -1 with
   * "ResourceNotFound" when the task does not exist (any status is fine). */
  gint64 (*add_event) (CrTaskStore *store, guint64 sdk_app_id, const char *task_id,
                       const CrEventNew *event, gint64 now_ms, GError **error);

  /* The events of a task, oldest first (CrEventRecord). Empty array if none. */
  GPtrArray *(*list_events) (CrTaskStore *store, guint64 sdk_app_id, const char *task_id,
                             GError **error);

  /* At most @limit events to send now: of each task with pending events, its oldest pending one,
   * if due (next_ms <= @now_ms); ordered by next_ms then id. Tasks in @skip (task_id set, may be
   * NULL) are left out: their head is in flight. */
  GPtrArray *(*due_events) (CrTaskStore *store, gint64 now_ms, guint limit, GHashTable *skip,
                            GError **error);

  /* Stores the delivery fields of @event (state, attempts, next_ms, delivered_ms, last_status,
   * last_error) by its id. */
  gboolean (*update_event) (CrTaskStore *store, const CrEventRecord *event, GError **error);

  /* Makes events of the task pending again, due at @now_ms with a new retry window and no
   * attempts: @event_id, or every event when it is 0. Returns how many; -1 on error. */
  gint64 (*resend_events) (CrTaskStore *store, guint64 sdk_app_id, const char *task_id,
                           gint64 event_id, gint64 now_ms, GError **error);

  /* The number of pending events of every task; -1 on error. */
  gint64 (*count_pending_events) (CrTaskStore *store, GError **error);

  /* ---- auto-recording (src/auto/): NULL in the worker's link store. ---- */

  /* The app's template as changed through the API (JSON text) and the digest of the config
   * file's template it was made against; both NULL (and TRUE) when there is none. */
  gboolean (*get_auto_template) (CrTaskStore *store, guint64 sdk_app_id, char **template_json,
                                 char **file_digest, GError **error);
  /* Stores (replaces) the app's template, or removes it when @template_json is NULL. */
  gboolean (*put_auto_template) (CrTaskStore *store, guint64 sdk_app_id,
                                 const char *template_json, const char *file_digest,
                                 gint64 now_ms, GError **error);
  /* Marks @task_id, an existing task of @sdk_app_id, as launched by auto-recording
   * ("InternalError.DBError" when it is not a task or already marked). */
  gboolean (*add_auto_task) (CrTaskStore *store, guint64 sdk_app_id, const char *task_id,
                             gint64 now_ms, GError **error);
  /* The auto tasks of @sdk_app_id the store still has, newest first (CrTask). */
  GPtrArray *(*list_auto_tasks) (CrTaskStore *store, guint64 sdk_app_id, GError **error);

  void (*close) (CrTaskStore *store);
} CrTaskStoreVtable;

/* Told after a task's row changed (update_params, set_status succeeded), on the thread that
 * changed it: the daemon's task watch (link/link_task_watch.h) answers the worker waiting for its
 * task's news (a Modify, an end) at once instead of being asked every 250 ms. */
typedef void (*CrTaskChangeFunc) (guint64 sdk_app_id, const char *task_id, gpointer data);

struct CrTaskStore {
  const CrTaskStoreVtable *vt;
  CrTaskChangeFunc changed; /* NULL: nobody listens */
  gpointer changed_data;
};

/* One listener per store (a later call replaces it; NULL removes it). */
static inline void
cr_task_store_set_change_func (CrTaskStore *store, CrTaskChangeFunc func, gpointer data)
{
  store->changed = func;
  store->changed_data = data;
}

/* For implementations: tells the listener, if any, that the task's row changed. */
static inline void
cr_task_store_changed (CrTaskStore *store, guint64 sdk_app_id, const char *task_id)
{
  if (store->changed != NULL)
    store->changed (sdk_app_id, task_id, store->changed_data);
}

/* Opens (creating if needed) the SQLite store at @path in WAL mode. */
CrTaskStore *cr_sqlite_store_open (const char *path, GError **error);

static inline void
cr_task_store_close (CrTaskStore *store)
{
  if (store != NULL)
    store->vt->close (store);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTaskStore, cr_task_store_close)

G_END_DECLS
