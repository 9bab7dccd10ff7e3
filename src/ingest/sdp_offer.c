/* WHIP offer checks and codec choice; see sdp_offer.h. */
#include "sdp_offer.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (cr_sdp_offer_error, cr_sdp_offer_error)

#define OFFER_MAX_BYTES (64 * 1024)
/* m-lines looked at, rejected ones (port 0) included: a session publishes one audio and one
 * video track, and each m-line would cost webrtcbin a transceiver. */
#define OFFER_MAX_MEDIA 16

void
cr_sdp_offer_free (CrSdpOffer *offer)
{
  if (offer == NULL)
    return;
  if (offer->sdp != NULL)
    gst_sdp_message_free (offer->sdp);
  if (offer->choices != NULL) {
    for (guint i = 0; i < offer->choices->len; i++)
      g_free (g_array_index (offer->choices, CrSdpChoice, i).encoding);
    g_array_unref (offer->choices);
  }
  g_free (offer);
}

/* The fmtp parameters of @pt, or NULL. */
static const char *
media_fmtp (const GstSDPMedia *media, int pt)
{
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    if (g_strcmp0 (a->key, "fmtp") == 0 && a->value != NULL && atoi (a->value) == pt)
      return a->value;
  }
  return NULL;
}

/* The encoding name of @pt from its rtpmap ("H264/90000" -> "H264"), or NULL. */
static char *
media_encoding (const GstSDPMedia *media, int pt)
{
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    if (g_strcmp0 (a->key, "rtpmap") != 0 || a->value == NULL || atoi (a->value) != pt)
      continue;
    const char *name = strchr (a->value, ' ');
    if (name == NULL)
      return NULL;
    char *enc = g_strndup (name + 1, strcspn (name + 1, "/"));
    char *up = g_ascii_strup (enc, -1);
    g_free (enc);
    return up;
  }
  return NULL;
}

/* H.264 we can remux: packetization-mode=1 and the baseline profile (profile_idc 0x42, any
 * constraint flags; constrained baseline is 42e0xx or 4240xx). */
static gboolean
h264_acceptable (const char *fmtp)
{
  if (fmtp == NULL || strstr (fmtp, "packetization-mode=1") == NULL)
    return FALSE;
  const char *pli = strstr (fmtp, "profile-level-id=");
  return pli != NULL && g_ascii_strncasecmp (pli + strlen ("profile-level-id="), "42", 2) == 0;
}

/* The best payload of @media: for video H.264 (remuxable) before VP8, for audio Opus. */
static int
media_choose (const GstSDPMedia *media, gboolean is_video, char **encoding)
{
  int best = -1, best_rank = 0;
  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    int pt = atoi (gst_sdp_media_get_format (media, i));
    g_autofree char *enc = media_encoding (media, pt);
    int rank = 0;
    if (enc == NULL)
      continue;
    if (is_video && strcmp (enc, "H264") == 0 && h264_acceptable (media_fmtp (media, pt)))
      rank = 2;
    else if (is_video && strcmp (enc, "VP8") == 0)
      rank = 1;
    else if (!is_video && strcmp (enc, "OPUS") == 0)
      rank = 1;
    if (rank > best_rank) {
      best_rank = rank;
      best = pt;
      g_free (*encoding);
      *encoding = g_steal_pointer (&enc);
    }
  }
  return best;
}

static gboolean
sdp_has_attribute (const GstSDPMessage *sdp, const GstSDPMedia *media, const char *key)
{
  return gst_sdp_media_get_attribute_val (media, key) != NULL
         || gst_sdp_message_get_attribute_val (sdp, key) != NULL;
}

static gboolean offer_fail (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
offer_fail (GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, CR_SDP_OFFER_ERROR, 0, msg);
  return FALSE;
}

static gboolean
offer_check_media (CrSdpOffer *offer, guint index, GError **error)
{
  const GstSDPMedia *media = gst_sdp_message_get_media (offer->sdp, index);
  const char *kind = gst_sdp_media_get_media (media);
  gboolean is_video = g_strcmp0 (kind, "video") == 0;
  if (!is_video && g_strcmp0 (kind, "audio") != 0)
    return offer_fail (error, "m-line %u is \"%s\"; only audio and video can be published", index,
                       kind != NULL ? kind : "");
  if (gst_sdp_media_get_port (media) == 0
      && gst_sdp_media_get_attribute_val (media, "bundle-only") == NULL)
    return TRUE; /* rejected by the offerer itself (port 0 without bundle-only, RFC 8843) */
  if ((is_video && offer->has_video) || (!is_video && offer->has_audio))
    return offer_fail (error,
                       "the offer has more than one %s m-line; a WHIP session publishes one "
                       "audio and one video track",
                       kind);
  if (gst_sdp_media_get_attribute_val (media, "recvonly") != NULL
      || gst_sdp_media_get_attribute_val (media, "inactive") != NULL)
    return offer_fail (error,
                       "m-line %u (%s) does not send: WHIP offers must be sendonly or "
                       "sendrecv",
                       index, kind);
  if (!sdp_has_attribute (offer->sdp, media, "ice-ufrag")
      || !sdp_has_attribute (offer->sdp, media, "ice-pwd"))
    return offer_fail (error, "m-line %u (%s) has no ice-ufrag/ice-pwd", index, kind);
  if (!sdp_has_attribute (offer->sdp, media, "fingerprint"))
    return offer_fail (error, "m-line %u (%s) has no DTLS fingerprint (a=fingerprint)", index,
                       kind);
  CrSdpChoice choice = { index, is_video, -1, NULL };
  choice.payload = media_choose (media, is_video, &choice.encoding);
  if (choice.payload < 0)
    return offer_fail (error,
                       is_video ? "m-line %u offers no video codec cloudrec records: H.264 "
                                  "(baseline profile, packetization-mode=1) or VP8"
                                : "m-line %u offers no audio codec cloudrec records: Opus",
                       index);
  g_array_append_val (offer->choices, choice);
  if (is_video)
    offer->has_video = TRUE;
  else
    offer->has_audio = TRUE;
  return TRUE;
}

CrSdpOffer *
cr_sdp_offer_parse (const char *text, gsize len, GError **error)
{
  if (len == 0) {
    offer_fail (error, "the request body is empty; expected an SDP offer");
    return NULL;
  }
  if (len > OFFER_MAX_BYTES) {
    offer_fail (error, "the SDP offer is larger than %d bytes", OFFER_MAX_BYTES);
    return NULL;
  }
  if (memchr (text, '\0', len) != NULL || !g_utf8_validate_len (text, len, NULL) || len < 3
      || memcmp (text, "v=0", 3) != 0) {
    offer_fail (error, "the request body is not an SDP offer (it must start with \"v=0\")");
    return NULL;
  }
  g_autoptr (CrSdpOffer) offer = g_new0 (CrSdpOffer, 1);
  offer->choices = g_array_new (FALSE, FALSE, sizeof (CrSdpChoice));
  if (gst_sdp_message_new (&offer->sdp) != GST_SDP_OK
      || gst_sdp_message_parse_buffer ((const guint8 *)text, (guint)len, offer->sdp)
             != GST_SDP_OK) {
    offer_fail (error, "the SDP offer cannot be parsed");
    return NULL;
  }
  guint n = gst_sdp_message_medias_len (offer->sdp);
  if (n == 0) {
    offer_fail (error, "the SDP offer has no m-line: nothing to publish");
    return NULL;
  }
  if (n > OFFER_MAX_MEDIA) {
    offer_fail (error,
                "the SDP offer has %u m-lines; a WHIP session publishes one audio and one video "
                "track (at most %d m-lines are read)",
                n, OFFER_MAX_MEDIA);
    return NULL;
  }
  for (guint i = 0; i < n; i++) {
    if (!offer_check_media (offer, i, error))
      return NULL;
  }
  if (!offer->has_audio && !offer->has_video) {
    offer_fail (error, "the SDP offer has no active audio or video m-line");
    return NULL;
  }
  return g_steal_pointer (&offer);
}
