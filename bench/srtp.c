/* The SRTP bench: how many 1200-byte RTP packets per second one core unprotects, the lean
 * engine's SRTP (src/ingest/lean_srtp.c, on libcrypto) against libsrtp2 as Debian builds it, for
 * AES128_CM_SHA1_80 and AEAD_AES_128_GCM.
 *
 * The packets are protected once by libsrtp, as a WebRTC peer sends them (one SSRC, consecutive
 * sequence numbers). Each round gives both receivers fresh contexts (a context accepts a packet
 * once) and the same packets, each copied into a scratch buffer first in both, alternating which
 * goes first; the per-packet CPU time (getrusage) of each round is kept and the median reported.
 *
 * Usage: srtp [OUT_JSON]   (BENCH_SRTP_PACKETS, default 16384; BENCH_SRTP_ROUNDS, default 7)
 * Prints a table; with OUT_JSON also writes the numbers there. */
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"

#include "ingest/lean_srtp.h"

#define PAYLOAD 1200
#define MAX_PACKET (12 + PAYLOAD + CR_LEAN_SRTP_TRAILER)

typedef struct {
  const char *name;
  CrLeanSrtpProfile profile;
  double ours_pps, lib_pps; /* medians */
} Result;

static srtp_t
lib_new (CrLeanSrtpProfile profile, const guint8 *key, gboolean inbound)
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
  policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.key = (unsigned char *)key;
  policy.window_size = 1024; /* what the lean engine used with libsrtp */
  policy.allow_repeat_tx = 1;
  srtp_t ctx = NULL;
  if (srtp_create (&ctx, &policy) != srtp_err_status_ok) {
    fprintf (stderr, "srtp: libsrtp refused the policy\n");
    exit (1);
  }
  return ctx;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double
median (double *v, guint n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Packets per CPU-second of unprotecting all @n packets with ours (fresh context). */
static double
run_ours (CrLeanSrtpProfile profile, const guint8 *key, guint8 (*wire)[MAX_PACKET],
          const gsize *wire_len, guint n)
{
  guint8 remote_key[30], local_key[30];
  memcpy (remote_key, key, sizeof remote_key);
  memset (local_key, 0x5a, sizeof local_key);
  CrLeanSrtp *s = cr_lean_srtp_new (profile, local_key, remote_key, NULL);
  if (s == NULL) {
    fprintf (stderr, "srtp: our context refused the keys\n");
    exit (1);
  }
  guint8 buf[MAX_PACKET];
  double t0 = bench_cpu_s ();
  for (guint i = 0; i < n; i++) {
    gsize len = wire_len[i];
    memcpy (buf, wire[i], len);
    if (!cr_lean_srtp_unprotect_rtp (s, buf, &len) || len != 12 + PAYLOAD) {
      fprintf (stderr, "srtp: ours refused packet %u\n", i);
      exit (1);
    }
  }
  double cpu = bench_cpu_s () - t0;
  cr_lean_srtp_free (s);
  return n / cpu;
}

/* The same with libsrtp. */
static double
run_lib (CrLeanSrtpProfile profile, const guint8 *key, guint8 (*wire)[MAX_PACKET],
         const gsize *wire_len, guint n)
{
  srtp_t ctx = lib_new (profile, key, TRUE);
  guint8 buf[MAX_PACKET];
  double t0 = bench_cpu_s ();
  for (guint i = 0; i < n; i++) {
    int len = (int)wire_len[i];
    memcpy (buf, wire[i], (gsize)len);
    if (srtp_unprotect (ctx, buf, &len) != srtp_err_status_ok || len != 12 + PAYLOAD) {
      fprintf (stderr, "srtp: libsrtp refused packet %u\n", i);
      exit (1);
    }
  }
  double cpu = bench_cpu_s () - t0;
  srtp_dealloc (ctx);
  return n / cpu;
}

static void
bench_profile (Result *r, guint n, guint rounds)
{
  guint8 key[30];
  for (guint i = 0; i < sizeof key; i++)
    key[i] = (guint8)(i * 17 + 5);
  guint8(*wire)[MAX_PACKET] = g_malloc ((gsize)n * sizeof *wire);
  gsize *wire_len = g_new (gsize, n);
  srtp_t sender = lib_new (r->profile, key, FALSE);
  for (guint i = 0; i < n; i++) {
    guint16 seq = (guint16)(1000 + i);
    guint8 *p = wire[i];
    p[0] = 0x80;
    p[1] = 96;
    p[2] = (guint8)(seq >> 8);
    p[3] = (guint8)seq;
    memset (p + 4, 0, 4);
    p[8] = 0x12, p[9] = 0x34, p[10] = 0x56, p[11] = 0x78;
    for (guint k = 0; k < PAYLOAD; k++)
      p[12 + k] = (guint8)(k + i);
    int len = 12 + PAYLOAD;
    if (srtp_protect (sender, p, &len) != srtp_err_status_ok) {
      fprintf (stderr, "srtp: libsrtp could not protect\n");
      exit (1);
    }
    wire_len[i] = (gsize)len;
  }
  srtp_dealloc (sender);
  double *ours = g_new (double, rounds), *lib = g_new (double, rounds);
  for (guint round = 0; round < rounds; round++) {
    if (round % 2 == 0) {
      ours[round] = run_ours (r->profile, key, wire, wire_len, n);
      lib[round] = run_lib (r->profile, key, wire, wire_len, n);
    } else {
      lib[round] = run_lib (r->profile, key, wire, wire_len, n);
      ours[round] = run_ours (r->profile, key, wire, wire_len, n);
    }
  }
  r->ours_pps = median (ours, rounds);
  r->lib_pps = median (lib, rounds);
  g_free (ours);
  g_free (lib);
  g_free (wire_len);
  g_free (wire);
}

int
main (int argc, char **argv)
{
  const char *env_n = g_getenv ("BENCH_SRTP_PACKETS"), *env_r = g_getenv ("BENCH_SRTP_ROUNDS");
  guint n = env_n != NULL ? (guint)atoi (env_n) : 16384;
  guint rounds = env_r != NULL ? (guint)atoi (env_r) : 7;
  if (n == 0 || n > 60000 || rounds == 0) {
    fprintf (stderr, "srtp: BENCH_SRTP_PACKETS must be 1..60000, BENCH_SRTP_ROUNDS >= 1\n");
    return 2;
  }
  if (srtp_init () != srtp_err_status_ok) {
    fprintf (stderr, "srtp: libsrtp cannot start\n");
    return 1;
  }
  Result results[] = {
    { "AES128_CM_SHA1_80", CR_LEAN_SRTP_AES128_CM_SHA1_80, 0, 0 },
    { "AEAD_AES_128_GCM", CR_LEAN_SRTP_AEAD_AES_128_GCM, 0, 0 },
  };
  printf ("unprotect of %u-byte RTP payloads, %u packets x %u rounds, median packets per CPU-second\n",
          PAYLOAD, n, rounds);
  printf ("%-18s %14s %14s %8s %10s %10s\n", "profile", "ours pkt/s", "libsrtp pkt/s", "ratio",
          "ours ns", "libsrtp ns");
  for (guint i = 0; i < G_N_ELEMENTS (results); i++) {
    Result *r = &results[i];
    bench_profile (r, n, rounds);
    printf ("%-18s %14.0f %14.0f %7.2fx %10.0f %10.0f\n", r->name, r->ours_pps, r->lib_pps,
            r->ours_pps / r->lib_pps, 1e9 / r->ours_pps, 1e9 / r->lib_pps);
  }
  srtp_shutdown ();
  if (argc > 1) {
    FILE *f = fopen (argv[1], "w");
    if (f == NULL) {
      perror (argv[1]);
      return 1;
    }
    fprintf (f, "{\"payload_bytes\": %d, \"packets\": %u, \"rounds\": %u, \"results\": [", PAYLOAD,
             n, rounds);
    for (guint i = 0; i < G_N_ELEMENTS (results); i++)
      fprintf (f, "%s{\"profile\": \"%s\", \"ours_pps\": %.0f, \"libsrtp_pps\": %.0f, \"ratio\": %.3f}",
               i ? ", " : "", results[i].name, results[i].ours_pps, results[i].lib_pps,
               results[i].ours_pps / results[i].lib_pps);
    fprintf (f, "]}\n");
    fclose (f);
  }
  return 0;
}
