/* AES-256-GCM sealing of short secrets; see secret_box.h. */
#include "secret_box.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>
#include <unistd.h>

#include "auth/secret_reader.h"
#include "common/b64.h"
#include "common/file_util.h"

#define NONCE_LEN 12
#define TAG_LEN 16
/* Bound to every sealed value: a ciphertext of another kind or version does not open as this. */
static const guchar aad[] = "cloudrec secret v1";

static guchar process_key[CR_SECRET_BOX_KEY_LEN];
static gboolean process_key_set;

static char *
b64url_encode (const guchar *data, gsize len)
{
  char *s = g_base64_encode (data, len);
  char *end = strchr (s, '=');
  if (end != NULL)
    *end = '\0';
  g_strdelimit (s, "+", '-');
  g_strdelimit (s, "/", '_');
  return s;
}

static guchar *
b64url_decode (const char *text, gsize *out_len)
{
  if (strpbrk (text, "+/=") != NULL)
    return NULL;
  gsize n = strlen (text);
  if (n % 4 == 1)
    return NULL;
  g_autoptr (GString) std = g_string_new (text);
  g_strdelimit (std->str, "-", '+');
  g_strdelimit (std->str, "_", '/');
  while (std->len % 4 != 0)
    g_string_append_c (std, '=');
  return cr_b64_decode_strict (std->str, out_len);
}

char *
cr_secret_box_seal (const guchar key[CR_SECRET_BOX_KEY_LEN], const char *plain, GError **error)
{
  gsize len = strlen (plain);
  g_autofree guchar *box = g_malloc (NONCE_LEN + len + TAG_LEN);
  guchar *nonce = box, *ct = box + NONCE_LEN, *tag = box + NONCE_LEN + len;
  EVP_CIPHER_CTX *ctx = NULL;
  int n = 0, fin = 0;
  gboolean ok = RAND_bytes (nonce, NONCE_LEN) == 1 && (ctx = EVP_CIPHER_CTX_new ()) != NULL
                && EVP_EncryptInit_ex (ctx, EVP_aes_256_gcm (), NULL, key, nonce) == 1
                && EVP_EncryptUpdate (ctx, NULL, &n, aad, sizeof aad - 1) == 1
                && EVP_EncryptUpdate (ctx, ct, &n, (const guchar *)plain, (int)len) == 1
                && EVP_EncryptFinal_ex (ctx, ct + n, &fin) == 1 && (gsize)(n + fin) == len
                && EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
  EVP_CIPHER_CTX_free (ctx);
  if (!ok) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot seal a secret (AES-256-GCM failed)");
    return NULL;
  }
  g_autofree char *text = b64url_encode (box, NONCE_LEN + len + TAG_LEN);
  return g_strconcat (CR_SECRET_BOX_PREFIX, text, NULL);
}

gboolean
cr_secret_box_is_sealed (const char *text)
{
  return text != NULL && g_str_has_prefix (text, CR_SECRET_BOX_PREFIX);
}

char *
cr_secret_box_open (const guchar *key, const char *text, GError **error)
{
  if (!cr_secret_box_is_sealed (text))
    return g_strdup (text);
  if (key == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "the value is sealed but no secret key is loaded (" CR_SECRET_BOX_KEY_FILE
                 " of the data directory)");
    return NULL;
  }
  gsize len = 0;
  g_autofree guchar *box = b64url_decode (text + strlen (CR_SECRET_BOX_PREFIX), &len);
  if (box == NULL || len < NONCE_LEN + TAG_LEN) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the sealed value is malformed");
    return NULL;
  }
  gsize ct_len = len - NONCE_LEN - TAG_LEN;
  g_autofree char *plain = g_malloc0 (ct_len + 1);
  EVP_CIPHER_CTX *ctx = NULL;
  int n = 0, fin = 0;
  gboolean ok
      = (ctx = EVP_CIPHER_CTX_new ()) != NULL
        && EVP_DecryptInit_ex (ctx, EVP_aes_256_gcm (), NULL, key, box) == 1
        && EVP_DecryptUpdate (ctx, NULL, &n, aad, sizeof aad - 1) == 1
        && EVP_DecryptUpdate (ctx, (guchar *)plain, &n, box + NONCE_LEN, (int)ct_len) == 1
        && EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, box + NONCE_LEN + ct_len) == 1
        && EVP_DecryptFinal_ex (ctx, (guchar *)plain + n, &fin) == 1 && (gsize)(n + fin) == ct_len;
  EVP_CIPHER_CTX_free (ctx);
  if (!ok || memchr (plain, '\0', ct_len) != NULL) {
    memset (plain, 0, ct_len);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "the sealed value does not open with this data directory's secret key (another "
                 "key, or the value was changed)");
    return NULL;
  }
  return g_steal_pointer (&plain);
}

static gboolean
key_read (const char *path, guchar key[CR_SECRET_BOX_KEY_LEN], GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, error))
    return FALSE;
  gboolean ok = len == CR_SECRET_BOX_KEY_LEN;
  if (ok)
    memcpy (key, data, CR_SECRET_BOX_KEY_LEN);
  memset (data, 0, len);
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "%s: a secret key file holds %d bytes, this one %" G_GSIZE_FORMAT, path,
                 CR_SECRET_BOX_KEY_LEN, len);
  return ok;
}

/* A new key written to a private temp file, made durable, then linked into place: link() fails
 * if another process created the key meanwhile, and theirs is kept. */
static gboolean
key_create (const char *path, GError **error)
{
  guchar key[CR_SECRET_BOX_KEY_LEN];
  if (RAND_bytes (key, sizeof key) != 1) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no random bytes for a secret key");
    return FALSE;
  }
  g_autofree char *tmp = g_strdup_printf ("%s.%d.tmp", path, (int)getpid ());
  int fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  gboolean ok
      = fd >= 0 && fchmod (fd, 0600) == 0 && cr_write_all (fd, key, sizeof key) && fsync (fd) == 0;
  int saved = errno;
  memset (key, 0, sizeof key);
  if (fd >= 0 && close (fd) != 0 && ok) {
    ok = FALSE;
    saved = errno;
  }
  if (ok && link (tmp, path) != 0 && errno != EEXIST) {
    ok = FALSE;
    saved = errno;
  }
  g_unlink (tmp);
  if (!ok) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot create %s: %s", path,
                 g_strerror (saved));
    return FALSE;
  }
  return cr_file_sync (path, error);
}

gboolean
cr_secret_box_load_key (const char *path, gboolean create, guchar key[CR_SECRET_BOX_KEY_LEN],
                        GError **error)
{
  if (create && !g_file_test (path, G_FILE_TEST_EXISTS) && !key_create (path, error))
    return FALSE;
  return key_read (path, key, error);
}

gboolean
cr_secret_box_init (const char *data_dir, gboolean create, GError **error)
{
  g_autofree char *path = g_build_filename (data_dir, CR_SECRET_BOX_KEY_FILE, NULL);
  if (!create && !g_file_test (path, G_FILE_TEST_EXISTS)) {
    cr_secret_box_set_default (NULL);
    return TRUE;
  }
  guchar key[CR_SECRET_BOX_KEY_LEN];
  if (!cr_secret_box_load_key (path, create, key, error))
    return FALSE;
  cr_secret_box_set_default (key);
  memset (key, 0, sizeof key);
  return TRUE;
}

/* The spec reader's opener (auth/secret_reader.h): the process-wide key, as it is when read. */
static char *
secret_box_open_default (const char *stored, GError **error)
{
  return cr_secret_box_open (cr_secret_box_default (), stored, error);
}

void
cr_secret_box_set_default (const guchar *key)
{
  /* Registered for good: a process that has set a key (even none) reads sealed values as
   * before, an error when there is no key. */
  cr_secret_reader_set (secret_box_open_default);
  process_key_set = key != NULL;
  if (key != NULL)
    memcpy (process_key, key, CR_SECRET_BOX_KEY_LEN);
  else
    memset (process_key, 0, sizeof process_key);
}

const guchar *
cr_secret_box_default (void)
{
  return process_key_set ? process_key : NULL;
}
