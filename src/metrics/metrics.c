/* The metrics registry and its text exposition: see metrics.h. */
#include "metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef enum { COUNTER, GAUGE, HISTOGRAM } Kind;

typedef struct {
  const char *name;
  Kind kind;
  const char *help;
} Def;

/* Every metric /metrics shows. docs/metrics.md lists them with their labels. */
static const Def defs[] = {
  { "cloudrec_api_requests_total", COUNTER, "Signed API calls answered, by action and code" },
  { "cloudrec_api_request_duration_seconds", HISTOGRAM,
    "Time from a signed API call's body to its answer, by action" },
  { "cloudrec_tasks", GAUGE, "Recording tasks the store holds as running, by state" },
  { "cloudrec_tasks_created_total", COUNTER, "Recording tasks created (API and launchers)" },
  { "cloudrec_rooms", GAUGE, "Rooms that exist now" },
  { "cloudrec_streams", GAUGE, "Streams published now, by kind (main, aux)" },
  { "cloudrec_whip_sessions", GAUGE, "WHIP publishing sessions now" },
  { "cloudrec_ingest_nacked_packets_total", COUNTER,
    "Published RTP packets the lean ingest found missing and asked for again (NACK)" },
  { "cloudrec_ingest_recovered_packets_total", COUNTER,
    "Missing RTP packets that arrived after a NACK (lean ingest)" },
  { "cloudrec_ingest_unrecovered_packets_total", COUNTER,
    "Missing RTP packets the lean ingest gave up on" },
  { "cloudrec_recorded_files_total", COUNTER,
    "Recorded files started (StorageFileList entries: playlists, MP4, AAC)" },
  { "cloudrec_spooled_bytes_total", COUNTER,
    "Bytes of recorded files workers handed to the daemon's spool for an object store" },
  { "cloudrec_uploaded_bytes_total", COUNTER, "Bytes stored by the uploader" },
  { "cloudrec_uploads_total", COUNTER, "Upload attempts, by result (ok, failed)" },
  { "cloudrec_upload_backlog", GAUGE, "Files waiting in the upload queue" },
  { "cloudrec_callbacks_total", COUNTER,
    "Callback deliveries, by result (delivered, failed, gave_up)" },
  { "cloudrec_callback_backlog", GAUGE, "Callback events not yet delivered (in flight or due)" },
  { "cloudrec_workers", GAUGE, "Recording worker processes running" },
  { "cloudrec_worker_starts_total", COUNTER, "Worker processes started" },
  { "cloudrec_worker_restarts_total", COUNTER,
    "Workers started again after one exited without finishing (failover)" },
  { "cloudrec_worker_cpu_seconds_total", COUNTER, "CPU time of a running worker, by task" },
  { "cloudrec_worker_resident_bytes", GAUGE, "Resident memory of a running worker, by task" },
  { "process_cpu_seconds_total", COUNTER, "CPU time of the daemon process" },
  { "process_resident_memory_bytes", GAUGE, "Resident memory of the daemon process" },
  { "process_open_fds", GAUGE, "Open file descriptors of the daemon process" },
};

static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define N_BUCKETS G_N_ELEMENTS (buckets)

typedef struct {
  double value;              /* counter, gauge */
  guint64 counts[N_BUCKETS]; /* histogram: observations <= buckets[i] (not cumulative) */
  guint64 count;
  double sum;
} Series;

typedef struct {
  CrMetricsCollector func;
  gpointer data;
} Collector;

static GMutex lock;
static GHashTable *series_by_metric; /* name -> (GHashTable labels -> Series) */
static GArray *collectors;           /* Collector */

static const Def *
metrics_def (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (defs); i++)
    if (g_str_equal (defs[i].name, name))
      return &defs[i];
  return NULL;
}

/* The series @name{@labels}, created at 0; NULL (with a warning) for an undeclared name or the
 * wrong kind. Called with the lock held. */
static Series *
metrics_series (const char *name, const char *labels, Kind kind)
{
  const Def *def = metrics_def (name);
  if (def == NULL || def->kind != kind) {
    g_warning ("metrics: %s is not a declared metric of that type", name);
    return NULL;
  }
  if (series_by_metric == NULL)
    series_by_metric
        = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_hash_table_unref);
  GHashTable *by_labels = g_hash_table_lookup (series_by_metric, def->name);
  if (by_labels == NULL) {
    by_labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_insert (series_by_metric, (gpointer)def->name, by_labels);
  }
  const char *key = labels != NULL ? labels : "";
  Series *s = g_hash_table_lookup (by_labels, key);
  if (s == NULL) {
    s = g_new0 (Series, 1);
    g_hash_table_insert (by_labels, g_strdup (key), s);
  }
  return s;
}

void
cr_metrics_add (const char *name, const char *labels, double by)
{
  g_mutex_lock (&lock);
  Series *s = metrics_series (name, labels, COUNTER);
  if (s != NULL && by > 0)
    s->value += by;
  g_mutex_unlock (&lock);
}

void
cr_metrics_set (const char *name, const char *labels, double value)
{
  const Def *def = metrics_def (name);
  g_mutex_lock (&lock);
  /* A collected counter (a worker's CPU time read from /proc) is set, not added to. */
  Series *s = metrics_series (name, labels, def != NULL && def->kind == COUNTER ? COUNTER : GAUGE);
  if (s != NULL)
    s->value = value;
  g_mutex_unlock (&lock);
}

void
cr_metrics_clear (const char *name)
{
  g_mutex_lock (&lock);
  if (series_by_metric != NULL) {
    GHashTable *by_labels = g_hash_table_lookup (series_by_metric, name);
    if (by_labels != NULL)
      g_hash_table_remove_all (by_labels);
  }
  g_mutex_unlock (&lock);
}

void
cr_metrics_observe (const char *name, const char *labels, double value)
{
  g_mutex_lock (&lock);
  Series *s = metrics_series (name, labels, HISTOGRAM);
  if (s != NULL) {
    for (guint i = 0; i < N_BUCKETS; i++)
      if (value <= buckets[i]) {
        s->counts[i]++;
        break;
      }
    s->count++;
    s->sum += value;
  }
  g_mutex_unlock (&lock);
}

char *
cr_metrics_labels (const char *key, ...)
{
  GString *out = g_string_new (NULL);
  va_list ap;
  va_start (ap, key);
  for (const char *k = key; k != NULL; k = va_arg (ap, const char *)) {
    const char *v = va_arg (ap, const char *);
    g_string_append_printf (out, "%s%s=\"", out->len > 0 ? "," : "", k);
    for (const char *p = v != NULL ? v : ""; *p; p++) {
      if (*p == '\\' || *p == '"')
        g_string_append_c (out, '\\');
      if (*p == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *p);
    }
    g_string_append_c (out, '"');
  }
  va_end (ap);
  return g_string_free (out, FALSE);
}

void
cr_metrics_add_collector (CrMetricsCollector func, gpointer data)
{
  g_mutex_lock (&lock);
  if (collectors == NULL)
    collectors = g_array_new (FALSE, FALSE, sizeof (Collector));
  Collector c = { func, data };
  g_array_append_val (collectors, c);
  g_mutex_unlock (&lock);
}

void
cr_metrics_remove_collector (CrMetricsCollector func, gpointer data)
{
  g_mutex_lock (&lock);
  for (guint i = 0; collectors != NULL && i < collectors->len; i++) {
    Collector *c = &g_array_index (collectors, Collector, i);
    if (c->func == func && c->data == data) {
      g_array_remove_index (collectors, i);
      break;
    }
  }
  g_mutex_unlock (&lock);
}

/* A number as the format writes it: integers without a fraction, +Inf/-Inf/NaN by name. */
static void
metrics_append_number (GString *out, double v)
{
  if (isnan (v))
    g_string_append (out, "NaN");
  else if (isinf (v))
    g_string_append (out, v > 0 ? "+Inf" : "-Inf");
  else if (v == floor (v) && fabs (v) < 1e15)
    g_string_append_printf (out, "%.0f", v);
  else {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.9g", v));
  }
}

static void
metrics_append_sample (GString *out, const char *name, const char *suffix, const char *labels,
                       const char *extra, double v)
{
  g_string_append_printf (out, "%s%s", name, suffix);
  gboolean has = labels != NULL && *labels;
  if (has || extra != NULL)
    g_string_append_printf (out, "{%s%s%s}", has ? labels : "", has && extra ? "," : "",
                            extra != NULL ? extra : "");
  g_string_append_c (out, ' ');
  metrics_append_number (out, v);
  g_string_append_c (out, '\n');
}

static void
metrics_append_histogram (GString *out, const char *name, const char *labels, const Series *s)
{
  guint64 cumulative = 0;
  for (guint i = 0; i < N_BUCKETS; i++) {
    cumulative += s->counts[i];
    char le[G_ASCII_DTOSTR_BUF_SIZE], extra[G_ASCII_DTOSTR_BUF_SIZE + 8];
    g_snprintf (extra, sizeof extra, "le=\"%s\"", g_ascii_formatd (le, sizeof le, "%g", buckets[i]));
    metrics_append_sample (out, name, "_bucket", labels, extra, (double)cumulative);
  }
  metrics_append_sample (out, name, "_bucket", labels, "le=\"+Inf\"", (double)s->count);
  metrics_append_sample (out, name, "_sum", labels, NULL, s->sum);
  metrics_append_sample (out, name, "_count", labels, NULL, (double)s->count);
}

static int
metrics_cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

char *
cr_metrics_render (void)
{
  /* Collectors set gauges through the locked setters: call them with the lock released, on a
   * copy of the list (one may be removed meanwhile only by its owner, on the same thread). */
  g_mutex_lock (&lock);
  g_autoptr (GArray) calls = g_array_new (FALSE, FALSE, sizeof (Collector));
  if (collectors != NULL)
    g_array_append_vals (calls, collectors->data, collectors->len);
  g_mutex_unlock (&lock);
  for (guint i = 0; i < calls->len; i++) {
    Collector *c = &g_array_index (calls, Collector, i);
    c->func (c->data);
  }

  GString *out = g_string_new (NULL);
  g_mutex_lock (&lock);
  for (guint i = 0; i < G_N_ELEMENTS (defs); i++) {
    const Def *def = &defs[i];
    static const char *const kind_names[] = { "counter", "gauge", "histogram" };
    g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", def->name, def->help, def->name,
                            kind_names[def->kind]);
    GHashTable *by_labels
        = series_by_metric != NULL ? g_hash_table_lookup (series_by_metric, def->name) : NULL;
    if (by_labels == NULL || g_hash_table_size (by_labels) == 0) {
      /* Declared but never touched: an unlabelled zero, so a dashboard sees the metric. */
      if (def->kind == HISTOGRAM) {
        Series zero = { 0 };
        metrics_append_histogram (out, def->name, NULL, &zero);
      } else {
        metrics_append_sample (out, def->name, "", NULL, NULL, 0);
      }
      continue;
    }
    guint n = 0;
    g_autofree gpointer *keys = g_hash_table_get_keys_as_array (by_labels, &n);
    qsort (keys, n, sizeof *keys, metrics_cmp_str);
    for (guint k = 0; k < n; k++) {
      const Series *s = g_hash_table_lookup (by_labels, keys[k]);
      if (def->kind == HISTOGRAM)
        metrics_append_histogram (out, def->name, keys[k], s);
      else
        metrics_append_sample (out, def->name, "", keys[k], NULL, s->value);
    }
  }
  g_mutex_unlock (&lock);
  return g_string_free (out, FALSE);
}

void
cr_metrics_reset (void)
{
  g_mutex_lock (&lock);
  g_clear_pointer (&series_by_metric, g_hash_table_unref);
  g_clear_pointer (&collectors, g_array_unref);
  g_mutex_unlock (&lock);
}
