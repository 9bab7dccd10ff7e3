/* Callback delivery with TRTC's retry policy; see sender.h. */
#include "sender.h"

#include <libsoup/soup.h>
#include <string.h>

#include "common/json_util.h"
#include "link/link.h"
#include "outbox/callback.h"
#include "task/codes.h"

#define TIMEOUT_S 5
#define RETRY_S 10
#define GIVE_UP_MS (60 * 1000)

struct _CrCallbackSender {
  const CrConfig *config;
  CrTaskStore *store;
  CrLinkServer *link;
  SoupSession *session;
  GCancellable *cancel;
  CrCallbackObserver observer;
  gpointer observer_data;
  guint pending;
};

typedef struct {
  CrCallbackSender *sender;
  char *url;
  char *body;
  char *sign;
  guint64 sdk_app_id;
  int event_type;
  char *task_id;
  gint64 created_ms;
  int attempts;
} Delivery;

static void
delivery_free (Delivery *d)
{
  d->sender->pending--;
  g_free (d->url);
  g_free (d->body);
  g_free (d->sign);
  g_free (d->task_id);
  g_free (d);
}

static void delivery_send (Delivery *d);

static gboolean
delivery_retry (gpointer data)
{
  delivery_send (data);
  return G_SOURCE_REMOVE;
}

static void
delivery_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Delivery *d = data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), res);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) reply = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    delivery_free (d);
    return;
  }
  guint status = reply != NULL ? soup_message_get_status (msg) : 0;
  if (status == SOUP_STATUS_OK) {
    g_info ("callback %d of task %s delivered (attempt %d)", d->event_type, d->task_id,
            d->attempts);
    delivery_free (d);
    return;
  }
  gint64 age = g_get_real_time () / 1000 - d->created_ms;
  if (age >= GIVE_UP_MS) {
    g_warning ("callback %d of task %s to %s not delivered after %d attempts: %s", d->event_type,
               d->task_id, d->url, d->attempts,
               error != NULL ? error->message : soup_status_get_phrase (status));
    delivery_free (d);
    return;
  }
  /* TRTC: retry at once after the first failure, then every 10 s. */
  if (d->attempts == 1)
    delivery_send (d);
  else
    g_timeout_add_seconds (RETRY_S, delivery_retry, d);
}

static void
delivery_send (Delivery *d)
{
  d->attempts++;
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", d->url);
  if (msg == NULL) {
    g_warning ("callback URL %s of SdkAppId %" G_GUINT64_FORMAT " is not a URL", d->url,
               d->sdk_app_id);
    delivery_free (d);
    return;
  }
  SoupMessageHeaders *h = soup_message_get_request_headers (msg);
  soup_message_headers_replace (h, "Sign", d->sign);
  g_autofree char *app = g_strdup_printf ("%" G_GUINT64_FORMAT, d->sdk_app_id);
  soup_message_headers_replace (h, "SdkAppId", app);
  g_autoptr (GBytes) body = g_bytes_new (d->body, strlen (d->body));
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  soup_session_send_and_read_async (d->sender->session, msg, G_PRIORITY_DEFAULT, d->sender->cancel,
                                    delivery_done, d);
}

void
cr_callback_sender_emit (CrCallbackSender *sender, guint64 sdk_app_id, const char *task_id,
                         int event_type, JsonObject *payload)
{
  g_autoptr (JsonObject) owned = payload;
  const CrApp *app = cr_apps_find (sender->config->apps, sdk_app_id);
  if (app == NULL || app->callback_url == NULL || app->callback_url[0] == '\0')
    return;
  g_autoptr (CrTask) task = sender->store->vt->lookup (sender->store, sdk_app_id, task_id, NULL);
  if (task == NULL)
    return;
  Delivery *d = g_new0 (Delivery, 1);
  d->sender = sender;
  d->url = g_strdup (app->callback_url);
  d->created_ms = g_get_real_time () / 1000;
  d->body = cr_callback_body (event_type, task->room_id, task->user_id, task->task_id,
                              json_object_ref (owned), d->created_ms);
  d->sign = cr_callback_sign (app->callback_key != NULL ? app->callback_key : "", d->body,
                              strlen (d->body));
  d->sdk_app_id = sdk_app_id;
  d->event_type = event_type;
  d->task_id = g_strdup (task_id);
  sender->pending++;
  delivery_send (d);
}

static void
sender_handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
               gpointer data)
{
  CrCallbackSender *sender = data;
  if (soup_server_message_get_status (msg) != 0)
    return;
  SoupMessageBody *b = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (b);
  gsize len = 0;
  const char *text = g_bytes_get_data (bytes, &len);
  g_autoptr (JsonObject) req = cr_json_parse_object (text, len, NULL);
  gint64 app = 0, type = 0;
  const char *task = cr_json_get_string (req, CR_LINK_TASK_ID);
  JsonObject *payload = cr_json_get_object (req, CR_LINK_PAYLOAD);
  if (strcmp (soup_server_message_get_method (msg), "POST") != 0 || req == NULL
      || !cr_json_get_int (req, CR_LINK_SDK_APP_ID, &app)
      || !cr_json_get_int (req, CR_LINK_EVENT_TYPE, &type) || task == NULL || payload == NULL
      || type < CR_EVENT_FIRST || type > CR_EVENT_LAST) {
    soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
    return;
  }
  if (sender->observer != NULL)
    sender->observer (sender->observer_data, (guint64)app, task, (int)type, payload);
  cr_callback_sender_emit (sender, (guint64)app, task, (int)type, json_object_ref (payload));
  soup_server_message_set_status (msg, SOUP_STATUS_ACCEPTED, NULL);
}

CrCallbackSender *
cr_callback_sender_new (const CrConfig *config, CrTaskStore *store, CrLinkServer *link)
{
  CrCallbackSender *sender = g_new0 (CrCallbackSender, 1);
  sender->config = config;
  sender->store = store;
  sender->link = link;
  sender->session = soup_session_new_with_options ("timeout", TIMEOUT_S, "user-agent",
                                                   "cloudrec/" CLOUDREC_VERSION, NULL);
  sender->cancel = g_cancellable_new ();
  cr_link_server_add_handler (link, CR_LINK_PATH_CALLBACKS, sender_handle, sender);
  return sender;
}

void
cr_callback_sender_set_observer (CrCallbackSender *sender, CrCallbackObserver func, gpointer data)
{
  sender->observer = func;
  sender->observer_data = data;
}

guint
cr_callback_sender_pending (CrCallbackSender *sender)
{
  return sender->pending;
}

void
cr_callback_sender_free (CrCallbackSender *sender)
{
  if (sender == NULL)
    return;
  cr_link_server_remove_handler (sender->link, CR_LINK_PATH_CALLBACKS);
  g_cancellable_cancel (sender->cancel);
  g_object_unref (sender->cancel);
  g_object_unref (sender->session);
  g_free (sender);
}
