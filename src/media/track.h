/* One recorded track: the RTP of one user's audio or video (or both, with AvMerge), received
 * from ingest forwards and written as HLS (TS segments + a playlist with TRTC's tags).
 *
 * Why one pipeline per track: tracks come and go independently (a user stops the camera but keeps
 * talking), and a broken stream must not stall the others. H.264 is remuxed without re-encoding;
 * VP8 is transcoded to H.264 (TS cannot carry VP8); Opus becomes AAC. Segments are cut at
 * keyframes about every CR_TRACK_SEGMENT_S seconds, by a TS segment sink for one medium
 * (ts_segment_sink.h) or by splitmuxsink for an A/V file; a segment enters the playlist only
 * once it is closed and fsync'd, and the playlist is replaced atomically, so a crash loses at most
 * the open segment. */
#pragma once

#include <gst/gst.h>

#include "files/naming.h"
#include "files/playlist.h"

G_BEGIN_DECLS

#define CR_TRACK_SEGMENT_S 10

typedef struct _CrTrack CrTrack;

typedef struct {
  const char *dir;  /* local directory of the files (created) */
  const char *stem; /* naming stem of the user and stream (naming.h) */
  const char *user_id;
  gboolean aux;
  /* The forwards' RTP caps; one of them NULL for a separate audio or video file, both set for
   * an AvMerge file (audio and video in the same segments, cut at video keyframes). */
  const char *audio_caps;
  const char *video_caps;
  gboolean merged; /* an AvMerge file: named without a track type even with one medium */
  int fill_type;   /* FillType while the video stops: 0 last picture, 1 black, -1 none */
  /* The file's playlist, kept by the caller across the user's absences: a user who leaves and
   * returns continues the same m3u8 after a discontinuity, as TRTC does (the merge tool finds the
   * gap from the FILE-ATTR times). */
  CrPlaylist *playlist;
} CrTrackOptions;

/* Called on the main context when a segment is complete and listed (first: TRUE for the first). */
typedef void (*CrTrackSegmentFunc) (CrTrack *track, const CrSegment *segment, gboolean first,
                                    gpointer user_data);

/* Called on the main context when the video needs a keyframe from the publisher (after a fill). */
typedef void (*CrTrackKeyframeFunc) (CrTrack *track, gpointer user_data);

/* Builds and starts the pipeline; its RTP ports are cr_track_rtp_port(). */
CrTrack *cr_track_new (const CrTrackOptions *opts, CrTrackSegmentFunc on_segment,
                       CrTrackKeyframeFunc on_keyframe, gpointer user_data, GError **error);

/* The loopback port that receives the audio or the video RTP; 0 if the track has none. */
guint16 cr_track_rtp_port (CrTrack *track, gboolean video);
/* The playlist file name (the StorageFileList FileName) and when recording started (Unix ms: the
 * playlist's START-REC-TIME, which is its first segment's start once that segment is listed). */
const char *cr_track_playlist_name (CrTrack *track);
gint64 cr_track_start_ms (CrTrack *track);
/* Monotonic µs of the last RTP packet received, 0 before the first. */
gint64 cr_track_last_packet_us (CrTrack *track);
/* Ends the recording: EOS (bounded wait), the last segment listed, #EXT-X-ENDLIST; frees. */
void cr_track_finish (CrTrack *track);

G_END_DECLS
