/* Mixed recording (RecordMode 2): the room's subscribed streams as inputs of one mix, in
 * room-entry order, followed as they come, go and turn their camera off; the picture
 * (mixed_picture.c) is laid out again whenever the streams, their pictures or the layout of the
 * task's spec (Modify) change. See mixed_private.h. */
#include "recorder/mixed_private.h"

#include "mix/mix_scene.h"

#define CAMERA_OFF_US (G_USEC_PER_SEC) /* no picture for this long: the user's camera is off */
#define MIXED_WATCH_US (250 * 1000)    /* how often the cameras are looked at */

/* ---- the mix ---- */

static void
mixed_on_segment (const CrSegment *segment, gboolean first, gpointer data)
{
  Mixed *m = data;
  worker_announce_segment (m->base.w, segment, first, cr_mix_playlist_name (m->mix), "",
                           "audio_video", m->playlist->start_rec_ms);
}

static gboolean
mixed_start_mix (Mixed *m)
{
  Worker *w = m->base.w;
  g_autofree char *stem = cr_naming_mixed_stem (&w->naming);
  if (m->playlist == NULL) {
    m->playlist = cr_playlist_new (NULL, NULL, TRUE, -1, g_get_real_time () / 1000);
    g_hash_table_insert (w->playlists, g_strdup ("mix"), m->playlist);
  }
  CrMixOptions o = {
    .dir = w->hls_dir,
    .stem = stem,
    .playlist = m->playlist,
    .audio = w->spec->stream_type != CR_STREAMS_VIDEO,
    .video = w->spec->stream_type != CR_STREAMS_AUDIO,
    .background_rgb = w->spec->layout.background_rgb,
    .timestamp_pos = mixed_timestamp_pos (m, TRUE),
  };
  cr_mix_options_set_transcode (&o, &w->spec->transcode);
  m->width = o.width;
  m->height = o.height;
  g_autoptr (GError) error = NULL;
  m->mix = cr_mix_new (&o, mixed_on_segment, m, &error);
  if (m->mix == NULL) {
    g_warning ("task %s: cannot mix: %s", w->task->task_id, error->message);
    return FALSE;
  }
  g_info ("task %s: mixing %dx%d %d fps into %s", w->task->task_id, o.width, o.height, o.fps,
          cr_mix_playlist_name (m->mix));
  return TRUE;
}

static void
mixed_end_input (Mixed *m, const char *key)
{
  char *forward = g_hash_table_lookup (m->forwards, key);
  if (forward != NULL)
    worker_unforward (m->base.w, forward);
  g_hash_table_remove (m->forwards, key);
  cr_mix_remove_input (m->mix, key);
}

/* ---- following the room ---- */

static void
mix_stream_free (MixStream *s)
{
  g_free (s->user_id);
  g_free (s);
}

static MixStream *
mixed_find_stream (Mixed *m, const char *user, gboolean aux)
{
  for (guint i = 0; i < m->order->len; i++) {
    MixStream *s = g_ptr_array_index (m->order, i);
    if (s->aux == aux && g_strcmp0 (s->user_id, user) == 0)
      return s;
  }
  return NULL;
}

/* A camera turned off keeps its stream published with no pictures: its tile becomes a
 * placeholder (as for a user with audio only) until pictures come back, which start from a
 * keyframe asked of the publisher. */
static void
mixed_watch_camera (Mixed *m, MixStream *ms, const char *video_key)
{
  Worker *w = m->base.w;
  gint64 last = cr_mix_input_last_packet_us (m->mix, video_key);
  gboolean flowing = last != 0 && g_get_monotonic_time () - last < CAMERA_OFF_US;
  if (flowing && !ms->has_video && ms->had_video) {
    const char *forward = g_hash_table_lookup (m->forwards, video_key);
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
mixed_start_input (Mixed *m, const CrRoomStream *st, gboolean video, const char *key)
{
  Worker *w = m->base.w;
  g_autoptr (GError) error = NULL;
  guint16 port = cr_mix_add_input (m->mix, key, st->caps[video], video, st->unordered, &error);
  if (port == 0) {
    g_warning ("task %s: cannot mix %s: %s", w->task->task_id, key, error->message);
    return;
  }
  char *forward = worker_forward (w, st->user_id, st->aux, video, port);
  if (forward == NULL) {
    cr_mix_remove_input (m->mix, key);
    return;
  }
  g_hash_table_insert (m->forwards, g_strdup (key), forward);
  g_info ("task %s: mixing %s", w->task->task_id, key);
}

/* The stream of @st in the mix's room-entry order (added when new). */
static MixStream *
mixed_enter (Mixed *m, const CrRoomStream *st)
{
  MixStream *ms = mixed_find_stream (m, st->user_id, st->aux);
  if (ms != NULL)
    return ms;
  ms = g_new0 (MixStream, 1);
  ms->user_id = g_strdup (st->user_id);
  ms->aux = st->aux;
  ms->since_ms = st->since_ms;
  guint at = m->order->len; /* by entry, even when a stream's media come late */
  while (at > 0 && ((MixStream *)g_ptr_array_index (m->order, at - 1))->since_ms > ms->since_ms)
    at--;
  g_ptr_array_insert (m->order, (gint)at, ms);
  return ms;
}

/* Lays the picture out again when who is shown, or the task's layout, changed. */
static void
mixed_relayout_if_changed (Mixed *m)
{
  GString *signature = g_string_new (NULL);
  g_string_append_printf (signature, "%u", m->layout_generation);
  for (guint i = 0; i < m->order->len; i++) {
    MixStream *s = g_ptr_array_index (m->order, i);
    g_string_append_printf (signature, "\n%s/%d/%d", s->user_id, s->aux, s->has_video);
  }
  if (g_strcmp0 (signature->str, m->signature) == 0) {
    g_string_free (signature, TRUE);
    return;
  }
  g_free (m->signature);
  m->signature = g_string_free (signature, FALSE);
  mixed_relayout (m);
}

static gboolean
mixed_follow (CrRecorder *base, const CrRoomView *room)
{
  Mixed *m = (Mixed *)base;
  Worker *w = base->w;
  m->followed_us = g_get_monotonic_time ();
  g_autoptr (GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) seen = g_ptr_array_new ();
  for (guint i = 0; i < room->streams->len; i++) {
    const CrRoomStream *st = g_ptr_array_index (room->streams, i);
    gboolean wanted[2];
    for (int video = 0; video < 2; video++)
      wanted[video]
          = st->caps[video] != NULL && cr_task_spec_wants (w->spec, st->user_id, st->aux, video);
    if (!wanted[0] && !wanted[1])
      continue;
    if (m->mix == NULL && !mixed_start_mix (m))
      return FALSE;
    MixStream *ms = mixed_enter (m, st);
    g_ptr_array_add (seen, ms);
    for (int video = 0; video < 2; video++) {
      if (!wanted[video])
        continue;
      g_autofree char *key = g_strdup_printf ("%s/%s/%s", st->user_id, st->aux ? "aux" : "main",
                                              video ? "video" : "audio");
      if (!cr_mix_has_input (m->mix, key))
        mixed_start_input (m, st, video, key);
      if (video)
        mixed_watch_camera (m, ms, key);
      g_hash_table_add (present, g_steal_pointer (&key));
    }
    if (!wanted[1])
      ms->has_video = FALSE;
  }
  if (m->mix == NULL)
    return TRUE;
  /* Inputs whose stream went away, or that the subscription no longer wants, end. */
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (m->forwards, NULL);
  g_auto (GStrv) inputs = g_strdupv ((char **)keys);
  for (char **k = inputs; *k != NULL; k++) {
    if (!g_hash_table_contains (present, *k)) {
      g_info ("task %s: %s leaves the mix", w->task->task_id, *k);
      mixed_end_input (m, *k);
    }
  }
  for (guint i = m->order->len; i-- > 0;) {
    if (!g_ptr_array_find (seen, g_ptr_array_index (m->order, i), NULL))
      g_ptr_array_remove_index (m->order, i);
  }
  mixed_relayout_if_changed (m);
  return TRUE;
}

static void
mixed_apply_spec (CrRecorder *base, const CrTaskSpec *old)
{
  Mixed *m = (Mixed *)base;
  if (!cr_task_spec_same_layout (&old->layout, &base->w->spec->layout))
    m->layout_generation++; /* the next follow lays the picture out again */
}

static gint64
mixed_last_media_us (CrRecorder *base)
{
  Mixed *m = (Mixed *)base;
  return m->mix != NULL ? cr_mix_last_packet_us (m->mix) : 0;
}

static void
mixed_finish (CrRecorder *base)
{
  Mixed *m = (Mixed *)base;
  if (m->mix != NULL) {
    GHashTableIter it;
    gpointer forward;
    g_hash_table_iter_init (&it, m->forwards);
    while (g_hash_table_iter_next (&it, NULL, &forward))
      worker_unforward (base->w, forward);
    cr_mix_finish (m->mix);
  }
  g_hash_table_unref (m->forwards);
  g_ptr_array_unref (m->order);
  cr_image_cache_free (m->images);
  g_free (m->signature);
  g_free (m);
}

static CrRecorder *
mixed_start (Worker *w, GError **error)
{
  Mixed *m = g_new0 (Mixed, 1);
  m->base.klass = &cr_mixed_recorder_class;
  m->base.w = w;
  m->forwards = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  m->order = g_ptr_array_new_with_free_func ((GDestroyNotify)mix_stream_free);
  return &m->base;
}

/* While mixing, every MIXED_WATCH_US: a camera turned off or on (mixed_watch_camera) shows only
 * in its packets' times, and an input whose forward could not be made yet is tried again. */
static gint64
mixed_follow_due_us (CrRecorder *base)
{
  Mixed *m = (Mixed *)base;
  return m->mix != NULL ? m->followed_us + MIXED_WATCH_US : 0;
}

const CrRecorderClass cr_mixed_recorder_class = {
  .name = "mixed",
  .start = mixed_start,
  .follow = mixed_follow,
  .follow_due_us = mixed_follow_due_us,
  .apply_spec = mixed_apply_spec,
  .last_media_us = mixed_last_media_us,
  .finish = mixed_finish,
};
