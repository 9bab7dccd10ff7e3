/* Recording file names and object keys, exactly as TRTC writes them (reference §10).
 *
 * Why a pure module: the merge tool of the seeds, customers' scripts and the 304/307/310
 * callbacks all parse these names, so they are part of the API. Every rule (base64 variant for
 * user ids and string rooms, UTC+0 millisecond stamps, the "_<Index>" only on split MP4s, the
 * "ha<n>_" prefix after a failover) lives here and is tested against the reference's examples. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint64 sdk_app_id;
  const char *room_id;
  gboolean string_room; /* RoomIdType 0: the room id is base64'd in names */
  const char *task_id;
  const char *const *prefix; /* FileNamePrefix entries, NULL-terminated, or NULL */
  int failover;              /* 0, or n (1..3) after the n-th failover: "ha<n>_" */
} CrNamingTask;

typedef enum { CR_TRACK_AUDIO, CR_TRACK_VIDEO } CrTrackType;

/* "<Prefix>/<TaskId>/" (the directory of every object of the task). */
char *cr_naming_dir (const CrNamingTask *task);

/* The stem of a single-stream file, without the directory:
 * "[ha<n>_]<SdkAppId>_<RoomId>__UserId_s_<b64 UserId>__UserId_e_<main|aux>" */
char *cr_naming_single_stem (const CrNamingTask *task, const char *user_id, gboolean aux);
/* The stem of a mixed file: "[ha<n>_]<SdkAppId>_<RoomId>" */
char *cr_naming_mixed_stem (const CrNamingTask *task);

/* File names from a stem (no directory). @type: the track for single-stream HLS; mixed HLS and
 * every MP4 have none (pass -1). */
char *cr_naming_m3u8 (const char *stem, int type);
char *cr_naming_ts (const char *stem, int type, gint64 start_ms);
/* @index 0: the only part ("<stem>.mp4"); n >= 1: "<stem>_<n>.mp4" for a split file. */
char *cr_naming_mp4 (const char *stem, int index);
char *cr_naming_aac (const char *stem, int index);

/* "YYYYMMDDhhmmssSSS" of Unix milliseconds, in UTC+0. */
char *cr_naming_utc_stamp (gint64 unix_ms);

G_END_DECLS
