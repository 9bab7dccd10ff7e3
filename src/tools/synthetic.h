/* The synthetic source of `cloudrec publish`: a picture and a sound that a recording can be
 * checked against.
 *
 * Why these marks: the first frame of every whole second is pure white (a flash) and the first
 * 100 ms of every whole second carry a loud 1 kHz beep over a quiet 440 Hz tone, both placed by
 * running time. A recorder or a test finds the flashes in the decoded video and the beeps in the
 * decoded audio and measures their offset: the A/V sync of the whole chain. The running time is
 * burnt into the picture for people. Marks are written by pad probes on the raw buffers, so they
 * are exact to the frame and the sample. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define CR_SYNTHETIC_RATE 48000   /* audio sample rate */
#define CR_SYNTHETIC_BEEP_MS 100  /* beep length at the start of each second */
#define CR_SYNTHETIC_BEEP_HZ 1000 /* beep frequency */
#define CR_SYNTHETIC_TONE_HZ 440  /* background tone */

typedef struct {
  int width, height, fps;
  gboolean solid; /* a solid colour instead of the test pattern */
  guint32 argb;   /* the colour, 0xAARRGGBB */
  gboolean plain; /* no flashes and no time burnt in: a picture whose pixels can be checked */
  /* Every frame white from the moment wall-clock ms + clock_offset_ms reaches white_at_ms
   * (0: never), placed by the frame's capture time. */
  gint64 white_at_ms, clock_offset_ms;
} CrSyntheticVideo;

/* A live bin with one "src" pad: raw I420 video at the given size and rate, flashing. */
GstElement *cr_synthetic_video_new (const CrSyntheticVideo *opts);
/* A live bin with one "src" pad: raw S16LE mono audio at CR_SYNTHETIC_RATE, beeping; with
 * @plain_hz > 0 a plain sine of that frequency instead (for checking a mix's voices). */
GstElement *cr_synthetic_audio_new (int plain_hz);

/* Whether frame @index (counted from 0 at running time 0) of a @fps stream is a flash. */
gboolean cr_synthetic_is_flash_frame (guint64 index, int fps);
/* The sample value at absolute sample @n (counted from 0 at running time 0). */
gint16 cr_synthetic_sample (guint64 n);

/* Parses "red", "white", ... or "#RRGGBB" into 0xFFRRGGBB. FALSE if unknown. */
gboolean cr_synthetic_parse_colour (const char *text, guint32 *argb);

G_END_DECLS
