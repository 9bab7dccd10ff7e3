/* MP4 and AAC files from recorded HLS segments (OutputFormat 1-4; outputs.h plans them).
 *
 * Why remux afterwards instead of a second muxer while recording: the TS segments are already the
 * crash-safe record, and an MP4 is only valid once its index (moov) is written; building it from
 * the closed segments at the end costs ~0.1 s per minute of media (no re-encoding) and cannot lose
 * what the HLS already holds. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Writes @out_path (faststart MP4) from the TS segments of one user's video and/or audio, each list
 * in playback order and NULL-terminated (either may be NULL or empty, not both). Runs are glued
 * back to back. The audio starts @audio_delay_ms after the video (negative: before), so that
 * tracks whose first segments began at different times stay in sync. Blocks until done. */
gboolean cr_mp4_remux (const char *const *video_ts, const char *const *audio_ts,
                       gint64 audio_delay_ms, const char *out_path, GError **error);

/* Writes @out_path (raw AAC in ADTS frames, what a ".aac" file holds) from audio TS segments. */
gboolean cr_aac_extract (const char *const *audio_ts, const char *out_path, GError **error);

G_END_DECLS
