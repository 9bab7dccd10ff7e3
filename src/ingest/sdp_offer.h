/* Checking a WHIP offer before any WebRTC machinery is built for it.
 *
 * Why a separate, pure step: a bad offer must get a clear 400 naming what is wrong (no media, no
 * codec we can record, trickle-only, no DTLS fingerprint), and the codec we will accept must be
 * chosen by us, not by webrtcbin: H.264 constrained baseline with packetization-mode 1 first
 * (recorded without re-encoding), then VP8; Opus for audio. The result is the payload type per
 * m-line that becomes the transceiver's codec preference. */
#pragma once

#include <glib.h>
#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

#define CR_SDP_OFFER_ERROR (cr_sdp_offer_error_quark ())
GQuark cr_sdp_offer_error_quark (void);

typedef struct {
  guint mline; /* index of the m-line in the offer */
  gboolean is_video;
  int payload;    /* the chosen payload type */
  char *encoding; /* "H264", "VP8", "OPUS" */
} CrSdpChoice;

typedef struct {
  GstSDPMessage *sdp; /* the parsed offer */
  GArray *choices;    /* CrSdpChoice, one per accepted m-line */
  gboolean has_audio;
  gboolean has_video;
} CrSdpOffer;

/* Parses and checks @text (the POST body). NULL with a CR_SDP_OFFER_ERROR whose message is fit
 * for the HTTP reply. At most one audio and one video m-line are accepted (WHIP publishes one
 * stream). */
CrSdpOffer *cr_sdp_offer_parse (const char *text, gsize len, GError **error);
void cr_sdp_offer_free (CrSdpOffer *offer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrSdpOffer, cr_sdp_offer_free)

G_END_DECLS
