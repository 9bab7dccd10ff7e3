/* The lean engine's SRTP on libcrypto against the RFCs' own numbers: RFC 3711 B.3 key derivation,
 * B.2 AES-CM keystream, RFC 7714 16.1/17.1 GCM packets; index estimation (Appendix A) and the
 * replay window; and what an attacker or a broken network sends: every truncation, every flipped
 * byte, replays and packets too old are refused (never crash), for both profiles, RTP and RTCP;
 * a sequence number wrap with reordering; more SSRCs than the table holds. The cross-check with
 * libsrtp2 itself is test_lean_srtp_libsrtp.c. */
#include <string.h>

#include "ingest/lean_rtcp.h"
#include "ingest/lean_srtp.h"
#include "ingest/lean_srtp_crypto.h"
#include "ingest/lean_srtp_window.h"

static gsize
unhex (const char *hex, guint8 *out, gsize cap)
{
  gsize n = 0;
  for (const char *p = hex; *p != '\0';) {
    if (g_ascii_isspace (*p)) {
      p++;
      continue;
    }
    g_assert_true (g_ascii_isxdigit (p[0]) && g_ascii_isxdigit (p[1]));
    g_assert_cmpuint (n, <, cap);
    out[n++] = (guint8)(g_ascii_xdigit_value (p[0]) << 4 | g_ascii_xdigit_value (p[1]));
    p += 2;
  }
  return n;
}

/* ---- RFC vectors ---- */

static void
test_kdf_rfc3711 (void)
{
  guint8 master[30], key[16], salt[14], auth[20], want[20];
  unhex ("E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6", master, sizeof master);
  g_assert_true (cr_lean_srtp_kdf (master, master + 16, 14, CR_LEAN_SRTP_LABEL_RTP_CIPHER, key,
                                   sizeof key));
  unhex ("C61E7A93744F39EE10734AFE3FF7A087", want, sizeof want);
  g_assert_cmpmem (key, sizeof key, want, 16);
  g_assert_true (cr_lean_srtp_kdf (master, master + 16, 14, CR_LEAN_SRTP_LABEL_RTP_SALT, salt,
                                   sizeof salt));
  unhex ("30CBBC08863D8C85D49DB34A9AE1", want, sizeof want);
  g_assert_cmpmem (salt, sizeof salt, want, 14);
  g_assert_true (cr_lean_srtp_kdf (master, master + 16, 14, CR_LEAN_SRTP_LABEL_RTP_AUTH, auth,
                                   sizeof auth));
  unhex ("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", want, sizeof want);
  g_assert_cmpmem (auth, sizeof auth, want, 20);
  /* Each label is its own key. */
  guint8 rtcp_key[16];
  g_assert_true (cr_lean_srtp_kdf (master, master + 16, 14, CR_LEAN_SRTP_LABEL_RTCP_CIPHER,
                                   rtcp_key, sizeof rtcp_key));
  g_assert_true (memcmp (rtcp_key, key, 16) != 0);
}

static void
test_keystream_rfc3711 (void)
{
  guint8 key[16], salt[14], auth[20] = { 0 };
  unhex ("2B7E151628AED2A6ABF7158809CF4F3C", key, sizeof key);
  unhex ("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", salt, sizeof salt);
  CrLeanSrtpTransform t;
  g_assert_true (
      cr_lean_srtp_transform_init (&t, CR_LEAN_SRTP_AES128_CM_SHA1_80, TRUE, key, salt, auth));
  /* Zeros encrypted with SSRC 0, index 0: the keystream itself, counter blocks 0 to 0xff01. */
  gsize len = 0xff02 * 16;
  guint8 *zeros = g_malloc0 (len);
  g_assert_true (cr_lean_srtp_cm_crypt (&t, 0, 0, zeros, len));
  static const struct {
    guint block;
    const char *hex;
  } blocks[] = {
    { 0x0000, "E03EAD0935C95E80E166B16DD92B4EB4" }, { 0x0001, "D23513162B02D0F72A43A2FE4A5F97AB" },
    { 0x0002, "41E95B3BB0A2E8DD477901E4FCA894C0" }, { 0xfeff, "EC8CDF7398607CB0F2D21675EA9EA1E4" },
    { 0xff00, "362B7C3C6773516318A077D7FC5073AE" }, { 0xff01, "6A2CC3787889374FBEB4C81B17BA6C44" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++) {
    guint8 want[16];
    unhex (blocks[i].hex, want, sizeof want);
    g_assert_cmpmem (zeros + blocks[i].block * 16, 16, want, 16);
  }
  /* A second packet on the same context starts again from its own IV (no carried offset). */
  guint8 again[5] = { 0 }, want[5];
  g_assert_true (cr_lean_srtp_cm_crypt (&t, 0, 0, again, sizeof again));
  unhex ("E03EAD0935", want, sizeof want);
  g_assert_cmpmem (again, 5, want, 5);
  /* The SSRC and the index change the keystream. */
  memset (again, 0, sizeof again);
  g_assert_true (cr_lean_srtp_cm_crypt (&t, 1, 0, again, sizeof again));
  g_assert_true (memcmp (again, want, 5) != 0);
  g_free (zeros);
  cr_lean_srtp_transform_clear (&t);
}

/* RFC 7714 16.1.1 (SRTP) and 17.1.1 (SRTCP), AEAD_AES_128_GCM from session key and salt. */
static void
test_gcm_rfc7714 (void)
{
  guint8 key[16], salt[12], packet[128], want[128];
  unhex ("000102030405060708090a0b0c0d0e0f", key, sizeof key);
  unhex ("517569642070726f2071756f", salt, sizeof salt);
  CrLeanSrtpTransform seal, open;
  g_assert_true (
      cr_lean_srtp_transform_init (&seal, CR_LEAN_SRTP_AEAD_AES_128_GCM, TRUE, key, salt, NULL));
  g_assert_true (
      cr_lean_srtp_transform_init (&open, CR_LEAN_SRTP_AEAD_AES_128_GCM, FALSE, key, salt, NULL));

  gsize n = unhex ("8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976"
                   "69736120 696e2070 61727465 73207472 6573",
                   packet, sizeof packet);
  gsize w = unhex ("8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5"
                   "0d294e6f 42a5f47a 51c7d19b 36de3adf 8833 899d7f27 beb16a91 52cf765e e4390cce",
                   want, sizeof want);
  g_assert_true (cr_lean_srtp_gcm_seal (&seal, 0x5501a0b2, 0xf17b, packet, 12, NULL, 0,
                                        packet + 12, n - 12, packet + n));
  g_assert_cmpmem (packet, n + 16, want, w);
  g_assert_true (cr_lean_srtp_gcm_open (&open, 0x5501a0b2, 0xf17b, packet, 12, NULL, 0,
                                        packet + 12, n - 12, packet + n));
  g_assert_cmpmem (packet + 12, 5, "Galli", 5);
  /* The same packet as if it were index 0x1f17b (another ROC): refused. */
  memcpy (packet, want, w);
  g_assert_false (cr_lean_srtp_gcm_open (&open, 0x5501a0b2, 0x1f17b, packet, 12, NULL, 0,
                                         packet + 12, n - 12, packet + n));

  /* SRTCP: header || ciphertext || tag || E+index; AAD = header, E+index. */
  n = unhex ("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
             "deadbeef deadbeef deadbeef deadbeef deadbeef",
             packet, sizeof packet);
  w = unhex ("81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d"
             "c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872"
             "45d9eade 800005d4",
             want, sizeof want);
  static const guint8 e_index[4] = { 0x80, 0x00, 0x05, 0xd4 };
  g_assert_true (cr_lean_srtp_gcm_seal (&seal, 0x4d617273, 0x5d4, packet, 8, e_index, 4, packet + 8,
                                        n - 8, packet + n));
  memcpy (packet + n + 16, e_index, 4);
  g_assert_cmpmem (packet, n + 20, want, w);
  cr_lean_srtp_transform_clear (&seal);
  cr_lean_srtp_transform_clear (&open);
}

/* libsrtp's own known answer (its test driver's packet, RFC 3711 B.3's master key). */
static void
test_cm_packet_known_answer (void)
{
  guint8 master[30], packet[64 + CR_LEAN_SRTP_TRAILER], want[64];
  unhex ("E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6", master, sizeof master);
  gsize n = unhex ("800f1234 decafbad cafebabe abababab abababab abababab abababab", packet,
                   sizeof packet);
  gsize w = unhex ("800f1234 decafbad cafebabe 4e55dc4c e79978d8 8ca4d215 949d2402 b78d6acc"
                   "99ea179b 8dbb",
                   want, sizeof want);
  g_autoptr (GError) error = NULL;
  CrLeanSrtp *s = cr_lean_srtp_new (CR_LEAN_SRTP_AES128_CM_SHA1_80, master, master, &error);
  g_assert_no_error (error);
  g_assert_true (cr_lean_srtp_protect_rtp (s, packet, &n));
  g_assert_cmpmem (packet, n, want, w);
  g_assert_true (cr_lean_srtp_unprotect_rtp (s, packet, &n));
  g_assert_cmpuint (n, ==, 28);
  g_assert_cmpuint (packet[27], ==, 0xab);
  cr_lean_srtp_free (s);
}

/* ---- index and window ---- */

static void
test_index_estimate (void)
{
  /* In order, and a step back, within one ROC. */
  g_assert_cmpint (cr_lean_srtp_index_estimate (1000, 1001), ==, 1001);
  g_assert_cmpint (cr_lean_srtp_index_estimate (1000, 990), ==, 990);
  /* Across the wrap: after 65535 comes 0 of ROC 1; a late 65535 after 2 of ROC 1 is ROC 0. */
  g_assert_cmpint (cr_lean_srtp_index_estimate (65535, 0), ==, 65536);
  g_assert_cmpint (cr_lean_srtp_index_estimate (65000, 100), ==, 65536 + 100);
  g_assert_cmpint (cr_lean_srtp_index_estimate (65536 + 2, 65535), ==, 65535);
  g_assert_cmpint (cr_lean_srtp_index_estimate (3 * 65536 + 10, 60000), ==, 2 * 65536 + 60000);
  /* With s_l < 32768, seq - s_l > 32768 means ROC - 1; at ROC 0 that is before the stream. */
  g_assert_cmpint (cr_lean_srtp_index_estimate (100, 40000), ==, -1);
  g_assert_cmpint (cr_lean_srtp_index_estimate (100, 32868), ==, 32868); /* exactly 32768 ahead */
  g_assert_cmpint (cr_lean_srtp_index_estimate (40000, 7231), ==, 7231 + 65536);
  g_assert_cmpint (cr_lean_srtp_index_estimate (40000, 7232), ==, 7232);
}

static void
test_window (void)
{
  CrLeanSrtpWindow w;
  cr_lean_srtp_window_init (&w, 5000);
  g_assert_false (cr_lean_srtp_window_check (&w, 5000)); /* replay */
  g_assert_true (cr_lean_srtp_window_check (&w, 5001));
  g_assert_true (cr_lean_srtp_window_check (&w, 4999));  /* reordered, not seen */
  g_assert_true (cr_lean_srtp_window_check (&w, 5000 - CR_LEAN_SRTP_WINDOW + 1));
  g_assert_false (cr_lean_srtp_window_check (&w, 5000 - CR_LEAN_SRTP_WINDOW)); /* too old */
  cr_lean_srtp_window_add (&w, 4999);
  g_assert_false (cr_lean_srtp_window_check (&w, 4999));
  cr_lean_srtp_window_add (&w, 5010);
  g_assert_cmpuint (w.highest, ==, 5010);
  for (guint64 i = 5001; i < 5010; i++)
    g_assert_true (cr_lean_srtp_window_check (&w, i));
  g_assert_false (cr_lean_srtp_window_check (&w, 5000));
  g_assert_false (cr_lean_srtp_window_check (&w, 5010));
  /* Moving up by less than a window: what was seen below stays seen, the slots reused for the new
   * indices are fresh. */
  cr_lean_srtp_window_add (&w, 5000 + CR_LEAN_SRTP_WINDOW - 1);
  g_assert_false (cr_lean_srtp_window_check (&w, 5000));
  g_assert_true (cr_lean_srtp_window_check (&w, 5000 + CR_LEAN_SRTP_WINDOW - 2));
  cr_lean_srtp_window_add (&w, 5000 + CR_LEAN_SRTP_WINDOW + 5);
  g_assert_true (cr_lean_srtp_window_check (&w, 5000 + CR_LEAN_SRTP_WINDOW + 4));
  g_assert_false (cr_lean_srtp_window_check (&w, 5000 + CR_LEAN_SRTP_WINDOW + 5));
  g_assert_false (cr_lean_srtp_window_check (&w, 5000 + 5)); /* out of the window now */
  g_assert_true (cr_lean_srtp_window_check (&w, 5000 + 6));
  /* A jump of more than a window forgets everything below. */
  cr_lean_srtp_window_add (&w, 100000);
  g_assert_false (cr_lean_srtp_window_check (&w, 100000));
  for (guint64 i = 100000 - CR_LEAN_SRTP_WINDOW + 1; i < 100000; i++)
    g_assert_true (cr_lean_srtp_window_check (&w, i));
  /* Adding an index already too old changes nothing. */
  CrLeanSrtpWindow before = w;
  cr_lean_srtp_window_add (&w, 10);
  g_assert_cmpmem (&before, sizeof before, &w, sizeof w);
}

/* ---- whole packets ---- */

typedef struct {
  CrLeanSrtp *sender, *receiver; /* keyed so that what one protects the other unprotects */
} Pair;

static Pair
pair_new (CrLeanSrtpProfile profile)
{
  guint8 m[60], cl[30], cr[30], sl[30], sr[30];
  for (guint i = 0; i < sizeof m; i++)
    m[i] = (guint8)(i * 13 + 1);
  cr_lean_srtp_split (profile, m, TRUE, cl, cr);
  cr_lean_srtp_split (profile, m, FALSE, sl, sr);
  g_autoptr (GError) error = NULL;
  Pair p = { cr_lean_srtp_new (profile, cl, cr, &error), NULL };
  g_assert_no_error (error);
  p.receiver = cr_lean_srtp_new (profile, sl, sr, &error);
  g_assert_no_error (error);
  return p;
}

static void
pair_free (Pair *p)
{
  cr_lean_srtp_free (p->sender);
  cr_lean_srtp_free (p->receiver);
}

/* An RTP packet of @ssrc/@seq with @payload_len bytes of payload derived from @seq, into @out
 * (with room for the trailer). Returns its length. */
static gsize
make_rtp (guint8 *out, guint32 ssrc, guint16 seq, gsize payload_len)
{
  out[0] = 0x80;
  out[1] = 96;
  out[2] = (guint8)(seq >> 8);
  out[3] = (guint8)seq;
  memset (out + 4, 0, 4);
  out[8] = (guint8)(ssrc >> 24);
  out[9] = (guint8)(ssrc >> 16);
  out[10] = (guint8)(ssrc >> 8);
  out[11] = (guint8)ssrc;
  for (gsize i = 0; i < payload_len; i++)
    out[12 + i] = (guint8)(seq + i);
  return 12 + payload_len;
}

typedef gboolean (*Unprotect) (CrLeanSrtp *, guint8 *, gsize *);

/* Every proper prefix and every single-byte change of @packet is refused by @receiver (each on a
 * fresh copy), and the packet itself is then still accepted. */
static void
assert_only_intact_accepted (CrLeanSrtp *receiver, Unprotect unprotect, const guint8 *packet,
                             gsize len)
{
  guint8 copy[256 + CR_LEAN_SRTP_TRAILER];
  g_assert_cmpuint (len, <=, 256);
  for (gsize cut = 0; cut < len; cut++) {
    memcpy (copy, packet, len);
    gsize n = cut;
    g_assert_false (unprotect (receiver, copy, &n));
  }
  for (gsize i = 0; i < len; i++) {
    for (guint bit = 0; bit < 8; bit += 7) {
      memcpy (copy, packet, len);
      copy[i] ^= (guint8)(1u << bit);
      gsize n = len;
      g_assert_false (unprotect (receiver, copy, &n));
    }
  }
  memcpy (copy, packet, len);
  gsize n = len;
  g_assert_true (unprotect (receiver, copy, &n));
  /* and once only */
  memcpy (copy, packet, len);
  n = len;
  g_assert_false (unprotect (receiver, copy, &n));
}

static void
refused (CrLeanSrtpProfile profile)
{
  Pair p = pair_new (profile);
  guint8 pkt[256 + CR_LEAN_SRTP_TRAILER];
  /* RTP: a first packet (no stream yet), then a second (stream known). */
  for (guint16 seq = 7; seq < 9; seq++) {
    gsize n = make_rtp (pkt, 0x11223344, seq, 60);
    g_assert_true (cr_lean_srtp_protect_rtp (p.sender, pkt, &n));
    assert_only_intact_accepted (p.receiver, cr_lean_srtp_unprotect_rtp, pkt, n);
  }
  /* A header whose CSRC count or extension runs past the packet is refused, not read past. */
  gsize n = make_rtp (pkt, 0x11223344, 20, 4);
  pkt[0] |= 0x0f;
  g_assert_false (cr_lean_srtp_protect_rtp (p.sender, pkt, &n));
  n = make_rtp (pkt, 0x11223344, 20, 8);
  pkt[0] |= 0x10;
  pkt[14] = 0xff;
  g_assert_false (cr_lean_srtp_protect_rtp (p.sender, pkt, &n));
  /* RTCP, from the receiver side (our feedback) to the sender, twice. */
  for (guint i = 0; i < 2; i++) {
    n = cr_rtcp_build_pli (pkt, 1, 0x11223344);
    g_assert_true (cr_lean_srtp_protect_rtcp (p.receiver, pkt, &n));
    assert_only_intact_accepted (p.sender, cr_lean_srtp_unprotect_rtcp, pkt, n);
  }
  /* An RTCP packet too short to have a sender SSRC is not protected. */
  n = 4;
  g_assert_false (cr_lean_srtp_protect_rtcp (p.receiver, pkt, &n));
  /* Garbage of every length up to 100 bytes. */
  for (gsize len = 0; len <= 100; len++) {
    for (gsize i = 0; i < len; i++)
      pkt[i] = (guint8)(i * 31 + len);
    pkt[0] = 0x80;
    n = len;
    g_assert_false (cr_lean_srtp_unprotect_rtp (p.receiver, pkt, &n));
    n = len;
    g_assert_false (cr_lean_srtp_unprotect_rtcp (p.receiver, pkt, &n));
  }
  pair_free (&p);
}

static void
test_refused_cm (void)
{
  refused (CR_LEAN_SRTP_AES128_CM_SHA1_80);
}

static void
test_refused_gcm (void)
{
  refused (CR_LEAN_SRTP_AEAD_AES_128_GCM);
}

/* 3000 packets from sequence 64000 (the ROC becomes 1 at the 1536th), sent in order, received
 * in blocks of 8 reversed; every payload comes back; replays, and a packet a window too old,
 * are refused. */
static void
rollover (CrLeanSrtpProfile profile)
{
  Pair p = pair_new (profile);
  enum { COUNT = 3000, LEN = 12 + 100 };
  guint8(*sent)[LEN + CR_LEAN_SRTP_TRAILER] = g_malloc (COUNT * sizeof *sent);
  gsize sent_len[COUNT];
  for (guint i = 0; i < COUNT; i++) {
    sent_len[i] = make_rtp (sent[i], 0xabcdef01, (guint16)(64000 + i), 100);
    g_assert_true (cr_lean_srtp_protect_rtp (p.sender, sent[i], &sent_len[i]));
  }
  guint8 buf[LEN + CR_LEAN_SRTP_TRAILER], want[LEN];
  for (guint block = 0; block < COUNT / 8; block++) {
    for (guint k = 0; k < 8; k++) {
      guint i = block * 8 + 7 - k;
      memcpy (buf, sent[i], sent_len[i]);
      gsize n = sent_len[i];
      g_assert_true (cr_lean_srtp_unprotect_rtp (p.receiver, buf, &n));
      g_assert_cmpuint (n, ==, LEN);
      make_rtp (want, 0xabcdef01, (guint16)(64000 + i), 100);
      g_assert_cmpmem (buf, n, want, LEN);
    }
  }
  for (guint i = COUNT - 20; i < COUNT; i++) {
    memcpy (buf, sent[i], sent_len[i]);
    gsize n = sent_len[i];
    g_assert_false (cr_lean_srtp_unprotect_rtp (p.receiver, buf, &n));
  }
  /* Sequence 64000 + 1000 is 1999 below the highest now: beyond the window. */
  memcpy (buf, sent[1000], sent_len[1000]);
  gsize n = sent_len[1000];
  g_assert_false (cr_lean_srtp_unprotect_rtp (p.receiver, buf, &n));
  g_free (sent);
  pair_free (&p);
}

static void
test_rollover_cm (void)
{
  rollover (CR_LEAN_SRTP_AES128_CM_SHA1_80);
}

static void
test_rollover_gcm (void)
{
  rollover (CR_LEAN_SRTP_AEAD_AES_128_GCM);
}

/* More SSRCs than the table holds: each is accepted, replays of a recent one are still refused,
 * and the SRTCP index counts per SSRC. */
static void
test_many_ssrcs (void)
{
  Pair p = pair_new (CR_LEAN_SRTP_AEAD_AES_128_GCM);
  guint8 pkt[64 + CR_LEAN_SRTP_TRAILER], copy[sizeof pkt];
  for (guint32 ssrc = 1; ssrc <= 200; ssrc++) {
    for (guint16 seq = 0; seq < 3; seq++) {
      gsize n = make_rtp (pkt, ssrc, seq, 20);
      g_assert_true (cr_lean_srtp_protect_rtp (p.sender, pkt, &n));
      memcpy (copy, pkt, n);
      gsize copy_n = n;
      g_assert_true (cr_lean_srtp_unprotect_rtp (p.receiver, pkt, &n));
      g_assert_false (cr_lean_srtp_unprotect_rtp (p.receiver, copy, &copy_n));
    }
  }
  /* SRTCP indices: 0, 1 for SSRC 5, 0 for SSRC 6. */
  guint32 want[] = { 0x80000000, 0x80000001, 0x80000000 };
  guint32 ssrcs[] = { 5, 5, 6 };
  for (guint i = 0; i < 3; i++) {
    gsize n = cr_rtcp_build_pli (pkt, ssrcs[i], 9);
    g_assert_true (cr_lean_srtp_protect_rtcp (p.sender, pkt, &n));
    guint32 word = (guint32)pkt[n - 4] << 24 | (guint32)pkt[n - 3] << 16
                   | (guint32)pkt[n - 2] << 8 | pkt[n - 1];
    g_assert_cmphex (word, ==, want[i]);
    g_assert_true (cr_lean_srtp_unprotect_rtcp (p.receiver, pkt, &n));
  }
  pair_free (&p);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lean_srtp/kdf/rfc3711-b3", test_kdf_rfc3711);
  g_test_add_func ("/lean_srtp/aes-cm/rfc3711-b2", test_keystream_rfc3711);
  g_test_add_func ("/lean_srtp/aes-cm/known-packet", test_cm_packet_known_answer);
  g_test_add_func ("/lean_srtp/aes-gcm/rfc7714", test_gcm_rfc7714);
  g_test_add_func ("/lean_srtp/index/estimate", test_index_estimate);
  g_test_add_func ("/lean_srtp/window", test_window);
  g_test_add_func ("/lean_srtp/aes-cm/refused", test_refused_cm);
  g_test_add_func ("/lean_srtp/aes-gcm/refused", test_refused_gcm);
  g_test_add_func ("/lean_srtp/aes-cm/rollover", test_rollover_cm);
  g_test_add_func ("/lean_srtp/aes-gcm/rollover", test_rollover_gcm);
  g_test_add_func ("/lean_srtp/ssrcs", test_many_ssrcs);
  return g_test_run ();
}
