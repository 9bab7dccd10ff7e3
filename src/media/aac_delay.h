/* How late voaacenc's sound decodes: the encoder puts priming ahead of the sound and neither a TS
 * nor our MP4s say so (no edit list), so every decoder plays the sound this much after the time
 * its frames carry. Measured: a tone's onset encoded at 48 kHz decodes 1600 samples (33.3 ms)
 * late. Who lines sound up with a picture or a timeline takes it into account: the merge tool's
 * encoder input, every recorded picture (track.c: the video jitter buffer's ts-offset) and a
 * mix's encoded pictures, live or composed (cr_aac_delay_pictures). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define CR_AAC_ENCODER_DELAY_SAMPLES 1600 /* at 48 kHz */
#define CR_AAC_ENCODER_DELAY_NS ((GstClockTime)CR_AAC_ENCODER_DELAY_SAMPLES * GST_SECOND / 48000)

/* Places every buffer leaving @pad (a picture going to the muxer beside AAC sound of
 * @sample_rate) the encoder's delay later: its PTS and DTS moved on by
 * CR_AAC_ENCODER_DELAY_SAMPLES at that rate. */
void cr_aac_delay_pictures (GstPad *pad, int sample_rate);

G_END_DECLS
