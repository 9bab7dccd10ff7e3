/* One WHIP session: what receives the published stream of one user (main or aux). Two engines
 * (ingest-engine): webrtcbin (session_webrtcbin.c) and lean (session_lean.c).
 *
 * webrtcbin: why one pipeline per session: a broken peer, a codec surprise or a stuck DTLS handshake stays
 * inside its own pipeline, which is torn down alone. The session answers the offer (non-trickle:
 * the answer carries every host candidate), then hands each arriving track to a CrForward. All
 * callbacks (ready, ended) run on the main context the session was created on; webrtcbin's own
 * threads never touch the rest of the daemon. */
#pragma once

#include <gio/gio.h>

#include "ingest/forward.h"
#include "ingest/sdp_offer.h"

G_BEGIN_DECLS

typedef struct _CrIngestSession CrIngestSession;

typedef struct {
  guint jitter_latency_ms; /* webrtcbin jitterbuffer latency */
  const char *engine;      /* ingest-engine: "webrtcbin" (NULL too) or "lean" */
  guint audio_group;       /* lean: forward-audio-group (forward.h, cr_forward_set_group) */
} CrIngestSessionSettings;

/* @answer is the SDP answer, or NULL with @error. */
typedef void (*CrSessionReadyFunc) (CrIngestSession *session, const char *answer,
                                    const GError *error, gpointer user_data);
/* The peer's connection failed or closed (@reason: "ice-failed", "connection-failed", "closed":
 * a DTLS alert such as close_notify from the peer). */
typedef void (*CrSessionLostFunc) (CrIngestSession *session, const char *reason,
                                   gpointer user_data);

/* Builds the pipeline for @offer (taken) and starts answering it; @ready follows once. */
CrIngestSession *cr_ingest_session_start (const char *id, CrSdpOffer *offer,
                                          const CrIngestSessionSettings *settings,
                                          CrSessionReadyFunc ready, CrSessionLostFunc lost,
                                          gpointer user_data);
/* Ends the session (main context): no more callbacks; the pipeline is stopped and the session
 * freed by @reaper (a GThreadPool running cr_ingest_session_teardown), or here when NULL.
 * Why a thread: a webrtcbin going to NULL joins its threads and closes its ICE agent, tens of
 * ms each and more on a busy machine; 25 publishers leaving at once stalled the daemon's API for
 * seconds when that ran on the main loop. */
void cr_ingest_session_stop (CrIngestSession *session, GThreadPool *reaper);
/* The reaper's work: stops @session's pipeline, frees its forwards and the session. */
void cr_ingest_session_teardown (gpointer session, gpointer unused);

const char *cr_ingest_session_id (CrIngestSession *session);
gboolean cr_ingest_session_connected (CrIngestSession *session);
gint64 cr_ingest_session_started_us (CrIngestSession *session);
/* Monotonic microseconds of the newest media packet of any track, 0 before the first. */
gint64 cr_ingest_session_last_media_us (CrIngestSession *session);
/* Monotonic microseconds of the newest packet of any kind the peer sent (DTLS, RTP, RTCP; STUN
 * is answered inside libnice, unseen), 0 before the first. See session.c "liveness". */
gint64 cr_ingest_session_last_rx_us (CrIngestSession *session);
/* Bytes received from the peer so far (RTP, RTCP, DTLS; the console's bitrate). */
guint64 cr_ingest_session_rx_bytes (CrIngestSession *session);
/* The codec chosen for the audio (@video FALSE) or video track ("OPUS", "H264", "VP8"), or NULL. */
const char *cr_ingest_session_codec (CrIngestSession *session, gboolean video);
/* The forward of the audio or video track, or NULL while that track has not arrived. */
CrForward *cr_ingest_session_forward (CrIngestSession *session, gboolean video);
/* Retransmission of a session's tracks (the lean engine's NACK and RTX): packets found missing
 * and asked for again, those of them that then arrived, and those given up (lean_nack.h). */
typedef struct {
  guint64 nacked, recovered, given_up;
} CrIngestRetransmission;
/* FALSE when the engine does not count them (webrtcbin: its jitterbuffer asks on its own). */
gboolean cr_ingest_session_retransmission (CrIngestSession *session, CrIngestRetransmission *out);
/* Whether the session's forwards come in sequence order (webrtcbin's jitterbuffer) or as the
 * packets arrived, resends late (lean): a subscriber that does not reorder must know. */
gboolean cr_ingest_session_forwards_ordered (CrIngestSession *session);
/* Once a second: sender reports and keyframe retries of the forwards. */
void cr_ingest_session_tick (CrIngestSession *session, gint64 now_us);

G_END_DECLS
