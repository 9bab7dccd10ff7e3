/* The request pipeline of the control API; api.h says why it is transport-free.
 *
 * Order of checks, each failing with the TRTC code an SDK expects:
 * action/version headers (the version selects a service's action table) -> TC3 signature ->
 * request size -> rate limit (per app) -> action lookup in that table -> body or query parsing ->
 * schema validation -> the app (the body's SdkAppId owned by the signer, or the signer's app, as
 * the action says) -> the action. Everything after the signature (api_run_authenticated) is also
 * what a console session's call runs (cr_api_handle_as), so both obey the same rules. */
#include "api.h"

#include <string.h>

#include "api/actions.h"
#include "common/api_error.h"
#include "common/json_util.h"
#include "metrics/metrics.h"
#include "validate/validate.h"

static gint64
api_wall_ms (void)
{
  return g_get_real_time () / 1000;
}

CrApi *
cr_api_new (const CrConfig *config, CrTaskStore *store)
{
  CrApi *api = g_new0 (CrApi, 1);
  api->config = config;
  api->store = store;
  api->rate_limit = cr_rate_limit_new (config->api_rate_limit);
  api->now_ms = api_wall_ms;
  return api;
}

void
cr_api_free (CrApi *api)
{
  if (api == NULL)
    return;
  cr_rate_limit_free (api->rate_limit);
  g_free (api);
}

static char *
api_envelope (JsonObject *reply, const char *request_id)
{
  json_object_set_string_member (reply, "RequestId", request_id);
  g_autoptr (JsonObject) outer = json_object_new ();
  json_object_set_object_member (outer, "Response", json_object_ref (reply));
  return cr_json_object_to_string (outer);
}

static char *
api_error_envelope (const GError *error, const char *request_id)
{
  g_autoptr (JsonObject) err = json_object_new ();
  json_object_set_string_member (err, "Code", cr_api_error_code (error));
  json_object_set_string_member (err, "Message", error->message);
  g_autoptr (JsonObject) reply = json_object_new ();
  json_object_set_object_member (reply, "Error", json_object_ref (err));
  return api_envelope (reply, request_id);
}

char *
cr_api_error_reply (const char *code, const char *message)
{
  g_autoptr (GError) error = cr_api_error_new (code, "%s", message);
  g_autofree char *request_id = g_uuid_string_random ();
  return api_error_envelope (error, request_id);
}

static const char *
api_secret_lookup (const char *secret_id, gpointer user_data)
{
  const CrConfig *config = user_data;
  return cr_apps_secret_key (config->apps, secret_id, NULL);
}

/* Decodes "k=v&k2=v2" into a table of decoded strings. */
static GHashTable *
api_parse_query (const char *raw_query, GError **error)
{
  g_autoptr (GHashTable) pairs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (raw_query == NULL || *raw_query == '\0')
    return g_steal_pointer (&pairs);
  g_auto (GStrv) parts = g_strsplit (raw_query, "&", 0);
  for (char **p = parts; *p; p++) {
    if (**p == '\0')
      continue;
    g_strdelimit (*p, "+", ' '); /* form encoding: Go, Python and Java send a space as '+' */
    char *eq = strchr (*p, '=');
    g_autofree char *key = g_uri_unescape_segment (*p, eq, NULL);
    g_autofree char *value = eq != NULL ? g_uri_unescape_string (eq + 1, NULL) : g_strdup ("");
    if (key == NULL || value == NULL || !g_utf8_validate (key, -1, NULL)
        || !g_utf8_validate (value, -1, NULL)) {
      cr_api_error_set (error, "InvalidParameter.UrlParamsError",
                        "the query string is not valid percent-encoded UTF-8");
      return NULL;
    }
    if (g_hash_table_contains (pairs, key)) {
      cr_api_error_set (error, "InvalidParameter.UrlParamsError",
                        "query parameter %s appears twice", key);
      return NULL;
    }
    g_hash_table_insert (pairs, g_steal_pointer (&key), g_steal_pointer (&value));
  }
  return g_steal_pointer (&pairs);
}

static JsonObject *
api_read_params (const CrApiRequest *req, CrValidateFlags *flags, GError **error)
{
  if (g_strcmp0 (req->method, "GET") == 0) {
    *flags = CR_VALIDATE_FORM;
    g_autoptr (GHashTable) pairs = api_parse_query (req->raw_query, error);
    return pairs != NULL ? cr_validate_unflatten_query (pairs, error) : NULL;
  }
  *flags = CR_VALIDATE_JSON;
  const char *ct = req->header ("content-type", req->header_data);
  if (ct == NULL
      || g_ascii_strncasecmp (ct, "application/json", strlen ("application/json")) != 0) {
    cr_api_error_set (error, "InvalidParameter.BodyParamsError",
                      "Content-Type must be application/json for POST, got \"%s\"",
                      ct != NULL ? ct : "");
    return NULL;
  }
  return cr_json_parse_object ((const char *)req->body, req->body_len, error);
}

/* The SdkAppId of the request must be the app whose key signed it. */
static const CrApp *
api_check_app (CrApi *api, const CrApp *signer, JsonObject *params, GError **error)
{
  gint64 id = 0;
  if (!cr_json_get_int (params, "SdkAppId", &id)) {
    cr_api_error_set (error, "MissingParameter.SdkAppId", "SdkAppId is required");
    return NULL;
  }
  if ((guint64)id == signer->sdk_app_id)
    return signer;
  if (cr_apps_find (api->config->apps, (guint64)id) == NULL) {
    cr_api_error_set (error, "InvalidParameter.SdkAppId",
                      "SdkAppId %" G_GINT64_FORMAT " is not an application of this server", id);
    return NULL;
  }
  cr_api_error_set (
      error, "AuthFailure.UnauthorizedOperation",
      "the SecretId that signed this request may not act on SdkAppId %" G_GINT64_FORMAT, id);
  return NULL;
}

static gboolean
api_check_headers (const CrApiRequest *req, const char **out_action,
                   const CrApiVersion **out_version, GError **error)
{
  const char *action = req->header ("x-tc-action", req->header_data);
  const char *version = req->header ("x-tc-version", req->header_data);
  if (action == NULL || *action == '\0') {
    cr_api_error_set (error, "MissingParameter", "the X-TC-Action header is required");
    return FALSE;
  }
  if (version == NULL || *version == '\0') {
    cr_api_error_set (error, "MissingParameter", "the X-TC-Version header is required");
    return FALSE;
  }
  *out_version = cr_api_version_find (version);
  if (*out_version == NULL) {
    g_autofree char *known = cr_api_versions_text ();
    cr_api_error_set (error, "NoSuchVersion", "API version %s is not supported; use %s", version,
                      known);
    return FALSE;
  }
  *out_action = action;
  return TRUE;
}

/* What a call reads its parameters from: the signed request (body or query), or an object the
 * caller parsed already (the console). */
typedef struct {
  const CrApiRequest *req;
  JsonObject *params;
} ApiSource;

static JsonObject *
api_source_read (const ApiSource *src, CrValidateFlags *flags, GError **error)
{
  if (src->req != NULL)
    return api_read_params (src->req, flags, error);
  *flags = CR_VALIDATE_JSON;
  return json_object_ref (src->params);
}

/* Everything after the caller is authenticated as @signer: request size, rate limit (per app),
 * action lookup, parameters, schema validation, the app, the action. The signed API and the
 * console (cr_api_handle_as) both run exactly this. */
static JsonObject *
api_run_authenticated (CrApi *api, const CrApp *signer, const CrApiVersion *version,
                       const char *action_name, gsize body_len, const ApiSource *src,
                       gboolean operator_call, const char **out_action, GError **error)
{
  const CrConfig *config = api->config;
  if (body_len > (gsize)config->api_max_body) {
    cr_api_error_set (error, "RequestSizeLimitExceeded",
                      "the request body is %" G_GSIZE_FORMAT
                      " bytes; the limit is %" G_GINT64_FORMAT,
                      body_len, config->api_max_body);
    return NULL;
  }
  if (!cr_rate_limit_allow (api->rate_limit, signer->sdk_app_id, g_get_monotonic_time ())) {
    cr_api_error_set (error, "RequestLimitExceeded",
                      "SdkAppId %" G_GUINT64_FORMAT " made more than %" G_GINT64_FORMAT
                      " requests in one second",
                      signer->sdk_app_id, config->api_rate_limit);
    return NULL;
  }
  const CrAction *action = cr_api_version_action (version, action_name);
  if (action == NULL) {
    cr_api_error_set (error, "InvalidAction", "action %s does not exist in %s %s", action_name,
                      version->service, version->version);
    return NULL;
  }
  *out_action = action->name;
  CrValidateFlags flags = CR_VALIDATE_JSON;
  g_autoptr (JsonObject) raw = api_source_read (src, &flags, error);
  if (raw == NULL)
    return NULL;
  g_autoptr (JsonObject) params = cr_validate_request (
      action->schema != NULL ? action->schema : action->name, raw, flags, error);
  if (params == NULL)
    return NULL;
  const CrApp *app = action->app_from == CR_APP_FROM_SIGNER
                         ? signer
                         : api_check_app (api, signer, params, error);
  if (app == NULL)
    return NULL;
  g_autoptr (JsonObject) reply = json_object_new ();
  api->operator_call = operator_call;
  gboolean ok = action->func (api, app, params, reply, error);
  api->operator_call = FALSE;
  if (!ok)
    return NULL;
  return g_steal_pointer (&reply);
}

/* @out_action: the action's own name once it is known to exist (a metrics label never taken
 * verbatim from a request). */
static JsonObject *
api_run (CrApi *api, const CrApiRequest *req, const char **out_action, GError **error)
{
  const char *action_name = NULL;
  const CrApiVersion *version = NULL;
  if (!api_check_headers (req, &action_name, &version, error))
    return NULL;

  g_autofree char *secret_id = NULL;
  const CrConfig *config = api->config;
  const CrTc3Request signed_req
      = { req->method, req->raw_query, req->body, req->body_len, req->header, req->header_data };
  if (!cr_tc3_verify (&signed_req, api->now_ms () / 1000, config->api_clock_skew, api_secret_lookup,
                      (gpointer)config, &secret_id, error))
    return NULL;
  const CrApp *signer = NULL;
  cr_apps_secret_key (config->apps, secret_id, &signer);
  const ApiSource src = { req, NULL };
  return api_run_authenticated (api, signer, version, action_name, req->body_len, &src, FALSE,
                                out_action, error);
}

/* The request counter and latency histogram (docs/metrics.md). */
static void
api_count (const char *action, const char *code, double seconds)
{
  g_autofree char *labels = cr_metrics_labels ("action", action, "code", code, NULL);
  g_autofree char *action_label = cr_metrics_labels ("action", action, NULL);
  cr_metrics_add ("cloudrec_api_requests_total", labels, 1);
  cr_metrics_observe ("cloudrec_api_request_duration_seconds", action_label, seconds);
}

char *
cr_api_handle (CrApi *api, const CrApiRequest *req)
{
  g_autofree char *request_id = g_uuid_string_random ();
  g_autoptr (GError) error = NULL;
  gint64 start_us = g_get_monotonic_time ();
  const char *known_action = "unknown";
  g_autoptr (JsonObject) reply = api_run (api, req, &known_action, &error);
  api_count (known_action, reply != NULL ? "Success" : cr_api_error_code (error),
             (double)(g_get_monotonic_time () - start_us) / G_USEC_PER_SEC);
  const char *action = req->header ("x-tc-action", req->header_data);
  if (reply == NULL) {
    g_info ("api %s %s -> %s: %s", action != NULL ? action : "-", request_id,
            cr_api_error_code (error), error->message);
    return api_error_envelope (error, request_id);
  }
  g_debug ("api %s %s -> ok", action, request_id);
  return api_envelope (reply, request_id);
}

char *
cr_api_handle_as (CrApi *api, const CrApp *signer, gboolean operator_call, const char *action_name,
                  JsonObject *params, gsize body_len)
{
  g_autofree char *request_id = g_uuid_string_random ();
  g_autoptr (GError) error = NULL;
  gint64 start_us = g_get_monotonic_time ();
  const char *known_action = "unknown";
  const ApiSource src = { NULL, params };
  g_autoptr (JsonObject) reply
      = api_run_authenticated (api, signer, cr_api_version_find (CR_API_VERSION), action_name,
                               body_len, &src, operator_call, &known_action, &error);
  api_count (known_action, reply != NULL ? "Success" : cr_api_error_code (error),
             (double)(g_get_monotonic_time () - start_us) / G_USEC_PER_SEC);
  if (reply == NULL) {
    g_info ("console %s %s -> %s: %s", known_action, request_id, cr_api_error_code (error),
            error->message);
    return api_error_envelope (error, request_id);
  }
  g_debug ("console %s %s -> ok", known_action, request_id);
  return api_envelope (reply, request_id);
}
