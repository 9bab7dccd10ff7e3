/* The mixed picture's layout: which user goes where, as pixel rectangles on the canvas.
 *
 * Why pure: the geometry is what customers compare against TRTC, and the seeds give it as numbers
 * (grid tile sizes by count, floating tiles of 0.235/0.012 or 0.188/0.01 of the canvas, the
 * screen-share column tables), so it is computed here without GStreamer and unit-tested for every
 * count in every mode; the compositor only applies the rectangles. Users come in room-entry order.
 * Where the seeds say nothing (how a partial grid row sits, which screen-share column fills
 * first), the choice is written next to the code. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_LAYOUT_MAX_TILES 25

typedef enum {
  CR_LAYOUT_FLOATING = 1,
  CR_LAYOUT_SCREEN_SHARE = 2,
  CR_LAYOUT_GRID = 3,
  CR_LAYOUT_CUSTOM = 4,
} CrLayoutMode;

typedef enum {
  CR_RENDER_STRETCH = 0,
  CR_RENDER_CROP = 1, /* TRTC's default */
  CR_RENDER_LETTERBOX = 2,
  CR_RENDER_SMART = 3, /* crop, but at most 20% of the width or height */
} CrRenderMode;

/* One stream that may be shown: a user's main or aux video, in room-entry order. */
typedef struct {
  const char *user_id;
  gboolean aux;
  gboolean has_video; /* FALSE: the user only sends audio */
} CrLayoutStream;

/* A MixLayoutList entry (custom mode), in pixels. */
typedef struct {
  int top, left, width, height;
  const char *user_id; /* NULL: the next unplaced stream in entry order */
  gboolean aux;
  int alpha;       /* 0 opaque .. 255 transparent */
  int render_mode; /* CrRenderMode */
  int image_layer; /* z-order, smaller is further back */
  const char *sub_background_image;
} CrCustomTile;

typedef struct {
  int width, height; /* the canvas */
  CrLayoutMode mode;
  const char *max_resolution_user; /* floating / screen-share: the big picture (NULL: default) */
  gboolean max_resolution_aux;
  gboolean big_on_right;       /* MaxResolutionUserAlign 1 (screen-share) */
  gboolean pure_audio_disable; /* PureAudioDisableLayout: audio-only users get no tile */
  int render_mode;             /* template layouts */
  const CrCustomTile *custom;  /* mode 4 */
  guint n_custom;
} CrLayoutOptions;

typedef struct {
  int x, y, width, height;
} CrRect;

typedef struct {
  int stream; /* index into the streams, or -1 for an empty slot (screen-share big picture) */
  CrRect rect;
  int z;                            /* drawing order: higher is on top */
  int alpha;                        /* 0 opaque .. 255 transparent */
  int render_mode;                  /* CrRenderMode */
  const char *sub_background_image; /* custom tiles: shown when the stream has no picture */
} CrTile;

/* The tiles for @streams under @opts (array of CrTile, drawing order = array order, back to
 * front). Streams beyond what the mode holds (25, screen-share 24) get no tile. */
GArray *cr_layout_compute (const CrLayoutOptions *opts, const CrLayoutStream *streams, guint n);

/* How much of a @in_w x @in_h picture to cut off (left, right, top, bottom) before scaling it into
 * a @tile_w x @tile_h tile under @render_mode: crop cuts the overflow of the longer side
 * (centred), smart cuts at most 20% of it, stretch and letterbox cut nothing. Whether what is left
 * is stretched or letterboxed is cr_layout_keeps_aspect(). */
void cr_layout_crop (int in_w, int in_h, int tile_w, int tile_h, int render_mode, int crop[4]);
/* Whether the (cropped) picture keeps its aspect ratio in the tile, with bars (letterbox, smart).
 */
gboolean cr_layout_keeps_aspect (int render_mode);

G_END_DECLS
