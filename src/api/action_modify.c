/* ModifyCloudRecording: replaces the task's subscription lists and mixed layout wholesale.
 *
 * TRTC semantics (seed 002, "全量覆盖"): Modify is a full overwrite, not a patch. The
 * SubscribeStreamUserIds and MixLayoutParams of the request replace the stored ones, and one
 * that is left out returns to its default (subscribe to everyone; the grid layout for a mixed
 * task). MixTranscodeParams, which TRTC's Modify does not carry, replaces the stored one only
 * when present. The running recorder picks the new revision up from the store. */
#include "actions.h"

#include "common/api_error.h"
#include "common/json_util.h"
#include "validate/validate.h"
#include "task/codes.h"
#include "task/spec.h"

static JsonObject *
modify_load_params (const CrTask *task, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, task->params_json, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    cr_api_error_set (error, "InternalError.CRInternalError",
                      "stored parameters of task %s are unreadable", task->task_id);
    return NULL;
  }
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* The default MixLayoutParams, normalised by the same schema as any request. */
static JsonObject *
modify_default_layout (JsonObject *params, GError **error)
{
  g_autoptr (JsonObject) req = json_object_new ();
  gint64 app = 0;
  cr_json_get_int (params, "SdkAppId", &app);
  json_object_set_int_member (req, "SdkAppId", app);
  json_object_set_string_member (req, "TaskId", cr_json_get_string (params, "TaskId"));
  JsonObject *layout = json_object_new ();
  json_object_set_int_member (layout, "MixLayoutMode", 3);
  json_object_set_object_member (req, "MixLayoutParams", layout);
  g_autoptr (JsonObject) norm
      = cr_validate_request ("ModifyCloudRecording", req, CR_VALIDATE_JSON, error);
  if (norm == NULL)
    return NULL;
  return json_object_ref (cr_json_get_object (norm, "MixLayoutParams"));
}

static void
modify_replace (JsonObject *target, const char *member, JsonObject *value)
{
  if (value != NULL)
    json_object_set_object_member (target, member, json_object_ref (value));
  else if (json_object_has_member (target, member))
    json_object_remove_member (target, member);
}

gboolean
cr_action_modify_cloud_recording (CrApi *api, const CrApp *app, JsonObject *params,
                                  JsonObject *reply, GError **error)
{
  g_autoptr (CrTask) task = cr_action_lookup_task (api, params, error);
  if (task == NULL)
    return FALSE;
  g_autoptr (JsonObject) stored = modify_load_params (task, error);
  if (stored == NULL)
    return FALSE;
  JsonObject *record = cr_json_get_object (stored, "RecordParams");
  gint64 mode = 1;
  cr_json_get_int (record, "RecordMode", &mode);

  modify_replace (record, "SubscribeStreamUserIds",
                  cr_json_get_object (params, "SubscribeStreamUserIds"));
  JsonObject *transcode = cr_json_get_object (params, "MixTranscodeParams");
  if (transcode != NULL)
    modify_replace (stored, "MixTranscodeParams", transcode);
  g_autoptr (JsonObject) layout = NULL;
  if (cr_json_get_object (params, "MixLayoutParams") != NULL)
    layout = json_object_ref (cr_json_get_object (params, "MixLayoutParams"));
  else if (mode == CR_RECORD_MIXED && (layout = modify_default_layout (params, error)) == NULL)
    return FALSE;
  modify_replace (stored, "MixLayoutParams", layout);

  if (layout != NULL) {
    JsonObject *video
        = cr_json_get_object (cr_json_get_object (stored, "MixTranscodeParams"), "VideoParams");
    gint64 width = 360, height = 640;
    cr_json_get_int (video, "Width", &width);
    cr_json_get_int (video, "Height", &height);
    if (!cr_validate_layout_in_canvas (layout, width, height, error))
      return FALSE;
  }
  /* The new revision's spec, as the worker will read it: built here so a Modify the worker
   * could not apply is refused now, not found by the running recorder. */
  g_autoptr (CrTaskSpec) spec = cr_task_spec_new (stored, error);
  if (spec == NULL)
    return FALSE;
  g_autofree char *text = cr_json_object_to_string (stored);
  if (!api->store->vt->update_params (api->store, task->sdk_app_id, task->task_id, text,
                                      api->now_ms (), error))
    return FALSE;
  g_info ("task %s modified (revision %" G_GINT64_FORMAT ")", task->task_id, task->revision + 1);
  json_object_set_string_member (reply, "TaskId", task->task_id);
  return TRUE;
}
