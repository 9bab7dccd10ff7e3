/* A clock that runs through a pause in MPEG-TS: PCR-only packets (an adaptation field with a PCR,
 * no payload) every CR_TS_PCR_EVERY where a stream's PCR would otherwise jump.
 *
 * Why: tsdemux (GStreamer 1.22; the MP4 remux, merge and compose read TS through it) takes a jump
 * of the PCR by more than about half a second for a discontinuity and closes it up to 0.5 s. A
 * pause inside a run (a publisher muted, or its camera off before the filler starts) then left
 * the MP4 that much shorter and everything after it early. With a PCR every 100 ms through the
 * pause the demuxer keeps the frames' times. Two writers need the packets: our own TS writer of
 * a one-medium track puts them in the file (ts_mux.h), and the MP4 remux inserts them into the
 * byte stream it reads (mp4.c) for files mpegtsmux wrote (an A/V file, AvMerge). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A PCR at least this often (90 kHz ticks: 100 ms, ISO 13818-1's bound) through a pause. */
#define CR_TS_PCR_EVERY (90000 / 10)
/* At most this many clock-only packets for one pause, a longer pause getting them further apart:
 * in a file (120 s at CR_TS_PCR_EVERY, 225 KB stored), and in a stream being read (1 hour, 6.8 MB
 * passing through; it also closes the steps of a file's longer pause to CR_TS_PCR_EVERY). */
#define CR_TS_BRIDGE_MAX_FILE 1200
#define CR_TS_BRIDGE_MAX_READ 36000

/* The 6 bytes of a PCR of base @pcr (90 kHz, extension 0) at @p. */
void cr_ts_put_pcr (guint8 *p, gint64 pcr);
/* The 33-bit base of the PCR at @p (the 9-bit extension left out). */
gint64 cr_ts_read_pcr (const guint8 *p);

/* Appends to @out the clock-only packets of PID @pid for a pause of @gap ticks after a PCR of
 * @from (90 kHz, wrapped): at @from + k * step for every step short of @gap, the step
 * CR_TS_PCR_EVERY or @gap / @max_packets, whichever is longer. @cc is the PID's
 * last continuity counter, which a payload-less packet repeats (13818-1 2.4.3.3). */
void cr_ts_put_clock_bridge (GByteArray *out, guint pid, guint cc, gint64 from, gint64 gap,
                             guint max_packets);

/* Inserts the clock through pauses into a TS byte stream read in chunks of any size. */
typedef struct _CrPcrBridge CrPcrBridge;

CrPcrBridge *cr_pcr_bridge_new (void);
/* Appends to @out the bytes to pass on for the next @len bytes of the stream: the packet carried
 * over from the last call completed, the whole packets of @data with a bridge before every PCR
 * that comes more than CR_TS_PCR_EVERY (and less than half the clock's wrap) after the last one of
 * its PID, unless the packet marks a discontinuity; a partial packet at the end waits for the next
 * call. A stream that loses packet sync is passed on as it is from there. */
void cr_pcr_bridge_push (CrPcrBridge *b, GByteArray *out, const guint8 *data, gsize len);
/* Appends to @out what is still held at the end of the stream (a partial packet), if anything. */
void cr_pcr_bridge_finish (CrPcrBridge *b, GByteArray *out);
void cr_pcr_bridge_free (CrPcrBridge *b);

G_END_DECLS
