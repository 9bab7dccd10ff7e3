/* ice-public-address: which candidate lines of an answer get a public copy, and what the copy
 * says (foundation, priority, address, the rest unchanged, the line ending kept). */
#include <string.h>

#include "ingest/sdp_answer.h"

static void
test_copies (void)
{
  const char *sdp = "v=0\r\n"
                    "a=candidate:1 1 UDP 2015363327 10.0.0.5 40000 typ host\r\n"
                    "a=candidate:2 1 TCP 1015021823 10.0.0.5 9 typ host tcptype active\r\n"
                    "a=candidate:3 1 UDP 2015363583 fe80::1 40002 typ host\r\n"
                    "a=candidate:4 1 UDP 1679946239 198.51.100.9 40003 typ srflx raddr 10.0.0.5 "
                    "rport 40000\r\n"
                    "a=candidate:5 1 UDP 2015363327 203.0.113.7 40004 typ host\r\n"
                    "a=candidate:12345678901234567890123456789012 2 udp 7 127.0.0.1 40005 typ "
                    "host generation 0\n"
                    "a=end-of-candidates\r\n";
  g_autofree char *out = cr_sdp_answer_add_public_candidates (sdp, "203.0.113.7");
  const char *want = "v=0\r\n"
                     "a=candidate:1 1 UDP 2015363327 10.0.0.5 40000 typ host\r\n"
                     "a=candidate:P1 1 UDP 2015363326 203.0.113.7 40000 typ host\r\n"
                     "a=candidate:2 1 TCP 1015021823 10.0.0.5 9 typ host tcptype active\r\n"
                     "a=candidate:3 1 UDP 2015363583 fe80::1 40002 typ host\r\n"
                     "a=candidate:4 1 UDP 1679946239 198.51.100.9 40003 typ srflx raddr "
                     "10.0.0.5 rport 40000\r\n"
                     "a=candidate:5 1 UDP 2015363327 203.0.113.7 40004 typ host\r\n"
                     "a=candidate:12345678901234567890123456789012 2 udp 7 127.0.0.1 40005 typ "
                     "host generation 0\n"
                     "a=candidate:P1234567890123456789012345678901 2 udp 6 203.0.113.7 40005 typ "
                     "host generation 0\n"
                     "a=end-of-candidates\r\n";
  g_assert_cmpstr (out, ==, want);
}

static void
test_ipv6_public (void)
{
  const char *sdp = "a=candidate:1 1 UDP 100 10.0.0.5 40000 typ host\r\n"
                    "a=candidate:2 1 UDP 100 fd00::5 40001 typ host\r\n";
  g_autofree char *out = cr_sdp_answer_add_public_candidates (sdp, "2001:db8::7");
  g_assert_cmpstr (out, ==,
                   "a=candidate:1 1 UDP 100 10.0.0.5 40000 typ host\r\n"
                   "a=candidate:2 1 UDP 100 fd00::5 40001 typ host\r\n"
                   "a=candidate:P2 1 UDP 99 2001:db8::7 40001 typ host\r\n");
}

static void
test_malformed_left_alone (void)
{
  const char *bad[] = {
    "a=candidate:1 1 UDP x 10.0.0.5 40000 typ host\r\n", /* priority not a number */
    "a=candidate:1 1 UDP 0 10.0.0.5 40000 typ host\r\n", /* priority 0 */
    "a=candidate:1 1 UDP 5 not-an-ip 40000 typ host\r\n",
    "a=candidate:1 1 UDP 5 10.0.0.5\r\n", /* too short */
    "a=candidate:",
    "",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *out = cr_sdp_answer_add_public_candidates (bad[i], "203.0.113.7");
    g_assert_cmpstr (out, ==, bad[i]);
  }
  g_autofree char *none = cr_sdp_answer_add_public_candidates (
      "a=candidate:1 1 UDP 5 10.0.0.5 1 typ host\r\n", "not-an-ip");
  g_assert_cmpstr (none, ==, "a=candidate:1 1 UDP 5 10.0.0.5 1 typ host\r\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sdp-answer/copies", test_copies);
  g_test_add_func ("/sdp-answer/ipv6-public", test_ipv6_public);
  g_test_add_func ("/sdp-answer/malformed", test_malformed_left_alone);
  return g_test_run ();
}
