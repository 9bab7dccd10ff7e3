/* Single-stream recording (RecordMode 1): one file set per user's main or aux stream.
 *
 * Each wanted medium of a user's stream is a track (media/track.c) fed by an ingest forward, or,
 * with AvMerge, one track with the audio and video the stream has. A stream is one user's main or
 * aux, its audio and video counting once: at most max-streams (api-max-streams, 25) are recorded
 * at once, the earliest by room entry; when one leaves, the earliest-entered stream not yet
 * recorded takes its place. Modify changes the subscription: the next follow starts and ends
 * tracks to match. */
#include <string.h>

#include "media/track.h"
#include "recorder/recorder.h"

#define GST_CAT_DEFAULT cr_recorder_debug

#define AV_WAIT_US (3 * G_USEC_PER_SEC) /* AvMerge: how long to wait for an announced medium */
#define RETRY_US (250 * 1000) /* a track that could not start (no forward yet) is tried again */

typedef struct {
  CrRecorder base;
  GHashTable *recs;          /* key -> Rec */
  GHashTable *waiting_since; /* AvMerge key -> monotonic µs since part of it is there */
  GHashTable *left_out;      /* "user/main|aux" not recorded for the stream limit (logged once) */
  gboolean start_failed;     /* the last follow could not start a wanted track */
  gint64 followed_us;        /* monotonic µs of the last follow */
} Single;

typedef struct {
  Worker *w;
  char *key; /* "user/main|aux/audio|video", or "user/main|aux/av" with AvMerge */
  char *user_id;
  gboolean aux;
  gboolean media[2]; /* audio, video: what the track records */
  CrTrack *track;
  char *forward_ids[2];
} Rec;

static void
rec_free (Rec *r)
{
  g_free (r->key);
  g_free (r->user_id);
  g_free (r->forward_ids[0]);
  g_free (r->forward_ids[1]);
  g_free (r);
}

static const char *
track_type_name (const gboolean media[2])
{
  return media[0] && media[1] ? "audio_video" : media[1] ? "video" : "audio";
}

static void
single_on_segment (CrTrack *track, const CrSegment *segment, gboolean first, gpointer data)
{
  Rec *r = data;
  worker_announce_segment (r->w, segment, first, cr_track_playlist_name (track), r->user_id,
                           track_type_name (r->media), cr_track_start_ms (track));
}

/* After a fill the recording waits for a keyframe: ask the publisher through the video forward. */
static void
single_on_keyframe (CrTrack *track, gpointer data)
{
  Rec *r = data;
  if (r->forward_ids[1] != NULL)
    worker_ask_keyframe (r->w, r->forward_ids[1]);
}

static void
rec_end (Rec *r)
{
  for (int m = 0; m < 2; m++) {
    if (r->forward_ids[m] != NULL)
      worker_unforward (r->w, r->forward_ids[m]);
    g_clear_pointer (&r->forward_ids[m], g_free);
  }
  if (r->track != NULL)
    cr_track_finish (r->track);
  r->track = NULL;
}

/* The playlist of @key, kept for the task's life: a track that ends and starts again (a
 * publisher back, AvMerge media changing) goes on in the same file after a discontinuity. */
static CrPlaylist *
single_playlist (Worker *w, const char *key, const char *user_id, gboolean aux,
                 const gboolean media[2])
{
  int stream_type = media[0] && media[1] ? -1 : media[1] ? CR_TRACK_VIDEO : CR_TRACK_AUDIO;
  CrPlaylist *playlist = g_hash_table_lookup (w->playlists, key);
  if (playlist == NULL) {
    playlist = cr_playlist_new (user_id, aux ? "aux" : "main", FALSE, stream_type,
                                g_get_real_time () / 1000);
    g_hash_table_insert (w->playlists, g_strdup (key), playlist);
  } else if (playlist->stream_type != stream_type) {
    /* AvMerge: a run of sound alone, then one with the camera (or the other way): the playlist
     * holds both from now on, so it no longer says one medium (compose and merge read it). */
    playlist->stream_type = -1;
  }
  return playlist;
}

/* Starts recording @key: the audio and/or the video (caps non-NULL) of a user's stream. FALSE
 * when it could not (the next follow tries again). */
static gboolean
single_start_rec (Single *s, const char *user_id, gboolean aux, const char *audio_caps,
                  const char *video_caps, const char *key)
{
  Worker *w = s->base.w;
  g_autofree char *stem = cr_naming_single_stem (&w->naming, user_id, aux);
  Rec *r = g_new0 (Rec, 1);
  r->w = w;
  r->key = g_strdup (key);
  r->user_id = g_strdup (user_id);
  r->aux = aux;
  r->media[0] = audio_caps != NULL;
  r->media[1] = video_caps != NULL;
  CrTrackOptions to = { w->hls_dir,
                        stem,
                        user_id,
                        aux,
                        audio_caps,
                        video_caps,
                        w->spec->av_merge,
                        aux ? -1 : (int)w->spec->fill_type,
                        single_playlist (w, key, user_id, aux, r->media) };
  g_autoptr (GError) error = NULL;
  r->track = cr_track_new (&to, single_on_segment, single_on_keyframe, r, &error);
  if (r->track == NULL) {
    g_warning ("task %s: cannot record %s: %s", w->task->task_id, key, error->message);
    rec_free (r);
    return FALSE;
  }
  for (int video = 1; video >= 0; video--) {
    if (r->media[video])
      r->forward_ids[video]
          = worker_forward (w, user_id, aux, video, cr_track_rtp_port (r->track, video));
  }
  if ((r->media[1] && r->forward_ids[1] == NULL) || (r->media[0] && r->forward_ids[0] == NULL)) {
    rec_end (r);
    rec_free (r);
    return FALSE;
  }
  g_hash_table_insert (s->recs, r->key, r);
  g_info ("task %s: recording %s", w->task->task_id, key);
  return TRUE;
}

/* AvMerge: one track per user's stream with the audio and video it has. It starts once every
 * medium the publisher announced has arrived (or after AV_WAIT_US with what there is), and
 * starts again (after a discontinuity) when the media change: a camera turned on or off. */
static void
single_follow_merged (Single *s, const CrRoomStream *st, const char *caps[2], GHashTable *present)
{
  Worker *w = s->base.w;
  g_autofree char *key = g_strdup_printf ("%s/%s/av", st->user_id, st->aux ? "aux" : "main");
  g_hash_table_add (present, g_strdup (key));
  Rec *r = g_hash_table_lookup (s->recs, key);
  if (r != NULL && r->media[0] == (caps[0] != NULL) && r->media[1] == (caps[1] != NULL))
    return;
  if (r != NULL) {
    g_info ("task %s: %s changes media; its file goes on after a discontinuity", w->task->task_id,
            key);
    rec_end (r);
    g_hash_table_remove (s->recs, key);
  }
  gint64 now = g_get_monotonic_time ();
  gint64 *since = g_hash_table_lookup (s->waiting_since, key);
  if (since == NULL) {
    since = g_new (gint64, 1);
    *since = now;
    g_hash_table_insert (s->waiting_since, g_strdup (key), since);
  }
  gboolean announced[2];
  for (int m = 0; m < 2; m++)
    announced[m] = st->announced[m] && cr_task_spec_wants (w->spec, st->user_id, st->aux, m);
  gboolean complete = (!announced[0] || caps[0] != NULL) && (!announced[1] || caps[1] != NULL);
  if (!complete && now - *since < AV_WAIT_US) {
    GST_DEBUG ("task %s: %s waits for its announced media", w->task->task_id, key);
    return;
  }
  g_hash_table_remove (s->waiting_since, key);
  if (!single_start_rec (s, st->user_id, st->aux, caps[0], caps[1], key))
    s->start_failed = TRUE;
}

/* Whether any track of @st's stream is being recorded. */
static gboolean
single_records (Single *s, const CrRoomStream *st)
{
  const char *kind = st->aux ? "aux" : "main";
  static const char *const media[] = { "audio", "video", "av" };
  for (guint i = 0; i < G_N_ELEMENTS (media); i++) {
    g_autofree char *key = g_strdup_printf ("%s/%s/%s", st->user_id, kind, media[i]);
    if (g_hash_table_contains (s->recs, key))
      return TRUE;
  }
  return FALSE;
}

/* The streams to record now: those recorded already, then the earliest-entered others that have
 * something wanted, up to the limit. */
static GPtrArray *
single_pick_streams (Single *s, const CrRoomView *room)
{
  Worker *w = s->base.w;
  GPtrArray *picked = g_ptr_array_new ();
  g_autoptr (GPtrArray) candidates = g_ptr_array_new ();
  for (guint i = 0; i < room->streams->len; i++) {
    const CrRoomStream *st = g_ptr_array_index (room->streams, i);
    gboolean wanted = FALSE;
    for (int m = 0; m < 2; m++)
      wanted = wanted
               || (st->caps[m] != NULL && cr_task_spec_wants (w->spec, st->user_id, st->aux, m));
    if (!wanted) {
      GST_LOG ("task %s: %s/%s: nothing the task wants is published", w->o->task_id, st->user_id,
               st->aux ? "aux" : "main");
      continue;
    }
    g_ptr_array_add (single_records (s, st) ? picked : candidates, (gpointer)st);
  }
  guint limit = w->o->max_streams > 0 ? w->o->max_streams : G_MAXUINT;
  for (guint i = 0; i < candidates->len; i++) {
    const CrRoomStream *st = g_ptr_array_index (candidates, i);
    g_autofree char *id = g_strdup_printf ("%s/%s", st->user_id, st->aux ? "aux" : "main");
    if (picked->len >= limit) {
      GST_DEBUG ("task %s: %s left out: %u streams recorded (limit %u)", w->o->task_id, id,
                 picked->len, limit);
      if (g_hash_table_add (s->left_out, g_steal_pointer (&id)))
        g_info ("task %s: %s/%s is not recorded: the task records at most %u streams at once "
                "(api-max-streams); it starts when a recorded one leaves",
                w->task->task_id, st->user_id, st->aux ? "aux" : "main", limit);
      continue;
    }
    g_hash_table_remove (s->left_out, id);
    g_ptr_array_add (picked, (gpointer)st);
  }
  return picked;
}

static gboolean
single_follow (CrRecorder *base, const CrRoomView *room)
{
  Single *s = (Single *)base;
  Worker *w = base->w;
  g_autoptr (GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) streams = single_pick_streams (s, room);
  s->start_failed = FALSE;
  s->followed_us = g_get_monotonic_time ();
  for (guint i = 0; i < streams->len; i++) {
    const CrRoomStream *st = g_ptr_array_index (streams, i);
    const char *caps[2] = { NULL, NULL };
    for (int m = 0; m < 2; m++)
      if (cr_task_spec_wants (w->spec, st->user_id, st->aux, m))
        caps[m] = st->caps[m];
    if (w->spec->av_merge) {
      single_follow_merged (s, st, caps, present);
      continue;
    }
    for (int video = 0; video < 2; video++) {
      if (caps[video] == NULL)
        continue;
      g_autofree char *key = g_strdup_printf ("%s/%s/%s", st->user_id, st->aux ? "aux" : "main",
                                              video ? "video" : "audio");
      g_hash_table_add (present, g_strdup (key));
      if (!g_hash_table_contains (s->recs, key)
          && !single_start_rec (s, st->user_id, st->aux, video ? NULL : caps[0],
                                video ? caps[1] : NULL, key))
        s->start_failed = TRUE;
    }
  }
  /* Tracks whose stream went away, or that the subscription no longer wants, end. */
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, s->recs);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Rec *r = value;
    if (!g_hash_table_contains (present, r->key)) {
      g_info ("task %s: %s ended", w->task->task_id, r->key);
      rec_end (r);
      g_hash_table_iter_remove (&it);
    }
  }
  /* A stream gone while its AvMerge track waited waits no more (its wait would stay due). */
  g_hash_table_iter_init (&it, s->waiting_since);
  gpointer key;
  while (g_hash_table_iter_next (&it, &key, NULL)) {
    if (!g_hash_table_contains (present, key))
      g_hash_table_iter_remove (&it);
  }
  return TRUE;
}

/* Followed again when an AvMerge wait ends, or soon after a track could not start. */
static gint64
single_follow_due_us (CrRecorder *base)
{
  Single *s = (Single *)base;
  gint64 due = s->start_failed ? s->followed_us + RETRY_US : 0;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, s->waiting_since);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    gint64 ends = *(gint64 *)value + AV_WAIT_US;
    due = due == 0 ? ends : MIN (due, ends);
  }
  return due;
}

static void
single_apply_spec (CrRecorder *base, const CrTaskSpec *old)
{
  /* The subscription is read from the worker's spec at every follow: nothing to keep. */
}

static gint64
single_last_media_us (CrRecorder *base)
{
  Single *s = (Single *)base;
  gint64 last = 0;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, s->recs);
  while (g_hash_table_iter_next (&it, NULL, &value))
    last = MAX (last, cr_track_last_packet_us (((Rec *)value)->track));
  return last;
}

static void
single_finish (CrRecorder *base)
{
  Single *s = (Single *)base;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, s->recs);
  while (g_hash_table_iter_next (&it, NULL, &value))
    rec_end (value);
  g_hash_table_unref (s->recs);
  g_hash_table_unref (s->waiting_since);
  g_hash_table_unref (s->left_out);
  g_free (s);
}

static CrRecorder *
single_start (Worker *w, GError **error)
{
  Single *s = g_new0 (Single, 1);
  s->base.klass = &cr_single_recorder_class;
  s->base.w = w;
  s->recs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)rec_free);
  s->waiting_since = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  s->left_out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return &s->base;
}

const CrRecorderClass cr_single_recorder_class = {
  .name = "single-stream",
  .start = single_start,
  .follow = single_follow,
  .follow_due_us = single_follow_due_us,
  .apply_spec = single_apply_spec,
  .last_media_us = single_last_media_us,
  .finish = single_finish,
};
