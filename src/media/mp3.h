/* MP3 files for the one-call recording's audio mode (seed 004, docs/record-once.md).
 *
 * Why a transcode of the AAC file and not an MP3 encoder while recording: the recording's
 * crash-safe record stays the AAC-in-TS HLS every single-stream task writes (track.h); the AAC
 * file of each anchor is extracted from it at the task's end (mp4.h) and only then decoded and
 * encoded once as MP3 (LAME, gstreamer1.0-plugins-good), with a Xing header so that players know
 * its duration. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_MP3_BITRATE_KBPS 64 /* the HLS's AAC is 64 kb/s; MP3 at the same rate */

/* Writes @out_path (MP3, CBR, Xing header) from @in_path (any audio file GStreamer decodes; an
 * ADTS .aac here). Blocks until done; @out_path appears only complete (written as .tmp, then
 * renamed). */
gboolean cr_mp3_transcode (const char *in_path, const char *out_path, GError **error);

G_END_DECLS
