/* `cloudrec merge`'s plan: a directory's single-stream playlists -> each user's timeline -> the
 * output files, each with the slices it is made of, where they go in the output, the gaps to fill
 * and whether its video and audio can be remuxed or must be encoded.
 *
 * Why a pure module: every rule of the seeds' merge script (a gap over 15 s starts a new file, -m 1
 * fills or with -s drops the gaps, -a picks main/aux video, the "<UserId>_<17-digit first slice>"
 * names) and every check a user can act on (a broken playlist, a missing or truncated segment,
 * tracks that do not match their names) is decided here from the file names, their sizes and the
 * playlists' text, so it is unit-tested without media; merge_run.c only carries the plan out. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_MERGE_GAP_MS 15000 /* a longer gap with no audio or video starts a new segment */
#define CR_MERGE_VIDEO_HOLE_MS                                                                     \
  500 /* a video hole (or missing start/end) longer than this is filled */
#define CR_MERGE_AUDIO_HOLE_MS 200 /* the same for audio (silence) */

typedef struct {
  int mode;           /* -m: 0 one file per segment, 1 one file per user */
  gboolean drop_gaps; /* -s: with -m 1, the gaps between segments are left out */
  int av;             /* -a: 0 main video, 1 main or else aux, 2 aux video */
  int fps;            /* -p, already clamped to 5..120 */
  gboolean fps_given; /* -p was given: the video is encoded at that rate */
  int width, height;  /* -r, or 0: the recorded size */
  gboolean black;     /* -b: black where there is no video, not the last picture */
} CrMergeOptions;

typedef struct {
  char *file;        /* the segment's name in the directory */
  gint64 start_ms;   /* Unix ms of its start (FILE-ATTR) */
  gint64 end_ms;     /* start + EXTINF */
  gint64 out_ms;     /* where its start goes in the output */
  gboolean anchor;   /* the first of a continuous run: its first PTS is put at out_ms; the others
                      * of the run follow their own PTS */
  gboolean aux;      /* from the aux stream */
  int width, height; /* the playlist's VIDEO-METADATA (0: unknown) */
} CrMergePiece;

typedef struct {
  char *name;            /* "<UserId>_<timestamp>_av.mp4" or "<UserId>_<timestamp>.m4a" */
  char *user;            /* the UserId as file names write it (base64 variant) */
  char *user_id;         /* the UserId itself (#EXT-X-TRTC-USER-ID, or decoded) */
  gint64 start_ms;       /* wall clock of the output's start */
  gint64 duration_ms;    /* the output's length */
  GPtrArray *video;      /* CrMergePiece, in output order; empty for audio-only */
  GPtrArray *audio;      /* CrMergePiece, in output order */
  gboolean video_encode; /* FALSE: its H.264 is remuxed as it is */
  gboolean audio_encode; /* FALSE: its AAC is remuxed as it is */
  const char *video_why; /* why the video is encoded ("gap", "size", "-r", "-p", "overlap") */
  const char *audio_why;
  int width, height, fps; /* of the encoded video */
  gboolean fixed_rate;    /* -p: encoded at exactly fps; else pictures keep their times, holes
                           * are filled at fps */
  gboolean black;
} CrMergeOutput;

typedef struct {
  GPtrArray *outputs; /* CrMergeOutput, by user then time */
  guint playlists;    /* single-stream playlists read */
} CrMergePlan;

/* Error domain: a message naming the file is for the user. */
#define CR_MERGE_ERROR (cr_merge_error_quark ())
GQuark cr_merge_error_quark (void);
typedef enum {
  CR_MERGE_ERROR_EMPTY,    /* no single-stream recording in the directory */
  CR_MERGE_ERROR_PLAYLIST, /* a playlist that cannot be read */
  CR_MERGE_ERROR_SEGMENT,  /* a segment missing or shorter than its FILE-ATTR size */
  CR_MERGE_ERROR_TRACKS,   /* a playlist's tags do not match its name, or tracks disagree */
  CR_MERGE_ERROR_MEDIA,    /* (merge_run) a segment that cannot be decoded */
} CrMergeError;

/* @sizes: every file of the directory, name -> size in bytes (GINT64_TO_POINTER is not used: the
 * values are gint64*); @playlists: name -> text for its *.m3u8 files. */
CrMergePlan *cr_merge_plan_build (GHashTable *sizes, GHashTable *playlists, const CrMergeOptions *o,
                                  GError **error);
void cr_merge_plan_free (CrMergePlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrMergePlan, cr_merge_plan_free)

/* The plan as text, one line per output (for --dry-run and the tests). */
char *cr_merge_plan_describe (const CrMergePlan *plan);

G_END_DECLS
