/* Reading the peer's transport from the offer, writing the answer; see lean_answer.h. */
#include "lean_answer.h"

#include <stdlib.h>
#include <string.h>

/* @key's value on @media, else at session level. */
static const char *
offer_attr (const GstSDPMessage *sdp, const GstSDPMedia *media, const char *key)
{
  const char *v = gst_sdp_media_get_attribute_val (media, key);
  return v != NULL ? v : gst_sdp_message_get_attribute_val (sdp, key);
}

void
cr_lean_peer_clear (CrLeanPeer *peer)
{
  g_clear_pointer (&peer->ufrag, g_free);
  g_clear_pointer (&peer->pwd, g_free);
  g_clear_pointer (&peer->fingerprint, g_free);
  g_clear_pointer (&peer->candidates, g_ptr_array_unref);
}

gboolean
cr_lean_peer_read (const CrSdpOffer *offer, CrLeanPeer *peer, GError **error)
{
  memset (peer, 0, sizeof *peer);
  peer->candidates = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < offer->choices->len; i++) {
    const CrSdpChoice *c = &g_array_index (offer->choices, CrSdpChoice, i);
    const GstSDPMedia *media = gst_sdp_message_get_media (offer->sdp, c->mline);
    if (peer->ufrag == NULL) {
      peer->ufrag = g_strdup (offer_attr (offer->sdp, media, "ice-ufrag"));
      peer->pwd = g_strdup (offer_attr (offer->sdp, media, "ice-pwd"));
      peer->fingerprint = g_strdup (offer_attr (offer->sdp, media, "fingerprint"));
      const char *setup = offer_attr (offer->sdp, media, "setup");
      peer->we_dtls_client = g_strcmp0 (setup, "passive") == 0;
    }
    for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++) {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
      if (g_strcmp0 (attr->key, "candidate") != 0 || attr->value == NULL)
        continue;
      /* foundation component transport ...: component 1 (rtcp-mux), UDP only */
      g_auto (GStrv) f = g_strsplit (attr->value, " ", 4);
      if (g_strv_length (f) < 4 || strcmp (f[1], "1") != 0 || g_ascii_strcasecmp (f[2], "udp") != 0)
        continue;
      g_autofree char *line = g_strconcat ("candidate:", attr->value, NULL);
      gboolean dup = FALSE;
      for (guint k = 0; k < peer->candidates->len && !dup; k++)
        dup = strcmp (g_ptr_array_index (peer->candidates, k), line) == 0;
      if (!dup)
        g_ptr_array_add (peer->candidates, g_steal_pointer (&line));
    }
  }
  if (peer->ufrag == NULL || peer->pwd == NULL || peer->fingerprint == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "the offer lacks ICE credentials or a DTLS fingerprint");
    cr_lean_peer_clear (peer);
    return FALSE;
  }
  return TRUE;
}

/* The value of "a=KEY:PT ..." for @pt on @media, past the payload type, or NULL. */
static const char *
media_pt_attr (const GstSDPMedia *media, const char *key, int pt)
{
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    if (g_strcmp0 (a->key, key) == 0 && a->value != NULL && atoi (a->value) == pt) {
      const char *sp = strchr (a->value, ' ');
      return sp != NULL ? sp + 1 : "";
    }
  }
  return NULL;
}

static gboolean
media_has_fb (const GstSDPMedia *media, int pt, const char *fb)
{
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    if (g_strcmp0 (a->key, "rtcp-fb") != 0 || a->value == NULL)
      continue;
    const char *sp = strchr (a->value, ' ');
    if (sp == NULL || strcmp (sp + 1, fb) != 0)
      continue;
    if (g_str_has_prefix (a->value, "* ") || atoi (a->value) == pt)
      return TRUE;
  }
  return FALSE;
}

gboolean
cr_lean_answer_nack (const CrSdpOffer *offer, const CrSdpChoice *c)
{
  return media_has_fb (gst_sdp_message_get_media (offer->sdp, c->mline), c->payload, "nack");
}

/* Whether @media lists @pt among its formats. */
static gboolean
media_lists_format (const GstSDPMedia *media, int pt)
{
  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    if (atoi (gst_sdp_media_get_format (media, i)) == pt)
      return TRUE;
  }
  return FALSE;
}

int
cr_lean_answer_rtx_payload (const CrSdpOffer *offer, const CrSdpChoice *c)
{
  if (!cr_lean_answer_nack (offer, c))
    return -1;
  const GstSDPMedia *media = gst_sdp_message_get_media (offer->sdp, c->mline);
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    if (g_strcmp0 (a->key, "rtpmap") != 0 || a->value == NULL)
      continue;
    const char *sp = strchr (a->value, ' ');
    if (sp == NULL || g_ascii_strncasecmp (sp + 1, "rtx/", 4) != 0)
      continue;
    int pt = atoi (a->value);
    const char *fmtp = media_pt_attr (media, "fmtp", pt);
    const char *apt = fmtp != NULL ? strstr (fmtp, "apt=") : NULL;
    if (pt < 0 || pt > 127 || pt == c->payload || apt == NULL || !media_lists_format (media, pt))
      continue;
    /* "apt=N" alone or among other parameters (rtx-time) */
    char *end = NULL;
    long v = strtol (apt + 4, &end, 10);
    if (end != apt + 4 && (*end == '\0' || *end == ';' || *end == ' ') && v == c->payload)
      return pt;
  }
  return -1;
}

static const CrSdpChoice *
offer_choice (const CrSdpOffer *offer, guint mline)
{
  for (guint i = 0; i < offer->choices->len; i++) {
    const CrSdpChoice *c = &g_array_index (offer->choices, CrSdpChoice, i);
    if (c->mline == mline)
      return c;
  }
  return NULL;
}

char *
cr_lean_answer_build (const CrSdpOffer *offer, const CrLeanAnswerParams *p)
{
  GString *out = g_string_new (NULL);
  g_string_append_printf (out,
                          "v=0\r\no=- %" G_GUINT64_FORMAT " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
                          p->session_id);
  g_string_append (out, "a=group:BUNDLE");
  for (guint i = 0; i < offer->choices->len; i++) {
    const CrSdpChoice *c = &g_array_index (offer->choices, CrSdpChoice, i);
    const char *mid
        = gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (offer->sdp, c->mline), "mid");
    g_string_append_printf (out, " %s", mid != NULL ? mid : "");
  }
  g_string_append (out, "\r\n");
  for (guint m = 0; m < gst_sdp_message_medias_len (offer->sdp); m++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (offer->sdp, m);
    const char *kind = gst_sdp_media_get_media (media);
    const char *proto = gst_sdp_media_get_proto (media);
    const char *mid = gst_sdp_media_get_attribute_val (media, "mid");
    const CrSdpChoice *c = offer_choice (offer, m);
    if (c == NULL) {
      const char *fmt
          = gst_sdp_media_formats_len (media) > 0 ? gst_sdp_media_get_format (media, 0) : "0";
      g_string_append_printf (out, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", kind,
                              proto != NULL ? proto : "UDP/TLS/RTP/SAVPF", fmt);
      if (mid != NULL)
        g_string_append_printf (out, "a=mid:%s\r\n", mid);
      g_string_append (out, "a=inactive\r\n");
      continue;
    }
    int rtx = cr_lean_answer_rtx_payload (offer, c);
    g_string_append_printf (out, "m=%s 9 UDP/TLS/RTP/SAVPF %d", kind, c->payload);
    if (rtx >= 0)
      g_string_append_printf (out, " %d", rtx);
    g_string_append (out, "\r\nc=IN IP4 0.0.0.0\r\n");
    g_string_append (out, "a=rtcp:9 IN IP4 0.0.0.0\r\n");
    g_string_append_printf (out, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", p->ufrag, p->pwd);
    g_string_append_printf (out, "a=fingerprint:%s\r\na=setup:%s\r\n", p->fingerprint,
                            p->dtls_client ? "active" : "passive");
    if (mid != NULL)
      g_string_append_printf (out, "a=mid:%s\r\n", mid);
    g_string_append (out, "a=recvonly\r\na=rtcp-mux\r\n");
    if (gst_sdp_media_get_attribute_val (media, "rtcp-rsize") != NULL)
      g_string_append (out, "a=rtcp-rsize\r\n");
    const char *rtpmap = media_pt_attr (media, "rtpmap", c->payload);
    if (rtpmap != NULL)
      g_string_append_printf (out, "a=rtpmap:%d %s\r\n", c->payload, rtpmap);
    const char *fmtp = media_pt_attr (media, "fmtp", c->payload);
    if (fmtp != NULL)
      g_string_append_printf (out, "a=fmtp:%d %s\r\n", c->payload, fmtp);
    static const char *const fbs[] = { "goog-remb", "nack", "nack pli", "ccm fir" };
    for (guint f = 0; f < G_N_ELEMENTS (fbs); f++) {
      if (media_has_fb (media, c->payload, fbs[f]))
        g_string_append_printf (out, "a=rtcp-fb:%d %s\r\n", c->payload, fbs[f]);
    }
    if (rtx >= 0)
      g_string_append_printf (out, "a=rtpmap:%d %s\r\na=fmtp:%d apt=%d\r\n", rtx,
                              media_pt_attr (media, "rtpmap", rtx), rtx, c->payload);
    for (const char *const *cand = p->candidates; cand != NULL && *cand != NULL; cand++)
      g_string_append_printf (out, "a=%s\r\n", *cand);
    g_string_append (out, "a=end-of-candidates\r\n");
  }
  return g_string_free (out, FALSE);
}

char *
cr_lean_answer_caps (const CrSdpOffer *offer, const CrSdpChoice *c, guint *clock_rate)
{
  const GstSDPMedia *media = gst_sdp_message_get_media (offer->sdp, c->mline);
  g_autoptr (GstCaps) caps = gst_sdp_media_get_caps_from_media (media, c->payload);
  int rate = c->is_video ? 90000 : 48000;
  if (caps == NULL)
    caps = gst_caps_new_simple ("application/x-rtp", "payload", G_TYPE_INT, c->payload,
                                "encoding-name", G_TYPE_STRING, c->encoding, "clock-rate",
                                G_TYPE_INT, rate, NULL);
  GstStructure *st = gst_caps_get_structure (caps, 0);
  gst_structure_set_name (st, "application/x-rtp");
  gst_structure_set (st, "media", G_TYPE_STRING, c->is_video ? "video" : "audio", NULL);
  gst_structure_get_int (st, "clock-rate", &rate);
  *clock_rate = (guint)rate;
  return gst_caps_to_string (caps);
}
