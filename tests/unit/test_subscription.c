/* SubscribeStreamUserIds: absent lists mean everyone, allowlists and blocklists per medium, the
 * ".*$" prefix rule. */
#include "task/subscription.h"

static CrSubscription *
sub_from (const char *json)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, json, -1, NULL));
  return cr_subscription_new (json_node_get_object (json_parser_get_root (p)));
}

static void
test_everyone (void)
{
  g_autoptr (CrSubscription) none = cr_subscription_new (NULL);
  g_autoptr (CrSubscription) empty = sub_from ("{}");
  g_assert_true (cr_subscription_wants (none, "anyone", TRUE));
  g_assert_true (cr_subscription_wants (empty, "anyone", FALSE));
}

static void
test_lists (void)
{
  g_autoptr (CrSubscription) s = sub_from (
      "{\"SubscribeAudioUserIds\":[\"alice\",\"teacher_.*$\"],\"UnSubscribeVideoUserIds\":"
      "[\"bob\",\"ta.*$\"]}");
  g_assert_true (cr_subscription_wants (s, "alice", FALSE));
  g_assert_false (cr_subscription_wants (s, "alice2", FALSE));
  g_assert_true (cr_subscription_wants (s, "teacher_1", FALSE));
  g_assert_true (cr_subscription_wants (s, "teacher_", FALSE));
  g_assert_false (cr_subscription_wants (s, "teacher", FALSE));
  g_assert_false (cr_subscription_wants (s, "bob", FALSE));
  /* video: a blocklist */
  g_assert_true (cr_subscription_wants (s, "alice", TRUE));
  g_assert_false (cr_subscription_wants (s, "bob", TRUE));
  g_assert_true (cr_subscription_wants (s, "bobby", TRUE));
  g_assert_false (cr_subscription_wants (s, "tanya", TRUE));
  g_assert_true (cr_subscription_wants (s, "t", TRUE));
  /* ".*$" alone: every user; an empty allowlist: no one. */
  g_autoptr (CrSubscription) all = sub_from ("{\"SubscribeVideoUserIds\":[\".*$\"]}");
  g_assert_true (cr_subscription_wants (all, "x", TRUE));
  g_autoptr (CrSubscription) nobody = sub_from ("{\"SubscribeVideoUserIds\":[]}");
  g_assert_false (cr_subscription_wants (nobody, "x", TRUE));
  g_assert_true (cr_subscription_wants (nobody, "x", FALSE));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/subscription/everyone", test_everyone);
  g_test_add_func ("/subscription/lists", test_lists);
  return g_test_run ();
}
