/* The HLS side of a recording pipeline: names the TS fragments of a splitmuxsink (or of a TS
 * segment sink, ts_segment_sink.h, which speaks its language) by their wall-clock start, and lists each one in the playlist once it is closed and fsync'd.
 *
 * Why its own module: a single-stream track and the mixed picture write their files the same
 * crash-safe way (a segment enters the playlist only when it is complete on disk, the playlist is
 * replaced atomically, so a crash loses at most the open segment), and the same naming (reference
 * §10). The pipeline's owner forwards its bus messages here. */
#pragma once

#include <gst/gst.h>

#include "files/playlist.h"

G_BEGIN_DECLS

#define CR_HLS_EOS_TIMEOUT_S 5 /* splitmuxsink sometimes never posts EOS (media-notes) */

typedef struct _CrHlsWriter CrHlsWriter;

/* Called on the main context when a segment is complete and listed (first: TRUE for the first). */
typedef void (*CrHlsSegmentFunc) (const CrSegment *segment, gboolean first, gpointer user_data);

/* A pipeline of @pipeline's kind ends in a splitmuxsink named "sink" cutting MPEG-TS fragments
 * of @segment_s seconds at keyframes (asking upstream for one when @keyframe_requests); it is
 * added to @pipeline. NULL with @error when the element is missing. */
GstElement *cr_hls_sink_new (GstElement *pipeline, guint segment_s, gboolean keyframe_requests,
                             GError **error);

/* For a pipeline that writes one medium (H.264 or ADTS AAC): a TS segment sink named "sink" that
 * muxes on the streaming thread (ts_segment_sink.h), cutting files of about @segment_s seconds at
 * keyframes; added to @pipeline. Its pad is "sink". */
GstElement *cr_hls_one_medium_sink_new (GstElement *pipeline, guint segment_s);

/* Takes over @splitmuxsink's file naming (or a TS segment sink's). @type is the naming type (CR_TRACK_AUDIO/VIDEO, or -1:
 * no track type in the names); @media the CR_SEGMENT_* bits every segment holds. @playlist is
 * borrowed: a stream that comes back continues it after a discontinuity. */
CrHlsWriter *cr_hls_writer_new (GstElement *splitmuxsink, const char *dir, const char *stem,
                                int type, guint media, CrPlaylist *playlist,
                                CrHlsSegmentFunc on_segment, gpointer user_data);

/* Handles the splitmuxsink messages of the pipeline's bus; FALSE for any other message. */
gboolean cr_hls_writer_handle_message (CrHlsWriter *hw, GstMessage *msg);

/* For frames that are made, not captured (a board rendered from its log): the first fragment
 * starts at Unix ms @start_ms (> 0) where a capture's takes the wall clock; the others at that
 * plus the media time between, as always. Before the pipeline runs. */
void cr_hls_writer_set_start (CrHlsWriter *hw, gint64 start_ms);

/* The picture size for #EXT-X-TRTC-VIDEO-METADATA (any thread). */
void cr_hls_writer_set_video_size (CrHlsWriter *hw, int width, int height);

const char *cr_hls_writer_playlist_name (CrHlsWriter *hw);

/* Ends @pipeline: EOS, a bounded wait that handles the bus (@on_message gets every other message),
 * state NULL. Returns whether EOS came. */
gboolean cr_hls_writer_stop_pipeline (CrHlsWriter *hw, GstElement *pipeline, GstBusFunc on_message,
                                      gpointer data);

/* After the pipeline stopped: lists what is still open on disk, ends the playlist; frees. */
void cr_hls_writer_finish (CrHlsWriter *hw);

G_END_DECLS
