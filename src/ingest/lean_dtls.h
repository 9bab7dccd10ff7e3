/* DTLS for the lean engine: OpenSSL driving the handshake over datagrams we carry ourselves.
 *
 * Why not a socket BIO: the datagrams travel over the ICE agent (libnice), on the session's
 * event-loop thread, so OpenSSL reads from a memory BIO we fill with each received record and
 * writes through a small BIO of ours that hands each datagram to the session's send function
 * (a memory BIO would glue a flight's datagrams together and lose their boundaries). One ECDSA
 * P-256 certificate is made per process (cheap, and its fingerprint goes in every answer); the
 * peer's certificate is checked against the fingerprint of its offer once the handshake ends.
 * The result is the DTLS-SRTP profile and keying material (RFC 5764) for lean_srtp.c. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _CrLeanDtls CrLeanDtls;

/* Makes the process's certificate if not yet made (thread-safe; the first call costs ~1 ms). */
gboolean cr_lean_dtls_prepare (GError **error);
/* "sha-256 AB:CD:..." of the process's certificate (for a=fingerprint), after prepare. */
const char *cr_lean_dtls_fingerprint (void);

/* Sends one datagram to the peer. */
typedef void (*CrLeanDtlsSendFunc) (const guint8 *data, gsize len, gpointer user_data);

typedef enum {
  CR_LEAN_DTLS_NONE,      /* nothing new */
  CR_LEAN_DTLS_CONNECTED, /* the handshake just ended and the peer's fingerprint matched */
  CR_LEAN_DTLS_FAILED,    /* the handshake failed or the fingerprint did not match */
} CrLeanDtlsEvent;

/* @client: we start the handshake (a=setup:active); @peer_fingerprint: the offer's
 * "sha-256 AB:CD:..." (its hash name and hex). */
CrLeanDtls *cr_lean_dtls_new (gboolean client, const char *peer_fingerprint,
                              CrLeanDtlsSendFunc send, gpointer user_data, GError **error);
void cr_lean_dtls_free (CrLeanDtls *dtls);
/* Starts the handshake (client only; a server waits for the ClientHello). */
CrLeanDtlsEvent cr_lean_dtls_start (CrLeanDtls *dtls);
/* A datagram from the peer (first byte 20..63). */
CrLeanDtlsEvent cr_lean_dtls_receive (CrLeanDtls *dtls, const guint8 *data, gsize len);
/* Retransmits a lost flight when its timer has expired (call every ~100 ms until connected). */
CrLeanDtlsEvent cr_lean_dtls_poll (CrLeanDtls *dtls);
gboolean cr_lean_dtls_connected (CrLeanDtls *dtls);
/* The SRTP profile negotiated ("SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM"), NULL if none
 * or not connected. */
const char *cr_lean_dtls_srtp_profile (CrLeanDtls *dtls);
/* @len bytes of DTLS-SRTP keying material (RFC 5764 4.2: client key, server key, client salt,
 * server salt; @len is the profile's 2 * (key + salt)); FALSE if not connected. */
gboolean cr_lean_dtls_export (CrLeanDtls *dtls, guint8 *out, gsize len);
gboolean cr_lean_dtls_is_client (CrLeanDtls *dtls);
/* The last error, for logs. */
const char *cr_lean_dtls_error (CrLeanDtls *dtls);

G_END_DECLS
