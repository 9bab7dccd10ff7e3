/* A worker's recording usage: every closed segment counted by its duration and picture size
 * (usage/usage.h), per stream (a stream's audio track is not billed where it has video), the
 * running totals sent to the daemon (POST /internal/usage) every USAGE_REPORT_S seconds and once
 * more before the task is finished. Totals, not increments: a report that is lost or repeated
 * changes nothing but its own staleness. See worker_private.h. */
#include "recorder/worker_private.h"

#include "link/link.h"
#include "usage/usage.h"

#define USAGE_REPORT_S 30

static gboolean
worker_usage_tick (gpointer data)
{
  worker_report_usage (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
worker_usage_first (gpointer data)
{
  worker_report_usage (data);
  return G_SOURCE_REMOVE;
}

void
worker_count_usage (Worker *w, const CrSegment *segment, const char *stream, gboolean mixed)
{
  if (w->spec->web != NULL)
    return; /* a web page's recording is not a room's recording usage (docs/usage.md) */
  int width = segment->width, height = segment->height;
  if (mixed && width <= 0) { /* the mix's picture is the canvas the spec asks for */
    width = w->spec->transcode.width;
    height = w->spec->transcode.height;
  }
  gboolean video = (segment->media & CR_SEGMENT_VIDEO) != 0 || (segment->media == 0 && width > 0);
  CrUsageClass cls = cr_usage_class (video, width, height);
  if (w->usage == NULL)
    w->usage = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify)g_hash_table_unref);
  GHashTable *acc = g_hash_table_lookup (w->usage, stream);
  if (acc == NULL) {
    acc = cr_usage_acc_new ();
    g_hash_table_insert (w->usage, g_strdup (stream), acc);
  }
  cr_usage_acc_add (acc, segment->start_ms, segment->duration_s, mixed, cls);
  if (w->usage_timer == 0) {
    /* The first report goes out at once (the link connection it uses is then there from the
     * start, not a new one 30 s into the recording), the next ones every USAGE_REPORT_S. */
    g_idle_add (worker_usage_first, w);
    w->usage_timer = g_timeout_add_seconds (USAGE_REPORT_S, worker_usage_tick, w);
  }
}

void
worker_report_usage (Worker *w)
{
  if (w->usage == NULL || g_hash_table_size (w->usage) == 0)
    return;
  g_autoptr (GPtrArray) rows = cr_usage_billed_rows (w->usage);
  g_autofree char *body
      = cr_usage_report_body (w->task->sdk_app_id, w->task->task_id, w->failover, rows);
  guint status = 0;
  JsonObject *reply = worker_call (w, "POST", CR_LINK_PATH_USAGE, body, &status);
  if (reply != NULL)
    json_object_unref (reply);
  if (status != SOUP_STATUS_OK)
    g_warning ("task %s: usage report not taken (HTTP %u); the next one carries it",
               w->task->task_id, status);
}

void
worker_usage_clear (Worker *w)
{
  if (w->usage_timer != 0)
    g_source_remove (w->usage_timer);
  g_idle_remove_by_data (w);
  w->usage_timer = 0;
  g_clear_pointer (&w->usage, g_hash_table_unref);
}
