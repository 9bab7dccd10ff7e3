/* The metrics registry: every declared metric rendered (zero when untouched), label escaping,
 * cumulative histogram buckets, collectors called at render time, undeclared names refused,
 * and counters safe under concurrent adds. */
#include <string.h>

#include "metrics/metrics.h"

static gboolean
has_line (const char *text, const char *line)
{
  g_autofree char *needle = g_strdup_printf ("\n%s\n", line);
  g_autofree char *hay = g_strdup_printf ("\n%s", text);
  return strstr (hay, needle) != NULL;
}

static void
test_declared_zero (void)
{
  cr_metrics_reset ();
  g_autofree char *text = cr_metrics_render ();
  g_assert_true (has_line (text, "# TYPE cloudrec_api_requests_total counter"));
  g_assert_true (has_line (text, "cloudrec_tasks_created_total 0"));
  g_assert_true (has_line (text, "cloudrec_api_request_duration_seconds_bucket{le=\"+Inf\"} 0"));
  g_assert_true (has_line (text, "cloudrec_api_request_duration_seconds_count 0"));
  g_assert_true (g_str_has_suffix (text, "\n"));
}

static void
test_labels_escaped (void)
{
  cr_metrics_reset ();
  g_autofree char *labels = cr_metrics_labels ("task_id", "a\"b\\c\nd", "x", NULL, NULL);
  g_assert_cmpstr (labels, ==, "task_id=\"a\\\"b\\\\c\\nd\",x=\"\"");
  cr_metrics_set ("cloudrec_worker_resident_bytes", labels, 1.5e9);
  cr_metrics_add ("cloudrec_tasks_created_total", NULL, 2);
  cr_metrics_add ("cloudrec_tasks_created_total", NULL, 3);
  cr_metrics_add ("cloudrec_tasks_created_total", NULL, -7); /* a counter never goes down */
  g_autofree char *text = cr_metrics_render ();
  g_assert_true (has_line (
      text, "cloudrec_worker_resident_bytes{task_id=\"a\\\"b\\\\c\\nd\",x=\"\"} 1500000000"));
  g_assert_true (has_line (text, "cloudrec_tasks_created_total 5"));
  cr_metrics_clear ("cloudrec_worker_resident_bytes");
  g_autofree char *after = cr_metrics_render ();
  g_assert_null (strstr (after, "task_id="));
}

static void
test_histogram_cumulative (void)
{
  cr_metrics_reset ();
  const double seen[] = { 0.001, 0.02, 0.02, 0.3, 7, 60 };
  for (guint i = 0; i < G_N_ELEMENTS (seen); i++)
    cr_metrics_observe ("cloudrec_api_request_duration_seconds", "action=\"A\"", seen[i]);
  g_autofree char *text = cr_metrics_render ();
  const char *expect[] = {
    "cloudrec_api_request_duration_seconds_bucket{action=\"A\",le=\"0.005\"} 1",
    "cloudrec_api_request_duration_seconds_bucket{action=\"A\",le=\"0.01\"} 1",
    "cloudrec_api_request_duration_seconds_bucket{action=\"A\",le=\"0.025\"} 3",
    "cloudrec_api_request_duration_seconds_bucket{action=\"A\",le=\"0.25\"} 3",
    "cloudrec_api_request_duration_seconds_bucket{action=\"A\",le=\"0.5\"} 4",
    "cloudrec_api_request_duration_seconds_bucket{action=\"A\",le=\"10\"} 5",
    "cloudrec_api_request_duration_seconds_bucket{action=\"A\",le=\"+Inf\"} 6",
    "cloudrec_api_request_duration_seconds_count{action=\"A\"} 6",
    "cloudrec_api_request_duration_seconds_sum{action=\"A\"} 67.341",
  };
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    if (!has_line (text, expect[i]))
      g_error ("missing line %s in\n%s", expect[i], text);
}

static void
collect (gpointer data)
{
  (*(int *)data)++;
  cr_metrics_set ("cloudrec_workers", NULL, 42);
}

static void
test_collector (void)
{
  cr_metrics_reset ();
  int calls = 0;
  cr_metrics_add_collector (collect, &calls);
  g_autofree char *text = cr_metrics_render ();
  g_assert_cmpint (calls, ==, 1);
  g_assert_true (has_line (text, "cloudrec_workers 42"));
  cr_metrics_remove_collector (collect, &calls);
  g_free (cr_metrics_render ());
  g_assert_cmpint (calls, ==, 1);
}

static void
test_undeclared (void)
{
  cr_metrics_reset ();
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "*cloudrec_no_such_total*");
  cr_metrics_add ("cloudrec_no_such_total", NULL, 1);
  g_test_assert_expected_messages ();
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "*cloudrec_tasks_created_total*");
  cr_metrics_observe ("cloudrec_tasks_created_total", NULL, 1); /* a counter, not a histogram */
  g_test_assert_expected_messages ();
  g_autofree char *text = cr_metrics_render ();
  g_assert_null (strstr (text, "cloudrec_no_such_total"));
}

static gpointer
adder (gpointer data)
{
  for (int i = 0; i < 10000; i++)
    cr_metrics_add ("cloudrec_uploads_total", "result=\"ok\"", 1);
  return NULL;
}

static void
test_concurrent (void)
{
  cr_metrics_reset ();
  GThread *t[4];
  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    t[i] = g_thread_new ("adder", adder, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    g_thread_join (t[i]);
  g_autofree char *text = cr_metrics_render ();
  g_assert_true (has_line (text, "cloudrec_uploads_total{result=\"ok\"} 40000"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/declared-zero", test_declared_zero);
  g_test_add_func ("/metrics/labels-escaped", test_labels_escaped);
  g_test_add_func ("/metrics/histogram-cumulative", test_histogram_cumulative);
  g_test_add_func ("/metrics/collector", test_collector);
  g_test_add_func ("/metrics/undeclared", test_undeclared);
  g_test_add_func ("/metrics/concurrent", test_concurrent);
  return g_test_run ();
}
