/* Hashing what the S3 client sends (s3_client.c): SHA-256 for x-amz-content-sha256 and MD5 for
 * Content-MD5 (and the multipart resume's ETag check), both fed from one read of the bytes.
 * Private to src/blob/. */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

/* SHA-256 (x-amz-content-sha256) and MD5 (Content-MD5) of every body, both fed from one read,
 * with OpenSSL's EVP: its SHA-NI/AVX2 code is several times faster than GChecksum's portable C,
 * which was ~70% of an upload's CPU. */
typedef struct {
  char sha256[65];
  char md5_hex[33];
  char *md5_b64;
} Digests;

typedef struct {
  EVP_MD_CTX *sha;
  EVP_MD_CTX *md5;
} Hasher;

void cr_s3_digests_clear (Digests *d);
gboolean cr_s3_hasher_init (Hasher *h, GError **error);
gboolean cr_s3_hasher_update (Hasher *h, const void *data, gsize len, GError **error);
/* Fills @d and frees the hasher's state. */
gboolean cr_s3_hasher_finish (Hasher *h, Digests *d, GError **error);
/* The digests of @len bytes of @fd from @offset. */
gboolean cr_s3_hash_fd_range (int fd, goffset offset, gsize len, Digests *d, GError **error);
/* Opens the regular file @path for reading; its size in @size. -1 with @error on failure. */
int cr_s3_open_file (const char *path, gint64 *size, GError **error);

G_END_DECLS
