/* The one-call recording's body, request, names and result; see record_once.h. */
#include "record_once.h"

#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "files/naming.h"
#include "task/codes.h"
#include "validate/schema.h"

void
cr_once_request_free (CrOnceRequest *r)
{
  if (r == NULL)
    return;
  g_free (r->room_id);
  g_free (r->user_id);
  g_free (r->usersig);
  g_free (r->region);
  g_free (r->bucket);
  g_free (r->path);
  g_free (r->secret_id);
  g_free (r->secret_key);
  g_free (r->callback);
  g_free (r);
}

/* ---- the body's members, strictly typed ---- */

/* The member @name of @o; a JSON null counts as absent. */
static JsonNode *
body_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  return n != NULL && !JSON_NODE_HOLDS_NULL (n) ? n : NULL;
}

/* Codes name the field too: "MissingParameter.UserId", "InvalidParameter.CosConfig.Region". */
static void
body_missing (GError **error, const char *field)
{
  g_autofree char *code = g_strconcat ("MissingParameter.", field, NULL);
  cr_api_error_set (error, code, "%s is required", field);
}

#define body_invalid(error, field, ...)                                                            \
  do {                                                                                             \
    g_autofree char *code_ = g_strconcat ("InvalidParameter.", field, NULL);                       \
    cr_api_error_set (error, code_, __VA_ARGS__);                                                  \
  } while (0)

static void
body_wrong_type (GError **error, const char *field, const char *want, JsonNode *got)
{
  body_invalid (error, field, "%s must be %s, got %s", field, want, cr_json_node_type_name (got));
}

/* An integer member in [@min, @max]. FALSE with @error when present but not one; *@present
 * tells whether it was given. */
static gboolean
body_int (JsonObject *o, const char *name, const char *field, gint64 min, gint64 max,
          gboolean required, gint64 *out, gboolean *present, GError **error)
{
  JsonNode *n = body_member (o, name);
  *present = n != NULL;
  if (n == NULL) {
    if (required)
      body_missing (error, field);
    return !required;
  }
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64) {
    body_wrong_type (error, field, "an integer", n);
    return FALSE;
  }
  gint64 v = json_node_get_int (n);
  if (v < min || v > max) {
    body_invalid (error, field,
                  "%s must be in [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                  "], got %" G_GINT64_FORMAT,
                  field, min, max, v);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

/* A string member of @min..@max bytes whose characters @format accepts (NULL: any). *@out is
 * NULL when absent and not required. */
static gboolean
body_str (JsonObject *o, const char *name, const char *field, gsize min, gsize max,
          gboolean required, const char *(*format) (const char *s), char **out, GError **error)
{
  *out = NULL;
  JsonNode *n = body_member (o, name);
  if (n == NULL) {
    if (required)
      body_missing (error, field);
    return !required;
  }
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING) {
    body_wrong_type (error, field, "a string", n);
    return FALSE;
  }
  const char *s = json_node_get_string (n);
  gsize len = strlen (s);
  if (len < min || len > max) {
    body_invalid (error, field, "%s must be %zu to %zu characters long, got %zu", field, min, max,
                  len);
    return FALSE;
  }
  const char *want = format != NULL && len > 0 ? format (s) : NULL;
  if (want != NULL) {
    body_invalid (error, field, "%s must be %s", field, want);
    return FALSE;
  }
  *out = g_strdup (s);
  return TRUE;
}

static const char *
format_user_id (const char *s)
{
  for (const char *p = s; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return "made of letters, digits, '_' and '-' (a TRTC UserId)";
  }
  return NULL;
}

static const char *
format_str_room (const char *s)
{
  static const char extra[] = " !#$%&()+-:;<=.>?@[]^_{}|~,";
  for (const char *p = s; *p; p++) {
    if (!g_ascii_isalnum (*p) && strchr (extra, *p) == NULL)
      return "made of letters, digits, space and !#$%&()+-:;<=.>?@[]^_{}|~, (a TRTC string "
             "room id)";
  }
  return NULL;
}

/* "/a/b/" -> "a/b": segments of letters, digits, '_', '-' and '.', none "." or "..". */
static char *
path_normalise (const char *path, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  g_autoptr (GPtrArray) kept = g_ptr_array_new ();
  for (char **p = parts; *p != NULL; p++) {
    if ((*p)[0] == '\0')
      continue;
    gboolean ok = strcmp (*p, ".") != 0 && strcmp (*p, "..") != 0 && strlen (*p) <= 64;
    for (const char *c = *p; ok && *c; c++)
      ok = g_ascii_isalnum (*c) || *c == '_' || *c == '-' || *c == '.';
    if (!ok) {
      cr_api_error_set (error, "InvalidParameter.CosConfig.Path",
                        "CosConfig.Path must be '/'-separated folder names of up to 64 letters, "
                        "digits, '_', '-' and '.' (not \".\" or \"..\"), got \"%s\"",
                        path);
      return NULL;
    }
    g_ptr_array_add (kept, *p);
  }
  if (kept->len > 16) {
    cr_api_error_set (error, "InvalidParameter.CosConfig.Path",
                      "CosConfig.Path has more than 16 folders");
    return NULL;
  }
  g_ptr_array_add (kept, NULL);
  return g_strjoinv ("/", (char **)kept->pdata);
}

static gboolean
callback_ok (const char *url, GError **error)
{
  if (url[0] == '\0')
    return TRUE;
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;
  if (scheme == NULL
      || (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
      || host == NULL || host[0] == '\0') {
    cr_api_error_set (error, "InvalidParameter.Callback",
                      "Callback must be an http:// or https:// URL");
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_mode (JsonObject *o, CrOnceMode *mode, GError **error)
{
  g_autofree char *text = NULL;
  if (!body_str (o, "Mode", "Mode", 0, 2, FALSE, NULL, &text, error))
    return FALSE;
  static const char *const modes[] = { "00", "01", "02" };
  *mode = CR_ONCE_MODE_AUDIO;
  if (text == NULL || text[0] == '\0')
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (modes); i++) {
    if (strcmp (text, modes[i]) == 0) {
      *mode = (CrOnceMode)i;
      return TRUE;
    }
  }
  cr_api_error_set (error, "InvalidParameter.Mode",
                    "Mode must be \"00\" (audio, MP3), \"01\" (video, MP4) or \"02\" (audio and "
                    "video, MP4), got \"%s\"",
                    text);
  return FALSE;
}

static gboolean
parse_cos (JsonObject *o, CrOnceRequest *r, GError **error)
{
  JsonNode *n = body_member (o, "CosConfig");
  if (n == NULL) {
    body_missing (error, "CosConfig");
    return FALSE;
  }
  if (!JSON_NODE_HOLDS_OBJECT (n)) {
    body_wrong_type (error, "CosConfig", "an object", n);
    return FALSE;
  }
  JsonObject *cos = json_node_get_object (n);
  g_autofree char *path = NULL;
  if (!body_str (cos, "Region", "CosConfig.Region", 1, 64, TRUE, cr_format_region, &r->region,
                 error)
      || !body_str (cos, "Bucket", "CosConfig.Bucket", 1, 128, TRUE, cr_format_bucket, &r->bucket,
                    error)
      || !body_str (cos, "Path", "CosConfig.Path", 0, 1024, FALSE, NULL, &path, error)
      || !body_str (cos, "SecretId", "CosConfig.SecretId", 1, 256, FALSE, cr_format_key,
                    &r->secret_id, error)
      || !body_str (cos, "SecretKey", "CosConfig.SecretKey", 1, 256, FALSE, cr_format_key,
                    &r->secret_key, error))
    return FALSE;
  if ((r->secret_id == NULL) != (r->secret_key == NULL)) {
    cr_api_error_set (error,
                      r->secret_id == NULL ? "MissingParameter.CosConfig.SecretId"
                                           : "MissingParameter.CosConfig.SecretKey",
                      "%s is required with %s (give both, or neither to use the app's storage "
                      "keys)",
                      r->secret_id == NULL ? "CosConfig.SecretId" : "CosConfig.SecretKey",
                      r->secret_id == NULL ? "CosConfig.SecretKey" : "CosConfig.SecretId");
    return FALSE;
  }
  r->path = path_normalise (path != NULL ? path : "", error);
  return r->path != NULL;
}

CrOnceRequest *
cr_once_request_parse (const char *body, gsize len, GError **error)
{
  if (len > CR_ONCE_MAX_BODY) {
    cr_api_error_set (error, "RequestSizeLimitExceeded",
                      "the body is %zu bytes; at most %d are accepted", len, CR_ONCE_MAX_BODY);
    return NULL;
  }
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (JsonObject) o = cr_json_parse_object (body, len, &parse_error);
  if (o == NULL) {
    cr_api_error_set (error, "InvalidParameter.BodyParamsError",
                      "the body must be a JSON object: %s", parse_error->message);
    return NULL;
  }
  g_autoptr (CrOnceRequest) r = g_new0 (CrOnceRequest, 1);
  gint64 app = 0, room = 0;
  gboolean has_app = FALSE, has_room = FALSE;
  g_autofree char *str_room = NULL;
  if (!body_int (o, "SdkAppId", "SdkAppId", 1, G_MAXUINT32, TRUE, &app, &has_app, error)
      || !body_int (o, "RoomId", "RoomId", 1, 4294967294LL, FALSE, &room, &has_room, error)
      || !body_str (o, "StrRoomId", "StrRoomId", 1, 64, FALSE, NULL, &str_room, error)
      || !body_str (o, "UserId", "UserId", 1, 32, TRUE, format_user_id, &r->user_id, error)
      || !body_str (o, "UserSig", "UserSig", 1, 2048, TRUE, cr_format_key, &r->usersig, error)
      || !parse_cos (o, r, error)
      || !body_str (o, "Callback", "Callback", 0, 2048, FALSE, NULL, &r->callback, error)
      || !parse_mode (o, &r->mode, error))
    return NULL;
  r->sdk_app_id = (guint64)app;
  /* RoomId wins when both are given (the seed); StrRoomId's characters matter only when used. */
  if (has_room) {
    r->room_id = g_strdup_printf ("%" G_GINT64_FORMAT, room);
  } else if (str_room != NULL) {
    const char *want = format_str_room (str_room);
    if (want != NULL) {
      cr_api_error_set (error, "InvalidParameter.StrRoomId", "StrRoomId must be %s", want);
      return NULL;
    }
    r->room_id = g_steal_pointer (&str_room);
    r->string_room = TRUE;
  } else {
    cr_api_error_set (error, "MissingParameter.RoomId", "RoomId or StrRoomId is required");
    return NULL;
  }
  if (r->callback == NULL)
    r->callback = g_strdup ("");
  if (!callback_ok (r->callback, error))
    return NULL;
  return g_steal_pointer (&r);
}

/* ---- the task ---- */

JsonObject *
cr_once_request_to_create (const CrOnceRequest *r, const char *access_key, const char *secret_key)
{
  JsonObject *o = json_object_new ();
  json_object_set_int_member (o, "SdkAppId", (gint64)r->sdk_app_id);
  json_object_set_string_member (o, "RoomId", r->room_id);
  json_object_set_int_member (o, "RoomIdType", r->string_room ? 0 : 1);
  json_object_set_string_member (o, "UserId", r->user_id);
  json_object_set_string_member (o, "UserSig", r->usersig);
  JsonObject *record = json_object_new ();
  json_object_set_int_member (record, "RecordMode", CR_RECORD_SINGLE);
  json_object_set_int_member (record, "MaxIdleTime", 86400);
  json_object_set_int_member (record, "StreamType",
                              r->mode == CR_ONCE_MODE_AUDIO   ? CR_STREAMS_AUDIO
                              : r->mode == CR_ONCE_MODE_VIDEO ? CR_STREAMS_VIDEO
                                                              : CR_STREAMS_AUDIO_VIDEO);
  json_object_set_int_member (record, "OutputFormat",
                              r->mode == CR_ONCE_MODE_AUDIO ? CR_OUTPUT_AAC : CR_OUTPUT_MP4);
  json_object_set_int_member (record, "MediaId", CR_MEDIA_MAIN);
  json_object_set_int_member (record, "MaxMediaFileDuration", 1440);
  json_object_set_object_member (o, "RecordParams", record);
  JsonObject *cloud = json_object_new ();
  json_object_set_int_member (cloud, "Vendor", 0);
  json_object_set_string_member (cloud, "Region", r->region);
  json_object_set_string_member (cloud, "Bucket", r->bucket);
  if (access_key != NULL)
    json_object_set_string_member (cloud, "AccessKey", access_key);
  if (secret_key != NULL)
    json_object_set_string_member (cloud, "SecretKey", secret_key);
  JsonObject *storage = json_object_new ();
  json_object_set_object_member (storage, "CloudStorage", cloud);
  json_object_set_object_member (o, "StorageParams", storage);
  return o;
}

const char *
cr_once_mode_format (CrOnceMode mode)
{
  return mode == CR_ONCE_MODE_AUDIO ? "mp3" : "mp4";
}

JsonObject *
cr_once_extension (const CrOnceRequest *r, const char *request_id)
{
  static const char *const modes[] = { "00", "01", "02" };
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "Mode", modes[r->mode]);
  json_object_set_string_member (o, "Format", cr_once_mode_format (r->mode));
  json_object_set_string_member (o, "Path", r->path);
  json_object_set_string_member (o, "Callback", r->callback);
  json_object_set_string_member (o, "RequestId", request_id);
  return o;
}

CrSpecOnce *
cr_spec_once_read (JsonObject *request, GError **error)
{
  JsonObject *o = cr_json_get_object (request, CR_ONCE_MEMBER);
  if (o == NULL)
    return NULL;
  const char *mode = cr_json_get_string (o, "Mode");
  const char *format = cr_json_get_string (o, "Format");
  const char *path = cr_json_get_string (o, "Path");
  const char *callback = cr_json_get_string (o, "Callback");
  const char *request_id = cr_json_get_string (o, "RequestId");
  if (mode == NULL || format == NULL || path == NULL || callback == NULL || request_id == NULL
      || (strcmp (format, "mp3") != 0 && strcmp (format, "mp4") != 0)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "%s is not Mode, Format (mp3|mp4), Path, Callback and RequestId", CR_ONCE_MEMBER);
    return NULL;
  }
  CrSpecOnce *once = g_new0 (CrSpecOnce, 1);
  once->mode = strcmp (mode, "01") == 0   ? CR_ONCE_MODE_VIDEO
               : strcmp (mode, "02") == 0 ? CR_ONCE_MODE_AUDIO_VIDEO
                                          : CR_ONCE_MODE_AUDIO;
  once->format = g_strdup (format);
  once->path = g_strdup (path);
  once->callback = g_strdup (callback);
  once->request_id = g_strdup (request_id);
  return once;
}

void
cr_spec_once_free (CrSpecOnce *once)
{
  if (once == NULL)
    return;
  g_free (once->format);
  g_free (once->path);
  g_free (once->callback);
  g_free (once->request_id);
  g_free (once);
}

/* ---- names and the result ---- */

char *
cr_once_object_key (const char *path, const char *room, const char *user_id, gint64 start_ms,
                    const char *ext)
{
  g_autofree char *stamp = cr_naming_utc_stamp (start_ms);
  return path != NULL && path[0] != '\0'
             ? g_strdup_printf ("%s/%s/%s_%s.%s", path, room, user_id, stamp, ext)
             : g_strdup_printf ("%s/%s_%s.%s", room, user_id, stamp, ext);
}

char *
cr_once_object_url (const char *endpoint, int vendor, const char *region, const char *bucket,
                    const char *key)
{
  g_auto (GStrv) parts = g_strsplit (key, "/", -1);
  for (char **p = parts; *p != NULL; p++) {
    char *escaped = g_uri_escape_string (*p, NULL, FALSE);
    g_free (*p);
    *p = escaped;
  }
  g_autofree char *path = g_strjoinv ("/", parts);
  if (endpoint != NULL) {
    gsize n = strlen (endpoint);
    while (n > 0 && endpoint[n - 1] == '/')
      n--;
    return g_strdup_printf ("%.*s/%s/%s", (int)n, endpoint, bucket, path);
  }
  return vendor == 1 ? g_strdup_printf ("https://%s.s3.%s.amazonaws.com/%s", bucket, region, path)
                     : g_strdup_printf ("https://%s.cos.%s.myqcloud.com/%s", bucket, region, path);
}

JsonObject *
cr_once_result (guint64 sdk_app_id, const char *room_id, gboolean string_room,
                const char *robot_user_id, JsonArray *files)
{
  JsonObject *o = json_object_new ();
  g_autofree char *app = g_strdup_printf ("%" G_GUINT64_FORMAT, sdk_app_id);
  json_object_set_string_member (o, "SdkAppId", app);
  json_object_set_string_member (o, "RoomId", string_room ? "" : room_id);
  json_object_set_string_member (o, "StrRoomId", string_room ? room_id : "");
  json_object_set_string_member (o, "UserId", robot_user_id);
  json_object_set_array_member (o, "Files", files != NULL ? files : json_array_new ());
  return o;
}

char *
cr_once_error_body (const GError *error)
{
  g_autoptr (JsonObject) inner = json_object_new ();
  json_object_set_string_member (inner, "Code", cr_api_error_code (error));
  json_object_set_string_member (inner, "Message", error->message);
  g_autoptr (JsonObject) root = json_object_new ();
  json_object_set_object_member (root, "Error", json_object_ref (inner));
  return cr_json_object_to_string (root);
}
