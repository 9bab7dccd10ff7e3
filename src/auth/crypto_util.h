/* Small crypto helpers over GLib's GHmac/GChecksum shared by TC3, UserSig and callback signing. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* HMAC-SHA256 of @msg with @key into @out (32 bytes). */
void cr_hmac_sha256 (const guchar *key, gsize key_len, const guchar *msg, gsize msg_len,
                     guchar out[32]);
/* Lowercase hex SHA-256 of @data. */
char *cr_sha256_hex (const guchar *data, gsize len);
/* Lowercase hex of @len bytes. */
char *cr_hex_encode (const guchar *data, gsize len);
/* Compares without an early exit, so timing does not reveal the first differing byte. */
gboolean cr_const_time_equal (const guchar *a, const guchar *b, gsize len);

G_END_DECLS
