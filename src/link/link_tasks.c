/* The /internal/tasks endpoints; see link_tasks.h. */
#include "link_tasks.h"

#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "link/link.h"
#include "link/link_reply.h"
#include "link/link_task_watch.h"
#include "metrics/metrics.h"
#include "task/codes.h"

static JsonObject *
task_to_json (const CrTask *t)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, CR_LINK_TASK_ID, t->task_id);
  json_object_set_int_member (o, CR_LINK_SDK_APP_ID, (gint64)t->sdk_app_id);
  json_object_set_string_member (o, CR_LINK_ROOM_ID, t->room_id);
  json_object_set_int_member (o, CR_LINK_ROOM_ID_TYPE, t->room_id_type);
  json_object_set_string_member (o, CR_LINK_USER_ID, t->user_id);
  json_object_set_string_member (o, CR_LINK_STATUS, cr_task_status_to_string (t->status));
  json_object_set_int_member (o, CR_LINK_LEAVE_CODE, t->leave_code);
  json_object_set_string_member (o, CR_LINK_PARAMS, t->params_json);
  json_object_set_int_member (o, CR_LINK_REVISION, t->revision);
  json_object_set_int_member (o, CR_LINK_CREATED_MS, t->created_ms);
  json_object_set_int_member (o, CR_LINK_UPDATED_MS, t->updated_ms);
  json_object_set_int_member (o, CR_LINK_EXPIRES_MS, t->expires_ms);
  json_object_set_int_member (o, CR_LINK_ENDED_MS, t->ended_ms);
  json_object_set_int_member (o, CR_LINK_FAILOVERS, t->failovers);
  json_object_set_int_member (o, CR_LINK_FINISHED_MS, t->finished_ms);
  return o;
}

struct _CrLinkTasks {
  CrLinkServer *link;
  CrTaskStore *store;
  CrLinkTaskWatch *watch;
};

/* The task as it is now (CrLinkTaskAnswer). */
static void
tasks_answer (SoupServerMessage *msg, guint64 app, const char *task_id, gpointer data)
{
  CrLinkTasks *tasks = data;
  g_autoptr (CrTask) task = cr_link_lookup_task (msg, tasks->store, app, task_id);
  if (task == NULL)
    return;
  g_autoptr (JsonObject) o = task_to_json (task);
  cr_link_reply (msg, SOUP_STATUS_OK, o);
}

/* A read, answered now; with ?after=REVISION&wait=MS held until the task has news for a worker
 * that knows that revision (link_task_watch.h). */
static void
tasks_get (CrLinkTasks *tasks, SoupServerMessage *msg, guint64 app, const char *task_id,
           GHashTable *query)
{
  const char *after_text = query != NULL ? g_hash_table_lookup (query, CR_LINK_Q_AFTER) : NULL;
  const char *wait_text = query != NULL ? g_hash_table_lookup (query, CR_LINK_Q_WAIT) : NULL;
  gint64 after = 0;
  guint64 wait_ms = 0;
  if ((after_text != NULL && !g_ascii_string_to_signed (after_text, 10, 0, G_MAXINT64, &after, NULL))
      || (wait_text != NULL
          && !g_ascii_string_to_unsigned (wait_text, 10, 0, G_MAXUINT32, &wait_ms, NULL))) {
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                         CR_LINK_Q_AFTER "= takes a revision, " CR_LINK_Q_WAIT "= milliseconds");
    return;
  }
  if (after_text != NULL && wait_ms > 0) {
    g_autoptr (GError) error = NULL;
    g_autoptr (CrTask) task = tasks->store->vt->lookup (tasks->store, app, task_id, &error);
    if (error == NULL && !cr_link_task_has_news (task, after)) {
      cr_link_task_watch_hold (tasks->watch, msg, app, task_id, after, (guint)wait_ms);
      return;
    }
  }
  tasks_answer (msg, app, task_id, tasks);
}

/* Time (Unix ms) of the request, or now. */
static gboolean
tasks_time (SoupServerMessage *msg, JsonObject *req, gint64 *now_ms)
{
  *now_ms = g_get_real_time () / 1000;
  if (!json_object_has_member (req, CR_LINK_TIME))
    return TRUE;
  if (cr_json_get_int (req, CR_LINK_TIME, now_ms) && *now_ms >= 0)
    return TRUE;
  cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                       CR_LINK_TIME " must be Unix milliseconds");
  return FALSE;
}

/* The optional {"Event":{"EventType":301..312,"Payload":{..}}} of a request into @event (its
 * payload text in @payload_out). FALSE (replied 400) when present but malformed. */
static gboolean
tasks_event (SoupServerMessage *msg, JsonObject *req, CrEventNew *event, char **payload_out)
{
  *event = (CrEventNew){ 0, NULL };
  if (!json_object_has_member (req, CR_LINK_EVENT))
    return TRUE;
  JsonObject *o = cr_json_get_object (req, CR_LINK_EVENT);
  JsonObject *payload = cr_json_get_object (o, CR_LINK_PAYLOAD);
  gint64 type = 0;
  if (payload == NULL || !cr_json_get_int (o, CR_LINK_EVENT_TYPE, &type) || type < CR_EVENT_FIRST
      || type > CR_EVENT_LAST) {
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                         "expected " CR_LINK_EVENT " {\"" CR_LINK_EVENT_TYPE
                         "\":301..312,\"" CR_LINK_PAYLOAD "\":{..}}");
    return FALSE;
  }
  *payload_out = cr_json_object_to_string (payload);
  *event = (CrEventNew){ (int)type, *payload_out };
  return TRUE;
}

static void
tasks_set_status (CrTaskStore *store, SoupServerMessage *msg, guint64 app, const char *task_id)
{
  g_autoptr (JsonObject) req = cr_link_request_object (msg);
  if (req == NULL)
    return;
  CrTaskStatus status = CR_TASK_IDLE;
  gint64 leave_code = 0, now_ms = 0;
  if (!cr_task_status_from_string (cr_json_get_string (req, CR_LINK_STATUS), &status)
      || (json_object_has_member (req, CR_LINK_LEAVE_CODE)
          && (!cr_json_get_int (req, CR_LINK_LEAVE_CODE, &leave_code) || leave_code < 0
              || leave_code > G_MAXINT))) {
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                         "expected {\"" CR_LINK_STATUS
                         "\":\"Idle|InProgress|Exited\",\"" CR_LINK_LEAVE_CODE
                         "\":N,\"" CR_LINK_TIME "\":ms}");
    return;
  }
  g_autofree char *payload = NULL;
  CrEventNew event;
  if (!tasks_time (msg, req, &now_ms) || !tasks_event (msg, req, &event, &payload))
    return;
  g_autoptr (GError) error = NULL;
  if (!store->vt->set_status (store, app, task_id, status, (int)leave_code, now_ms, &event, &error))
    cr_link_reply_store_error (msg, error);
  else
    cr_link_reply_ok (msg);
}

static void
tasks_finish (CrTaskStore *store, SoupServerMessage *msg, guint64 app, const char *task_id)
{
  g_autoptr (JsonObject) req = cr_link_request_object (msg);
  gint64 now_ms = 0;
  g_autofree char *payload = NULL;
  CrEventNew event;
  if (req == NULL || !tasks_time (msg, req, &now_ms) || !tasks_event (msg, req, &event, &payload))
    return;
  g_autoptr (GError) error = NULL;
  if (!store->vt->finish (store, app, task_id, now_ms, &event, &error))
    cr_link_reply_store_error (msg, error);
  else
    cr_link_reply_ok (msg);
}

/* A StorageFileList entry; the task must be the app's (files are keyed by task id alone). */
static void
tasks_put_file (CrTaskStore *store, SoupServerMessage *msg, guint64 app, const char *task_id)
{
  g_autoptr (JsonObject) req = cr_link_request_object (msg);
  if (req == NULL)
    return;
  const char *name = cr_json_get_string (req, CR_LINK_FILE_NAME);
  const char *user = cr_json_get_string (req, CR_LINK_USER_ID);
  const char *track = cr_json_get_string (req, CR_LINK_TRACK_TYPE);
  gint64 begin = 0;
  if (name == NULL || name[0] == '\0' || strchr (name, '/') != NULL || user == NULL || track == NULL
      || !cr_json_get_int (req, CR_LINK_BEGIN_TIME_STAMP, &begin) || begin < 0) {
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                         "expected {\"" CR_LINK_FILE_NAME "\",\"" CR_LINK_USER_ID
                         "\",\"" CR_LINK_TRACK_TYPE "\",\"" CR_LINK_BEGIN_TIME_STAMP "\"}");
    return;
  }
  g_autoptr (CrTask) task = cr_link_lookup_task (msg, store, app, task_id);
  if (task == NULL)
    return;
  g_autoptr (GError) error = NULL;
  CrTaskFile file = { (char *)task_id, (char *)name, (char *)user, (char *)track, begin };
  if (!store->vt->put_file (store, &file, &error)) {
    cr_link_reply_store_error (msg, error);
    return;
  }
  cr_metrics_add ("cloudrec_recorded_files_total", NULL, 1);
  cr_link_reply_ok (msg);
}

/* /internal/tasks/{SdkAppId}/{TaskId}[/{what}] */
static void
tasks_handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
              gpointer data)
{
  CrLinkTasks *tasks = data;
  CrTaskStore *store = tasks->store;
  const char *method = soup_server_message_get_method (msg);
  const char *rest
      = g_uri_get_path (soup_server_message_get_uri (msg)) + strlen (CR_LINK_PATH_TASKS);
  g_auto (GStrv) seg = g_strsplit (rest[0] == '/' ? rest + 1 : rest, "/", 0);
  for (char **s = seg; *s != NULL; s++) {
    char *dec = g_uri_unescape_string (*s, "/");
    g_free (*s);
    *s = dec != NULL ? dec : g_strdup ("");
  }
  guint n = g_strv_length (seg);
  guint64 app = 0;
  if (n < 2 || n > 3 || !g_ascii_string_to_unsigned (seg[0], 10, 1, G_MAXUINT32, &app, NULL)
      || seg[1][0] == '\0') {
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                         "expected " CR_LINK_PATH_TASKS "/{SdkAppId}/{TaskId}[/" CR_LINK_SEG_STATUS
                         "|/" CR_LINK_SEG_FINISH "|/" CR_LINK_SEG_FILES "]");
    return;
  }
  const char *what = n == 3 ? seg[2] : NULL;
  if (what == NULL && strcmp (method, "GET") == 0)
    tasks_get (tasks, msg, app, seg[1], query);
  else if (g_strcmp0 (what, CR_LINK_SEG_STATUS) == 0 && strcmp (method, "PUT") == 0)
    tasks_set_status (store, msg, app, seg[1]);
  else if (g_strcmp0 (what, CR_LINK_SEG_FINISH) == 0 && strcmp (method, "POST") == 0)
    tasks_finish (store, msg, app, seg[1]);
  else if (g_strcmp0 (what, CR_LINK_SEG_FILES) == 0 && strcmp (method, "POST") == 0)
    tasks_put_file (store, msg, app, seg[1]);
  else {
    g_autofree char *text = g_strdup_printf ("no internal resource %s %s", method, path);
    cr_link_reply_error (msg, SOUP_STATUS_NOT_FOUND, "ResourceNotFound", text);
  }
}

CrLinkTasks *
cr_link_tasks_register (CrLinkServer *link, CrTaskStore *store)
{
  CrLinkTasks *tasks = g_new0 (CrLinkTasks, 1);
  tasks->link = link;
  tasks->store = store;
  tasks->watch = cr_link_task_watch_new (store, tasks_answer, tasks);
  cr_link_server_add_handler (link, CR_LINK_PATH_TASKS, tasks_handle, tasks);
  return tasks;
}

void
cr_link_tasks_unregister (CrLinkTasks *tasks)
{
  if (tasks == NULL)
    return;
  cr_link_server_remove_handler (tasks->link, CR_LINK_PATH_TASKS);
  cr_link_task_watch_free (tasks->watch);
  g_free (tasks);
}
