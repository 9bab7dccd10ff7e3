/* The SRTP transforms of lean_srtp.c on OpenSSL's libcrypto: the key derivation (RFC 3711 4.3,
 * key derivation rate 0; RFC 7714 11 uses the same AES-CM PRF), AES-128 counter mode with
 * HMAC-SHA1 (RFC 3711 4.1.1, 4.2.1) and AES-128-GCM (RFC 7714 8, 9).
 *
 * Why a transform holds its OpenSSL contexts: a cipher context keyed once and only given a new
 * IV per packet, and an HMAC context restarted from the key it keeps, leave a packet's cost to
 * the AES-NI and SHA work itself (bench/srtp.c); keying either per packet would add more than
 * that work. One transform is one key in one direction (RTP or RTCP, inbound or
 * outbound); it is not shared between threads. */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

#include "lean_srtp.h"

G_BEGIN_DECLS

/* Session key lengths: cipher key, HMAC-SHA1 key, full HMAC-SHA1 output, tags. */
#define CR_LEAN_SRTP_CIPHER_KEY_LEN 16
#define CR_LEAN_SRTP_AUTH_KEY_LEN 20
#define CR_LEAN_SRTP_HMAC_LEN 20
#define CR_LEAN_SRTP_CM_TAG_LEN 10
#define CR_LEAN_SRTP_GCM_TAG_LEN 16
/* The longest master/session salt (AES-CM: 112 bits; GCM uses 96). */
#define CR_LEAN_SRTP_SALT_MAX 14

/* KDF labels (RFC 3711 4.3.2). */
enum {
  CR_LEAN_SRTP_LABEL_RTP_CIPHER = 0x00,
  CR_LEAN_SRTP_LABEL_RTP_AUTH = 0x01,
  CR_LEAN_SRTP_LABEL_RTP_SALT = 0x02,
  CR_LEAN_SRTP_LABEL_RTCP_CIPHER = 0x03,
  CR_LEAN_SRTP_LABEL_RTCP_AUTH = 0x04,
  CR_LEAN_SRTP_LABEL_RTCP_SALT = 0x05,
};

/* @out_len bytes of the session key of @label from @master_key (16 bytes) and @master_salt
 * (@salt_len <= 14 bytes; a 96-bit GCM salt is taken as its 112-bit form with zeros appended).
 * FALSE only if OpenSSL fails. */
gboolean cr_lean_srtp_kdf (const guint8 *master_key, const guint8 *master_salt, gsize salt_len,
                           guint8 label, guint8 *out, gsize out_len);

typedef struct {
  CrLeanSrtpProfile profile;
  gboolean encrypt;          /* seal (outbound) or open (inbound); AES-CM is its own inverse */
  EVP_CIPHER_CTX *cipher;    /* AES-128-CTR or AES-128-GCM, keyed with the session key */
  EVP_MAC_CTX *mac;          /* HMAC-SHA1 keyed with the session auth key (AES-CM only) */
  guint8 salt[CR_LEAN_SRTP_SALT_MAX]; /* session salt: 14 bytes (AES-CM) or 12 (GCM) */
} CrLeanSrtpTransform;

/* A transform from session keys: @cipher_key 16 bytes, @salt 14 or 12, @auth_key 20 (AES-CM;
 * NULL for GCM). FALSE if OpenSSL refuses; @t is then cleared. */
gboolean cr_lean_srtp_transform_init (CrLeanSrtpTransform *t, CrLeanSrtpProfile profile,
                                      gboolean encrypt, const guint8 *cipher_key,
                                      const guint8 *salt, const guint8 *auth_key);
/* The RTP (@rtcp FALSE) or RTCP transform derived from @master (master key || master salt). */
gboolean cr_lean_srtp_transform_derive (CrLeanSrtpTransform *t, CrLeanSrtpProfile profile,
                                        gboolean encrypt, gboolean rtcp, const guint8 *master);
void cr_lean_srtp_transform_clear (CrLeanSrtpTransform *t);

/* AES-CM: XORs @len bytes of @data in place with the keystream of packet @index of @ssrc (IV per
 * RFC 3711 4.1.1: salt * 2^16 ^ SSRC * 2^64 ^ index * 2^16). */
gboolean cr_lean_srtp_cm_crypt (CrLeanSrtpTransform *t, guint32 ssrc, guint64 index, guint8 *data,
                                gsize len);
/* HMAC-SHA1 of @data then @extra (@extra_len bytes, may be 0: the RTP ROC, RFC 3711 4.2), the
 * full 20 bytes into @mac. */
gboolean cr_lean_srtp_hmac (CrLeanSrtpTransform *t, const guint8 *data, gsize len,
                            const guint8 *extra, gsize extra_len, guint8 *mac);

/* GCM (IV per RFC 7714 8.1/9.1: salt ^ (0x0000 || SSRC || 48-bit index)), in place over @len
 * bytes of @data, the associated data being @aad then @aad2 (either may be empty). Seal writes
 * the 16-byte @tag; open checks it and is FALSE if it does not match (@data is then garbage). */
gboolean cr_lean_srtp_gcm_seal (CrLeanSrtpTransform *t, guint32 ssrc, guint64 index,
                                const guint8 *aad, gsize aad_len, const guint8 *aad2,
                                gsize aad2_len, guint8 *data, gsize len, guint8 *tag);
gboolean cr_lean_srtp_gcm_open (CrLeanSrtpTransform *t, guint32 ssrc, guint64 index,
                                const guint8 *aad, gsize aad_len, const guint8 *aad2,
                                gsize aad2_len, guint8 *data, gsize len, const guint8 *tag);

G_END_DECLS
