/* `POST /v1/record` and the one-call result; see record_once.h. */
#include "record_once.h"

#include <string.h>

#include "api/actions.h"
#include "auth/usersig.h"
#include "common/api_error.h"
#include "common/json_util.h"
#include "task/codes.h"
#include "task/record_once.h"
#include "validate/validate.h"

struct _CrRecordOnce {
  CrApi *api;
  CrHttpServer *http;
  CrUploader *uploads;
  CrCallbackSender *callbacks;
};

/* ---- the endpoint ---- */

static void
once_reply (SoupServerMessage *msg, guint status, const char *content_type, char *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE, text, strlen (text));
}

/* HTTP status of a refusal: the caller's fault is 400 (the body names the field), a full daemon
 * 429 or 503, the daemon's own failure 500. */
static guint
once_status_of (const GError *error)
{
  const char *code = cr_api_error_code (error);
  if (g_str_has_prefix (code, "RequestLimitExceeded") || g_str_has_prefix (code, "LimitExceeded"))
    return 429;
  if (strcmp (code, "InternalError") == 0 || g_str_has_prefix (code, "InternalError."))
    return 500;
  if (strstr (error->message, "SIGTERM") != NULL) /* cr_api_create_task: the daemon stops */
    return 503;
  return 400;
}

static void
once_refuse (SoupServerMessage *msg, const GError *error)
{
  g_info ("one-call recording refused: %s: %s", cr_api_error_code (error), error->message);
  once_reply (msg, once_status_of (error), "application/json", cr_once_error_body (error));
}

/* The body's robot ticket: a plain UserSig of its UserId under the app's key, as Create checks
 * it (action_create.c). */
static gboolean
once_check_usersig (const CrApp *app, const CrOnceRequest *r, gint64 now_s, GError **error)
{
  g_autoptr (GError) sig_error = NULL;
  g_autoptr (CrUserSig) sig = cr_usersig_verify (r->usersig, app->sdk_app_id, r->user_id,
                                                 app->usersig_key, now_s, &sig_error);
  if (sig == NULL) {
    cr_api_error_set (error, "InvalidParameter.UserSig", "UserSig is not valid for UserId %s: %s",
                      r->user_id, sig_error->message);
    return FALSE;
  }
  if (sig->userbuf != NULL) {
    cr_api_error_set (error, "InvalidParameter.UserSig",
                      "UserSig carries a room grant (userbuf); pass a plain UserSig");
    return FALSE;
  }
  return TRUE;
}

/* Creates the task of body @r; its TaskId in @task_id. */
static gboolean
once_launch (CrRecordOnce *once, const CrOnceRequest *r, const char *request_id, char **task_id,
             GError **error)
{
  CrApi *api = once->api;
  const CrApp *app = cr_apps_find (api->config->apps, r->sdk_app_id);
  if (app == NULL) {
    cr_api_error_set (error, "InvalidParameter.SdkAppId",
                      "SdkAppId %" G_GUINT64_FORMAT " is not an application of this server",
                      r->sdk_app_id);
    return FALSE;
  }
  if (!once_check_usersig (app, r, api->now_ms () / 1000, error))
    return FALSE;
  /* The app's API budget (api-rate-limit), once the caller is known to hold its key. */
  if (!cr_rate_limit_allow (api->rate_limit, app->sdk_app_id, g_get_monotonic_time ())) {
    cr_api_error_set (error, "RequestLimitExceeded",
                      "SdkAppId %" G_GUINT64_FORMAT " makes more than %" G_GINT64_FORMAT
                      " requests a second (api-rate-limit)",
                      app->sdk_app_id, api->config->api_rate_limit);
    return FALSE;
  }
  const char *access_key = r->secret_id != NULL ? r->secret_id : app->storage_access_key;
  const char *secret_key = r->secret_id != NULL ? r->secret_key : app->storage_secret_key;
  if (access_key == NULL || secret_key == NULL) {
    cr_api_error_set (
        error, "MissingParameter.CosConfig.SecretId",
        "CosConfig.SecretId and CosConfig.SecretKey are required: SdkAppId %" G_GUINT64_FORMAT
        " has no storage-access-key / storage-secret-key configured",
        r->sdk_app_id);
    return FALSE;
  }
  g_autoptr (JsonObject) raw = cr_once_request_to_create (r, access_key, secret_key);
  g_autoptr (JsonObject) params
      = cr_validate_request ("CreateCloudRecording", raw, CR_VALIDATE_JSON, error);
  if (params == NULL)
    return FALSE;
  json_object_set_object_member (params, CR_ONCE_MEMBER, cr_once_extension (r, request_id));
  return cr_api_create_task (api, app, params, CR_CREATE_ROBOT_TRUSTED, task_id, error);
}

static void
once_handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
             gpointer data)
{
  CrRecordOnce *once = data;
  if (soup_server_message_get_status (msg) != 0)
    return; /* already refused from the headers (oversized body) */
  if (strcmp (path, CR_ONCE_PATH) != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  if (strcmp (soup_server_message_get_method (msg), "POST") != 0) {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "POST");
    g_autoptr (GError) error
        = cr_api_error_new ("UnsupportedOperation", "%s takes POST with a JSON body", CR_ONCE_PATH);
    once_reply (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "application/json",
                cr_once_error_body (error));
    return;
  }
  g_autoptr (GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  gsize len = 0;
  const char *body = g_bytes_get_data (bytes, &len);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrOnceRequest) r = cr_once_request_parse (body != NULL ? body : "", len, &error);
  g_autofree char *request_id = g_uuid_string_random ();
  g_autofree char *task_id = NULL;
  if (r == NULL || !once_launch (once, r, request_id, &task_id, &error)) {
    once_refuse (msg, error);
    return;
  }
  g_info ("one-call recording %s: task %s records room %s (robot %s) as %s", request_id, task_id,
          r->room_id, r->user_id, cr_once_mode_format (r->mode));
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (h, "x-scf-reqid", request_id);
  soup_message_headers_replace (h, "X-Cloudrec-TaskId", task_id);
  once_reply (msg, SOUP_STATUS_OK, "text/plain", g_strdup ("Async run task submitted"));
}

/* ---- the result ---- */

/* The Files the task's worker reported (its last 390), a new array; empty when it reported none
 * (it never reached its end). */
static JsonArray *
once_reported_files (CrTaskStore *store, guint64 app, const char *task_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) events = store->vt->list_events (store, app, task_id, &error);
  for (guint i = events != NULL ? events->len : 0; i > 0; i--) {
    const CrEventRecord *e = g_ptr_array_index (events, i - 1);
    if (e->event_type != CR_EVENT_ONCE_FILES)
      continue;
    g_autoptr (JsonObject) payload
        = cr_json_parse_object (e->payload_json, strlen (e->payload_json), NULL);
    JsonArray *files = cr_json_get_array (payload, "Files");
    if (files != NULL) {
      JsonNode *copy = json_node_copy (json_object_get_member (payload, "Files"));
      JsonArray *out = json_array_ref (json_node_get_array (copy));
      json_node_unref (copy);
      return out;
    }
  }
  if (error != NULL)
    g_warning ("one-call task %s: cannot read its events: %s", task_id, error->message);
  return json_array_new ();
}

/* The uploader reached the task's end: every file is stored (@why NULL) or some were given up. */
static void
once_on_uploads_end (gpointer data, guint64 app, const char *task_id, const char *why)
{
  CrRecordOnce *once = data;
  CrTaskStore *store = once->api->store;
  g_autoptr (GError) error = NULL;
  g_autoptr (CrTask) task = store->vt->lookup (store, app, task_id, &error);
  g_autoptr (JsonObject) params
      = task != NULL ? cr_json_parse_object (task->params_json, strlen (task->params_json), NULL)
                     : NULL;
  g_autoptr (CrSpecOnce) spec = params != NULL ? cr_spec_once_read (params, &error) : NULL;
  if (spec == NULL) {
    if (error != NULL)
      g_warning ("task %s: no one-call result: %s", task_id, error->message);
    return; /* an API task */
  }
  JsonArray *files = once_reported_files (store, app, task_id);
  for (guint i = 0; why != NULL && i < json_array_get_length (files); i++) {
    JsonObject *f = json_array_get_object_element (files, i);
    if (f == NULL || cr_json_get_int_or (f, "Status", 0) != 1)
      continue;
    g_autofree char *message = g_strdup_printf ("writing to storage failed: %s", why);
    json_object_set_int_member (f, "Status", 0);
    json_object_set_string_member (f, "Message", message);
  }
  JsonObject *payload = json_object_new ();
  json_object_set_string_member (payload, "Url", spec->callback);
  json_object_set_string_member (payload, "RequestId", spec->request_id);
  json_object_set_object_member (
      payload, "Body",
      cr_once_result (app, task->room_id, task->room_id_type == 0, task->user_id, files));
  g_info ("one-call recording %s (task %s): result queued for %s", spec->request_id, task_id,
          spec->callback[0] != '\0' ? spec->callback : "nobody (no Callback)");
  cr_callback_sender_emit (once->callbacks, app, task_id, CR_EVENT_ONCE_RESULT, payload);
}

/* ---- life ---- */

CrRecordOnce *
cr_record_once_new (CrApi *api, CrHttpServer *http, CrUploader *uploads,
                    CrCallbackSender *callbacks)
{
  CrRecordOnce *once = g_new0 (CrRecordOnce, 1);
  once->api = api;
  once->http = http;
  once->uploads = uploads;
  once->callbacks = callbacks;
  g_autoptr (GError) too_big = cr_api_error_new (
      "RequestSizeLimitExceeded", "the body is larger than %" G_GINT64_FORMAT " bytes",
      api->config->api_max_body);
  g_autofree char *refusal = cr_once_error_body (too_big);
  cr_http_server_add_handler_refusing (http, CR_ONCE_PATH, once_handle, once,
                                       SOUP_STATUS_BAD_REQUEST, "application/json", refusal);
  cr_uploader_set_end_func (uploads, once_on_uploads_end, once);
  return once;
}

void
cr_record_once_free (CrRecordOnce *once)
{
  if (once == NULL)
    return;
  cr_uploader_set_end_func (once->uploads, NULL, NULL);
  cr_http_server_remove_handler (once->http, CR_ONCE_PATH);
  g_free (once);
}
