/* SRTP key derivation and packet transforms on libcrypto; see lean_srtp_crypto.h. */
#include "lean_srtp_crypto.h"

#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <string.h>

#define CM_IV_LEN 16
#define GCM_IV_LEN 12

gboolean
cr_lean_srtp_kdf (const guint8 *master_key, const guint8 *master_salt, gsize salt_len,
                  guint8 label, guint8 *out, gsize out_len)
{
  /* x = key_id XOR master_salt, key_id = label || r (48 bits, 0 with a key derivation rate of 0)
   * right-aligned in the 112-bit salt; the PRF is AES-CM with IV x * 2^16 (RFC 3711 4.3.1,
   * 4.3.3). */
  guint8 iv[CM_IV_LEN] = { 0 };
  if (salt_len > CR_LEAN_SRTP_SALT_MAX || out_len > INT_MAX)
    return FALSE;
  memcpy (iv, master_salt, salt_len);
  iv[7] ^= label;
  memset (out, 0, out_len);
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  int n = 0;
  gboolean ok = ctx != NULL
                && EVP_EncryptInit_ex (ctx, EVP_aes_128_ctr (), NULL, master_key, iv) == 1
                && EVP_EncryptUpdate (ctx, out, &n, out, (int)out_len) == 1 && (gsize)n == out_len;
  EVP_CIPHER_CTX_free (ctx);
  OPENSSL_cleanse (iv, sizeof iv);
  return ok;
}

/* The cipher context of @t keyed with @cipher_key; the IV comes per packet. */
static gboolean
cipher_init (CrLeanSrtpTransform *t, const guint8 *cipher_key)
{
  t->cipher = EVP_CIPHER_CTX_new ();
  if (t->cipher == NULL)
    return FALSE;
  if (t->profile != CR_LEAN_SRTP_AEAD_AES_128_GCM)
    return EVP_EncryptInit_ex (t->cipher, EVP_aes_128_ctr (), NULL, cipher_key, NULL) == 1;
  /* GCM's default IV length is the 96 bits RFC 7714 uses. */
  int ok = t->encrypt ? EVP_EncryptInit_ex (t->cipher, EVP_aes_128_gcm (), NULL, cipher_key, NULL)
                      : EVP_DecryptInit_ex (t->cipher, EVP_aes_128_gcm (), NULL, cipher_key, NULL);
  return ok == 1 && EVP_CIPHER_CTX_get_iv_length (t->cipher) == GCM_IV_LEN;
}

/* The HMAC-SHA1 context of @t keyed with @auth_key, kept for every packet. */
static gboolean
mac_init (CrLeanSrtpTransform *t, const guint8 *auth_key)
{
  EVP_MAC *hmac = EVP_MAC_fetch (NULL, OSSL_MAC_NAME_HMAC, NULL);
  if (hmac == NULL)
    return FALSE;
  t->mac = EVP_MAC_CTX_new (hmac);
  EVP_MAC_free (hmac); /* the context holds its own reference */
  char digest[] = OSSL_DIGEST_NAME_SHA1;
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, digest, 0),
    OSSL_PARAM_construct_end (),
  };
  return t->mac != NULL && EVP_MAC_init (t->mac, auth_key, CR_LEAN_SRTP_AUTH_KEY_LEN, params) == 1;
}

gboolean
cr_lean_srtp_transform_init (CrLeanSrtpTransform *t, CrLeanSrtpProfile profile, gboolean encrypt,
                             const guint8 *cipher_key, const guint8 *salt, const guint8 *auth_key)
{
  memset (t, 0, sizeof *t);
  t->profile = profile;
  t->encrypt = encrypt;
  memcpy (t->salt, salt, cr_lean_srtp_salt_len (profile));
  if (cipher_init (t, cipher_key)
      && (profile == CR_LEAN_SRTP_AEAD_AES_128_GCM || mac_init (t, auth_key)))
    return TRUE;
  cr_lean_srtp_transform_clear (t);
  return FALSE;
}

gboolean
cr_lean_srtp_transform_derive (CrLeanSrtpTransform *t, CrLeanSrtpProfile profile,
                               gboolean encrypt, gboolean rtcp, const guint8 *master)
{
  gsize key_len = cr_lean_srtp_key_len (profile), salt_len = cr_lean_srtp_salt_len (profile);
  const guint8 *master_salt = master + key_len;
  guint8 cipher_key[CR_LEAN_SRTP_CIPHER_KEY_LEN], salt[CR_LEAN_SRTP_SALT_MAX];
  guint8 auth_key[CR_LEAN_SRTP_AUTH_KEY_LEN];
  gboolean gcm = profile == CR_LEAN_SRTP_AEAD_AES_128_GCM;
  guint8 base = rtcp ? CR_LEAN_SRTP_LABEL_RTCP_CIPHER : CR_LEAN_SRTP_LABEL_RTP_CIPHER;
  gboolean ok
      = cr_lean_srtp_kdf (master, master_salt, salt_len, base, cipher_key, sizeof cipher_key)
        && cr_lean_srtp_kdf (master, master_salt, salt_len, base + 2, salt, salt_len)
        && (gcm
            || cr_lean_srtp_kdf (master, master_salt, salt_len, base + 1, auth_key,
                                 sizeof auth_key))
        && cr_lean_srtp_transform_init (t, profile, encrypt, cipher_key, salt,
                                        gcm ? NULL : auth_key);
  OPENSSL_cleanse (cipher_key, sizeof cipher_key);
  OPENSSL_cleanse (salt, sizeof salt);
  OPENSSL_cleanse (auth_key, sizeof auth_key);
  if (!ok)
    memset (t, 0, sizeof *t);
  return ok;
}

void
cr_lean_srtp_transform_clear (CrLeanSrtpTransform *t)
{
  EVP_CIPHER_CTX_free (t->cipher);
  EVP_MAC_CTX_free (t->mac);
  OPENSSL_cleanse (t, sizeof *t);
}

/* @ssrc and the 48-bit @index XORed into @iv at @at (the SSRC's first byte; the index follows). */
static void
iv_mix (guint8 *iv, gsize at, guint32 ssrc, guint64 index)
{
  for (guint i = 0; i < 4; i++)
    iv[at + i] ^= (guint8)(ssrc >> (24 - 8 * i));
  for (guint i = 0; i < 6; i++)
    iv[at + 4 + i] ^= (guint8)(index >> (40 - 8 * i));
}

gboolean
cr_lean_srtp_cm_crypt (CrLeanSrtpTransform *t, guint32 ssrc, guint64 index, guint8 *data,
                       gsize len)
{
  /* salt in bytes 0..13, the block counter in 14..15; SSRC at 4..7, index at 8..13 */
  guint8 iv[CM_IV_LEN] = { 0 };
  memcpy (iv, t->salt, CR_LEAN_SRTP_SALT_MAX);
  iv_mix (iv, 4, ssrc, index);
  int n = 0;
  if (len > INT_MAX || EVP_EncryptInit_ex (t->cipher, NULL, NULL, NULL, iv) != 1)
    return FALSE;
  return len == 0 || (EVP_EncryptUpdate (t->cipher, data, &n, data, (int)len) == 1
                      && (gsize)n == len);
}

gboolean
cr_lean_srtp_hmac (CrLeanSrtpTransform *t, const guint8 *data, gsize len, const guint8 *extra,
                   gsize extra_len, guint8 *mac)
{
  gsize out_len = 0;
  /* No key: the context starts over from the key it was given in transform_init. */
  return EVP_MAC_init (t->mac, NULL, 0, NULL) == 1 && EVP_MAC_update (t->mac, data, len) == 1
         && (extra_len == 0 || EVP_MAC_update (t->mac, extra, extra_len) == 1)
         && EVP_MAC_final (t->mac, mac, &out_len, CR_LEAN_SRTP_HMAC_LEN) == 1
         && out_len == CR_LEAN_SRTP_HMAC_LEN;
}

/* Starts a GCM operation on packet @index of @ssrc and feeds it the associated data. */
static gboolean
gcm_start (CrLeanSrtpTransform *t, guint32 ssrc, guint64 index, const guint8 *aad, gsize aad_len,
           const guint8 *aad2, gsize aad2_len)
{
  guint8 iv[GCM_IV_LEN];
  memcpy (iv, t->salt, GCM_IV_LEN);
  iv_mix (iv, 2, ssrc, index);
  int n = 0;
  if (aad_len > INT_MAX || aad2_len > INT_MAX)
    return FALSE;
  if (t->encrypt ? EVP_EncryptInit_ex (t->cipher, NULL, NULL, NULL, iv) != 1
                 : EVP_DecryptInit_ex (t->cipher, NULL, NULL, NULL, iv) != 1)
    return FALSE;
  /* EVP_CipherUpdate with a NULL output feeds AAD in either direction. */
  return (aad_len == 0 || EVP_CipherUpdate (t->cipher, NULL, &n, aad, (int)aad_len) == 1)
         && (aad2_len == 0 || EVP_CipherUpdate (t->cipher, NULL, &n, aad2, (int)aad2_len) == 1);
}

gboolean
cr_lean_srtp_gcm_seal (CrLeanSrtpTransform *t, guint32 ssrc, guint64 index, const guint8 *aad,
                       gsize aad_len, const guint8 *aad2, gsize aad2_len, guint8 *data, gsize len,
                       guint8 *tag)
{
  int n = 0;
  if (!t->encrypt || len > INT_MAX || !gcm_start (t, ssrc, index, aad, aad_len, aad2, aad2_len))
    return FALSE;
  if (len > 0 && (EVP_EncryptUpdate (t->cipher, data, &n, data, (int)len) != 1 || (gsize)n != len))
    return FALSE;
  if (EVP_EncryptFinal_ex (t->cipher, data + len, &n) != 1 || n != 0)
    return FALSE;
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_octet_string (OSSL_CIPHER_PARAM_AEAD_TAG, tag, CR_LEAN_SRTP_GCM_TAG_LEN),
    OSSL_PARAM_construct_end (),
  };
  return EVP_CIPHER_CTX_get_params (t->cipher, params) == 1;
}

gboolean
cr_lean_srtp_gcm_open (CrLeanSrtpTransform *t, guint32 ssrc, guint64 index, const guint8 *aad,
                       gsize aad_len, const guint8 *aad2, gsize aad2_len, guint8 *data, gsize len,
                       const guint8 *tag)
{
  int n = 0;
  if (t->encrypt || len > INT_MAX || !gcm_start (t, ssrc, index, aad, aad_len, aad2, aad2_len))
    return FALSE;
  if (len > 0 && (EVP_DecryptUpdate (t->cipher, data, &n, data, (int)len) != 1 || (gsize)n != len))
    return FALSE;
  guint8 expected[CR_LEAN_SRTP_GCM_TAG_LEN];
  memcpy (expected, tag, sizeof expected);
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_octet_string (OSSL_CIPHER_PARAM_AEAD_TAG, expected, sizeof expected),
    OSSL_PARAM_construct_end (),
  };
  /* The final step compares the tags (in constant time) and fails on a mismatch. */
  return EVP_CIPHER_CTX_set_params (t->cipher, params) == 1
         && EVP_DecryptFinal_ex (t->cipher, data + len, &n) == 1;
}
