/* The replay of a video-generation class (docs/class-record.md, "The replay page"):
 *   GET /board/replay?task=T&sdkappid=N&token=K        the page (web/replay.html)
 *   GET /board/replay/replay.js                        its script
 *   GET /board/replay/data?task=T&sdkappid=N&token=K   the class's timeline (JSON)
 *   GET /board/replay/files/N/T/K/<TRTC TaskId>/<file> a stream's playlist and segments
 * The token (class_video_token.h) stands for a UserSig: the link is all a class's user needs. The
 * files carry it in their path so a playlist's relative segment URIs keep it. A class whose files
 * went to a bucket has its playlists read from there (class_video_replay_fetch.h) and served with
 * each segment a presigned URL of the bucket (class_bucket.h): the player fetches the media from
 * the bucket, not through this server. */
#include <string.h>

#include "common/json_util.h"
#include "tiw/class_bucket.h"
#include "tiw/class_private.h"
#include "tiw/class_video.h"
#include "tiw/class_video_gen.h"
#include "tiw/class_video_replay_fetch.h"
#include "tiw/class_video_token.h"
#include "web-resources.h"

static void
reply_text (SoupServerMessage *msg, guint status, const char *type, const char *body, gsize len)
{
  soup_server_message_set_status (msg, status, NULL);
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (h, "Cache-Control", "no-cache");
  soup_message_headers_replace (h, "Access-Control-Allow-Origin", "*");
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, body, len);
}

static void
reply_error (SoupServerMessage *msg, guint status, const char *code, const char *message)
{
  g_autoptr (JsonObject) o = json_object_new ();
  json_object_set_string_member (o, "Code", code);
  json_object_set_string_member (o, "Message", message);
  g_autofree char *text = cr_json_object_to_string (o);
  reply_text (msg, status, "application/json", text, strlen (text));
}

static void
reply_resource (SoupServerMessage *msg, const char *name, const char *type)
{
  g_autofree char *path = g_strdup_printf ("/cloudrec/web/%s", name);
  g_autoptr (GBytes) data
      = g_resource_lookup_data (web_get_resource (), path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (data == NULL) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  gsize len = 0;
  const char *bytes = g_bytes_get_data (data, &len);
  reply_text (msg, SOUP_STATUS_OK, type, bytes, len);
}

/* The class of a request, its token checked; NULL with the reply set. */
static JsonObject *
replay_class (CrClassRecorder *rec, SoupServerMessage *msg, const char *app_text,
              const char *task_id, const char *token)
{
  guint64 app = app_text != NULL ? g_ascii_strtoull (app_text, NULL, 10) : 0;
  const CrApp *a = app > 0 ? cr_apps_find (rec->api->config->apps, app) : NULL;
  if (a == NULL || task_id == NULL || token == NULL) {
    reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                 "task, sdkappid (a configured app) and token are required");
    return NULL;
  }
  g_autoptr (GError) error = NULL;
  if (!cr_class_replay_token_check (a->usersig_key, app, task_id, token, rec->api->now_ms () / 1000,
                                    &error)) {
    reply_error (msg, SOUP_STATUS_FORBIDDEN, "AuthFailure", error->message);
    return NULL;
  }
  JsonObject *r = cr_class_rec_find (rec, app, task_id, &error);
  if (r == NULL || !cr_class_video_mode (cr_class_rec_request (r))) {
    reply_error (msg, SOUP_STATUS_NOT_FOUND, "InvalidParameter.TaskNotFound",
                 r == NULL ? error->message : "not a video-generation class");
    if (r != NULL)
      json_object_unref (r);
    return NULL;
  }
  return r;
}

/* The TRTC tasks of class @r whose files are in a bucket: CrClassFolder each, its dir its TRTC
 * TaskId (class_video_replay_fetch.h); all when @only is NULL, else that one if it is the
 * class's. Empty when the class is in the local store. */
static GPtrArray *
bucket_folders (CrClassRecorder *rec, JsonObject *r, const char *only)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_class_folder_free);
  guint64 app = (guint64)cr_json_get_int_or (r, "SdkAppId", 0);
  JsonArray *spans = cr_json_get_array (r, "Spans");
  for (guint i = 0; spans != NULL && i < json_array_get_length (spans); i++) {
    JsonArray *tasks = cr_json_get_array (json_array_get_object_element (spans, i), "Tasks");
    for (guint j = 0; tasks != NULL && j < json_array_get_length (tasks); j++) {
      const char *trtc = cr_json_get_string (json_array_get_object_element (tasks, j), "TaskId");
      if (trtc == NULL || (only != NULL && strcmp (only, trtc) != 0))
        continue;
      CrClassFolder *f = cr_class_task_folder (rec, app, trtc);
      if (f == NULL)
        continue;
      f->dir = g_strdup (trtc);
      g_ptr_array_add (out, f);
    }
  }
  return out;
}

/* What a data request answers besides the class: its sdkappid, task and token as given. */
typedef struct {
  char *app, *task, *token;
} DataQuery;

static void
data_query_free (DataQuery *q)
{
  g_free (q->app);
  g_free (q->task);
  g_free (q->token);
  g_free (q);
}

/* The data of class @r, its streams read from the local store and, for the TRTC tasks in a
 * bucket, from @fetched (their playlists and sidecars brought down; NULL: none). */
static void
replay_data_reply (CrClassRecorder *rec, SoupServerMessage *msg, JsonObject *r, const char *fetched,
                   gpointer data)
{
  const DataQuery *q = data;
  JsonObject *req = cr_class_rec_request (r);
  g_autoptr (JsonObject) out = json_object_new ();
  json_object_set_string_member (out, "TaskId", q->task);
  json_object_set_int_member (out, "SdkAppId", cr_json_get_int_or (r, "SdkAppId", 0));
  json_object_set_int_member (out, "RoomId", cr_json_get_int_or (req, "RoomId", 0));
  json_object_set_string_member (out, "Status", cr_json_get_string (r, "Status"));
  JsonObject *wb = cr_json_get_object (req, "Whiteboard");
  JsonObject *board = json_object_new ();
  json_object_set_int_member (board, "Width", cr_json_get_int_or (wb, "Width", 1280));
  json_object_set_int_member (board, "Height", cr_json_get_int_or (wb, "Height", 960));
  json_object_set_object_member (out, "Whiteboard", board);
  JsonArray *spans = json_array_new ();
  JsonArray *rs = cr_json_get_array (r, "Spans");
  gint64 now = rec->api->now_ms (), start = 0, end = 0;
  for (guint i = 0; rs != NULL && i < json_array_get_length (rs); i++) {
    JsonObject *s = json_array_get_object_element (rs, i);
    gint64 a = cr_json_get_int_or (s, "Start", 0), b = cr_json_get_int_or (s, "End", 0);
    if (b == 0)
      b = now;
    JsonObject *o = json_object_new ();
    json_object_set_int_member (o, "Start", a);
    json_object_set_int_member (o, "End", b);
    json_array_add_object_element (spans, o);
    start = i == 0 ? a : start;
    end = b;
  }
  json_object_set_array_member (out, "Spans", spans);
  json_object_set_int_member (out, "Start", start);
  json_object_set_int_member (out, "End", end);
  JsonArray *omitted = cr_json_get_array (r, "Omitted");
  json_object_set_array_member (out, "Pauses",
                                omitted != NULL ? json_array_ref (omitted) : json_array_new ());
  JsonArray *streams = cr_class_video_streams (rec, r, fetched);
  g_autofree char *escaped = g_uri_escape_string (q->token, NULL, FALSE);
  for (guint i = 0; i < json_array_get_length (streams); i++) {
    JsonObject *s = json_array_get_object_element (streams, i);
    g_autofree char *url
        = g_strdup_printf ("/board/replay/files/%s/%s/%s/%s/%s", q->app, q->task, escaped,
                           cr_json_get_string (s, "TrtcTaskId"), cr_json_get_string (s, "File"));
    json_object_set_string_member (s, "Url", url);
    /* where its segments come from: this server, or the bucket (presigned URLs) */
    const char *dir = cr_json_get_string (s, "Dir");
    json_object_set_string_member (
        s, "Storage",
        fetched != NULL && dir != NULL && g_str_has_prefix (dir, fetched) ? "bucket" : "local");
    json_object_remove_member (s, "Dir");
  }
  json_object_set_array_member (out, "Streams", streams);
  json_object_set_array_member (out, "Log", cr_class_video_board_log (rec, r, end));
  g_autofree char *text = cr_json_object_to_string (out);
  reply_text (msg, SOUP_STATUS_OK, "application/json", text, strlen (text));
}

static void
replay_data (CrClassRecorder *rec, SoupServerMessage *msg, GHashTable *query)
{
  const char *app = g_hash_table_lookup (query, "sdkappid");
  const char *task = g_hash_table_lookup (query, "task");
  const char *token = g_hash_table_lookup (query, "token");
  g_autoptr (JsonObject) r = replay_class (rec, msg, app, task, token);
  if (r == NULL)
    return;
  DataQuery *q = g_new0 (DataQuery, 1);
  q->app = g_strdup (app);
  q->task = g_strdup (task);
  q->token = g_strdup (token);
  GPtrArray *folders = bucket_folders (rec, r, NULL);
  if (folders->len == 0) {
    g_ptr_array_unref (folders);
    replay_data_reply (rec, msg, r, NULL, q);
    data_query_free (q);
    return;
  }
  /* a class in a bucket: its playlists and sidecars first */
  cr_class_replay_fetch (rec, msg, r, folders, replay_data_reply, q,
                         (GDestroyNotify)data_query_free);
}

/* A bucket class's playlist: the file @data of TRTC task @folder, its segments presigned. */
typedef struct {
  CrClassFolder *folder;
  char *name;
} PlaylistQuery;

static void
playlist_query_free (PlaylistQuery *q)
{
  cr_class_folder_free (q->folder);
  g_free (q->name);
  g_free (q);
}

static void
replay_playlist_reply (CrClassRecorder *rec, SoupServerMessage *msg, JsonObject *r,
                       const char *fetched, gpointer data)
{
  const PlaylistQuery *q = data;
  g_autofree char *path = g_build_filename (fetched, q->folder->dir, q->name, NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL)) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  g_autofree char *signed_text = cr_class_folder_sign_playlist (
      q->folder, text, rec->api->now_ms () / 1000, rec->api->config->replay_presign_s);
  if (signed_text == NULL) {
    reply_error (msg, SOUP_STATUS_BAD_GATEWAY, "FailedOperation.Storage",
                 "the class's bucket has no keys");
    return;
  }
  reply_text (msg, SOUP_STATUS_OK, "application/vnd.apple.mpegurl", signed_text,
              strlen (signed_text));
}

/* A file of TRTC task @trtc of class @r in a bucket: a playlist with its segments presigned (its
 * text from the bucket), a segment redirected to its presigned URL. FALSE when that task's files
 * are not in a bucket. */
static gboolean
replay_bucket_file (CrClassRecorder *rec, SoupServerMessage *msg, JsonObject *r, const char *trtc,
                    const char *name)
{
  GPtrArray *folders = bucket_folders (rec, r, trtc);
  if (folders->len == 0) {
    g_ptr_array_unref (folders);
    return FALSE;
  }
  CrClassFolder *f = g_ptr_array_index (folders, 0);
  if (g_str_has_suffix (name, ".ts")) {
    CrS3Loc loc;
    g_autoptr (CrS3Client) c = cr_class_folder_client (f, &loc, NULL);
    g_autofree char *key = cr_s3_loc_key (&loc, name);
    g_autofree char *url = c != NULL ? cr_s3_client_presign_get (c, key, rec->api->now_ms () / 1000,
                                                                 rec->api->config->replay_presign_s)
                                     : NULL;
    g_ptr_array_unref (folders);
    if (url == NULL) {
      reply_error (msg, SOUP_STATUS_BAD_GATEWAY, "FailedOperation.Storage",
                   "the class's bucket has no keys");
      return TRUE;
    }
    soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, url);
    return TRUE;
  }
  PlaylistQuery *q = g_new0 (PlaylistQuery, 1);
  q->folder = g_new0 (CrClassFolder, 1);
  q->folder->endpoint = g_strdup (f->endpoint);
  q->folder->region = g_strdup (f->region);
  q->folder->bucket = g_strdup (f->bucket);
  q->folder->access_key = g_strdup (f->access_key);
  q->folder->secret_key = g_strdup (f->secret_key);
  q->folder->vendor = f->vendor;
  q->folder->prefix = g_strdup (f->prefix);
  q->folder->dir = g_strdup (trtc);
  q->name = g_strdup (name);
  cr_class_replay_fetch (rec, msg, r, folders, replay_playlist_reply, q,
                         (GDestroyNotify)playlist_query_free);
  return TRUE;
}

/* /board/replay/files/<app>/<task>/<token>/<trtc>/<file> */
static void
replay_file (CrClassRecorder *rec, SoupServerMessage *msg, const char *rest)
{
  g_auto (GStrv) parts = g_strsplit (rest, "/", -1);
  if (g_strv_length (parts) != 5) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  g_autofree char *token = g_uri_unescape_string (parts[2], NULL);
  g_autoptr (JsonObject) r = replay_class (rec, msg, parts[0], parts[1], token);
  if (r == NULL)
    return;
  const char *name = parts[4];
  gboolean playlist = g_str_has_suffix (name, ".m3u8");
  if (*name == '.' || (!playlist && !g_str_has_suffix (name, ".ts"))) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  if (replay_bucket_file (rec, msg, r, parts[3], name))
    return;
  g_autoptr (JsonArray) streams = cr_class_video_streams (rec, r, NULL);
  for (guint i = 0; i < json_array_get_length (streams); i++) {
    JsonObject *s = json_array_get_object_element (streams, i);
    if (g_strcmp0 (cr_json_get_string (s, "TrtcTaskId"), parts[3]) != 0)
      continue;
    g_autofree char *path = g_build_filename (cr_json_get_string (s, "Dir"), name, NULL);
    g_autoptr (GMappedFile) file = g_mapped_file_new (path, FALSE, NULL);
    if (file == NULL)
      continue;
    reply_text (msg, SOUP_STATUS_OK, playlist ? "application/vnd.apple.mpegurl" : "video/mp2t",
                g_mapped_file_get_contents (file), g_mapped_file_get_length (file));
    return;
  }
  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static void
replay_handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
               gpointer data)
{
  CrClassRecorder *rec = data;
  const char *method = soup_server_message_get_method (msg);
  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return;
  }
  g_autoptr (GHashTable) empty = g_hash_table_new (g_str_hash, g_str_equal);
  if (query == NULL)
    query = empty;
  if (strcmp (path, "/board/replay") == 0 || strcmp (path, "/board/replay/") == 0)
    reply_resource (msg, "replay.html", "text/html; charset=utf-8");
  else if (strcmp (path, "/board/replay/replay.js") == 0)
    reply_resource (msg, "replay.js", "text/javascript");
  else if (strcmp (path, "/board/replay/data") == 0)
    replay_data (rec, msg, query);
  else if (g_str_has_prefix (path, "/board/replay/files/"))
    replay_file (rec, msg, path + strlen ("/board/replay/files/"));
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

void
cr_class_video_register (CrClassRecorder *rec, CrHttpServer *http)
{
  const CrConfig *config = rec->api->config;
  g_free (rec->replay_base);
  if (*config->public_url != '\0') {
    rec->replay_base = g_strdup (config->public_url);
    gsize n = strlen (rec->replay_base);
    while (n > 0 && rec->replay_base[n - 1] == '/')
      rec->replay_base[--n] = '\0';
  } else {
    g_autofree char *host = g_strdup (config->listen);
    char *colon = strrchr (host, ':');
    if (colon != NULL)
      *colon = '\0';
    rec->replay_base
        = g_strdup_printf ("%s://%s:%u", cr_http_server_is_https (http) ? "https" : "http",
                           *host != '\0' ? host : "127.0.0.1", cr_http_server_port (http));
  }
  cr_http_server_add_handler (http, "/board/replay", replay_handle, rec);
  /* the video-generation tasks start with the daemon's HTTP side (queued ones resume) */
  g_autoptr (GError) error = NULL;
  if (!cr_class_video_gen_start (rec, &error))
    g_warning ("video generation is not available: %s", error->message);
}
