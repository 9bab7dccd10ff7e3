/* What a finished MP4 is: its play length (the movie header's duration), its picture size (the
 * first track header with one), whether it has sound, and its byte size, for VideoInfos
 * (docs/class-record.md).
 *
 * Why a box reader and not a demuxer: the daemon only needs three numbers of files it wrote
 * itself, on the main loop; reading moov's headers is a few reads, no pipeline. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gint64 duration_ms; /* mvhd duration / timescale */
  gint64 size;        /* bytes */
  int width, height;  /* 0 x 0 for an audio-only file */
  gboolean has_audio; /* a sound track (an MP4's 'soun' handler; always for AAC and MP3) */
} CrMp4Info;

gboolean cr_mp4_info_read (const char *path, CrMp4Info *out, GError **error);

/* The same of an ADTS AAC file (the audio-only output): duration from its frames (1024 samples
 * each per raw block, at the header's rate), width and height 0. */
gboolean cr_adts_info_read (const char *path, CrMp4Info *out, GError **error);

/* The same of an MP3 file (AudioFileNeeded): duration from its Layer III frames (LAME's
 * Xing/Info frame not counted), an ID3v2 tag skipped. */
gboolean cr_mp3_info_read (const char *path, CrMp4Info *out, GError **error);

G_END_DECLS
