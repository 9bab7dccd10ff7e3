/* Delivering recording callbacks to an application's callback URL.
 *
 * Why in the daemon and not in the workers: the app's callback key stays in one process, every
 * event of a task goes out in order from one place, and the durable outbox (step 6) replaces this
 * sender without touching the workers. Today delivery follows TRTC's policy in memory: a 5 s
 * timeout, one immediate retry, then every 10 s until the event is a minute old. */
#pragma once

#include <json-glib/json-glib.h>

#include "link/link_server.h"
#include "config/config.h"
#include "store/task_store.h"

G_BEGIN_DECLS

typedef struct _CrCallbackSender CrCallbackSender;

/* Also serves POST /internal/callbacks {"SdkAppId","TaskId","EventType","Payload"} for workers
 * on the daemon-worker link (link.h). */
CrCallbackSender *cr_callback_sender_new (const CrConfig *config, CrTaskStore *store,
                                          CrLinkServer *link);
void cr_callback_sender_free (CrCallbackSender *sender);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrCallbackSender, cr_callback_sender_free)

/* Sends event @event_type of task (@sdk_app_id, @task_id) if the app has a callback URL. Takes
 * @payload. */
void cr_callback_sender_emit (CrCallbackSender *sender, guint64 sdk_app_id, const char *task_id,
                              int event_type, JsonObject *payload);

/* The number of events not yet delivered and not given up (a graceful stop waits for 0). */
guint cr_callback_sender_pending (CrCallbackSender *sender);

/* Told of every event a worker queues through /internal/callbacks, before it is sent (the
 * supervisor learns there that a worker started: its 301 with Status 0). @payload is borrowed. */
typedef void (*CrCallbackObserver) (gpointer data, guint64 sdk_app_id, const char *task_id,
                                    int event_type, JsonObject *payload);
void cr_callback_sender_set_observer (CrCallbackSender *sender, CrCallbackObserver func,
                                      gpointer data);

G_END_DECLS
