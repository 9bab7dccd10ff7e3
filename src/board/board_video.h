/* A board log made into video: frames at a constant rate on the board clock, each the board's
 * state at its time (board_state.h) drawn by board_render.h, encoded with x264 as the mix encodes
 * (veryfast, no B-frames) and written as a user's single-stream video recording (HLS with TRTC's
 * tags, by the recorder's HLS writer), so that `cloudrec compose`, `cloudrec merge` and anything
 * else that reads a task's single-stream playlists take the board as one more user's camera.
 *
 * Why HLS, not an MP4: compose reads a task's directory of single-stream playlists and places
 * each run at its FILE-ATTR start time; a board written the same way, its first segment's
 * FILE-ATTR = the first frame's board time (the board clock is the daemon's wall clock, the
 * recorder's clock), needs no change in compose at all: put the files in the task's directory.
 *
 * Fast: the picture is drawn only when the state changes (and then only the new elements when
 * the page only grew), converted to I420 once, and the same memory pushed again for the frames
 * that repeat it; x264 is most of the cost (bench/board.mjs). */
#pragma once

#include <glib.h>

#include "board/board_state.h"

G_BEGIN_DECLS

#define CR_BOARD_VIDEO_FPS 15
#define CR_BOARD_VIDEO_SEGMENT_S 10 /* as the single-stream recorder's */

typedef struct {
  int width, height; /* even, 16..4096 */
  int fps;           /* 1..60 */
  gint64 from_ms;    /* board time of the first frame (Unix ms, > 0) */
  gint64 to_ms;      /* the end (> from_ms): round((to - from) * fps / 1000) frames */
  const char *user_id;
  const char *dir;  /* created if missing */
  const char *stem; /* the single-stream stem (naming.h); its _video.m3u8 and .ts names */
  int bitrate_kbps; /* 0: from the size (as a web-page recording's) */
} CrBoardVideoOptions;

typedef struct {
  guint frames;      /* pushed */
  guint pictures;    /* drawn and converted (the others repeat one) */
  guint segments;    /* listed in the playlist */
  double duration_s; /* the playlist's total */
  char *playlist;    /* its file name, in dir */
} CrBoardVideoResult;

void cr_board_video_result_clear (CrBoardVideoResult *res);

/* The frame count of @o (at least 1). */
guint cr_board_video_frames (const CrBoardVideoOptions *o);

/* Renders @replay (sought from @o->from_ms on) into @o->dir. Ops that cannot apply go to
 * @warnings and are left out. FALSE with @error on a bad option or when the pipeline fails.
 * Needs gst_init(). */
gboolean cr_board_video_write (CrBoardReplay *replay, const CrBoardVideoOptions *o,
                               GPtrArray *warnings, CrBoardVideoResult *res, GError **error);

G_END_DECLS
