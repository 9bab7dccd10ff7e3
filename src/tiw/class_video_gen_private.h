/* What the files of the video-generation tasks share (class_video_gen.c: the queue, its clock
 * and the daemon's start and end; class_video_gen_actions.c: Create, Describe and the callback
 * settings; class_video_gen_span.c: a span's inputs and its compose job;
 * class_video_gen_render.c: the board-render subprocess; class_video_gen_concat.c: Concat and
 * the end; class_video_gen_bucket.c: a class in a bucket, its files down and the MP4s up;
 * class_video_gen_result.c: progress, VideoInfoList, FINISHED and its callback). Not
 * for other modules: class_video_gen.h is the interface. */
#pragma once

#include <json-glib/json-glib.h>

#include "common/json_util.h"
#include "tiw/class_private.h"
#include "tiw/class_video_gen.h"

G_BEGIN_DECLS

/* A task's failure code, whatever step failed. */
#define CR_VIDEO_GEN_ERROR_GENERATION "FailedOperation.VideoGeneration"

typedef struct _CrClassVideoGen CrClassVideoGen;

struct _CrClassVideoGen {
  CrClassRecorder *rec;
  CrVideoGenStore *store;
  GHashTable *active;    /* TaskId -> JsonObject task, every task not FINISHED */
  GHashTable *renders;   /* TaskId -> board render of its current span (class_video_gen_render.c) */
  GHashTable *joins;     /* TaskId -> Concat join under way or done (class_video_gen_concat.c) */
  GHashTable *transfers; /* TaskId -> its bucket's download or upload (class_video_gen_bucket.c) */
  guint tick;
};

/* The head of a task's work in the background (its span's board render, its Concat join): what
 * lets the tasks go while it runs. */
typedef struct {
  CrClassVideoGen *gen; /* NULL once the tasks are gone: the work frees itself when it ends */
  gboolean done;
  GDestroyNotify free_work;
} CrVideoGenWork;

/* The task's Status: CR_VIDEO_GEN_QUEUED, _PROCESSING or _FINISHED. */
static inline const char *
cr_video_gen_status (JsonObject *t)
{
  return cr_json_get_string (t, "Status");
}

/* ---- a span's work (class_video_gen_span.c) ---- */

/* The task's own directory: <storage>/tiw-video/<SdkAppId>/<TaskId>. */
char *cr_video_gen_dir (CrClassVideoGen *gen, JsonObject *t);
/* Span @i's work directory below it: "span<i>". */
char *cr_video_gen_span_dir (CrClassVideoGen *gen, JsonObject *t, gint64 i);
/* The task's current span (its member "Span" of "Spans"), or NULL past the last. */
JsonObject *cr_video_gen_current_span (JsonObject *t);
/* The current span's inputs in its work directory, for board-render and compose. */
gboolean cr_video_gen_span_prepare (CrClassVideoGen *gen, JsonObject *t, JsonObject *r,
                                    GError **error);
/* Whether the generated video shows the board: RecordControl may leave its stream out. */
gboolean cr_video_gen_board_wanted (JsonObject *t);
/* The compose job mixing the current span's inputs into its MP4 (Phase "compose"). */
gboolean cr_video_gen_span_compose_start (CrClassVideoGen *gen, JsonObject *t, GError **error);

/* ---- the board render (class_video_gen_render.c) ---- */

typedef enum {
  CR_VIDEO_GEN_RENDER_NONE,    /* none started for the task */
  CR_VIDEO_GEN_RENDER_RUNNING, /* started, not ended */
  CR_VIDEO_GEN_RENDER_OK,      /* ended well (and forgotten) */
  CR_VIDEO_GEN_RENDER_FAILED,  /* ended badly (and forgotten) */
} CrVideoGenRender;

/* Starts board-render on the current span's prepared inputs. */
gboolean cr_video_gen_render_start (CrClassVideoGen *gen, JsonObject *t, GError **error);
/* Where the board render of task @task_id is; once it has ended it is forgotten, and when it
 * FAILED, @why (NULL before) says why. */
CrVideoGenRender cr_video_gen_render_collect (CrClassVideoGen *gen, const char *task_id,
                                              char **why);

/* ---- a class in a bucket (class_video_gen_bucket.c) ---- */

/* In a span's work directory, the copy of its TRTC tasks' files: "bucket/<TRTC TaskId>/". */
#define CR_VIDEO_GEN_FETCHED "bucket"

typedef enum {
  CR_VIDEO_GEN_BUCKET_LOCAL,   /* the class's files are in the local store: nothing to move */
  CR_VIDEO_GEN_BUCKET_RUNNING, /* the transfer runs (ask again at the next tick) */
  CR_VIDEO_GEN_BUCKET_DONE,    /* it ended well (and is forgotten) */
  CR_VIDEO_GEN_BUCKET_FAILED,  /* it ended badly (and is forgotten): @why says why */
} CrVideoGenBucket;

/* The current span's per-user playlists and their segments, from the bucket of class @r into the
 * span's CR_VIDEO_GEN_FETCHED (the work directory emptied first): started at the first call. */
CrVideoGenBucket cr_video_gen_bucket_fetch (CrClassVideoGen *gen, JsonObject *t, JsonObject *r,
                                            char **why);
/* The task's MP4s (the spans' and Concat's), up into the bucket of class @r, under
 * "<prefix>/<class TaskId>/<TaskId>/": started at the first call; once DONE the task's member
 * "Stored" is {<local path>: {Key, Url}}. */
CrVideoGenBucket cr_video_gen_bucket_store (CrClassVideoGen *gen, JsonObject *t, JsonObject *r,
                                            char **why);

/* ---- Concat and the end (class_video_gen_concat.c) ---- */

/* All spans composed: Concat's join where asked, the MP4s stored in the bucket of class @r where
 * it has one, then the result; TRUE once the task is FINISHED (its record changed), FALSE while
 * its join or upload starts or runs. */
gboolean cr_video_gen_check_end (CrClassVideoGen *gen, JsonObject *t, JsonObject *r);

/* ---- the result (class_video_gen_result.c) ---- */

/* Progress from the current span's @span_percent (never backwards, 99 at most before the end). */
void cr_video_gen_set_progress (JsonObject *t, int span_percent);
/* DescribeVideoGenerationTask's members (also the callback's EventData) into @out. */
void cr_video_gen_describe_into (JsonObject *t, JsonObject *out);
/* FINISHED: DONE when @code is NULL, else EXCEPTION with @code and @message; then the callback. */
void cr_video_gen_finish (CrClassVideoGen *gen, JsonObject *t, const char *code,
                          const char *message);
/* VideoInfoList from the spans' MP4s (or Concat's one), each where "Stored" says it went (the
 * class's bucket) or a file:// URL in the local store. */
void cr_video_gen_collect (CrClassVideoGen *gen, JsonObject *t);

G_END_DECLS
