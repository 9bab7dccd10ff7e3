/* The lean engine (ingest-engine = lean): a WHIP session on libnice, OpenSSL DTLS and SRTP,
 * run on one of the shared event-loop threads (lean_loop.c).
 *
 * Why: webrtcbin costs ~10 threads per session and several thread hops per packet (see
 * lean_loop.h). Here everything a packet needs happens on the loop thread that owns the session's
 * ICE agent, in the libnice receive callback: RFC 7983 demultiplexing (DTLS to lean_dtls.c,
 * SRTP/SRTCP to lean_srtp.c), the receiver statistics and feedback (lean_rtcp.c), and the copy to
 * each subscriber (forward.c's direct forwards). Nothing here reorders or waits: the workers'
 * own jitterbuffers reorder. What the daemon's main loop sees is the same as with webrtcbin:
 * ready (the answer) and lost ("ice-failed", "connection-failed", "closed": a DTLS alert after
 * the handshake) hop to the main context; last_rx_us and rx_bytes count every datagram but STUN
 * (which libnice answers unseen), as the webrtcbin session's nicesrc probe does, so the liveness
 * watchdog and the console behave alike. Keyframe requests (from any thread) and feedback share
 * the outbound SRTP context under tx_lock.
 *
 * Retransmission: every track has a tracker (lean_nack.h) fed by every packet; the packets it
 * finds missing are asked for in NACKs sent from the packet path and, while any is missing, from
 * a NACK_TIMER_MS timer (none runs on a clean path). Audio too, although Chromium's offer has no
 * nack for Opus and so neither has the answer: Chromium resends audio on a NACK all the same (on
 * the audio SSRC, there is no audio RTX), and webrtcbin's jitterbuffer asks for it that way; on
 * tests/integration/lossy_ingest.test.mjs's 5% loss that took the forwarded audio's holes from
 * ~5% to 0. A sender that cannot resend ignores the NACKs: its packets are counted as given up. The
 * publisher's RTX packets are restored to their originals (lean_rtx.h) and forwarded like them; a
 * packet we already have (a resend after all, an RTX probe) is dropped, so the workers see each
 * packet once. Their counts are the session's retransmission figures (console, metrics). */
#include "session_private.h"

#include <nice/agent.h>
#include <nice/interfaces.h>
#include <string.h>

#include "lean_answer.h"
#include "lean_dtls.h"
#include "lean_loop.h"
#include "lean_nack.h"
#include "lean_rtcp.h"
#include "lean_rtx.h"
#include "lean_srtp.h"
#include "metrics/metrics.h"

#define FEEDBACK_INTERVAL_US (500 * 1000)
#define HANDSHAKE_POLL_MS 100
/* What REMB tells the publisher it may send: enough for any stream we record; the loss-based
 * estimate (from our receiver reports) still backs off on a lossy path. */
#define REMB_BPS 10000000
#define PACKET_MAX 1500
/* While a packet is missing: how often the trackers are asked what is due (lean_nack.c's shortest
 * wait is 10 ms). */
#define NACK_TIMER_MS 10

typedef struct {
  CrIngestSession base;
  gint refs;
  GMainContext *main; /* the daemon's: ready and lost run there */
  GMainContext *loop; /* the session's event-loop thread */
  CrSessionReadyFunc ready;
  CrSessionLostFunc lost;
  gpointer user_data;
  gboolean answered; /* main context */
  gboolean stopping; /* main context */
  gint closing;      /* atomic: the loop side is being shut down */
  gint connected;    /* atomic: DTLS done, SRTP keyed */
  gint lost_sent;    /* atomic: one lost per session */
  CrLeanPeer peer;
  /* loop thread */
  NiceAgent *agent;
  guint stream;
  CrLeanDtls *dtls;
  GSource *timer;
  CrRtcpRecvStats stats[2]; /* [0] audio, [1] video */
  gint64 last_feedback_us;
  int pt[2];              /* the chosen payload types, -1 if none */
  int rtx_pt[2];          /* their RTX payload types, -1 if none */
  CrNackTracker *nack[2]; /* NULL for a track the offer has not */
  GSource *nack_timer;
  guint audio_group;     /* forward-audio-group (forward.h, cr_forward_set_group) */
  GSource *flush_timer;  /* ready when the audio forward's oldest held packet is due */
  gint64 flush_due_us;   /* its ready time, -1 when none */
  CrIngestRetransmission retx_seen; /* the trackers' sums last published */
  char *caps[2];
  gboolean fb_pli, fb_fir;
  /* srtp: written on the loop under tx_lock; its inbound half is used on the loop only */
  GMutex tx_lock;
  CrLeanSrtp *srtp;
  guint32 our_ssrc;
  guint8 fir_seq;
  /* shared with the main context */
  GMutex lock; /* forwards, last_rx_us, rx_bytes, retx */
  gint64 last_rx_us;
  guint64 rx_bytes;
  CrIngestRetransmission retx;
  CrIngestRetransmission retx_metered; /* main context: what the metrics were given */
  CrForward *forwards[2];
} LeanSession;

static const CrSessionClass lean_class;
static void lean_meter_retx (LeanSession *s);

static LeanSession *
lean_ref (LeanSession *s)
{
  g_atomic_int_inc (&s->refs);
  return s;
}

static void
lean_unref (LeanSession *s)
{
  if (!g_atomic_int_dec_and_test (&s->refs))
    return;
  for (int i = 0; i < 2; i++) {
    cr_forward_free (s->forwards[i]);
    g_free (s->caps[i]);
    g_free (s->nack[i]);
  }
  cr_lean_peer_clear (&s->peer);
  g_mutex_clear (&s->lock);
  g_mutex_clear (&s->tx_lock);
  g_main_context_unref (s->main);
  cr_sdp_offer_free (s->base.offer);
  g_free (s->base.id);
  g_free (s);
}

/* ---- hopping to the main context (as session_webrtcbin.c) ---- */

typedef struct {
  LeanSession *session;
  char *answer;
  GError *error;
  char *lost_reason;
} Hop;

static gboolean
hop_run (gpointer data)
{
  Hop *hop = data;
  LeanSession *s = hop->session;
  if (s->stopping)
    return G_SOURCE_REMOVE;
  if (hop->lost_reason != NULL) {
    if (s->lost != NULL)
      s->lost (&s->base, hop->lost_reason, s->user_data);
  } else if (!s->answered) {
    s->answered = TRUE;
    s->ready (&s->base, hop->answer, hop->error, s->user_data);
  }
  return G_SOURCE_REMOVE;
}

static void
hop_free (gpointer data)
{
  Hop *hop = data;
  lean_unref (hop->session);
  g_free (hop->answer);
  g_clear_error (&hop->error);
  g_free (hop->lost_reason);
  g_free (hop);
}

static void
lean_hop (LeanSession *s, char *answer, GError *error, const char *lost_reason)
{
  Hop *hop = g_new0 (Hop, 1);
  hop->session = lean_ref (s);
  hop->answer = answer;
  hop->error = error;
  hop->lost_reason = g_strdup (lost_reason);
  g_main_context_invoke_full (s->main, G_PRIORITY_DEFAULT, hop_run, hop, hop_free);
}

static void
lean_fail (LeanSession *s, const char *fmt, const char *detail)
{
  lean_hop (s, NULL, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, fmt, detail), NULL);
}

static void
lean_lost (LeanSession *s, const char *reason)
{
  if (g_atomic_int_compare_and_exchange (&s->lost_sent, 0, 1))
    lean_hop (s, NULL, NULL, reason);
}

/* ---- sending ---- */

static void
lean_send_raw (const guint8 *data, gsize len, gpointer user_data)
{
  LeanSession *s = user_data;
  NiceAgent *agent = s->agent;
  if (agent != NULL)
    nice_agent_send (agent, s->stream, 1, (guint)len, (const gchar *)data);
}

/* Encrypts and sends the RTCP in @buf (@len bytes, CR_LEAN_SRTP_TRAILER bytes of room after). */
static void
lean_send_rtcp (LeanSession *s, guint8 *buf, gsize len)
{
  g_mutex_lock (&s->tx_lock);
  if (s->srtp != NULL && s->agent != NULL && cr_lean_srtp_protect_rtcp (s->srtp, buf, &len))
    nice_agent_send (s->agent, s->stream, 1, (guint)len, (const gchar *)buf);
  g_mutex_unlock (&s->tx_lock);
}

/* forward.c asks for a keyframe (main context or a loop): PLI if the offer allows, else FIR. */
static void
lean_request_keyframe (gpointer data)
{
  LeanSession *s = data;
  g_mutex_lock (&s->lock);
  guint32 media_ssrc = s->forwards[1] != NULL ? cr_forward_ssrc (s->forwards[1]) : 0;
  g_mutex_unlock (&s->lock);
  if (media_ssrc == 0 || !g_atomic_int_get (&s->connected))
    return;
  guint8 buf[64 + CR_LEAN_SRTP_TRAILER];
  gsize len;
  if (s->fb_pli || !s->fb_fir) {
    len = cr_rtcp_build_pli (buf, s->our_ssrc, media_ssrc);
  } else {
    g_mutex_lock (&s->tx_lock);
    guint8 seq = ++s->fir_seq;
    g_mutex_unlock (&s->tx_lock);
    len = cr_rtcp_build_fir (buf, s->our_ssrc, media_ssrc, seq);
  }
  lean_send_rtcp (s, buf, len);
}

static void
lean_send_feedback (LeanSession *s, gint64 now)
{
  s->last_feedback_us = now;
  guint8 buf[256 + CR_LEAN_SRTP_TRAILER];
  gsize len = cr_rtcp_build_feedback (buf, 256, s->our_ssrc, s->stats, 2, REMB_BPS, now);
  lean_send_rtcp (s, buf, len);
}

/* ---- receiving (the loop thread) ---- */

static void
lean_on_connected (LeanSession *s)
{
  const char *name = cr_lean_dtls_srtp_profile (s->dtls);
  CrLeanSrtpProfile profile;
  if (!cr_lean_srtp_profile_parse (name, &profile)) {
    g_info ("session %s: the peer chose no SRTP profile we know (%s)", s->base.id,
            name != NULL ? name : "none");
    lean_lost (s, "connection-failed");
    return;
  }
  guint8 material[64], local[32], remote[32];
  gsize n = cr_lean_srtp_material_len (profile);
  g_autoptr (GError) error = NULL;
  CrLeanSrtp *srtp = NULL;
  if (cr_lean_dtls_export (s->dtls, material, n)) {
    cr_lean_srtp_split (profile, material, cr_lean_dtls_is_client (s->dtls), local, remote);
    srtp = cr_lean_srtp_new (profile, local, remote, &error);
  }
  memset (material, 0, sizeof material);
  memset (local, 0, sizeof local);
  memset (remote, 0, sizeof remote);
  if (srtp == NULL) {
    g_info ("session %s: no SRTP keys: %s", s->base.id,
            error != NULL ? error->message : "the keying material cannot be exported");
    lean_lost (s, "connection-failed");
    return;
  }
  g_mutex_lock (&s->tx_lock);
  s->srtp = srtp;
  g_mutex_unlock (&s->tx_lock);
  g_atomic_int_set (&s->connected, 1);
  if (s->timer != NULL) {
    g_source_destroy (s->timer);
    g_clear_pointer (&s->timer, g_source_unref);
  }
  g_debug ("session %s: DTLS connected (%s)", s->base.id, name);
}

static void
lean_dtls_event (LeanSession *s, CrLeanDtlsEvent ev)
{
  if (ev == CR_LEAN_DTLS_CONNECTED) {
    lean_on_connected (s);
  } else if (ev == CR_LEAN_DTLS_FAILED) {
    g_info ("session %s: %s", s->base.id, cr_lean_dtls_error (s->dtls));
    lean_lost (s, "connection-failed");
  }
}

static CrForward *
lean_forward_for (LeanSession *s, int video)
{
  CrForward *fwd = s->forwards[video]; /* written on this thread only */
  if (fwd != NULL)
    return fwd;
  const char *enc = cr_ingest_session_codec (&s->base, video);
  fwd = cr_forward_new_direct (enc != NULL ? enc : "", video, s->caps[video], lean_request_keyframe,
                               s);
  cr_forward_set_group (fwd, s->audio_group);
  g_mutex_lock (&s->lock);
  s->forwards[video] = fwd;
  g_mutex_unlock (&s->lock);
  g_debug ("session %s: %s track %s arrived", s->base.id, video ? "video" : "audio", enc);
  return fwd;
}

/* The trackers' figures, for the main context (taking the lock only when they moved). */
static void
lean_publish_retx (LeanSession *s)
{
  CrIngestRetransmission now = { 0, 0, 0 };
  for (int i = 0; i < 2; i++) {
    if (s->nack[i] == NULL)
      continue;
    now.nacked += s->nack[i]->nacked;
    now.recovered += s->nack[i]->recovered;
    now.given_up += s->nack[i]->given_up;
  }
  if (memcmp (&now, &s->retx_seen, sizeof now) == 0)
    return;
  s->retx_seen = now;
  g_mutex_lock (&s->lock);
  s->retx = now;
  g_mutex_unlock (&s->lock);
}

static gboolean lean_on_nack_timer (gpointer data);

/* Asks for what is due now; keeps the NACK timer while something is missing (returned). */
static gboolean
lean_send_nacks (LeanSession *s, gint64 now)
{
  gboolean missing = FALSE;
  for (int i = 0; i < 2; i++) {
    CrNackTracker *t = s->nack[i];
    if (t == NULL || t->n_missing == 0)
      continue;
    guint16 seqs[CR_NACK_MAX_MISSING];
    guint n = cr_nack_due (t, now, seqs, G_N_ELEMENTS (seqs));
    if (n > 0) {
      guint8 buf[12 + 4 * CR_NACK_MAX_MISSING + CR_LEAN_SRTP_TRAILER];
      gsize len = cr_nack_write_rtcp (buf, sizeof buf - CR_LEAN_SRTP_TRAILER, s->our_ssrc, t->ssrc,
                                      seqs, n);
      lean_send_rtcp (s, buf, len);
    }
    missing |= t->n_missing > 0;
  }
  lean_publish_retx (s);
  if (missing && s->nack_timer == NULL && !g_atomic_int_get (&s->closing)) {
    s->nack_timer = g_timeout_source_new (NACK_TIMER_MS);
    g_source_set_callback (s->nack_timer, lean_on_nack_timer, s, NULL);
    g_source_attach (s->nack_timer, s->loop);
  }
  return missing;
}

static gboolean
lean_on_nack_timer (gpointer data)
{
  LeanSession *s = data;
  if (!g_atomic_int_get (&s->closing) && lean_send_nacks (s, g_get_monotonic_time ()))
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&s->nack_timer, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* ---- the audio forward's held packets (forward.h: cr_forward_set_group) ---- */

static gboolean
lean_ready_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  return callback (data);
}

static GSourceFuncs lean_ready_funcs = { NULL, NULL, lean_ready_dispatch, NULL, NULL, NULL };

/* Sets the flush timer's ready time to when the audio forward's oldest held packet is due. */
static void
lean_arm_flush (LeanSession *s)
{
  gint64 since = s->forwards[0] != NULL ? cr_forward_held_since (s->forwards[0]) : 0;
  gint64 due = since != 0 ? since + CR_FORWARD_HOLD_US : -1;
  if (s->flush_timer == NULL || due == s->flush_due_us)
    return;
  s->flush_due_us = due;
  g_source_set_ready_time (s->flush_timer, due);
}

static gboolean
lean_on_flush (gpointer data)
{
  LeanSession *s = data;
  if (s->forwards[0] != NULL)
    cr_forward_flush (s->forwards[0]);
  lean_arm_flush (s);
  return G_SOURCE_CONTINUE;
}

/* The flush timer, made with the audio forward when its packets are grouped (loop thread). */
static void
lean_start_flush_timer (LeanSession *s)
{
  if (s->flush_timer != NULL || s->audio_group <= 1 || g_atomic_int_get (&s->closing))
    return;
  s->flush_timer = g_source_new (&lean_ready_funcs, sizeof (GSource));
  s->flush_due_us = -1;
  g_source_set_callback (s->flush_timer, lean_on_flush, s, NULL);
  g_source_attach (s->flush_timer, s->loop);
}

static void
lean_on_rtp (LeanSession *s, guint8 *buf, gsize len, gint64 now)
{
  if (!cr_lean_srtp_unprotect_rtp (s->srtp, buf, &len) || len < 12)
    return;
  int pt = buf[1] & 0x7f;
  int video = pt == s->pt[1] ? 1 : pt == s->pt[0] ? 0 : -1;
  gboolean resent = FALSE;
  if (video < 0) {
    video = pt == s->rtx_pt[1] ? 1 : pt == s->rtx_pt[0] ? 0 : -1;
    /* A retransmission repairs the SSRC the track has now (none before its first packet); a
     * padding-only one is a bandwidth probe. */
    if (video < 0 || s->nack[video] == NULL || !s->nack[video]->started
        || !cr_rtx_restore (buf, &len, (guint8)s->pt[video], s->nack[video]->ssrc))
      return; /* a payload type we did not answer, or nothing to forward */
    resent = TRUE;
  }
  guint16 seq = (guint16)(buf[2] << 8 | buf[3]);
  guint32 ts = (guint32)buf[4] << 24 | (guint32)buf[5] << 16 | (guint32)buf[6] << 8 | buf[7];
  guint32 ssrc = (guint32)buf[8] << 24 | (guint32)buf[9] << 16 | (guint32)buf[10] << 8 | buf[11];
  CrNackTracker *t = s->nack[video];
  CrNackVerdict verdict = t != NULL ? cr_nack_on_packet (t, ssrc, seq, now) : CR_NACK_NEW;
  if (verdict == CR_NACK_DUPLICATE)
    return;
  if (resent)
    cr_rtcp_stats_update_resent (&s->stats[video], ssrc, seq);
  else
    cr_rtcp_stats_update (&s->stats[video], ssrc, seq, ts, now);
  cr_forward_push (lean_forward_for (s, video), buf, len);
  if (!video) {
    lean_start_flush_timer (s);
    lean_arm_flush (s);
  }
  if (t != NULL && t->n_missing > 0)
    lean_send_nacks (s, now);
  else if (t != NULL)
    lean_publish_retx (s); /* a recovery, or a restart that gave packets up */
  if (now - s->last_feedback_us >= FEEDBACK_INTERVAL_US)
    lean_send_feedback (s, now);
}

typedef struct {
  LeanSession *s;
  gint64 now;
} SrVisit;

static void
lean_on_sr (const CrRtcpSenderInfo *sr, gpointer data)
{
  SrVisit *v = data;
  LeanSession *s = v->s;
  for (int video = 0; video < 2; video++) {
    if (s->stats[video].ssrc != sr->ssrc || s->forwards[video] == NULL)
      continue;
    s->stats[video].lsr = (guint32)(sr->ntp >> 16);
    s->stats[video].lsr_arrival_us = v->now;
    /* Re-sent to the workers as the webrtcbin engine does: the sender info alone. */
    guint8 out[28];
    gsize n = cr_rtcp_build_sr (out, sr->ssrc, sr->ntp, sr->rtptime, sr->packets, sr->octets);
    cr_forward_push_rtcp (s->forwards[video], out, n);
  }
}

static void
lean_on_rtcp (LeanSession *s, guint8 *buf, gsize len, gint64 now)
{
  if (!cr_lean_srtp_unprotect_rtcp (s->srtp, buf, &len))
    return;
  SrVisit visit = { s, now };
  cr_rtcp_foreach_sr (buf, len, lean_on_sr, &visit);
}

static void
lean_recv (NiceAgent *agent, guint stream, guint component, guint len, gchar *data, gpointer user)
{
  LeanSession *s = user;
  if (g_atomic_int_get (&s->closing) || len == 0)
    return;
  gint64 now = g_get_monotonic_time ();
  g_mutex_lock (&s->lock);
  s->last_rx_us = now;
  s->rx_bytes += len;
  g_mutex_unlock (&s->lock);
  guint8 first = (guint8)data[0];
  /* RFC 7983: 20..63 DTLS, 128..191 RTP/RTCP. */
  if (first >= 20 && first <= 63) {
    /* An alert after the handshake: the peer closed (close_notify) or failed the connection. */
    if (first == 21 && g_atomic_int_get (&s->connected)) {
      lean_lost (s, "closed");
      return;
    }
    lean_dtls_event (s, cr_lean_dtls_receive (s->dtls, (const guint8 *)data, len));
    return;
  }
  if (first < 128 || first > 191 || !g_atomic_int_get (&s->connected) || len > PACKET_MAX)
    return;
  guint8 buf[PACKET_MAX + CR_LEAN_SRTP_TRAILER];
  memcpy (buf, data, len);
  if (cr_rtcp_is_rtcp (buf, len))
    lean_on_rtcp (s, buf, len, now);
  else
    lean_on_rtp (s, buf, len, now);
}

static gboolean
lean_on_timer (gpointer data)
{
  LeanSession *s = data;
  if (s->dtls != NULL && !g_atomic_int_get (&s->closing))
    lean_dtls_event (s, cr_lean_dtls_poll (s->dtls));
  return G_SOURCE_CONTINUE;
}

static void
lean_on_component_state (NiceAgent *agent, guint stream, guint component, guint state,
                         gpointer data)
{
  LeanSession *s = data;
  if (state == NICE_COMPONENT_STATE_FAILED) {
    lean_lost (s, "ice-failed");
  } else if (state == NICE_COMPONENT_STATE_READY && s->dtls != NULL
             && cr_lean_dtls_is_client (s->dtls) && !cr_lean_dtls_connected (s->dtls)) {
    lean_dtls_event (s, cr_lean_dtls_start (s->dtls));
  }
}

/* ---- setting up (the loop thread) ---- */

static void
lean_on_gathered (NiceAgent *agent, guint stream, gpointer data)
{
  LeanSession *s = data;
  if (g_atomic_int_get (&s->closing))
    return;
  /* Host candidates of every local address, as the answer will carry them. */
  GSList *locals = nice_agent_get_local_candidates (agent, stream, 1);
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  for (GSList *l = locals; l != NULL; l = l->next) {
    char *sdp = nice_agent_generate_local_candidate_sdp (agent, l->data);
    if (sdp != NULL && g_str_has_prefix (sdp, "a="))
      g_ptr_array_add (lines, g_strdup (sdp + 2));
    g_free (sdp);
  }
  g_slist_free_full (locals, (GDestroyNotify)nice_candidate_free);
  g_ptr_array_add (lines, NULL);
  if (lines->len == 1) {
    lean_fail (s, "cannot answer the offer: %s", "no local address to receive on");
    return;
  }
  /* The peer's candidates (non-trickle: all in the offer); others are learnt from its checks. */
  GSList *remote = NULL;
  for (guint i = 0; i < s->peer.candidates->len; i++) {
    NiceCandidate *c = nice_agent_parse_remote_candidate_sdp (
        agent, stream, g_ptr_array_index (s->peer.candidates, i));
    if (c != NULL)
      remote = g_slist_prepend (remote, c);
  }
  if (remote != NULL)
    nice_agent_set_remote_candidates (agent, stream, 1, remote);
  g_slist_free_full (remote, (GDestroyNotify)nice_candidate_free);

  gchar *ufrag = NULL, *pwd = NULL;
  nice_agent_get_local_credentials (agent, stream, &ufrag, &pwd);
  CrLeanAnswerParams params = { ufrag,
                                pwd,
                                cr_lean_dtls_fingerprint (),
                                s->peer.we_dtls_client,
                                (const char *const *)lines->pdata,
                                g_random_int () };
  char *answer = cr_lean_answer_build (s->base.offer, &params);
  g_free (ufrag);
  g_free (pwd);
  lean_hop (s, answer, NULL, NULL);
}

static gboolean
lean_setup (gpointer data)
{
  LeanSession *s = data;
  if (g_atomic_int_get (&s->closing))
    return G_SOURCE_REMOVE;
  g_autoptr (GError) error = NULL;
  s->dtls
      = cr_lean_dtls_new (s->peer.we_dtls_client, s->peer.fingerprint, lean_send_raw, s, &error);
  if (s->dtls == NULL) {
    lean_fail (s, "cannot answer the offer: %s", error->message);
    return G_SOURCE_REMOVE;
  }
  s->agent = nice_agent_new_full (s->loop, NICE_COMPATIBILITY_RFC5245,
                                  NICE_AGENT_OPTION_REGULAR_NOMINATION);
  g_object_set (s->agent, "controlling-mode", FALSE, "ice-tcp", FALSE, "upnp", FALSE, NULL);
  GList *ips = nice_interfaces_get_local_ips (TRUE);
  for (GList *l = ips; l != NULL; l = l->next) {
    NiceAddress addr;
    if (nice_address_set_from_string (&addr, l->data))
      nice_agent_add_local_address (s->agent, &addr);
  }
  g_list_free_full (ips, g_free);
  s->stream = nice_agent_add_stream (s->agent, 1);
  nice_agent_set_remote_credentials (s->agent, s->stream, s->peer.ufrag, s->peer.pwd);
  g_signal_connect (s->agent, "candidate-gathering-done", G_CALLBACK (lean_on_gathered), s);
  g_signal_connect (s->agent, "component-state-changed", G_CALLBACK (lean_on_component_state), s);
  nice_agent_attach_recv (s->agent, s->stream, 1, s->loop, lean_recv, s);
  s->timer = g_timeout_source_new (HANDSHAKE_POLL_MS);
  g_source_set_callback (s->timer, lean_on_timer, s, NULL);
  g_source_attach (s->timer, s->loop);
  if (!nice_agent_gather_candidates (s->agent, s->stream))
    lean_fail (s, "cannot answer the offer: %s", "ICE gathering failed");
  return G_SOURCE_REMOVE;
}

static void
lean_setup_done (gpointer data)
{
  lean_unref (data);
}

CrIngestSession *
cr_session_lean_start (const char *id, CrSdpOffer *offer, const CrIngestSessionSettings *settings,
                       CrSessionReadyFunc ready, CrSessionLostFunc lost, gpointer user_data)
{
  LeanSession *s = g_new0 (LeanSession, 1);
  s->base.klass = &lean_class;
  s->base.id = g_strdup (id);
  s->base.offer = offer;
  s->base.started_us = g_get_monotonic_time ();
  s->refs = 1;
  s->main = g_main_context_ref_thread_default ();
  s->ready = ready;
  s->lost = lost;
  s->user_data = user_data;
  s->our_ssrc = g_random_int ();
  s->audio_group = settings->audio_group;
  g_mutex_init (&s->lock);
  g_mutex_init (&s->tx_lock);
  s->pt[0] = s->pt[1] = -1;
  s->rtx_pt[0] = s->rtx_pt[1] = -1;
  for (guint i = 0; i < offer->choices->len; i++) {
    const CrSdpChoice *c = &g_array_index (offer->choices, CrSdpChoice, i);
    guint rate = 0;
    s->pt[c->is_video] = c->payload;
    s->rtx_pt[c->is_video] = cr_lean_answer_rtx_payload (offer, c);
    s->nack[c->is_video] = g_new (CrNackTracker, 1);
    cr_nack_init (s->nack[c->is_video]);
    s->caps[c->is_video] = cr_lean_answer_caps (offer, c, &rate);
    s->stats[c->is_video].clock_rate = rate;
    if (c->is_video) {
      const GstSDPMedia *m = gst_sdp_message_get_media (offer->sdp, c->mline);
      for (guint a = 0; a < gst_sdp_media_attributes_len (m); a++) {
        const GstSDPAttribute *attr = gst_sdp_media_get_attribute (m, a);
        if (g_strcmp0 (attr->key, "rtcp-fb") != 0 || attr->value == NULL)
          continue;
        s->fb_pli |= g_str_has_suffix (attr->value, " nack pli");
        s->fb_fir |= g_str_has_suffix (attr->value, " ccm fir");
      }
    }
  }
  g_autoptr (GError) error = NULL;
  if (!cr_lean_peer_read (offer, &s->peer, &error)) {
    lean_fail (s, "cannot answer the offer: %s", error->message);
    return &s->base;
  }
  s->loop = cr_lean_loop_acquire ();
  g_main_context_invoke_full (s->loop, G_PRIORITY_DEFAULT, lean_setup, lean_ref (s),
                              lean_setup_done);
  return &s->base;
}

/* ---- ending ---- */

typedef struct {
  LeanSession *s;
  GMutex lock;
  GCond cond;
  gboolean done;
} Shutdown;

/* On the loop: no more callbacks from the agent, then everything the loop owned is freed. */
static gboolean
lean_shutdown (gpointer data)
{
  Shutdown *sd = data;
  LeanSession *s = sd->s;
  if (s->timer != NULL) {
    g_source_destroy (s->timer);
    g_clear_pointer (&s->timer, g_source_unref);
  }
  if (s->nack_timer != NULL) {
    g_source_destroy (s->nack_timer);
    g_clear_pointer (&s->nack_timer, g_source_unref);
  }
  if (s->flush_timer != NULL) {
    g_source_destroy (s->flush_timer);
    g_clear_pointer (&s->flush_timer, g_source_unref);
  }
  if (s->agent != NULL) {
    nice_agent_attach_recv (s->agent, s->stream, 1, s->loop, NULL, NULL);
    g_signal_handlers_disconnect_by_data (s->agent, s);
    nice_agent_remove_stream (s->agent, s->stream);
  }
  g_mutex_lock (&s->tx_lock);
  NiceAgent *agent = g_steal_pointer (&s->agent);
  g_clear_pointer (&s->srtp, cr_lean_srtp_free);
  g_mutex_unlock (&s->tx_lock);
  g_clear_object (&agent);
  g_clear_pointer (&s->dtls, cr_lean_dtls_free);
  g_mutex_lock (&s->lock);
  for (int i = 0; i < 2; i++)
    g_clear_pointer (&s->forwards[i], cr_forward_free);
  g_mutex_unlock (&s->lock);
  g_mutex_lock (&sd->lock);
  sd->done = TRUE;
  g_cond_signal (&sd->cond);
  g_mutex_unlock (&sd->lock);
  return G_SOURCE_REMOVE;
}

/* Waits until the loop has let go of the session (the reaper's thread, or the main one). */
static void
lean_teardown (CrIngestSession *session)
{
  LeanSession *s = (LeanSession *)session;
  if (s->loop != NULL) {
    Shutdown sd = { 0 };
    sd.s = s;
    g_mutex_init (&sd.lock);
    g_cond_init (&sd.cond);
    g_main_context_invoke (s->loop, lean_shutdown, &sd);
    g_mutex_lock (&sd.lock);
    while (!sd.done)
      g_cond_wait (&sd.cond, &sd.lock);
    g_mutex_unlock (&sd.lock);
    g_mutex_clear (&sd.lock);
    g_cond_clear (&sd.cond);
    cr_lean_loop_release (g_steal_pointer (&s->loop));
  }
  lean_unref (s);
}

static void
lean_stop (CrIngestSession *session, GThreadPool *reaper)
{
  LeanSession *s = (LeanSession *)session;
  lean_meter_retx (s);
  s->stopping = TRUE;
  g_atomic_int_set (&s->closing, 1);
  if (reaper == NULL || !g_thread_pool_push (reaper, s, NULL))
    lean_teardown (&s->base);
}

static gboolean
lean_connected (CrIngestSession *session)
{
  return g_atomic_int_get (&((LeanSession *)session)->connected) != 0;
}

static gint64
lean_last_media_us (CrIngestSession *session)
{
  LeanSession *s = (LeanSession *)session;
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
lean_last_rx_us (CrIngestSession *session)
{
  LeanSession *s = (LeanSession *)session;
  g_mutex_lock (&s->lock);
  gint64 v = s->last_rx_us;
  g_mutex_unlock (&s->lock);
  return v;
}

static guint64
lean_rx_bytes (CrIngestSession *session)
{
  LeanSession *s = (LeanSession *)session;
  g_mutex_lock (&s->lock);
  guint64 v = s->rx_bytes;
  g_mutex_unlock (&s->lock);
  return v;
}

static CrForward *
lean_forward (CrIngestSession *session, gboolean video)
{
  LeanSession *s = (LeanSession *)session;
  g_mutex_lock (&s->lock);
  CrForward *f = s->forwards[video ? 1 : 0];
  g_mutex_unlock (&s->lock);
  return f;
}

static gboolean
lean_retransmission (CrIngestSession *session, CrIngestRetransmission *out)
{
  LeanSession *s = (LeanSession *)session;
  g_mutex_lock (&s->lock);
  *out = s->retx;
  g_mutex_unlock (&s->lock);
  return TRUE;
}

/* Adds what the session's trackers counted since the last call to the process's counters
 * (main context: the tick, and the stop). */
static void
lean_meter_retx (LeanSession *s)
{
  CrIngestRetransmission now;
  lean_retransmission (&s->base, &now);
  CrIngestRetransmission *was = &s->retx_metered;
  if (now.nacked > was->nacked)
    cr_metrics_add ("cloudrec_ingest_nacked_packets_total", NULL,
                    (double)(now.nacked - was->nacked));
  if (now.recovered > was->recovered)
    cr_metrics_add ("cloudrec_ingest_recovered_packets_total", NULL,
                    (double)(now.recovered - was->recovered));
  if (now.given_up > was->given_up)
    cr_metrics_add ("cloudrec_ingest_unrecovered_packets_total", NULL,
                    (double)(now.given_up - was->given_up));
  *was = now;
}

/* Once a second (main context): keyframe retries and the retransmission counters; sender
 * reports go out as they arrive. */
static void
lean_tick (CrIngestSession *session, gint64 now_us)
{
  LeanSession *s = (LeanSession *)session;
  lean_meter_retx (s);
  CrForward *fwd[2];
  g_mutex_lock (&s->lock);
  fwd[0] = s->forwards[0];
  fwd[1] = s->forwards[1];
  g_mutex_unlock (&s->lock);
  /* Outside the lock: a retry calls lean_request_keyframe, which takes it. The forwards live
   * until the session is stopped, after which no tick comes. */
  for (int i = 0; i < 2; i++) {
    if (fwd[i] != NULL)
      cr_forward_tick (fwd[i], NULL, now_us);
  }
}

static const CrSessionClass lean_class = {
  lean_stop,     lean_teardown, lean_connected, lean_last_media_us,  lean_last_rx_us,
  lean_rx_bytes, lean_forward,  lean_tick,      lean_retransmission,
  FALSE, /* forwarded as they arrive: resends come late, out of order */
};
