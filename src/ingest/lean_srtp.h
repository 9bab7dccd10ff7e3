/* SRTP for the lean engine: SRTP and SRTCP on libcrypto, keyed from the DTLS-SRTP material.
 *
 * Why two directions: what the peer sends is decrypted with the peer's master key (inbound, any
 * SSRC), what we send (RTCP feedback: receiver reports, REMB, PLI/FIR) is encrypted with ours
 * (outbound); each direction keeps its own keys and per-SSRC state, so the inbound half may be
 * used on one thread while the outbound half is used under another lock. Which half of the keying
 * material is whose depends on the DTLS role (RFC 5764 4.2): the split is pure and unit-tested. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CR_LEAN_SRTP_AES128_CM_SHA1_80,
  CR_LEAN_SRTP_AEAD_AES_128_GCM,
} CrLeanSrtpProfile;

/* The profile of an OpenSSL profile name; FALSE if not one we support. */
gboolean cr_lean_srtp_profile_parse (const char *name, CrLeanSrtpProfile *profile);
/* Master key and salt lengths of @profile (16 + 14, or 16 + 12). */
gsize cr_lean_srtp_key_len (CrLeanSrtpProfile profile);
gsize cr_lean_srtp_salt_len (CrLeanSrtpProfile profile);
/* Bytes of keying material to export for @profile: 2 * (key + salt). */
gsize cr_lean_srtp_material_len (CrLeanSrtpProfile profile);
/* From @material (cr_lean_srtp_material_len bytes: client key, server key, client salt, server
 * salt), the local and remote master key || salt, for a DTLS client (@we_are_client) or server.
 * @local and @remote need key + salt bytes each. Pure. */
void cr_lean_srtp_split (CrLeanSrtpProfile profile, const guint8 *material, gboolean we_are_client,
                         guint8 *local, guint8 *remote);

/* Bytes an SRTCP packet grows by at most when protected. */
#define CR_LEAN_SRTP_TRAILER 64

typedef struct _CrLeanSrtp CrLeanSrtp;
/* Inbound and outbound contexts; NULL with @error if OpenSSL refuses. */
CrLeanSrtp *cr_lean_srtp_new (CrLeanSrtpProfile profile, const guint8 *local, const guint8 *remote,
                              GError **error);
void cr_lean_srtp_free (CrLeanSrtp *srtp);
/* In place; FALSE if the packet does not authenticate (or is a replay). */
gboolean cr_lean_srtp_unprotect_rtp (CrLeanSrtp *srtp, guint8 *data, gsize *len);
gboolean cr_lean_srtp_unprotect_rtcp (CrLeanSrtp *srtp, guint8 *data, gsize *len);
/* In place: @data must have CR_LEAN_SRTP_TRAILER bytes of room after @len. */
gboolean cr_lean_srtp_protect_rtcp (CrLeanSrtp *srtp, guint8 *data, gsize *len);
/* For tests: protects RTP as a peer with the same keys would (outbound context). */
gboolean cr_lean_srtp_protect_rtp (CrLeanSrtp *srtp, guint8 *data, gsize *len);

G_END_DECLS
