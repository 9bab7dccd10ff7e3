/* The worker's state and what it offers its recorder. Private to src/recorder/.
 *
 * worker.c runs the task loop; worker_daemon.c talks to the daemon (calls, callback events, the
 * robot in the room, forwards); worker_segments.c stores segments and announces files;
 * worker_finish.c writes what the task leaves at its end (MP4/AAC, A/V sync reports). The
 * recording itself is a CrRecorder (recorder.h): single.c or mixed.c, chosen by RecordMode. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "blob/blob_store.h"
#include "files/naming.h"
#include "files/playlist.h"
#include "recorder/room_view.h"
#include "recorder/worker.h"
#include "store/task_store.h"
#include "task/codes.h"
#include "task/spec.h"
#include "upload/storage_target.h"

G_BEGIN_DECLS

typedef struct _CrRecorder CrRecorder;

/* A file of the recording as the storage's end needs it (the VOD library's commit, 311). */
typedef struct {
  char *name;
  char *user_id;    /* "" for a mixed recording */
  char *track_type; /* "audio", "video", "audio_video" */
  char *media_id;   /* "main", "aux" ("main" for a mixed recording) */
  char *kind;       /* "hls", "mp4", "aac" */
} CrWorkerFile;

void cr_worker_file_free (CrWorkerFile *f);

typedef struct _Worker {
  const CrWorkerOptions *o;
  GMainLoop *loop;
  SoupSession *http;       /* downloads (images) */
  SoupSession *http_link;  /* calls to the daemon over the link's socket (link_client.h) */
  SoupSession *watch_http; /* the room watch, over the link (answers after up to ROOM_WAIT_MS) */
  CrTaskStore *store;      /* the task through the daemon (link_store.h); never opened here */
  CrTask *task;            /* the task's row as last read */
  CrTaskSpec *spec;        /* what the task asks for now (Modify included) */
  gint64 revision;         /* of @spec */
  CrRecorder *recorder;
  CrBlobStore *blobs; /* where the files go */
  CrStorageEndpoints endpoints; /* the daemon's storage-endpoint setting */
  CrTargetKind target;          /* local store, object store (spool + uploader) or VOD */
  gint64 disk_checked_us;       /* monotonic µs of the last free-space check */
  gboolean disk_low;            /* the disk under the files is below disk-min-free-mb */
  char *key_prefix;   /* "<Prefix>/<TaskId>": the objects' key prefix */
  char *dir;          /* local working directory of the task's files (blobs->work_dir) */
  char *hls_dir;      /* where the HLS goes: dir, or a spool under it when no HLS is wanted */
  CrNamingTask naming;
  GHashTable *playlists; /* key -> CrPlaylist, for as long as the task runs */
  GPtrArray *files;      /* CrWorkerFile: every playlist and output file this worker made */
  GHashTable *sidecars;  /* playlist name -> WorkerSidecar: its SEI sidecar's last store */
  CrRoomView *room;      /* the room as last seen */
  gint64 last_media_us;  /* monotonic µs of the last media recorded */
  gint64 last_anchor_us; /* monotonic µs when an anchor was last in the room (MaxIdleTime) */
  gboolean joined;       /* the robot is a member of the room */
  guint64 room_seq;      /* the last room event seen */
  GCancellable *watch;   /* the room watch in flight */
  gint64 watch_asked_us; /* when the last room watch went out */
  void (*room_done) (struct _Worker *w, JsonObject *state); /* of the room watch in flight */
  GCancellable *task_watch; /* the task watch in flight (link_task_watch.h) */
  gint64 task_asked_us;     /* when the last task watch went out */
  guint task_retry;         /* the next task watch after one that got no answer */
  void (*task_done) (struct _Worker *w, gboolean answered); /* of the task watch in flight */
  GSource *check;           /* the time-dependent checks (worker.c), ready when one is due */
  gint64 link_ok_us;     /* monotonic µs of the last task read through the link */
  CrTaskStatus status;
  CrLeaveCode leave_code;
  int failover;       /* the "ha<n>_" of this worker's files; 0 for the first worker */
  gboolean signalled; /* SIGTERM/SIGINT: Delete, or the daemon shutting down */
  guint signal_sources[2]; /* SIGTERM, SIGINT: handled until the worker exits */
  GHashTable *usage;  /* stream -> media recorded so far (usage/usage.h), worker_usage.c */
  guint usage_timer;
  GError *error;
} Worker;

/* worker.c: ends the task loop with @code (the 302's LeaveCode), or with @error when non-NULL. */
void worker_stop (Worker *w, CrLeaveCode code, GError *error);

/* worker_daemon.c: the daemon-worker link */
JsonObject *worker_call (Worker *w, const char *method, const char *path, const char *body,
                         guint *status);
void worker_emit (Worker *w, CrEventType event_type, JsonObject *payload);
gboolean worker_join_room (Worker *w);
void worker_leave_room (Worker *w);
void worker_watch_room (Worker *w, guint wait_ms, void (*done) (Worker *w, JsonObject *state));
void worker_watch_task (Worker *w, guint wait_ms, void (*done) (Worker *w, gboolean answered));
void worker_follow_events (Worker *w, JsonObject *state);
char *worker_forward (Worker *w, const char *user_id, gboolean aux, gboolean video, guint16 port);
void worker_unforward (Worker *w, const char *forward_id);
void worker_ask_keyframe (Worker *w, const char *forward_id);

/* worker_segments.c */
/* Notes a finished file of the recording; into the StorageFileList unless the task's storage is
 * the VOD library (Describe lists nothing then, as TRTC does). */
void worker_add_file (Worker *w, const char *name, const char *user_id, const char *track_type,
                      const char *media_id, const char *kind, gint64 start_ms);
gboolean worker_store_file (Worker *w, const char *name);
void worker_announce_segment (Worker *w, const CrSegment *segment, gboolean first,
                              const char *playlist_name, const char *user_id,
                              const char *track_type, gint64 start_ms);

/* worker_gather.c: the directory holding the first @span_ms of every playlist's segments
 * (G_MAXINT64: all) for the task's end to read; NULL with @error naming a segment that is
 * nowhere. worker_release_segments removes it (unless it is the working directory). */
/* Usage (worker_usage.c): a closed segment counted (@mixed: the mix's), the totals reported to
 * the daemon every USAGE_REPORT_S and at the end. */
void worker_count_usage (Worker *w, const CrSegment *segment, const char *stream, gboolean mixed);
void worker_report_usage (Worker *w);
void worker_usage_clear (Worker *w);

char *worker_gather_segments (Worker *w, gint64 span_ms, GError **error);
void worker_release_segments (Worker *w, const char *dir);

/* worker_finish.c: what the task's end makes from the segments in @segment_dir (NULL:
 * @gather_error says why they could not be gathered). */
void worker_write_outputs (Worker *w, const char *segment_dir, const GError *gather_error);
void worker_write_avsync (Worker *w, const char *segment_dir);
#define CR_AVSYNC_SPAN_MS (120 * 1000) /* of each stream examined (decoding costs CPU) */
/* worker_once.c: a one-call task's end (spec->once): one MP3/MP4 per anchor under its one-call
 * key, reported to the daemon (event 390) for the result (docs/record-once.md). */
void worker_once_write (Worker *w, const char *segment_dir, const GError *gather_error);
/* The task's last file is written: the object store is told (305 follows once all are stored),
 * or the files go into the VOD library (311 each, then 312). */
void worker_finish_storage (Worker *w);
void worker_remove_hls (const char *dir);

G_END_DECLS
