/* The S3 client's body digests; see s3_digest.h. */
#include "blob/s3_digest.h"

#include "auth/crypto_util.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
cr_s3_digests_clear (Digests *d)
{
  g_clear_pointer (&d->md5_b64, g_free);
}

static void
hasher_clear (Hasher *h)
{
  g_clear_pointer (&h->sha, EVP_MD_CTX_free);
  g_clear_pointer (&h->md5, EVP_MD_CTX_free);
}

static gboolean
hasher_fail (Hasher *h, const char *what, GError **error)
{
  hasher_clear (h);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "hashing the body: %s failed", what);
  return FALSE;
}

gboolean
cr_s3_hasher_init (Hasher *h, GError **error)
{
  h->sha = EVP_MD_CTX_new ();
  h->md5 = EVP_MD_CTX_new ();
  if (h->sha == NULL || h->md5 == NULL || EVP_DigestInit_ex (h->sha, EVP_sha256 (), NULL) != 1
      || EVP_DigestInit_ex (h->md5, EVP_md5 (), NULL) != 1)
    return hasher_fail (h, "EVP_DigestInit_ex", error);
  return TRUE;
}

gboolean
cr_s3_hasher_update (Hasher *h, const void *data, gsize len, GError **error)
{
  if (EVP_DigestUpdate (h->sha, data, len) != 1 || EVP_DigestUpdate (h->md5, data, len) != 1)
    return hasher_fail (h, "EVP_DigestUpdate", error);
  return TRUE;
}

/* Fills @d from @h and frees @h's contexts, on success and on failure. */
gboolean
cr_s3_hasher_finish (Hasher *h, Digests *d, GError **error)
{
  guchar sha[EVP_MAX_MD_SIZE], md5[EVP_MAX_MD_SIZE];
  unsigned sha_len = 0, md5_len = 0;
  if (EVP_DigestFinal_ex (h->sha, sha, &sha_len) != 1
      || EVP_DigestFinal_ex (h->md5, md5, &md5_len) != 1 || sha_len != 32 || md5_len != 16)
    return hasher_fail (h, "EVP_DigestFinal_ex", error);
  hasher_clear (h);
  g_autofree char *sha_hex = cr_hex_encode (sha, sha_len);
  g_autofree char *md5_hex = cr_hex_encode (md5, md5_len);
  g_strlcpy (d->sha256, sha_hex, sizeof d->sha256);
  g_strlcpy (d->md5_hex, md5_hex, sizeof d->md5_hex);
  d->md5_b64 = g_base64_encode (md5, md5_len);
  return TRUE;
}

#define HASH_BUF_SIZE (256 * 1024)

gboolean
cr_s3_hash_fd_range (int fd, goffset offset, gsize len, Digests *d, GError **error)
{
  Hasher h = { 0 };
  if (!cr_s3_hasher_init (&h, error))
    return FALSE;
  g_autofree guchar *buf = g_malloc (HASH_BUF_SIZE);
  for (gsize done = 0; done < len;) {
    ssize_t n = pread (fd, buf, MIN (HASH_BUF_SIZE, len - done), offset + (goffset)done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      hasher_clear (&h);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "reading the file: %s",
                   n < 0 ? g_strerror (err) : "shorter than expected");
      return FALSE;
    }
    if (!cr_s3_hasher_update (&h, buf, (gsize)n, error))
      return FALSE;
    done += (gsize)n;
  }
  return cr_s3_hasher_finish (&h, d, error);
}

int
cr_s3_open_file (const char *path, gint64 *size, GError **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) != 0) {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "%s: %s", path, g_strerror (err));
    if (fd >= 0)
      close (fd);
    return -1;
  }
  *size = st.st_size;
  return fd;
}
