/* The two session engines behind session.h: what each implements, and the part they share.
 *
 * Why a vtable: ingest.c, whip.c and internal_api.c see one CrIngestSession whatever receives the
 * stream; the engine (ingest-engine: webrtcbin or lean) is chosen per session at start, so both
 * can be measured side by side in one daemon build. Not for other modules. */
#pragma once

#include "ingest/session.h"

G_BEGIN_DECLS

typedef struct {
  void (*stop) (CrIngestSession *s, GThreadPool *reaper);
  void (*teardown) (CrIngestSession *s);
  gboolean (*connected) (CrIngestSession *s);
  gint64 (*last_media_us) (CrIngestSession *s);
  gint64 (*last_rx_us) (CrIngestSession *s);
  guint64 (*rx_bytes) (CrIngestSession *s);
  CrForward *(*forward) (CrIngestSession *s, gboolean video);
  void (*tick) (CrIngestSession *s, gint64 now_us);
  gboolean (*retransmission) (CrIngestSession *s, CrIngestRetransmission *out); /* or NULL */
  /* Whether the forwards leave in sequence order (after a jitterbuffer) or as packets arrive. */
  gboolean forwards_ordered;
} CrSessionClass;

/* The first member of each engine's session. */
struct _CrIngestSession {
  const CrSessionClass *klass;
  char *id;          /* owned by the engine */
  CrSdpOffer *offer; /* owned by the engine */
  gint64 started_us;
};

CrIngestSession *cr_session_webrtcbin_start (const char *id, CrSdpOffer *offer,
                                             const CrIngestSessionSettings *settings,
                                             CrSessionReadyFunc ready, CrSessionLostFunc lost,
                                             gpointer user_data);
CrIngestSession *cr_session_lean_start (const char *id, CrSdpOffer *offer,
                                        const CrIngestSessionSettings *settings,
                                        CrSessionReadyFunc ready, CrSessionLostFunc lost,
                                        gpointer user_data);

G_END_DECLS
