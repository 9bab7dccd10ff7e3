/* The single-stream recording worker; see worker.h. */
#include "worker.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "blob/blob_store.h"
#include "common/json_util.h"
#include "recorder/outputs.h"
#include "recorder/avsync.h"
#include "recorder/naming.h"
#include "recorder/subscription.h"
#include "recorder/track.h"
#include "store/task_store.h"

#define POLL_MS 500
#define INPROGRESS_WINDOW_US (2 * G_USEC_PER_SEC) /* media this recent counts as flowing */
#define AV_WAIT_US (3 * G_USEC_PER_SEC) /* AvMerge: how long to wait for an announced medium */

typedef struct _Worker Worker;

typedef struct {
  Worker *w;
  char *key; /* "user/main|aux/audio|video", or "user/main|aux/av" with AvMerge */
  char *user_id;
  gboolean aux;
  gboolean media[2]; /* audio, video: what the track records */
  CrTrack *track;
  char *forward_ids[2];
} Rec;

struct _Worker {
  const CrWorkerOptions *o;
  GMainLoop *loop;
  SoupSession *http;
  char *token;
  CrTaskStore *store;
  CrTask *task;
  JsonObject *params;
  gint64 revision;
  CrSubscription *subscription;
  int stream_type;           /* 0 A+V, 1 audio, 2 video */
  int media_id;              /* 0 main+aux, 1 main, 2 aux */
  gboolean av_merge;         /* AvMerge: a user's audio and video in the same file */
  GHashTable *waiting_since; /* AvMerge key -> monotonic µs since part of it is there */
  gint64 max_idle_s;
  int output_format;  /* OutputFormat 0..4 */
  gint64 max_file_ms; /* MaxMediaFileDuration */
  CrBlobStore *blobs; /* where the files go */
  char *key_prefix;   /* "<Prefix>/<TaskId>": the objects' key prefix */
  char *dir;          /* local working directory of the task's files (blobs->work_dir) */
  char *hls_dir;      /* where the HLS goes: dir, or a spool under it when no HLS is wanted */
  const char **prefix;
  GHashTable *recs;      /* key -> Rec */
  GHashTable *playlists; /* key -> CrPlaylist, for as long as the task runs */
  gint64 last_media_us;
  gboolean joined;  /* the robot is a member of the room */
  guint64 room_seq; /* the last room event seen */
  CrTaskStatus status;
  int leave_code;     /* -1 while running */
  int failover;       /* the "ha<n>_" of this worker's files; 0 for the first worker */
  gboolean signalled; /* SIGTERM/SIGINT: Delete, or the daemon shutting down */
  GError *error;
};

static void
rec_free (Rec *r)
{
  g_free (r->key);
  g_free (r->user_id);
  g_free (r->forward_ids[0]);
  g_free (r->forward_ids[1]);
  g_free (r);
}

/* ---- the daemon's internal API ---- */

static JsonObject *
worker_call (Worker *w, const char *method, const char *path, const char *body, guint *status)
{
  g_autofree char *url = g_strconcat (w->o->server, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  if (msg == NULL)
    return NULL;
  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Cloudrec-Token",
                                w->token);
  if (body != NULL) {
    g_autoptr (GBytes) b = g_bytes_new (body, strlen (body));
    soup_message_set_request_body_from_bytes (msg, "application/json", b);
  }
  g_autoptr (GBytes) reply = soup_session_send_and_read (w->http, msg, NULL, NULL);
  *status = soup_message_get_status (msg);
  if (reply == NULL)
    return NULL;
  gsize len = 0;
  const char *text = g_bytes_get_data (reply, &len);
  return len > 0 && text[0] == '{' ? cr_json_parse_object (text, len, NULL) : NULL;
}

/* A callback event for the daemon to sign and deliver (301 start, 302 stop, 304 file info, 307
 * first segment). Takes @payload. */
static void
worker_emit (Worker *w, int event_type, JsonObject *payload)
{
  g_autoptr (JsonObject) req = json_object_new ();
  json_object_set_int_member (req, "SdkAppId", (gint64)w->task->sdk_app_id);
  json_object_set_string_member (req, "TaskId", w->task->task_id);
  json_object_set_int_member (req, "EventType", event_type);
  json_object_set_object_member (req, "Payload", payload);
  g_autofree char *body = cr_json_object_to_string (req);
  guint status = 0;
  JsonObject *reply = worker_call (w, "POST", "/internal/callbacks", body, &status);
  if (reply != NULL)
    json_object_unref (reply);
  if (status != 202)
    g_warning ("task %s: callback %d not queued (HTTP %u)", w->task->task_id, event_type, status);
}

/* ---- tracks ---- */

/* Whether the HLS is part of the output (OutputFormat 0-2) or only the working record that the
 * MP4/AAC files are made from (3, 4). */
static gboolean
worker_keeps_hls (Worker *w)
{
  return w->output_format <= 2;
}

/* Hands the finished local file @name of the working directory to the blob store. */
static gboolean
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
 * the file enters the StorageFileList with its first segment. */
static void
worker_on_segment (CrTrack *track, const CrSegment *segment, gboolean first, gpointer data)
{
  Rec *r = data;
  Worker *w = r->w;
  w->last_media_us = g_get_monotonic_time ();
  if (!worker_keeps_hls (w))
    return; /* with OutputFormat 3/4 only the MP4/AAC files are the recording's */
  if (!worker_store_file (w, segment->uri) || !worker_store_file (w, cr_track_playlist_name (track))
      || !first)
    return;
  CrTaskFile file = { w->task->task_id, (char *)cr_track_playlist_name (track), r->user_id,
                      (char *)worker_track_type (r->media), cr_track_start_ms (track) };
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
worker_remove_forwards (Worker *w, Rec *r)
{
  for (int m = 0; m < 2; m++) {
    if (r->forward_ids[m] == NULL)
      continue;
    g_autofree char *path = g_strdup_printf ("/internal/forwards/%s", r->forward_ids[m]);
    guint status = 0;
    JsonObject *reply = worker_call (w, "DELETE", path, NULL, &status);
    if (reply != NULL)
      json_object_unref (reply);
    g_clear_pointer (&r->forward_ids[m], g_free);
  }
}

static void
worker_end_rec (Worker *w, Rec *r)
{
  worker_remove_forwards (w, r);
  cr_track_finish (r->track);
  r->track = NULL;
}

/* Asks the ingest to send medium @video of the user's stream to the track's port. */
static gboolean
worker_subscribe (Worker *w, Rec *r, gboolean video)
{
  g_autoptr (JsonObject) req = json_object_new ();
  json_object_set_int_member (req, "SdkAppId", (gint64)w->task->sdk_app_id);
  json_object_set_boolean_member (req, "StrRoom", w->task->room_id_type == 0);
  json_object_set_string_member (req, "RoomId", w->task->room_id);
  json_object_set_string_member (req, "UserId", r->user_id);
  json_object_set_string_member (req, "Stream", r->aux ? "aux" : "main");
  json_object_set_string_member (req, "Media", video ? "video" : "audio");
  json_object_set_int_member (req, "RtpPort", cr_track_rtp_port (r->track, video));
  json_object_set_int_member (req, "RtcpPort", 0);
  g_autofree char *body = cr_json_object_to_string (req);
  guint status = 0;
  g_autoptr (JsonObject) reply = worker_call (w, "POST", "/internal/forwards", body, &status);
  const char *forward = cr_json_get_string (reply, "ForwardId");
  if (status != 201 || forward == NULL) {
    g_info ("task %s: %s %s not forwarded yet (HTTP %u)", w->task->task_id, r->key,
            video ? "video" : "audio", status);
    return FALSE;
  }
  r->forward_ids[video ? 1 : 0] = g_strdup (forward);
  return TRUE;
}

/* Starts recording @key: the audio and/or the video (caps non-NULL) of a user's stream. */
static void
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
  CrTrackOptions to
      = { w->hls_dir, stem, user_id, aux, audio_caps, video_caps, w->av_merge, playlist };
  g_autoptr (GError) error = NULL;
  r->track = cr_track_new (&to, worker_on_segment, r, &error);
  if (r->track == NULL) {
    g_warning ("task %s: cannot record %s: %s", w->task->task_id, key, error->message);
    rec_free (r);
    return;
  }
  if ((r->media[1] && !worker_subscribe (w, r, TRUE))
      || (r->media[0] && !worker_subscribe (w, r, FALSE))) {
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
static void
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

static gboolean
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

/* ---- the robot in the room ---- */

/* "/internal/rooms/{app}/{room|str-room}/{room}" followed by @suffix. */
static char *
worker_room_path (Worker *w, const char *suffix)
{
  g_autofree char *room = g_uri_escape_string (w->task->room_id, NULL, FALSE);
  return g_strdup_printf ("/internal/rooms/%" G_GUINT64_FORMAT "/%s/%s%s", w->task->sdk_app_id,
                          w->task->room_id_type == 0 ? "str-room" : "room", room, suffix);
}

/* The robot joins the room as a member (it follows the room's events from here on). FALSE when
 * the task must end: someone publishes with the robot's UserId (LeaveCode 101). */
static gboolean
worker_join_room (Worker *w)
{
  g_autofree char *user = g_uri_escape_string (w->task->user_id, NULL, FALSE);
  g_autofree char *suffix = g_strconcat ("/members/", user, "?task=", w->task->task_id, NULL);
  g_autofree char *path = worker_room_path (w, suffix);
  guint status = 0;
  g_autoptr (JsonObject) reply = worker_call (w, "PUT", path, NULL, &status);
  gint64 seq = 0;
  if (status == 409) {
    g_info ("task %s: user %s publishes in the room; the robot leaves", w->task->task_id,
            w->task->user_id);
    w->leave_code = 101;
    return FALSE;
  }
  if (status == 200 && cr_json_get_int (reply, "LastSeq", &seq)) {
    w->joined = TRUE;
    w->room_seq = (guint64)seq;
  }
  return TRUE;
}

static void
worker_leave_room (Worker *w)
{
  if (!w->joined)
    return;
  g_autofree char *user = g_uri_escape_string (w->task->user_id, NULL, FALSE);
  g_autofree char *suffix = g_strconcat ("/members/", user, "?task=", w->task->task_id, NULL);
  g_autofree char *path = worker_room_path (w, suffix);
  guint status = 0;
  JsonObject *reply = worker_call (w, "DELETE", path, NULL, &status);
  if (reply != NULL)
    json_object_unref (reply);
  w->joined = FALSE;
}

/* The room's events since the last poll: the robot kicked (LeaveCode 1) or the room dismissed
 * (2) ends the task. A registry that went back in time is a restarted daemon: join again. */
static void
worker_follow_events (Worker *w, JsonObject *state)
{
  gint64 last = 0;
  if (!cr_json_get_int (state, "LastSeq", &last))
    return;
  if ((guint64)last < w->room_seq) {
    w->joined = FALSE;
    w->room_seq = 0;
    return;
  }
  JsonArray *events = json_object_has_member (state, "Events")
                          ? json_object_get_array_member (state, "Events")
                          : NULL;
  for (guint i = 0; events != NULL && i < json_array_get_length (events); i++) {
    JsonObject *ev = json_array_get_object_element (events, i);
    const char *type = cr_json_get_string (ev, "Type");
    if (g_strcmp0 (type, "dismiss") == 0)
      w->leave_code = 2;
    else if (g_strcmp0 (type, "kick") == 0
             && g_strcmp0 (cr_json_get_string (ev, "UserId"), w->task->user_id) == 0)
      w->leave_code = 1;
  }
  w->room_seq = (guint64)last;
  if (w->leave_code >= 0) {
    g_info ("task %s: the robot %s (LeaveCode %d)", w->task->task_id,
            w->leave_code == 1 ? "was kicked" : "left a dismissed room", w->leave_code);
    w->joined = FALSE; /* out of the room already */
  }
}

/* ---- the task as the store has it now (Modify changes the subscription) ---- */

/* The failover number of a worker starting in @dir: 0 when no worker wrote there yet, else one
 * more than the highest "ha<n>_" on disk, so a restarted worker (after a crash or a daemon
 * restart) never rewrites the playlists of an earlier one. */
static int
worker_pick_failover (const char *dir, int at_least)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return at_least;
  int next = at_least;
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL) {
    if (!g_str_has_suffix (name, ".m3u8"))
      continue;
    int n = 0;
    if (sscanf (name, "ha%d_", &n) != 1)
      n = 0;
    next = MAX (next, n + 1);
  }
  return next;
}

static gboolean
worker_load_task (Worker *w, GError **error)
{
  g_autoptr (CrTask) task = w->store->vt->lookup (w->store, w->o->sdk_app_id, w->o->task_id, error);
  if (task == NULL) {
    if (error != NULL && *error == NULL)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "task %s does not exist",
                   w->o->task_id);
    return FALSE;
  }
  /* Ended by the API: Delete (LeaveCode 0) or a new task with the same robot (101). */
  if (task->status == CR_TASK_EXITED && w->leave_code < 0)
    w->leave_code = MAX (task->leave_code, 0);
  if (w->task != NULL && task->revision == w->revision) {
    w->task->status = task->status;
    return TRUE;
  }
  g_autoptr (JsonObject) params
      = cr_json_parse_object (task->params_json, strlen (task->params_json), error);
  if (params == NULL)
    return FALSE;
  JsonObject *record = cr_json_get_object (params, "RecordParams");
  gint64 v = 0;
  w->stream_type = cr_json_get_int (record, "StreamType", &v) ? (int)v : 0;
  w->media_id = cr_json_get_int (record, "MediaId", &v) ? (int)v : 0;
  w->max_idle_s = cr_json_get_int (record, "MaxIdleTime", &v) ? v : 30;
  w->output_format = cr_json_get_int (record, "OutputFormat", &v) ? (int)v : 0;
  w->av_merge = cr_json_get_int (record, "AvMerge", &v) && v == 1;
  w->max_file_ms = (cr_json_get_int (record, "MaxMediaFileDuration", &v) ? v : 1440) * 60000;
  g_clear_pointer (&w->subscription, cr_subscription_free);
  w->subscription = cr_subscription_new (cr_json_get_object (record, "SubscribeStreamUserIds"));
  if (w->params != NULL)
    json_object_unref (w->params);
  w->params = g_steal_pointer (&params);
  w->revision = task->revision;
  if (w->task != NULL)
    cr_task_free (w->task);
  w->task = g_steal_pointer (&task);
  return TRUE;
}

static void
worker_set_status (Worker *w, CrTaskStatus status)
{
  if (w->status == status)
    return;
  g_autoptr (GError) error = NULL;
  if (w->store->vt->set_status (w->store, w->task->sdk_app_id, w->task->task_id, status, 0,
                                g_get_real_time () / 1000, &error)) {
    w->status = status;
    g_info ("task %s: %s", w->task->task_id, status == CR_TASK_IN_PROGRESS ? "InProgress" : "Idle");
  }
}

/* ---- MP4 / AAC (OutputFormat 1-4) ---- */

/* Removes the working HLS of OutputFormat 3/4 (its segments and playlists, then the directory). */
static void
worker_remove_spool (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    if (g_str_has_suffix (name, ".ts") || g_str_has_suffix (name, ".m3u8")) {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_remove (path);
    }
  }
  g_rmdir (dir);
}

/* Writes the MP4 or AAC files of the format, lists them and reports them with a 310 callback;
 * with no HLS wanted (3, 4) the working HLS is removed once they are all written. */
static void
worker_write_outputs (Worker *w)
{
  if (w->output_format < 1)
    return;
  CrNamingTask naming = { w->task->sdk_app_id, w->task->room_id, w->task->room_id_type == 0,
                          w->task->task_id,    w->prefix,        w->failover };
  CrOutputOptions oo
      = { w->hls_dir,     w->dir,
          &naming,        w->output_format,
          w->max_file_ms, w->o->max_file_bytes ? w->o->max_file_bytes : CR_OUTPUT_MAX_BYTES,
          w->playlists };
  g_autoptr (GPtrArray) files
      = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_output_file_free);
  g_autoptr (GError) error = NULL;
  gboolean ok = cr_outputs_write (&oo, files, &error);
  if (!ok)
    g_warning ("task %s: %s", w->task->task_id, error->message);
  JsonArray *names = json_array_new ();
  JsonArray *messages = json_array_new ();
  for (guint i = 0; i < files->len; i++) {
    const CrOutputFile *f = g_ptr_array_index (files, i);
    if (!worker_store_file (w, f->name)) {
      ok = FALSE;
      continue;
    }
    CrTaskFile file = { w->task->task_id, f->name, f->user_id, f->track_type, f->start_ms };
    g_autoptr (GError) put_error = NULL;
    if (!w->store->vt->put_file (w->store, &file, &put_error))
      g_warning ("task %s: %s", w->task->task_id, put_error->message);
    json_array_add_string_element (names, f->name);
    JsonObject *m = json_object_new ();
    json_object_set_string_member (m, "FileName", f->name);
    json_object_set_string_member (m, "UserId", f->user_id);
    json_object_set_string_member (m, "TrackType", f->track_type);
    json_object_set_string_member (m, "MediaId", f->media_id);
    json_object_set_int_member (m, "StartTimeStamp", f->start_ms);
    json_object_set_int_member (m, "EndTimeStamp", f->end_ms);
    json_array_add_object_element (messages, m);
    g_info ("task %s: %s written", w->task->task_id, f->name);
  }
  JsonObject *payload = json_object_new ();
  json_object_set_int_member (payload, "Status", ok ? 0 : 2);
  json_object_set_array_member (payload, "FileList", names);
  json_object_set_array_member (payload, "FileMessage", messages);
  worker_emit (w, 310, payload);
  if (ok && !worker_keeps_hls (w))
    worker_remove_spool (w->hls_dir);
}

/* ---- the A/V sync report ---- */

#define AVSYNC_MAX_S 120 /* seconds of each stream examined (decoding costs CPU) */

/* The first segments of @pl covering AVSYNC_MAX_S (at least one), as CrAvsyncFile. */
static GArray *
worker_avsync_files (Worker *w, const CrPlaylist *pl, guint medium, GPtrArray *paths)
{
  GArray *files = g_array_new (FALSE, FALSE, sizeof (CrAvsyncFile));
  gint64 begin = 0;
  for (guint i = 0; pl != NULL && i < pl->segments->len; i++) {
    const CrSegment *s = g_ptr_array_index (pl->segments, i);
    if (s->media != 0 && (s->media & medium) == 0)
      continue;
    if (files->len == 0)
      begin = s->start_ms;
    else if (s->start_ms - begin > AVSYNC_MAX_S * 1000)
      break;
    char *path = g_build_filename (w->hls_dir, s->uri, NULL);
    g_ptr_array_add (paths, path);
    CrAvsyncFile f = { path, s->start_ms };
    g_array_append_val (files, f);
  }
  return files;
}

/* "<stem>.avsync.json" beside each user's stream that has both audio and video. */
static void
worker_write_avsync (Worker *w)
{
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, w->playlists);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    const CrPlaylist *pl = value;
    const CrPlaylist *video = NULL, *audio = NULL;
    if (g_str_has_suffix (key, "/av")) {
      video = audio = pl;
    } else if (g_str_has_suffix (key, "/video")) {
      g_autofree char *akey = g_strdup_printf ("%s/%s/audio", pl->user_id, pl->media_id);
      video = pl;
      audio = g_hash_table_lookup (w->playlists, akey);
    }
    if (video == NULL || audio == NULL || video->segments->len == 0 || audio->segments->len == 0)
      continue;
    g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (GArray) vfiles = worker_avsync_files (w, video, CR_SEGMENT_VIDEO, paths);
    g_autoptr (GArray) afiles = worker_avsync_files (w, audio, CR_SEGMENT_AUDIO, paths);
    CrAvsyncReport report;
    g_autoptr (GError) error = NULL;
    if (!cr_avsync_measure ((CrAvsyncFile *)vfiles->data, vfiles->len, (CrAvsyncFile *)afiles->data,
                            afiles->len, &report, &error)) {
      g_warning ("task %s: A/V sync of %s: %s", w->task->task_id, (char *)key, error->message);
      continue;
    }
    CrNamingTask naming = { w->task->sdk_app_id, w->task->room_id, w->task->room_id_type == 0,
                            w->task->task_id,    w->prefix,        w->failover };
    g_autofree char *stem
        = cr_naming_single_stem (&naming, pl->user_id, g_strcmp0 (pl->media_id, "aux") == 0);
    g_autofree char *name = g_strconcat (stem, ".avsync.json", NULL);
    g_autofree char *path = g_build_filename (w->dir, name, NULL);
    g_autofree char *json = cr_avsync_report_to_json (&report);
    if (!cr_file_replace_durably (path, json, strlen (json), &error)) {
      g_warning ("task %s: %s", w->task->task_id, error->message);
      continue;
    }
    worker_store_file (w, name);
    g_info ("task %s: A/V sync of %s: %s", w->task->task_id, (char *)key, json);
  }
}

/* ---- the loop ---- */

static gboolean
worker_poll (gpointer data)
{
  Worker *w = data;
  g_autoptr (GError) error = NULL;
  if (!worker_load_task (w, &error)) {
    w->error = g_steal_pointer (&error);
    g_main_loop_quit (w->loop);
    return G_SOURCE_REMOVE;
  }
  if (w->task->status == CR_TASK_EXITED) { /* deleted, or replaced by a new task (101) */
    g_main_loop_quit (w->loop);
    return G_SOURCE_REMOVE;
  }
  if (!w->joined && !worker_join_room (w)) {
    g_main_loop_quit (w->loop);
    return G_SOURCE_REMOVE;
  }
  g_autofree char *query = g_strdup_printf ("?after=%" G_GUINT64_FORMAT, w->room_seq);
  g_autofree char *path = worker_room_path (w, query);
  guint status = 0;
  g_autoptr (JsonObject) state = worker_call (w, "GET", path, NULL, &status);
  if (state == NULL)
    return G_SOURCE_CONTINUE; /* the daemon is busy or restarting: try again */
  if (w->joined)
    worker_follow_events (w, state);
  if (w->leave_code >= 0) {
    g_main_loop_quit (w->loop);
    return G_SOURCE_REMOVE;
  }
  g_autoptr (GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonArray *streams = json_object_get_array_member (state, "Streams");
  for (guint i = 0; streams != NULL && i < json_array_get_length (streams); i++) {
    JsonObject *s = json_array_get_object_element (streams, i);
    const char *user = cr_json_get_string (s, "UserId");
    if (g_strcmp0 (user, w->task->user_id) == 0) { /* the robot's id entered the room */
      g_info ("task %s: user %s publishes in the room; the robot leaves", w->task->task_id, user);
      w->leave_code = 101;
      g_main_loop_quit (w->loop);
      return G_SOURCE_REMOVE;
    }
    gboolean aux = g_strcmp0 (cr_json_get_string (s, "Stream"), "aux") == 0;
    const char *caps[2] = { NULL, NULL };
    gboolean announced[2] = { FALSE, FALSE };
    for (int video = 0; video < 2 && user != NULL; video++) {
      if (!worker_wants (w, user, aux, video))
        continue;
      caps[video] = cr_json_get_string (s, video ? "VideoCaps" : "AudioCaps");
      announced[video] = cr_json_get_bool (s, video ? "HasVideo" : "HasAudio");
    }
    if (user != NULL && w->av_merge) {
      worker_follow_merged (w, user, aux, caps, announced, present);
      continue;
    }
    for (int video = 0; video < 2 && user != NULL; video++) {
      if (caps[video] == NULL)
        continue;
      g_autofree char *key
          = g_strdup_printf ("%s/%s/%s", user, aux ? "aux" : "main", video ? "video" : "audio");
      g_hash_table_add (present, g_strdup (key));
      if (!g_hash_table_contains (w->recs, key))
        worker_start_rec (w, user, aux, video ? NULL : caps[0], video ? caps[1] : NULL, key);
    }
  }
  /* Tracks whose stream went away, or that the subscription no longer wants, end. */
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, w->recs);
  gint64 now = g_get_monotonic_time ();
  gboolean flowing = FALSE;
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Rec *r = value;
    if (!g_hash_table_contains (present, r->key)) {
      g_info ("task %s: %s ended", w->task->task_id, r->key);
      worker_end_rec (w, r);
      g_hash_table_iter_remove (&it);
      continue;
    }
    gint64 last = cr_track_last_packet_us (r->track);
    if (last != 0 && now - last < INPROGRESS_WINDOW_US) {
      flowing = TRUE;
      w->last_media_us = MAX (w->last_media_us, last);
    }
  }
  worker_set_status (w, flowing ? CR_TASK_IN_PROGRESS : CR_TASK_IDLE);
  if (now - w->last_media_us > w->max_idle_s * G_USEC_PER_SEC) {
    g_info ("task %s: no media for %" G_GINT64_FORMAT " s (MaxIdleTime); ending", w->task->task_id,
            w->max_idle_s);
    w->leave_code = 99;
    g_main_loop_quit (w->loop);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
worker_on_signal (gpointer data)
{
  Worker *w = data;
  w->signalled = TRUE;
  g_main_loop_quit (w->loop);
  return G_SOURCE_CONTINUE; /* removed by cr_worker_run */
}

int
cr_worker_run (const CrWorkerOptions *o, GError **error)
{
  if (!gst_init_check (NULL, NULL, error))
    return 1;
  Worker w = { .o = o, .leave_code = -1, .status = CR_TASK_IDLE };
  if (!g_file_get_contents (o->token_path, &w.token, NULL, error))
    return 1;
  g_strstrip (w.token);
  w.store = cr_sqlite_store_open (o->db_path, error);
  if (w.store == NULL) {
    g_free (w.token);
    return 1;
  }
  int rc = 1;
  w.recs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)rec_free);
  w.playlists
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)cr_playlist_free);
  w.waiting_since = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  w.http = soup_session_new_with_options ("timeout", 5, NULL);
  w.loop = g_main_loop_new (NULL, FALSE);
  if (!worker_load_task (&w, error))
    goto out;
  JsonObject *storage
      = cr_json_get_object (cr_json_get_object (w.params, "StorageParams"), "CloudStorage");
  JsonArray *prefix = storage != NULL && json_object_has_member (storage, "FileNamePrefix")
                          ? json_object_get_array_member (storage, "FileNamePrefix")
                          : NULL;
  guint n = prefix != NULL ? json_array_get_length (prefix) : 0;
  w.prefix = g_new0 (const char *, n + 1);
  for (guint i = 0; i < n; i++)
    w.prefix[i] = json_array_get_string_element (prefix, i);
  CrNamingTask naming = { w.task->sdk_app_id, w.task->room_id, w.task->room_id_type == 0,
                          w.task->task_id,    w.prefix,        0 };
  char *rel = cr_naming_dir (&naming);
  w.key_prefix = g_strndup (rel, strlen (rel) - 1); /* without the trailing "/" */
  g_free (rel);
  w.blobs = cr_local_blob_store_new (o->storage_dir);
  w.dir = w.blobs->vt->work_dir (w.blobs, w.key_prefix, error);
  if (w.dir == NULL)
    goto out;
  w.hls_dir = worker_keeps_hls (&w) ? g_strdup (w.dir) : g_build_filename (w.dir, ".hls", NULL);
  w.failover = worker_pick_failover (w.hls_dir, o->failover);
  w.last_media_us = g_get_monotonic_time ();
  g_info ("task %s: recording room %s into %s (failover %d)", w.task->task_id, w.task->room_id,
          w.dir, w.failover);
  JsonObject *started = json_object_new ();
  json_object_set_int_member (started, "Status", 0);
  worker_emit (&w, 301, started);
  if (w.failover > 0) { /* FAILOVER: this worker took over from one that died */
    JsonObject *failover = json_object_new ();
    json_object_set_int_member (failover, "Status", 0);
    worker_emit (&w, 306, failover);
  }
  guint poll = g_timeout_add (POLL_MS, worker_poll, &w);
  guint sigterm = g_unix_signal_add (SIGTERM, worker_on_signal, &w);
  guint sigint = g_unix_signal_add (SIGINT, worker_on_signal, &w);
  worker_poll (&w);
  g_main_loop_run (w.loop);
  if (g_main_context_find_source_by_id (NULL, poll) != NULL)
    g_source_remove (poll);
  g_source_remove (sigterm);
  g_source_remove (sigint);
  /* Close every track: last segments listed, playlists ended. */
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, w.recs);
  while (g_hash_table_iter_next (&it, NULL, &value))
    worker_end_rec (&w, value);
  /* A signal with the task still live in the store is the daemon shutting down, not a Delete:
   * leave the task live; the daemon's next start resumes it in the next "ha<n>_" files. */
  if (w.error == NULL && w.signalled && worker_load_task (&w, NULL)
      && w.task->status != CR_TASK_EXITED) {
    g_info ("task %s: stopped with the daemon; the task stays live", w.task->task_id);
    rc = 0;
  } else if (w.error == NULL) {
    worker_leave_room (&w);
    worker_write_avsync (&w); /* before the outputs: those may remove a working HLS */
    worker_write_outputs (&w);
    JsonObject *stopped = json_object_new ();
    json_object_set_int_member (stopped, "LeaveCode", w.leave_code < 0 ? 0 : w.leave_code);
    worker_emit (&w, 302, stopped);
    g_autoptr (GError) ignored = NULL; /* already exited when DeleteCloudRecording stopped us */
    w.store->vt->set_status (w.store, w.task->sdk_app_id, w.task->task_id, CR_TASK_EXITED,
                             w.leave_code < 0 ? 0 : w.leave_code, g_get_real_time () / 1000,
                             &ignored);
    rc = 0;
  } else {
    g_propagate_error (error, g_steal_pointer (&w.error));
  }
out:
  g_hash_table_unref (w.recs);
  g_hash_table_unref (w.playlists);
  g_hash_table_unref (w.waiting_since);
  g_clear_pointer (&w.subscription, cr_subscription_free);
  if (w.params != NULL)
    json_object_unref (w.params);
  if (w.task != NULL)
    cr_task_free (w.task);
  g_free (w.prefix);
  g_free (w.dir);
  g_free (w.hls_dir);
  g_free (w.key_prefix);
  cr_blob_store_close (w.blobs);
  g_free (w.token);
  g_object_unref (w.http);
  g_main_loop_unref (w.loop);
  cr_task_store_close (w.store);
  return rc;
}
