/* Audio frames grouped for splitmuxsink: in an audio-only track, only the first AAC frame of
 * every CR_AUDIO_GOP_MS is marked as a unit the files may be cut at; the others become delta
 * units.
 *
 * Why: splitmuxsink cuts at keyframes and handles every keyframe of its reference stream as a GOP:
 * it books it on the input side and hands it to its output thread with a command and a wake-up.
 * Every AAC frame is a keyframe, so an audio-only track paid that ~47 times a second; its
 * splitmuxsink output thread cost ten times the video's (bench/README.md, "Single-stream
 * recording"). Grouped, it does so 5 times a second. The price is where a file may end: at a
 * group's first frame, so a 10 s segment of audio is 9.8-10 s long instead of 9.98-10 s; every
 * AAC frame still decodes on its own, so the files play the same. The TS segment sink that now
 * writes an audio-only track (ts_segment_sink.h) has no such per-GOP cost, but cuts at the same
 * group starts, so audio segments keep their 9.8-10 s. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define CR_AUDIO_GOP_MS 200

/* Whether a frame at @pts starts a new group after the group that started at *@group_start
 * (GST_CLOCK_TIME_NONE: none yet), which it then updates. Frames without a time join the group. */
gboolean cr_audio_gop_starts (GstClockTime *group_start, GstClockTime pts);

/* Marks the buffers leaving @pad (the end of an audio-only track's chain) by cr_audio_gop_starts:
 * a group's first frame as a keyframe, the rest as delta units. */
void cr_audio_gop_attach (GstPad *pad);

G_END_DECLS
