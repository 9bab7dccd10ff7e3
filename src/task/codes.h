/* The numbers TRTC gives meaning to: callback event types and the 302 LeaveCode.
 *
 * Why one header: the worker, the daemon, the outbox and the tests all speak of "301" or
 * "LeaveCode 99"; naming them once keeps a literal from drifting (seed 000's tables). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* EventType of a cloud-recording callback (EventGroupId 3). */
typedef enum {
  CR_EVENT_RECORDER_START = 301,      /* Payload.Status 0 started, 1 could not start */
  CR_EVENT_RECORDER_STOP = 302,       /* Payload.LeaveCode */
  CR_EVENT_UPLOAD_START = 303,        /* Payload.Status */
  CR_EVENT_FILE_INFO = 304,           /* Payload.FileList: the m3u8 */
  CR_EVENT_UPLOAD_STOP = 305,         /* Payload.Status */
  CR_EVENT_FAILOVER = 306,            /* a new worker took the task over */
  CR_EVENT_FILE_SLICE = 307,          /* the first segment of an m3u8 */
  CR_EVENT_UPLOAD_ERROR = 308,        /* Payload.Code, Message */
  CR_EVENT_DOWNLOAD_IMAGE_ERROR = 309, /* Payload.Url */
  CR_EVENT_MP4_STOP = 310,            /* Payload.Status, FileList */
  CR_EVENT_VOD_COMMIT = 311,
  CR_EVENT_VOD_STOP = 312,
} CrEventType;

#define CR_EVENT_FIRST CR_EVENT_RECORDER_START
#define CR_EVENT_LAST CR_EVENT_VOD_STOP

/* Payload.LeaveCode of a 302: why the recording robot left. */
typedef enum {
  CR_LEAVE_NONE = -1,            /* still recording */
  CR_LEAVE_STOPPED = 0,          /* DeleteCloudRecording (or the task ended normally) */
  CR_LEAVE_KICKED = 1,           /* a client removed the robot from the room */
  CR_LEAVE_DISMISSED = 2,        /* a client dismissed the room */
  CR_LEAVE_SERVER_KICKED = 3,    /* the server (an operator) removed the robot */
  CR_LEAVE_SERVER_DISMISSED = 4, /* the server dismissed the room */
  CR_LEAVE_IDLE = 99,            /* no anchor in the room for MaxIdleTime */
  CR_LEAVE_ROOM_TIMEOUT = 100,   /* the room was idle for room-idle-timeout and destroyed */
  CR_LEAVE_ROBOT_COLLISION = 101, /* the same UserId entered the same room again */
} CrLeaveCode;

/* The exit status of `cloudrec record` (the daemon's supervisor reads it). */
typedef enum {
  CR_WORKER_EXIT_DONE = 0,         /* the task ended, or the daemon stopped it to resume later */
  CR_WORKER_EXIT_FAILED = 1,       /* the recording broke while running: a failover may resume */
  CR_WORKER_EXIT_USAGE = 2,        /* bad arguments */
  CR_WORKER_EXIT_CANNOT_START = 3, /* nothing was recorded: the task ends with 301 Status 1 */
} CrWorkerExit;

G_END_DECLS
