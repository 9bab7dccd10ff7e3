/* Recording usage in the task store's SQLite file (table `usage`, migration 7), on a
 * connection of its own (as the upload queue): what workers report, what the usage actions
 * sum. See usage.h. */
#pragma once

#include "usage/usage.h"

G_BEGIN_DECLS

typedef struct _CrUsageStore CrUsageStore;

/* The store's file must exist and be migrated (the task store opens it first). */
CrUsageStore *cr_usage_store_open (const char *path, GError **error);
void cr_usage_store_close (CrUsageStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrUsageStore, cr_usage_store_close)

/* Sets the running totals (CrUsageRow) a task's worker (@failover) reports: a row reported
 * again replaces the earlier value, so a retried report never counts twice. */
gboolean cr_usage_store_put (CrUsageStore *store, guint64 sdk_app_id, const char *task_id,
                             int failover, const GPtrArray *rows, GError **error);

/* The app's usage in [from_ms, to_ms), summed over tasks and workers, one CrUsageRow per
 * (bucket, mixed, class), oldest first. */
GPtrArray *cr_usage_store_sum (CrUsageStore *store, guint64 sdk_app_id, gint64 from_ms,
                               gint64 to_ms, GError **error);

G_END_DECLS
