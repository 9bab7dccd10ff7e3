/* The mixed recording's media: one picture and one sound made of the room's streams, encoded per
 * MixTranscodeParams and written as HLS.
 *
 * Why one GStreamer pipeline with layers: the compositor blends every layer on the canvas in one
 * pass (inputs decoded from the ingest's forwards, background image, placeholders, image and text
 * watermarks), the audiomixer sums every voice, and a live background source keeps the clock
 * running when no one publishes, so the output has no holes. Layers come and go while it runs:
 * re-laying the picture is setting pad properties, which the compositor applies at its next
 * frame; watermarks are drawn over the finished picture. The layout itself (which rectangle for
 * whom) is decided by the caller (mix/layout.h). */
#pragma once

#include <gst/gst.h>

#include "mix/layout.h"
#include "mix/picture.h"
#include "media/hls_writer.h"

G_BEGIN_DECLS

typedef struct _CrMix CrMix;

typedef struct {
  const char *dir;  /* where the HLS goes */
  const char *stem; /* naming.h: <SdkAppId>_<RoomId> (with "ha<n>_" after a failover) */
  CrPlaylist *playlist;
  gboolean audio, video; /* StreamType */
  int width, height, fps, video_bitrate, gop_s;
  int sample_rate, channels, audio_bitrate;
  guint32 background_rgb; /* 0xRRGGBB */
  int timestamp_pos;      /* WaterMarkTimestamp Pos 0..6, -1 for none */
  /* Offline (cloudrec compose): no live source, the pipeline runs as fast as it can from
   * cr_mix_run(), @duration_ns of output into the MP4 @mp4_path (dir, stem and playlist unused);
   * inputs are decoded sources (cr_mix_add_source), still layers are made by
   * cr_mix_prepare_layers() before the run and only shown or hidden by cr_mix_set_layers(). */
  gboolean offline;
  guint64 duration_ns;
  const char *mp4_path;
} CrMixOptions;

/* Offline: called on the compositor's thread before each output frame is drawn, with its
 * running time; may call cr_mix_set_layers() (which then only moves, shows and hides). */
typedef void (*CrMixFrameFunc) (guint64 pts_ns, gpointer user_data);

typedef enum {
  CR_MIX_LAYER_INPUT,   /* a decoded video input (id = its key) */
  CR_MIX_LAYER_PICTURE, /* a still picture, already fitted to the rectangle */
  CR_MIX_LAYER_TEXT,    /* a text box (always `over`) */
  CR_MIX_LAYER_COLOR,   /* a solid rectangle */
} CrMixLayerKind;

typedef struct {
  CrMixLayerKind kind;
  const char *id; /* inputs: the key; others: the identity of the content (kept while equal) */
  CrRect rect;
  int alpha;                /* 0 opaque .. 255 transparent */
  int render_mode;          /* inputs: CrRenderMode */
  gboolean over;            /* a watermark: over the whole picture, with its own transparency */
  const CrPicture *picture; /* straight-alpha RGBA, the rectangle's size */
  const char *text, *font;
  int font_px;
  guint32 argb;    /* text colour, or the rectangle's colour */
  guint32 bg_argb; /* text: the box's colour (alpha 0: transparent) */
} CrMixLayer;

CrMix *cr_mix_new (const CrMixOptions *opts, CrHlsSegmentFunc on_segment, gpointer user_data,
                   GError **error);

/* Starts receiving the RTP of a user's audio or video (decoded, mixed); returns its UDP port. A
 * video input is hidden until a layer shows it. @unordered: the packets come as they arrived at
 * the ingest (resends late), so the video is reordered too. */
guint16 cr_mix_add_input (CrMix *mix, const char *key, const char *rtp_caps, gboolean video,
                          gboolean unordered, GError **error);
void cr_mix_remove_input (CrMix *mix, const char *key);
gboolean cr_mix_has_input (CrMix *mix, const char *key);
/* Monotonic µs of the last RTP packet of input @key, 0 before the first (or no such input). */
gint64 cr_mix_input_last_packet_us (CrMix *mix, const char *key);

/* Offline: adds @source (a bin with one "src" pad of decoded raw video or audio, timed on the
 * output's running time) as input @key. Hidden until a layer shows it. A video source's pictures
 * reach the compositor cr_mix_picture_offset_ns() later than their time (so that each output
 * frame shows the nearest): they must end by cr_mix_pictures_end_ns(). */
gboolean cr_mix_add_source (CrMix *mix, const char *key, gboolean video, GstElement *source,
                            GError **error);
/* How much later than their time the video inputs' pictures are drawn: half an output frame. */
guint64 cr_mix_picture_offset_ns (const CrMix *mix);
/* Offline: when a video source's pictures end, so that the output's last frame is the one its
 * duration rounds to (a picture after it would make the compositor draw one more). */
guint64 cr_mix_pictures_end_ns (const CrMix *mix);
/* Offline: makes the still layers of @layers (hidden), so that cr_mix_set_layers() can show them
 * from the compositor's thread without adding pads there. */
void cr_mix_prepare_layers (CrMix *mix, const CrMixLayer *layers, guint n);
/* Offline: runs the pipeline to its end (@on_frame before each frame), writes the MP4. */
gboolean cr_mix_run (CrMix *mix, CrMixFrameFunc on_frame, gpointer user_data, GError **error);

/* The picture from now on: @layers back to front. Video inputs not listed are hidden; other
 * layers not listed are removed. */
void cr_mix_set_layers (CrMix *mix, const CrMixLayer *layers, guint n);

/* The timestamp watermark at Pos @pos (0..6), or none (-1). Live, it shows the wall clock (in the
 * process's TZ); offline, the text of cr_mix_set_clock_text(). */
void cr_mix_set_timestamp (CrMix *mix, int pos);
/* Offline: the timestamp watermark's text from the next frame on (from a CrMixFrameFunc: the
 * recording's time of that frame). */
void cr_mix_set_clock_text (CrMix *mix, const char *text);

/* Monotonic µs of the last RTP packet of any input, 0 before the first. */
gint64 cr_mix_last_packet_us (CrMix *mix);
const char *cr_mix_playlist_name (CrMix *mix);

/* Ends the recording: EOS (bounded wait), the last segment listed, #EXT-X-ENDLIST; frees. */
void cr_mix_finish (CrMix *mix);

G_END_DECLS
