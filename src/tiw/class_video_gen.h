/* Video-generation tasks (seed 003, "重新生成视频"; docs/class-record.md, "Video-generation
 * tasks"): CreateVideoGenerationTask turns a finished VIDEO_GENERATION_MODE class into mixed
 * MP4s, one per recording span (paused time left out, as in real-time mode).
 *
 * A task waits (QUEUED) until the class is FINISHED and nobody publishes in its TRTC room (the
 * seed: generation starts after everyone has left), then (PROCESSING) for each span: the board's
 * log over the span is rendered (`cloudrec board-render`, a subprocess) as the class's
 * RecordUserId, the span's per-user playlists (downloaded first for a class in a bucket) are
 * placed on the board clock (each run's SEI offset, as class_video.c's origin: their FILE-ATTR
 * shifted) beside it in a work directory, and a compose job
 * (tools/compose_jobs.h, as CloudrecCreateCompose runs them) mixes them with the MixStream layout
 * of the class (cr_class_fill_part, the board being the "tic_record_user" input). Then (the MP4s
 * uploaded into the class's bucket where it has one) FINISHED with VideoInfoList read from the
 * MP4s, and callback VideoGenerationFinished (event 395).
 *
 * Why subprocesses and a store: rendering and mixing are minutes of CPU that must not run on the
 * main loop; the tasks are rows of the store (migration 10), so a daemon restart resumes the
 * queued ones and restarts the span a processing one was at. */
#pragma once

#include <json-glib/json-glib.h>

#include "config/apps.h"
#include "tiw/class_record.h"

G_BEGIN_DECLS

#define CR_VIDEO_GEN_QUEUED "QUEUED"
#define CR_VIDEO_GEN_PROCESSING "PROCESSING"
#define CR_VIDEO_GEN_FINISHED "FINISHED"

/* The error codes of Create (docs/class-record.md). */
#define CR_VIDEO_GEN_ERROR_NOT_FOUND "InvalidParameter.TaskNotFound"
#define CR_VIDEO_GEN_ERROR_REALTIME "FailedOperation.NotVideoGenerationMode"
#define CR_VIDEO_GEN_ERROR_RECORDING "FailedOperation.InvalidTaskStatus"

/* ---- the store (class_video_gen_store.c) ---- */

typedef struct _CrVideoGenStore CrVideoGenStore;

CrVideoGenStore *cr_video_gen_store_open (const char *path, GError **error);
void cr_video_gen_store_close (CrVideoGenStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrVideoGenStore, cr_video_gen_store_close)
gboolean cr_video_gen_store_put (CrVideoGenStore *store, guint64 sdk_app_id, const char *task_id,
                                 const char *class_task_id, const char *status, gint64 created_ms,
                                 gint64 updated_ms, const char *record_json, GError **error);
/* The record of the task, or NULL (no error set when there is none). */
char *cr_video_gen_store_get (CrVideoGenStore *store, guint64 sdk_app_id, const char *task_id,
                              GError **error);
/* The records (char *) of every task not FINISHED, oldest first. */
GPtrArray *cr_video_gen_store_list_unfinished (CrVideoGenStore *store, GError **error);
/* The records (char *) of every task of class @class_task_id of @sdk_app_id, oldest first. */
GPtrArray *cr_video_gen_store_list_of_class (CrVideoGenStore *store, guint64 sdk_app_id,
                                             const char *class_task_id, GError **error);
/* The app's callback URL and key ("" when unset); set one with the other NULL to keep it. */
gboolean cr_video_gen_store_get_callback (CrVideoGenStore *store, guint64 sdk_app_id, char **url,
                                          char **key, GError **error);
gboolean cr_video_gen_store_set_callback (CrVideoGenStore *store, guint64 sdk_app_id,
                                          const char *url, const char *key, GError **error);

/* ---- the tasks (class_video_gen*.c; class_video_gen_private.h lists which does what) ---- */

/* Opens the tasks' tables and resumes the unfinished tasks (the daemon's start, from
 * cr_class_video_register); FALSE with @error when the store cannot be read. */
gboolean cr_class_video_gen_start (CrClassRecorder *rec, GError **error);
/* Stops the clock and forgets the subprocesses (they die with the daemon). */
void cr_class_video_gen_free (CrClassRecorder *rec);

/* The local files of every video-generation task of class @class_task_id of @sdk_app_id
 * (<storage>/tiw-video/<SdkAppId>/<TaskId>/) removed: the class's local results are past their
 * days (class_retention.c). Nothing without the tasks' queue. */
void cr_class_video_gen_remove_local (CrClassRecorder *rec, guint64 sdk_app_id,
                                      const char *class_task_id);

/* CreateVideoGenerationTask, @req normalised (schema_tiw.c): the new TaskId in @task_id. */
gboolean cr_class_video_gen_create (CrClassRecorder *rec, const CrApp *app, JsonObject *req,
                                    char **task_id, GError **error);
/* DescribeVideoGenerationTask's members into @reply. */
gboolean cr_class_video_gen_describe (CrClassRecorder *rec, const CrApp *app, const char *task_id,
                                      JsonObject *reply, GError **error);
gboolean cr_class_video_gen_set_callback (CrClassRecorder *rec, const CrApp *app, const char *url,
                                          const char *key, GError **error);
gboolean cr_class_video_gen_get_callback (CrClassRecorder *rec, const CrApp *app, char **url,
                                          char **key, GError **error);

/* Exposed for unit tests: the shift (gint64 ms) onto the board clock of each run of the
 * playlist @text (run k: the segments after its k-th #EXT-X-DISCONTINUITY; a user who left and
 * came back, a publisher whose clock may differ): the median of BoardMs - receive time
 * (START-REC-TIME + MediaMs) of the sidecar's @samples received during the run (since its first
 * FILE-ATTR), else of all of them (a run without samples), else 0 (no SEI: the receive clock). */
GArray *cr_class_video_gen_run_shifts (const char *text, JsonArray *samples);
/* Exposed for unit tests: the playlist @text of a stream with the FILE-ATTR of each run k moved
 * by @shifts[k] (the last one for further runs; NULL: none), START-REC-TIME by the first run's,
 * its segment URIs replaced by "<@prefix><name>"; each segment name found is added to @segments
 * (char *, the original URI). */
char *cr_class_video_gen_shift_playlist (const char *text, GArray *shifts, const char *prefix,
                                         GPtrArray *segments);
/* What video generation takes of a stream under RecordControl @rc (NULL or not Enabled: all):
 * @stream_id is its StreamId (the UserId; "tic_substream_<UserId>" for a screen share), matched
 * by prefix against StreamControls as TIW matches them. DisableRecord true (global, or the
 * stream's entries with DisableRecord false when it is) leaves it out, as real-time mode's
 * allow and block lists; DisableAudio leaves its sound out of the mix, a stream's own
 * DisableAudio winning over the global one. */
typedef enum {
  CR_CLASS_STREAM_LEFT_OUT,   /* neither picture nor sound */
  CR_CLASS_STREAM_VIDEO_ONLY, /* its picture, not its sound */
  CR_CLASS_STREAM_WHOLE,
} CrClassStreamUse;
CrClassStreamUse cr_class_video_gen_stream_use (JsonObject *rc, const char *stream_id);
/* The single-stream playlist @text marked video only (#EXT-X-TRTC-STREAM-TYPE:1, the tag the
 * compose reader takes a stream's media from), or NULL when it holds sound alone. */
char *cr_class_video_gen_video_only (const char *text);
/* The compose parameters {MixLayoutParams, MixTranscodeParams} of the effective request @req
 * with the board as @board_user: ModelId 1 -> the board big, 2 -> a grid tile, Custom's
 * "tic_record_user" tiles -> exactly @board_user. */
JsonObject *cr_class_video_gen_mix_params (JsonObject *req, const char *board_user);

G_END_DECLS
