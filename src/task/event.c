/* Callback event records; see event.h. */
#include "event.h"

CrEventRecord *
cr_event_record_copy (const CrEventRecord *e)
{
  CrEventRecord *c = g_new (CrEventRecord, 1);
  *c = *e;
  c->task_id = g_strdup (e->task_id);
  c->room_id = g_strdup (e->room_id);
  c->user_id = g_strdup (e->user_id);
  c->payload_json = g_strdup (e->payload_json);
  c->last_error = g_strdup (e->last_error);
  return c;
}

void
cr_event_record_free (CrEventRecord *e)
{
  if (e == NULL)
    return;
  g_free (e->task_id);
  g_free (e->room_id);
  g_free (e->user_id);
  g_free (e->payload_json);
  g_free (e->last_error);
  g_free (e);
}

const char *
cr_event_state_to_string (CrEventState state)
{
  switch (state) {
  case CR_EVENT_STATE_PENDING:
    return "Pending";
  case CR_EVENT_STATE_DELIVERED:
    return "Delivered";
  case CR_EVENT_STATE_GAVE_UP:
    return "GaveUp";
  case CR_EVENT_STATE_NO_URL:
    return "NoCallbackUrl";
  }
  return "Unknown";
}
