/* libFuzzer target: WHIP offers as a client could POST them, through the checks and the codec
 * choice that run before any WebRTC machinery (src/ingest/sdp_offer.c), plus the keyframe
 * detector that reads every forwarded RTP payload. */
#include <stddef.h>
#include <stdint.h>

#include "ingest/forward.h"
#include "ingest/sdp_offer.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  CrSdpOffer *offer = cr_sdp_offer_parse ((const char *) data, size, &error);
  if (offer != NULL) {
    g_assert (offer->has_audio || offer->has_video);
    g_assert (offer->choices->len > 0);
    cr_sdp_offer_free (offer);
  } else {
    g_assert (error != NULL && error->message[0] != '\0');
    g_error_free (error);
  }
  cr_rtp_payload_is_keyframe ("H264", data, size);
  cr_rtp_payload_is_keyframe ("VP8", data, size);
  return 0;
}
