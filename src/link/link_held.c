/* Held link requests; see link_held.h. */
#include "link_held.h"

struct _CrLinkHeld {
  GPtrArray *entries; /* Entry */
  CrLinkHeldAnswer answer;
  GDestroyNotify item_free;
  gpointer data;
};

typedef struct {
  CrLinkHeld *held;
  SoupServerMessage *msg;
  gpointer item;
  guint timeout_id;
  gulong finished_id;
} Entry;

/* Forgets @e (out of the list already) without touching its message's I/O. */
static void
entry_free (Entry *e)
{
  if (e->timeout_id != 0)
    g_source_remove (e->timeout_id);
  g_signal_handler_disconnect (e->msg, e->finished_id);
  g_object_unref (e->msg);
  if (e->held->item_free != NULL)
    e->held->item_free (e->item);
  g_free (e);
}

/* Answers @e with @answer and lets its message go. */
static void
entry_answer (Entry *e, CrLinkHeldAnswer answer)
{
  g_ptr_array_remove_fast (e->held->entries, e);
  answer (e->msg, e->item, e->held->data);
  soup_server_message_unpause (e->msg);
  entry_free (e);
}

static gboolean
entry_on_timeout (gpointer data)
{
  Entry *e = data;
  e->timeout_id = 0;
  entry_answer (e, e->held->answer);
  return G_SOURCE_REMOVE;
}

/* The message ended without our answer (the connection closed): forget it. */
static void
entry_on_finished (SoupServerMessage *msg, gpointer data)
{
  Entry *e = data;
  g_ptr_array_remove_fast (e->held->entries, e);
  entry_free (e);
}

CrLinkHeld *
cr_link_held_new (CrLinkHeldAnswer answer, GDestroyNotify item_free, gpointer data)
{
  CrLinkHeld *held = g_new0 (CrLinkHeld, 1);
  held->entries = g_ptr_array_new ();
  held->answer = answer;
  held->item_free = item_free;
  held->data = data;
  return held;
}

void
cr_link_held_add (CrLinkHeld *held, SoupServerMessage *msg, guint wait_ms, gpointer item)
{
  Entry *e = g_new0 (Entry, 1);
  e->held = held;
  e->msg = g_object_ref (msg);
  e->item = item;
  e->timeout_id = g_timeout_add (wait_ms, entry_on_timeout, e);
  e->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (entry_on_finished), e);
  GSocket *sock = soup_server_message_get_socket (msg);
  if (sock != NULL)
    g_socket_set_timeout (sock, 0);
  g_ptr_array_add (held->entries, e);
  soup_server_message_pause (msg);
}

void
cr_link_held_answer_ready (CrLinkHeld *held, CrLinkHeldReady ready, gpointer data)
{
  g_autoptr (GPtrArray) now = g_ptr_array_new ();
  for (guint i = 0; i < held->entries->len; i++) {
    Entry *e = g_ptr_array_index (held->entries, i);
    if (ready (e->item, data))
      g_ptr_array_add (now, e);
  }
  for (guint i = 0; i < now->len; i++)
    entry_answer (g_ptr_array_index (now, i), held->answer);
}

guint
cr_link_held_count (CrLinkHeld *held)
{
  return held->entries->len;
}

void
cr_link_held_free (CrLinkHeld *held, CrLinkHeldAnswer last)
{
  if (held == NULL)
    return;
  while (held->entries->len > 0)
    entry_answer (g_ptr_array_index (held->entries, 0), last != NULL ? last : held->answer);
  g_ptr_array_unref (held->entries);
  g_free (held);
}
