/* Held link requests: a worker's long poll (`?wait=MS`) kept open until there is news for it or
 * its wait ends.
 *
 * Why one module: the room watch (GET /internal/rooms/...?wait=, ingest/internal_api.c) and the
 * task watch (GET /internal/tasks/...?wait=, link_task_watch.c) hold requests the same way: the
 * message paused with the server's idle timeout off (api-timeout would cut it short), answered as
 * an unheld request would be at its deadline or when its owner finds news, forgotten if its
 * connection closes first, and all answered when the owner goes away. Main context only. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _CrLinkHeld CrLinkHeld;

/* Writes @msg's answer for @item (what the request asked, its owner's). */
typedef void (*CrLinkHeldAnswer) (SoupServerMessage *msg, gpointer item, gpointer data);
/* Whether @item has news, so its request is answered now. */
typedef gboolean (*CrLinkHeldReady) (gpointer item, gpointer data);

/* @answer answers a request at its deadline or when ready; @item_free frees an item. */
CrLinkHeld *cr_link_held_new (CrLinkHeldAnswer answer, GDestroyNotify item_free, gpointer data);
/* Holds @msg for at most @wait_ms with @item (taken). */
void cr_link_held_add (CrLinkHeld *held, SoupServerMessage *msg, guint wait_ms, gpointer item);
/* Answers every held request whose item @ready says has news. */
void cr_link_held_answer_ready (CrLinkHeld *held, CrLinkHeldReady ready, gpointer data);
guint cr_link_held_count (CrLinkHeld *held);
/* Answers what is still held, with @last (NULL: the usual answer), and frees. */
void cr_link_held_free (CrLinkHeld *held, CrLinkHeldAnswer last);

G_END_DECLS
