/* Recording callbacks (events 301-312): the body TRTC sends and its Sign header (reference §8).
 *
 * Why pure and separate from delivery: the body is signed as sent, byte for byte, so it is built
 * once, stored, signed and retried as the same bytes; delivery (durable, replayable) lives in the
 * outbox and never re-serialises. */
#pragma once

#include <json-glib/json-glib.h>

#include "task/event.h"

G_BEGIN_DECLS

#define CR_CALLBACK_GROUP_RECORDING 3

/* Sign = base64(HMAC-SHA256(key, body)), standard base64 with padding. */
char *cr_callback_sign (const char *key, const char *body, gsize len);

/* The body of event @event_type: {"EventGroupId":3,"EventType":N,"CallbackTs":ms,"EventInfo":
 * {"RoomId":..,"EventTs":s,"EventMsTs":ms,"UserId":robot,"TaskId":..,"Payload":{..}}}. The RoomId
 * is always a string: the docs say it follows the room's type, but real callbacks of integer
 * rooms carry it as a string (reference §10.2 [OBS]), and the doc's own examples do too. Takes
 * @payload. */
char *cr_callback_body (int event_type, const char *room_id, const char *robot_user_id,
                        const char *task_id, JsonObject *payload, gint64 now_ms);

/* The body of a stored event: the same bytes at every attempt (CallbackTs is the event's time).
 * A one-call result (CR_EVENT_ONCE_RESULT) or a class recording's event (392-394) is its
 * payload's Body, as is. */
char *cr_callback_body_of (const CrEventRecord *event);

/* Where a stored event goes: the app's @app_url, or a one-call result's (or a class recording
 * event's) own Url; NULL for an
 * event never posted (CR_EVENT_ONCE_FILES). Newly allocated. */
char *cr_callback_url_of (const CrEventRecord *event, const char *app_url);

G_END_DECLS
