/* The daemon-worker link: the one channel between `cloudrec serve` and its `cloudrec record`
 * workers, and every name both ends must agree on.
 *
 * Why one Unix socket: a worker used to reach the daemon three ways (argv, the SQLite file it
 * opened itself, and HTTP with a token on the daemon's public TCP port). Now it gets the socket's
 * path and speaks HTTP over it: the store stays the daemon's alone, and nothing on the TCP port
 * (another local user, a page rendered by a browser-based recorder) can reach /internal/... The
 * socket is <data-dir>/worker.sock, mode 0600 in a 0700 directory: only the daemon's own user
 * can connect, which is what the former X-Cloudrec-Token proved, so the token is gone.
 *
 * Who serves what (link_server.h registers them; a request that did not come in on the socket
 * gets 404):
 *   POST   /internal/callbacks                                  outbox/sender.c
 *   GET    /internal/rooms/{app}/{room|str-room}/{room}?after=&wait=
 *   PUT    /internal/rooms/{app}/{room|str-room}/{room}/members/{user}?task=
 *   DELETE /internal/rooms/{app}/{room|str-room}/{room}/members/{user}?task=
 *   POST   /internal/forwards, GET /internal/forwards
 *   DELETE /internal/forwards/{id}, POST /internal/forwards/{id}/keyframe  ingest/internal_api.c
 *   GET    /internal/tasks/{app}/{task}[?after=&wait=]           link/link_tasks.c
 *   PUT    /internal/tasks/{app}/{task}/status
 *   POST   /internal/tasks/{app}/{task}/finish
 *   POST   /internal/tasks/{app}/{task}/files
 *   POST   /internal/uploads                                    upload/upload_link.c
 *   POST   /internal/reads                                      upload/upload_read.c
 *   POST   /internal/vod/{app}/{task}                           link/link_vod.c
 * The worker's side is link_client.h (calls) and link_store.h (its task in the store). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The socket, in the daemon's data directory. */
#define CR_LINK_SOCKET_NAME "worker.sock"
/* The host part of the workers' URLs: any name does, the session connects to the socket. */
#define CR_LINK_URL_BASE "http://cloudrec"

/* Paths (prefixes; the handlers parse the segments that follow). */
#define CR_LINK_PATH_ROOT "/internal"
#define CR_LINK_SEG_CALLBACKS "callbacks"
#define CR_LINK_SEG_ROOMS "rooms"
#define CR_LINK_SEG_FORWARDS "forwards"
#define CR_LINK_SEG_TASKS "tasks"
#define CR_LINK_SEG_UPLOADS "uploads"
#define CR_LINK_SEG_READS "reads"
#define CR_LINK_SEG_VOD "vod"
#define CR_LINK_SEG_USAGE "usage"
#define CR_LINK_PATH_CALLBACKS CR_LINK_PATH_ROOT "/" CR_LINK_SEG_CALLBACKS
#define CR_LINK_PATH_ROOMS CR_LINK_PATH_ROOT "/" CR_LINK_SEG_ROOMS
#define CR_LINK_PATH_FORWARDS CR_LINK_PATH_ROOT "/" CR_LINK_SEG_FORWARDS
#define CR_LINK_PATH_TASKS CR_LINK_PATH_ROOT "/" CR_LINK_SEG_TASKS
#define CR_LINK_PATH_UPLOADS CR_LINK_PATH_ROOT "/" CR_LINK_SEG_UPLOADS
#define CR_LINK_PATH_READS CR_LINK_PATH_ROOT "/" CR_LINK_SEG_READS
#define CR_LINK_PATH_VOD CR_LINK_PATH_ROOT "/" CR_LINK_SEG_VOD
/* Usage (POST /internal/usage): {SdkAppId, TaskId, Failover, Rows: [{BucketMs, Mixed, Class,
 * Seconds}]}, the worker's running totals (usage/usage_link.h). */
#define CR_LINK_PATH_USAGE CR_LINK_PATH_ROOT "/" CR_LINK_SEG_USAGE
/* Segments under the paths above. */
#define CR_LINK_SEG_ROOM "room"
#define CR_LINK_SEG_STR_ROOM "str-room"
#define CR_LINK_SEG_MEMBERS "members"
#define CR_LINK_SEG_KEYFRAME "keyframe"
#define CR_LINK_SEG_STATUS "status"
#define CR_LINK_SEG_FINISH "finish"
#define CR_LINK_SEG_FILES "files"
/* Query parameters. */
#define CR_LINK_Q_AFTER "after"
#define CR_LINK_Q_WAIT "wait"
#define CR_LINK_Q_TASK "task"

/* JSON members. Callbacks: {SdkAppId, TaskId, EventType, Payload}. */
#define CR_LINK_SDK_APP_ID "SdkAppId"
#define CR_LINK_TASK_ID "TaskId"
#define CR_LINK_EVENT_TYPE "EventType"
#define CR_LINK_PAYLOAD "Payload"
/* {"EventType":N,"Payload":{..}}: the callback event queued with a status change or a finish */
#define CR_LINK_EVENT "Event"
/* Rooms: {Exists, LastSeq, Streams, Members, Events}; an event {Seq, Time, Type, UserId, Stream,
 * HasAudio, HasVideo, AudioActive, VideoActive, Reason, Origin}; a stream {UserId, Stream,
 * HasAudio, HasVideo, Since, AudioActive, VideoActive, RxBytes, AudioCaps, VideoCaps}. */
#define CR_LINK_EXISTS "Exists"
#define CR_LINK_LAST_SEQ "LastSeq"
#define CR_LINK_STREAMS "Streams"
#define CR_LINK_MEMBERS "Members"
#define CR_LINK_EVENTS "Events"
#define CR_LINK_SEQ "Seq"
#define CR_LINK_TIME "Time"
#define CR_LINK_TYPE "Type"
#define CR_LINK_USER_ID "UserId"
#define CR_LINK_STREAM "Stream"
#define CR_LINK_HAS_AUDIO "HasAudio"
#define CR_LINK_HAS_VIDEO "HasVideo"
#define CR_LINK_AUDIO_ACTIVE "AudioActive"
#define CR_LINK_VIDEO_ACTIVE "VideoActive"
#define CR_LINK_REASON "Reason"
#define CR_LINK_ORIGIN "Origin"
#define CR_LINK_SINCE "Since"
#define CR_LINK_RX_BYTES "RxBytes"
#define CR_LINK_AUDIO_CAPS "AudioCaps"
#define CR_LINK_VIDEO_CAPS "VideoCaps"
#define CR_LINK_UNORDERED "Unordered" /* true: the forwards come as packets arrived */
/* Forwards: {SdkAppId, StrRoom, RoomId, UserId, Stream, Media, RtpPort, RtcpPort, TaskId} ->
 * {ForwardId, Caps, Ssrc}; the list {Forwards: [{ForwardId, TaskId, UserId, Stream, Media,
 * RtpPort, RtcpPort, Packets}]}. */
#define CR_LINK_STR_ROOM "StrRoom"
#define CR_LINK_ROOM_ID "RoomId"
#define CR_LINK_MEDIA "Media"
#define CR_LINK_RTP_PORT "RtpPort"
#define CR_LINK_RTCP_PORT "RtcpPort"
#define CR_LINK_FORWARD_ID "ForwardId"
#define CR_LINK_FORWARDS "Forwards"
#define CR_LINK_CAPS "Caps"
#define CR_LINK_SSRC "Ssrc"
#define CR_LINK_PACKETS "Packets"
/* Tasks: GET answers {TaskId, SdkAppId, RoomId, RoomIdType, UserId, Status, LeaveCode, Params,
 * Revision, CreatedMs, UpdatedMs, ExpiresMs, EndedMs, Failovers, FinishedMs} (Status "Idle",
 * "InProgress" or "Exited"; Params the request's JSON text), with ?after=REVISION&wait=MS once the
 * task has another revision or has exited, or after MS (link_task_watch.h); PUT status takes
 * {Status, LeaveCode, Time}; finish {Time}; files {FileName, UserId, TrackType, BeginTimeStamp}.
 * Their errors are {Code, Message}, Code the store's TRTC error code (the worker gets the same
 * GError back). */
#define CR_LINK_ROOM_ID_TYPE "RoomIdType"
#define CR_LINK_STATUS "Status"
#define CR_LINK_LEAVE_CODE "LeaveCode"
#define CR_LINK_PARAMS "Params"
#define CR_LINK_REVISION "Revision"
#define CR_LINK_CREATED_MS "CreatedMs"
#define CR_LINK_UPDATED_MS "UpdatedMs"
#define CR_LINK_EXPIRES_MS "ExpiresMs"
#define CR_LINK_ENDED_MS "EndedMs"
#define CR_LINK_FAILOVERS "Failovers"
#define CR_LINK_FINISHED_MS "FinishedMs"
#define CR_LINK_FILE_NAME "FileName"
/* Uploads: {SdkAppId, TaskId, Key, Kind, Path (file), Content (playlist)}; a refused file gets
 * 507 with the code below. */
#define CR_LINK_KEY "Key"
#define CR_LINK_KIND "Kind"
#define CR_LINK_PATH "Path"
#define CR_LINK_CONTENT "Content"
#define CR_LINK_FORCE "Force" /* a file queued past spool-max-mb (the worker's last offer) */
#define CR_LINK_KIND_FILE "file"
#define CR_LINK_KIND_PLAYLIST "playlist"
#define CR_LINK_KIND_END "end"
#define CR_LINK_SPOOL_FULL "FailedOperation.SpoolFull"
/* Reads (POST /internal/reads): {SdkAppId, TaskId, TimeoutS, Objects: [{Key, Path}]}: the
 * daemon reads each object of the task's object store, in order, into its Path (a new file in
 * the spool) and answers 200 {} once all are written; the first that fails stops it: 502
 * {Code CR_LINK_STORAGE_READ, Message: the store's answer, Key: that object}. Why: the worker
 * gathers the segments its end reads (recorder/worker_gather.c) without the store's secret,
 * libcurl or libcrypto (bench/README.md, "Worker memory"). */
#define CR_LINK_TIMEOUT_S "TimeoutS"
#define CR_LINK_OBJECTS "Objects"
#define CR_LINK_STORAGE_READ "FailedOperation.StorageRead"
#define CR_LINK_TRACK_TYPE "TrackType"
#define CR_LINK_BEGIN_TIME_STAMP "BeginTimeStamp"
/* VOD commits (POST /internal/vod/{app}/{task}): {Path, Kind "mp4"|"hls"|"aac", Name, UserId,
 * TrackType, MediaId, TencentVod: the request's TencentVod object} -> {FileId, VideoUrl,
 * CacheFile, Size, ExpireAt}; see link_vod.h. */
#define CR_LINK_KIND "Kind"
#define CR_LINK_NAME "Name"
#define CR_LINK_MEDIA_ID "MediaId"
#define CR_LINK_TENCENT_VOD "TencentVod"
#define CR_LINK_FILE_ID "FileId"
#define CR_LINK_VIDEO_URL "VideoUrl"
#define CR_LINK_CACHE_FILE "CacheFile"
#define CR_LINK_SIZE "Size"
#define CR_LINK_EXPIRE_AT "ExpireAt"
#define CR_LINK_CODE "Code"
#define CR_LINK_MESSAGE "Message"

G_END_DECLS
