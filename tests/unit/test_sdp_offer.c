/* WHIP offer checks and the codec choice; keyframe detection of forwarded RTP payloads. */
#include <string.h>

#include "ingest/forward.h"
#include "ingest/sdp_offer.h"

#define HEAD                                                                                       \
  "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"                                            \
  "a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:"    \
  "11:22:33:44:55:66:77:88:99\r\n"
#define ICE "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
#define AUDIO                                                                                      \
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\na=sendonly\r\n" ICE                                        \
  "a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n"

static CrSdpOffer *
parse (const char *text, GError **error)
{
  return cr_sdp_offer_parse (text, strlen (text), error);
}

static void
expect_refused (const char *text, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSdpOffer) offer = parse (text, &error);
  g_assert_null (offer);
  if (strstr (error->message, needle) == NULL)
    g_error ("message \"%s\" lacks \"%s\"", error->message, needle);
}

static const CrSdpChoice *
choice (CrSdpOffer *offer, gboolean video)
{
  for (guint i = 0; i < offer->choices->len; i++) {
    CrSdpChoice *c = &g_array_index (offer->choices, CrSdpChoice, i);
    if (c->is_video == video)
      return c;
  }
  return NULL;
}

static void
test_codec_choice (void)
{
  /* VP8 listed first, H.264 high, then constrained baseline: baseline H.264 wins. */
  const char *text = HEAD AUDIO "m=video 9 UDP/TLS/RTP/SAVPF 96 102 108\r\na=sendrecv\r\n" ICE
                                "a=rtpmap:96 VP8/90000\r\na=rtpmap:102 H264/90000\r\n"
                                "a=fmtp:102 packetization-mode=1;profile-level-id=640c1f\r\n"
                                "a=rtpmap:108 H264/90000\r\n"
                                "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;"
                                "profile-level-id=42e01f\r\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSdpOffer) offer = parse (text, &error);
  g_assert_no_error (error);
  g_assert_true (offer->has_audio && offer->has_video);
  g_assert_cmpint (choice (offer, FALSE)->payload, ==, 111);
  g_assert_cmpstr (choice (offer, FALSE)->encoding, ==, "OPUS");
  g_assert_cmpint (choice (offer, TRUE)->payload, ==, 108);
  g_assert_cmpstr (choice (offer, TRUE)->encoding, ==, "H264");
  g_assert_cmpuint (choice (offer, TRUE)->mline, ==, 1);

  /* Without remuxable H.264 (mode 0, high profile) VP8 is taken. */
  const char *vp8 = HEAD "m=video 9 UDP/TLS/RTP/SAVPF 102 96 97\r\n" ICE
                         "a=rtpmap:102 H264/90000\r\na=fmtp:102 profile-level-id=42e01f\r\n"
                         "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 H264/90000\r\n"
                         "a=fmtp:97 packetization-mode=1;profile-level-id=640c1f\r\n";
  g_autoptr (CrSdpOffer) o2 = parse (vp8, &error);
  g_assert_no_error (error);
  g_assert_false (o2->has_audio);
  g_assert_cmpint (choice (o2, TRUE)->payload, ==, 96);
}

static void
test_refusals (void)
{
  expect_refused ("", "empty");
  expect_refused ("hello", "not an SDP offer");
  expect_refused (HEAD, "no m-line");
  expect_refused (HEAD "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n",
                  "only audio and video");
  expect_refused (HEAD AUDIO AUDIO, "more than one audio");
  expect_refused (HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n" ICE "a=rtpmap:0 PCMU/8000\r\n", "Opus");
  expect_refused (HEAD "m=video 9 UDP/TLS/RTP/SAVPF 98\r\n" ICE "a=rtpmap:98 VP9/90000\r\n",
                  "no video codec");
  expect_refused (HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n" ICE
                       "a=rtpmap:111 opus/48000/2\r\n",
                  "does not send");
  expect_refused ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" AUDIO, "fingerprint");
  expect_refused (HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n",
                  "ice-ufrag");
  /* A port-0 m-line is the offerer's own rejection: skipped, but something must remain. */
  expect_refused (HEAD "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\n" ICE "a=rtpmap:111 opus/48000/2\r\n",
                  "no active");
  /* ...unless it is bundle-only: GStreamer's max-bundle offers put port 0 on all but the first. */
  g_autoptr (GError) error = NULL;
  g_autoptr (CrSdpOffer) bundled
      = parse (HEAD "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=bundle-only\r\n" ICE
                    "a=rtpmap:111 opus/48000/2\r\n",
               &error);
  g_assert_no_error (error);
  g_assert_true (bundled->has_audio);
  g_autofree char *big = g_strnfill (70000, 'a');
  g_autofree char *text = g_strconcat (HEAD AUDIO "a=x:", big, "\r\n", NULL);
  expect_refused (text, "larger than");
  /* 1000 m-lines, all rejected by the offerer but one: refused before webrtcbin sees them (each
   * would cost a transceiver); 16 are still read. */
  GString *many = g_string_new (HEAD AUDIO);
  for (int i = 0; i < 999; i++)
    g_string_append (many, "m=video 0 RTP/AVP 96\r\n");
  expect_refused (many->str, "1000 m-lines");
  g_string_free (many, TRUE);
  GString *sixteen = g_string_new (HEAD AUDIO);
  for (int i = 0; i < 15; i++)
    g_string_append (sixteen, "m=video 0 UDP/TLS/RTP/SAVPF 96\r\n" ICE "a=rtpmap:96 VP8/90000\r\n");
  g_autoptr (CrSdpOffer) ok16 = parse (sixteen->str, &error);
  g_assert_no_error (error);
  g_assert_true (ok16->has_audio && !ok16->has_video);
  g_string_free (sixteen, TRUE);
}

static void
test_keyframes (void)
{
  const guint8 idr[] = { 0x65, 0x88 };
  const guint8 sps[] = { 0x67, 0x42 };
  const guint8 p_slice[] = { 0x41, 0x9a };
  const guint8 stap_idr[] = { 0x18, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce };
  const guint8 stap_p[] = { 0x18, 0x00, 0x02, 0x41, 0x9a };
  const guint8 fu_start_idr[] = { 0x7c, 0x85, 0x00 };
  const guint8 fu_middle_idr[] = { 0x7c, 0x05, 0x00 };
  const guint8 stap_short[] = { 0x18, 0x00 };
  g_assert_true (cr_rtp_payload_is_keyframe ("H264", idr, sizeof idr));
  g_assert_true (cr_rtp_payload_is_keyframe ("H264", sps, sizeof sps));
  g_assert_false (cr_rtp_payload_is_keyframe ("H264", p_slice, sizeof p_slice));
  g_assert_true (cr_rtp_payload_is_keyframe ("H264", stap_idr, sizeof stap_idr));
  g_assert_false (cr_rtp_payload_is_keyframe ("H264", stap_p, sizeof stap_p));
  g_assert_true (cr_rtp_payload_is_keyframe ("H264", fu_start_idr, sizeof fu_start_idr));
  g_assert_false (cr_rtp_payload_is_keyframe ("H264", fu_middle_idr, sizeof fu_middle_idr));
  g_assert_false (cr_rtp_payload_is_keyframe ("H264", stap_short, sizeof stap_short));
  g_assert_false (cr_rtp_payload_is_keyframe ("H264", idr, 0));
  /* VP8: S=1 PID=0, then the frame header's P bit (0 = key frame). */
  const guint8 vp8_key[] = { 0x10, 0x00, 0x9d };
  const guint8 vp8_inter[] = { 0x10, 0x01, 0x9d };
  const guint8 vp8_cont[] = { 0x00, 0x00 };
  const guint8 vp8_ext_key[] = { 0x90, 0x80, 0x81, 0x23, 0x00 }; /* X, I with 15-bit picture id */
  const guint8 vp8_trunc[] = { 0x90 };
  g_assert_true (cr_rtp_payload_is_keyframe ("VP8", vp8_key, sizeof vp8_key));
  g_assert_false (cr_rtp_payload_is_keyframe ("VP8", vp8_inter, sizeof vp8_inter));
  g_assert_false (cr_rtp_payload_is_keyframe ("VP8", vp8_cont, sizeof vp8_cont));
  g_assert_true (cr_rtp_payload_is_keyframe ("VP8", vp8_ext_key, sizeof vp8_ext_key));
  g_assert_false (cr_rtp_payload_is_keyframe ("VP8", vp8_trunc, sizeof vp8_trunc));
  g_assert_false (cr_rtp_payload_is_keyframe ("OPUS", idr, sizeof idr));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sdp-offer/codec-choice", test_codec_choice);
  g_test_add_func ("/sdp-offer/refusals", test_refusals);
  g_test_add_func ("/rtp/keyframes", test_keyframes);
  return g_test_run ();
}
