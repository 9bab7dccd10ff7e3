/* The whiteboard service's video-generation tasks (TIW 2019-09-19, docs/class-record.md,
 * "Video-generation tasks"): thin wrappers over src/tiw/class_video_gen.h, which owns them. */
#include "actions.h"

#include "common/api_error.h"
#include "common/json_util.h"
#include "tiw/class_video_gen.h"

static gboolean
video_available (CrApi *api, GError **error)
{
  if (api->class_record != NULL)
    return TRUE;
  cr_api_error_set (error, "InternalError", "class recording is not running on this server");
  return FALSE;
}

gboolean
cr_action_tiw_create_video_generation_task (CrApi *api, const CrApp *app, JsonObject *params,
                                            JsonObject *reply, GError **error)
{
  g_autofree char *task_id = NULL;
  if (!video_available (api, error)
      || !cr_class_video_gen_create (api->class_record, app, params, &task_id, error))
    return FALSE;
  json_object_set_string_member (reply, "TaskId", task_id);
  return TRUE;
}

gboolean
cr_action_tiw_describe_video_generation_task (CrApi *api, const CrApp *app, JsonObject *params,
                                              JsonObject *reply, GError **error)
{
  return video_available (api, error)
         && cr_class_video_gen_describe (api->class_record, app,
                                         cr_json_get_string (params, "TaskId"), reply, error);
}

gboolean
cr_action_tiw_set_video_generation_task_callback (CrApi *api, const CrApp *app, JsonObject *params,
                                                  JsonObject *reply, GError **error)
{
  return video_available (api, error)
         && cr_class_video_gen_set_callback (api->class_record, app,
                                             cr_json_get_string (params, "Callback"), NULL, error);
}

gboolean
cr_action_tiw_set_video_generation_task_callback_key (CrApi *api, const CrApp *app,
                                                      JsonObject *params, JsonObject *reply,
                                                      GError **error)
{
  return video_available (api, error)
         && cr_class_video_gen_set_callback (api->class_record, app, NULL,
                                             cr_json_get_string (params, "CallbackKey"), error);
}

gboolean
cr_action_tiw_describe_video_generation_task_callback (CrApi *api, const CrApp *app,
                                                       JsonObject *params, JsonObject *reply,
                                                       GError **error)
{
  g_autofree char *url = NULL, *key = NULL;
  if (!video_available (api, error)
      || !cr_class_video_gen_get_callback (api->class_record, app, &url, &key, error))
    return FALSE;
  json_object_set_string_member (reply, "Callback", url);
  json_object_set_string_member (reply, "CallbackKey", key);
  return TRUE;
}
