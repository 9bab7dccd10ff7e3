/* Only an IDR picture is a keyframe: encoded H.264 marked so before it is cut into files.
 *
 * Why: h264parse marks every picture with an I slice as a keyframe (no DELTA_UNIT flag), and x264
 * codes a scene cut (a publisher's white flash, a slide change) as a non-IDR I picture: no SPS and
 * PPS before it, and the pictures after it may still refer to earlier ones. splitmuxsink starts a
 * file at any keyframe past its size, so a mixed recording's HLS segment could begin with such a
 * picture and decode nothing until its next IDR (0.9 s of a segment in a 10 fps mix with a
 * flashing publisher); the TS and MP4 muxers also mark such pictures as random access points. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Whether the access unit @data (@size bytes) holds an IDR slice (NAL unit type 5): Annex B
 * byte-stream when @nal_length_size is 0, else NAL units each after a big-endian length of that
 * many bytes (1, 2 or 4: "avc" stream-format). Truncated data is read as far as it goes. */
gboolean cr_h264_access_unit_is_idr (const guint8 *data, gsize size, guint nal_length_size);

/* Marks every picture leaving @pad (an h264parse's src pad, access units) that holds no IDR
 * slice as a delta unit; IDR pictures as keyframes. */
void cr_h264_mark_idr_keyframes (GstPad *pad);

G_END_DECLS
