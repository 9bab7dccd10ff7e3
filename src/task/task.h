/* A recording task as the control API and the store see it.
 *
 * Why a plain struct: the task is persisted by any CrTaskStore implementation (SQLite, later
 * PostgreSQL) and read by the API, the supervisor and the console; keeping it free of behaviour
 * lets every store implement it identically and lets the conformance suite compare field by field.
 * The request parameters stay as the validated, normalised JSON text (defaults applied) so that a
 * worker restarted after a crash sees exactly what the caller asked for. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The Status that DescribeCloudRecording reports. */
typedef enum {
  CR_TASK_IDLE = 0,        /* created, no upstream media being recorded */
  CR_TASK_IN_PROGRESS = 1, /* media flowing and being written */
  CR_TASK_EXITED = 2,      /* stopped (API, idle timeout, kicked, ...) */
} CrTaskStatus;

typedef struct {
  char *task_id; /* opaque, [A-Za-z0-9._-] */
  guint64 sdk_app_id;
  char *room_id;    /* as sent: decimal text for integer rooms */
  int room_id_type; /* 0 = string room, 1 = integer room */
  char *user_id;    /* the recording robot's UserId */
  CrTaskStatus status;
  int leave_code;    /* 302 LeaveCode once exited; -1 before */
  char *params_json; /* normalised CreateCloudRecording request, Modify applied */
  gint64 revision;   /* bumped by every successful Modify */
  gint64 created_ms; /* Unix ms */
  gint64 updated_ms;
  gint64 expires_ms;  /* created + ResourceExpiredHour; API calls fail after it */
  gint64 ended_ms;    /* 0 until exited */
  int failovers;      /* workers started after an earlier one stopped unfinished (0..3) */
  gint64 finished_ms; /* 0 until the exited task's files and last callbacks are done */
} CrTask;

/* One entry of DescribeCloudRecording.StorageFileList. */
typedef struct {
  char *task_id;
  char *file_name;    /* the m3u8 (index) file name */
  char *user_id;      /* "" for a mixed recording */
  char *track_type;   /* "audio", "video" or "audio_video" */
  gint64 begin_ts_ms; /* Unix ms when recording of this file started */
} CrTaskFile;

CrTask *cr_task_new (void);
CrTask *cr_task_copy (const CrTask *task);
void cr_task_free (CrTask *task);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTask, cr_task_free)

CrTaskFile *cr_task_file_new (const char *task_id, const char *file_name, const char *user_id,
                              const char *track_type, gint64 begin_ts_ms);
void cr_task_file_free (CrTaskFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTaskFile, cr_task_file_free)

/* "Idle", "InProgress" or "Exited". */
const char *cr_task_status_to_string (CrTaskStatus status);
/* TRUE and sets @out for the three strings above. */
gboolean cr_task_status_from_string (const char *text, CrTaskStatus *out);

G_END_DECLS
