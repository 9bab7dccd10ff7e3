/* `cloudrec merge`'s executor: makes one planned output file with GStreamer.
 *
 * Why apart from the plan: the plan decides what goes where; this only moves samples. Each slice
 * is read by a small pipeline of its own (filesrc ! tsdemux ! parser [! decoder]) into an appsink,
 * its timestamps are moved to its place in the output (the first slice of a continuous run at its
 * FILE-ATTR time, the rest following their own PTS, as players and ffmpeg -copyts do), and pushed
 * to one output pipeline: H.264 and AAC straight into mp4mux where the plan remuxes, through
 * videorate/x264enc (gaps hold the last picture, or black with -b) or silence-filling/voaacenc
 * where it encodes. Video and audio are fed from two threads so that the muxer interleaves. */
#pragma once

#include "tools/merge_plan.h"

G_BEGIN_DECLS

/* Progress of the output being made: @done_s of @total_s seconds. Any thread. */
typedef void (*CrMergeProgressFunc) (double done_s, double total_s, gpointer user_data);

/* Writes @o to @path (segments read from @dir). A remuxed track whose picture size or audio
 * format changes inside is encoded instead. FALSE with @error (CR_MERGE_ERROR_MEDIA naming the
 * segment) when a segment cannot be read. */
gboolean cr_merge_run_output (const char *dir, const CrMergeOutput *o, const char *path,
                              CrMergeProgressFunc progress, gpointer user_data, GError **error);

G_END_DECLS
