/* `cloudrec merge`'s executor: makes one planned output file with GStreamer.
 *
 * Why apart from the plan: the plan decides what goes where; this only moves samples. A copied
 * (remuxed) track is read a run at a time: the run's TS files back to back as one byte stream
 * into one tsdemux and parser, pushed on the demuxer's thread through concat into mp4mux, each
 * buffer retimed in place (the run's first at its FILE-ATTR place, the rest following their own
 * PTS, as players and ffmpeg -copyts do) -- no thread hand-off or copy per buffer. An encoded
 * track is read a slice at a time (its own decoding pipeline into an appsink), placed sample-
 * accurately and fed from a thread of its own through videorate/x264enc (gaps hold the last
 * picture, or black with -b) or silence-filling/voaacenc. */
#pragma once

#include "tools/merge_plan.h"

G_BEGIN_DECLS

/* Progress of the output being made: @done_s of @total_s seconds. Any thread. */
typedef void (*CrMergeProgressFunc) (double done_s, double total_s, gpointer user_data);

/* Writes @o to @path (segments read from @dir). A remuxed track whose caps change inside (picture
 * size, SPS/PPS, AAC config) is encoded instead; a lone slice under 100 ms whose program the
 * demuxer cannot find is left out. FALSE with @error (CR_MERGE_ERROR_MEDIA naming the
 * segment) when a segment cannot be read. */
gboolean cr_merge_run_output (const char *dir, const CrMergeOutput *o, const char *path,
                              CrMergeProgressFunc progress, gpointer user_data, GError **error);

G_END_DECLS
