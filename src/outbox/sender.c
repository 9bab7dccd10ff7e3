/* Delivering the outbox's callback events; see sender.h. */
#include "sender.h"

#include <libsoup/soup.h>
#include <string.h>

#include "common/json_util.h"
#include "common/net_filter.h"
#include "link/link.h"
#include "metrics/metrics.h"
#include "outbox/callback.h"
#include "task/codes.h"

#define TIMEOUT_S 5
#define TICK_MS 1000     /* due retries are looked for this often */
#define MAX_IN_FLIGHT 32 /* tasks whose head event is being posted at once */

struct _CrCallbackSender {
  const CrConfig *config;
  CrTaskStore *store;
  CrLinkServer *link;
  SoupSession *session;
  GCancellable *cancel;
  GHashTable *in_flight; /* task_id -> NULL: the task's head event is being posted */
  CrNetFilter *deny;     /* fetch-deny: addresses a callback URL never reaches */
  guint tick;
  guint kick;
  CrCallbackObserver observer;
  gpointer observer_data;
};

typedef struct {
  CrCallbackSender *sender;
  CrEventRecord *event;
  char *url;
} Delivery;

static void
delivery_free (Delivery *d)
{
  cr_event_record_free (d->event);
  g_free (d->url);
  g_free (d);
}

/* The wait before attempt @attempts + 1: none after the first failure, then 1 s doubling. */
static gint64
sender_backoff_ms (const CrCallbackSender *sender, int attempts)
{
  if (attempts <= 1)
    return 0;
  gint64 cap = sender->config->callback_retry_max * 1000;
  int shift = MIN (attempts - 2, 30);
  return MIN ((gint64)1000 << shift, cap);
}

static void
sender_save (CrCallbackSender *sender, const CrEventRecord *e)
{
  g_autoptr (GError) error = NULL;
  if (!sender->store->vt->update_event (sender->store, e, &error))
    g_warning ("callback %d of task %s: cannot record its delivery: %s", e->event_type, e->task_id,
               error->message);
}

/* An attempt ended with HTTP @status (0: no answer, @why). */
static void
sender_record_attempt (CrCallbackSender *sender, CrEventRecord *e, guint status, const char *why)
{
  gint64 now = g_get_real_time () / 1000;
  e->attempts++;
  e->last_status = (int)status;
  g_free (e->last_error);
  e->last_error = NULL;
  cr_metrics_add ("cloudrec_callbacks_total",
                  status == SOUP_STATUS_OK ? "result=\"delivered\"" : "result=\"failed\"", 1);
  if (status == SOUP_STATUS_OK) {
    e->state = CR_EVENT_STATE_DELIVERED;
    e->delivered_ms = now;
    g_info ("callback %d of task %s delivered (attempt %d)", e->event_type, e->task_id,
            e->attempts);
  } else {
    e->last_error = g_strdup (why);
    gint64 deadline = e->window_ms + sender->config->callback_retry_window * 1000;
    e->next_ms = now + sender_backoff_ms (sender, e->attempts);
    if (e->next_ms > deadline) {
      e->state = CR_EVENT_STATE_GAVE_UP;
      cr_metrics_add ("cloudrec_callbacks_total", "result=\"gave_up\"", 1);
      g_warning ("callback %d of task %s not delivered after %d attempts (%s); given up, "
                 "CloudrecResendEvents sends it again",
                 e->event_type, e->task_id, e->attempts, why);
    }
  }
  sender_save (sender, e);
}

static void
delivery_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Delivery *d = data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), res);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) reply = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    delivery_free (d); /* the daemon is closing; the event stays pending for the next start */
    return;
  }
  CrCallbackSender *sender = d->sender;
  guint status = reply != NULL ? soup_message_get_status (msg) : 0;
  const char *refused = cr_net_filter_soup_refusal (msg);
  g_autofree char *why
      = refused != NULL ? g_strdup (refused)
        : error != NULL ? g_strdup (error->message)
                        : g_strdup_printf ("HTTP %u %s", status, soup_status_get_phrase (status));
  g_hash_table_remove (sender->in_flight, d->event->task_id);
  sender_record_attempt (sender, d->event, status, why);
  delivery_free (d);
  cr_callback_sender_kick (sender); /* the task's next event, or this one at once */
}

/* Posts the task's head event @e (taken). */
static void
sender_deliver (CrCallbackSender *sender, CrEventRecord *e)
{
  const CrApp *app = cr_apps_find (sender->config->apps, e->sdk_app_id);
  if (e->event_type == CR_EVENT_ONCE_FILES) {
    /* A one-call worker's report, kept for its result (docs/record-once.md): never posted. */
    e->state = CR_EVENT_STATE_DELIVERED;
    sender_save (sender, e);
    cr_event_record_free (e);
    cr_callback_sender_kick (sender);
    return;
  }
  g_autofree char *url = cr_callback_url_of (e, app != NULL ? app->callback_url : NULL);
  g_autoptr (SoupMessage) msg
      = url != NULL && url[0] != '\0' ? soup_message_new ("POST", url) : NULL;
  if (msg == NULL) {
    /* Kept, not sent: listed as NoCallbackUrl, and sent by a resend once the app has one. */
    if (url != NULL && url[0] != '\0')
      g_warning ("callback URL %s of SdkAppId %" G_GUINT64_FORMAT " is not a URL", url,
                 e->sdk_app_id);
    e->state = CR_EVENT_STATE_NO_URL;
    sender_save (sender, e);
    cr_event_record_free (e);
    cr_callback_sender_kick (sender);
    return;
  }
  cr_net_filter_guard_soup_message (sender->deny, msg);
  g_autofree char *body = cr_callback_body_of (e);
  g_autofree char *sign = cr_callback_sign (
      app != NULL && app->callback_key != NULL ? app->callback_key : "", body, strlen (body));
  SoupMessageHeaders *h = soup_message_get_request_headers (msg);
  soup_message_headers_replace (h, "Sign", sign);
  g_autofree char *app_text = g_strdup_printf ("%" G_GUINT64_FORMAT, e->sdk_app_id);
  soup_message_headers_replace (h, "SdkAppId", app_text);
  gsize len = strlen (body);
  GBytes *bytes = g_bytes_new_take (g_steal_pointer (&body), len);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  g_bytes_unref (bytes);
  Delivery *d = g_new0 (Delivery, 1);
  d->sender = sender;
  d->event = e;
  d->url = g_strdup (url);
  g_hash_table_add (sender->in_flight, g_strdup (e->task_id));
  soup_session_send_and_read_async (sender->session, msg, G_PRIORITY_DEFAULT, sender->cancel,
                                    delivery_done, d);
}

/* Sends every due head event of the tasks not already in flight. */
static void
sender_pump (CrCallbackSender *sender)
{
  guint room = MAX_IN_FLIGHT - MIN (MAX_IN_FLIGHT, g_hash_table_size (sender->in_flight));
  if (room == 0)
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) due = sender->store->vt->due_events (
      sender->store, g_get_real_time () / 1000, room, sender->in_flight, &error);
  if (due == NULL) {
    g_warning ("outbox: cannot read the due events: %s", error->message);
    return;
  }
  for (guint i = 0; i < due->len; i++)
    sender_deliver (sender, g_steal_pointer (&g_ptr_array_index (due, i)));
}

static gboolean
sender_on_tick (gpointer data)
{
  sender_pump (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
sender_on_kick (gpointer data)
{
  CrCallbackSender *sender = data;
  sender->kick = 0;
  sender_pump (sender);
  return G_SOURCE_REMOVE;
}

void
cr_callback_sender_kick (CrCallbackSender *sender)
{
  if (sender->kick == 0)
    sender->kick = g_idle_add (sender_on_kick, sender);
}

gboolean
cr_callback_sender_emit (CrCallbackSender *sender, guint64 sdk_app_id, const char *task_id,
                         int event_type, JsonObject *payload)
{
  g_autoptr (JsonObject) owned = payload;
  g_autofree char *text = cr_json_object_to_string (owned);
  CrEventNew event = { event_type, text };
  g_autoptr (GError) error = NULL;
  if (sender->store->vt->add_event (sender->store, sdk_app_id, task_id, &event,
                                    g_get_real_time () / 1000, &error)
      < 0) {
    g_warning ("callback %d of task %s not queued: %s", event_type, task_id, error->message);
    return FALSE;
  }
  cr_callback_sender_kick (sender);
  return TRUE;
}

guint
cr_callback_sender_pending (CrCallbackSender *sender)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) due = sender->store->vt->due_events (
      sender->store, g_get_real_time () / 1000, G_MAXINT, sender->in_flight, &error);
  if (due == NULL) {
    g_warning ("outbox: cannot read the due events: %s", error->message);
    return 1; /* unknown: not drained */
  }
  return g_hash_table_size (sender->in_flight) + due->len;
}

/* POST /internal/callbacks from a worker: 202 once stored, 500 when the store refused it (the
 * worker logs it), 400 for a malformed request. */
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
      || ((type < CR_EVENT_FIRST || type > CR_EVENT_LAST) && type != CR_EVENT_ONCE_FILES)) {
    soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
    return;
  }
  if (sender->observer != NULL)
    sender->observer (sender->observer_data, (guint64)app, task, (int)type, payload);
  gboolean stored
      = cr_callback_sender_emit (sender, (guint64)app, task, (int)type, json_object_ref (payload));
  soup_server_message_set_status (
      msg, stored ? SOUP_STATUS_ACCEPTED : SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
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
  sender->in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GError) error = NULL;
  sender->deny = cr_net_filter_new (config->fetch_deny, &error); /* checked at startup */
  if (sender->deny == NULL)
    g_error ("fetch-deny: %s", error->message);
  cr_link_server_add_handler (link, CR_LINK_PATH_CALLBACKS, sender_handle, sender);
  sender->tick = g_timeout_add (TICK_MS, sender_on_tick, sender);
  cr_callback_sender_kick (sender); /* what an earlier run left pending */
  return sender;
}

void
cr_callback_sender_set_observer (CrCallbackSender *sender, CrCallbackObserver func, gpointer data)
{
  sender->observer = func;
  sender->observer_data = data;
}

void
cr_callback_sender_free (CrCallbackSender *sender)
{
  if (sender == NULL)
    return;
  cr_link_server_remove_handler (sender->link, CR_LINK_PATH_CALLBACKS);
  g_source_remove (sender->tick);
  if (sender->kick != 0)
    g_source_remove (sender->kick);
  g_cancellable_cancel (sender->cancel); /* the pending deliveries end with CANCELLED */
  g_object_unref (sender->cancel);
  g_object_unref (sender->session);
  g_hash_table_unref (sender->in_flight);
  cr_net_filter_free (sender->deny);
  g_free (sender);
}
