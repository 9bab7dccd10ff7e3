/* Sealing storage secrets: a round trip, every changed part refused, another key refused, plain
 * values passed through, the key file created private once and reused, and the spec reader
 * opening a sealed SecretKey with the process key. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "auth/secret_box.h"
#include "auth/secret_reader.h"
#include "task/spec.h"

static const guchar key_a[CR_SECRET_BOX_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const guchar key_b[CR_SECRET_BOX_KEY_LEN] = "0123456789abcdef0123456789abcdeF";

static void
test_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  const char *secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  g_autofree char *sealed = cr_secret_box_seal (key_a, secret, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (sealed, "sealed:v1:"));
  g_assert_true (cr_secret_box_is_sealed (sealed));
  g_assert_null (strstr (sealed, secret));
  g_assert_null (strstr (sealed, "EXAMPLE"));
  /* base64url without padding */
  g_assert_null (strpbrk (sealed + strlen ("sealed:v1:"), "+/="));
  g_autofree char *opened = cr_secret_box_open (key_a, sealed, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (opened, ==, secret);
  /* a fresh nonce each time */
  g_autofree char *again = cr_secret_box_seal (key_a, secret, NULL);
  g_assert_cmpstr (again, !=, sealed);
  g_autofree char *opened2 = cr_secret_box_open (key_a, again, &error);
  g_assert_cmpstr (opened2, ==, secret);
  /* the empty secret too */
  g_autofree char *empty = cr_secret_box_seal (key_a, "", &error);
  g_autofree char *empty_open = cr_secret_box_open (key_a, empty, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (empty_open, ==, "");
}

/* Flips one bit of byte @at of the sealed value's binary part and re-encodes it. */
static char *
flip_byte (const char *sealed, gsize at)
{
  g_autofree char *b64 = g_strdup (sealed + strlen ("sealed:v1:"));
  g_strdelimit (b64, "-", '+');
  g_strdelimit (b64, "_", '/');
  g_autoptr (GString) padded = g_string_new (b64);
  while (padded->len % 4)
    g_string_append_c (padded, '=');
  gsize len = 0;
  g_autofree guchar *box = g_base64_decode (padded->str, &len);
  g_assert_cmpuint (at, <, len);
  box[at] ^= 0x01;
  g_autofree char *enc = g_base64_encode (box, len);
  char *eq = strchr (enc, '=');
  if (eq)
    *eq = '\0';
  g_strdelimit (enc, "+", '-');
  g_strdelimit (enc, "/", '_');
  return g_strconcat ("sealed:v1:", enc, NULL);
}

static void
test_tampered (void)
{
  const char *secret = "my-storage-secret";
  g_autofree char *sealed = cr_secret_box_seal (key_a, secret, NULL);
  gsize ct_len = strlen (secret);
  /* nonce (0..11), ciphertext (12..), tag (last 16) */
  gsize positions[] = { 0, 11, 12, 12 + ct_len - 1, 12 + ct_len, 12 + ct_len + 15 };
  for (guint i = 0; i < G_N_ELEMENTS (positions); i++) {
    g_autofree char *bad = flip_byte (sealed, positions[i]);
    g_autoptr (GError) error = NULL;
    g_autofree char *opened = cr_secret_box_open (key_a, bad, &error);
    g_assert_null (opened);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_null (strstr (error->message, secret));
  }
  /* truncated, garbage, padded */
  const char *malformed[] = { "sealed:v1:", "sealed:v1:AAAA", "sealed:v1:!!!!", "sealed:v1:A" };
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++) {
    g_autoptr (GError) error = NULL;
    g_assert_null (cr_secret_box_open (key_a, malformed[i], &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
  g_autofree char *cut = g_strndup (sealed, strlen (sealed) - 2);
  g_autoptr (GError) error = NULL;
  g_assert_null (cr_secret_box_open (key_a, cut, &error));
  g_assert_nonnull (error);
}

static void
test_wrong_key (void)
{
  g_autofree char *sealed = cr_secret_box_seal (key_a, "secret-one", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_null (cr_secret_box_open (key_b, sealed, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (cr_secret_box_open (NULL, sealed, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_plain_passes (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *a = cr_secret_box_open (key_a, "plain-old-secret", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a, ==, "plain-old-secret");
  g_autofree char *b = cr_secret_box_open (NULL, "sealed:v2:x", &error);
  g_assert_cmpstr (b, ==, "sealed:v2:x");
  g_assert_false (cr_secret_box_is_sealed ("plain"));
  g_assert_false (cr_secret_box_is_sealed (NULL));
}

static void
test_key_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("secret-box-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "secret.key", NULL);
  guchar k1[CR_SECRET_BOX_KEY_LEN], k2[CR_SECRET_BOX_KEY_LEN];
  /* without create: missing is an error for load_key, no key (and no error) for init */
  g_assert_false (cr_secret_box_load_key (path, FALSE, k1, &error));
  g_clear_error (&error);
  g_assert_true (cr_secret_box_init (dir, FALSE, &error));
  g_assert_no_error (error);
  g_assert_null (cr_secret_box_default ());
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  g_assert_true (cr_secret_box_load_key (path, TRUE, k1, &error));
  g_assert_no_error (error);
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (st.st_size, ==, CR_SECRET_BOX_KEY_LEN);
  /* reused, never replaced */
  g_assert_true (cr_secret_box_load_key (path, TRUE, k2, &error));
  g_assert_cmpmem (k1, sizeof k1, k2, sizeof k2);
  g_assert_true (cr_secret_box_init (dir, FALSE, &error));
  g_assert_nonnull (cr_secret_box_default ());
  g_assert_cmpmem (cr_secret_box_default (), CR_SECRET_BOX_KEY_LEN, k1, sizeof k1);
  /* no temp file left behind */
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;
  while (g_dir_read_name (d) != NULL)
    n++;
  g_assert_cmpuint (n, ==, 1);
  /* a key file of another size is refused */
  g_assert_true (g_file_set_contents (path, "short", -1, NULL));
  g_assert_false (cr_secret_box_load_key (path, TRUE, k2, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_unlink (path);
  g_rmdir (dir);
  cr_secret_box_set_default (NULL);
}

#define SPEC_HEAD                                                                                  \
  "{\"SdkAppId\":1400000001,\"RoomId\":\"r\",\"RoomIdType\":1,\"UserId\":\"rec\","                 \
  "\"RecordParams\":{\"RecordMode\":1,\"MaxIdleTime\":30,\"StreamType\":0,\"OutputFormat\":0,"     \
  "\"AvMerge\":0,\"MaxMediaFileDuration\":1440,\"MediaId\":0,\"FillType\":0},"                     \
  "\"StorageParams\":{\"CloudStorage\":{\"Vendor\":0,\"Region\":\"ap-x\",\"Bucket\":\"b-1\","      \
  "\"AccessKey\":\"ak\",\"SecretKey\":\""

static CrTaskSpec *
spec_with_secret (const char *secret, GError **error)
{
  g_autofree char *json = g_strconcat (SPEC_HEAD, secret, "\"}}}", NULL);
  return cr_task_spec_new_from_text (json, error);
}

static void
test_spec_reader (void)
{
  g_autofree char *sealed = cr_secret_box_seal (key_a, "the-bucket-secret", NULL);
  g_autoptr (GError) error = NULL;
  cr_secret_box_set_default (key_a);
  g_autoptr (CrTaskSpec) s = spec_with_secret (sealed, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s->storage.secret_key, ==, "the-bucket-secret");
  g_assert_cmpstr (s->storage.access_key, ==, "ak");
  g_autoptr (CrTaskSpec) plain = spec_with_secret ("old-plain", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (plain->storage.secret_key, ==, "old-plain");
  /* another key: an error naming the member, never the value */
  cr_secret_box_set_default (key_b);
  g_autoptr (CrTaskSpec) none = spec_with_secret (sealed, &error);
  g_assert_null (none);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "SecretKey"));
  g_assert_null (strstr (error->message, "the-bucket-secret"));
  g_assert_null (strstr (error->message, sealed + 10));
  g_clear_error (&error);
  /* no opener at all (a worker, which never sets a key): the sealed value stays sealed, no
   * secret and no error; a plain one still reads */
  cr_secret_reader_set (NULL);
  g_autoptr (CrTaskSpec) worker = spec_with_secret (sealed, &error);
  g_assert_no_error (error);
  g_assert_nonnull (worker);
  g_assert_null (worker->storage.secret_key);
  g_assert_cmpstr (worker->storage.access_key, ==, "ak");
  g_autoptr (CrTaskSpec) worker_plain = spec_with_secret ("old-plain", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (worker_plain->storage.secret_key, ==, "old-plain");
  /* setting a key (even none) registers the box's opener again: no key is an error */
  cr_secret_box_set_default (NULL);
  g_autoptr (CrTaskSpec) no_key = spec_with_secret (sealed, &error);
  g_assert_null (no_key);
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/secret-box/round-trip", test_round_trip);
  g_test_add_func ("/secret-box/tampered", test_tampered);
  g_test_add_func ("/secret-box/wrong-key", test_wrong_key);
  g_test_add_func ("/secret-box/plain-passes", test_plain_passes);
  g_test_add_func ("/secret-box/key-file", test_key_file);
  g_test_add_func ("/secret-box/spec-reader", test_spec_reader);
  return g_test_run ();
}
