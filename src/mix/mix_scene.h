/* A mixed picture as the mix's layers: the task spec's MixLayoutParams and MixTranscodeParams
 * turned into what mix_pipeline.h draws, for the streams present, in room-entry order.
 *
 * Why one module: the live mix (recorder/mixed_picture.c) and `cloudrec compose`
 * (tools/compose.c) must draw the same picture from the same parameters: the layout engine's
 * tiles, the background image under them, each tile's user picture or else its placeholder (a
 * sub-background image, else a dark tile with PlaceHolderMode 1 in custom mode), and the
 * watermarks over everything. Only where pictures come from (a cache that reports failures its
 * own way) and the input keys differ, so those are the caller's. */
#pragma once

#include "mix/mix_pipeline.h"
#include "task/spec.h"

G_BEGIN_DECLS

/* @url fitted to @width x @height with @render_mode, or NULL (none, or it could not be had). */
typedef const CrPicture *(*CrMixPictureFunc) (const char *url, int width, int height,
                                              int render_mode, gpointer user_data);

typedef struct {
  GArray *layers; /* CrMixLayer, back to front */
  GPtrArray *ids; /* owns the layers' ids */
  guint tiles;    /* the layout engine's tiles */
} CrMixScene;

/* The layout engine's tiles (CrTile) of @layout on a @width x @height canvas for @streams: what a
 * scene draws its pictures into (also the console's layout preview, CloudrecDescribeLayout). */
GArray *cr_mix_scene_tiles (const CrSpecLayout *layout, int width, int height,
                            const CrLayoutStream *streams, guint n);

/* The layers of @layout on a @width x @height canvas for @streams (room-entry order);
 * @video_keys[i] is the input key of stream i's video (used when it has video). */
CrMixScene *cr_mix_scene_new (const CrSpecLayout *layout, int width, int height,
                              const CrLayoutStream *streams, const char *const *video_keys, guint n,
                              CrMixPictureFunc picture, gpointer picture_data);
void cr_mix_scene_free (CrMixScene *scene);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrMixScene, cr_mix_scene_free)

/* Copies MixTranscodeParams into the mix's options (size, rate, bitrates, GOP, audio format). */
void cr_mix_options_set_transcode (CrMixOptions *o, const CrSpecTranscode *t);

G_END_DECLS
