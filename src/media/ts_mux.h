/* MPEG-TS of one elementary stream, packetised in memory: PAT and PMT at the start of a file, then
 * one PES per access unit (H.264 Annex B with an access unit delimiter, or AAC in ADTS marked
 * MPEG-4) with its
 * PTS (and DTS when it differs), a PCR in every PES's first packet and the continuity counters.
 *
 * Why: a track that records one medium wrote its segments through splitmuxsink and mpegtsmux,
 * which hand every buffer to two more threads (splitmuxsink's input queue, the muxer's aggregator)
 * and wake them up for it; for one stream none of that is needed. The segment sink
 * (ts_segment_sink.h) muxes with this on the streaming thread that brings the frame. Pure
 * functions on bytes, so they are tested without a pipeline. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_TS_MUX_PMT_PID 0x0020
#define CR_TS_MUX_ES_PID 0x0041
/* The PCR runs this much (90 kHz ticks: 125 ms) behind the stream's DTS, as mpegtsmux's did: a
 * player buffers that long, and the HLS writer starts the recording that much before its first
 * sample (hls_writer.c). */
#define CR_TS_MUX_PCR_LEAD (90000 / 8)

typedef enum {
  CR_TS_MUX_H264, /* stream type 0x1b, PES stream id 0xe0 */
  CR_TS_MUX_AAC,  /* ADTS, stream type 0x0f, PES stream id 0xc0 */
} CrTsMuxKind;

typedef struct {
  CrTsMuxKind kind;
  guint8 cc[3]; /* continuity counters: PAT, PMT, the stream */
  gboolean tables_due;
  gint64 last_dts; /* of the last frame (90 kHz, wrapped), -1 before the first */
} CrTsMux;

void cr_ts_mux_init (CrTsMux *m, CrTsMuxKind kind);

/* A new file begins: counters from 0, the tables before the next frame. */
void cr_ts_mux_restart (CrTsMux *m);

/* Appends to @out the packets of one access unit (@data, @len: Annex B or ADTS) at @pts and @dts
 * (90 kHz ticks, taken modulo 2^33; @dts < 0: the same as @pts), preceded by the tables when a file
 * begins. @random_access marks where a player may start (a keyframe, an audio frame). */
void cr_ts_mux_frame (CrTsMux *m, GByteArray *out, const guint8 *data, gsize len, gint64 pts,
                      gint64 dts, gboolean random_access);

/* Appends to @out clock-only packets (an adaptation field with a PCR, no payload) from the last
 * frame's time up to @dts, one every CR_TS_PCR_EVERY (ts_pcr_bridge.h), when the stream paused longer than that
 * (a publisher whose media stopped for a while). Why: with no packet in between, the PCR jumps
 * by the pause, and tsdemux (the MP4 remux, merge, compose) takes the jump for a discontinuity
 * and closes the gap: the MP4 lost the pause and its sound ran early after it.
 * With the clock running through the pause the demuxer keeps the frames' times. Call it before
 * the frame at @dts is cut into a new file, so that the pause stays in the file it lengthens. */
void cr_ts_mux_bridge (CrTsMux *m, GByteArray *out, gint64 dts);

/* The MPEG-2 CRC-32 of PSI sections. */
guint32 cr_ts_mux_crc32 (const guint8 *data, gsize len);

G_END_DECLS
