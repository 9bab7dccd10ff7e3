/* A task's callback event as the outbox keeps it: what happened (type and payload), when, and
 * how its delivery stands.
 *
 * Why stored as type + payload and not as the body: the body (outbox/callback.h) is rebuilt from
 * these fields, byte for byte the same on every attempt, so the store needs no knowledge of the
 * callback format, a worker can hand an event to the daemon as a small JSON object over the link,
 * and the event is written in the same transaction as the state change that caused it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CR_EVENT_STATE_PENDING = 0,   /* to be delivered (at next_ms) */
  CR_EVENT_STATE_DELIVERED = 1, /* the callback URL answered 200 */
  CR_EVENT_STATE_GAVE_UP = 2,   /* the retry window passed without a 200 */
  CR_EVENT_STATE_NO_URL = 3,    /* the app had no callback URL when it was due */
} CrEventState;

/* What a state change queues with it: type 0 means no event. */
typedef struct {
  int event_type;           /* 301..312 */
  const char *payload_json; /* the EventInfo.Payload object, as JSON text */
} CrEventNew;

typedef struct {
  gint64 id; /* increasing: the delivery order within a task */
  guint64 sdk_app_id;
  char *task_id;
  char *room_id; /* the task's, when the event was queued */
  char *user_id; /* the robot's UserId */
  int event_type;
  char *payload_json;
  gint64 created_ms;   /* when it happened: EventMsTs and CallbackTs of its body */
  gint64 window_ms;    /* the retry window starts here (created_ms, or the last resend) */
  CrEventState state;
  int attempts;
  gint64 next_ms;      /* the next attempt, while pending */
  gint64 delivered_ms; /* 0 until delivered */
  int last_status;     /* the HTTP status of the last attempt; 0: no answer */
  char *last_error;    /* why the last attempt failed, or NULL */
} CrEventRecord;

CrEventRecord *cr_event_record_copy (const CrEventRecord *e);
void cr_event_record_free (CrEventRecord *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrEventRecord, cr_event_record_free)

/* "Pending", "Delivered", "GaveUp", "NoCallbackUrl". */
const char *cr_event_state_to_string (CrEventState state);

G_END_DECLS
