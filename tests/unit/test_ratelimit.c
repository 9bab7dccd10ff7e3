/* Token bucket: exactly N per second, refill over time, keys independent. */
#include "api/rate_limit.h"

static void
test_burst_then_refill (void)
{
  g_autoptr (CrRateLimit) rl = cr_rate_limit_new (20);
  gint64 t = 1000000;
  for (int i = 0; i < 20; i++)
    g_assert_true (cr_rate_limit_allow (rl, 1, t));
  g_assert_false (cr_rate_limit_allow (rl, 1, t));
  g_assert_true (cr_rate_limit_allow (rl, 2, t));          /* another app is unaffected */
  g_assert_false (cr_rate_limit_allow (rl, 1, t + 49000)); /* 0.98 token */
  g_assert_true (cr_rate_limit_allow (rl, 1, t + 50000));  /* 1 token after 50 ms */
  g_assert_false (cr_rate_limit_allow (rl, 1, t + 50000));
  /* A long pause refills to the burst size, not beyond. */
  int allowed = 0;
  for (int i = 0; i < 100; i++)
    allowed += cr_rate_limit_allow (rl, 1, t + 60 * G_USEC_PER_SEC);
  g_assert_cmpint (allowed, ==, 20);
}

static void
test_sustained_rate (void)
{
  g_autoptr (CrRateLimit) rl = cr_rate_limit_new (20);
  int allowed = 0;
  /* 1000 calls evenly over 10 s: 20 burst + 20/s * 10 s. */
  for (int i = 0; i < 1000; i++)
    allowed += cr_rate_limit_allow (rl, 7, (gint64)i * 10000);
  g_assert_cmpint (allowed, >=, 218);
  g_assert_cmpint (allowed, <=, 220);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rate-limit/burst-then-refill", test_burst_then_refill);
  g_test_add_func ("/rate-limit/sustained", test_sustained_rate);
  return g_test_run ();
}
