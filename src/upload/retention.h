/* Storage retention: local recordings removed some time after their task finished.
 *
 * Why: a self-hosted store fills its disk with recordings nobody fetches; storage-retention-days
 * bounds that, like an object store's lifecycle rule. A task's local recording is its directory
 * <storage-dir>/<FileNamePrefix...>/<TaskId>/ (reference §10); it goes once the task finished
 * (its last worker wrote everything: a live task, or one whose worker is still closing files, is
 * never touched) more than the retention ago. Only directories inside the storage directory are
 * removed, without following symbolic links or crossing into another filesystem. */
#pragma once

#include "store/task_store.h"

G_BEGIN_DECLS

typedef struct CrRetention CrRetention;

/* Sweeps @store's finished tasks' directories under @storage_dir after @keep_ms. */
CrRetention *cr_retention_new (CrTaskStore *store, const char *storage_dir, gint64 keep_ms);
void cr_retention_free (CrRetention *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrRetention, cr_retention_free)

/* Removes the directories of the tasks that finished at or before @now_ms - keep_ms and after
 * the previous sweep's bound (the first sweep looks at every finished task). Returns how many
 * directories it removed. */
guint cr_retention_sweep (CrRetention *r, gint64 now_ms);

/* The directory of @task's local recording relative to the storage dir ("<prefix>/<TaskId>"),
 * or NULL when its request names none that is a valid key. */
char *cr_retention_task_key (const CrTask *task);

G_END_DECLS
