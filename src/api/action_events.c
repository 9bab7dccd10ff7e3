/* CloudrecDescribeEvents and CloudrecResendEvents, extensions: a task's callback events as the
 * outbox keeps them (outbox/sender.h), and sending some or all of them again.
 *
 * Why not through cr_action_lookup_task: the events of a task stay queryable after the task
 * ended, finished and passed its ResourceExpiredHour — that is when a lost callback is noticed.
 * Only the task's app can see or resend them. */
#include "actions.h"

#include "common/api_error.h"
#include "common/json_util.h"
#include "outbox/callback.h"
#include "outbox/sender.h"

/* The task (any status, any age) of @params' SdkAppId and TaskId, or ResourceNotFound. */
static CrTask *
events_lookup_task (CrApi *api, JsonObject *params, GError **error)
{
  gint64 app = 0;
  cr_json_get_int (params, "SdkAppId", &app);
  const char *task_id = cr_json_get_string (params, "TaskId");
  GError *local = NULL;
  CrTask *task = api->store->vt->lookup (api->store, (guint64)app, task_id, &local);
  if (local != NULL) {
    g_propagate_error (error, local);
    return NULL;
  }
  if (task == NULL)
    cr_api_error_set (error, "ResourceNotFound",
                      "TaskId %s of SdkAppId %" G_GINT64_FORMAT " does not exist", task_id, app);
  return task;
}

static JsonObject *
event_to_json (const CrEventRecord *e)
{
  JsonObject *o = json_object_new ();
  json_object_set_int_member (o, "EventId", e->id);
  json_object_set_int_member (o, "EventType", e->event_type);
  json_object_set_string_member (o, "State", cr_event_state_to_string (e->state));
  json_object_set_int_member (o, "Attempts", e->attempts);
  json_object_set_int_member (o, "CreateTime", e->created_ms);
  json_object_set_int_member (o, "NextAttemptTime",
                              e->state == CR_EVENT_STATE_PENDING ? e->next_ms : 0);
  json_object_set_int_member (o, "DeliverTime", e->delivered_ms);
  json_object_set_int_member (o, "LastHttpStatus", e->last_status);
  json_object_set_string_member (o, "LastError", e->last_error != NULL ? e->last_error : "");
  g_autofree char *body = cr_callback_body_of (e);
  json_object_set_string_member (o, "Body", body); /* the exact bytes posted and signed */
  return o;
}

gboolean
cr_action_cloudrec_describe_events (CrApi *api, const CrApp *app, JsonObject *params,
                                    JsonObject *reply, GError **error)
{
  g_autoptr (CrTask) task = events_lookup_task (api, params, error);
  if (task == NULL)
    return FALSE;
  g_autoptr (GPtrArray) events
      = api->store->vt->list_events (api->store, task->sdk_app_id, task->task_id, error);
  if (events == NULL)
    return FALSE;
  JsonArray *list = json_array_new ();
  for (guint i = 0; i < events->len; i++)
    json_array_add_object_element (list, event_to_json (g_ptr_array_index (events, i)));
  json_object_set_string_member (reply, "TaskId", task->task_id);
  json_object_set_int_member (reply, "TotalCount", events->len);
  json_object_set_array_member (reply, "Events", list);
  return TRUE;
}

gboolean
cr_action_cloudrec_resend_events (CrApi *api, const CrApp *app, JsonObject *params,
                                  JsonObject *reply, GError **error)
{
  g_autoptr (CrTask) task = events_lookup_task (api, params, error);
  if (task == NULL)
    return FALSE;
  gint64 event_id = cr_json_get_int_or (params, "EventId", 0);
  gint64 n = api->store->vt->resend_events (api->store, task->sdk_app_id, task->task_id, event_id,
                                            api->now_ms (), error);
  if (n < 0)
    return FALSE;
  if (n == 0 && event_id != 0) {
    cr_api_error_set (error, "ResourceNotFound", "TaskId %s has no event %" G_GINT64_FORMAT,
                      task->task_id, event_id);
    return FALSE;
  }
  if (api->callbacks != NULL)
    cr_callback_sender_kick (api->callbacks);
  g_info ("task %s: %" G_GINT64_FORMAT " callback event(s) queued again", task->task_id, n);
  json_object_set_string_member (reply, "TaskId", task->task_id);
  json_object_set_int_member (reply, "ResentCount", n);
  return TRUE;
}
