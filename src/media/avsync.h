/* The A/V sync report of a recorded stream pair: how far the sound is from the picture.
 *
 * Why markers: `cloudrec publish` flashes a white frame and starts a loud 1 kHz beep at the same
 * instant every whole second (src/tools/synthetic.h). Finding both in the recorded files and
 * comparing their times measures the whole chain (capture, encoding, WebRTC, forwarding, the
 * recorder's timestamps and file start times) the way a viewer would notice it. Times come from
 * the files alone: a decoded buffer's wall-clock time is its segment's start (the FILE-ATTR time)
 * plus its PTS since the segment's first buffer, which is exactly what a player or the merge tool
 * aligns on. A file without a FILE-ATTR time (an MP4, or TS segments measured back to back) is
 * measured on its own timeline (stream time), shared by its tracks. A recording without markers (a
 * real publisher) reports method "none". */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *path; /* a TS segment or an MP4 (anything decodebin reads) */
  gint64 start_ms;  /* wall-clock time of its first buffer; -1: its own timeline, from where the
                     * previous file ended */
} CrAvsyncFile;

typedef struct {
  guint flashes, beeps, pairs; /* marks found, and flashes with a beep within 500 ms */
  double offset_ms;            /* median of (beep - flash); > 0: the sound is late */
  double min_ms, max_ms;       /* spread of the pairs */
  double measured_s;           /* seconds of video examined */
  guint skipped;               /* files left out: they did not decode (each logged) */
} CrAvsyncReport;

/* Decodes @video and @audio (each in playback order; the same files for audio and video
 * together) and measures what decodes. FALSE with @error (the first file's cause) when all of
 * @video or all of @audio cannot be decoded. */
gboolean cr_avsync_measure (const CrAvsyncFile *video, guint n_video, const CrAvsyncFile *audio,
                            guint n_audio, CrAvsyncReport *out, GError **error);

/* {"Method":"markers"|"none","Flashes","Beeps","Pairs","OffsetMs","MinMs","MaxMs","MeasuredSeconds",
 *  "SkippedFiles"} */
char *cr_avsync_report_to_json (const CrAvsyncReport *r);

G_END_DECLS
