/* The synthetic source of `cloudrec publish`: a picture and a sound that a recording can be
 * checked against.
 *
 * Why these marks: the frame nearest each whole second of running time is pure white (a flash)
 * and a loud 1 kHz beep over a quiet 440 Hz tone starts at that frame's own time and lasts
 * 100 ms. A recorder or a test finds the flashes in the decoded video and the beeps in the
 * decoded audio and measures their offset: the A/V sync of the whole chain. The running time is
 * burnt into the picture for people. Marks are written by pad probes on the raw buffers, so they
 * are exact to the frame and the sample.
 *
 * Why the beep follows the flash frame rather than the whole second: a live video source's
 * frames are not on the second's grid (the first frame comes at whatever running time the source
 * started), so the flash frame is up to half a frame away from the second (±50 ms at 10 fps). A
 * beep at the whole second then put that much error of the publisher's own into every
 * measurement: record.test's AvMerge check read 75-95 ms when a loaded machine started the
 * camera more than 50 ms late, and -8..+16 ms otherwise, with the same recorder. */
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

/* What one publisher's picture and sound share: how far its flash frames are from the whole
 * seconds, which the beeps follow. */
typedef struct _CrSyntheticMarks CrSyntheticMarks;

/* @flashes: a flashing picture will place the beeps (the sound stays tone alone until its first
 * frame is seen); FALSE: beeps on the whole seconds. */
CrSyntheticMarks *cr_synthetic_marks_new (gboolean flashes);
CrSyntheticMarks *cr_synthetic_marks_ref (CrSyntheticMarks *marks);
void cr_synthetic_marks_unref (CrSyntheticMarks *marks);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrSyntheticMarks, cr_synthetic_marks_unref)

/* A live bin with one "src" pad: raw I420 video at the given size and rate, flashing (unless
 * plain); its frames tell @marks (may be NULL) where the flashes fall. */
GstElement *cr_synthetic_video_new (const CrSyntheticVideo *opts, CrSyntheticMarks *marks);
/* A live bin with one "src" pad: raw S16LE mono audio at CR_SYNTHETIC_RATE, beeping with the
 * flashes of @marks (NULL: on the whole seconds); with @plain_hz > 0 a plain sine of that
 * frequency instead (for checking a mix's voices). */
GstElement *cr_synthetic_audio_new (int plain_hz, CrSyntheticMarks *marks);

/* Whether frame @index (counted from 0 at running time 0) of a @fps stream is a flash. */
gboolean cr_synthetic_is_flash_frame (guint64 index, int fps);
/* The sample value at absolute sample @n (counted from 0 at running time 0), the beeps on the
 * whole seconds. */
gint16 cr_synthetic_sample (guint64 n);
/* How far the frame of running time @pts is from the nearest frame time of a @fps stream whose
 * frames sit on the whole seconds' grid (in [-half a frame, +half a frame)): the flash frame's
 * distance from its second. 0 for @fps <= 0. */
GstClockTimeDiff cr_synthetic_frame_phase (GstClockTime pts, int fps);
/* The sample at absolute sample @n of a sound whose beeps start @shift (|shift| < 1 s) after
 * the whole seconds; @beeps FALSE: the tone alone. */
gint16 cr_synthetic_sample_shifted (guint64 n, GstClockTimeDiff shift, gboolean beeps);

/* Parses "red", "white", ... or "#RRGGBB" into 0xFFRRGGBB. FALSE if unknown. */
gboolean cr_synthetic_parse_colour (const char *text, guint32 *argb);

G_END_DECLS
