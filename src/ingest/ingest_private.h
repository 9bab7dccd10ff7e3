/* Shared between the ingest's files (ingest.c owns the state; whip.c and internal_api.c are its
 * HTTP faces). Not for other modules. */
#pragma once

#include "ingest/ingest.h"
#include "ingest/session.h"
#include "link/link_held.h"

G_BEGIN_DECLS

/* One published stream: what the room registry knows as the publisher. */
typedef struct {
  CrIngest *ingest;
  char *id; /* resource id in /whip/session/{id} */
  guint64 sdk_app_id;
  gboolean string_room;
  char *room_id;
  char *user_id;
  CrStreamKind stream;
  CrIngestSession *session;
  SoupServerMessage *pending; /* the POST waiting for its answer, or NULL */
  char *remote_ip;            /* the client's address (whip-max-sessions-per-ip), or NULL */
} CrPublisher;

struct _CrIngest {
  const CrConfig *config;
  CrRoomRegistry *rooms;
  CrHttpServer *http;
  CrLinkServer *link;     /* serves internal_api.c to the workers */
  GHashTable *publishers; /* id -> CrPublisher */
  guint tick_id;
  GThread *prewarm;
  GThreadPool *reaper;     /* stops ended sessions' pipelines off the main loop (session.h) */
  CrLinkHeld *room_waiters; /* held GET /internal/rooms/...?wait= requests (internal_api.c) */
  gint wake_queued;        /* atomic: a look at the waiters is scheduled */
  guint wake_id;
  gboolean stopping; /* the daemon is stopping: no new session (whip.c) */
};

/* Starts a session for an authenticated, parsed offer; replies to @msg when answered. */
void cr_ingest_publish (CrIngest *ingest, SoupServerMessage *msg, const CrRoomKey *key,
                        const char *user_id, CrStreamKind stream, CrSdpOffer *offer);
/* Ends the publisher @id (leave, kick, timeout); FALSE if there is none. */
gboolean cr_ingest_end (CrIngest *ingest, const char *id, const char *reason);

void cr_whip_register (CrIngest *ingest);
void cr_internal_api_register (CrIngest *ingest);
/* Answers the held requests (503) and stops following the rooms. */
void cr_internal_api_unregister (CrIngest *ingest);

/* A text/plain HTTP error, with Connection: close (libsoup 3.2 keeps sockets of idle WHIP
 * clients otherwise). */
void cr_ingest_reply_error (SoupServerMessage *msg, guint status, const char *fmt, ...)
    G_GNUC_PRINTF (3, 4);

G_END_DECLS
