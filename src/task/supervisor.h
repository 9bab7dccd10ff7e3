/* The supervisor: one `record` worker process per live task (cloudrec-worker's, or cloudrec's:
 * common/programs.h), and the task's life cycle around it.
 *
 * Why processes: a crash inside a recording pipeline must not touch the API, the rooms or other
 * recordings (DESIGN.md). The daemon starts a worker when a task is created, stops it with SIGTERM
 * when the task is deleted, and notices when it exits. The worker keeps the task's status and file
 * list in the store while it runs; what happens when a worker is gone without having finished the
 * task is decided here, because only the daemon outlives it:
 *
 * - A worker that could not start (the spawn failed, it exited with CR_WORKER_EXIT_CANNOT_START,
 *   or it exited non-zero before its 301 was queued) ends the task: Exited, a 301 with Status 1,
 *   the concurrency slot freed.
 * - Any other end without finishing (a crash, a signal; and, at the daemon's start, every task
 *   still live) is a failover: counted in the store across restarts, the new worker runs with
 *   `--failover N` (files "ha<N>_", a 306). The fourth ends the task instead: Exited, LeaveCode 0,
 *   and the daemon queues the 302 itself. */
#pragma once

#include <json-glib/json-glib.h>

#include "store/task_store.h"
#include "task/codes.h" /* CrWorkerExit */

G_BEGIN_DECLS

/* TRTC's failover allows three new workers per task (ha1_..ha3_). */
#define CR_SUPERVISOR_MAX_FAILOVERS 3

typedef struct _CrSupervisor CrSupervisor;

/* Told that the supervisor queued a callback event in the store (with the state change that
 * caused it): the outbox sends it. */
typedef void (*CrSupervisorQueuedFunc) (gpointer data);
/* A worker of the task is gone (whatever the reason; a new one may already run). */
typedef void (*CrSupervisorExitFunc) (gpointer data, guint64 sdk_app_id, const char *task_id);

/* @argv_prefix: how to start a worker ("/path/cloudrec", "record", "--data-dir", ...); the task's
 * "--sdkappid N --task ID [--failover N]" are appended. NULL disables workers (unit tests).
 * @store (borrowed) is where failovers are counted and tasks ended. */
CrSupervisor *cr_supervisor_new (const char *const *argv_prefix, CrTaskStore *store);
/* Stops every worker (SIGTERM, bounded wait). Their tasks stay live for the next start. */
void cr_supervisor_free (CrSupervisor *sup);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrSupervisor, cr_supervisor_free)

void cr_supervisor_set_queued_func (CrSupervisor *sup, CrSupervisorQueuedFunc func,
                                    gpointer data);
void cr_supervisor_set_exit_func (CrSupervisor *sup, CrSupervisorExitFunc func, gpointer data);

/* Starts the first worker of a new task. A spawn failure ends the task (301 Status 1) and returns
 * FALSE with @error. */
gboolean cr_supervisor_start (CrSupervisor *sup, guint64 sdk_app_id, const char *task_id,
                              GError **error);
/* At the daemon's start: the live task's previous worker stopped with the previous daemon, so the
 * new one is a failover (or, past the third, the task ends). */
void cr_supervisor_resume (CrSupervisor *sup, const CrTask *task);
/* The task's worker queued its 301 with Status 0: from now on its end is a crash, not a failure
 * to start. */
void cr_supervisor_note_started (CrSupervisor *sup, const char *task_id);
/* Asks the task's worker to finish (SIGTERM). */
void cr_supervisor_stop (CrSupervisor *sup, const char *task_id);
/* A graceful stop: asks every worker to close its files and exit (SIGTERM; one already asked
 * by a Delete is left to finish), and from now on starts none (Create, failovers). A worker
 * that ends now leaves its live task live for the next start. Returns the workers signalled;
 * cr_supervisor_count() tells when all are gone. */
guint cr_supervisor_stop_all (CrSupervisor *sup);
/* The stop's bound passed, or a second signal: every worker left is killed (SIGKILL); their
 * tasks stay live, their open segments are lost as in a crash. */
void cr_supervisor_kill_all (CrSupervisor *sup);
guint cr_supervisor_count (CrSupervisor *sup);
/* The worker process id of the task, or 0. */
int cr_supervisor_pid (CrSupervisor *sup, const char *task_id);
/* Calls @func for each running worker with its task and process id (metrics). */
typedef void (*CrSupervisorWorkerFunc) (const char *task_id, int pid, gpointer data);
void cr_supervisor_foreach (CrSupervisor *sup, CrSupervisorWorkerFunc func, gpointer data);

G_END_DECLS
