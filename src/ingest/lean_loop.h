/* The lean engine's event-loop threads: a fixed pool shared by every lean session.
 *
 * Why: webrtcbin spends ~10 threads per session (ICE, DTLS, rtpbin, jitterbuffers, queues) and a
 * packet crosses several of them; profiles showed 3.3 context switches per packet and half the
 * ingest's CPU in the kernel switching threads. Here a session lives on one loop (its ICE agent's
 * sockets, its timers), chosen when it starts (the one with fewest sessions), and a packet is
 * received, decrypted and forwarded on that thread in one wake-up. The pool has one thread per
 * core, made on first use, and lives as long as the process. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The context of the least busy loop (a reference, counted as one session on it). */
GMainContext *cr_lean_loop_acquire (void);
/* The session on @context has ended. */
void cr_lean_loop_release (GMainContext *context);
/* Threads in the pool (0 before the first acquire). */
guint cr_lean_loop_count (void);

G_END_DECLS
