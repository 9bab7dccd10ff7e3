/* `cloudrec record`: the worker process of one recording task.
 *
 * Why a process per task: a crash in one recording never touches the room, the API or other
 * recordings; the daemon's supervisor starts a new worker, which goes on in "ha<n>_" files. The
 * worker joins the room as the task's robot, follows the room's changes as the daemon pushes
 * them, and hands the room to the recorder of the task's RecordMode (recorder.h). It keeps the
 * task's status (Idle / InProgress) and StorageFileList in the store (through the daemon), ends the
 * task with LeaveCode 99 once no anchor has been in the room for MaxIdleTime, and on SIGTERM
 * (DeleteCloudRecording) closes every file, so each playlist ends with #EXT-X-ENDLIST. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *link_path;   /* the daemon-worker link's socket, <data-dir>/worker.sock */
  const char *data_dir;    /* the daemon's data directory (the shared image cache) */
  const char *storage_dir; /* local blob store root */
  guint64 sdk_app_id;
  const char *task_id;
  int failover; /* 0, or n after the n-th restart of a crashed worker: files get "ha<n>_" */
  guint64 max_file_bytes; /* MP4/AAC files are split beyond this (0: 2 GB) */
  guint max_streams;      /* single-stream: streams recorded at once (0: no limit) */
  const char *storage_endpoint; /* the daemon's storage-endpoint setting (storage_target.h) */
  gint64 disk_min_free_mb;      /* below, the task says so (308 DiskFull); 0: not watched */
  const char *fetch_deny; /* the daemon's fetch-deny setting: ranges pictures are never fetched
                           * from (common/net_filter.h); NULL: the default */
  const char *web_user; /* web pages: the OS user of Chromium, Xvfb, PulseAudio ("": this one) */
} CrWorkerOptions;

/* Records until the task ends. A CrWorkerExit: 0 when done; CR_WORKER_EXIT_CANNOT_START or
 * CR_WORKER_EXIT_FAILED with @error. */
int cr_worker_run (const CrWorkerOptions *opts, GError **error);

G_END_DECLS
