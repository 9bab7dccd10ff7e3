/* The numbers TRTC gives meaning to: callback event types, the 302 LeaveCode and the
 * RecordParams enums.
 *
 * Why one header: the worker, the daemon, the outbox and the tests all speak of "301" or
 * "LeaveCode 99"; naming them once keeps a literal from drifting (seed 000's tables). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* EventType of a cloud-recording callback (EventGroupId 3). */
typedef enum {
  CR_EVENT_RECORDER_START = 301,       /* Payload.Status 0 started, 1 could not start */
  CR_EVENT_RECORDER_STOP = 302,        /* Payload.LeaveCode */
  CR_EVENT_UPLOAD_START = 303,         /* Payload.Status */
  CR_EVENT_FILE_INFO = 304,            /* Payload.FileList: the m3u8 */
  CR_EVENT_UPLOAD_STOP = 305,          /* Payload.Status */
  CR_EVENT_FAILOVER = 306,             /* a new worker took the task over */
  CR_EVENT_FILE_SLICE = 307,           /* the first segment of an m3u8 */
  CR_EVENT_UPLOAD_ERROR = 308,         /* Payload.Code, Message */
  CR_EVENT_DOWNLOAD_IMAGE_ERROR = 309, /* Payload.Url */
  CR_EVENT_MP4_STOP = 310,             /* Payload.Status, FileList */
  CR_EVENT_VOD_COMMIT = 311,
  CR_EVENT_VOD_STOP = 312,
} CrEventType;

#define CR_EVENT_FIRST CR_EVENT_RECORDER_START
#define CR_EVENT_LAST CR_EVENT_VOD_STOP

/* Cloudrec's own outbox events, never sent as TRTC callbacks (docs/record-once.md). */
typedef enum {
  /* A one-call worker's files and their recording/transcoding outcome ({"Files":[...]}); kept
   * in the outbox for the result, never posted. */
  CR_EVENT_ONCE_FILES = 390,
  /* The one-call result ({"Url","Body"}): Body posted as is to the request's Callback. */
  CR_EVENT_ONCE_RESULT = 391,
  /* A class recording's callbacks in the whiteboard service's format (docs/class-record.md),
   * {"Url","Body"}: Body posted as is to the app's SetOnlineRecordCallback URL. */
  CR_EVENT_CLASS_STARTED = 392,  /* OnlineRecordStarted */
  CR_EVENT_CLASS_STOPPED = 393,  /* OnlineRecordStopped */
  CR_EVENT_CLASS_FINISHED = 394, /* OnlineRecordFinished: the result */
  /* A video-generation task's end (VideoGenerationFinished, src/tiw/class_video_gen_result.c),
   * {"Url","Body"}: Body posted as is to the app's SetVideoGenerationTaskCallback URL. */
  CR_EVENT_VIDEO_GEN_FINISHED = 395,
} CrCloudrecEventType;

/* Whether @type's payload is {"Url","Body"}, the Body posted as is to Url. */
#define CR_EVENT_POSTS_BODY(type)                                                                  \
  ((type) == CR_EVENT_ONCE_RESULT                                                                  \
   || ((type) >= CR_EVENT_CLASS_STARTED && (type) <= CR_EVENT_CLASS_FINISHED)                      \
   || (type) == CR_EVENT_VIDEO_GEN_FINISHED)

/* Payload.LeaveCode of a 302: why the recording robot left. */
typedef enum {
  CR_LEAVE_NONE = -1,             /* still recording */
  CR_LEAVE_STOPPED = 0,           /* DeleteCloudRecording (or the task ended normally) */
  CR_LEAVE_KICKED = 1,            /* a client removed the robot from the room */
  CR_LEAVE_DISMISSED = 2,         /* a client dismissed the room */
  CR_LEAVE_SERVER_KICKED = 3,     /* the server (an operator) removed the robot */
  CR_LEAVE_SERVER_DISMISSED = 4,  /* the server dismissed the room */
  CR_LEAVE_IDLE = 99,             /* no anchor in the room for MaxIdleTime */
  CR_LEAVE_ROOM_TIMEOUT = 100,    /* the room was idle for room-idle-timeout and destroyed */
  CR_LEAVE_ROBOT_COLLISION = 101, /* the same UserId entered the same room again */
} CrLeaveCode;

/* RecordParams' numbers (seed 000): what a task records and in which files. */
typedef enum {
  CR_RECORD_SINGLE = 1, /* one file set per user's stream */
  CR_RECORD_MIXED = 2,  /* one picture and one sound */
} CrRecordMode;

typedef enum {
  CR_STREAMS_AUDIO_VIDEO = 0,
  CR_STREAMS_AUDIO = 1,
  CR_STREAMS_VIDEO = 2,
} CrStreamType;

/* RecordParams.MediaId: which of a user's streams are recorded. */
typedef enum {
  CR_MEDIA_MAIN_AND_AUX = 0,
  CR_MEDIA_MAIN = 1,
  CR_MEDIA_AUX = 2,
} CrMediaSelect;

typedef enum {
  CR_OUTPUT_HLS = 0,
  CR_OUTPUT_HLS_MP4 = 1,
  CR_OUTPUT_HLS_AAC = 2,
  CR_OUTPUT_MP4 = 3,
  CR_OUTPUT_AAC = 4,
} CrOutputFormat;

/* RecordParams.FillType: what a camera turned off is replaced with. */
typedef enum {
  CR_FILL_LAST_PICTURE = 0,
  CR_FILL_BLACK = 1,
} CrFillType;

/* Whether @format writes AAC files (audio only). */
#define CR_OUTPUT_IS_AAC(format) ((format) == CR_OUTPUT_HLS_AAC || (format) == CR_OUTPUT_AAC)

/* The exit status of `cloudrec record` (the daemon's supervisor reads it). */
typedef enum {
  CR_WORKER_EXIT_DONE = 0,         /* the task ended, or the daemon stopped it to resume later */
  CR_WORKER_EXIT_FAILED = 1,       /* the recording broke while running: a failover may resume */
  CR_WORKER_EXIT_USAGE = 2,        /* bad arguments */
  CR_WORKER_EXIT_CANNOT_START = 3, /* nothing was recorded: the task ends with 301 Status 1 */
} CrWorkerExit;

G_END_DECLS
