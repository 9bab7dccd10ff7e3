/* The supervisor: one `cloudrec record` worker process per live task.
 *
 * Why processes: a crash inside a recording pipeline must not touch the API, the rooms or other
 * recordings (DESIGN.md). The daemon starts a worker when a task is created (and, at start-up,
 * for every task still live in the store), stops it with SIGTERM when the task is deleted, and
 * notices when it exits. The worker itself keeps the task's status and file list in the store. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CrSupervisor CrSupervisor;

/* @argv_prefix: how to start a worker ("/path/cloudrec", "record", "--data-dir", ...); the task's
 * "--sdkappid N --task ID" are appended. NULL disables workers (unit tests). */
CrSupervisor *cr_supervisor_new (const char *const *argv_prefix);
/* Stops every worker (SIGTERM, bounded wait). */
void cr_supervisor_free (CrSupervisor *sup);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrSupervisor, cr_supervisor_free)

gboolean cr_supervisor_start (CrSupervisor *sup, guint64 sdk_app_id, const char *task_id,
                              GError **error);
/* Asks the task's worker to finish (SIGTERM). */
void cr_supervisor_stop (CrSupervisor *sup, const char *task_id);
guint cr_supervisor_count (CrSupervisor *sup);

G_END_DECLS
