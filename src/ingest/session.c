/* The session interface, dispatched to the engine chosen at start; see session_private.h. */
#include "session_private.h"

#include <string.h>

CrIngestSession *
cr_ingest_session_start (const char *id, CrSdpOffer *offer, const CrIngestSessionSettings *settings,
                         CrSessionReadyFunc ready, CrSessionLostFunc lost, gpointer user_data)
{
  if (settings->engine != NULL && strcmp (settings->engine, "lean") == 0)
    return cr_session_lean_start (id, offer, settings, ready, lost, user_data);
  return cr_session_webrtcbin_start (id, offer, settings, ready, lost, user_data);
}

void
cr_ingest_session_stop (CrIngestSession *s, GThreadPool *reaper)
{
  s->klass->stop (s, reaper);
}

void
cr_ingest_session_teardown (gpointer session, gpointer unused)
{
  CrIngestSession *s = session;
  s->klass->teardown (s);
}

const char *
cr_ingest_session_id (CrIngestSession *s)
{
  return s->id;
}

gboolean
cr_ingest_session_connected (CrIngestSession *s)
{
  return s->klass->connected (s);
}

gint64
cr_ingest_session_started_us (CrIngestSession *s)
{
  return s->started_us;
}

gint64
cr_ingest_session_last_media_us (CrIngestSession *s)
{
  return s->klass->last_media_us (s);
}

gint64
cr_ingest_session_last_rx_us (CrIngestSession *s)
{
  return s->klass->last_rx_us (s);
}

guint64
cr_ingest_session_rx_bytes (CrIngestSession *s)
{
  return s->klass->rx_bytes (s);
}

const char *
cr_ingest_session_codec (CrIngestSession *s, gboolean video)
{
  for (guint i = 0; s->offer != NULL && i < s->offer->choices->len; i++) {
    const CrSdpChoice *c = &g_array_index (s->offer->choices, CrSdpChoice, i);
    if (c->is_video == video)
      return c->encoding;
  }
  return NULL;
}

CrForward *
cr_ingest_session_forward (CrIngestSession *s, gboolean video)
{
  return s->klass->forward (s, video);
}

void
cr_ingest_session_tick (CrIngestSession *s, gint64 now_us)
{
  s->klass->tick (s, now_us);
}

gboolean
cr_ingest_session_forwards_ordered (CrIngestSession *s)
{
  return s->klass->forwards_ordered;
}

gboolean
cr_ingest_session_retransmission (CrIngestSession *s, CrIngestRetransmission *out)
{
  memset (out, 0, sizeof *out);
  return s->klass->retransmission != NULL && s->klass->retransmission (s, out);
}
