/* Fuzzes the lean engine's SRTP, which reads every UDP datagram a publisher (or anyone who can
 * reach the port) sends: unprotect of arbitrary RTP and RTCP packets must refuse or accept without
 * an over-read, and a packet protected with the peer's keys must come back unchanged. The first
 * byte picks the profile and what is done with the rest. */
#include <stdint.h>
#include <string.h>

#include "ingest/lean_srtp.h"

#define MAX_PACKET 1500

static CrLeanSrtp *
context (CrLeanSrtpProfile profile, gboolean peer)
{
  guint8 a[32], b[32];
  for (guint i = 0; i < sizeof a; i++) {
    a[i] = (guint8)(i * 7 + 1);
    b[i] = (guint8)(i * 13 + 5);
  }
  /* our local key is the peer's remote one and the other way round */
  return cr_lean_srtp_new (profile, peer ? b : a, peer ? a : b, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1 || size > MAX_PACKET)
    return 0;
  CrLeanSrtpProfile profile
      = (data[0] & 1) ? CR_LEAN_SRTP_AEAD_AES_128_GCM : CR_LEAN_SRTP_AES128_CM_SHA1_80;
  int mode = (data[0] >> 1) % 3;
  data++, size--;
  CrLeanSrtp *us = context (profile, FALSE);
  guint8 buf[MAX_PACKET + CR_LEAN_SRTP_TRAILER];
  memcpy (buf, data, size);
  gsize len = size;
  if (mode == 0) {
    if (cr_lean_srtp_unprotect_rtp (us, buf, &len) && len > size)
      __builtin_trap ();
  } else if (mode == 1) {
    if (cr_lean_srtp_unprotect_rtcp (us, buf, &len) && len > size)
      __builtin_trap ();
  } else if (size >= 12) {
    /* a well-formed RTP header of version 2 and no padding, protected by the peer */
    buf[0] = (guint8)((buf[0] & 0x3f & ~0x20) | 0x80);
    gsize header = 12 + (gsize)(buf[0] & 0x0f) * 4;
    if (buf[0] & 0x10) {
      if (header + 4 <= size)
        header += 4 + (gsize)((buf[header + 2] << 8) | buf[header + 3]) * 4;
      else
        header = size + 1;
    }
    if (header <= size) {
      guint8 plain[MAX_PACKET];
      memcpy (plain, buf, size);
      CrLeanSrtp *peer = context (profile, TRUE);
      if (cr_lean_srtp_protect_rtp (peer, buf, &len)) {
        guint8 again[MAX_PACKET + CR_LEAN_SRTP_TRAILER];
        gsize again_len = len;
        memcpy (again, buf, len);
        if (!cr_lean_srtp_unprotect_rtp (us, buf, &len) || len != size
            || memcmp (buf, plain, size) != 0)
          __builtin_trap ();
        /* the same packet again is a replay */
        if (cr_lean_srtp_unprotect_rtp (us, again, &again_len))
          __builtin_trap ();
      }
      cr_lean_srtp_free (peer);
    }
  }
  cr_lean_srtp_free (us);
  return 0;
}
