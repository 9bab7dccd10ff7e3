/* The mixed recorder's state, shared by mixed.c (the inputs), mixed_picture.c (the layout as
 * the mix's layers) and mixed_images.c (pictures fetched once). Private to src/recorder/. */
#pragma once

#include "mix/image_cache.h"
#include "mix/mix_pipeline.h"
#include "mix/picture.h"
#include "recorder/recorder.h"

G_BEGIN_DECLS

/* A user's stream in the mix, in room-entry order. */
typedef struct {
  char *user_id;
  gboolean aux;
  gboolean has_video; /* its video is subscribed and pictures arrive (not a camera turned off) */
  gboolean had_video; /* pictures arrived once: when they stop and come back, ask a keyframe */
  gint64 since_ms;    /* when it was published: the room-entry order */
} MixStream;

typedef struct {
  CrRecorder base;
  CrMix *mix;
  CrPlaylist *playlist;       /* in the worker's playlists as "mix" */
  int width, height;          /* the canvas, as the mix started (Modify does not change it) */
  GHashTable *forwards;       /* input key ("user/main/video") -> forward id */
  GPtrArray *order;           /* MixStream, room-entry order */
  char *signature;            /* what the picture was last laid out for */
  guint layout_generation;    /* bumped by each Modify that changes the layout */
  CrImageCache *images;       /* pictures by URL (made by the first one), failures sent as 309 */
  gint64 followed_us;         /* monotonic µs of the last follow (the camera watch's clock) */
} Mixed;

/* mixed_picture.c: lays the picture out again for the streams and the spec as they are now. */
void mixed_relayout (Mixed *m);
/* The timestamp watermark's position, or -1. Its time zone goes to the process (TZ) when the
 * mix starts (@set_zone), not later: other threads read it. */
int mixed_timestamp_pos (Mixed *m, gboolean set_zone);

/* mixed_images.c: @url fitted to @width x @height (owned by the recorder), or NULL (309 sent). */
const CrPicture *mixed_picture (Mixed *m, const char *url, int width, int height,
                                int render_mode);

G_END_DECLS
