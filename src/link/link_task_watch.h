/* Held task reads: GET /internal/tasks/{SdkAppId}/{TaskId}?after=REVISION&wait=MS answered when
 * the task has news for its worker, or after MS.
 *
 * Why: a worker must learn at once that its task was modified (a new revision) or ended by
 * someone else (Delete, a new task of the same robot: LeaveCode 101). It used to read its task
 * every 250 ms, 4 calls a second per worker for news that comes a few times in a task's life
 * (~10% of a single-stream worker's CPU, bench/README.md). Now it asks once and the daemon
 * answers when the store says the task changed (CrTaskChangeFunc, task_store.h), as the room
 * watch does for the room. */
#pragma once

#include <libsoup/soup.h>

#include "store/task_store.h"

G_BEGIN_DECLS

/* The longest a read is held (a larger wait= is cut to it): under the worker's patience with an
 * unanswering daemon (worker.c), so that a held read is never mistaken for no answer. */
#define CR_LINK_TASK_WAIT_MAX_MS 20000

/* Whether @task (NULL: gone) is news to a worker that knows revision @after: another revision,
 * or the task ended. The worker's own status changes (Idle, InProgress) are not. */
static inline gboolean
cr_link_task_has_news (const CrTask *task, gint64 after)
{
  return task == NULL || task->revision != after || task->status == CR_TASK_EXITED;
}

typedef struct _CrLinkTaskWatch CrLinkTaskWatch;

/* Answers @msg with the task as a plain read would (the caller's reply: 200 with the task, or
 * the store's error). */
typedef void (*CrLinkTaskAnswer) (SoupServerMessage *msg, guint64 sdk_app_id, const char *task_id,
                                  gpointer data);

/* Listens to @store's changes (cr_task_store_set_change_func: the store's one listener) until
 * freed; held reads are answered with @answer. */
CrLinkTaskWatch *cr_link_task_watch_new (CrTaskStore *store, CrLinkTaskAnswer answer,
                                         gpointer data);
/* Holds @msg (a read of a task with no news for revision @after) until the task has news, or for
 * @wait_ms (at most CR_LINK_TASK_WAIT_MAX_MS). */
void cr_link_task_watch_hold (CrLinkTaskWatch *watch, SoupServerMessage *msg, guint64 sdk_app_id,
                              const char *task_id, gint64 after, guint wait_ms);
/* Answers every held read now and stops listening. */
void cr_link_task_watch_free (CrLinkTaskWatch *watch);

G_END_DECLS
