/* The task spec: one immutable, typed record of what a recording task asks for.
 *
 * Why: the validator fills every default into the normalised request once; the worker and the
 * recorders then read this record, never the JSON, so no default is repeated and no member name
 * is spelled twice. A Modify makes a new spec (from the request with the Modify applied) and the
 * worker hands the old and the new one to its recorder, which applies the difference (compare
 * LiveKit egress, whose PipelineConfig is built once with its defaults and replaced as a whole).
 * Pure: json-glib only, no I/O. */
#pragma once

#include <json-glib/json-glib.h>

#include "files/naming.h"
#include "mix/layout.h"
#include "task/codes.h"
#include "task/record_once.h"
#include "task/subscription.h"

G_BEGIN_DECLS

typedef enum {
  CR_WATERMARK_IMAGE = 0,
  CR_WATERMARK_CHAR = 1,
  CR_WATERMARK_TIMESTAMP = 2,
} CrWatermarkType;

typedef struct {
  CrWatermarkType type;
  CrRect rect; /* image and text: Left, Top, Width, Height */
  char *url;   /* image */
  char *chars; /* text */
  int font_px;
  guint32 font_rgb;
  gboolean has_background;
  guint32 background_rgb;
  gboolean source_han_sans; /* Font "SourceHanSans" (else "Tencent") */
  int pos;                  /* timestamp: Pos 0..6 */
  int time_zone;            /* timestamp: hours east of UTC */
} CrSpecWatermark;

/* MixLayoutParams. */
typedef struct {
  CrLayoutMode mode;
  GArray *tiles; /* CrCustomTile, strings owned by the spec */
  guint32 background_rgb;
  char *max_resolution_user;
  gboolean max_resolution_aux;
  char *background_image_url;
  CrRenderMode background_image_render_mode;
  gboolean placeholders; /* PlaceHolderMode 1 */
  char *default_sub_background_image;
  GArray *watermarks; /* CrSpecWatermark */
  CrRenderMode render_mode;
  gboolean big_on_right;       /* MaxResolutionUserAlign 1 */
  gboolean pure_audio_disable; /* PureAudioDisableLayout */
} CrSpecLayout;

/* MixTranscodeParams. */
typedef struct {
  int width, height, fps, video_bitrate, gop_s;
  int sample_rate, channels, audio_bitrate;
} CrSpecTranscode;

/* StorageParams.CloudStorage (or the VOD target). */
typedef struct {
  gboolean vod; /* CloudVod instead of CloudStorage */
  int vendor;
  char *region, *bucket, *access_key, *secret_key;
  char **prefix;      /* FileNamePrefix, NULL-terminated (empty: none) */
  int vod_media_type; /* CloudVod.TencentVod.MediaType: 0 mp4, 1 hls, 2 aac, 3 hls+mp4, 4 hls+aac */
  char *vod_json; /* CloudVod.TencentVod as JSON text ("{}" when absent), kept for the library */
} CrSpecStorage;

/* A board publisher (class recording's whiteboard, recorder/board_publish.c): the page's
 * picture goes into a TRTC room over WHIP (the daemon's own /whip) instead of into files. */
typedef struct {
  char *server;  /* the daemon's base URL, http(s)://HOST:PORT */
  char *ca_file; /* https: the certificate the daemon's must chain to ("" : the system's) */
  char *room;
  gboolean string_room;
  char *user;    /* the publisher's UserId */
  char *usersig; /* its UserSig, minted by the daemon */
} CrSpecBoardPublish;

/* StartWebRecord: the page and how it is shown (task/spec_web.c). */
typedef struct {
  char *url;
  char *record_id;             /* "" when the request had none */
  gint64 max_duration_s;       /* MaxDurationLimit */
  int width, height;           /* WebRecordVideoParams, defaults applied (even) */
  gint64 ready_timeout_s;      /* ReadyTimeout: 0 records at once, else waits for the load event */
  gboolean mobile;             /* EmulateMobileParams given */
  gboolean tablet;             /* MobileDeviceType 1 */
  gboolean landscape;          /* ScreenOrientation 1 */
  CrSpecBoardPublish *publish; /* a board publisher's task ("BoardPublish"); NULL: files */
} CrSpecWeb;

typedef struct {
  guint64 sdk_app_id;
  char *room_id;        /* a web page's task: its TaskId (names: "<SdkAppId>_<TaskId>") */
  gboolean string_room; /* RoomIdType 0 */
  char *user_id;        /* the robot */
  CrRecordMode record_mode;
  gint64 max_idle_s;
  CrStreamType stream_type;
  CrSubscription *subscription;
  CrOutputFormat output_format;
  gboolean av_merge;
  gint64 max_file_ms; /* MaxMediaFileDuration */
  CrMediaSelect media;
  CrFillType fill_type;
  CrSpecStorage storage;
  CrSpecTranscode transcode; /* mixed only */
  CrSpecLayout layout;       /* mixed only */
  CrSpecOnce *once;          /* extension CloudrecRecordOnce (task/record_once.h), or NULL */
  CrSpecWeb *web;            /* a web page's recording (StartWebRecord); NULL for a room's */
  gboolean audio_mp3; /* internal CR_SPEC_AUDIO_MP3: OutputFormat 4's files as MP3, not AAC */
} CrTaskSpec;

/* An internal member (set after validation, never accepted from a caller): a class's
 * AudioFileNeeded wants each user's sound as MP3 (docs/class-record.md). */
#define CR_SPEC_AUDIO_MP3 "CloudrecAudioMp3"

/* The spec of a normalised CreateCloudRecording request (cr_validate_request's output, Modify
 * applied). NULL with an error naming the member when @request is not one. */
CrTaskSpec *cr_task_spec_new (JsonObject *request, GError **error);
/* The same from the JSON text the store keeps. */
CrTaskSpec *cr_task_spec_new_from_text (const char *json, GError **error);

/* What names task @task_id's files (files/naming.h): borrows @spec's strings. */
CrNamingTask cr_task_spec_naming (const CrTaskSpec *spec, const char *task_id);
void cr_task_spec_free (CrTaskSpec *spec);

/* task/spec_web.c: the spec of a normalised StartWebRecord request (with the "TaskId" member the
 * action adds); cr_task_spec_new() hands such a request (it has RecordUrl) over. */
CrTaskSpec *cr_task_spec_new_web (JsonObject *request, GError **error);
/* For spec_web.c: an empty spec, and StorageParams read into @out (FALSE with @error naming what
 * is missing or unreadable). */
CrTaskSpec *cr_task_spec_alloc (void);
gboolean cr_task_spec_read_storage (JsonObject *storage_params, CrSpecStorage *out, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTaskSpec, cr_task_spec_free)

/* Whether the task keeps its HLS (OutputFormat 0-2) or uses it only as the working record that
 * its MP4/AAC files are made from (3, 4). */
gboolean cr_task_spec_keeps_hls (const CrTaskSpec *spec);
/* Whether medium @video of @user_id's main or @aux stream is recorded: StreamType, MediaId and
 * the subscription lists; never the robot itself. */
gboolean cr_task_spec_wants (const CrTaskSpec *spec, const char *user_id, gboolean aux,
                             gboolean video);
/* Whether two specs lay out the same mixed picture. */
gboolean cr_task_spec_same_layout (const CrSpecLayout *a, const CrSpecLayout *b);
/* The first timestamp watermark, or NULL. */
const CrSpecWatermark *cr_task_spec_timestamp (const CrTaskSpec *spec);

G_END_DECLS
