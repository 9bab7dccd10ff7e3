/* HMAC/SHA-256/hex helpers: see crypto_util.h. */
#include "crypto_util.h"

void
cr_hmac_sha256 (const guchar *key, gsize key_len, const guchar *msg, gsize msg_len, guchar out[32])
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  g_hmac_update (hmac, msg, (gssize)msg_len);
  gsize out_len = 32;
  g_hmac_get_digest (hmac, out, &out_len);
}

char *
cr_sha256_hex (const guchar *data, gsize len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
}

char *
cr_hex_encode (const guchar *data, gsize len)
{
  static const char digits[] = "0123456789abcdef";
  char *s = g_malloc (len * 2 + 1);
  for (gsize i = 0; i < len; i++) {
    s[2 * i] = digits[data[i] >> 4];
    s[2 * i + 1] = digits[data[i] & 0xf];
  }
  s[len * 2] = '\0';
  return s;
}

gboolean
cr_const_time_equal (const guchar *a, const guchar *b, gsize len)
{
  guchar diff = 0;
  for (gsize i = 0; i < len; i++)
    diff |= a[i] ^ b[i];
  return diff == 0;
}
