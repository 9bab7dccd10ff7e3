/* The mix pipeline's state shared by mix_pipeline.c (canvas, encoders, files) and mix_layers.c
 * (what is drawn and heard). Private to src/recorder/mix_*.c. */
#pragma once

#include <gst/video/video.h>

#include "mix/mix_pipeline.h"

G_BEGIN_DECLS

/* "cloudrec-mix", registered by cr_mix_new() (mix_pipeline.c), before any layer exists. */
GST_DEBUG_CATEGORY_EXTERN (cr_mix_debug);
#define GST_CAT_DEFAULT cr_mix_debug

/* The compositor's z-order: the background colour at 0, then the layers in the caller's order. */
#define MIX_Z_FIRST_LAYER 1

typedef struct _MixLayer MixLayer;

struct _CrMix {
  CrMixOptions o;
  GstElement *pipeline;
  GstElement *comp;  /* compositor, NULL without video */
  GstElement *amix;  /* audiomixer, NULL without audio */
  GstElement *clock; /* the timestamp watermark, NULL without video: clockoverlay (live),
                        textoverlay (offline: cr_mix_set_clock_text) */
  char *clock_text;  /* offline: the text shown */
  CrHlsWriter *hls;
  GHashTable *layers;    /* id -> MixLayer: inputs (video and audio) and still layers */
  gint64 last_packet_us; /* atomic */
  GstPad *ender;         /* live: the compositor's pad that lets it end (mix_pipeline.c) */
  /* Watermarks (mix_marks.c): drawn by the overlaycomposition element */
  GMutex marks_lock;
  GstVideoOverlayComposition *marks; /* NULL: none */
  GHashTable *mark_cache;            /* layer id -> GstVideoOverlayRectangle */
  guint bus_watch;
  CrMixFrameFunc on_frame; /* offline */
  gpointer on_frame_data;
};

void mix_layer_free (MixLayer *layer);
/* Sets the chroma siting and colorimetry of the canvas of @o, which every still layer of a live
 * canvas has too (mix_pipeline.c); returns @caps. */
GstCaps *mix_canvas_colours (GstCaps *caps, const CrMixOptions *o);
/* A probe on a compositor pad (QUERY_UPSTREAM): the latency's maximum at least a second over its
 * minimum, for a chain without a buffering element. */
GstPadProbeReturn mix_input_latency (GstPad *pad, GstPadProbeInfo *info, gpointer data);
void mix_layers_end_stills (CrMix *mix);

/* mix_marks.c */
void mix_marks_attach (CrMix *mix, GstElement *overlay);
void mix_marks_set (CrMix *mix, const CrMixLayer *layers, guint n); /* the layers with `over` */
void mix_marks_clear (CrMix *mix);

G_END_DECLS
