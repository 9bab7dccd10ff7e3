/* The mixed recording (RecordMode 2): the room's subscribed streams as inputs of one mix, in
 * room-entry order, followed as they come, go and turn their camera off; the picture
 * (worker_mix_layout.c) is re-laid whenever the streams, their pictures or the task's revision
 * (Modify) change. See worker_private.h. */
#include "common/json_util.h"
#include "files/naming.h"
#include "recorder/worker_private.h"

#define CAMERA_OFF_US (G_USEC_PER_SEC) /* no picture for this long: the user's camera is off */

/* ---- the mix ---- */

static void
worker_on_mix_segment (const CrSegment *segment, gboolean first, gpointer data)
{
  Worker *w = data;
  worker_announce_segment (w, segment, first, cr_mix_playlist_name (w->mix), "", "audio_video",
                           w->mix_playlist->start_rec_ms);
}

static gboolean
worker_start_mix (Worker *w)
{
  JsonObject *transcode = cr_json_get_object (w->params, "MixTranscodeParams");
  JsonObject *video = cr_json_get_object (transcode, "VideoParams");
  JsonObject *audio = cr_json_get_object (transcode, "AudioParams");
  static const int rates[] = { 48000, 48000, 44100, 16000 };
  gint64 rate = cr_json_get_int_or (audio, "SampleRate", 1);
  CrNamingTask naming = { w->task->sdk_app_id, w->task->room_id, w->task->room_id_type == 0,
                          w->task->task_id,    w->prefix,        w->failover };
  g_autofree char *stem = cr_naming_mixed_stem (&naming);
  if (w->mix_playlist == NULL) {
    w->mix_playlist = cr_playlist_new (NULL, NULL, TRUE, -1, g_get_real_time () / 1000);
    g_hash_table_insert (w->playlists, g_strdup ("mix"), w->mix_playlist);
  }
  CrMixOptions o = {
    .dir = w->hls_dir,
    .stem = stem,
    .playlist = w->mix_playlist,
    .audio = w->stream_type != 2,
    .video = w->stream_type != 1,
    .width = (int)cr_json_get_int_or (video, "Width", 360),
    .height = (int)cr_json_get_int_or (video, "Height", 640),
    .fps = (int)cr_json_get_int_or (video, "Fps", 15),
    .video_bitrate = (int)cr_json_get_int_or (video, "BitRate", 550000),
    .gop_s = (int)cr_json_get_int_or (video, "Gop", 10),
    .sample_rate = rates[CLAMP (rate, 1, 3)],
    .channels = (int)cr_json_get_int_or (audio, "Channel", 2),
    .audio_bitrate = (int)cr_json_get_int_or (audio, "BitRate", 64000),
    .background_rgb = worker_colour (
        cr_json_get_string (cr_json_get_object (w->params, "MixLayoutParams"), "BackGroundColor"),
        0),
    .timestamp_pos = worker_timestamp_pos (w, TRUE),
  };
  w->mix_width = o.width;
  w->mix_height = o.height;
  g_autoptr (GError) error = NULL;
  w->mix = cr_mix_new (&o, worker_on_mix_segment, w, &error);
  if (w->mix == NULL) {
    g_warning ("task %s: cannot mix: %s", w->task->task_id, error->message);
    return FALSE;
  }
  g_info ("task %s: mixing %dx%d %d fps into %s", w->task->task_id, o.width, o.height, o.fps,
          cr_mix_playlist_name (w->mix));
  return TRUE;
}

static void
worker_end_input (Worker *w, const char *key)
{
  char *forward = g_hash_table_lookup (w->mix_forwards, key);
  if (forward != NULL)
    worker_unforward (w, forward);
  g_hash_table_remove (w->mix_forwards, key);
  cr_mix_remove_input (w->mix, key);
}

void
worker_end_mix (Worker *w)
{
  if (w->mix == NULL)
    return;
  GHashTableIter it;
  gpointer forward;
  g_hash_table_iter_init (&it, w->mix_forwards);
  while (g_hash_table_iter_next (&it, NULL, &forward))
    worker_unforward (w, forward);
  g_hash_table_remove_all (w->mix_forwards);
  cr_mix_finish (w->mix);
  w->mix = NULL;
}

/* ---- following the room ---- */

void
mix_stream_free (MixStream *s)
{
  g_free (s->user_id);
  g_free (s);
}

static MixStream *
find_stream (Worker *w, const char *user, gboolean aux)
{
  for (guint i = 0; i < w->mix_order->len; i++) {
    MixStream *s = g_ptr_array_index (w->mix_order, i);
    if (s->aux == aux && g_strcmp0 (s->user_id, user) == 0)
      return s;
  }
  return NULL;
}

/* A camera turned off keeps its stream published with no pictures: its tile becomes a
 * placeholder (as for a user with audio only) until pictures come back, which start from a
 * keyframe asked of the publisher. */
static void
worker_watch_camera (Worker *w, MixStream *ms, const char *video_key)
{
  gint64 last = cr_mix_input_last_packet_us (w->mix, video_key);
  gboolean flowing = last != 0 && g_get_monotonic_time () - last < CAMERA_OFF_US;
  if (flowing && !ms->has_video && ms->had_video) {
    const char *forward = g_hash_table_lookup (w->mix_forwards, video_key);
    if (forward != NULL)
      worker_ask_keyframe (w, forward);
  }
  if (flowing != ms->has_video)
    g_info ("task %s: %s %s", w->task->task_id, video_key,
            flowing ? "shows pictures" : "has no pictures (camera off)");
  ms->has_video = flowing;
  ms->had_video = ms->had_video || flowing;
}

/* Adds the input @key (a wanted medium of a user's stream) and its forward. */
static void
worker_start_input (Worker *w, const char *user, gboolean aux, gboolean video, const char *caps,
                    const char *key)
{
  g_autoptr (GError) error = NULL;
  guint16 port = cr_mix_add_input (w->mix, key, caps, video, &error);
  if (port == 0) {
    g_warning ("task %s: cannot mix %s: %s", w->task->task_id, key, error->message);
    return;
  }
  char *forward = worker_forward (w, user, aux, video, port);
  if (forward == NULL) {
    cr_mix_remove_input (w->mix, key);
    return;
  }
  g_hash_table_insert (w->mix_forwards, g_strdup (key), forward);
  g_info ("task %s: mixing %s", w->task->task_id, key);
}

gboolean
worker_follow_mix (Worker *w, JsonArray *streams)
{
  g_autoptr (GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) seen = g_ptr_array_new ();
  for (guint i = 0; streams != NULL && i < json_array_get_length (streams); i++) {
    JsonObject *s = json_array_get_object_element (streams, i);
    const char *user = cr_json_get_string (s, "UserId");
    if (user == NULL)
      continue;
    gboolean aux = g_strcmp0 (cr_json_get_string (s, "Stream"), "aux") == 0;
    const char *caps[2] = { NULL, NULL };
    for (int video = 0; video < 2; video++) {
      if (worker_wants (w, user, aux, video))
        caps[video] = cr_json_get_string (s, video ? "VideoCaps" : "AudioCaps");
    }
    if (caps[0] == NULL && caps[1] == NULL)
      continue;
    if (w->mix == NULL && !worker_start_mix (w))
      return FALSE;
    MixStream *ms = find_stream (w, user, aux);
    if (ms == NULL) {
      ms = g_new0 (MixStream, 1);
      ms->user_id = g_strdup (user);
      ms->aux = aux;
      ms->since_ms = cr_json_get_int_or (s, "Since", 0);
      guint at = w->mix_order->len; /* by entry, even when a stream's media come late */
      while (at > 0
             && ((MixStream *)g_ptr_array_index (w->mix_order, at - 1))->since_ms > ms->since_ms)
        at--;
      g_ptr_array_insert (w->mix_order, (gint)at, ms);
    }
    g_ptr_array_add (seen, ms);
    for (int video = 0; video < 2; video++) {
      if (caps[video] == NULL)
        continue;
      g_autofree char *key
          = g_strdup_printf ("%s/%s/%s", user, aux ? "aux" : "main", video ? "video" : "audio");
      if (!cr_mix_has_input (w->mix, key))
        worker_start_input (w, user, aux, video, caps[video], key);
      if (video)
        worker_watch_camera (w, ms, key);
      g_hash_table_add (present, g_steal_pointer (&key));
    }
    if (caps[1] == NULL)
      ms->has_video = FALSE;
  }
  if (w->mix == NULL)
    return TRUE;
  /* Inputs whose stream went away, or that the subscription no longer wants, end. */
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (w->mix_forwards, NULL);
  g_auto (GStrv) inputs = g_strdupv ((char **)keys);
  for (char **k = inputs; *k != NULL; k++) {
    if (!g_hash_table_contains (present, *k)) {
      g_info ("task %s: %s leaves the mix", w->task->task_id, *k);
      worker_end_input (w, *k);
    }
  }
  for (guint i = w->mix_order->len; i-- > 0;) {
    if (!g_ptr_array_find (seen, g_ptr_array_index (w->mix_order, i), NULL))
      g_ptr_array_remove_index (w->mix_order, i);
  }
  /* Re-lay the picture when who is shown, or the task, changed. */
  GString *signature = g_string_new (NULL);
  g_string_append_printf (signature, "%" G_GINT64_FORMAT, w->revision);
  for (guint i = 0; i < w->mix_order->len; i++) {
    MixStream *s = g_ptr_array_index (w->mix_order, i);
    g_string_append_printf (signature, "\n%s/%d/%d", s->user_id, s->aux, s->has_video);
  }
  if (g_strcmp0 (signature->str, w->mix_signature) != 0) {
    g_free (w->mix_signature);
    w->mix_signature = g_string_free (signature, FALSE);
    worker_relayout (w);
  } else {
    g_string_free (signature, TRUE);
  }
  return TRUE;
}
