/* The outbox: recording callbacks delivered from the task store, never lost.
 *
 * Why durable and in the daemon: every event (301-312) is a row of the task store, written in the
 * same transaction as the state change that caused it (or alone, when a worker reports it over
 * the link, before the worker is told it is queued), so neither a daemon crash nor a callback
 * receiver that is down loses one. Delivery runs on the main loop: per task in order (a task's
 * next event waits for the one before to be delivered or given up), a 5 s timeout, one immediate
 * retry, then a backoff doubling from 1 s to `callback-retry-max`, for `callback-retry-window`
 * seconds from the event (a day by default; 60 s with a 10 s cap is TRTC's policy). Events stay
 * in the store after their task ends: the Cloudrec*Events actions list them and send them again.
 * Delivery is at least once: an attempt in flight when the daemon dies is made again. */
#pragma once

#include <json-glib/json-glib.h>

#include "link/link_server.h"
#include "config/config.h"
#include "store/task_store.h"

G_BEGIN_DECLS

typedef struct _CrCallbackSender CrCallbackSender;

/* Starts delivering the pending events of @store (those left by an earlier run first). Also
 * serves POST /internal/callbacks {"SdkAppId","TaskId","EventType","Payload"} for workers on the
 * daemon-worker link (link.h): 202 once the event is stored. */
CrCallbackSender *cr_callback_sender_new (const CrConfig *config, CrTaskStore *store,
                                          CrLinkServer *link);
void cr_callback_sender_free (CrCallbackSender *sender);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrCallbackSender, cr_callback_sender_free)

/* Queues event @event_type of task (@sdk_app_id, @task_id) in the store and sends it. Takes
 * @payload. FALSE (logged) when the store cannot take it. */
gboolean cr_callback_sender_emit (CrCallbackSender *sender, guint64 sdk_app_id,
                                  const char *task_id, int event_type, JsonObject *payload);

/* Someone else queued events in the store (a state change with its event): look now rather than
 * at the next tick. */
void cr_callback_sender_kick (CrCallbackSender *sender);

/* The number of events being posted or due now (a graceful stop waits for 0). Events waiting
 * out a backoff do not count: their receiver failed, and they stay in the store for the next
 * start. */
guint cr_callback_sender_pending (CrCallbackSender *sender);

/* Told of every event a worker queues through /internal/callbacks, before it is sent (the
 * supervisor learns there that a worker started: its 301 with Status 0). @payload is borrowed. */
typedef void (*CrCallbackObserver) (gpointer data, guint64 sdk_app_id, const char *task_id,
                                    int event_type, JsonObject *payload);
void cr_callback_sender_set_observer (CrCallbackSender *sender, CrCallbackObserver func,
                                      gpointer data);

G_END_DECLS
