/* fetch-deny ranges: parsing (and its errors), IPv4 / IPv6 / IPv4-mapped matches, and the libsoup
 * guard refusing a connection to a denied address before anything is sent. */
#include <string.h>

#include "common/net_filter.h"

static gboolean
allows (const CrNetFilter *f, const char *ip)
{
  g_autoptr (GInetAddress) a = g_inet_address_new_from_string (ip);
  g_assert_nonnull (a);
  return cr_net_filter_allows (f, a);
}

static void
test_parse_errors (void)
{
  const char *bad[] = { "10.0.0.0/33",          "fe80::/129",      "10.0.0.0/",
                        "10.0.0.0/x",           "300.1.1.1/8",     "example.com",
                        "10.0.0.0/8,,fd00::/8", "10.0.0.1/8",      "fe80::1/10",
                        "10.0.0.0/-1",          "10.0.0.0/8 junk", " , " };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (CrNetFilter) f = cr_net_filter_new (bad[i], &error);
    if (f != NULL)
      g_error ("\"%s\" was accepted", bad[i]);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "range"));
  }
  g_autoptr (GError) error = NULL;
  g_autoptr (CrNetFilter) f = cr_net_filter_new ("10.0.0.0/8, 300.0.0.0/8", &error);
  g_assert_null (f);
  g_assert_nonnull (strstr (error->message, "300.0.0.0/8")); /* names the bad entry */
}

static void
test_empty_allows_all (void)
{
  g_autoptr (CrNetFilter) f = cr_net_filter_new ("", NULL);
  g_assert_nonnull (f);
  g_assert_true (allows (f, "169.254.169.254"));
  g_assert_true (allows (f, "::1"));
  g_assert_true (allows (NULL, "127.0.0.1"));
}

static void
test_default_link_local (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrNetFilter) f = cr_net_filter_new (CR_NET_FILTER_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_false (allows (f, "169.254.169.254"));
  g_assert_false (allows (f, "169.254.0.0"));
  g_assert_false (allows (f, "169.254.255.255"));
  g_assert_true (allows (f, "169.253.255.255"));
  g_assert_true (allows (f, "169.255.0.0"));
  g_assert_true (allows (f, "127.0.0.1"));
  g_assert_false (allows (f, "fe80::1"));
  g_assert_false (allows (f, "febf:ffff::1"));
  g_assert_true (allows (f, "fec0::1"));
  g_assert_true (allows (f, "::1"));
  /* The metadata address written as IPv4-mapped IPv6 is the same host. */
  g_assert_false (allows (f, "::ffff:169.254.169.254"));
  g_assert_true (allows (f, "::ffff:8.8.8.8"));
  g_assert_cmpstr (cr_net_filter_match (f, NULL), ==, NULL);
}

static void
test_v4_v6_matches (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrNetFilter) f
      = cr_net_filter_new ("127.0.0.0/8,10.1.2.3, 192.168.0.0/16 ,fd00::/8,::1,0.0.0.0/32", &error);
  g_assert_no_error (error);
  g_assert_false (allows (f, "127.0.0.1"));
  g_assert_false (allows (f, "127.255.1.2"));
  g_assert_true (allows (f, "128.0.0.1"));
  g_assert_false (allows (f, "10.1.2.3"));
  g_assert_true (allows (f, "10.1.2.4"));
  g_assert_false (allows (f, "192.168.77.1"));
  g_assert_true (allows (f, "192.169.0.1"));
  g_assert_false (allows (f, "fd12:3456::1"));
  g_assert_true (allows (f, "fe00::1"));
  g_assert_false (allows (f, "::1"));
  g_assert_true (allows (f, "::2"));
  g_assert_false (allows (f, "0.0.0.0"));
  g_autoptr (GInetAddress) two = g_inet_address_new_from_string ("127.0.0.2");
  g_assert_cmpstr (cr_net_filter_match (f, two), ==, "127.0.0.0/8");
  /* IPv4-mapped IPv6 addresses are matched as IPv4, both ways. */
  g_assert_false (allows (f, "::ffff:127.0.0.1"));
  g_assert_true (allows (f, "::ffff:128.0.0.1"));
  g_autoptr (CrNetFilter) mapped = cr_net_filter_new ("::ffff:10.0.0.0/104", &error);
  g_assert_no_error (error);
  g_assert_false (allows (mapped, "10.9.9.9"));
  g_assert_true (allows (mapped, "11.0.0.0"));
  /* /0 denies the whole family it is written in: 0.0.0.0/0 is every IPv4 address only. */
  g_autoptr (CrNetFilter) all4 = cr_net_filter_new ("0.0.0.0/0", &error);
  g_assert_false (allows (all4, "8.8.8.8"));
  g_assert_true (allows (all4, "2001:db8::1"));
  g_autoptr (CrNetFilter) all = cr_net_filter_new ("::/0", &error);
  g_assert_false (allows (all, "2001:db8::1"));
  g_assert_false (allows (all, "8.8.8.8"));
  g_autoptr (CrNetFilter) copy = cr_net_filter_copy (f);
  g_assert_false (allows (copy, "127.0.0.1"));
  g_assert_true (allows (copy, "128.0.0.1"));
}

/* A listening socket nobody accepts on: the kernel completes connections into its backlog, so a
 * pending connection after the request shows that one was made. */
static GSocket *
listen_loopback (guint16 *port)
{
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) sa = g_inet_socket_address_new (lo, 0);
  GSocket *s
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_assert_true (g_socket_bind (s, sa, TRUE, NULL));
  g_assert_true (g_socket_listen (s, NULL));
  g_autoptr (GSocketAddress) bound = g_socket_get_local_address (s, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_set_blocking (s, FALSE);
  return s;
}

static gboolean
connection_pending (GSocket *listener)
{
  g_autoptr (GSocket) c = g_socket_accept (listener, NULL, NULL);
  return c != NULL;
}

static void
test_soup_guard (void)
{
  guint16 port = 0;
  g_autoptr (GSocket) listener = listen_loopback (&port);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/picture.png", port);
  g_autofree char *by_name = g_strdup_printf ("http://localhost:%u/picture.png", port);
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 1, NULL);
  g_autoptr (CrNetFilter) deny = cr_net_filter_new ("127.0.0.0/8,::1", NULL);
  g_autoptr (CrNetFilter) other = cr_net_filter_new ("10.0.0.0/8", NULL);

  /* Denied, by address and by a name resolving to it: the send fails, says why, and no
   * connection reaches the listener. */
  const char *urls[] = { url, by_name };
  for (guint i = 0; i < G_N_ELEMENTS (urls); i++) {
    g_autoptr (SoupMessage) msg = soup_message_new ("GET", urls[i]);
    cr_net_filter_guard_soup_message (deny, msg);
    g_autoptr (GError) error = NULL;
    g_autoptr (GInputStream) in = soup_session_send (session, msg, NULL, &error);
    g_assert_null (in);
    g_assert_nonnull (error);
    const char *why = cr_net_filter_soup_refusal (msg);
    g_assert_nonnull (why);
    g_assert_true (strstr (why, "127.0.0.0/8") != NULL || strstr (why, "::1") != NULL);
    g_assert_false (connection_pending (listener));
  }

  /* Allowed (another range): the connection is made (the request then times out unanswered). */
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  cr_net_filter_guard_soup_message (other, msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) in = soup_session_send (session, msg, NULL, &error);
  g_assert_null (in); /* unanswered */
  g_assert_null (cr_net_filter_soup_refusal (msg));
  g_assert_true (connection_pending (listener));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/net_filter/parse_errors", test_parse_errors);
  g_test_add_func ("/net_filter/empty_allows_all", test_empty_allows_all);
  g_test_add_func ("/net_filter/default_link_local", test_default_link_local);
  g_test_add_func ("/net_filter/v4_v6_matches", test_v4_v6_matches);
  g_test_add_func ("/net_filter/soup_guard", test_soup_guard);
  return g_test_run ();
}
