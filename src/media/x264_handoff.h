/* Lets x264enc's input pictures go as soon as x264 has copied them.
 *
 * Why: x264enc keeps every input buffer mapped until its encoded frame comes out, which with the
 * look-ahead (rc-lookahead 10) and three frame threads is about 14 pictures later: 14 raw canvases
 * (19 MB at 720p) held by the encoder of a mix, on top of x264's own copies of them. x264 itself
 * copies each picture into its own frames inside x264_encoder_encode(), on the caller's thread,
 * and never reads it again (ffmpeg's libx264 frees its picture right after that call). So the
 * encoder is given a copy of each picture in one buffer of our own, rewritten for the next
 * picture, and the picture itself goes back to its pool at once; the buffers x264enc holds then
 * point at that one copy (what they show after it has been rewritten is never read). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Hands @x264enc (an x264enc element) each raw picture through the copy described above. */
void cr_x264_hand_off_input (GstElement *x264enc);

G_END_DECLS
