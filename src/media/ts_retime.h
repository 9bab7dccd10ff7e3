/* Moving the timestamps of an MPEG-TS file: every PES PTS and DTS and every PCR shifted by the
 * same amount, in place.
 *
 * Why: mpegtsmux writes the pipeline's running time plus a fixed 3600 s, so a recorded segment
 * starts at PTS 3600 + (when its pipeline started), while TRTC's files, and the merge tools made
 * for them (ffmpeg -copyts), take a segment's PTS as the time since its playlist's
 * #EXT-X-TRTC-START-REC-TIME. The muxer has no setting for that base, so the HLS writer moves the
 * timestamps of each closed fragment before it lists it. Pure functions on bytes (fuzzable,
 * testable without a pipeline); the file helper reads and writes the same bytes back. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_TS_PACKET 188
#define CR_TS_CLOCK 90000 /* PTS/DTS ticks per second */
#define CR_TS_WRAP (G_GINT64_CONSTANT (1) << 33)

/* The smallest PES PTS and the smallest PCR (in 90 kHz ticks, PCR base only) in @data; -1 for
 * none. Packets that do not start with the sync byte end the scan. */
void cr_ts_scan (const guint8 *data, gsize len, gint64 *min_pts, gint64 *min_pcr);

/* Adds @delta (90 kHz ticks, may be negative) to every PTS, DTS and PCR of @data, modulo 2^33.
 * Returns how many timestamps it moved. */
guint cr_ts_shift (guint8 *data, gsize len, gint64 delta);

/* The smallest PTS of the video PES (stream ids 0xe0-0xef) in @data; -1 for none. */
gint64 cr_ts_scan_video_pts (const guint8 *data, gsize len);

/* cr_ts_scan() and cr_ts_scan_video_pts() of the file @path (@min_video_pts may be NULL). FALSE
 * with @error when it cannot be read. */
gboolean cr_ts_scan_file (const char *path, gint64 *min_pts, gint64 *min_pcr,
                          gint64 *min_video_pts, GError **error);

/* cr_ts_shift() of the file @path, written back in place (not synced: the caller fsyncs). */
gboolean cr_ts_shift_file (const char *path, gint64 delta, GError **error);

G_END_DECLS
