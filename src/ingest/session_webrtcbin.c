/* The webrtcbin engine: a GStreamer webrtcbin pipeline answering one WHIP offer and forwarding
 * its tracks (ingest-engine = webrtcbin, the original one; see session.h for why a pipeline per
 * session, and session_lean.c for the engine that shares its threads between sessions). */
#include "session_private.h"

#include "ice.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <string.h>

#define TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

typedef struct {
  CrIngestSession base;
  GMainContext *context;
  GstElement *pipeline;
  GstElement *webrtc;
  CrSessionReadyFunc ready;
  CrSessionLostFunc lost;
  gpointer user_data;
  gboolean answered; /* ready was called */
  gboolean stopping;
  gint connected;         /* atomic */
  gint peer_closed;       /* atomic: a DTLS alert came after the handshake */
  GMutex lock;            /* forwards, last_rx_us */
  gint64 last_rx_us;      /* newest packet of any kind from the peer but STUN, 0 before */
  guint64 rx_bytes;       /* every byte received from the peer (the console's bitrate) */
  CrForward *forwards[2]; /* [0] audio, [1] video */
  gint refs;              /* the session + pending main-context calls */
} WebrtcSession;

static WebrtcSession *
session_ref (WebrtcSession *s)
{
  g_atomic_int_inc (&s->refs);
  return s;
}

static void
session_unref (WebrtcSession *s)
{
  if (!g_atomic_int_dec_and_test (&s->refs))
    return;
  for (int i = 0; i < 2; i++)
    cr_forward_free (s->forwards[i]);
  g_mutex_clear (&s->lock);
  if (s->pipeline != NULL)
    gst_object_unref (s->pipeline);
  g_main_context_unref (s->context);
  cr_sdp_offer_free (s->base.offer);
  g_free (s->base.id);
  g_free (s);
}

/* ---- hopping to the main context ---- */

typedef struct {
  WebrtcSession *session;
  char *answer;
  GError *error;
  char *lost_reason;
} Hop;

static gboolean
hop_run (gpointer data)
{
  Hop *hop = data;
  WebrtcSession *s = hop->session;
  if (!s->stopping) {
    if (hop->lost_reason != NULL) {
      if (s->lost != NULL)
        s->lost (&s->base, hop->lost_reason, s->user_data);
    } else if (!s->answered) {
      s->answered = TRUE;
      s->ready (&s->base, hop->answer, hop->error, s->user_data);
    }
  }
  return G_SOURCE_REMOVE;
}

static void
hop_free (gpointer data)
{
  Hop *hop = data;
  session_unref (hop->session);
  g_free (hop->answer);
  g_clear_error (&hop->error);
  g_free (hop->lost_reason);
  g_free (hop);
}

static void
session_hop (WebrtcSession *s, char *answer, GError *error, const char *lost_reason)
{
  Hop *hop = g_new0 (Hop, 1);
  hop->session = session_ref (s);
  hop->answer = answer;
  hop->error = error;
  hop->lost_reason = g_strdup (lost_reason);
  g_main_context_invoke_full (s->context, G_PRIORITY_DEFAULT, hop_run, hop, hop_free);
}

static void
session_fail (WebrtcSession *s, const char *fmt, const char *detail)
{
  session_hop (s, NULL, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, fmt, detail), NULL);
}

/* ---- transceivers: our codec choice, receive only, NACK ---- */

static GstCaps *
session_codec_caps (WebrtcSession *s, const CrSdpChoice *choice)
{
  const GstSDPMedia *media = gst_sdp_message_get_media (s->base.offer->sdp, choice->mline);
  GstCaps *caps = gst_sdp_media_get_caps_from_media (media, choice->payload);
  if (caps == NULL)
    return NULL;
  GstStructure *st = gst_caps_get_structure (caps, 0);
  gst_structure_set_name (st, "application/x-rtp");
  gst_structure_set (st, "media", G_TYPE_STRING, choice->is_video ? "video" : "audio", NULL);
  /* Transport-wide congestion control: without it Chromium caps its bitrate near 300 kbps. */
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, i);
    if (g_strcmp0 (a->key, "extmap") != 0 || a->value == NULL
        || strstr (a->value, TWCC_URI) == NULL)
      continue;
    g_autofree char *field = g_strdup_printf ("extmap-%d", atoi (a->value));
    gst_structure_set (st, field, G_TYPE_STRING, TWCC_URI, NULL);
  }
  return caps;
}

static void
session_on_new_transceiver (GstElement *webrtc, GstWebRTCRTPTransceiver *trans, gpointer data)
{
  WebrtcSession *s = data;
  GstWebRTCKind kind = GST_WEBRTC_KIND_UNKNOWN;
  g_object_get (trans, "kind", &kind, NULL);
  g_object_set (trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, "do-nack", TRUE,
                NULL);
  for (guint i = 0; i < s->base.offer->choices->len; i++) {
    const CrSdpChoice *c = &g_array_index (s->base.offer->choices, CrSdpChoice, i);
    if (c->is_video != (kind == GST_WEBRTC_KIND_VIDEO))
      continue;
    g_autoptr (GstCaps) caps = session_codec_caps (s, c);
    if (caps != NULL)
      g_object_set (trans, "codec-preferences", caps, NULL);
  }
}

/* ---- tracks ---- */

static void
session_on_pad_added (GstElement *webrtc, GstPad *pad, gpointer data)
{
  WebrtcSession *s = data;
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  const GstStructure *st = gst_caps_get_structure (caps, 0);
  const char *media = gst_structure_get_string (st, "media");
  const char *encoding = gst_structure_get_string (st, "encoding-name");
  gboolean video = g_strcmp0 (media, "video") == 0;
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, NULL);
  gst_bin_add (GST_BIN (s->pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  GstPad *sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  g_mutex_lock (&s->lock);
  if (s->forwards[video] == NULL)
    s->forwards[video] = cr_forward_new (pad, encoding != NULL ? encoding : "", video);
  g_mutex_unlock (&s->lock);
  g_debug ("session %s: %s track %s arrived", s->base.id, video ? "video" : "audio", encoding);
}

static void
session_on_connection_state (GObject *webrtc, GParamSpec *pspec, gpointer data)
{
  WebrtcSession *s = data;
  GstWebRTCPeerConnectionState state;
  g_object_get (webrtc, "connection-state", &state, NULL);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    g_atomic_int_set (&s->connected, 1);
  else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
    session_hop (s, NULL, NULL, "connection-failed");
  else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED)
    session_hop (s, NULL, NULL, "closed");
}

static void
session_on_ice_state (GObject *webrtc, GParamSpec *pspec, gpointer data)
{
  WebrtcSession *s = data;
  GstWebRTCICEConnectionState state;
  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
    session_hop (s, NULL, NULL, "ice-failed");
}

/* ---- liveness: every packet the peer sends ----
 *
 * GStreamer 1.22's webrtcbin creates its libnice agent without RFC 7675 consent freshness (a
 * construct-only agent option), and libnice answers STUN checks inside the agent without telling
 * anyone. What the peer sends besides STUN reaches the nicesrc of the ICE transport: DTLS records
 * and SRTP/SRTCP (RFC 7983 demultiplexing: first byte 20..63 DTLS, 128..191 RTP/RTCP). A live
 * WebRTC endpoint sends RTCP every few seconds even with camera and microphone off (RFC 3550
 * reports; browsers every 1-5 s), so "nothing arrived at nicesrc for ingest-liveness-timeout"
 * means the peer is gone. A DTLS alert record (content type 21) after the handshake is the peer
 * closing the connection (close_notify) or failing it: the session ends at once. */

static void
session_on_rx (WebrtcSession *s, GstBuffer *buf)
{
  guint8 first = 0;
  gboolean have = gst_buffer_extract (buf, 0, &first, 1) == 1;
  gsize size = gst_buffer_get_size (buf);
  g_mutex_lock (&s->lock);
  s->last_rx_us = g_get_monotonic_time ();
  s->rx_bytes += size;
  g_mutex_unlock (&s->lock);
  if (have && first == 21 && g_atomic_int_get (&s->connected)
      && g_atomic_int_compare_and_exchange (&s->peer_closed, 0, 1))
    session_hop (s, NULL, NULL, "closed");
}

static gboolean
session_rx_list_item (GstBuffer **buf, guint idx, gpointer s)
{
  session_on_rx (s, *buf);
  return TRUE;
}

static GstPadProbeReturn
session_rx_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    session_on_rx (data, GST_PAD_PROBE_INFO_BUFFER (info));
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), session_rx_list_item, data);
  return GST_PAD_PROBE_OK;
}

/* webrtcbin adds a nicesrc per ICE transport (one with max-bundle); the probe lives as long as
 * the pipeline, which stops (state NULL) before the session is freed. */
static void
session_on_element_added (GstBin *bin, GstBin *sub_bin, GstElement *element, gpointer data)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  if (factory == NULL || g_strcmp0 (GST_OBJECT_NAME (factory), "nicesrc") != 0)
    return;
  GstPad *src = gst_element_get_static_pad (element, "src");
  if (src == NULL)
    return;
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     session_rx_probe, data, NULL);
  gst_object_unref (src);
}

/* ---- the answer ---- */

static void
session_maybe_answer (WebrtcSession *s)
{
  GstWebRTCICEGatheringState state;
  g_object_get (s->webrtc, "ice-gathering-state", &state, NULL);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  GstWebRTCSessionDescription *local = NULL;
  g_object_get (s->webrtc, "local-description", &local, NULL);
  if (local == NULL)
    return; /* gathering finished before the answer was set: set_local_done calls again */
  char *text = gst_sdp_message_as_text (local->sdp);
  gst_webrtc_session_description_free (local);
  session_hop (s, text, NULL, NULL);
}

static void
session_on_gathering_state (GObject *webrtc, GParamSpec *pspec, gpointer data)
{
  session_maybe_answer (data);
}

static void
session_on_local_set (GstPromise *promise, gpointer data)
{
  WebrtcSession *s = data;
  gst_promise_unref (promise);
  session_maybe_answer (s);
}

static void
session_on_answer_created (GstPromise *promise, gpointer data)
{
  WebrtcSession *s = data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  GstWebRTCSessionDescription *answer = NULL;
  g_autoptr (GError) error = NULL;
  if (reply != NULL)
    gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL);
  if (answer == NULL) {
    if (reply != NULL)
      gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL);
    session_fail (s, "cannot answer the offer: %s",
                  error != NULL ? error->message : "webrtcbin made no answer");
    gst_promise_unref (promise);
    return;
  }
  gst_promise_unref (promise);
  g_signal_emit_by_name (s->webrtc, "set-local-description", answer,
                         gst_promise_new_with_change_func (session_on_local_set, session_ref (s),
                                                           (GDestroyNotify)session_unref));
  gst_webrtc_session_description_free (answer);
}

static void
session_on_remote_set (GstPromise *promise, gpointer data)
{
  WebrtcSession *s = data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  g_autoptr (GError) error = NULL;
  if (reply != NULL && gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL)) {
    session_fail (s, "the offer was refused: %s", error->message);
    gst_promise_unref (promise);
    return;
  }
  gst_promise_unref (promise);
  g_signal_emit_by_name (s->webrtc, "create-answer", NULL,
                         gst_promise_new_with_change_func (session_on_answer_created,
                                                           session_ref (s),
                                                           (GDestroyNotify)session_unref));
}

static const CrSessionClass webrtc_class;

CrIngestSession *
cr_session_webrtcbin_start (const char *id, CrSdpOffer *offer,
                            const CrIngestSessionSettings *settings, CrSessionReadyFunc ready,
                            CrSessionLostFunc lost, gpointer user_data)
{
  WebrtcSession *s = g_new0 (WebrtcSession, 1);
  s->base.klass = &webrtc_class;
  s->refs = 1;
  s->base.id = g_strdup (id);
  s->base.offer = offer;
  s->context = g_main_context_ref_thread_default ();
  s->ready = ready;
  s->lost = lost;
  s->user_data = user_data;
  s->base.started_us = g_get_monotonic_time ();
  g_mutex_init (&s->lock);

  s->pipeline = gst_pipeline_new (id);
  s->webrtc = gst_element_factory_make ("webrtcbin", "webrtc");
  if (s->webrtc == NULL) {
    session_fail (s, "%s", "the GStreamer webrtcbin element is missing (gstreamer1.0-plugins-bad)");
    return &s->base;
  }
  g_signal_connect (s->pipeline, "deep-element-added", G_CALLBACK (session_on_element_added), s);
  gst_bin_add (GST_BIN (s->pipeline), s->webrtc);
  g_object_set (s->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
                settings->jitter_latency_ms, NULL);
  cr_ice_configure (s->webrtc);
  g_signal_connect (s->webrtc, "on-new-transceiver", G_CALLBACK (session_on_new_transceiver), s);
  g_signal_connect (s->webrtc, "pad-added", G_CALLBACK (session_on_pad_added), s);
  g_signal_connect (s->webrtc, "notify::ice-gathering-state",
                    G_CALLBACK (session_on_gathering_state), s);
  g_signal_connect (s->webrtc, "notify::connection-state", G_CALLBACK (session_on_connection_state),
                    s);
  g_signal_connect (s->webrtc, "notify::ice-connection-state", G_CALLBACK (session_on_ice_state),
                    s);
  if (gst_element_set_state (s->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    session_fail (s, "%s", "the WebRTC pipeline cannot start");
    return &s->base;
  }
  GstSDPMessage *copy = NULL;
  gst_sdp_message_copy (offer->sdp, &copy);
  GstWebRTCSessionDescription *desc
      = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, copy);
  g_signal_emit_by_name (s->webrtc, "set-remote-description", desc,
                         gst_promise_new_with_change_func (session_on_remote_set, session_ref (s),
                                                           (GDestroyNotify)session_unref));
  gst_webrtc_session_description_free (desc);
  return &s->base;
}

static void
webrtc_teardown (CrIngestSession *session)
{
  WebrtcSession *s = (WebrtcSession *)session;
  /* Streaming threads stop first, so no forward probe runs while the forwards are freed. */
  gst_element_set_state (s->pipeline, GST_STATE_NULL);
  g_mutex_lock (&s->lock);
  for (int i = 0; i < 2; i++) {
    cr_forward_free (s->forwards[i]);
    s->forwards[i] = NULL;
  }
  g_mutex_unlock (&s->lock);
  session_unref (s);
}

static void
webrtc_stop (CrIngestSession *session, GThreadPool *reaper)
{
  WebrtcSession *s = (WebrtcSession *)session;
  s->stopping = TRUE;
  if (s->webrtc != NULL)
    g_signal_handlers_disconnect_by_data (s->webrtc, s);
  g_signal_handlers_disconnect_by_data (s->pipeline, s);
  if (reaper == NULL || !g_thread_pool_push (reaper, s, NULL))
    webrtc_teardown (&s->base);
}

static gboolean
webrtc_connected (CrIngestSession *session)
{
  WebrtcSession *s = (WebrtcSession *)session;
  return g_atomic_int_get (&s->connected) != 0;
}

static gint64
webrtc_last_media_us (CrIngestSession *session)
{
  WebrtcSession *s = (WebrtcSession *)session;
  gint64 last = 0;
  g_mutex_lock (&s->lock);
  for (int i = 0; i < 2; i++) {
    if (s->forwards[i] != NULL)
      last = MAX (last, cr_forward_last_packet_us (s->forwards[i]));
  }
  g_mutex_unlock (&s->lock);
  return last;
}

static gint64
webrtc_last_rx_us (CrIngestSession *session)
{
  WebrtcSession *s = (WebrtcSession *)session;
  g_mutex_lock (&s->lock);
  gint64 last = s->last_rx_us;
  g_mutex_unlock (&s->lock);
  return last;
}

static CrForward *
webrtc_forward (CrIngestSession *session, gboolean video)
{
  WebrtcSession *s = (WebrtcSession *)session;
  g_mutex_lock (&s->lock);
  CrForward *f = s->forwards[video ? 1 : 0];
  g_mutex_unlock (&s->lock);
  return f;
}

static void
webrtc_tick (CrIngestSession *session, gint64 now_us)
{
  WebrtcSession *s = (WebrtcSession *)session;
  GstElement *rtpbin
      = s->webrtc != NULL ? gst_bin_get_by_name (GST_BIN (s->webrtc), "rtpbin") : NULL;
  GObject *rtp_session = NULL;
  if (rtpbin != NULL)
    g_signal_emit_by_name (rtpbin, "get-internal-session", 0, &rtp_session);
  g_mutex_lock (&s->lock);
  for (int i = 0; i < 2; i++) {
    if (s->forwards[i] != NULL)
      cr_forward_tick (s->forwards[i], rtp_session, now_us);
  }
  g_mutex_unlock (&s->lock);
  g_clear_object (&rtp_session);
  g_clear_object (&rtpbin);
}

static guint64
webrtc_rx_bytes (CrIngestSession *session)
{
  WebrtcSession *s = (WebrtcSession *)session;
  g_mutex_lock (&s->lock);
  guint64 n = s->rx_bytes;
  g_mutex_unlock (&s->lock);
  return n;
}

static const CrSessionClass webrtc_class = {
  webrtc_stop,          webrtc_teardown,   webrtc_connected,
  webrtc_last_media_us, webrtc_last_rx_us, webrtc_rx_bytes,
  webrtc_forward,       webrtc_tick,       NULL, /* retransmission: the jitterbuffer's own */
  TRUE, /* forwarded after webrtcbin's jitterbuffer */
};
