/* UserSig: the reference vectors verify, every mismatch is named, hostile tickets fail cleanly. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "auth/usersig.h"
#include "common/b64.h"
#include <zlib.h>

typedef struct {
  gint64 sdkappid, expire, time;
  char *key, *userid, *usersig, *userbuf;
} Vector;

static void
vector_free (Vector *v)
{
  g_free (v->key);
  g_free (v->userid);
  g_free (v->usersig);
  g_free (v->userbuf);
  g_free (v);
}

static GPtrArray *
load_vectors (void)
{
  g_autofree char *path
      = g_build_filename (g_getenv ("CLOUDREC_TEST_VECTORS"), "usersig_vectors.jsonl", NULL);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)vector_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", 0);
  for (char **l = lines; *l; l++) {
    if (**l == '\0')
      continue;
    g_autoptr (JsonParser) p = json_parser_new ();
    g_assert_true (json_parser_load_from_data (p, *l, -1, NULL));
    JsonObject *o = json_node_get_object (json_parser_get_root (p));
    Vector *v = g_new0 (Vector, 1);
    if (json_object_has_member (o, "privatemapkey")) {
      JsonObject *d = json_object_get_object_member (o, "decoded");
      v->usersig = g_strdup (json_object_get_string_member (o, "privatemapkey"));
      v->sdkappid = json_object_get_int_member (d, "TLS.sdkappid");
      v->userid = g_strdup (json_object_get_string_member (d, "TLS.identifier"));
      v->time = json_object_get_int_member (d, "TLS.time");
      v->expire = json_object_get_int_member (d, "TLS.expire");
      v->userbuf = g_strdup (json_object_get_string_member (o, "userbuf_hex"));
      v->key = g_strdup ("ExampleUserSigKeyExampleUserSigKeyExampleUserSigKey0123456789abcd");
    } else {
      v->usersig = g_strdup (json_object_get_string_member (o, "usersig"));
      v->sdkappid = json_object_get_int_member (o, "sdkappid");
      v->userid = g_strdup (json_object_get_string_member (o, "userid"));
      v->time = json_object_get_int_member (o, "time");
      v->expire = json_object_get_int_member (o, "expire");
      v->key = g_strdup (json_object_get_string_member (o, "key"));
    }
    g_ptr_array_add (out, v);
  }
  g_assert_cmpuint (out->len, ==, 3);
  return out;
}

static void
test_vectors_verify (void)
{
  g_autoptr (GPtrArray) vs = load_vectors ();
  for (guint i = 0; i < vs->len; i++) {
    Vector *v = g_ptr_array_index (vs, i);
    g_autoptr (GError) error = NULL;
    g_autoptr (CrUserSig) sig
        = cr_usersig_verify (v->usersig, (guint64)v->sdkappid, v->userid, v->key, v->time, &error);
    g_assert_no_error (error);
    g_assert_cmpint (sig->expire, ==, v->expire);
    if (v->userbuf != NULL) {
      gsize n = 0;
      const guchar *b = g_bytes_get_data (sig->userbuf, &n);
      g_autofree char *hex = g_malloc0 (n * 2 + 1);
      for (gsize j = 0; j < n; j++)
        sprintf (hex + 2 * j, "%02x", b[j]);
      g_assert_cmpstr (hex, ==, v->userbuf);
    }
    /* Last valid second, then expired. */
    g_autoptr (CrUserSig) last = cr_usersig_verify (v->usersig, (guint64)v->sdkappid, v->userid,
                                                    v->key, v->time + v->expire, NULL);
    g_assert_nonnull (last);
    g_assert_null (cr_usersig_verify (v->usersig, (guint64)v->sdkappid, v->userid, v->key,
                                      v->time + v->expire + 1, &error));
    g_assert_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_EXPIRED);
    g_clear_error (&error);
    g_assert_null (cr_usersig_verify (v->usersig, (guint64)v->sdkappid, v->userid, "wrong-key",
                                      v->time, &error));
    g_assert_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_BAD_SIGNATURE);
    g_clear_error (&error);
    g_assert_null (cr_usersig_verify (v->usersig, (guint64)v->sdkappid + 1, v->userid, v->key,
                                      v->time, &error));
    g_assert_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_APP_MISMATCH);
    g_clear_error (&error);
    g_assert_null (cr_usersig_verify (v->usersig, (guint64)v->sdkappid, "someone-else", v->key,
                                      v->time, &error));
    g_assert_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_USER_MISMATCH);
  }
}

/* Our own tickets round-trip, and differ in bytes from the reference yet both verify. */
static void
test_generate_round_trip (void)
{
  const char *key = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
  g_autofree char *sig
      = cr_usersig_generate (1400000000, key, "xiaojun", 15552000, 1700000000, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrUserSig) d = cr_usersig_verify (sig, 1400000000, "xiaojun", key, 1700000000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (d->sig_text, ==, "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=");
  guchar buf[] = { 1, 2, 3, 250 };
  g_autoptr (GBytes) ub = g_bytes_new (buf, sizeof buf);
  g_autofree char *sig2 = cr_usersig_generate (1400000001, "k", "u-1", 60, 1000, ub);
  g_autoptr (CrUserSig) d2 = cr_usersig_verify (sig2, 1400000001, "u-1", "k", 1060, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (d2->userbuf, ub));
}

static void
test_hostile (void)
{
  const char *bad[] = { "",
                        "!!!!",
                        "eJw",
                        "AAAA",
                        "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwhWZiflZpXlQqeKU7MSCgswUJStDEwMogM"
                        "iUZOamKlkZmqOKplYUZBaBxE1NTY3gosWZ6UpWSj5ljuYp",
                        "abc+def/",
                        NULL };
  for (int i = 0; bad[i]; i++) {
    g_autoptr (GError) error = NULL;
    g_assert_null (cr_usersig_verify (bad[i], 1, "u", "k", 0, &error));
    g_assert_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_MALFORMED);
  }
  /* A zlib bomb: 1 MB of zeros compresses to ~1 KB but must not be inflated past the bound. */
  g_autofree guchar *zeros = g_malloc0 (1 << 20);
  gsize zlen = compressBound (1 << 20);
  g_autofree guchar *z = g_malloc (zlen);
  g_assert_cmpint (compress2 (z, &zlen, zeros, 1 << 20, 9), ==, 0);
  g_autofree char *bomb = cr_b64_usersig_encode (z, zlen);
  g_autoptr (GError) error = NULL;
  g_assert_null (cr_usersig_verify (bomb, 1, "u", "k", 0, &error));
  g_assert_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_MALFORMED);
  /* Valid zlib of JSON with the wrong shapes. */
  const char *shapes[] = { "[]", "{\"TLS.ver\":\"2.0\"}",
                           "{\"TLS.ver\":\"2.0\",\"TLS.identifier\":\"u\",\"TLS.sdkappid\":\"1\","
                           "\"TLS.time\":1,\"TLS.expire\":1,\"TLS.sig\":\"x\"}",
                           "{\"TLS.ver\":\"2.0\",\"TLS.identifier\":\"u\",\"TLS.sdkappid\":1,\"TLS."
                           "time\":-1,\"TLS.expire\":1,\"TLS.sig\":\"x\"}",
                           NULL };
  for (int i = 0; shapes[i]; i++) {
    gsize n = compressBound (strlen (shapes[i]));
    g_autofree guchar *zz = g_malloc (n);
    g_assert_cmpint (compress2 (zz, &n, (const guchar *)shapes[i], strlen (shapes[i]), 9), ==, 0);
    g_autofree char *s = cr_b64_usersig_encode (zz, n);
    g_autoptr (GError) e = NULL;
    g_assert_null (cr_usersig_verify (s, 1, "u", "k", 0, &e));
    g_assert_error (e, CR_USERSIG_ERROR, CR_USERSIG_ERROR_MALFORMED);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/usersig/vectors-verify", test_vectors_verify);
  g_test_add_func ("/usersig/generate-round-trip", test_generate_round_trip);
  g_test_add_func ("/usersig/hostile", test_hostile);
  return g_test_run ();
}
