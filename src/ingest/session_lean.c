/* The lean engine (in progress): falls back to webrtcbin for now. */
#include "session_private.h"

CrIngestSession *
cr_session_lean_start (const char *id, CrSdpOffer *offer, const CrIngestSessionSettings *settings,
                       CrSessionReadyFunc ready, CrSessionLostFunc lost, gpointer user_data)
{
  return cr_session_webrtcbin_start (id, offer, settings, ready, lost, user_data);
}
