/* The files a single-stream task writes besides, or instead of, its HLS: MP4 (OutputFormat 1
 * hls+mp4, 3 mp4) and AAC (2 hls+aac, 4 aac), split by MaxMediaFileDuration and by size.
 *
 * Why from the HLS segments: the TS segments are the crash-safe record of the recording (see
 * track.h); an MP4 is only valid once its index is written, so the files are remuxed from the
 * closed segments (no re-encoding) when the task ends. Splitting is planned on segment
 * boundaries: a part ends before the first segment that would make it longer than the limit or
 * bigger than the size cap (TS bytes, which overestimate the MP4), so every part starts on a
 * keyframe. The planner is pure and unit-tested; writing is one call. */
#pragma once

#include <glib.h>

#include "files/naming.h"
#include "files/playlist.h"

G_BEGIN_DECLS

#define CR_OUTPUT_MAX_BYTES (G_GUINT64_CONSTANT (2) << 30) /* files are split at 2 GB */

/* A part: the segments [from, to) of the primary track (video when there is one, else audio) and
 * of the other track, and the wall-clock span it covers. */
typedef struct {
  guint primary_from, primary_to;
  guint other_from, other_to;
  gint64 start_ms, end_ms;
} CrOutputPart;

/* Cuts @primary (not empty) and @other (may be NULL) into parts of at most @max_ms of media and
 * @max_bytes of segments (a single bigger segment stays a part of its own). Segments of @other go
 * with the part in which their midpoint lies; a part that would get none of them while one starts
 * inside it takes more primary segments, past the limits, until it has one (never an MP4 without
 * its sound). Array of CrOutputPart. */
GArray *cr_output_plan (const CrPlaylist *primary, const CrPlaylist *other, gint64 max_ms,
                        guint64 max_bytes);

/* A file written, for the StorageFileList and the 310 callback. */
typedef struct {
  char *name; /* relative to the task directory */
  char *user_id;
  char *media_id;   /* "main" | "aux" */
  char *track_type; /* "audio" | "video" | "audio_video" */
  gint64 start_ms, end_ms;
} CrOutputFile;

void cr_output_file_free (CrOutputFile *f);

typedef struct {
  const char *segment_dir; /* where the playlists' segments are */
  const char *out_dir;     /* where the files go */
  const CrNamingTask *naming;
  int output_format;     /* OutputFormat 1..4; 0 writes nothing */
  gint64 max_ms;         /* MaxMediaFileDuration in ms */
  guint64 max_bytes;     /* CR_OUTPUT_MAX_BYTES unless configured lower */
  GHashTable *playlists; /* "user/main|aux/audio|video" -> CrPlaylist */
} CrOutputOptions;

/* Writes every file the format asks for: per user and stream, "<stem>[_<n>].mp4" with audio and
 * video (1, 3) or "<stem>[_<n>].aac" (ADTS) with the audio (2, 4). Appends a CrOutputFile per
 * file written to @written. FALSE if any file failed (the others are still written). */
gboolean cr_outputs_write (const CrOutputOptions *o, GPtrArray *written, GError **error);

G_END_DECLS
