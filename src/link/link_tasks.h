/* The task store as the link serves it to workers: a worker reads its task and writes its status,
 * its end and its files through the daemon, which alone opens the store.
 *
 * Why: with the store behind the daemon a worker needs nothing but the link's socket, and the
 * store may be one a worker could not open itself (PostgreSQL in cluster mode). Paths and members
 * are in link.h; bad input is a 400 with a message, a store error the store's code. */
#pragma once

#include "link/link_server.h"
#include "store/task_store.h"

G_BEGIN_DECLS

typedef struct _CrLinkTasks CrLinkTasks;

/* Serves /internal/tasks/{SdkAppId}/{TaskId}[/status|/finish|/files] from @store, reads held
 * with ?after=&wait= (link_task_watch.h), until unregistered (held reads answered then). */
CrLinkTasks *cr_link_tasks_register (CrLinkServer *link, CrTaskStore *store);
void cr_link_tasks_unregister (CrLinkTasks *tasks);

G_END_DECLS
