/* The lean engine's side of the WHIP offer/answer: what it reads from the offer (the peer's ICE
 * credentials and candidates, DTLS fingerprint and role) and the answer it writes.
 *
 * Why our own answer: without webrtcbin nothing else writes one. It answers each m-line the
 * offer's checks chose (sdp_offer.c) with that one codec, receive-only, BUNDLEd, rtcp-mux, our
 * fingerprint, and every host candidate (non-trickle: WHIP answers once); feedback offered is
 * goog-remb, nack, nack pli and ccm fir when the offer has them (see lean_rtcp.h why not
 * transport-cc), and the offer's RTX payload type of the chosen codec with nack (lean_nack.h,
 * lean_rtx.h). Other m-lines (the offerer's own rejected ones) are answered with port 0. The
 * candidate lines are standard, so ice-public-address rewrites them as it does webrtcbin's
 * (sdp_answer.c). Pure, unit-tested. */
#pragma once

#include <gio/gio.h>

#include "ingest/sdp_offer.h"

G_BEGIN_DECLS

typedef struct {
  char *ufrag, *pwd;
  char *fingerprint;       /* "sha-256 AB:..." */
  gboolean we_dtls_client; /* the offer's a=setup was passive: we are active */
  GPtrArray *candidates;   /* "candidate:..." of component 1, UDP, from the chosen m-lines */
} CrLeanPeer;

/* The peer's transport from @offer; FALSE with @error if something needed is missing. */
gboolean cr_lean_peer_read (const CrSdpOffer *offer, CrLeanPeer *peer, GError **error);
void cr_lean_peer_clear (CrLeanPeer *peer);

typedef struct {
  const char *ufrag, *pwd;
  const char *fingerprint;       /* ours, "sha-256 AB:..." */
  gboolean dtls_client;          /* a=setup:active, else passive */
  const char *const *candidates; /* "candidate:..." (NULL-terminated) */
  guint64 session_id;
} CrLeanAnswerParams;

/* Whether the answer takes generic NACK (a=rtcp-fb:PT nack) for @choice: the offer has it. */
gboolean cr_lean_answer_nack (const CrSdpOffer *offer, const CrSdpChoice *choice);
/* The RTX payload type (RFC 4588) the answer takes for @choice: one the offer lists on its
 * m-line with a=rtpmap:N rtx/RATE and a=fmtp:N apt=<the chosen payload type>, and only with NACK
 * (what else would ask for a retransmission); -1 if none. */
int cr_lean_answer_rtx_payload (const CrSdpOffer *offer, const CrSdpChoice *choice);

char *cr_lean_answer_build (const CrSdpOffer *offer, const CrLeanAnswerParams *params);

/* The RTP caps text of a chosen track (what a worker decodes with), and its clock rate. */
char *cr_lean_answer_caps (const CrSdpOffer *offer, const CrSdpChoice *choice, guint *clock_rate);

G_END_DECLS
