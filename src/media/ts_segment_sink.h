/* A sink that writes one medium (H.264 or AAC) as MPEG-TS files of about max-size-time each, cut at
 * keyframes, muxing on the thread that brings the frames (ts_mux.h).
 *
 * Why: it replaces splitmuxsink + mpegtsmux for a track that records one medium (no A/V file),
 * which costs two hand-offs and two threads per buffer (bench/README.md, "Single-stream
 * recording"). It speaks splitmuxsink's language to the HLS writer (hls_writer.h), so that one
 * writer names, retimes and lists the files of both: the "format-location-full" signal names each
 * file, and the "splitmuxsink-fragment-opened" and "-closed" element messages carry "location" and
 * "running-time" (the running time of the file's first frame; of the next file's first frame, or
 * the end of the last frame at EOS). A file that is open when the element stops without EOS gets
 * no closed message (the HLS writer lists it from disk, as with splitmuxsink).
 *
 * Where a file is cut is splitmuxsink's rule without its one-GOP look-ahead: splitmuxsink ends a
 * file before the GOP that would take it over max-size-time; this sink, which sees a GOP's length
 * only once it has been written, ends it at a keyframe when a GOP as long as the one that just
 * ended would (a GOP of unknown length counts as CR_TS_SEGMENT_GOP_GUESS). For steady GOPs (the
 * publisher's, the 200 ms AAC groups of audio_gop.h, keyframes asked for by the keyframe watch a
 * second before 10 s) the cuts are the same; for GOPs of changing length a file may end one GOP
 * later or earlier than splitmuxsink's would have. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define CR_TS_SEGMENT_GOP_GUESS (1 * GST_SECOND)

/* Registers the element factory "crtssegmentsink" (once; for descriptions in tests). */
void cr_ts_segment_sink_register (void);

/* A new sink named @name (element factory "crtssegmentsink", registered on first use) cutting files
 * of about
 * @max_size_time. Its sink pad takes H.264 byte-stream access units or ADTS AAC. */
GstElement *cr_ts_segment_sink_new (GstClockTime max_size_time, const char *name);

/* Whether @running (a keyframe's running time) ends the file that began at @file_start when the
 * GOP that ends there was @last_gop long (GST_CLOCK_TIME_NONE: not known). */
gboolean cr_ts_segment_cuts (GstClockTime file_start, GstClockTime running, GstClockTime last_gop,
                             GstClockTime max_size_time);

G_END_DECLS
