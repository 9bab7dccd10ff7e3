/* TRTC base64 variants: the reference §10.2 file-name examples and strict decoding. */
#include <string.h>

#include "common/b64.h"

static void
test_filename_examples (void)
{
  struct {
    const char *in, *out;
  } cases[] = {
    { "1686119", "MTY4NjExOQ.." },
    { "room??", "cm9vbT8-" },
    { "user?>~", "dXNlcj8+fg.." },
    { "ab", "YWI." },
    { "4c993597-4210-4796-bd2d-990f7b52b1da", "NGM5OTM1OTctNDIxMC00Nzk2LWJkMmQtOTkwZjdiNTJiMWRh" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *s = cr_b64_filename_encode ((const guchar *)cases[i].in, strlen (cases[i].in));
    g_assert_cmpstr (s, ==, cases[i].out);
  }
}

static void
test_usersig_alphabet (void)
{
  const guchar raw[] = { 0xfb, 0xff, 0xbf, 0x01 }; /* base64 "+/+/AQ==" */
  g_autofree char *s = cr_b64_usersig_encode (raw, sizeof raw);
  g_assert_cmpstr (s, ==, "*-*-AQ__");
  gsize n = 0;
  g_autofree guchar *back = cr_b64_usersig_decode (s, &n);
  g_assert_cmpmem (back, n, raw, sizeof raw);
  g_assert_null (cr_b64_usersig_decode ("+/+/AQ==", &n));
}

static void
test_strict_decode (void)
{
  gsize n = 0;
  const char *bad[] = { "", "A", "AB$=", "A===", "ABC", "AB=C", NULL };
  for (int i = 0; bad[i]; i++)
    g_assert_null (cr_b64_decode_strict (bad[i], &n));
  g_autofree guchar *ok = cr_b64_decode_strict ("YWI=", &n);
  g_assert_cmpmem (ok, n, "ab", 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/b64/filename-examples", test_filename_examples);
  g_test_add_func ("/b64/usersig-alphabet", test_usersig_alphabet);
  g_test_add_func ("/b64/strict-decode", test_strict_decode);
  return g_test_run ();
}
