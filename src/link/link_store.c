/* A CrTaskStore whose calls go to the daemon over the link; see link_store.h. */
#include "link_store.h"

#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "link/link.h"
#include "link/link_client.h"

typedef struct {
  CrTaskStore base;
  SoupSession *session;
  guint64 sdk_app_id; /* files are keyed by task id alone; the link wants the app too */
} LinkStore;

static char *
link_task_path (guint64 sdk_app_id, const char *task_id, const char *what)
{
  g_autofree char *task = g_uri_escape_string (task_id, NULL, FALSE);
  return g_strdup_printf (CR_LINK_PATH_TASKS "/%" G_GUINT64_FORMAT "/%s%s%s", sdk_app_id, task,
                          what != NULL ? "/" : "", what != NULL ? what : "");
}

/* One call; TRUE on 200 with @reply set (when non-NULL). A refusal becomes the store's GError
 * again ({Code, Message}); no answer at all is CR_LINK_ERROR_NO_ANSWER. */
static gboolean
link_store_call (CrTaskStore *store, const char *method, const char *path, JsonObject *body,
                 JsonObject **reply, GError **error)
{
  LinkStore *ls = (LinkStore *)store;
  g_autofree char *text = body != NULL ? cr_json_object_to_string (body) : NULL;
  guint status = 0;
  g_autoptr (GError) sent = NULL;
  g_autoptr (JsonObject) obj = cr_link_call (ls->session, method, path, text, &status, &sent);
  if (status == 0) {
    g_set_error (error, CR_LINK_ERROR, CR_LINK_ERROR_NO_ANSWER,
                 "no answer from the daemon (%s): %s", path, sent->message);
    return FALSE;
  }
  if (status != SOUP_STATUS_OK || obj == NULL) {
    const char *code = cr_json_get_string (obj, CR_LINK_CODE);
    const char *message = cr_json_get_string (obj, CR_LINK_MESSAGE);
    cr_api_error_set (error, code != NULL ? code : "InternalError", "%s",
                      message != NULL ? message : soup_status_get_phrase (status));
    return FALSE;
  }
  if (reply != NULL)
    *reply = g_steal_pointer (&obj);
  return TRUE;
}

static CrTask *
link_task_from_json (JsonObject *o)
{
  g_autoptr (CrTask) t = cr_task_new ();
  gint64 app = 0;
  const char *params = cr_json_get_string (o, CR_LINK_PARAMS);
  if (!cr_json_get_int (o, CR_LINK_SDK_APP_ID, &app) || params == NULL
      || !cr_task_status_from_string (cr_json_get_string (o, CR_LINK_STATUS), &t->status))
    return NULL;
  t->sdk_app_id = (guint64)app;
  t->task_id = g_strdup (cr_json_get_string (o, CR_LINK_TASK_ID));
  t->room_id = g_strdup (cr_json_get_string (o, CR_LINK_ROOM_ID));
  t->user_id = g_strdup (cr_json_get_string (o, CR_LINK_USER_ID));
  t->params_json = g_strdup (params);
  t->room_id_type = (int)cr_json_get_int_or (o, CR_LINK_ROOM_ID_TYPE, 0);
  t->leave_code = (int)cr_json_get_int_or (o, CR_LINK_LEAVE_CODE, -1);
  t->revision = cr_json_get_int_or (o, CR_LINK_REVISION, 0);
  t->created_ms = cr_json_get_int_or (o, CR_LINK_CREATED_MS, 0);
  t->updated_ms = cr_json_get_int_or (o, CR_LINK_UPDATED_MS, 0);
  t->expires_ms = cr_json_get_int_or (o, CR_LINK_EXPIRES_MS, 0);
  t->ended_ms = cr_json_get_int_or (o, CR_LINK_ENDED_MS, 0);
  t->failovers = (int)cr_json_get_int_or (o, CR_LINK_FAILOVERS, 0);
  t->finished_ms = cr_json_get_int_or (o, CR_LINK_FINISHED_MS, 0);
  if (t->task_id == NULL || t->user_id == NULL || t->room_id == NULL)
    return NULL;
  return g_steal_pointer (&t);
}

/* Not found is NULL with no error, as the store says. */
static CrTask *
link_store_lookup (CrTaskStore *store, guint64 sdk_app_id, const char *task_id, GError **error)
{
  g_autofree char *path = link_task_path (sdk_app_id, task_id, NULL);
  g_autoptr (JsonObject) reply = NULL;
  g_autoptr (GError) local = NULL;
  if (!link_store_call (store, "GET", path, NULL, &reply, &local)) {
    if (!cr_api_error_is (local, "ResourceNotFound"))
      g_propagate_error (error, g_steal_pointer (&local));
    return NULL;
  }
  CrTask *task = link_task_from_json (reply);
  if (task == NULL)
    cr_api_error_set (error, "InternalError", "the daemon sent a malformed task %s", task_id);
  return task;
}

/* Adds @event as {"Event":{"EventType":N,"Payload":{..}}} to a request @body. */
static void
link_store_add_event (JsonObject *body, const CrEventNew *event)
{
  if (event == NULL || event->event_type == 0)
    return;
  JsonObject *o = json_object_new ();
  json_object_set_int_member (o, CR_LINK_EVENT_TYPE, event->event_type);
  JsonObject *payload
      = cr_json_parse_object (event->payload_json, strlen (event->payload_json), NULL);
  json_object_set_object_member (o, CR_LINK_PAYLOAD,
                                 payload != NULL ? payload : json_object_new ());
  json_object_set_object_member (body, CR_LINK_EVENT, o);
}

static gboolean
link_store_set_status (CrTaskStore *store, guint64 sdk_app_id, const char *task_id,
                       CrTaskStatus status, int leave_code, gint64 now_ms, const CrEventNew *event,
                       GError **error)
{
  g_autofree char *path = link_task_path (sdk_app_id, task_id, CR_LINK_SEG_STATUS);
  g_autoptr (JsonObject) body = json_object_new ();
  json_object_set_string_member (body, CR_LINK_STATUS, cr_task_status_to_string (status));
  json_object_set_int_member (body, CR_LINK_LEAVE_CODE, leave_code);
  json_object_set_int_member (body, CR_LINK_TIME, now_ms);
  link_store_add_event (body, event);
  return link_store_call (store, "PUT", path, body, NULL, error);
}

static gboolean
link_store_finish (CrTaskStore *store, guint64 sdk_app_id, const char *task_id, gint64 now_ms,
                   const CrEventNew *event, GError **error)
{
  g_autofree char *path = link_task_path (sdk_app_id, task_id, CR_LINK_SEG_FINISH);
  g_autoptr (JsonObject) body = json_object_new ();
  json_object_set_int_member (body, CR_LINK_TIME, now_ms);
  link_store_add_event (body, event);
  return link_store_call (store, "POST", path, body, NULL, error);
}

static gboolean
link_store_put_file (CrTaskStore *store, const CrTaskFile *file, GError **error)
{
  g_autofree char *path
      = link_task_path (((LinkStore *)store)->sdk_app_id, file->task_id, CR_LINK_SEG_FILES);
  g_autoptr (JsonObject) body = json_object_new ();
  json_object_set_string_member (body, CR_LINK_FILE_NAME, file->file_name);
  json_object_set_string_member (body, CR_LINK_USER_ID, file->user_id != NULL ? file->user_id : "");
  json_object_set_string_member (body, CR_LINK_TRACK_TYPE, file->track_type);
  json_object_set_int_member (body, CR_LINK_BEGIN_TIME_STAMP, file->begin_ts_ms);
  return link_store_call (store, "POST", path, body, NULL, error);
}

static gboolean
link_store_unserved (GError **error)
{
  cr_api_error_set (error, "InternalError", "a worker's store serves its own task only");
  return FALSE;
}

static gboolean
link_store_insert (CrTaskStore *store, const CrTask *task, gint64 max_active, GError **error)
{
  return link_store_unserved (error);
}

static gboolean
link_store_update_params (CrTaskStore *store, guint64 sdk_app_id, const char *task_id,
                          const char *params_json, gint64 now_ms, GError **error)
{
  return link_store_unserved (error);
}

static gint64
link_store_count_active (CrTaskStore *store, guint64 sdk_app_id, GError **error)
{
  link_store_unserved (error);
  return -1;
}

static GPtrArray *
link_store_list_active (CrTaskStore *store, GError **error)
{
  link_store_unserved (error);
  return NULL;
}

static GPtrArray *
link_store_list_files (CrTaskStore *store, const char *task_id, GError **error)
{
  link_store_unserved (error);
  return NULL;
}

static int
link_store_add_failover (CrTaskStore *store, guint64 sdk_app_id, const char *task_id,
                         GError **error)
{
  link_store_unserved (error);
  return -1;
}

static void
link_store_close (CrTaskStore *store)
{
  LinkStore *ls = (LinkStore *)store;
  g_object_unref (ls->session);
  g_free (ls);
}

static const CrTaskStoreVtable link_store_vtable = {
  .version = CR_TASK_STORE_VERSION,
  .name = "link",
  .insert = link_store_insert,
  .lookup = link_store_lookup,
  .update_params = link_store_update_params,
  .set_status = link_store_set_status,
  .count_active = link_store_count_active,
  .list_active = link_store_list_active,
  .put_file = link_store_put_file,
  .list_files = link_store_list_files,
  .add_failover = link_store_add_failover,
  .finish = link_store_finish,
  .close = link_store_close,
};

CrTaskStore *
cr_link_store_new (SoupSession *session, guint64 sdk_app_id)
{
  LinkStore *ls = g_new0 (LinkStore, 1);
  ls->base.vt = &link_store_vtable;
  ls->session = g_object_ref (session);
  ls->sdk_app_id = sdk_app_id;
  return &ls->base;
}
