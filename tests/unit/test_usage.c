/* Usage accounting: the resolution classes, a segment split across 5-minute buckets, the usage
 * actions' date rules, and the worker's report body. */
#include <string.h>

#include "common/api_error.h"
#include "usage/usage.h"

static void
test_classes (void)
{
  g_assert_cmpint (cr_usage_class (FALSE, 1920, 1080), ==, CR_USAGE_AUDIO);
  g_assert_cmpint (cr_usage_class (TRUE, 0, 0), ==, CR_USAGE_AUDIO);
  g_assert_cmpint (cr_usage_class (TRUE, 160, 90), ==, CR_USAGE_SD);
  g_assert_cmpint (cr_usage_class (TRUE, 640, 480), ==, CR_USAGE_SD);
  g_assert_cmpint (cr_usage_class (TRUE, 640, 482), ==, CR_USAGE_HD);
  g_assert_cmpint (cr_usage_class (TRUE, 1280, 720), ==, CR_USAGE_HD);
  g_assert_cmpint (cr_usage_class (TRUE, 1920, 1080), ==, CR_USAGE_FULLHD);
  g_assert_cmpint (cr_usage_class (TRUE, 2560, 1440), ==, CR_USAGE_2K);
  g_assert_cmpint (cr_usage_class (TRUE, 3840, 2160), ==, CR_USAGE_4K);
  g_assert_cmpstr (cr_usage_class_key (CR_USAGE_FULLHD), ==, "FullHD");
}

static double
seconds_of (GHashTable *acc, gint64 bucket, gboolean mixed, CrUsageClass cls)
{
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, acc);
  while (g_hash_table_iter_next (&it, NULL, &v)) {
    const CrUsageRow *r = v;
    if (r->bucket_ms == bucket && r->mixed == mixed && r->cls == cls)
      return r->seconds;
  }
  return -1;
}

static void
test_split (void)
{
  g_autoptr (GHashTable) acc = cr_usage_acc_new ();
  const gint64 b = 1764720000000; /* a 5-minute boundary */
  g_assert_cmpint (b % CR_USAGE_BUCKET_MS, ==, 0);
  /* 10 s ending 4 s into the next bucket; then 2.5 s more in that bucket; a mixed one apart. */
  cr_usage_acc_add (acc, b - 6000, 10.0, FALSE, CR_USAGE_SD);
  cr_usage_acc_add (acc, b + 4000, 2.5, FALSE, CR_USAGE_SD);
  cr_usage_acc_add (acc, b + 4000, 2.5, TRUE, CR_USAGE_SD);
  cr_usage_acc_add (acc, b, 0, FALSE, CR_USAGE_HD);    /* nothing */
  cr_usage_acc_add (acc, b, -1, FALSE, CR_USAGE_HD);   /* nothing */
  cr_usage_acc_add (acc, -5, 1.0, FALSE, CR_USAGE_HD); /* nothing */
  g_assert_cmpuint (g_hash_table_size (acc), ==, 3);
  g_assert_cmpfloat_with_epsilon (seconds_of (acc, b - CR_USAGE_BUCKET_MS, FALSE, CR_USAGE_SD), 6.0,
                                  1e-9);
  g_assert_cmpfloat_with_epsilon (seconds_of (acc, b, FALSE, CR_USAGE_SD), 6.5, 1e-9);
  g_assert_cmpfloat_with_epsilon (seconds_of (acc, b, TRUE, CR_USAGE_SD), 2.5, 1e-9);
  /* A span of three buckets. */
  g_autoptr (GHashTable) long_acc = cr_usage_acc_new ();
  cr_usage_acc_add (long_acc, b + 1000, 700.0, FALSE, CR_USAGE_AUDIO);
  g_assert_cmpfloat_with_epsilon (seconds_of (long_acc, b, FALSE, CR_USAGE_AUDIO), 299.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (
      seconds_of (long_acc, b + CR_USAGE_BUCKET_MS, FALSE, CR_USAGE_AUDIO), 300.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (
      seconds_of (long_acc, b + 2 * CR_USAGE_BUCKET_MS, FALSE, CR_USAGE_AUDIO), 101.0, 1e-9);
}

static void
test_range (void)
{
  gint64 from, to;
  gboolean fine;
  g_assert_true (cr_usage_parse_range ("2026-12-03", "2026-12-03", "X", &from, &to, &fine, NULL));
  g_assert_cmpint (from, ==, G_GINT64_CONSTANT (1796256000000)); /* 2026-12-03T00:00:00Z */
  g_assert_cmpint (to - from, ==, 24 * 3600 * 1000);
  g_assert_true (fine);
  g_assert_true (cr_usage_parse_range ("2026-12-01", "2026-12-31", "X", &from, &to, &fine, NULL));
  g_assert_false (fine);
  const struct {
    const char *a, *b, *code, *msg;
  } bad[] = {
    { "2026-12-01", "2027-01-01", "InvalidParameter.QueryScaleOversize", "32 days" },
    { "2026-12-03", "2026-12-02", "InvalidParameter", "before StartTime" },
    { "2026-02-30", "2026-03-01", "InvalidParameter", "StartTime" },
    { "2026-12-03 00:00:00", "2026-12-03", "InvalidParameter", "StartTime" },
    { "2026-12-03", "26-12-03", "InvalidParameter", "EndTime" },
    { "2026-1a-03", "2026-12-03", "InvalidParameter", "StartTime" },
    { NULL, "2026-12-03", "InvalidParameter", "StartTime" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_assert_false (cr_usage_parse_range (bad[i].a, bad[i].b, "InvalidParameter.QueryScaleOversize",
                                          &from, &to, &fine, &error));
    g_assert_cmpstr (cr_api_error_code (error), ==, bad[i].code);
    if (strstr (error->message, bad[i].msg) == NULL)
      g_error ("case %u: \"%s\" does not say %s", i, error->message, bad[i].msg);
  }
}

static void
test_billed (void)
{
  const gint64 b = 1764720000000;
  g_autoptr (GHashTable) streams
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_hash_table_unref);
  /* alice: video in bucket b, audio in b and the next (where she had no picture). */
  GHashTable *alice = cr_usage_acc_new ();
  cr_usage_acc_add (alice, b, 10, FALSE, CR_USAGE_SD);
  cr_usage_acc_add (alice, b, 10.5, FALSE, CR_USAGE_AUDIO);
  cr_usage_acc_add (alice, b + CR_USAGE_BUCKET_MS, 7, FALSE, CR_USAGE_AUDIO);
  g_hash_table_insert (streams, "alice/main", alice);
  /* bob: audio only in bucket b; carol: SD in bucket b. */
  GHashTable *bob = cr_usage_acc_new ();
  cr_usage_acc_add (bob, b, 4, FALSE, CR_USAGE_AUDIO);
  g_hash_table_insert (streams, "bob/main", bob);
  GHashTable *carol = cr_usage_acc_new ();
  cr_usage_acc_add (carol, b, 3, FALSE, CR_USAGE_SD);
  g_hash_table_insert (streams, "carol/aux", carol);
  g_autoptr (GPtrArray) rows = cr_usage_billed_rows (streams);
  g_autoptr (GHashTable) acc = cr_usage_acc_new ();
  for (guint i = 0; i < rows->len; i++) {
    const CrUsageRow *r = g_ptr_array_index (rows, i);
    cr_usage_acc_add (acc, r->bucket_ms, r->seconds, r->mixed, r->cls);
  }
  g_assert_cmpuint (rows->len, ==, 3);
  g_assert_cmpfloat_with_epsilon (seconds_of (acc, b, FALSE, CR_USAGE_SD), 13.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (seconds_of (acc, b, FALSE, CR_USAGE_AUDIO), 4.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (seconds_of (acc, b + CR_USAGE_BUCKET_MS, FALSE, CR_USAGE_AUDIO),
                                  7.0, 1e-9);
}

static void
test_report_body (void)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();
  CrUsageRow r = { 1764720000000, TRUE, CR_USAGE_HD, 12.5 };
  g_ptr_array_add (rows, &r);
  g_autofree char *body = cr_usage_report_body (1400000001, "T1", 2, rows);
  g_assert_cmpstr (
      body, ==,
      "{\"SdkAppId\":1400000001,\"TaskId\":\"T1\",\"Failover\":2,\"Rows\":[{\"BucketMs\":"
      "1764720000000,\"Mixed\":1,\"Class\":2,\"Seconds\":12.5}]}");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/usage/classes", test_classes);
  g_test_add_func ("/usage/split", test_split);
  g_test_add_func ("/usage/range", test_range);
  g_test_add_func ("/usage/billed", test_billed);
  g_test_add_func ("/usage/report-body", test_report_body);
  return g_test_run ();
}
