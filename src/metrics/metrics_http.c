/* GET /metrics: see metrics_http.h. The gauges are read from their owners when scraped (on the
 * main loop, where the supervisor and the ingest live), never kept up to date on every change. */
#include "metrics_http.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth/crypto_util.h"
#include "metrics/metrics.h"
#include "task/task.h"

#define METRICS_PATH "/metrics"
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct _CrMetricsHttp {
  CrHttpServer *http;
  CrMetricsSources src;
};

/* utime + stime (seconds) and resident bytes of @pid from /proc; FALSE when it is gone. */
static gboolean
metrics_read_proc (int pid, double *cpu_s, double *rss_bytes)
{
  g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *statm_path = g_strdup_printf ("/proc/%d/statm", pid);
  g_autofree char *stat = NULL, *statm = NULL;
  if (!g_file_get_contents (stat_path, &stat, NULL, NULL)
      || !g_file_get_contents (statm_path, &statm, NULL, NULL))
    return FALSE;
  /* The command name (field 2) may hold spaces and parentheses: count from the last ')'. */
  const char *p = strrchr (stat, ')');
  unsigned long utime = 0, stime = 0;
  if (p == NULL
      || sscanf (p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime)
             != 2)
    return FALSE;
  unsigned long size = 0, resident = 0;
  if (sscanf (statm, "%lu %lu", &size, &resident) != 2)
    return FALSE;
  long ticks = sysconf (_SC_CLK_TCK);
  *cpu_s = (double)(utime + stime) / (double)(ticks > 0 ? ticks : 100);
  *rss_bytes = (double)resident * (double)sysconf (_SC_PAGESIZE);
  return TRUE;
}

static void
metrics_worker (const char *task_id, int pid, gpointer data)
{
  double cpu, rss;
  if (!metrics_read_proc (pid, &cpu, &rss))
    return;
  g_autofree char *labels = cr_metrics_labels ("task_id", task_id, NULL);
  cr_metrics_set ("cloudrec_worker_cpu_seconds_total", labels, cpu);
  cr_metrics_set ("cloudrec_worker_resident_bytes", labels, rss);
}

static guint
metrics_open_fds (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;
  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n > 0 ? n - 1 : 0; /* the directory's own descriptor */
}

static void
metrics_collect (gpointer data)
{
  CrMetricsHttp *m = data;
  const CrMetricsSources *s = &m->src;
  if (s->store != NULL) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) active = s->store->vt->list_active (s->store, &error);
    guint by_status[3] = { 0, 0, 0 };
    for (guint i = 0; active != NULL && i < active->len; i++) {
      const CrTask *t = g_ptr_array_index (active, i);
      if ((guint)t->status < G_N_ELEMENTS (by_status))
        by_status[t->status]++;
    }
    for (guint i = 0; i < G_N_ELEMENTS (by_status); i++) {
      g_autofree char *labels
          = cr_metrics_labels ("state", cr_task_status_to_string ((CrTaskStatus)i), NULL);
      cr_metrics_set ("cloudrec_tasks", labels, by_status[i]);
    }
  }
  if (s->rooms != NULL) {
    guint main_streams, aux_streams;
    cr_room_count_streams (s->rooms, &main_streams, &aux_streams);
    cr_metrics_set ("cloudrec_rooms", NULL, cr_room_count (s->rooms));
    cr_metrics_set ("cloudrec_streams", "kind=\"main\"", main_streams);
    cr_metrics_set ("cloudrec_streams", "kind=\"aux\"", aux_streams);
  }
  if (s->ingest != NULL)
    cr_metrics_set ("cloudrec_whip_sessions", NULL, cr_ingest_session_count (s->ingest));
  if (s->uploads != NULL)
    cr_metrics_set ("cloudrec_upload_backlog", NULL, cr_uploader_pending (s->uploads));
  if (s->callbacks != NULL)
    cr_metrics_set ("cloudrec_callback_backlog", NULL, cr_callback_sender_pending (s->callbacks));
  cr_metrics_clear ("cloudrec_worker_cpu_seconds_total");
  cr_metrics_clear ("cloudrec_worker_resident_bytes");
  if (s->workers != NULL) {
    cr_metrics_set ("cloudrec_workers", NULL, cr_supervisor_count (s->workers));
    cr_supervisor_foreach (s->workers, metrics_worker, NULL);
  }
  double cpu, rss;
  if (metrics_read_proc ((int)getpid (), &cpu, &rss)) {
    cr_metrics_set ("process_cpu_seconds_total", NULL, cpu);
    cr_metrics_set ("process_resident_memory_bytes", NULL, rss);
  }
  cr_metrics_set ("process_open_fds", NULL, metrics_open_fds ());
}

/* With metrics-token set, the request must carry "Authorization: Bearer <token>". */
static gboolean
metrics_authorized (CrMetricsHttp *m, SoupServerMessage *msg)
{
  const char *token = m->src.config != NULL ? m->src.config->metrics_token : NULL;
  if (token == NULL || *token == '\0')
    return TRUE;
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");
  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return FALSE;
  const char *given = auth + 7;
  return strlen (given) == strlen (token)
         && cr_const_time_equal ((const guchar *)given, (const guchar *)token, strlen (token));
}

static void
metrics_handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                gpointer data)
{
  CrMetricsHttp *m = data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  if (strcmp (path, METRICS_PATH) != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    soup_message_headers_replace (headers, "Allow", "GET, HEAD");
    return;
  }
  if (!metrics_authorized (m, msg)) {
    soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, NULL);
    soup_message_headers_replace (headers, "WWW-Authenticate", "Bearer realm=\"cloudrec metrics\"");
    return;
  }
  char *text = cr_metrics_render ();
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_server_message_set_response (msg, CONTENT_TYPE, SOUP_MEMORY_TAKE, text, strlen (text));
}

CrMetricsHttp *
cr_metrics_http_new (CrHttpServer *http, const CrMetricsSources *sources)
{
  CrMetricsHttp *m = g_new0 (CrMetricsHttp, 1);
  m->http = http;
  m->src = *sources;
  cr_metrics_add_collector (metrics_collect, m);
  cr_http_server_add_handler (http, METRICS_PATH, metrics_handle, m);
  return m;
}

void
cr_metrics_http_free (CrMetricsHttp *m)
{
  if (m == NULL)
    return;
  cr_http_server_remove_handler (m->http, METRICS_PATH);
  cr_metrics_remove_collector (metrics_collect, m);
  g_free (m);
}
