/* MP4 and AAC files from recorded HLS segments (OutputFormat 1-4; outputs.h plans them).
 *
 * Why remux afterwards instead of a second muxer while recording: the TS segments are already the
 * crash-safe record, and an MP4 is only valid once its index (moov) is written; building it from
 * the closed segments at the end costs ~0.1 s per minute of media (no re-encoding) and cannot lose
 * what the HLS already holds. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_REMUX_AUDIO 1u /* = CR_SEGMENT_AUDIO */
#define CR_REMUX_VIDEO 2u /* = CR_SEGMENT_VIDEO */

/* A run of TS segments cut from one continuous mux (no discontinuity inside): read as one byte
 * stream by one demuxer, so its timestamps, and its audio against its video, are kept as they
 * are. */
typedef struct {
  const char *const *files; /* in playback order, NULL-terminated, not empty */
  guint media;              /* CR_REMUX_AUDIO | CR_REMUX_VIDEO: the tracks taken from it */
  gint64 start_ms;          /* where its first sample goes in the output file */
} CrRemuxRun;

/* Writes @out_path (faststart MP4) from @n runs in playback order. Each track holds the runs
 * that have it, one after the other, each from @start_ms into the file (a gap before it in its
 * track is kept; if the previous run of its track is still playing then, it comes right after
 * it instead). Within a run the tracks keep the timestamps they were muxed with. Blocks until
 * done. */
gboolean cr_mp4_remux (const CrRemuxRun *runs, guint n, const char *out_path, GError **error);

/* Writes @out_path (raw AAC in ADTS frames, what a ".aac" file holds) from the audio of @n runs
 * (those with CR_REMUX_AUDIO), one after the other. */
gboolean cr_aac_extract (const CrRemuxRun *runs, guint n, const char *out_path, GError **error);

/* An appsrc (GstElement *) that plays @files back to back as one MPEG-TS byte stream, read in
 * chunks on its streaming thread (also used by cloudrec compose, tools/compose.c). */
gpointer cr_ts_feed_source (const char *const *files, GError **error);

G_END_DECLS
