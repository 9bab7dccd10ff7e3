/* An MPEG-TS segment that begins with its PAT and PMT.
 *
 * Why: mpegtsmux (GStreamer 1.22) writes its tables just before the first packet of the stream
 * that carries the clock (the video), so an A/V fragment whose sound begins before its first
 * picture (the first fragment of an AvMerge or mixed recording: up to a few hundred ms of sound
 * before the first keyframe) starts with audio packets no demuxer can assign yet. RFC 8216
 * (3.2) requires the tables at the start of every segment; GStreamer's tsdemux (the MP4 remux,
 * merge, compose and the sync report read TS through it) dropped those packets: the recording's
 * first 100 ms or so of sound, and with them the report's anchor of that file. The HLS writer
 * moves the tables to the front of each closed fragment; pure functions on bytes (fuzzed with the
 * PCR bridge, tests/fuzz/fuzz_ts_pcr_bridge.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Moves the first PAT packet and the first packet of the PMT it names to the front of @data
 * (whole 188-byte packets; every other packet keeps its order). Nothing moves when @data already
 * begins with the PAT, or holds no PAT that fits one packet or no PMT packet after it. Returns
 * the number of packets moved (0 or 2). */
guint cr_ts_tables_first (guint8 *data, gsize len);

G_END_DECLS
