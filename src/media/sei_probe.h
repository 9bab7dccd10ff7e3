/* The recorder's side of the board clock (video-generation mode): a pad probe on a recorded
 * H.264 track that reads the publisher's syncTime SEI (sei_sync.h) and keeps the samples in a
 * sidecar of the playlist, `<playlist>.sync.json` (docs/recording.md, "Board-clock samples"):
 *   {"Samples":[{"MediaMs":m,"BoardMs":b,"WallMs":w},...]}
 * MediaMs = the frame's time in the recording's TS timestamps (ms since START-REC-TIME, as the
 * HLS writer retimes them), WallMs = the daemon's wall clock of the frame's arrival, BoardMs = the
 * syncTime it carried. At most one sample a second is kept.
 *
 * Why a sidecar: the playlist and the segments stay exactly as TRTC's (tests and the merge tool
 * read them); the samples matter only to the replay page and video generation. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _CrSeiProbe CrSeiProbe;

/* Watches the buffers through @pad (byte-stream H.264 access units); the sidecar is
 * @sidecar_path (its samples from an earlier run of the same playlist kept). */
CrSeiProbe *cr_sei_probe_attach (GstPad *pad, const char *sidecar_path);
/* Writes the sidecar when there are new samples (@start_rec_ms: the playlist's START-REC-TIME,
 * 0 while unknown: nothing written). Main context. */
void cr_sei_probe_flush (CrSeiProbe *probe, gint64 start_rec_ms);
/* Flushes and frees. The pad must no longer carry buffers. */
void cr_sei_probe_free (CrSeiProbe *probe, gint64 start_rec_ms);

G_END_DECLS
