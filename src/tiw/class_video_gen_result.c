/* What a video-generation task tells: its Progress over the spans, DescribeVideoGenerationTask's
 * members, its VideoInfoList read from the MP4s (in the real-time result's format), and its end,
 * FINISHED with callback VideoGenerationFinished (event 395). */
#include <string.h>

#include "common/json_util.h"
#include "task/codes.h"
#include "tiw/class_video_gen_private.h"
#include "tiw/mp4_info.h"

void
cr_video_gen_set_progress (JsonObject *t, int span_percent)
{
  JsonArray *spans = cr_json_get_array (t, "Spans");
  guint n = spans != NULL ? json_array_get_length (spans) : 0;
  gint64 i = cr_json_get_int_or (t, "Span", 0);
  int p = n > 0 ? (int)((i * 100 + span_percent) / n) : 0;
  json_object_set_int_member (t, "Progress",
                              MAX (cr_json_get_int_or (t, "Progress", 0), MIN (p, 99)));
}

/* DescribeVideoGenerationTask's members (also the callback's EventData). */
void
cr_video_gen_describe_into (JsonObject *t, JsonObject *out)
{
  json_object_set_string_member (out, "TaskId", cr_json_get_string (t, "TaskId"));
  json_object_set_string_member (out, "GroupId", cr_json_get_string (t, "GroupId"));
  json_object_set_int_member (out, "RoomId", cr_json_get_int_or (t, "RoomId", 0));
  json_object_set_string_member (out, "OnlineRecordTaskId",
                                 cr_json_get_string (t, "OnlineRecordTaskId"));
  json_object_set_string_member (out, "Status", cr_video_gen_status (t));
  json_object_set_int_member (out, "Progress", cr_json_get_int_or (t, "Progress", 0));
  json_object_set_int_member (out, "TotalTime", cr_json_get_int_or (t, "TotalTime", 0));
  JsonArray *videos = cr_json_get_array (t, "VideoInfoList");
  json_object_set_array_member (out, "VideoInfoList",
                                videos != NULL ? json_array_ref (videos) : json_array_new ());
  if (videos != NULL && json_array_get_length (videos) > 0)
    json_object_set_object_member (out, "VideoInfos",
                                   json_object_ref (json_array_get_object_element (videos, 0)));
  const char *reason = cr_json_get_string (t, "FinishReason");
  json_object_set_string_member (out, "FinishReason", reason != NULL ? reason : "");
  const char *code = cr_json_get_string (t, "ErrorCode");
  json_object_set_string_member (out, "ErrorCode", code != NULL ? code : "");
  const char *message = cr_json_get_string (t, "ErrorMessage");
  json_object_set_string_member (out, "ErrorMessage", message != NULL ? message : "");
}

/* Callback VideoGenerationFinished (event 395), under the class's first TRTC task of its last
 * span (the outbox keeps events per TRTC task), to the app's SetVideoGenerationTaskCallback. */
static void
gen_emit_finished (CrClassVideoGen *gen, JsonObject *t)
{
  CrClassRecorder *rec = gen->rec;
  guint64 app = (guint64)cr_json_get_int_or (t, "SdkAppId", 0);
  g_autofree char *url = NULL, *key = NULL;
  g_autoptr (GError) error = NULL;
  if (rec->callbacks == NULL)
    return;
  if (!cr_video_gen_store_get_callback (gen->store, app, &url, &key, &error)) {
    g_warning ("video generation %s: no callback: %s", cr_json_get_string (t, "TaskId"),
               error->message);
    return;
  }
  const char *trtc_task = cr_json_get_string (t, "CallbackTaskId");
  if (*url == '\0' || trtc_task == NULL)
    return;
  JsonObject *data = json_object_new ();
  cr_video_gen_describe_into (t, data);
  JsonObject *payload = json_object_new ();
  json_object_set_string_member (payload, "Url", url);
  json_object_set_object_member (payload, "Body",
                                 cr_class_callback_body (app, "VideoGenerationFinished", data, key,
                                                         rec->api->now_ms () / 1000));
  cr_callback_sender_emit (rec->callbacks, app, trtc_task, CR_EVENT_VIDEO_GEN_FINISHED, payload);
}

void
cr_video_gen_finish (CrClassVideoGen *gen, JsonObject *t, const char *code, const char *message)
{
  json_object_set_string_member (t, "Status", CR_VIDEO_GEN_FINISHED);
  json_object_set_int_member (t, "FinishedMs", gen->rec->api->now_ms ());
  if (code != NULL) {
    json_object_set_string_member (t, "FinishReason", "EXCEPTION");
    json_object_set_string_member (t, "ErrorCode", code);
    json_object_set_string_member (t, "ErrorMessage", message);
    g_warning ("video generation %s failed: %s", cr_json_get_string (t, "TaskId"), message);
  } else {
    json_object_set_string_member (t, "FinishReason", "DONE");
    json_object_set_int_member (t, "Progress", 100);
    g_info ("video generation %s finished: %u videos", cr_json_get_string (t, "TaskId"),
            json_array_get_length (cr_json_get_array (t, "VideoInfoList")));
  }
  gen_emit_finished (gen, t);
}

/* VideoInfoList from the spans' MP4s, in the real-time result's format (class_result.c): a file
 * stored in the class's bucket by its key and URL there, else by its path in the local store. */
void
cr_video_gen_collect (CrClassVideoGen *gen, JsonObject *t)
{
  JsonArray *videos = json_array_new ();
  JsonArray *spans = cr_json_get_array (t, "Spans");
  const char *storage = gen->rec->api->config->storage_dir;
  g_autofree char *abs_storage = g_canonicalize_filename (storage, NULL);
  const char *joined = cr_json_get_string (t, "ConcatFile");
  for (guint i = 0; spans != NULL && i < json_array_get_length (spans); i++) {
    JsonObject *s = json_array_get_object_element (spans, i);
    /* Concat: one MP4 from the first span's place on, instead of the pieces */
    const char *path = joined != NULL ? (i == 0 ? joined : NULL) : cr_json_get_string (s, "File");
    if (path == NULL)
      continue;
    CrMp4Info info = { 0 };
    g_autoptr (GError) error = NULL;
    if (!cr_mp4_info_read (path, &info, &error))
      g_warning ("video generation %s: %s", cr_json_get_string (t, "TaskId"), error->message);
    g_autofree char *abs = g_canonicalize_filename (path, NULL);
    const char *key = g_str_has_prefix (abs, abs_storage) ? abs + strlen (abs_storage) : abs;
    while (*key == '/')
      key++;
    g_autofree char *url = g_filename_to_uri (abs, NULL, NULL);
    JsonObject *where = cr_json_get_object (cr_json_get_object (t, "Stored"), path);
    if (where != NULL) { /* in the class's bucket (class_video_gen_bucket.c) */
      key = cr_json_get_string (where, "Key");
      g_free (url);
      url = g_strdup (cr_json_get_string (where, "Url"));
    }
    JsonObject *v = json_object_new ();
    json_object_set_int_member (v, "VideoPlayTime", cr_json_get_int_or (s, "PlayTime", 0));
    json_object_set_int_member (v, "VideoSize", info.size);
    json_object_set_string_member (v, "VideoFormat", "mp4");
    json_object_set_int_member (v, "VideoDuration", info.duration_ms);
    json_object_set_string_member (v, "VideoUrl", url != NULL ? url : "");
    json_object_set_string_member (v, "VideoId", key);
    json_object_set_int_member (v, "VideoType", 3); /* mixed */
    json_object_set_string_member (v, "UserId", cr_json_get_string (t, "MixUserId"));
    json_object_set_int_member (v, "Width", info.width);
    json_object_set_int_member (v, "Height", info.height);
    json_array_add_object_element (videos, v);
  }
  json_object_set_array_member (t, "VideoInfoList", videos);
}
