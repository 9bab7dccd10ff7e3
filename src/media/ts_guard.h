/* A guard in front of a muxer: buffers whose time goes back are dropped.
 *
 * Why: splitmuxsink stops a whole recording with "Timestamping error on input streams" when a
 * stream's running time goes back before the GOP it is cutting (an audio-only track's buffer
 * earlier than the one before it). Clean-clone CI runs saw it at the start of a recording: the
 * track never wrote a segment (307 never came, disks.test.mjs) or its MP4 could not be made.
 * One dropped late buffer costs a frame or 20 ms of sound; the error cost the recording. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Drops, on @pad (a src pad going to a muxer, or the muxer's sink pad: a probe there also sees
 * buffers chained straight into it, like the video filler's), every buffer whose running time
 * (DTS, else PTS) is earlier than the last one passed; @what names the stream in the log. A new
 * segment starts the comparison over. */
void cr_ts_guard_attach (GstPad *pad, const char *what);

/* How many buffers the guard on @pad dropped (0 if none or no guard). */
guint cr_ts_guard_dropped (GstPad *pad);

G_END_DECLS
