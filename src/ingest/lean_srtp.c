/* SRTP and SRTCP packets (RFC 3711, RFC 7714) for the lean engine; see lean_srtp.h.
 *
 * Why our own: Debian's libsrtp2 does its crypto through NSS, which measured ~20% of the lean
 * engine's CPU; on libcrypto with contexts keyed once (lean_srtp_crypto.c) the same work costs a
 * fraction of that. This file holds the packet formats and the per-SSRC state: each direction
 * has its keys and a small table of SSRCs, an inbound one made on that SSRC's first packet that
 * authenticates (what libsrtp's "any inbound SSRC" template does), with the highest index and
 * replay window of its RTP and of its RTCP (lean_srtp_window.c). Nothing in a stream changes
 * before its packet has authenticated. The table holds STREAMS_MAX SSRCs; a new one past that
 * takes the place of the least recently used (a publisher has a handful; one that keeps
 * changing them must not be refused, nor grow the table). */
#include "lean_srtp.h"

#include "be_bytes.h"

#include <gio/gio.h>
#include <openssl/crypto.h>
#include <string.h>

#include "lean_srtp_crypto.h"
#include "lean_srtp_window.h"

#define STREAMS_MAX 64
#define RTP_HEADER_LEN 12
#define RTCP_HEADER_LEN 8 /* the first header and the sender's SSRC stay in the clear */
#define SRTCP_INDEX_LEN 4 /* E flag || 31-bit SRTCP index */
#define SRTCP_E_FLAG 0x80000000u
#define SRTCP_INDEX_MAX 0x7fffffffu

typedef struct {
  guint32 ssrc;
  guint64 last_used; /* the direction's packet count when last used */
  gboolean rtp_started, rtcp_started;
  CrLeanSrtpWindow rtp, rtcp; /* inbound: replay windows; outbound: highest RTP index sent */
  guint32 rtcp_next;          /* outbound: the next SRTCP index */
} Stream;

typedef struct {
  CrLeanSrtpTransform rtp, rtcp;
  Stream *streams; /* grown up to STREAMS_MAX as SSRCs appear */
  guint n_streams, capacity;
  guint64 packets;
} Direction;

struct _CrLeanSrtp {
  CrLeanSrtpProfile profile;
  Direction in, out;
};

gboolean
cr_lean_srtp_profile_parse (const char *name, CrLeanSrtpProfile *profile)
{
  if (g_strcmp0 (name, "SRTP_AES128_CM_SHA1_80") == 0)
    *profile = CR_LEAN_SRTP_AES128_CM_SHA1_80;
  else if (g_strcmp0 (name, "SRTP_AEAD_AES_128_GCM") == 0)
    *profile = CR_LEAN_SRTP_AEAD_AES_128_GCM;
  else
    return FALSE;
  return TRUE;
}

gsize
cr_lean_srtp_key_len (CrLeanSrtpProfile profile)
{
  return 16;
}

gsize
cr_lean_srtp_salt_len (CrLeanSrtpProfile profile)
{
  return profile == CR_LEAN_SRTP_AEAD_AES_128_GCM ? 12 : 14;
}

gsize
cr_lean_srtp_material_len (CrLeanSrtpProfile profile)
{
  return 2 * (cr_lean_srtp_key_len (profile) + cr_lean_srtp_salt_len (profile));
}

void
cr_lean_srtp_split (CrLeanSrtpProfile profile, const guint8 *m, gboolean we_are_client,
                    guint8 *local, guint8 *remote)
{
  gsize k = cr_lean_srtp_key_len (profile), s = cr_lean_srtp_salt_len (profile);
  const guint8 *client_key = m, *server_key = m + k;
  const guint8 *client_salt = m + 2 * k, *server_salt = m + 2 * k + s;
  memcpy (local, we_are_client ? client_key : server_key, k);
  memcpy (local + k, we_are_client ? client_salt : server_salt, s);
  memcpy (remote, we_are_client ? server_key : client_key, k);
  memcpy (remote + k, we_are_client ? server_salt : client_salt, s);
}

/* ---- keys and streams ---- */

static gboolean
direction_init (Direction *d, CrLeanSrtpProfile profile, gboolean encrypt, const guint8 *master)
{
  return cr_lean_srtp_transform_derive (&d->rtp, profile, encrypt, FALSE, master)
         && cr_lean_srtp_transform_derive (&d->rtcp, profile, encrypt, TRUE, master);
}

static void
direction_clear (Direction *d)
{
  cr_lean_srtp_transform_clear (&d->rtp);
  cr_lean_srtp_transform_clear (&d->rtcp);
  g_free (d->streams);
}

CrLeanSrtp *
cr_lean_srtp_new (CrLeanSrtpProfile profile, const guint8 *local, const guint8 *remote,
                  GError **error)
{
  CrLeanSrtp *s = g_new0 (CrLeanSrtp, 1);
  s->profile = profile;
  if (!direction_init (&s->in, profile, FALSE, remote)
      || !direction_init (&s->out, profile, TRUE, local)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "OpenSSL refused the SRTP keys");
    cr_lean_srtp_free (s);
    return NULL;
  }
  return s;
}

void
cr_lean_srtp_free (CrLeanSrtp *s)
{
  if (s == NULL)
    return;
  direction_clear (&s->in);
  direction_clear (&s->out);
  g_free (s);
}

static Stream *
stream_find (Direction *d, guint32 ssrc)
{
  for (guint i = 0; i < d->n_streams; i++)
    if (d->streams[i].ssrc == ssrc)
      return &d->streams[i];
  return NULL;
}

/* A fresh stream for @ssrc: a new slot, or the least recently used one's when the table is full.
 * (Pointers to streams do not outlive a packet: the table may move.) */
static Stream *
stream_add (Direction *d, guint32 ssrc)
{
  Stream *st;
  if (d->n_streams < STREAMS_MAX) {
    if (d->n_streams == d->capacity) {
      d->capacity = d->capacity == 0 ? 4 : MIN (2 * d->capacity, STREAMS_MAX);
      d->streams = g_renew (Stream, d->streams, d->capacity);
    }
    st = &d->streams[d->n_streams++];
  } else {
    st = &d->streams[0];
    for (guint i = 1; i < d->n_streams; i++)
      if (d->streams[i].last_used < st->last_used)
        st = &d->streams[i];
  }
  memset (st, 0, sizeof *st);
  st->ssrc = ssrc;
  return st;
}

static Stream *
stream_find_or_add (Direction *d, guint32 ssrc)
{
  Stream *st = stream_find (d, ssrc);
  return st != NULL ? st : stream_add (d, ssrc);
}

static guint32
read_be32 (const guint8 *p)
{
  return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static gsize
tag_len (CrLeanSrtpProfile profile)
{
  return profile == CR_LEAN_SRTP_AEAD_AES_128_GCM ? CR_LEAN_SRTP_GCM_TAG_LEN
                                                  : CR_LEAN_SRTP_CM_TAG_LEN;
}

/* The length of the RTP header of @data (fixed part, CSRCs, extension), what SRTP leaves in the
 * clear; 0 if it does not fit in @len bytes or is not RTP version 2. */
static gsize
rtp_header_len (const guint8 *data, gsize len)
{
  if (len < RTP_HEADER_LEN || (data[0] >> 6) != 2)
    return 0;
  gsize n = RTP_HEADER_LEN + 4 * (gsize)(data[0] & 0x0f);
  if (data[0] & 0x10) {
    if (len < n + 4)
      return 0;
    n += 4 + 4 * (gsize)(data[n + 2] << 8 | data[n + 3]);
  }
  return n <= len ? n : 0;
}

/* ---- RTP ---- */

/* Seals or opens the RTP packet @data (@len bytes without its tag, which follows) of index
 * @index in place with @t. */
static gboolean
rtp_transform (CrLeanSrtpTransform *t, guint8 *data, gsize len, gsize header_len, guint64 index)
{
  guint32 ssrc = read_be32 (data + 8);
  guint8 *payload = data + header_len, *tag = data + len;
  gsize payload_len = len - header_len;
  if (t->profile == CR_LEAN_SRTP_AEAD_AES_128_GCM)
    return t->encrypt ? cr_lean_srtp_gcm_seal (t, ssrc, index, data, header_len, NULL, 0, payload,
                                               payload_len, tag)
                      : cr_lean_srtp_gcm_open (t, ssrc, index, data, header_len, NULL, 0, payload,
                                               payload_len, tag);
  /* AES-CM: the tag is over the packet as sent, then the ROC (RFC 3711 4.2); the receiver checks
   * it before decrypting. */
  guint8 roc[4], mac[CR_LEAN_SRTP_HMAC_LEN];
  cr_be_put32 (roc, (guint32)(index >> 16));
  if (t->encrypt) {
    if (!cr_lean_srtp_cm_crypt (t, ssrc, index, payload, payload_len)
        || !cr_lean_srtp_hmac (t, data, len, roc, sizeof roc, mac))
      return FALSE;
    memcpy (tag, mac, CR_LEAN_SRTP_CM_TAG_LEN);
    return TRUE;
  }
  return cr_lean_srtp_hmac (t, data, len, roc, sizeof roc, mac)
         && CRYPTO_memcmp (mac, tag, CR_LEAN_SRTP_CM_TAG_LEN) == 0
         && cr_lean_srtp_cm_crypt (t, ssrc, index, payload, payload_len);
}

/* @st's RTP packet of @index went through (authenticated, or protected): its window and its
 * last use move on. */
static void
stream_took_rtp (Direction *d, Stream *st, guint64 index)
{
  if (st->rtp_started) {
    cr_lean_srtp_window_add (&st->rtp, index);
  } else {
    cr_lean_srtp_window_init (&st->rtp, index);
    st->rtp_started = TRUE;
  }
  st->last_used = ++d->packets;
}

gboolean
cr_lean_srtp_unprotect_rtp (CrLeanSrtp *s, guint8 *data, gsize *len)
{
  gsize tag = tag_len (s->profile);
  if (*len < RTP_HEADER_LEN + tag)
    return FALSE;
  gsize body = *len - tag, header_len = rtp_header_len (data, body);
  if (header_len == 0)
    return FALSE;
  guint32 ssrc = read_be32 (data + 8);
  guint16 seq = (guint16)(data[2] << 8 | data[3]);
  Direction *d = &s->in;
  Stream *st = stream_find (d, ssrc);
  gint64 index = seq; /* a new stream's first packet: ROC 0 */
  if (st != NULL && st->rtp_started) {
    index = cr_lean_srtp_index_estimate (st->rtp.highest, seq);
    if (index < 0 || !cr_lean_srtp_window_check (&st->rtp, (guint64)index))
      return FALSE;
  }
  if (!rtp_transform (&d->rtp, data, body, header_len, (guint64)index))
    return FALSE;
  if (st == NULL)
    st = stream_add (d, ssrc);
  stream_took_rtp (d, st, (guint64)index);
  *len = body;
  return TRUE;
}

gboolean
cr_lean_srtp_protect_rtp (CrLeanSrtp *s, guint8 *data, gsize *len)
{
  gsize header_len = rtp_header_len (data, *len);
  if (header_len == 0)
    return FALSE;
  Direction *d = &s->out;
  Stream *st = stream_find_or_add (d, read_be32 (data + 8));
  guint16 seq = (guint16)(data[2] << 8 | data[3]);
  gint64 index = st->rtp_started ? cr_lean_srtp_index_estimate (st->rtp.highest, seq) : seq;
  if (index < 0 || !rtp_transform (&d->rtp, data, *len, header_len, (guint64)index))
    return FALSE;
  stream_took_rtp (d, st, (guint64)index);
  *len += tag_len (s->profile);
  return TRUE;
}

/* ---- RTCP ---- */

gboolean
cr_lean_srtp_unprotect_rtcp (CrLeanSrtp *s, guint8 *data, gsize *len)
{
  gboolean gcm = s->profile == CR_LEAN_SRTP_AEAD_AES_128_GCM;
  gsize tag = tag_len (s->profile);
  if (*len < RTCP_HEADER_LEN + SRTCP_INDEX_LEN + tag)
    return FALSE;
  /* AES-CM: packet || E+index || tag; GCM: packet || tag || E+index (RFC 7714 9.1). */
  gsize body = *len - SRTCP_INDEX_LEN - tag;
  guint8 *trailer = gcm ? data + *len - SRTCP_INDEX_LEN : data + body;
  guint8 *tag_at = gcm ? data + body : data + body + SRTCP_INDEX_LEN;
  guint32 word = read_be32 (trailer), ssrc = read_be32 (data + 4);
  guint64 index = word & SRTCP_INDEX_MAX;
  gboolean encrypted = (word & SRTCP_E_FLAG) != 0;
  Direction *d = &s->in;
  Stream *st = stream_find (d, ssrc);
  if (st != NULL && st->rtcp_started && !cr_lean_srtp_window_check (&st->rtcp, index))
    return FALSE;
  CrLeanSrtpTransform *t = &d->rtcp;
  guint8 *enc = data + RTCP_HEADER_LEN;
  gsize enc_len = body - RTCP_HEADER_LEN;
  gboolean ok;
  if (gcm) {
    /* The associated data: the clear part (all of it if not encrypted), then E+index. */
    ok = encrypted ? cr_lean_srtp_gcm_open (t, ssrc, index, data, RTCP_HEADER_LEN, trailer,
                                            SRTCP_INDEX_LEN, enc, enc_len, tag_at)
                   : cr_lean_srtp_gcm_open (t, ssrc, index, data, body, trailer, SRTCP_INDEX_LEN,
                                            NULL, 0, tag_at);
  } else {
    guint8 mac[CR_LEAN_SRTP_HMAC_LEN];
    ok = cr_lean_srtp_hmac (t, data, body + SRTCP_INDEX_LEN, NULL, 0, mac)
         && CRYPTO_memcmp (mac, tag_at, CR_LEAN_SRTP_CM_TAG_LEN) == 0
         && (!encrypted || cr_lean_srtp_cm_crypt (t, ssrc, index, enc, enc_len));
  }
  if (!ok)
    return FALSE;
  if (st == NULL)
    st = stream_add (d, ssrc);
  if (st->rtcp_started) {
    cr_lean_srtp_window_add (&st->rtcp, index);
  } else {
    cr_lean_srtp_window_init (&st->rtcp, index);
    st->rtcp_started = TRUE;
  }
  st->last_used = ++d->packets;
  *len = body;
  return TRUE;
}

gboolean
cr_lean_srtp_protect_rtcp (CrLeanSrtp *s, guint8 *data, gsize *len)
{
  gsize n = *len;
  if (n < RTCP_HEADER_LEN)
    return FALSE;
  Direction *d = &s->out;
  guint32 ssrc = read_be32 (data + 4);
  Stream *st = stream_find_or_add (d, ssrc);
  if (st->rtcp_next > SRTCP_INDEX_MAX)
    return FALSE; /* the index space of this key is spent (RFC 3711 3.3.1) */
  guint32 index = st->rtcp_next;
  guint8 word[SRTCP_INDEX_LEN];
  cr_be_put32 (word, SRTCP_E_FLAG | index);
  CrLeanSrtpTransform *t = &d->rtcp;
  guint8 *enc = data + RTCP_HEADER_LEN;
  gsize enc_len = n - RTCP_HEADER_LEN;
  if (s->profile == CR_LEAN_SRTP_AEAD_AES_128_GCM) {
    if (!cr_lean_srtp_gcm_seal (t, ssrc, index, data, RTCP_HEADER_LEN, word, sizeof word, enc,
                                enc_len, data + n))
      return FALSE;
    memcpy (data + n + CR_LEAN_SRTP_GCM_TAG_LEN, word, sizeof word);
  } else {
    guint8 mac[CR_LEAN_SRTP_HMAC_LEN];
    memcpy (data + n, word, sizeof word);
    if (!cr_lean_srtp_cm_crypt (t, ssrc, index, enc, enc_len)
        || !cr_lean_srtp_hmac (t, data, n + sizeof word, NULL, 0, mac))
      return FALSE;
    memcpy (data + n + sizeof word, mac, CR_LEAN_SRTP_CM_TAG_LEN);
  }
  st->rtcp_next++;
  st->last_used = ++d->packets;
  *len = n + SRTCP_INDEX_LEN + tag_len (s->profile);
  return TRUE;
}
