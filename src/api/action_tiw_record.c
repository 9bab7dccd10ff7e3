/* The whiteboard service's online-recording actions (TIW 2019-09-19, docs/class-record.md): thin
 * wrappers over the class recorder (src/tiw/class_record.h), which owns the class tasks. */
#include "actions.h"

#include "common/api_error.h"
#include "common/json_util.h"
#include "tiw/class_record.h"

static gboolean
tiw_available (CrApi *api, GError **error)
{
  if (api->class_record != NULL)
    return TRUE;
  cr_api_error_set (error, "InternalError", "class recording is not running on this server");
  return FALSE;
}

gboolean
cr_action_tiw_start_online_record (CrApi *api, const CrApp *app, JsonObject *params,
                                   JsonObject *reply, GError **error)
{
  g_autofree char *task_id = NULL;
  if (!tiw_available (api, error)
      || !cr_class_recorder_start (api->class_record, app, params, &task_id, error))
    return FALSE;
  json_object_set_string_member (reply, "TaskId", task_id);
  return TRUE;
}

gboolean
cr_action_tiw_pause_online_record (CrApi *api, const CrApp *app, JsonObject *params,
                                   JsonObject *reply, GError **error)
{
  return tiw_available (api, error)
         && cr_class_recorder_pause (api->class_record, app, cr_json_get_string (params, "TaskId"),
                                     error);
}

gboolean
cr_action_tiw_resume_online_record (CrApi *api, const CrApp *app, JsonObject *params,
                                    JsonObject *reply, GError **error)
{
  return tiw_available (api, error)
         && cr_class_recorder_resume (api->class_record, app, cr_json_get_string (params, "TaskId"),
                                      error);
}

gboolean
cr_action_tiw_stop_online_record (CrApi *api, const CrApp *app, JsonObject *params,
                                  JsonObject *reply, GError **error)
{
  return tiw_available (api, error)
         && cr_class_recorder_stop (api->class_record, app, cr_json_get_string (params, "TaskId"),
                                    error);
}

gboolean
cr_action_tiw_describe_online_record (CrApi *api, const CrApp *app, JsonObject *params,
                                      JsonObject *reply, GError **error)
{
  return tiw_available (api, error)
         && cr_class_recorder_describe (api->class_record, app,
                                        cr_json_get_string (params, "TaskId"), reply, error);
}

gboolean
cr_action_tiw_set_online_record_callback (CrApi *api, const CrApp *app, JsonObject *params,
                                          JsonObject *reply, GError **error)
{
  return tiw_available (api, error)
         && cr_class_recorder_set_callback (api->class_record, app,
                                            cr_json_get_string (params, "Callback"), NULL, error);
}

gboolean
cr_action_tiw_set_online_record_callback_key (CrApi *api, const CrApp *app, JsonObject *params,
                                              JsonObject *reply, GError **error)
{
  return tiw_available (api, error)
         && cr_class_recorder_set_callback (api->class_record, app, NULL,
                                            cr_json_get_string (params, "CallbackKey"), error);
}

gboolean
cr_action_tiw_describe_online_record_callback (CrApi *api, const CrApp *app, JsonObject *params,
                                               JsonObject *reply, GError **error)
{
  g_autofree char *url = NULL, *key = NULL;
  if (!tiw_available (api, error)
      || !cr_class_recorder_get_callback (api->class_record, app, &url, &key, error))
    return FALSE;
  json_object_set_string_member (reply, "Callback", url);
  json_object_set_string_member (reply, "CallbackKey", key);
  return TRUE;
}
