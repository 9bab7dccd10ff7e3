/* The lean WHIP engine's pure parts: the DTLS-SRTP key split and SRTP round trips for both
 * profiles, a DTLS handshake between two of our endpoints (keying material agreed, a wrong
 * fingerprint refused), receiver statistics and the RTCP we build and read, the answer written
 * from an offer (NACK and RTX taken when offered), and the RTP payload range used by direct
 * forwards. */
#include <string.h>

#include "ingest/forward.h"
#include "ingest/lean_answer.h"
#include "ingest/lean_dtls.h"
#include "ingest/lean_rtcp.h"
#include "ingest/lean_srtp.h"

/* ---- SRTP ---- */

static void
test_split (void)
{
  guint8 m[60], local[30], remote[30];
  for (guint i = 0; i < sizeof m; i++)
    m[i] = (guint8)i;
  /* AES128_CM_SHA1_80: client key 0..15, server key 16..31, client salt 32..45, server salt
   * 46..59. */
  g_assert_cmpuint (cr_lean_srtp_material_len (CR_LEAN_SRTP_AES128_CM_SHA1_80), ==, 60);
  cr_lean_srtp_split (CR_LEAN_SRTP_AES128_CM_SHA1_80, m, FALSE, local, remote);
  g_assert_cmpuint (local[0], ==, 16);
  g_assert_cmpuint (local[15], ==, 31);
  g_assert_cmpuint (local[16], ==, 46);
  g_assert_cmpuint (local[29], ==, 59);
  g_assert_cmpuint (remote[0], ==, 0);
  g_assert_cmpuint (remote[16], ==, 32);
  g_assert_cmpuint (remote[29], ==, 45);
  cr_lean_srtp_split (CR_LEAN_SRTP_AES128_CM_SHA1_80, m, TRUE, local, remote);
  g_assert_cmpuint (local[0], ==, 0);
  g_assert_cmpuint (remote[0], ==, 16);
  /* AEAD_AES_128_GCM: 12-byte salts: client salt 32..43, server salt 44..55. */
  g_assert_cmpuint (cr_lean_srtp_material_len (CR_LEAN_SRTP_AEAD_AES_128_GCM), ==, 56);
  cr_lean_srtp_split (CR_LEAN_SRTP_AEAD_AES_128_GCM, m, FALSE, local, remote);
  g_assert_cmpuint (local[16], ==, 44);
  g_assert_cmpuint (local[27], ==, 55);
  g_assert_cmpuint (remote[16], ==, 32);
  CrLeanSrtpProfile p;
  g_assert_true (cr_lean_srtp_profile_parse ("SRTP_AEAD_AES_128_GCM", &p));
  g_assert_cmpint (p, ==, CR_LEAN_SRTP_AEAD_AES_128_GCM);
  g_assert_false (cr_lean_srtp_profile_parse ("SRTP_NULL_SHA1_32", &p));
}

/* A client and a server keyed from the same material: what one protects the other unprotects;
 * a flipped bit or a replay is refused. */
static void
srtp_round_trip (CrLeanSrtpProfile profile)
{
  guint8 m[60], cl[30], cr[30], sl[30], sr[30];
  for (guint i = 0; i < sizeof m; i++)
    m[i] = (guint8)(i * 7 + 3);
  cr_lean_srtp_split (profile, m, TRUE, cl, cr);
  cr_lean_srtp_split (profile, m, FALSE, sl, sr);
  g_autoptr (GError) error = NULL;
  CrLeanSrtp *client = cr_lean_srtp_new (profile, cl, cr, &error);
  g_assert_no_error (error);
  CrLeanSrtp *server = cr_lean_srtp_new (profile, sl, sr, &error);
  g_assert_no_error (error);
  guint8 rtp[100 + CR_LEAN_SRTP_TRAILER]
      = { 0x80, 96, 0x12, 0x34, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef };
  for (guint i = 12; i < 100; i++)
    rtp[i] = (guint8)i;
  guint8 plain[100];
  memcpy (plain, rtp, 100);
  gsize len = 100;
  g_assert_true (cr_lean_srtp_protect_rtp (client, rtp, &len));
  g_assert_cmpuint (len, >, 100);
  g_assert_true (memcmp (rtp + 12, plain + 12, 88) != 0);
  guint8 copy[sizeof rtp];
  memcpy (copy, rtp, sizeof rtp);
  gsize copy_len = len;
  g_assert_true (cr_lean_srtp_unprotect_rtp (server, rtp, &len));
  g_assert_cmpuint (len, ==, 100);
  g_assert_cmpmem (rtp, 100, plain, 100);
  g_assert_false (cr_lean_srtp_unprotect_rtp (server, copy, &copy_len)); /* a replay */
  /* RTCP from the server (our feedback) reaches the client. */
  guint8 rtcp[64 + CR_LEAN_SRTP_TRAILER];
  gsize n = cr_rtcp_build_pli (rtcp, 1, 2);
  g_assert_true (cr_lean_srtp_protect_rtcp (server, rtcp, &n));
  rtcp[n - 1] ^= 1;
  gsize bad = n;
  guint8 tampered[sizeof rtcp];
  memcpy (tampered, rtcp, sizeof rtcp);
  g_assert_false (cr_lean_srtp_unprotect_rtcp (client, tampered, &bad));
  rtcp[n - 1] ^= 1;
  g_assert_true (cr_lean_srtp_unprotect_rtcp (client, rtcp, &n));
  g_assert_cmpuint (n, ==, 12);
  g_assert_cmpuint (rtcp[1], ==, 206);
  cr_lean_srtp_free (client);
  cr_lean_srtp_free (server);
}

static void
test_srtp_cm (void)
{
  srtp_round_trip (CR_LEAN_SRTP_AES128_CM_SHA1_80);
}

static void
test_srtp_gcm (void)
{
  srtp_round_trip (CR_LEAN_SRTP_AEAD_AES_128_GCM);
}

/* ---- DTLS ---- */

typedef struct {
  GQueue *to; /* datagrams for the other side */
} Wire;

static void
wire_send (const guint8 *data, gsize len, gpointer user_data)
{
  Wire *w = user_data;
  g_queue_push_tail (w->to, g_bytes_new (data, len));
}

/* Runs a handshake between a client and a server expecting @server_expects as the client's
 * fingerprint; returns the server's last event. */
static CrLeanDtlsEvent
dtls_pair (const char *server_expects, CrLeanDtls **client_out, CrLeanDtls **server_out,
           CrLeanDtlsEvent *client_event)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_lean_dtls_prepare (&error));
  const char *fp = cr_lean_dtls_fingerprint ();
  g_assert_true (g_str_has_prefix (fp, "sha-256 "));
  g_assert_cmpuint (strlen (fp), ==, strlen ("sha-256 ") + 32 * 3 - 1);
  static GQueue to_server, to_client;
  static Wire cw, sw;
  g_queue_init (&to_server);
  g_queue_init (&to_client);
  cw.to = &to_server;
  sw.to = &to_client;
  CrLeanDtls *client = cr_lean_dtls_new (TRUE, fp, wire_send, &cw, &error);
  g_assert_no_error (error);
  CrLeanDtls *server = cr_lean_dtls_new (FALSE, server_expects, wire_send, &sw, &error);
  g_assert_no_error (error);
  CrLeanDtlsEvent cev = cr_lean_dtls_start (client), sev = CR_LEAN_DTLS_NONE;
  for (int round = 0;
       round < 20 && (!g_queue_is_empty (&to_server) || !g_queue_is_empty (&to_client)); round++) {
    GBytes *b;
    while ((b = g_queue_pop_head (&to_server)) != NULL) {
      gsize n;
      const guint8 *d = g_bytes_get_data (b, &n);
      g_assert_cmpuint (n, <=, 1200); /* one datagram each, within the MTU */
      CrLeanDtlsEvent e = cr_lean_dtls_receive (server, d, n);
      if (e != CR_LEAN_DTLS_NONE)
        sev = e;
      g_bytes_unref (b);
    }
    while ((b = g_queue_pop_head (&to_client)) != NULL) {
      gsize n;
      const guint8 *d = g_bytes_get_data (b, &n);
      CrLeanDtlsEvent e = cr_lean_dtls_receive (client, d, n);
      if (e != CR_LEAN_DTLS_NONE)
        cev = e;
      g_bytes_unref (b);
    }
  }
  g_queue_clear_full (&to_server, (GDestroyNotify)g_bytes_unref);
  g_queue_clear_full (&to_client, (GDestroyNotify)g_bytes_unref);
  *client_out = client;
  *server_out = server;
  *client_event = cev;
  return sev;
}

static void
test_dtls_handshake (void)
{
  g_assert_true (cr_lean_dtls_prepare (NULL));
  CrLeanDtls *client, *server;
  CrLeanDtlsEvent cev;
  CrLeanDtlsEvent sev = dtls_pair (cr_lean_dtls_fingerprint (), &client, &server, &cev);
  g_assert_cmpint (sev, ==, CR_LEAN_DTLS_CONNECTED);
  g_assert_cmpint (cev, ==, CR_LEAN_DTLS_CONNECTED);
  g_assert_true (cr_lean_dtls_connected (server));
  const char *profile = cr_lean_dtls_srtp_profile (server);
  g_assert_cmpstr (profile, ==, cr_lean_dtls_srtp_profile (client));
  CrLeanSrtpProfile p;
  g_assert_true (cr_lean_srtp_profile_parse (profile, &p));
  gsize n = cr_lean_srtp_material_len (p);
  guint8 a[60], b[60];
  g_assert_true (cr_lean_dtls_export (client, a, n));
  g_assert_true (cr_lean_dtls_export (server, b, n));
  g_assert_cmpmem (a, n, b, n);
  cr_lean_dtls_free (client);
  cr_lean_dtls_free (server);
}

static void
test_dtls_wrong_fingerprint (void)
{
  g_assert_true (cr_lean_dtls_prepare (NULL));
  g_autofree char *wrong = g_strdup (cr_lean_dtls_fingerprint ());
  wrong[strlen (wrong) - 1] = wrong[strlen (wrong) - 1] == '0' ? '1' : '0';
  CrLeanDtls *client, *server;
  CrLeanDtlsEvent cev;
  CrLeanDtlsEvent sev = dtls_pair (wrong, &client, &server, &cev);
  g_assert_cmpint (sev, ==, CR_LEAN_DTLS_FAILED);
  g_assert_false (cr_lean_dtls_connected (server));
  g_assert_nonnull (strstr (cr_lean_dtls_error (server), "fingerprint"));
  g_assert_null (cr_lean_dtls_srtp_profile (server));
  cr_lean_dtls_free (client);
  cr_lean_dtls_free (server);
}

/* ---- RTCP ---- */

static guint32
get32 (const guint8 *p)
{
  return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

static void
test_stats_and_rr (void)
{
  CrRtcpRecvStats st[2] = { { 0 } };
  st[0].clock_rate = 90000;
  gint64 t = 1000000;
  /* 65530..65535, 0..9 with 3 missing: the sequence wraps once; 15 of 16 arrive. */
  guint16 seq = 65530;
  for (int i = 0; i < 16; i++, seq++, t += 33333) {
    if (seq == 3)
      continue;
    cr_rtcp_stats_update (&st[0], 0xabcdef01, seq, (guint32)(i * 3000), t);
  }
  g_assert_cmpuint (st[0].received, ==, 15);
  guint8 out[256];
  gsize n = cr_rtcp_build_feedback (out, sizeof out, 0x11223344, st, 2, 10000000, t);
  /* RR: header, sender SSRC, one block (the second stats has no SSRC); then REMB. */
  g_assert_cmpuint (out[0], ==, 0x81);
  g_assert_cmpuint (out[1], ==, 201);
  g_assert_cmpuint ((out[2] << 8 | out[3]), ==, 7);
  g_assert_cmphex (get32 (out + 4), ==, 0x11223344);
  const guint8 *blk = out + 8;
  g_assert_cmphex (get32 (blk), ==, 0xabcdef01);
  g_assert_cmpuint (get32 (blk + 4) & 0xffffff, ==, 1);  /* cumulative lost */
  g_assert_cmpuint (blk[4], ==, (1 << 8) / 16);          /* fraction lost: 1/16 */
  g_assert_cmphex (get32 (blk + 8), ==, (1u << 16) | 9); /* one wrap, highest 9 */
  g_assert_cmpuint (get32 (blk + 12), <, 100);           /* steady arrival: little jitter */
  g_assert_cmpuint (get32 (blk + 16), ==, 0);            /* no SR yet */
  const guint8 *remb = out + 32;
  g_assert_cmpuint (remb[0], ==, 0x8f);
  g_assert_cmpuint (remb[1], ==, 206);
  g_assert_cmpmem (remb + 12, 4, "REMB", 4);
  g_assert_cmpuint (remb[16], ==, 1);
  guint exp = remb[17] >> 2;
  guint32 mantissa = ((guint32)(remb[17] & 3) << 16) | (remb[18] << 8) | remb[19];
  guint64 bps = (guint64)mantissa << exp;
  g_assert_cmpuint (bps, <=, 10000000);
  g_assert_cmpuint (bps, >, 9990000);
  g_assert_cmphex (get32 (remb + 20), ==, 0xabcdef01);
  g_assert_cmpuint (n, ==, 32 + 24);
  /* The next report covers only what came since: no new loss. */
  cr_rtcp_stats_update (&st[0], 0xabcdef01, seq, 50000, t);
  cr_rtcp_build_feedback (out, sizeof out, 1, st, 1, 0, t);
  g_assert_cmpuint (out[8 + 4], ==, 0);
  g_assert_cmpuint (get32 (out + 8 + 4) & 0xffffff, ==, 1);
}

static void
collect_sr (const CrRtcpSenderInfo *sr, gpointer data)
{
  g_array_append_val ((GArray *)data, *sr);
}

static void
test_sr_and_keyframe_requests (void)
{
  guint8 buf[64];
  gsize n = cr_rtcp_build_sr (buf, 0x01020304, 0x1122334455667788ull, 90000, 10, 1000);
  g_assert_cmpuint (n, ==, 28);
  /* An SDES chunk after it, as in a compound packet. */
  static const guint8 sdes[] = { 0x81, 202, 0, 2, 1, 2, 3, 4, 1, 1, 'x', 0 };
  memcpy (buf + n, sdes, sizeof sdes);
  g_autoptr (GArray) got = g_array_new (FALSE, FALSE, sizeof (CrRtcpSenderInfo));
  g_assert_true (cr_rtcp_foreach_sr (buf, n + sizeof sdes, collect_sr, got));
  g_assert_cmpuint (got->len, ==, 1);
  CrRtcpSenderInfo *sr = &g_array_index (got, CrRtcpSenderInfo, 0);
  g_assert_cmphex (sr->ssrc, ==, 0x01020304);
  g_assert_cmphex (sr->ntp, ==, 0x1122334455667788ull);
  g_assert_cmpuint (sr->rtptime, ==, 90000);
  g_assert_cmpuint (sr->packets, ==, 10);
  g_assert_cmpuint (sr->octets, ==, 1000);
  g_assert_false (cr_rtcp_foreach_sr (buf, n + sizeof sdes - 4, collect_sr, got)); /* cut */
  g_assert_true (cr_rtcp_is_rtcp (buf, n));
  static const guint8 rtp[] = { 0x80, 96 | 0x80, 0, 1 };
  g_assert_false (cr_rtcp_is_rtcp (rtp, sizeof rtp));
  n = cr_rtcp_build_pli (buf, 7, 0xaabbccdd);
  static const guint8 pli[] = { 0x81, 206, 0, 2, 0, 0, 0, 7, 0xaa, 0xbb, 0xcc, 0xdd };
  g_assert_cmpmem (buf, n, pli, sizeof pli);
  n = cr_rtcp_build_fir (buf, 7, 0xaabbccdd, 5);
  static const guint8 fir[]
      = { 0x84, 206, 0, 4, 0, 0, 0, 7, 0, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd, 5, 0, 0, 0 };
  g_assert_cmpmem (buf, n, fir, sizeof fir);
}

/* ---- the answer ---- */

#define OFFER                                                                                      \
  "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"                      \
  "a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:"    \
  "11:22:33:44:55:66:77:88:99\r\n"                                                                 \
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\n"             \
  "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=setup:actpass\r\na=rtcp-mux\r\n"    \
  "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"                         \
  "a=rtcp-fb:111 transport-cc\r\na=rtpmap:0 PCMU/8000\r\n"                                         \
  "a=candidate:1 1 udp 2113937151 127.0.0.1 50000 typ host\r\n"                                    \
  "a=candidate:2 2 udp 2113937150 127.0.0.1 50001 typ host\r\n"                                    \
  "a=candidate:3 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active\r\n"                         \
  "m=video 9 UDP/TLS/RTP/SAVPF 96 102\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=sendonly\r\n"            \
  "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=setup:actpass\r\na=rtcp-mux\r\n"    \
  "a=rtpmap:96 VP8/90000\r\na=rtpmap:102 H264/90000\r\n"                                           \
  "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"          \
  "a=rtcp-fb:102 goog-remb\r\na=rtcp-fb:102 transport-cc\r\na=rtcp-fb:102 nack pli\r\n"            \
  "a=rtcp-fb:102 ccm fir\r\n"                                                                      \
  "a=candidate:1 1 udp 2113937151 127.0.0.1 50000 typ host\r\n"                                    \
  "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\na=rtpmap:96 VP8/90000\r\n"

static void
test_answer (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSdpOffer) offer = cr_sdp_offer_parse (OFFER, strlen (OFFER), &error);
  g_assert_no_error (error);
  CrLeanPeer peer;
  g_assert_true (cr_lean_peer_read (offer, &peer, &error));
  g_assert_cmpstr (peer.ufrag, ==, "abcd");
  g_assert_true (g_str_has_prefix (peer.fingerprint, "sha-256 AA:BB"));
  g_assert_false (peer.we_dtls_client); /* actpass: we are passive */
  /* component 1, UDP only, the duplicate in the video m-line once */
  g_assert_cmpuint (peer.candidates->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (peer.candidates, 0), ==,
                   "candidate:1 1 udp 2113937151 127.0.0.1 50000 typ host");
  cr_lean_peer_clear (&peer);

  const char *cands[] = { "candidate:9 1 UDP 2015363327 127.0.0.1 40000 typ host", NULL };
  CrLeanAnswerParams p = { "uf", "pw", "sha-256 01:02", FALSE, cands, 42 };
  g_autofree char *answer = cr_lean_answer_build (offer, &p);
  g_assert_nonnull (strstr (answer, "a=group:BUNDLE 0 1\r\n"));
  g_assert_nonnull (strstr (answer, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
  g_assert_nonnull (
      strstr (answer, "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"));
  g_assert_nonnull (strstr (answer, "m=video 9 UDP/TLS/RTP/SAVPF 102\r\n"));
  g_assert_nonnull (strstr (
      answer,
      "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"));
  g_assert_nonnull (strstr (
      answer, "a=rtcp-fb:102 goog-remb\r\na=rtcp-fb:102 nack pli\r\na=rtcp-fb:102 ccm fir\r\n"));
  g_assert_null (strstr (answer, "transport-cc"));
  g_assert_nonnull (strstr (answer, "a=setup:passive\r\n"));
  g_assert_nonnull (strstr (answer, "a=recvonly\r\n"));
  g_assert_nonnull (strstr (answer, "a=fingerprint:sha-256 01:02\r\n"));
  g_assert_nonnull (strstr (answer, "a=ice-ufrag:uf\r\na=ice-pwd:pw\r\n"));
  g_assert_nonnull (strstr (
      answer,
      "a=candidate:9 1 UDP 2015363327 127.0.0.1 40000 typ host\r\na=end-of-candidates\r\n"));
  g_assert_nonnull (strstr (
      answer, "m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\na=inactive\r\n"));
  /* It parses back as SDP with three m-lines. */
  GstSDPMessage *sdp = NULL;
  gst_sdp_message_new (&sdp);
  g_assert_cmpint (gst_sdp_message_parse_buffer ((const guint8 *)answer, strlen (answer), sdp), ==,
                   GST_SDP_OK);
  g_assert_cmpuint (gst_sdp_message_medias_len (sdp), ==, 3);
  gst_sdp_message_free (sdp);

  for (guint i = 0; i < offer->choices->len; i++) {
    const CrSdpChoice *c = &g_array_index (offer->choices, CrSdpChoice, i);
    guint rate = 0;
    g_autofree char *caps = cr_lean_answer_caps (offer, c, &rate);
    g_assert_true (g_str_has_prefix (caps, "application/x-rtp"));
    g_assert_cmpuint (rate, ==, c->is_video ? 90000 : 48000);
    g_assert_nonnull (
        strstr (caps, c->is_video ? "encoding-name=(string)H264" : "encoding-name=(string)OPUS"));
    g_assert_nonnull (strstr (caps, c->is_video ? "media=(string)video" : "media=(string)audio"));
  }
}

/* A Chromium-like video m-line: RTX for each codec, generic NACK on H.264 and VP8. */
#define OFFER_RTX                                                                                  \
  "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"                        \
  "a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:"    \
  "11:22:33:44:55:66:77:88:99\r\n"                                                                 \
  "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"               \
  "a=sendonly\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=setup:actpass\r\n"    \
  "a=rtcp-mux\r\na=rtcp-rsize\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\n"                   \
  "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\na=rtpmap:102 H264/90000\r\n"                       \
  "a=rtcp-fb:102 goog-remb\r\na=rtcp-fb:102 nack\r\na=rtcp-fb:102 nack pli\r\n"                    \
  "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"          \
  "a=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=102\r\na=rtpmap:104 rtx/90000\r\n"                     \
  "a=fmtp:104 apt=1020\r\n"                                                                        \
  "a=candidate:1 1 udp 2113937151 127.0.0.1 50000 typ host\r\n"

static char *
answer_for (const char *text, const CrSdpOffer **offer_out)
{
  g_autoptr (GError) error = NULL;
  CrSdpOffer *offer = cr_sdp_offer_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  const char *cands[] = { "candidate:9 1 UDP 2015363327 127.0.0.1 40000 typ host", NULL };
  CrLeanAnswerParams p = { "uf", "pw", "sha-256 01:02", FALSE, cands, 42 };
  char *answer = cr_lean_answer_build (offer, &p);
  GstSDPMessage *sdp = NULL;
  gst_sdp_message_new (&sdp);
  g_assert_cmpint (gst_sdp_message_parse_buffer ((const guint8 *)answer, strlen (answer), sdp), ==,
                   GST_SDP_OK);
  gst_sdp_message_free (sdp);
  if (offer_out != NULL)
    *offer_out = offer;
  else
    cr_sdp_offer_free (offer);
  return answer;
}

/* NACK and the chosen codec's RTX are answered when offered, and nothing else of RTX. */
static void
test_answer_nack_rtx (void)
{
  const CrSdpOffer *offer = NULL;
  g_autofree char *answer = answer_for (OFFER_RTX, &offer);
  const CrSdpChoice *c = &g_array_index (offer->choices, CrSdpChoice, 0);
  g_assert_cmpint (c->payload, ==, 102);
  g_assert_true (cr_lean_answer_nack (offer, c));
  g_assert_cmpint (cr_lean_answer_rtx_payload (offer, c), ==, 103);
  g_assert_nonnull (strstr (answer, "m=video 9 UDP/TLS/RTP/SAVPF 102 103\r\n"));
  g_assert_nonnull (strstr (answer, "a=rtcp-fb:102 goog-remb\r\na=rtcp-fb:102 nack\r\n"
                                    "a=rtcp-fb:102 nack pli\r\n"
                                    "a=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=102\r\n"));
  g_assert_null (strstr (answer, " 97"));
  g_assert_null (strstr (answer, "104"));
  cr_sdp_offer_free ((CrSdpOffer *)offer);

  /* Only "nack pli": no generic NACK, and so no RTX. */
  g_autofree char *text = g_strdup (OFFER_RTX);
  char *nack = strstr (text, "a=rtcp-fb:102 nack\r\n");
  memcpy (nack, "a=rtcp-fb:102 xxxx", strlen ("a=rtcp-fb:102 xxxx"));
  g_autofree char *no_nack = answer_for (text, &offer);
  c = &g_array_index (offer->choices, CrSdpChoice, 0);
  g_assert_false (cr_lean_answer_nack (offer, c));
  g_assert_cmpint (cr_lean_answer_rtx_payload (offer, c), ==, -1);
  g_assert_nonnull (strstr (no_nack, "m=video 9 UDP/TLS/RTP/SAVPF 102\r\n"));
  g_assert_nonnull (strstr (no_nack, "a=rtcp-fb:102 nack pli\r\n"));
  g_assert_null (strstr (no_nack, "a=rtcp-fb:102 nack\r\n"));
  g_assert_null (strstr (no_nack, "rtx"));
  cr_sdp_offer_free ((CrSdpOffer *)offer);

  /* An RTX payload type not on the m-line is not taken. */
  g_free (text);
  text = g_strdup (OFFER_RTX);
  memcpy (strstr (text, " 103 104\r\n"), " 105 104\r\n", 9);
  g_autofree char *unlisted = answer_for (text, &offer);
  g_assert_nonnull (strstr (unlisted, "m=video 9 UDP/TLS/RTP/SAVPF 102\r\n"));
  g_assert_nonnull (strstr (unlisted, "a=rtcp-fb:102 nack\r\n"));
  g_assert_null (strstr (unlisted, "rtx"));
  cr_sdp_offer_free ((CrSdpOffer *)offer);

  /* The offer without NACK or RTX (as cloudrec publish's GStreamer sends it): neither. */
  g_autofree char *plain = answer_for (OFFER, NULL);
  g_assert_null (strstr (plain, "rtx"));
  g_assert_null (strstr (plain, " nack\r\n"));
}

static void
test_passive_offer (void)
{
  g_autofree char *text = g_strdup (OFFER);
  for (char *p = strstr (text, "actpass"); p != NULL; p = strstr (p, "actpass"))
    memcpy (p, "passive", 7);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSdpOffer) offer = cr_sdp_offer_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  CrLeanPeer peer;
  g_assert_true (cr_lean_peer_read (offer, &peer, &error));
  g_assert_true (peer.we_dtls_client);
  cr_lean_peer_clear (&peer);
}

static void
test_payload_range (void)
{
  /* V=2, X=1, CC=1, P=1: 12 + 4 (CSRC) + 4 + 4 (extension of one word) = 24; 2 padding bytes. */
  guint8 p[32] = { 0xb1, 96 };
  p[16] = 0xbe;
  p[17] = 0xde;
  p[19] = 1;
  p[31] = 2;
  gsize off = 0, len = 0;
  g_assert_true (cr_rtp_payload_range (p, sizeof p, &off, &len));
  g_assert_cmpuint (off, ==, 24);
  g_assert_cmpuint (len, ==, 6);
  g_assert_false (cr_rtp_payload_range (p, 18, &off, &len));
  p[0] = 0x40;
  g_assert_false (cr_rtp_payload_range (p, sizeof p, &off, &len));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL); /* the caps of a track */
  g_test_add_func ("/lean/srtp/split", test_split);
  g_test_add_func ("/lean/srtp/aes-cm", test_srtp_cm);
  g_test_add_func ("/lean/srtp/aes-gcm", test_srtp_gcm);
  g_test_add_func ("/lean/dtls/handshake", test_dtls_handshake);
  g_test_add_func ("/lean/dtls/wrong-fingerprint", test_dtls_wrong_fingerprint);
  g_test_add_func ("/lean/rtcp/stats-rr-remb", test_stats_and_rr);
  g_test_add_func ("/lean/rtcp/sr-pli-fir", test_sr_and_keyframe_requests);
  g_test_add_func ("/lean/answer", test_answer);
  g_test_add_func ("/lean/answer/passive-offer", test_passive_offer);
  g_test_add_func ("/lean/answer/nack-rtx", test_answer_nack_rtx);
  g_test_add_func ("/lean/rtp-payload-range", test_payload_range);
  return g_test_run ();
}
