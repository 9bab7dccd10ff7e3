/* Rewriting a WHIP answer for publishers that reach the daemon through an address it does not
 * see on its own interfaces (ice-public-address: a 1:1 NAT, a cloud instance's public IP).
 *
 * Why on the SDP text: webrtcbin gathers host candidates from the local interfaces only; the
 * established remedy (Janus' nat_1_1_mapping, LiveKit's node IP) is to announce the public
 * address with the same ports. The private candidates stay, so publishers on the same network
 * keep their direct path; the public copies rank just below them. Pure: unit-tested. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @sdp with, after each UDP host candidate of @public_ip's address family, a copy carrying
 * @public_ip (same port and component, foundation prefixed with "P", priority one lower). A
 * candidate already on @public_ip, and non-host ones, are left alone. Lines keep their CRLF. */
char *cr_sdp_answer_add_public_candidates (const char *sdp, const char *public_ip);

G_END_DECLS
