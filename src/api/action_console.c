/* The console's extensions (docs/api.md): CloudrecDescribeTasks lists an app's tasks,
 * CloudrecDescribeRooms its live rooms, CloudrecDescribeLayout the mixed picture of a task.
 *
 * Why actions and not console-only routes: the console reaches them through the same pipeline as
 * every signed call (rate limit, validation, the app check), and an SDK user can call them too.
 * The layout is the layout engine's own (mix/layout.h), with the options the mix's scene gives it
 * (cr_mix_scene_tiles), for the streams the room has now, taken as the mixed recorder takes them
 * (in room-entry order, filtered by the task's subscription), so the console's preview is the
 * recording's picture, not a drawing of its own. */
#include "actions.h"

#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "ingest/ingest.h"
#include "mix/mix_scene.h"
#include "task/spec.h"

#define TASKS_MAX 200

static void
tasks_copy_member (JsonObject *to, JsonObject *from, const char *name)
{
  JsonNode *n = from != NULL ? json_object_get_member (from, name) : NULL;
  if (n != NULL)
    json_object_set_member (to, name, json_node_copy (n));
}

/* The request as created (Modify applied), without the storage's keys. */
static JsonObject *
tasks_request (const CrTask *task)
{
  JsonObject *o = json_object_new ();
  g_autoptr (JsonObject) params
      = task->params_json != NULL
            ? cr_json_parse_object (task->params_json, strlen (task->params_json), NULL)
            : NULL;
  tasks_copy_member (o, params, "RecordParams");
  tasks_copy_member (o, params, "MixLayoutParams");
  tasks_copy_member (o, params, "MixTranscodeParams");
  tasks_copy_member (o, params, "StorageParams");
  JsonObject *cloud = cr_json_get_object (cr_json_get_object (o, "StorageParams"), "CloudStorage");
  if (cloud != NULL) {
    json_object_remove_member (cloud, "AccessKey");
    json_object_remove_member (cloud, "SecretKey");
  }
  return o;
}

static JsonObject *
tasks_entry (const CrTask *task)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "TaskId", task->task_id);
  json_object_set_string_member (o, "RoomId", task->room_id);
  json_object_set_int_member (o, "RoomIdType", task->room_id_type);
  json_object_set_string_member (o, "UserId", task->user_id);
  json_object_set_string_member (o, "Status", cr_task_status_to_string (task->status));
  json_object_set_boolean_member (o, "Finished", task->finished_ms != 0);
  json_object_set_int_member (o, "LeaveCode", task->leave_code);
  json_object_set_int_member (o, "CreateTime", task->created_ms);
  json_object_set_int_member (o, "EndTime", task->ended_ms);
  json_object_set_int_member (o, "FinishTime", task->finished_ms);
  json_object_set_int_member (o, "ExpireTime", task->expires_ms);
  json_object_set_int_member (o, "Failovers", task->failovers);
  json_object_set_object_member (o, "Request", tasks_request (task));
  return o;
}

static gint
tasks_newest_first (gconstpointer a, gconstpointer b)
{
  const CrTask *x = *(const CrTask *const *)a, *y = *(const CrTask *const *)b;
  if (x->created_ms != y->created_ms)
    return x->created_ms > y->created_ms ? -1 : 1;
  return strcmp (x->task_id, y->task_id);
}

/* Live tasks (not exited) and finished ones the store keeps, newest first, those past their
 * ResourceExpiredHour left out as Describe leaves them out. A task between its exit and its
 * finish (its worker still storing its files) is in neither list for those seconds. */
gboolean
cr_action_cloudrec_describe_tasks (CrApi *api, const CrApp *app, JsonObject *params,
                                   JsonObject *reply, GError **error)
{
  g_autoptr (GPtrArray) active = api->store->vt->list_active (api->store, error);
  if (active == NULL)
    return FALSE;
  gint64 now = api->now_ms ();
  g_autoptr (GPtrArray) finished
      = api->store->vt->list_finished != NULL
            ? api->store->vt->list_finished (api->store, 0, G_MAXINT64, error)
            : g_ptr_array_new_with_free_func ((GDestroyNotify)cr_task_free);
  if (finished == NULL)
    return FALSE;
  g_autoptr (GPtrArray) mine = g_ptr_array_new ();
  GPtrArray *lists[] = { active, finished };
  for (guint l = 0; l < G_N_ELEMENTS (lists); l++) {
    for (guint i = 0; i < lists[l]->len; i++) {
      CrTask *t = g_ptr_array_index (lists[l], i);
      if (t->sdk_app_id == app->sdk_app_id && now <= t->expires_ms)
        g_ptr_array_add (mine, t);
    }
  }
  g_ptr_array_sort (mine, tasks_newest_first);
  JsonArray *list = json_array_new ();
  for (guint i = 0; i < mine->len && i < TASKS_MAX; i++)
    json_array_add_object_element (list, tasks_entry (g_ptr_array_index (mine, i)));
  json_object_set_int_member (reply, "TotalCount", mine->len);
  json_object_set_array_member (reply, "Tasks", list);
  return TRUE;
}

/* ---- rooms ---- */

static JsonObject *
rooms_user (JsonObject *users, const char *user_id)
{
  JsonObject *u = cr_json_get_object (users, user_id);
  if (u == NULL) {
    u = json_object_new ();
    json_object_set_string_member (u, "UserId", user_id);
    json_object_set_int_member (u, "JoinTime", 0);
    json_object_set_array_member (u, "Streams", json_array_new ());
    json_object_set_object_member (users, user_id, u);
  }
  return u;
}

static JsonObject *
rooms_entry (CrApi *api, const CrApp *app, const char *name)
{
  CrRoomKey key = { app->sdk_app_id, name[0] == 's', name + 2 };
  g_autoptr (JsonObject) users = json_object_new ();
  g_autoptr (GPtrArray) streams = cr_room_list_streams (api->rooms, &key);
  for (guint i = 0; streams != NULL && i < streams->len; i++) {
    const CrRoomStream *s = g_ptr_array_index (streams, i);
    JsonObject *u = rooms_user (users, s->user_id);
    gint64 join = json_object_get_int_member (u, "JoinTime");
    if (join == 0 || s->since_ms < join)
      json_object_set_int_member (u, "JoinTime", s->since_ms);
    JsonObject *st = json_object_new ();
    json_object_set_string_member (st, "StreamType", cr_stream_kind_name (s->stream));
    json_object_set_boolean_member (st, "HasAudio", s->has_audio);
    json_object_set_boolean_member (st, "HasVideo", s->has_video);
    json_object_set_boolean_member (st, "AudioActive", s->audio_active);
    json_object_set_boolean_member (st, "VideoActive", s->video_active);
    json_object_set_int_member (st, "PublishTime", s->since_ms);
    CrIngestStreamInfo info;
    if (api->ingest != NULL
        && cr_ingest_stream_info (api->ingest, &key, s->user_id, s->stream, &info)) {
      json_object_set_string_member (st, "AudioCodec",
                                     info.audio_codec != NULL ? info.audio_codec : "");
      json_object_set_string_member (st, "VideoCodec",
                                     info.video_codec != NULL ? info.video_codec : "");
      /* kbit/s received since the stream started (RTP, RTCP and DTLS), and the bytes so far. */
      double secs = (double)(g_get_monotonic_time () - info.started_us) / G_USEC_PER_SEC;
      json_object_set_int_member (st, "ReceivedBytes", (gint64)info.rx_bytes);
      json_object_set_int_member (st, "Kbps",
                                  secs >= 1 ? (gint64)(info.rx_bytes * 8 / 1000 / secs) : 0);
      /* Retransmission, where the engine counts it (lean): packets asked for again (NACK), of
       * them those that came, and those given up. */
      if (info.retx_counted) {
        json_object_set_int_member (st, "NackedPackets", (gint64)info.nacked);
        json_object_set_int_member (st, "RecoveredPackets", (gint64)info.recovered);
        json_object_set_int_member (st, "UnrecoveredPackets", (gint64)info.unrecovered);
      }
    }
    json_array_add_object_element (json_object_get_array_member (u, "Streams"), st);
  }
  /* Members: recording robots, in the room without publishing. */
  g_autoptr (GPtrArray) members = cr_room_list_members (api->rooms, &key);
  for (guint i = 0; members != NULL && i + 1 < members->len; i += 2) {
    JsonObject *u = rooms_user (users, g_ptr_array_index (members, i));
    json_object_set_string_member (u, "RecordingTaskId", g_ptr_array_index (members, i + 1));
  }
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "RoomId", key.room_id);
  json_object_set_int_member (o, "RoomIdType", key.string_room ? 0 : 1);
  JsonArray *list = json_array_new ();
  GList *names = json_object_get_members (users);
  names = g_list_sort (names, (GCompareFunc)strcmp);
  for (GList *l = names; l != NULL; l = l->next)
    json_array_add_object_element (list, json_object_ref (cr_json_get_object (users, l->data)));
  g_list_free (names);
  json_object_set_array_member (o, "Users", list);
  return o;
}

gboolean
cr_action_cloudrec_describe_rooms (CrApi *api, const CrApp *app, JsonObject *params,
                                   JsonObject *reply, GError **error)
{
  JsonArray *list = json_array_new ();
  g_autoptr (GPtrArray) names
      = api->rooms != NULL ? cr_room_list_rooms (api->rooms, app->sdk_app_id) : g_ptr_array_new ();
  for (guint i = 0; i < names->len; i++)
    json_array_add_object_element (list, rooms_entry (api, app, g_ptr_array_index (names, i)));
  json_object_set_int_member (reply, "TotalCount", names->len);
  json_object_set_array_member (reply, "Rooms", list);
  return TRUE;
}

/* ---- layout ---- */

static gint
layout_by_entry (gconstpointer a, gconstpointer b)
{
  const CrRoomStream *x = *(const CrRoomStream *const *)a, *y = *(const CrRoomStream *const *)b;
  return x->since_ms < y->since_ms ? -1 : x->since_ms > y->since_ms;
}

static JsonObject *
layout_rect (JsonObject *o, const CrRect *r)
{
  json_object_set_int_member (o, "Left", r->x);
  json_object_set_int_member (o, "Top", r->y);
  json_object_set_int_member (o, "Width", r->width);
  json_object_set_int_member (o, "Height", r->height);
  return o;
}

gboolean
cr_action_cloudrec_describe_layout (CrApi *api, const CrApp *app, JsonObject *params,
                                    JsonObject *reply, GError **error)
{
  g_autoptr (CrTask) task = cr_action_lookup_task (api, params, error);
  if (task == NULL)
    return FALSE;
  g_autoptr (CrTaskSpec) spec = cr_task_spec_new_from_text (task->params_json, error);
  if (spec == NULL)
    return FALSE;
  if (spec->record_mode != CR_RECORD_MIXED) {
    cr_api_error_set (error, "FailedOperation",
                      "TaskId %s is a single-stream recording; only a mixed one has a layout",
                      task->task_id);
    return FALSE;
  }
  /* The streams the mixed recorder takes: in room-entry order, the media its subscription
   * wants (recorder/mixed.c), none once the task has exited. */
  CrRoomKey key = { app->sdk_app_id, spec->string_room, spec->room_id };
  g_autoptr (GPtrArray) room = task->status != CR_TASK_EXITED && api->rooms != NULL
                                   ? cr_room_list_streams (api->rooms, &key)
                                   : NULL;
  if (room != NULL)
    g_ptr_array_sort (room, layout_by_entry);
  g_autoptr (GArray) streams = g_array_new (FALSE, TRUE, sizeof (CrLayoutStream));
  for (guint i = 0; room != NULL && i < room->len; i++) {
    const CrRoomStream *s = g_ptr_array_index (room, i);
    gboolean aux = s->stream == CR_STREAM_AUX;
    gboolean audio = s->has_audio && cr_task_spec_wants (spec, s->user_id, aux, FALSE);
    gboolean video = s->has_video && cr_task_spec_wants (spec, s->user_id, aux, TRUE);
    if (!audio && !video)
      continue;
    CrLayoutStream ls = { s->user_id, aux, video };
    g_array_append_val (streams, ls);
  }
  const CrSpecLayout *layout = &spec->layout;
  int width = spec->transcode.width, height = spec->transcode.height;
  g_autoptr (GArray) tiles = cr_mix_scene_tiles (
      layout, width, height, (const CrLayoutStream *)streams->data, streams->len);
  JsonArray *list = json_array_new ();
  for (guint i = 0; i < tiles->len; i++) {
    const CrTile *t = &g_array_index (tiles, CrTile, i);
    const CrLayoutStream *s
        = t->stream >= 0 ? &g_array_index (streams, CrLayoutStream, t->stream) : NULL;
    JsonObject *o = layout_rect (json_object_new (), &t->rect);
    json_object_set_string_member (o, "UserId", s != NULL ? s->user_id : "");
    json_object_set_string_member (o, "StreamType", s == NULL ? "" : s->aux ? "aux" : "main");
    json_object_set_boolean_member (o, "HasVideo", s != NULL && s->has_video);
    json_object_set_int_member (o, "ZOrder", t->z);
    json_object_set_int_member (o, "Alpha", t->alpha);
    json_object_set_int_member (o, "RenderMode", t->render_mode);
    json_array_add_object_element (list, o);
  }
  JsonArray *marks = json_array_new ();
  for (guint i = 0; i < layout->watermarks->len; i++) {
    const CrSpecWatermark *w = &g_array_index (layout->watermarks, CrSpecWatermark, i);
    JsonObject *o = layout_rect (json_object_new (), &w->rect);
    json_object_set_int_member (o, "WaterMarkType", w->type);
    json_object_set_string_member (o, "Text", w->chars != NULL ? w->chars : "");
    json_array_add_object_element (marks, o);
  }
  g_autofree char *background = g_strdup_printf ("#%06x", layout->background_rgb & 0xffffff);
  json_object_set_string_member (reply, "TaskId", task->task_id);
  json_object_set_int_member (reply, "Width", width);
  json_object_set_int_member (reply, "Height", height);
  json_object_set_int_member (reply, "MixLayoutMode", layout->mode);
  json_object_set_string_member (reply, "BackgroundColor", background);
  json_object_set_array_member (reply, "Tiles", list);
  json_object_set_array_member (reply, "WaterMarks", marks);
  return TRUE;
}
