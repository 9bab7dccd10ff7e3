/* The worker's shared state and the functions its files give each other (worker.c: the task
 * loop; worker_daemon.c: the daemon's internal API, room membership and events; worker_tracks.c:
 * one recording per user's stream; worker_finish.c: what is written when the task ends). Private
 * to src/recorder/worker*.c. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "blob/blob_store.h"
#include "mix/mix_pipeline.h"
#include "task/subscription.h"
#include "media/track.h"
#include "recorder/worker.h"
#include "store/task_store.h"

G_BEGIN_DECLS

#define AV_WAIT_US (3 * G_USEC_PER_SEC) /* AvMerge: how long to wait for an announced medium */

typedef struct _Worker Worker;

typedef struct {
  Worker *w;
  char *key; /* "user/main|aux/audio|video", or "user/main|aux/av" with AvMerge */
  char *user_id;
  gboolean aux;
  gboolean media[2]; /* audio, video: what the track records */
  CrTrack *track;
  char *forward_ids[2];
} Rec;

/* A user's stream in the mix, in room-entry order. */
typedef struct {
  char *user_id;
  gboolean aux;
  gboolean has_video; /* its video is subscribed and pictures arrive (not a camera turned off) */
  gboolean had_video; /* pictures arrived once: when they stop and come back, ask a keyframe */
  gint64 since_ms;    /* when it was published: the room-entry order */
} MixStream;

struct _Worker {
  const CrWorkerOptions *o;
  GMainLoop *loop;
  SoupSession *http;
  char *token;
  CrTaskStore *store;
  CrTask *task;
  JsonObject *params;
  gint64 revision;
  CrSubscription *subscription;
  int stream_type;           /* 0 A+V, 1 audio, 2 video */
  int media_id;              /* 0 main+aux, 1 main, 2 aux */
  gboolean av_merge;         /* AvMerge: a user's audio and video in the same file */
  int fill_type;             /* FillType: 0 last picture, 1 black while the video stops */
  GHashTable *waiting_since; /* AvMerge key -> monotonic µs since part of it is there */
  gint64 max_idle_s;
  int output_format;  /* OutputFormat 0..4 */
  gint64 max_file_ms; /* MaxMediaFileDuration */
  CrBlobStore *blobs; /* where the files go */
  char *key_prefix;   /* "<Prefix>/<TaskId>": the objects' key prefix */
  char *dir;          /* local working directory of the task's files (blobs->work_dir) */
  char *hls_dir;      /* where the HLS goes: dir, or a spool under it when no HLS is wanted */
  const char **prefix;
  GHashTable *recs;      /* key -> Rec */
  GHashTable *playlists; /* key -> CrPlaylist, for as long as the task runs */
  int record_mode;       /* 1 single-stream, 2 mixed */
  /* Mixed recording (worker_mix.c) */
  CrMix *mix;
  CrPlaylist *mix_playlist;   /* in playlists as "mix" */
  GHashTable *mix_forwards;   /* input key ("user/main/video") -> forward id */
  GPtrArray *mix_order;       /* MixStream, room-entry order */
  char *mix_signature;        /* what the picture was last laid out for */
  int mix_width, mix_height;  /* the canvas */
  GHashTable *pictures;       /* "url|WxH|mode" -> fitted CrPicture */
  GHashTable *image_failures; /* URLs reported with 309 */
  gint64 last_media_us;
  gboolean joined;  /* the robot is a member of the room */
  guint64 room_seq; /* the last room event seen */
  CrTaskStatus status;
  int leave_code;     /* -1 while running */
  int failover;       /* the "ha<n>_" of this worker's files; 0 for the first worker */
  gboolean signalled; /* SIGTERM/SIGINT: Delete, or the daemon shutting down */
  GError *error;
};

void rec_free (Rec *r);

/* worker_daemon.c */
JsonObject *worker_call (Worker *w, const char *method, const char *path, const char *body,
                         guint *status);
void worker_emit (Worker *w, int event_type, JsonObject *payload);
char *worker_room_path (Worker *w, const char *suffix);
gboolean worker_join_room (Worker *w);
void worker_leave_room (Worker *w);
void worker_follow_events (Worker *w, JsonObject *state);

/* worker_tracks.c */
void worker_announce_segment (Worker *w, const CrSegment *segment, gboolean first,
                              const char *playlist_name, const char *user_id,
                              const char *track_type, gint64 start_ms);
char *worker_forward (Worker *w, const char *user_id, gboolean aux, gboolean video, guint16 port);
void worker_unforward (Worker *w, const char *forward_id);
void worker_ask_keyframe (Worker *w, const char *forward_id);
gboolean worker_keeps_hls (Worker *w);
gboolean worker_store_file (Worker *w, const char *name);
gboolean worker_wants (Worker *w, const char *user_id, gboolean aux, gboolean video);
void worker_start_rec (Worker *w, const char *user_id, gboolean aux, const char *audio_caps,
                       const char *video_caps, const char *key);
void worker_end_rec (Worker *w, Rec *r);
void worker_follow_merged (Worker *w, const char *user, gboolean aux, const char *caps[2],
                           const gboolean announced[2], GHashTable *present);

/* worker_mix_layout.c */
void worker_relayout (Worker *w);
int worker_timestamp_pos (Worker *w, gboolean set_zone);
guint32 worker_colour (const char *text, guint32 fallback);

/* worker_mix.c */
gboolean worker_follow_mix (Worker *w, JsonArray *streams);
void worker_end_mix (Worker *w);
void mix_stream_free (MixStream *s);

/* worker_pictures.c: @url fitted to @width x @height (owned by the worker), or NULL (309 sent) */
const CrPicture *worker_picture (Worker *w, const char *url, int width, int height,
                                 int render_mode);

/* worker_finish.c */
void worker_write_outputs (Worker *w);
void worker_write_avsync (Worker *w);

G_END_DECLS
