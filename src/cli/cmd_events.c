/* `cloudrec events list|resend`: a task's callback events, through the signed API.
 *
 * Why through the API and not the database: the daemon owns the store (and, in a cluster, it is
 * not on this host); the API's CloudrecDescribeEvents / CloudrecResendEvents extensions are what
 * an operator's own tools would call, so this command is one more client of them, signed with
 * TC3 like the Tencent Cloud SDKs. Credentials: --secret-id/--secret-key, or the SDKs' variables
 * TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY. */
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "auth/tc3.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/json_util.h"

#define API_VERSION "2019-07-22"

typedef struct {
  char *api;
  char *secret_id;
  char *secret_key;
  gint64 sdk_app_id;
  char *task_id;
  gint64 event_id;
  gboolean json;
} EventsArgs;

/* POSTs @action with @body to the API; the "Response" object, or NULL with a message printed. */
static JsonObject *
events_call (const EventsArgs *a, const char *action, const char *body)
{
  g_autoptr (GUri) uri = g_uri_parse (a->api, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL) {
    fprintf (stderr, "cloudrec events: --api %s is not a URL\n", a->api);
    return NULL;
  }
  int port = g_uri_get_port (uri);
  g_autofree char *host = port > 0 ? g_strdup_printf ("%s:%d", g_uri_get_host (uri), port)
                                   : g_strdup (g_uri_get_host (uri));
  gint64 ts = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *auth
      = cr_tc3_authorization (a->secret_id, a->secret_key, "trtc", "POST", "", "application/json",
                              host, (const guchar *)body, strlen (body), ts);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", a->api);
  SoupMessageHeaders *h = soup_message_get_request_headers (msg);
  soup_message_headers_replace (h, "Authorization", auth);
  soup_message_headers_replace (h, "Host", host);
  soup_message_headers_replace (h, "X-TC-Action", action);
  soup_message_headers_replace (h, "X-TC-Version", API_VERSION);
  g_autofree char *ts_text = g_strdup_printf ("%" G_GINT64_FORMAT, ts);
  soup_message_headers_replace (h, "X-TC-Timestamp", ts_text);
  g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) reply = soup_session_send_and_read (session, msg, NULL, &error);
  if (reply == NULL) {
    fprintf (stderr, "cloudrec events: %s: %s\n", a->api, error->message);
    return NULL;
  }
  gsize len = 0;
  const char *text = g_bytes_get_data (reply, &len);
  g_autoptr (JsonObject) root = cr_json_parse_object (text, len, NULL);
  JsonObject *response = cr_json_get_object (root, "Response");
  if (response == NULL) {
    fprintf (stderr, "cloudrec events: %s answered HTTP %u without a Response\n", a->api,
             soup_message_get_status (msg));
    return NULL;
  }
  JsonObject *err = cr_json_get_object (response, "Error");
  if (err != NULL) {
    fprintf (stderr, "cloudrec events: %s: %s\n", cr_json_get_string (err, "Code"),
             cr_json_get_string (err, "Message"));
    return NULL;
  }
  return json_object_ref (response);
}

/* Unix ms as "2026-12-03 10:00:00.123" (local time), "-" for 0. */
static char *
events_time (gint64 ms)
{
  if (ms <= 0)
    return g_strdup ("-");
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_local (ms / 1000);
  g_autofree char *s = g_date_time_format (t, "%Y-%m-%d %H:%M:%S");
  return g_strdup_printf ("%s.%03d", s, (int)(ms % 1000));
}

static void
events_print_table (JsonObject *response)
{
  JsonArray *events = cr_json_get_array (response, "Events");
  printf ("%-8s %-5s %-14s %-8s %-23s %-23s %s\n", "EVENT", "TYPE", "STATE", "ATTEMPTS", "CREATED",
          "DELIVERED", "LAST ERROR");
  for (guint i = 0; events != NULL && i < json_array_get_length (events); i++) {
    JsonObject *e = json_array_get_object_element (events, i);
    g_autofree char *created = events_time (cr_json_get_int_or (e, "CreateTime", 0));
    g_autofree char *delivered = events_time (cr_json_get_int_or (e, "DeliverTime", 0));
    printf ("%-8" G_GINT64_FORMAT " %-5" G_GINT64_FORMAT " %-14s %-8" G_GINT64_FORMAT
            " %-23s %-23s %s\n",
            cr_json_get_int_or (e, "EventId", 0), cr_json_get_int_or (e, "EventType", 0),
            cr_json_get_string (e, "State"), cr_json_get_int_or (e, "Attempts", 0), created,
            delivered, cr_json_get_string (e, "LastError"));
  }
}

/* Calls the action of `list` or `resend`; the exit code. */
static int
events_run (const EventsArgs *a, gboolean list)
{
  g_autoptr (JsonObject) req = json_object_new ();
  json_object_set_int_member (req, "SdkAppId", a->sdk_app_id);
  json_object_set_string_member (req, "TaskId", a->task_id);
  if (a->event_id > 0)
    json_object_set_int_member (req, "EventId", a->event_id);
  g_autofree char *body = cr_json_object_to_string (req);
  g_autoptr (JsonObject) response
      = events_call (a, list ? "CloudrecDescribeEvents" : "CloudrecResendEvents", body);
  if (response == NULL)
    return 1;
  if (list && a->json) {
    g_autofree char *text = cr_json_object_to_string (response);
    printf ("%s\n", text);
  } else if (list) {
    events_print_table (response);
  } else {
    printf ("%" G_GINT64_FORMAT " event(s) of task %s queued again\n",
            cr_json_get_int_or (response, "ResentCount", 0), a->task_id);
  }
  return 0;
}

int
cr_cmd_events (int argc, char **argv)
{
  EventsArgs a = { 0 };
  GOptionEntry entries[] = {
    { "api", 0, 0, G_OPTION_ARG_STRING, &a.api, "the API's URL (default http://127.0.0.1:8080/)",
      "URL" },
    { "sdkappid", 0, 0, G_OPTION_ARG_INT64, &a.sdk_app_id, "the task's SdkAppId", "N" },
    { "task", 0, 0, G_OPTION_ARG_STRING, &a.task_id, "the TaskId", "ID" },
    { "event", 0, 0, G_OPTION_ARG_INT64, &a.event_id, "resend: only this EventId", "N" },
    { "secret-id", 0, 0, G_OPTION_ARG_STRING, &a.secret_id,
      "SecretId (default $TENCENTCLOUD_SECRET_ID)", "ID" },
    { "secret-key", 0, 0, G_OPTION_ARG_STRING, &a.secret_key,
      "SecretKey (default $TENCENTCLOUD_SECRET_KEY)", "KEY" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &a.json, "list: print the API's JSON answer", NULL },
    G_OPTION_ENTRY_NULL,
  };
  const char *verb = argc > 0 ? argv[0] : "";
  int rc = 2;
  g_autoptr (GError) error = NULL;
  if (strcmp (verb, "list") != 0 && strcmp (verb, "resend") != 0) {
    fprintf (stderr, "usage: cloudrec events list|resend --sdkappid N --task ID [--event N] "
                     "[--api URL] [--secret-id ID --secret-key KEY] [--json]\n");
    goto out;
  }
  if (!cr_cli_parse ("cloudrec events", "list|resend - a task's callback events", entries, argc - 1,
                     argv + 1, &error)) {
    fprintf (stderr, "cloudrec events: %s\n", error->message);
    goto out;
  }
  if (a.api == NULL)
    a.api = g_strdup ("http://127.0.0.1:8080/");
  if (a.secret_id == NULL)
    a.secret_id = g_strdup (g_getenv ("TENCENTCLOUD_SECRET_ID"));
  if (a.secret_key == NULL)
    a.secret_key = g_strdup (g_getenv ("TENCENTCLOUD_SECRET_KEY"));
  if (a.sdk_app_id <= 0 || a.task_id == NULL || a.secret_id == NULL || a.secret_key == NULL
      || a.event_id < 0) {
    fprintf (stderr, "cloudrec events: --sdkappid, --task and credentials (--secret-id and "
                     "--secret-key, or TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY) are "
                     "required\n");
    goto out;
  }
  rc = events_run (&a, strcmp (verb, "list") == 0);
out:
  g_free (a.api);
  g_free (a.secret_id);
  g_free (a.secret_key);
  g_free (a.task_id);
  return rc;
}
