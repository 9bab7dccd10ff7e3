/* See usage_link.h. */
#include "usage/usage_link.h"

#include "common/json_util.h"
#include "link/link.h"
#include "link/link_reply.h"

#define MAX_ROWS 4096 /* a report holds a few buckets; a bigger one is not a worker's */

struct _CrUsageLink {
  CrLinkServer *link;
  CrTaskStore *tasks;
  CrUsageStore *usage;
};

static gboolean
usage_link_row (JsonNode *node, CrUsageRow *row)
{
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  gint64 bucket = -1, mixed = -1, cls = -1;
  if (o == NULL || !cr_json_get_int (o, "BucketMs", &bucket)
      || !cr_json_get_int (o, "Mixed", &mixed) || !cr_json_get_int (o, "Class", &cls)
      || !json_object_has_member (o, "Seconds"))
    return FALSE;
  JsonNode *sec = json_object_get_member (o, "Seconds");
  if (!JSON_NODE_HOLDS_VALUE (sec)
      || (json_node_get_value_type (sec) != G_TYPE_DOUBLE
          && json_node_get_value_type (sec) != G_TYPE_INT64))
    return FALSE;
  double seconds = json_node_get_double (sec);
  if (bucket < 0 || bucket % CR_USAGE_BUCKET_MS != 0 || (mixed != 0 && mixed != 1) || cls < 0
      || cls >= CR_USAGE_N_CLASSES || !(seconds >= 0) || seconds > CR_USAGE_BUCKET_MS / 1000.0 * 64)
    return FALSE;
  row->bucket_ms = bucket;
  row->mixed = mixed == 1;
  row->cls = (CrUsageClass)cls;
  row->seconds = seconds;
  return TRUE;
}

static void
usage_link_handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                   gpointer data)
{
  CrUsageLink *ul = data;
  if (g_strcmp0 (soup_server_message_get_method (msg), "POST") != 0) {
    cr_link_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "UnsupportedOperation",
                         "POST " CR_LINK_PATH_USAGE " only");
    return;
  }
  g_autoptr (JsonObject) req = cr_link_request_object (msg);
  if (req == NULL)
    return;
  gint64 app = 0, failover = -1;
  const char *task_id = cr_json_get_string (req, "TaskId");
  JsonArray *rows = json_object_has_member (req, "Rows")
                            && JSON_NODE_HOLDS_ARRAY (json_object_get_member (req, "Rows"))
                        ? json_object_get_array_member (req, "Rows")
                        : NULL;
  if (!cr_json_get_int (req, "SdkAppId", &app) || app <= 0 || task_id == NULL
      || !cr_json_get_int (req, "Failover", &failover) || failover < 0 || failover > 1000
      || rows == NULL || json_array_get_length (rows) > MAX_ROWS) {
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                         "expected {SdkAppId, TaskId, Failover, Rows: [{BucketMs, Mixed, Class, "
                         "Seconds}]}");
    return;
  }
  g_autoptr (GPtrArray) parsed = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (rows); i++) {
    CrUsageRow *row = g_new0 (CrUsageRow, 1);
    g_ptr_array_add (parsed, row);
    if (!usage_link_row (json_array_get_element (rows, i), row)) {
      cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                           "a usage row must be {BucketMs (a 5-minute multiple), Mixed 0|1, "
                           "Class 0..5, Seconds >= 0}");
      return;
    }
  }
  g_autoptr (CrTask) task = cr_link_lookup_task (msg, ul->tasks, (guint64)app, task_id);
  if (task == NULL)
    return;
  g_autoptr (GError) error = NULL;
  if (!cr_usage_store_put (ul->usage, (guint64)app, task_id, (int)failover, parsed, &error))
    cr_link_reply_store_error (msg, error);
  else
    cr_link_reply_ok (msg);
}

CrUsageLink *
cr_usage_link_register (CrLinkServer *link, CrTaskStore *tasks, CrUsageStore *usage)
{
  CrUsageLink *ul = g_new0 (CrUsageLink, 1);
  ul->link = link;
  ul->tasks = tasks;
  ul->usage = usage;
  cr_link_server_add_handler (link, CR_LINK_PATH_USAGE, usage_link_handle, ul);
  return ul;
}

void
cr_usage_link_unregister (CrUsageLink *ul)
{
  if (ul == NULL)
    return;
  cr_link_server_remove_handler (ul->link, CR_LINK_PATH_USAGE);
  g_free (ul);
}
