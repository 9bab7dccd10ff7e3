/* HLS playlists with TRTC's tags (reference §10.3), written so that a crash loses at most the open
 * segment.
 *
 * Why its own module: the playlist is the index customers and the merge tool read; it must list
 * only segments that are completely on disk (LiveKit egress's rule), carry one FILE-ATTR per
 * segment (start time and size, which the merge tool uses to find gaps), and be replaced
 * atomically (temp file, fsync, rename, fsync of the directory, as Redis does), so that a reader
 * or a restarted worker never sees half a playlist. Rendering is pure; writing is one function. */
#pragma once

#include <glib.h>

#include "common/file_util.h" /* cr_file_replace_durably, for the playlist's writers */

G_BEGIN_DECLS

typedef struct {
  char *uri;       /* the segment's file name, relative to the playlist */
  gint64 start_ms; /* Unix ms of its first sample */
  double duration_s;
  guint64 bytes;
  gboolean discontinuity; /* the stream stopped before it (a user left and came back) */
  guint media;            /* CR_SEGMENT_AUDIO | CR_SEGMENT_VIDEO: what it holds (0: unknown) */
  int width, height;      /* its picture size as the writer knew it (0: none or unknown) */
} CrSegment;

#define CR_SEGMENT_AUDIO 1u
#define CR_SEGMENT_VIDEO 2u

typedef struct {
  char *user_id;  /* the recorded user; NULL for a mixed recording */
  char *media_id; /* "main" or "aux"; NULL for mixed */
  gboolean mixed;
  int stream_type;                /* 0 audio, 1 video (#EXT-X-TRTC-STREAM-TYPE), -1 both */
  gint64 start_rec_ms;            /* Unix ms when the recording of this stream started */
  int audio_channels, audio_rate; /* 0 when there is no audio */
  int video_width, video_height;  /* 0 when there is no video */
  GPtrArray *segments;            /* CrSegment */
  gboolean ended;                 /* #EXT-X-ENDLIST */
} CrPlaylist;

CrPlaylist *cr_playlist_new (const char *user_id, const char *media_id, gboolean mixed,
                             int stream_type, gint64 start_rec_ms);
void cr_playlist_free (CrPlaylist *pl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrPlaylist, cr_playlist_free)

void cr_playlist_add (CrPlaylist *pl, const char *uri, gint64 start_ms, double duration_s,
                      guint64 bytes, gboolean discontinuity);

/* The playlist as text. */
char *cr_playlist_render (const CrPlaylist *pl);

G_END_DECLS
