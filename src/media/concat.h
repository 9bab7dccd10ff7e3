/* One video from several pieces on one timeline (a class's Concat, docs/class-record.md): each
 * piece at its start, the time between pieces filled with a still image (or black) and silence.
 *
 * Why a decode and encode: the pieces come from different recordings (a span each), with their
 * own encoders' parameters and sometimes other picture sizes, and the fillers are pictures that
 * were never encoded; one x264/AAC pass over them all gives one well-formed MP4. The `concat`
 * element plays its inputs one after another in the order they were requested; every input is
 * brought to the same raw caps first (size, 15 fps, 48 kHz stereo). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *path;   /* an MP4 */
  gint64 start_ms;    /* on the output's timeline */
  gint64 duration_ms; /* its length (the MP4's movie header) */
  gboolean has_audio;
} CrConcatPiece;

#define CR_CONCAT_FPS 15

/* Writes @out_path (MP4, H.264 @width x @height at CR_CONCAT_FPS, AAC 48 kHz stereo when
 * @with_audio) from @n @pieces sorted by start: a gap before a piece is filled with @image_path
 * (any picture GStreamer decodes, scaled to fit) or black when NULL, and silence. Blocks; the
 * file appears only complete. */
gboolean cr_concat_write (const CrConcatPiece *pieces, guint n, int width, int height,
                          gboolean with_audio, const char *image_path, const char *out_path,
                          GError **error);

G_END_DECLS
