/* `cloudrec record`: the worker process of one recording task, single-stream or mixed.
 *
 * Why a loop over the room's state: the worker learns who publishes from the daemon's internal
 * API and, for a single-stream task, starts a track recorder for every subscribed user's audio and
 * video (StreamType, MediaId, SubscribeStreamUserIds as the task says now, Modify included), or,
 * for a mixed task, adds them to the one mix and re-lays its picture; streams that went away end.
 * It keeps the task's status (Idle / InProgress) and StorageFileList in the store. With no media
 * for MaxIdleTime seconds it ends the task with LeaveCode 99; on SIGTERM (DeleteCloudRecording) it
 * closes every file, so each playlist ends with #EXT-X-ENDLIST. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *server;     /* the daemon, http://127.0.0.1:PORT */
  const char *token_path; /* <data-dir>/internal.token */
  const char *db_path;
  const char *storage_dir; /* local blob store root */
  guint64 sdk_app_id;
  const char *task_id;
  int failover; /* 0, or n after the n-th restart of a crashed worker: files get "ha<n>_" */
  guint64 max_file_bytes; /* MP4/AAC files are split beyond this (0: 2 GB) */
} CrWorkerOptions;

/* Records until the task ends. 0 on success, 1 with @error. */
int cr_worker_run (const CrWorkerOptions *opts, GError **error);

G_END_DECLS
