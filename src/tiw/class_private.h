/* What the files of the class recorder share (class_record.c: the record, the clock, the
 * actions; class_spans.c: a span's TRTC tasks; class_result.c: VideoInfos and the result;
 * class_callbacks.c: the whiteboard service's events; class_retention.c: local results past
 * their days). Not for other modules: class_record.h is the interface. */
#pragma once

#include <json-glib/json-glib.h>

#include "api/api.h"
#include "config/apps.h"
#include "outbox/sender.h"
#include "tiw/class_record.h"
#include "tiw/class_state.h"
#include "tiw/class_store.h"

G_BEGIN_DECLS

#define CR_CLASS_LOCAL_DAYS 3 /* the seed: results kept 3 days without a bucket */

struct _CrClassRecorder {
  CrApi *api;
  CrCallbackSender *callbacks;
  CrClassStore *store;
  GHashTable *active;        /* TaskId -> JsonObject record, every class task not FINISHED */
  GHashTable *probes;        /* "<bucket>/<key>" -> CrMp4Info of a file in an object store */
  GPtrArray *probing;        /* files of an object store being read in a thread (class_result.c) */
  GHashTable *concats;       /* TaskId -> CrClassConcat, joining a finished class's videos */
  GPtrArray *replay_fetches; /* a bucket class's playlists coming down for its replay
                              * (class_video_replay_fetch.c) */
  struct _CrReplayCache *replay_cache; /* what came down of them (NULL until the first) */
  guint tick;
  guint ticks;
  char *self_url;    /* the daemon's own base URL, for the board publisher (NULL: no board) */
  char *self_ca;     /* https: the certificate the board publisher trusts ("": the system's) */
  char *replay_base; /* "<scheme>://<host:port>" of ReplayUrl (class_video.c) */
  struct _CrClassVideoGen *vgen; /* video-generation tasks (class_video_gen*.c); NULL: none */
};

/* the record (class_record.c) */
/* The class task @task_id of @sdk_app_id (a new ref), or NULL with InvalidParameter.TaskNotFound.
 */
JsonObject *cr_class_rec_find (CrClassRecorder *rec, guint64 sdk_app_id, const char *task_id,
                               GError **error);
CrClassState cr_class_rec_state (JsonObject *r);
JsonObject *cr_class_rec_request (JsonObject *r);
gboolean cr_class_rec_save (CrClassRecorder *rec, JsonObject *r, GError **error);
void cr_class_rec_save_or_warn (CrClassRecorder *rec, JsonObject *r);
void cr_class_rec_set_state (JsonObject *r, CrClassState s);
JsonObject *cr_class_rec_last_span (JsonObject *r);

/* callbacks (class_callbacks.c): event @type (392-394) named @name with @data (taken) */
void cr_class_rec_emit (CrClassRecorder *rec, JsonObject *r, int type, const char *name,
                        JsonObject *data);
JsonObject *cr_class_rec_event_data (JsonObject *r);

/* spans (class_spans.c) */
gboolean cr_class_rec_start_span (CrClassRecorder *rec, const CrApp *app, JsonObject *r,
                                  GError **error);
void cr_class_rec_end_span (CrClassRecorder *rec, JsonObject *r, gint64 now_ms);
void cr_class_rec_stop (CrClassRecorder *rec, JsonObject *r, const char *reason, gint64 now_ms);

/* the board (class_board.c): whether @r's spans publish the board, and the publisher's task */
gboolean cr_class_rec_board_on (CrClassRecorder *rec, JsonObject *r);
gboolean cr_class_rec_start_board (CrClassRecorder *rec, const CrApp *app, JsonObject *r,
                                   char **out_task, GError **error);

/* the result (class_result.c) */
gint64 cr_class_rec_total_ms (JsonObject *r, gint64 now_ms);
void cr_class_rec_describe (CrClassRecorder *rec, JsonObject *r, JsonObject *out);
gboolean cr_class_rec_collect (CrClassRecorder *rec, JsonObject *r, JsonArray **out_videos,
                               JsonArray **out_interrupts);
void cr_class_rec_finish (CrClassRecorder *rec, JsonObject *r, JsonArray *videos,
                          JsonArray *interrupts);
/* VideoInfos' order (GPtrArray of JsonNode): by VideoPlayTime, then UserId. */
gint cr_class_video_info_compare (gconstpointer a, gconstpointer b);
/* Probes under way forget @rec (it is being freed). */
void cr_class_rec_detach_probes (CrClassRecorder *rec);

/* Concat (class_concat.c): TRUE once @videos (replaced) are joined as the request's Concat
 * asks, or it asks nothing; FALSE while the join runs (asked again at the next tick). */
typedef struct _CrClassConcat CrClassConcat;
gboolean cr_class_rec_concat (CrClassRecorder *rec, JsonObject *r, JsonArray **videos);
void cr_class_concat_free (CrClassConcat *job);
/* Joins under way forget @rec (it is being freed); the finished ones are freed. */
void cr_class_concat_detach (CrClassRecorder *rec);

/* retention (class_retention.c) */
void cr_class_rec_sweep_local (CrClassRecorder *rec, gint64 now);

G_END_DECLS
