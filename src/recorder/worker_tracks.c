/* One recording per user's stream: a track pipeline fed by ingest forwards, its segments handed
 * to the blob store and announced (304/307), separate or merged audio and video (AvMerge). See
 * worker_private.h. */
#include <string.h>

#include "common/json_util.h"
#include "files/naming.h"
#include "recorder/worker_private.h"

void
rec_free (Rec *r)
{
  g_free (r->key);
  g_free (r->user_id);
  g_free (r->forward_ids[0]);
  g_free (r->forward_ids[1]);
  g_free (r);
}

/* ---- tracks ---- */

/* Whether the HLS is part of the output (OutputFormat 0-2) or only the working record that the
 * MP4/AAC files are made from (3, 4). */
gboolean
worker_keeps_hls (Worker *w)
{
  return w->output_format <= 2;
}

/* Hands the finished local file @name of the working directory to the blob store. */
gboolean
worker_store_file (Worker *w, const char *name)
{
  g_autofree char *key = g_strconcat (w->key_prefix, "/", name, NULL);
  g_autofree char *path = g_build_filename (w->dir, name, NULL);
  g_autoptr (GError) error = NULL;
  if (!w->blobs->vt->put_file (w->blobs, key, path, &error)) {
    g_warning ("task %s: %s", w->task->task_id, error->message);
    return FALSE;
  }
  return TRUE;
}

static const char *
worker_track_type (const gboolean media[2])
{
  return media[0] && media[1] ? "audio_video" : media[1] ? "video" : "audio";
}

/* A segment is on disk and listed: it goes to the blob store, then the playlist that lists it;
 * the file enters the StorageFileList with its first segment (307, 304). */
void
worker_announce_segment (Worker *w, const CrSegment *segment, gboolean first,
                         const char *playlist_name, const char *user_id, const char *track_type,
                         gint64 start_ms)
{
  w->last_media_us = g_get_monotonic_time ();
  if (!worker_keeps_hls (w))
    return; /* with OutputFormat 3/4 only the MP4/AAC files are the recording's */
  if (!worker_store_file (w, segment->uri) || !worker_store_file (w, playlist_name) || !first)
    return;
  CrTaskFile file
      = { w->task->task_id, (char *)playlist_name, (char *)user_id, (char *)track_type, start_ms };
  g_autoptr (GError) error = NULL;
  if (!w->store->vt->put_file (w->store, &file, &error))
    g_warning ("task %s: %s", w->task->task_id, error->message);
  g_info ("task %s: %s started (first segment %s)", w->task->task_id, file.file_name, segment->uri);
  JsonObject *slice = json_object_new ();
  json_object_set_string_member (slice, "FileName", file.file_name);
  json_object_set_string_member (slice, "UserId", file.user_id);
  json_object_set_string_member (slice, "TrackType", file.track_type);
  json_object_set_int_member (slice, "BeginTimeStamp", file.begin_ts_ms);
  worker_emit (w, 307, slice);
  JsonObject *info = json_object_new ();
  json_object_set_string_member (info, "FileList", file.file_name);
  worker_emit (w, 304, info);
}

static void
worker_on_segment (CrTrack *track, const CrSegment *segment, gboolean first, gpointer data)
{
  Rec *r = data;
  worker_announce_segment (r->w, segment, first, cr_track_playlist_name (track), r->user_id,
                           worker_track_type (r->media), cr_track_start_ms (track));
}

/* @method on /internal/forwards/<id><suffix>; the reply does not matter. */
static void
worker_forward_call (Worker *w, const char *method, const char *forward_id, const char *suffix)
{
  g_autofree char *path = g_strdup_printf ("/internal/forwards/%s%s", forward_id, suffix);
  guint status = 0;
  JsonObject *reply = worker_call (w, method, path, NULL, &status);
  if (reply != NULL)
    json_object_unref (reply);
}

/* Asks the publisher of a video forward for a keyframe (PLI/FIR through the ingest). */
void
worker_ask_keyframe (Worker *w, const char *forward_id)
{
  worker_forward_call (w, "POST", forward_id, "/keyframe");
}

/* After a fill the recording waits for a keyframe: ask the publisher through the video forward. */
static void
worker_on_keyframe (CrTrack *track, gpointer data)
{
  Rec *r = data;
  if (r->forward_ids[1] != NULL)
    worker_ask_keyframe (r->w, r->forward_ids[1]);
}

void
worker_unforward (Worker *w, const char *forward_id)
{
  worker_forward_call (w, "DELETE", forward_id, "");
}

static void
worker_remove_forwards (Worker *w, Rec *r)
{
  for (int m = 0; m < 2; m++) {
    if (r->forward_ids[m] != NULL)
      worker_unforward (w, r->forward_ids[m]);
    g_clear_pointer (&r->forward_ids[m], g_free);
  }
}

void
worker_end_rec (Worker *w, Rec *r)
{
  worker_remove_forwards (w, r);
  cr_track_finish (r->track);
  r->track = NULL;
}

/* Asks the ingest to send medium @video of the user's stream to the loopback @port; the forward's
 * id, or NULL. */
char *
worker_forward (Worker *w, const char *user_id, gboolean aux, gboolean video, guint16 port)
{
  g_autoptr (JsonObject) req = json_object_new ();
  json_object_set_int_member (req, "SdkAppId", (gint64)w->task->sdk_app_id);
  json_object_set_boolean_member (req, "StrRoom", w->task->room_id_type == 0);
  json_object_set_string_member (req, "RoomId", w->task->room_id);
  json_object_set_string_member (req, "UserId", user_id);
  json_object_set_string_member (req, "Stream", aux ? "aux" : "main");
  json_object_set_string_member (req, "Media", video ? "video" : "audio");
  json_object_set_int_member (req, "RtpPort", port);
  json_object_set_int_member (req, "RtcpPort", 0);
  json_object_set_string_member (req, "TaskId", w->task->task_id);
  g_autofree char *body = cr_json_object_to_string (req);
  guint status = 0;
  g_autoptr (JsonObject) reply = worker_call (w, "POST", "/internal/forwards", body, &status);
  const char *forward = cr_json_get_string (reply, "ForwardId");
  if (status != 201 || forward == NULL) {
    g_info ("task %s: %s/%s %s not forwarded yet (HTTP %u)", w->task->task_id, user_id,
            aux ? "aux" : "main", video ? "video" : "audio", status);
    return NULL;
  }
  return g_strdup (forward);
}

/* Starts recording @key: the audio and/or the video (caps non-NULL) of a user's stream. */
void
worker_start_rec (Worker *w, const char *user_id, gboolean aux, const char *audio_caps,
                  const char *video_caps, const char *key)
{
  CrNamingTask naming = { w->task->sdk_app_id, w->task->room_id, w->task->room_id_type == 0,
                          w->task->task_id,    w->prefix,        w->failover };
  g_autofree char *stem = cr_naming_single_stem (&naming, user_id, aux);
  Rec *r = g_new0 (Rec, 1);
  r->w = w;
  r->key = g_strdup (key);
  r->user_id = g_strdup (user_id);
  r->aux = aux;
  r->media[0] = audio_caps != NULL;
  r->media[1] = video_caps != NULL;
  CrPlaylist *playlist = g_hash_table_lookup (w->playlists, key);
  if (playlist == NULL) {
    int stream_type = r->media[0] && r->media[1] ? -1 : r->media[1] ? 1 : 0;
    playlist = cr_playlist_new (user_id, aux ? "aux" : "main", FALSE, stream_type,
                                g_get_real_time () / 1000);
    g_hash_table_insert (w->playlists, g_strdup (key), playlist);
  }
  CrTrackOptions to = { w->hls_dir, stem,       user_id,     aux,
                        audio_caps, video_caps, w->av_merge, aux ? -1 : w->fill_type,
                        playlist };
  g_autoptr (GError) error = NULL;
  r->track = cr_track_new (&to, worker_on_segment, worker_on_keyframe, r, &error);
  if (r->track == NULL) {
    g_warning ("task %s: cannot record %s: %s", w->task->task_id, key, error->message);
    rec_free (r);
    return;
  }
  for (int video = 1; video >= 0; video--) {
    if (r->media[video])
      r->forward_ids[video]
          = worker_forward (w, user_id, aux, video, cr_track_rtp_port (r->track, video));
  }
  if ((r->media[1] && r->forward_ids[1] == NULL) || (r->media[0] && r->forward_ids[0] == NULL)) {
    worker_end_rec (w, r);
    rec_free (r);
    return;
  }
  g_hash_table_insert (w->recs, r->key, r);
  g_info ("task %s: recording %s", w->task->task_id, key);
}

/* AvMerge: one track per user's stream with the audio and video it has. It starts once every
 * medium the publisher announced has arrived (or after AV_WAIT_US with what there is), and
 * starts again (after a discontinuity) when the media change: a camera turned on or off. */
void
worker_follow_merged (Worker *w, const char *user, gboolean aux, const char *caps[2],
                      const gboolean announced[2], GHashTable *present)
{
  if (caps[0] == NULL && caps[1] == NULL)
    return;
  g_autofree char *key = g_strdup_printf ("%s/%s/av", user, aux ? "aux" : "main");
  g_hash_table_add (present, g_strdup (key));
  Rec *r = g_hash_table_lookup (w->recs, key);
  if (r != NULL && r->media[0] == (caps[0] != NULL) && r->media[1] == (caps[1] != NULL))
    return;
  if (r != NULL) {
    g_info ("task %s: %s changes media; its file goes on after a discontinuity", w->task->task_id,
            key);
    worker_end_rec (w, r);
    g_hash_table_remove (w->recs, key);
  }
  gint64 now = g_get_monotonic_time ();
  gint64 *since = g_hash_table_lookup (w->waiting_since, key);
  if (since == NULL) {
    since = g_new (gint64, 1);
    *since = now;
    g_hash_table_insert (w->waiting_since, g_strdup (key), since);
  }
  gboolean complete = (!announced[0] || caps[0] != NULL) && (!announced[1] || caps[1] != NULL);
  if (!complete && now - *since < AV_WAIT_US)
    return;
  g_hash_table_remove (w->waiting_since, key);
  worker_start_rec (w, user, aux, caps[0], caps[1], key);
}

gboolean
worker_wants (Worker *w, const char *user_id, gboolean aux, gboolean video)
{
  if (g_strcmp0 (user_id, w->task->user_id) == 0)
    return FALSE; /* the robot itself */
  if ((w->stream_type == 1 && video) || (w->stream_type == 2 && !video))
    return FALSE;
  if ((w->media_id == 1 && aux) || (w->media_id == 2 && !aux))
    return FALSE;
  return cr_subscription_wants (w->subscription, user_id, video);
}
