/* The actions on video-generation tasks: CreateVideoGenerationTask (the effective request, the
 * task QUEUED in the store), DescribeVideoGenerationTask (a task under way or a stored one) and
 * the app's callback settings. */
#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "task/task_id.h"
#include "tiw/class_video.h"
#include "tiw/class_video_gen_private.h"

static gboolean
gen_available (CrClassRecorder *rec, GError **error)
{
  if (rec->vgen != NULL)
    return TRUE;
  cr_api_error_set (error, "InternalError", "video generation is not running on this server");
  return FALSE;
}

gboolean
cr_class_video_gen_create (CrClassRecorder *rec, const CrApp *app, JsonObject *req, char **task_id,
                           GError **error)
{
  if (!gen_available (rec, error))
    return FALSE;
  CrClassVideoGen *gen = rec->vgen;
  const char *class_id = cr_json_get_string (req, "OnlineRecordTaskId");
  g_autoptr (GError) find_error = NULL;
  g_autoptr (JsonObject) r = cr_class_rec_find (rec, app->sdk_app_id, class_id, &find_error);
  if (r == NULL) {
    if (strstr (find_error->message, "is not an online recording") == NULL) {
      g_propagate_error (error, g_steal_pointer (&find_error));
      return FALSE;
    }
    cr_api_error_set (error, CR_VIDEO_GEN_ERROR_NOT_FOUND,
                      "OnlineRecordTaskId %s is not an online recording of SdkAppId "
                      "%" G_GUINT64_FORMAT,
                      class_id, app->sdk_app_id);
    return FALSE;
  }
  JsonObject *class_req = cr_class_rec_request (r);
  if (!cr_class_video_mode (class_req)) {
    cr_api_error_set (error, CR_VIDEO_GEN_ERROR_REALTIME,
                      "OnlineRecordTaskId %s records in %s: its videos are made while it "
                      "records; video generation takes a VIDEO_GENERATION_MODE class",
                      class_id, cr_json_get_string (class_req, "RecordMode"));
    return FALSE;
  }
  CrClassState state = cr_class_rec_state (r);
  if (state != CR_CLASS_STOPPED && state != CR_CLASS_FINISHED) {
    cr_api_error_set (error, CR_VIDEO_GEN_ERROR_RECORDING,
                      "OnlineRecordTaskId %s is %s; stop it (StopOnlineRecord) before generating "
                      "its videos",
                      class_id, cr_class_state_name (state));
    return FALSE;
  }
  /* The effective request: this call's Whiteboard/MixStream/Concat/RecordControl win. */
  gint64 now = rec->api->now_ms ();
  g_autofree char *class_text = cr_json_object_to_string (class_req);
  g_autoptr (JsonObject) request = cr_json_parse_object (class_text, strlen (class_text), error);
  if (request == NULL)
    return FALSE;
  for (const char *const *m
       = (const char *const[]){ "Whiteboard", "MixStream", "Concat", "RecordControl", NULL };
       *m != NULL; m++) {
    JsonNode *n = json_object_get_member (req, *m);
    if (n != NULL)
      json_object_set_member (request, *m, json_node_copy (n));
  }
  g_autoptr (JsonObject) t = json_object_new ();
  g_autofree char *id = cr_task_id_new ();
  json_object_set_string_member (t, "TaskId", id);
  json_object_set_int_member (t, "SdkAppId", (gint64)app->sdk_app_id);
  json_object_set_string_member (t, "OnlineRecordTaskId", class_id);
  gint64 room = cr_json_get_int_or (class_req, "RoomId", 0);
  json_object_set_int_member (t, "RoomId", room);
  const char *group = cr_json_get_string (class_req, "GroupId");
  g_autofree char *room_text = g_strdup_printf ("%" G_GINT64_FORMAT, room);
  json_object_set_string_member (t, "GroupId", group != NULL && *group != '\0' ? group : room_text);
  json_object_set_string_member (t, "BoardUserId", cr_json_get_string (r, "RecordUserId"));
  g_autofree char *mix_user = cr_class_mix_user_id (request);
  json_object_set_string_member (t, "MixUserId", mix_user);
  json_object_set_string_member (t, "Status", CR_VIDEO_GEN_QUEUED);
  json_object_set_int_member (t, "Progress", 0);
  json_object_set_int_member (t, "CreatedMs", now);
  json_object_set_object_member (t, "Request", json_object_ref (request));
  g_autofree char *text = cr_json_object_to_string (t);
  if (!cr_video_gen_store_put (gen->store, app->sdk_app_id, id, class_id, CR_VIDEO_GEN_QUEUED, now,
                               now, text, error))
    return FALSE;
  g_info ("video generation %s of class %s queued", id, class_id);
  g_hash_table_insert (gen->active, g_strdup (id), g_steal_pointer (&t));
  *task_id = g_steal_pointer (&id);
  return TRUE;
}

gboolean
cr_class_video_gen_describe (CrClassRecorder *rec, const CrApp *app, const char *task_id,
                             JsonObject *reply, GError **error)
{
  if (!gen_available (rec, error))
    return FALSE;
  JsonObject *t = g_hash_table_lookup (rec->vgen->active, task_id);
  if (t != NULL && (guint64)cr_json_get_int_or (t, "SdkAppId", 0) == app->sdk_app_id) {
    cr_video_gen_describe_into (t, reply);
    return TRUE;
  }
  g_autoptr (GError) local = NULL;
  g_autofree char *text
      = cr_video_gen_store_get (rec->vgen->store, app->sdk_app_id, task_id, &local);
  g_autoptr (JsonObject) stored
      = text != NULL ? cr_json_parse_object (text, strlen (text), &local) : NULL;
  if (stored == NULL) {
    if (local != NULL) {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
    cr_api_error_set (error, CR_VIDEO_GEN_ERROR_NOT_FOUND,
                      "TaskId %s is not a video-generation task of SdkAppId %" G_GUINT64_FORMAT,
                      task_id, app->sdk_app_id);
    return FALSE;
  }
  cr_video_gen_describe_into (stored, reply);
  return TRUE;
}

gboolean
cr_class_video_gen_set_callback (CrClassRecorder *rec, const CrApp *app, const char *url,
                                 const char *key, GError **error)
{
  return gen_available (rec, error)
         && cr_video_gen_store_set_callback (rec->vgen->store, app->sdk_app_id, url, key, error);
}

gboolean
cr_class_video_gen_get_callback (CrClassRecorder *rec, const CrApp *app, char **url, char **key,
                                 GError **error)
{
  return gen_available (rec, error)
         && cr_video_gen_store_get_callback (rec->vgen->store, app->sdk_app_id, url, key, error);
}
