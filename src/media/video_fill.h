/* FillType: what a recorded video shows while the user's uplink video has stopped (camera off,
 * network gone) but the user is still in the room: the last picture (0) or black (1).
 *
 * Why frames instead of a gap: a file with a hole in its video plays as a frozen or missing
 * picture in some players and desynchronises others; TRTC fills the hole. Without re-encoding the
 * stream, a filler can only insert pictures that decode on their own: the last keyframe the user
 * sent (FillType 0: the picture of up to one GOP ago, the closest to "the last frame" that needs
 * no decoder) or a black keyframe encoded once at the stream's size (1), five times a second
 * after a second without video. When the user's video comes back, its frames are dropped until a
 * keyframe (they would be decoded against the filler's pictures) and one is asked for. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define CR_FILL_AFTER_US (1 * G_USEC_PER_SEC) /* silence before filling starts */
#define CR_FILL_INTERVAL_MS 200               /* 5 filler pictures a second */

typedef struct _CrVideoFill CrVideoFill;

typedef void (*CrVideoFillKeyframeFunc) (gpointer user_data);

/* Fills the H.264 stream leaving @live_pad (into its peer, as if it came from @live_pad) per
 * @fill_type (0 last keyframe, 1 black). @need_keyframe is called from cr_video_fill_tick. */
CrVideoFill *cr_video_fill_new (GstElement *pipeline, GstPad *live_pad, int fill_type,
                                CrVideoFillKeyframeFunc need_keyframe, gpointer user_data);
/* Every CR_FILL_INTERVAL_MS on the main context: pushes a filler picture if the last video packet
 * arrived (monotonic µs) more than CR_FILL_AFTER_US ago, or while the returning video waits for
 * its keyframe; asks for a keyframe if one is awaited. */
void cr_video_fill_tick (CrVideoFill *fill, gint64 last_packet_us);
void cr_video_fill_free (CrVideoFill *fill);

G_END_DECLS
