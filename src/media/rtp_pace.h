/* Strictly increasing times for RTP frames after a jitter buffer.
 *
 * Why: rtpjitterbuffer stamps packets by their arrival (with skew correction) and, when a burst
 * arrives after a stall (a busy machine: the publisher's or the ingest's thread held back for a
 * second), gives the packets that seem to go back in time the previous packet's time. Frames then
 * share one timestamp, h264parse (GstBaseParse) leaves every repeat without a PTS, the TS muxer
 * writes pictures without a PTS and mp4mux refuses them ("Could not multiplex stream": a lost MP4;
 * clean-clone CI runs saw both). Here a frame (a new RTP timestamp) whose time does not move on
 * is placed after the previous frame by its RTP timestamp's step instead. Times that move on are
 * left as they are. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct {
  char *what;       /* the stream, in the log (cr_rtp_pace_attach) */
  guint clock_rate; /* of the RTP timestamps */
  gboolean have;    /* a frame was seen */
  guint32 rtp;      /* the last frame's RTP timestamp */
  GstClockTime pts; /* and the time it was given */
  guint paced;      /* frames whose time was moved on */
} CrRtpPace;

/* The time to give a packet with RTP timestamp @rtp that the jitter buffer stamped @pts: @pts
 * when it is later than the last frame's; the last frame's time for a packet of that same frame;
 * else the last frame's time plus the RTP step (at least 1 ms, at most 1 s). An invalid @pts is
 * returned unchanged. */
GstClockTime cr_rtp_pace_next (CrRtpPace *pace, guint32 rtp, GstClockTime pts);

/* Paces the RTP buffers leaving @pad (a jitter buffer's src pad) at @clock_rate; logged once,
 * naming @what, when it first moves a frame on. The state lives as long as the pad. */
void cr_rtp_pace_attach (GstPad *pad, guint clock_rate, const char *what);

G_END_DECLS
