/* The web console's routes; console.h explains the design.
 *
 *   GET  /                        (a browser)  the console page
 *   GET  /console/login?token=T   a one-time link: a session, then a redirect to /
 *   POST /console/login           {"SecretId","SecretKey"} or {"AdminToken"}: a session
 *   POST /console/logout
 *   GET  /console/session         who is logged in, until when, which apps
 *   POST /console/api             {"Action","Params"}: cr_api_handle_as(), the API's envelope
 *   POST /console/usersig         {"UserId","SdkAppId"}: a UserSig for the publish page
 *   GET  /console/files/APP/TASK/[NAME]   a task's local files: the list, or one (Range served)
 *   GET  /console/hls.min.js      hls.js, compiled in when node_modules had it at build time
 *
 * Answers outside /console/api are HTTP statuses with the API's error envelope as the body:
 * 401 without a live session, 403 without the console header or from a foreign Origin. */
#include "console.h"

#include <string.h>

#include "auth/crypto_util.h"
#include "auth/usersig.h"
#include "common/api_error.h"
#include "common/json_util.h"
#include "console/console_files.h"
#include "console/console_session.h"
#include "upload/retention.h"
#include "vod/vod_url.h"
#include "console-config.h"
#include "console-resources.h"
#if CR_CONSOLE_HLS_JS
#include "hls-resources.h"
#endif

#define COOKIE "cloudrec_console"
#define CONSOLE_HEADER "X-Cloudrec-Console"
#define USERSIG_EXPIRE_S 86400

/* Failed logins from one address: past LOGIN_FAILURES_MAX in LOGIN_WINDOW_MS, every login from it
 * is refused (429) until the window ends, so keys and the admin token cannot be guessed fast. */
#define LOGIN_FAILURES_MAX 10
#define LOGIN_WINDOW_MS 60000

typedef struct {
  gint64 window_start_ms;
  int failures;
} LoginFailures;

struct CrConsole {
  CrApi *api;
  CrHttpServer *http;
  CrConsoleSessions *sessions;
  GHashTable *failures; /* remote address -> LoginFailures */
};

static gint64
console_now_ms (CrConsole *c)
{
  return c->api->now_ms ();
}

static gint64
console_session_ms (CrConsole *c)
{
  const CrConfig *config = c->api->config;
  return config->console_session_minutes * config->console_session_unit_s * 1000;
}

/* ---- replies ---- */

static void
reply_bytes (SoupServerMessage *msg, guint status, const char *type, const char *data, gsize len)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (h, "Cache-Control", "no-store");
  soup_message_headers_replace (h, "X-Content-Type-Options", "nosniff");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, data, len);
}

static void
reply_json (SoupServerMessage *msg, guint status, char *json)
{
  reply_bytes (msg, status, "application/json", json, strlen (json));
  g_free (json);
}

static void
reply_error (SoupServerMessage *msg, guint status, const char *code, const char *message)
{
  reply_json (msg, status, cr_api_error_reply (code, message));
}

static void
reply_object (SoupServerMessage *msg, JsonObject *reply)
{
  g_autoptr (JsonObject) outer = json_object_new ();
  json_object_set_object_member (outer, "Response", json_object_ref (reply));
  reply_json (msg, SOUP_STATUS_OK, cr_json_object_to_string (outer));
}

static void
set_cookie (CrConsole *c, SoupServerMessage *msg, const char *id, gint64 max_age_s)
{
  /* Secure when the port speaks HTTPS (tls-cert): the browser never sends it in the clear. */
  g_autofree char *cookie = g_strdup_printf (
      COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%" G_GINT64_FORMAT "%s", id,
      max_age_s, cr_http_server_is_https (c->http) ? "; Secure" : "");
  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                               cookie);
}

/* ---- the request's session ---- */

/* The console cookie's value in @msg's Cookie header(s), or NULL. */
static char *
cookie_value (SoupServerMessage *msg)
{
  const char *header
      = soup_message_headers_get_list (soup_server_message_get_request_headers (msg), "Cookie");
  if (header == NULL)
    return NULL;
  g_auto (GStrv) parts = g_strsplit_set (header, ";,", -1);
  for (char **p = parts; *p != NULL; p++) {
    char *kv = g_strstrip (*p);
    if (g_str_has_prefix (kv, COOKIE "="))
      return g_strdup (kv + strlen (COOKIE "="));
  }
  return NULL;
}

/* The JSON routes want the console's own header, which a cross-site form, link or image cannot
 * send (and a cross-site fetch can only after a CORS preflight this server never grants), and no
 * foreign Origin: with the SameSite=Strict cookie, a request forged from another site fails. */
static gboolean
request_same_origin (SoupServerMessage *msg)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  if (g_strcmp0 (soup_message_headers_get_one (h, CONSOLE_HEADER), "1") != 0) {
    reply_error (msg, SOUP_STATUS_FORBIDDEN, "AuthFailure.ConsoleHeaderMissing",
                 "console requests carry the " CONSOLE_HEADER ": 1 header");
    return FALSE;
  }
  const char *origin = soup_message_headers_get_one (h, "Origin");
  const char *host = soup_message_headers_get_one (h, "Host");
  if (origin != NULL) {
    g_autoptr (GUri) uri = g_uri_parse (origin, G_URI_FLAGS_NONE, NULL);
    g_autofree char *authority
        = uri != NULL && g_uri_get_host (uri) != NULL
              ? (g_uri_get_port (uri) > 0
                     ? g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri))
                     : g_strdup (g_uri_get_host (uri)))
              : NULL;
    if (authority == NULL || host == NULL || g_ascii_strcasecmp (authority, host) != 0) {
      reply_error (msg, SOUP_STATUS_FORBIDDEN, "AuthFailure.ForeignOrigin",
                   "the request comes from another site");
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
request_session (CrConsole *c, SoupServerMessage *msg, CrConsoleSession *out)
{
  g_autofree char *id = cookie_value (msg);
  if (!cr_console_session_find (c->sessions, id, console_now_ms (c), out)) {
    reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "AuthFailure.SessionInvalid",
                 "no console session, or it expired: log in again");
    return FALSE;
  }
  return TRUE;
}

static JsonObject *
request_body (CrConsole *c, SoupServerMessage *msg, gsize *out_len)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  if (out_len != NULL)
    *out_len = len;
  g_autoptr (GError) error = NULL;
  JsonObject *o = cr_json_parse_object (data != NULL ? data : "", len, &error);
  if (o == NULL)
    reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter.BodyParamsError", error->message);
  return o;
}

/* The app a session acts for: its own, or for the operator the one named by @sdk_app_id. */
static const CrApp *
session_app (CrConsole *c, const CrConsoleSession *s, gint64 sdk_app_id)
{
  const CrApps *apps = c->api->config->apps;
  if (!s->admin)
    return cr_apps_find (apps, s->sdk_app_id);
  return sdk_app_id > 0 ? cr_apps_find (apps, (guint64)sdk_app_id) : NULL;
}

/* ---- routes ---- */

/* hls.js is a resource of its own, built in when node_modules had it when the build was set up
 * (src/console/meson.build). */
static GResource *
resource_for (const char *name)
{
#if CR_CONSOLE_HLS_JS
  if (strcmp (name, "hls.min.js") == 0)
    return hls_get_resource ();
#endif
  return console_get_resource ();
}

static void
serve_resource (SoupServerMessage *msg, const char *name, const char *type)
{
  g_autofree char *path = g_strconcat ("/cloudrec/console/", name, NULL);
  g_autoptr (GBytes) data
      = g_resource_lookup_data (resource_for (name), path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (data == NULL) {
    reply_bytes (msg, SOUP_STATUS_NOT_FOUND, "text/plain", "not built in\n", 13);
    return;
  }
  gsize len = 0;
  const char *bytes = g_bytes_get_data (data, &len);
  reply_bytes (msg, SOUP_STATUS_OK, type, bytes, len);
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (h, "Cache-Control", "no-cache");
  if (g_str_has_suffix (name, ".html")) {
    /* Only this server's own scripts and media; no framing by other sites. */
    soup_message_headers_replace (h, "Content-Security-Policy",
                                  "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                                  "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                                  "media-src 'self' blob:; worker-src 'self' blob:; "
                                  "frame-ancestors 'none'");
    soup_message_headers_replace (h, "Referrer-Policy", "no-referrer");
  }
}

static void
console_page (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
              gpointer data)
{
  serve_resource (msg, "console.html", "text/html; charset=utf-8");
}

static void
route_login_link (CrConsole *c, SoupServerMessage *msg, GHashTable *query)
{
  const char *token = query != NULL ? g_hash_table_lookup (query, "token") : NULL;
  guint64 app = 0;
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (h, "Referrer-Policy", "no-referrer");
  if (!cr_console_token_take (c->sessions, token, console_now_ms (c), &app)) {
    static const char page[]
        = "<!doctype html><meta charset=utf-8><title>cloudrec console</title>"
          "<p>This login link was used already or has expired. <a href=\"/\">Log in</a> with the "
          "SecretId and SecretKey <code>cloudrec serve</code> printed, or restart it for a new "
          "link.</p>";
    reply_bytes (msg, SOUP_STATUS_FORBIDDEN, "text/html; charset=utf-8", page, strlen (page));
    return;
  }
  g_autofree char *id = cr_console_session_open (c->sessions, app, FALSE, console_now_ms (c),
                                                 console_session_ms (c));
  set_cookie (c, msg, id, console_session_ms (c) / 1000);
  g_info ("console: login link used for SdkAppId %" G_GUINT64_FORMAT, app);
  soup_server_message_set_redirect (msg, SOUP_STATUS_SEE_OTHER, "/");
}

static gboolean
secret_equal (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  return la == lb && cr_const_time_equal ((const guchar *)a, (const guchar *)b, la);
}

/* The failures of @msg's address in the current window (a new window once the last one ended). */
static LoginFailures *
login_failures (CrConsole *c, SoupServerMessage *msg)
{
  const char *host = soup_server_message_get_remote_host (msg);
  if (host == NULL)
    host = "";
  gint64 now = console_now_ms (c);
  LoginFailures *f = g_hash_table_lookup (c->failures, host);
  if (f == NULL) {
    if (g_hash_table_size (c->failures) > 10000)
      g_hash_table_remove_all (c->failures); /* bounded memory; at worst a fresh window */
    f = g_new0 (LoginFailures, 1);
    g_hash_table_insert (c->failures, g_strdup (host), f);
  }
  if (now - f->window_start_ms >= LOGIN_WINDOW_MS) {
    f->window_start_ms = now;
    f->failures = 0;
  }
  return f;
}

static void
route_login (CrConsole *c, SoupServerMessage *msg)
{
  LoginFailures *failures = login_failures (c, msg);
  if (failures->failures >= LOGIN_FAILURES_MAX) {
    reply_error (msg, 429, "RequestLimitExceeded",
                 "too many failed logins from this address; wait a minute");
    return;
  }
  g_autoptr (JsonObject) body = request_body (c, msg, NULL);
  if (body == NULL)
    return;
  const CrConfig *config = c->api->config;
  const char *admin_token = cr_json_get_string (body, "AdminToken");
  const char *secret_id = cr_json_get_string (body, "SecretId");
  const char *secret_key = cr_json_get_string (body, "SecretKey");
  gboolean admin = FALSE;
  const CrApp *app = NULL;
  if (admin_token != NULL) {
    admin = *config->console_admin_token != '\0'
            && secret_equal (admin_token, config->console_admin_token);
  } else if (secret_id != NULL && secret_key != NULL) {
    const char *key = cr_apps_secret_key (config->apps, secret_id, &app);
    if (key == NULL || !secret_equal (secret_key, key))
      app = NULL;
  }
  if (!admin && app == NULL) {
    failures->failures++;
    g_info ("console: a login from %s failed (%d in this minute)",
            soup_server_message_get_remote_host (msg), failures->failures);
    reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "AuthFailure.LoginFailed",
                 "wrong SecretId/SecretKey or admin token");
    return;
  }
  guint64 sdk_app_id = app != NULL ? app->sdk_app_id : 0;
  g_autofree char *id = cr_console_session_open (c->sessions, sdk_app_id, admin, console_now_ms (c),
                                                 console_session_ms (c));
  set_cookie (c, msg, id, console_session_ms (c) / 1000);
  g_info ("console: %s logged in", admin ? "the operator" : "an app");
  g_autoptr (JsonObject) reply = json_object_new ();
  json_object_set_boolean_member (reply, "Admin", admin);
  json_object_set_int_member (reply, "SdkAppId", (gint64)sdk_app_id);
  reply_object (msg, reply);
}

static void
route_logout (CrConsole *c, SoupServerMessage *msg)
{
  g_autofree char *id = cookie_value (msg);
  cr_console_session_close (c->sessions, id);
  set_cookie (c, msg, "", 0);
  g_autoptr (JsonObject) reply = json_object_new ();
  reply_object (msg, reply);
}

static void
route_session (CrConsole *c, SoupServerMessage *msg, const CrConsoleSession *s)
{
  const CrApps *apps = c->api->config->apps;
  JsonArray *list = json_array_new ();
  for (guint i = 0; i < cr_apps_count (apps); i++) {
    const CrApp *app = cr_apps_nth (apps, i);
    if (s->admin || app->sdk_app_id == s->sdk_app_id)
      json_array_add_int_element (list, (gint64)app->sdk_app_id);
  }
  g_autoptr (JsonObject) reply = json_object_new ();
  json_object_set_boolean_member (reply, "Admin", s->admin);
  json_object_set_int_member (reply, "SdkAppId", (gint64)s->sdk_app_id);
  json_object_set_array_member (reply, "Apps", list);
  json_object_set_int_member (reply, "ExpireTime", s->expires_ms);
  json_object_set_int_member (reply, "Now", console_now_ms (c));
  reply_object (msg, reply);
}

/* {"Action": "...", "Params": {...}}: an app's session acts as its app (Params.SdkAppId defaults
 * to it; another app's is refused by the pipeline's app check); the operator's names the app in
 * Params.SdkAppId and acts as the server. */
static void
route_api (CrConsole *c, SoupServerMessage *msg, const CrConsoleSession *s)
{
  gsize len = 0;
  g_autoptr (JsonObject) body = request_body (c, msg, &len);
  if (body == NULL)
    return;
  const char *action = cr_json_get_string (body, "Action");
  JsonObject *params = cr_json_get_object (body, "Params");
  if (action == NULL || params == NULL) {
    reply_json (msg, SOUP_STATUS_OK,
                cr_api_error_reply ("MissingParameter", "the body is {\"Action\",\"Params\"}"));
    return;
  }
  if (!json_object_has_member (params, "SdkAppId") && !s->admin)
    json_object_set_int_member (params, "SdkAppId", (gint64)s->sdk_app_id);
  const CrApp *signer = session_app (c, s, cr_json_get_int_or (params, "SdkAppId", 0));
  if (signer == NULL) {
    reply_json (msg, SOUP_STATUS_OK,
                cr_api_error_reply ("InvalidParameter.SdkAppId",
                                    "Params.SdkAppId names no application of this server"));
    return;
  }
  reply_json (msg, SOUP_STATUS_OK,
              cr_api_handle_as (c->api, signer, s->admin, action, params, len));
}

static gboolean
user_id_ok (const char *s)
{
  if (s == NULL || *s == '\0' || strlen (s) > 32)
    return FALSE;
  for (const char *p = s; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;
  }
  return TRUE;
}

static void
route_usersig (CrConsole *c, SoupServerMessage *msg, const CrConsoleSession *s)
{
  g_autoptr (JsonObject) body = request_body (c, msg, NULL);
  if (body == NULL)
    return;
  const CrApp *app = session_app (c, s, cr_json_get_int_or (body, "SdkAppId", s->sdk_app_id));
  const char *user = cr_json_get_string (body, "UserId");
  if (app == NULL
      || (!s->admin && json_object_has_member (body, "SdkAppId")
          && cr_json_get_int_or (body, "SdkAppId", 0) != (gint64)s->sdk_app_id)) {
    reply_error (msg, SOUP_STATUS_FORBIDDEN, "AuthFailure.UnauthorizedOperation",
                 "this session may not sign for that SdkAppId");
    return;
  }
  if (!user_id_ok (user)) {
    reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter.UserId",
                 "UserId is 1 to 32 letters, digits, '_' or '-'");
    return;
  }
  g_autofree char *sig = cr_usersig_generate (app->sdk_app_id, app->usersig_key, user,
                                              USERSIG_EXPIRE_S, console_now_ms (c) / 1000, NULL);
  g_autoptr (JsonObject) reply = json_object_new ();
  json_object_set_int_member (reply, "SdkAppId", (gint64)app->sdk_app_id);
  json_object_set_string_member (reply, "UserId", user);
  json_object_set_string_member (reply, "UserSig", sig);
  json_object_set_int_member (reply, "Expire", USERSIG_EXPIRE_S);
  reply_object (msg, reply);
}

static const char *
file_type (const char *name)
{
  static const char *const types[][2] = {
    { ".mp4", "video/mp4" }, { ".m3u8", "application/vnd.apple.mpegurl" },
    { ".ts", "video/mp2t" }, { ".aac", "audio/aac" },
    { ".m4a", "audio/mp4" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (types); i++) {
    if (g_str_has_suffix (name, types[i][0]))
      return types[i][1];
  }
  return "application/octet-stream";
}

static void
send_file (SoupServerMessage *msg, const char *path, const char *name, gboolean download)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GMappedFile) map = g_mapped_file_new (path, FALSE, &error);
  if (map == NULL) {
    reply_bytes (msg, SOUP_STATUS_NOT_FOUND, "text/plain", "no such file\n", 13);
    return;
  }
  g_autoptr (GBytes) bytes = g_mapped_file_get_bytes (map);
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  gint64 size = (gint64)g_bytes_get_size (bytes), start = 0, end = 0;
  CrVodRange range
      = cr_vod_parse_range (soup_message_headers_get_one (req, "Range"), size, &start, &end);
  soup_message_headers_replace (resp, "Accept-Ranges", "bytes");
  soup_message_headers_replace (resp, "Cache-Control", "private, no-cache");
  soup_message_headers_replace (resp, "X-Content-Type-Options", "nosniff");
  if (download) {
    g_autofree char *disposition = g_strdup_printf ("attachment; filename=\"%s\"", name);
    soup_message_headers_replace (resp, "Content-Disposition", disposition);
  }
  if (range == CR_VOD_RANGE_UNSATISFIABLE) {
    g_autofree char *cr = g_strdup_printf ("bytes */%" G_GINT64_FORMAT, size);
    soup_message_headers_replace (resp, "Content-Range", cr);
    reply_bytes (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, "text/plain", "", 0);
    return;
  }
  soup_message_body_set_accumulate (body, FALSE);
  g_autoptr (GBytes) part = NULL;
  if (range == CR_VOD_RANGE_OK) {
    part = g_bytes_new_from_bytes (bytes, (gsize)start, (gsize)(end - start + 1));
    soup_message_headers_set_content_range (resp, start, end, size);
    soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
  } else {
    part = g_bytes_ref (bytes);
    soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  }
  soup_message_headers_set_content_type (resp, file_type (name), NULL);
  soup_message_headers_set_content_length (resp, (goffset)g_bytes_get_size (part));
  if (g_bytes_get_size (part) > 0 && strcmp (soup_server_message_get_method (msg), "HEAD") != 0)
    soup_message_body_append_bytes (body, part);
}

/* /console/files/APP/TASK/ lists, /console/files/APP/TASK/NAME serves (?download=1: as an
 * attachment). The task must be the session's app's (or any, for the operator). */
static void
route_files (CrConsole *c, SoupServerMessage *msg, const CrConsoleSession *s, const char *rest,
             GHashTable *query)
{
  g_auto (GStrv) parts = g_strsplit (rest, "/", -1);
  guint n = g_strv_length (parts);
  if (n != 3) {
    reply_bytes (msg, SOUP_STATUS_BAD_REQUEST, "text/plain", "bad path\n", 9);
    return;
  }
  g_autofree char *task_id = g_uri_unescape_string (parts[1], "/");
  g_autofree char *name = g_uri_unescape_string (parts[2], "/");
  if (task_id == NULL || (name == NULL && *parts[2] != '\0')) {
    reply_bytes (msg, SOUP_STATUS_BAD_REQUEST, "text/plain", "bad path\n", 9);
    return;
  }
  const CrApp *app = session_app (c, s, g_ascii_strtoll (parts[0], NULL, 10));
  if (app == NULL || (!s->admin && g_ascii_strtoull (parts[0], NULL, 10) != s->sdk_app_id)) {
    reply_error (msg, SOUP_STATUS_FORBIDDEN, "AuthFailure.UnauthorizedOperation",
                 "this session may not read that SdkAppId's files");
    return;
  }
  CrTaskStore *store = c->api->store;
  g_autoptr (CrTask) task = cr_console_file_name_ok (task_id)
                                ? store->vt->lookup (store, app->sdk_app_id, task_id, NULL)
                                : NULL;
  g_autofree char *key = task != NULL ? cr_retention_task_key (task) : NULL;
  if (key == NULL) {
    reply_error (msg, SOUP_STATUS_NOT_FOUND, "ResourceNotFound", "no such task");
    return;
  }
  const char *storage = c->api->config->storage_dir;
  g_autofree char *dir = g_build_filename (storage, key, NULL);
  if (name == NULL || *name == '\0') {
    g_autoptr (JsonObject) reply = json_object_new ();
    json_object_set_string_member (reply, "TaskId", task->task_id);
    json_object_set_array_member (reply, "Files", cr_console_files_list (storage, dir));
    reply_object (msg, reply);
    return;
  }
  g_autofree char *path = cr_console_file_path (storage, dir, name);
  if (path == NULL) {
    reply_bytes (msg, SOUP_STATUS_NOT_FOUND, "text/plain", "no such file\n", 13);
    return;
  }
  const char *download = query != NULL ? g_hash_table_lookup (query, "download") : NULL;
  send_file (msg, path, name, g_strcmp0 (download, "1") == 0);
}

static void
console_handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                gpointer data)
{
  CrConsole *c = data;
  if (soup_server_message_get_status (msg) != 0)
    return; /* answered from the headers (oversized body) */
  const char *method = soup_server_message_get_method (msg);
  gboolean get = strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0;
  gboolean post = strcmp (method, "POST") == 0;
  /* The raw (still percent-encoded) path: an encoded '/' stays inside its segment. */
  const char *raw = g_uri_get_path (soup_server_message_get_uri (msg));
  if (get && (strcmp (raw, "/console") == 0 || strcmp (raw, "/console/") == 0)) {
    serve_resource (msg, "console.html", "text/html; charset=utf-8");
    return;
  }
  if (get && strcmp (raw, "/console/hls.min.js") == 0) {
    serve_resource (msg, "hls.min.js", "text/javascript");
    return;
  }
  if (get && strcmp (raw, "/console/login") == 0) {
    route_login_link (c, msg, query);
    return;
  }
  gboolean files = get && g_str_has_prefix (raw, "/console/files/");
  /* Files are fetched by <video>, hls.js and download links, which send no custom header; the
   * SameSite=Strict cookie alone keeps other sites out of these GETs. */
  if (!files && !request_same_origin (msg))
    return;
  if (post && strcmp (raw, "/console/login") == 0) {
    route_login (c, msg);
    return;
  }
  if (post && strcmp (raw, "/console/logout") == 0) {
    route_logout (c, msg);
    return;
  }
  CrConsoleSession s;
  if (!request_session (c, msg, &s))
    return;
  if (get && strcmp (raw, "/console/session") == 0)
    route_session (c, msg, &s);
  else if (post && strcmp (raw, "/console/api") == 0)
    route_api (c, msg, &s);
  else if (post && strcmp (raw, "/console/usersig") == 0)
    route_usersig (c, msg, &s);
  else if (files)
    route_files (c, msg, &s, raw + strlen ("/console/files/"), query);
  else
    reply_bytes (msg, SOUP_STATUS_NOT_FOUND, "text/plain", "not found\n", 10);
}

CrConsole *
cr_console_new (CrApi *api, CrHttpServer *http)
{
  CrConsole *c = g_new0 (CrConsole, 1);
  c->api = api;
  c->http = http;
  c->sessions = cr_console_sessions_new ();
  c->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  cr_http_server_set_browser_page (http, console_page, c);
  cr_http_server_add_handler (http, "/console", console_handle, c);
  return c;
}

void
cr_console_free (CrConsole *c)
{
  if (c == NULL)
    return;
  cr_http_server_set_browser_page (c->http, NULL, NULL);
  cr_http_server_remove_handler (c->http, "/console");
  cr_console_sessions_free (c->sessions);
  g_hash_table_unref (c->failures);
  g_free (c);
}

char *
cr_console_login_path (CrConsole *c, guint64 sdk_app_id)
{
  g_autofree char *token = cr_console_token_add (c->sessions, sdk_app_id, console_now_ms (c),
                                                 (gint64)CR_CONSOLE_LINK_MINUTES * 60 * 1000);
  return g_strdup_printf ("/console/login?token=%s", token);
}
