/* Process-wide metrics in Prometheus' text format (docs/metrics.md).
 *
 * Why a fixed table: every metric the daemon exposes is declared once in metrics.c with its type
 * and help text, so /metrics always shows the whole set (a counter that never moved reads 0) and a
 * typo in a name is a warning at the first use, not a new series. Label values come from code,
 * never from a request verbatim (an unknown API action is counted as "unknown"), so the number of
 * series stays bounded. Thread-safe: the API, the uploader's pool and the main loop all count. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Adds @by to the counter @name with @labels (`key="value",...` as cr_metrics_labels() makes it,
 * or NULL for none). */
void cr_metrics_add (const char *name, const char *labels, double by);
/* Sets the gauge @name{@labels}. */
void cr_metrics_set (const char *name, const char *labels, double value);
/* Removes every series of @name (a gauge whose label set changes: per-worker figures). */
void cr_metrics_clear (const char *name);
/* Counts @value into the histogram @name{@labels} (its buckets are declared in metrics.c). */
void cr_metrics_observe (const char *name, const char *labels, double value);

/* `k1="v1",k2="v2"` from NULL-terminated key, value pairs, values escaped as the format wants
 * (backslash, double quote, newline). */
char *cr_metrics_labels (const char *key, ...) G_GNUC_NULL_TERMINATED;

/* Gauges that are read when scraped (tasks by state, backlogs, per-worker CPU and memory):
 * each collector is called before rendering and sets its gauges. */
typedef void (*CrMetricsCollector) (gpointer data);
void cr_metrics_add_collector (CrMetricsCollector func, gpointer data);
void cr_metrics_remove_collector (CrMetricsCollector func, gpointer data);

/* The exposition: # HELP and # TYPE for every declared metric, then its series. */
char *cr_metrics_render (void);

/* Forgets every value and collector (unit tests). */
void cr_metrics_reset (void);

G_END_DECLS
