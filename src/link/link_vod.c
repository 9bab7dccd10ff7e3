/* POST /internal/vod/{SdkAppId}/{TaskId}; see link_vod.h. */
#include "link_vod.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_util.h"
#include "link/link.h"
#include "link/link_reply.h"

struct CrLinkVod {
  CrTaskStore *store;
  CrVodLibrary *lib;
  char *data_dir; /* canonical */
};

/* @p canonical and strictly below @dir (canonical). */
static gboolean
path_below (const char *p, const char *dir)
{
  gsize n = strlen (dir);
  return strncmp (p, dir, n) == 0 && (n > 0 && dir[n - 1] == '/' ? p[n] != '\0' : p[n] == '/');
}

/* The canonical form of the request's Path, or NULL (and a 400) when it is not a file the
 * worker may hand over: absolute, below the data directory, not the library itself nor its key. */
static char *
vod_source_path (CrLinkVod *vod, SoupServerMessage *msg, const char *path)
{
  if (path == NULL || !g_path_is_absolute (path)) {
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                     CR_LINK_PATH " must be an absolute path");
    return NULL;
  }
  g_autofree char *real = realpath (path, NULL);
  if (real == NULL) {
    g_autofree char *text
        = g_strdup_printf (CR_LINK_PATH " %s: %s", path, g_strerror (errno));
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter", text);
    return NULL;
  }
  g_autofree char *lib_root = realpath (cr_vod_library_root (vod->lib), NULL);
  g_autofree char *key_file = g_build_filename (vod->data_dir, "vod-url.key", NULL);
  if (!path_below (real, vod->data_dir) || (lib_root != NULL && path_below (real, lib_root))
      || strcmp (real, key_file) == 0) {
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                     CR_LINK_PATH " must name a recording inside the data directory");
    return NULL;
  }
  return g_steal_pointer (&real);
}

static void
vod_commit (CrLinkVod *vod, SoupServerMessage *msg, guint64 app, const char *task_id)
{
  g_autoptr (GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) req = cr_json_parse_object (data, len, &error);
  if (req == NULL) {
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                     error != NULL ? error->message : "the body must be a JSON object");
    return;
  }
  CrVodCommit in = { 0 };
  JsonObject *tv = cr_json_get_object (req, CR_LINK_TENCENT_VOD);
  if (!cr_vod_kind_from_string (cr_json_get_string (req, CR_LINK_KIND), &in.kind)
      || cr_json_get_string (req, CR_LINK_NAME) == NULL
      || (json_object_has_member (req, CR_LINK_TENCENT_VOD) && tv == NULL)) {
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                     "expected {\"" CR_LINK_PATH "\",\"" CR_LINK_KIND
                     "\":\"mp4|hls|aac\",\"" CR_LINK_NAME "\",\"" CR_LINK_TENCENT_VOD "\":{...}}");
    return;
  }
  g_autofree char *source
      = vod_source_path (vod, msg, cr_json_get_string (req, CR_LINK_PATH));
  if (source == NULL)
    return;
  g_autoptr (CrTask) task = cr_link_lookup_task (msg, vod->store, app, task_id);
  if (task == NULL)
    return;
  in.sdk_app_id = app;
  in.task_id = task_id;
  in.source_path = source;
  in.name = cr_json_get_string (req, CR_LINK_NAME);
  in.user_id = cr_json_get_string (req, CR_LINK_USER_ID);
  in.track_type = cr_json_get_string (req, CR_LINK_TRACK_TYPE);
  in.media_id = cr_json_get_string (req, CR_LINK_MEDIA_ID);
  if (tv != NULL) {
    in.procedure = cr_json_get_string (tv, "Procedure");
    in.expire_time_s = cr_json_get_int_or (tv, "ExpireTime", 0);
    in.sub_app_id = (guint64)MAX (0, cr_json_get_int_or (tv, "SubAppId", 0));
    in.class_id = cr_json_get_int_or (tv, "ClassId", 0);
    in.session_context = cr_json_get_string (tv, "SessionContext");
    in.source_context = cr_json_get_string (tv, "SourceContext");
    in.media_type = cr_json_get_int_or (tv, "MediaType", 0);
    in.user_define_record_id = cr_json_get_string (tv, "UserDefineRecordId");
  }
  g_auto (CrVodEntry) entry = { 0 };
  if (!cr_vod_library_commit (vod->lib, &in, &entry, &error)) {
    gboolean bad = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    cr_link_reply_error (msg, bad ? SOUP_STATUS_BAD_REQUEST : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                     bad ? "InvalidParameter" : "InternalError", error->message);
    return;
  }
  g_autoptr (JsonObject) o = json_object_new ();
  json_object_set_string_member (o, CR_LINK_FILE_ID, entry.file_id);
  json_object_set_string_member (o, CR_LINK_VIDEO_URL, entry.video_url);
  json_object_set_string_member (o, CR_LINK_CACHE_FILE, entry.name);
  json_object_set_int_member (o, CR_LINK_SIZE, entry.size);
  json_object_set_int_member (o, CR_LINK_EXPIRE_AT, entry.expire_at_s);
  cr_link_reply (msg, SOUP_STATUS_OK, o);
}

/* /internal/vod/{SdkAppId}/{TaskId} */
static void
vod_handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
            gpointer data)
{
  CrLinkVod *vod = data;
  const char *rest = g_uri_get_path (soup_server_message_get_uri (msg)) + strlen (CR_LINK_PATH_VOD);
  g_auto (GStrv) seg = g_strsplit (rest[0] == '/' ? rest + 1 : rest, "/", 0);
  for (char **s = seg; *s != NULL; s++) {
    char *dec = g_uri_unescape_string (*s, "/");
    g_free (*s);
    *s = dec != NULL ? dec : g_strdup ("");
  }
  guint64 app = 0;
  if (g_strv_length (seg) != 2
      || !g_ascii_string_to_unsigned (seg[0], 10, 1, G_MAXUINT32, &app, NULL)
      || seg[1][0] == '\0') {
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                     "expected " CR_LINK_PATH_VOD "/{SdkAppId}/{TaskId}");
    return;
  }
  if (strcmp (soup_server_message_get_method (msg), "POST") != 0) {
    cr_link_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "UnsupportedOperation",
                     "only POST " CR_LINK_PATH_VOD "/{SdkAppId}/{TaskId}");
    return;
  }
  vod_commit (vod, msg, app, seg[1]);
}

CrLinkVod *
cr_link_vod_register (CrLinkServer *link, CrTaskStore *store, CrVodLibrary *lib,
                      const char *data_dir)
{
  CrLinkVod *vod = g_new0 (CrLinkVod, 1);
  vod->store = store;
  vod->lib = lib;
  char *real = realpath (data_dir, NULL);
  vod->data_dir = real != NULL ? g_strdup (real) : g_strdup (data_dir);
  free (real);
  cr_link_server_add_handler (link, CR_LINK_PATH_VOD, vod_handle, vod);
  return vod;
}

void
cr_link_vod_unregister (CrLinkServer *link, CrLinkVod *vod)
{
  if (vod == NULL)
    return;
  cr_link_server_remove_handler (link, CR_LINK_PATH_VOD);
  g_free (vod->data_dir);
  g_free (vod);
}
