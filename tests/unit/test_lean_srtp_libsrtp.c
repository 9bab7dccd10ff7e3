/* The lean engine's SRTP against libsrtp2, the implementation browsers' WebRTC stacks use: for
 * both profiles, what libsrtp protects ours unprotects and the reverse, RTP and RTCP, through a
 * sequence number wrap (the ROC moves to 1) with packets delivered out of order; RTP with CSRCs, a
 * header extension and payloads of every size class, empty included; SRTCP sent authenticated
 * but not encrypted (E = 0). Replays of what was accepted are refused. */
#include <srtp2/srtp.h>
#include <string.h>

#include "ingest/lean_rtcp.h"
#include "ingest/lean_srtp.h"

#define MAX_PACKET 1400
#define COUNT 2048 /* a multiple of BLOCK */
#define BLOCK 16   /* delivered in blocks of this many, each reversed */

typedef struct {
  CrLeanSrtpProfile profile;
  CrLeanSrtp *ours;             /* the DTLS server's side */
  srtp_t lib_out, lib_in;       /* the peer (DTLS client), on libsrtp */
  srtp_t lib_out_rtcp_auth;     /* the peer again, SRTCP authenticated only */
} Peers;

static srtp_t
lib_new (CrLeanSrtpProfile profile, const guint8 *key, gboolean inbound, gboolean rtcp_encrypted)
{
  srtp_policy_t policy;
  memset (&policy, 0, sizeof policy);
  if (profile == CR_LEAN_SRTP_AEAD_AES_128_GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtcp);
  } else {
    srtp_crypto_policy_set_rtp_default (&policy.rtp);
    srtp_crypto_policy_set_rtcp_default (&policy.rtcp);
  }
  if (!rtcp_encrypted)
    policy.rtcp.sec_serv = sec_serv_auth;
  policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.key = (unsigned char *)key;
  policy.window_size = 1024;
  policy.allow_repeat_tx = 1;
  srtp_t ctx = NULL;
  g_assert_cmpint (srtp_create (&ctx, &policy), ==, srtp_err_status_ok);
  return ctx;
}

static Peers
peers_new (CrLeanSrtpProfile profile)
{
  guint8 m[60], cl[30], cr[30], sl[30], sr[30];
  for (guint i = 0; i < sizeof m; i++)
    m[i] = (guint8)(i * 29 + 11);
  cr_lean_srtp_split (profile, m, TRUE, cl, cr);
  cr_lean_srtp_split (profile, m, FALSE, sl, sr);
  Peers p = { profile, NULL, NULL, NULL, NULL };
  g_autoptr (GError) error = NULL;
  p.ours = cr_lean_srtp_new (profile, sl, sr, &error);
  g_assert_no_error (error);
  p.lib_out = lib_new (profile, cl, FALSE, TRUE);
  p.lib_in = lib_new (profile, cr, TRUE, TRUE);
  p.lib_out_rtcp_auth = lib_new (profile, cl, FALSE, FALSE);
  return p;
}

static void
peers_free (Peers *p)
{
  cr_lean_srtp_free (p->ours);
  srtp_dealloc (p->lib_out);
  srtp_dealloc (p->lib_in);
  srtp_dealloc (p->lib_out_rtcp_auth);
}

/* The @i-th test RTP packet of @ssrc starting at sequence @first: every 5th with 2 CSRCs, every
 * 7th with a one-byte header extension, payloads from 0 to 1199 bytes. Returns its length. */
static gsize
make_rtp (guint8 *out, guint32 ssrc, guint16 first, guint i)
{
  guint16 seq = (guint16)(first + i);
  guint csrcs = i % 5 == 0 ? 2 : 0;
  gboolean ext = i % 7 == 0;
  out[0] = (guint8)(0x80 | (ext ? 0x10 : 0) | csrcs);
  out[1] = (guint8)(96 | (i % 11 == 0 ? 0x80 : 0));
  out[2] = (guint8)(seq >> 8);
  out[3] = (guint8)seq;
  guint32 ts = i * 3000;
  guint32 words[] = { ts, ssrc, 0x01020304, 0x05060708 };
  for (guint w = 0; w < 2 + csrcs; w++)
    for (guint b = 0; b < 4; b++)
      out[4 + 4 * w + b] = (guint8)(words[w] >> (24 - 8 * b));
  gsize n = 12 + 4 * csrcs;
  if (ext) {
    static const guint8 one_byte[] = { 0xbe, 0xde, 0x00, 0x01, 0x30, 0xaa, 0xbb, 0x00 };
    memcpy (out + n, one_byte, sizeof one_byte);
    n += sizeof one_byte;
  }
  gsize payload = (i * 37) % 1200;
  for (gsize k = 0; k < payload; k++)
    out[n + k] = (guint8)(k ^ i);
  return n + payload;
}

/* Delivery order: blocks of BLOCK packets, each reversed. */
static guint
delivered (guint k)
{
  return (k / BLOCK) * BLOCK + (BLOCK - 1 - k % BLOCK);
}

typedef gboolean (*Protect) (Peers *p, guint8 *data, gsize *len);
typedef gboolean (*Unprotect) (Peers *p, guint8 *data, gsize *len);

static gboolean
lib_protect_rtp (Peers *p, guint8 *data, gsize *len)
{
  int n = (int)*len;
  gboolean ok = srtp_protect (p->lib_out, data, &n) == srtp_err_status_ok;
  *len = (gsize)n;
  return ok;
}

static gboolean
lib_unprotect_rtp (Peers *p, guint8 *data, gsize *len)
{
  int n = (int)*len;
  gboolean ok = srtp_unprotect (p->lib_in, data, &n) == srtp_err_status_ok;
  *len = (gsize)n;
  return ok;
}

static gboolean
ours_protect_rtp (Peers *p, guint8 *data, gsize *len)
{
  return cr_lean_srtp_protect_rtp (p->ours, data, len);
}

static gboolean
ours_unprotect_rtp (Peers *p, guint8 *data, gsize *len)
{
  return cr_lean_srtp_unprotect_rtp (p->ours, data, len);
}

/* COUNT RTP packets of @ssrc from sequence @first protected by one side, unprotected by the other
 * in delivery order, each equal to what was sent; then replays of the last block refused. */
static void
rtp_one_way (Peers *p, Protect protect, Unprotect unprotect, guint32 ssrc, guint16 first)
{
  guint8(*wire)[MAX_PACKET + CR_LEAN_SRTP_TRAILER] = g_malloc (COUNT * sizeof *wire);
  gsize *wire_len = g_new (gsize, COUNT);
  for (guint i = 0; i < COUNT; i++) {
    wire_len[i] = make_rtp (wire[i], ssrc, first, i);
    gsize plain_len = wire_len[i];
    g_assert_true (protect (p, wire[i], &wire_len[i]));
    g_assert_cmpuint (wire_len[i], ==,
                      plain_len + (p->profile == CR_LEAN_SRTP_AEAD_AES_128_GCM ? 16 : 10));
  }
  guint8 buf[MAX_PACKET + CR_LEAN_SRTP_TRAILER], want[MAX_PACKET];
  for (guint k = 0; k < COUNT; k++) {
    guint i = delivered (k);
    memcpy (buf, wire[i], wire_len[i]);
    gsize n = wire_len[i];
    g_assert_true (unprotect (p, buf, &n));
    gsize want_len = make_rtp (want, ssrc, first, i);
    g_assert_cmpmem (buf, n, want, want_len);
  }
  for (guint i = COUNT - BLOCK; i < COUNT; i++) {
    memcpy (buf, wire[i], wire_len[i]);
    gsize n = wire_len[i];
    g_assert_false (unprotect (p, buf, &n));
  }
  g_free (wire_len);
  g_free (wire);
}

static void
rtp_both_ways (CrLeanSrtpProfile profile)
{
  Peers p = peers_new (profile);
  /* From 64000: the wrap comes at packet 1536, inside a reversed block's neighbours. */
  rtp_one_way (&p, lib_protect_rtp, ours_unprotect_rtp, 0x1234abcd, 64000);
  /* A second SSRC of the peer wrapping in its third block, one with a low first sequence. (The
   * first packet received must come before the wrap: a receiver starts at ROC 0.) */
  rtp_one_way (&p, lib_protect_rtp, ours_unprotect_rtp, 0x0badcafe, 65500);
  rtp_one_way (&p, lib_protect_rtp, ours_unprotect_rtp, 0x00000001, 3);
  /* Ours as the sender (what a peer keyed like us would send), libsrtp receiving. */
  rtp_one_way (&p, ours_protect_rtp, lib_unprotect_rtp, 0x5eed5eed, 65000);
  peers_free (&p);
}

static void
test_rtp_cm (void)
{
  rtp_both_ways (CR_LEAN_SRTP_AES128_CM_SHA1_80);
}

static void
test_rtp_gcm (void)
{
  rtp_both_ways (CR_LEAN_SRTP_AEAD_AES_128_GCM);
}

/* A compound sender report + SDES of @ssrc, number @i (the SDES's CNAME 5 to 17 bytes long). */
static gsize
make_sr (guint8 *out, guint32 ssrc, guint i)
{
  gsize n = cr_rtcp_build_sr (out, ssrc, G_GUINT64_CONSTANT (0xe000000000000000) + i, i * 3000, i,
                              i * 1000);
  /* SDES, one chunk: the SSRC, then CNAME and a terminating zero in @words words. */
  guint words = 2 + i % 4, cname_len = 4 * words - 3;
  out[n] = 0x81;
  out[n + 1] = 202;
  out[n + 2] = 0;
  out[n + 3] = (guint8)(words + 1);
  memcpy (out + n + 4, out + 4, 4);
  out[n + 8] = 1;
  out[n + 9] = (guint8)cname_len;
  for (guint k = 0; k < cname_len; k++)
    out[n + 10 + k] = (guint8)('a' + (k + i) % 26);
  out[n + 10 + cname_len] = 0;
  return n + 8 + 4 * words;
}

/* SRTCP from libsrtp's @sender to ours: in delivery order, each as sent; replays
 * refused. */
static void
rtcp_from_lib (Peers *p, srtp_t sender, guint32 ssrc)
{
  enum { N = 64 };
  guint8 wire[N][128 + CR_LEAN_SRTP_TRAILER];
  gsize wire_len[N];
  for (guint i = 0; i < N; i++) {
    int n = (int)make_sr (wire[i], ssrc, i);
    g_assert_cmpint (srtp_protect_rtcp (sender, wire[i], &n), ==, srtp_err_status_ok);
    wire_len[i] = (gsize)n;
  }
  guint8 buf[128 + CR_LEAN_SRTP_TRAILER], want[128];
  for (guint k = 0; k < N; k++) {
    guint i = delivered (k);
    memcpy (buf, wire[i], wire_len[i]);
    gsize n = wire_len[i];
    g_assert_true (cr_lean_srtp_unprotect_rtcp (p->ours, buf, &n));
    gsize want_len = make_sr (want, ssrc, i);
    g_assert_cmpmem (buf, n, want, want_len);
    memcpy (buf, wire[i], wire_len[i]);
    n = wire_len[i];
    g_assert_false (cr_lean_srtp_unprotect_rtcp (p->ours, buf, &n));
  }
}

/* Our feedback (receiver report + REMB, PLI, FIR) reaches libsrtp as built. */
static void
rtcp_to_lib (Peers *p)
{
  for (guint i = 0; i < 40; i++) {
    guint8 pkt[256 + CR_LEAN_SRTP_TRAILER], want[256];
    gsize n;
    if (i % 3 == 0) {
      CrRtcpRecvStats stats[2] = { { .clock_rate = 90000 }, { .clock_rate = 48000 } };
      cr_rtcp_stats_update (&stats[0], 0x1234abcd, (guint16)i, i * 3000, 1000 * i);
      cr_rtcp_stats_update (&stats[1], 0x0badcafe, (guint16)i, i * 960, 1000 * i);
      n = cr_rtcp_build_feedback (pkt, 256, 1, stats, 2, 10000000, 1000 * i);
    } else if (i % 3 == 1) {
      n = cr_rtcp_build_pli (pkt, 1, 0x1234abcd);
    } else {
      n = cr_rtcp_build_fir (pkt, 1, 0x1234abcd, (guint8)i);
    }
    memcpy (want, pkt, n);
    gsize want_len = n;
    g_assert_true (cr_lean_srtp_protect_rtcp (p->ours, pkt, &n));
    int len = (int)n;
    g_assert_cmpint (srtp_unprotect_rtcp (p->lib_in, pkt, &len), ==, srtp_err_status_ok);
    g_assert_cmpmem (pkt, len, want, want_len);
  }
}

static void
rtcp_both_ways (CrLeanSrtpProfile profile)
{
  Peers p = peers_new (profile);
  rtcp_from_lib (&p, p.lib_out, 0x1234abcd);
  rtcp_from_lib (&p, p.lib_out_rtcp_auth, 0x0badcafe);
  rtcp_to_lib (&p);
  peers_free (&p);
}

static void
test_rtcp_cm (void)
{
  rtcp_both_ways (CR_LEAN_SRTP_AES128_CM_SHA1_80);
}

static void
test_rtcp_gcm (void)
{
  rtcp_both_ways (CR_LEAN_SRTP_AEAD_AES_128_GCM);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok);
  g_test_add_func ("/lean_srtp/libsrtp/aes-cm/rtp", test_rtp_cm);
  g_test_add_func ("/lean_srtp/libsrtp/aes-gcm/rtp", test_rtp_gcm);
  g_test_add_func ("/lean_srtp/libsrtp/aes-cm/rtcp", test_rtcp_cm);
  g_test_add_func ("/lean_srtp/libsrtp/aes-gcm/rtcp", test_rtcp_gcm);
  int status = g_test_run ();
  srtp_shutdown ();
  return status;
}
