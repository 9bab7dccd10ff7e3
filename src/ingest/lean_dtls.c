/* DTLS-SRTP over our own datagram transport; see lean_dtls.h. */
#include "lean_dtls.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>

#define DTLS_MTU 1200
#define SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"

struct _CrLeanDtls {
  SSL *ssl;
  BIO *rbio; /* memory: what the peer sent */
  gboolean client;
  gboolean connected;
  gboolean failed;
  char *peer_hash; /* "sha-256" */
  char *peer_hex;  /* "AB:CD:..." upper case */
  CrLeanDtlsSendFunc send;
  gpointer user_data;
  char error[160];
};

/* ---- the process's certificate ---- */

static SSL_CTX *dtls_ctx;
static char *dtls_fingerprint;
static BIO_METHOD *dtls_out_method;

static int
dtls_verify_any (int ok, X509_STORE_CTX *store)
{
  return 1; /* self-signed: checked against the offer's fingerprint after the handshake */
}

/* "AB:CD:..." of @cert's @md digest. */
static char *
dtls_digest_hex (X509 *cert, const EVP_MD *md)
{
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!X509_digest (cert, md, digest, &n))
    return NULL;
  GString *out = g_string_sized_new (n * 3);
  for (unsigned int i = 0; i < n; i++)
    g_string_append_printf (out, i == 0 ? "%02X" : ":%02X", digest[i]);
  return g_string_free (out, FALSE);
}

/* The write side: each BIO_write is one datagram, handed to the session at once. */
static int
dtls_out_write (BIO *bio, const char *data, int len)
{
  CrLeanDtls *d = BIO_get_data (bio);
  if (d != NULL && len > 0)
    d->send ((const guint8 *)data, (gsize)len, d->user_data);
  return len;
}

static long
dtls_out_ctrl (BIO *bio, int cmd, long num, void *ptr)
{
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1;
  case BIO_CTRL_DGRAM_QUERY_MTU:
  case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
    return DTLS_MTU;
  case BIO_CTRL_WPENDING:
  case BIO_CTRL_PENDING:
    return 0;
  default:
    return 0;
  }
}

static int
dtls_out_create (BIO *bio)
{
  BIO_set_init (bio, 1);
  return 1;
}

static gboolean
dtls_make_context (GError **error)
{
  EVP_PKEY *key = EVP_EC_gen ("prime256v1");
  X509 *cert = X509_new ();
  gboolean ok = key != NULL && cert != NULL;
  if (ok) {
    X509_set_version (cert, 2);
    ASN1_INTEGER_set (X509_get_serialNumber (cert), (long)g_random_int_range (1, G_MAXINT32));
    X509_gmtime_adj (X509_getm_notBefore (cert), -86400);
    X509_gmtime_adj (X509_getm_notAfter (cert), 365L * 86400);
    X509_set_pubkey (cert, key);
    X509_NAME *name = X509_get_subject_name (cert);
    X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const unsigned char *)"cloudrec", -1, -1,
                                0);
    X509_set_issuer_name (cert, name);
    ok = X509_sign (cert, key, EVP_sha256 ()) > 0;
  }
  SSL_CTX *ctx = ok ? SSL_CTX_new (DTLS_method ()) : NULL;
  ok = ctx != NULL && SSL_CTX_use_certificate (ctx, cert) == 1
       && SSL_CTX_use_PrivateKey (ctx, key) == 1
       && SSL_CTX_check_private_key (ctx) == 1
       /* 0 means success for this one */
       && SSL_CTX_set_tlsext_use_srtp (ctx, SRTP_PROFILES) == 0;
  if (ok) {
    SSL_CTX_set_min_proto_version (ctx, DTLS1_2_VERSION);
    SSL_CTX_set_verify (ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, dtls_verify_any);
    SSL_CTX_set_read_ahead (ctx, 1);
    char *hex = dtls_digest_hex (cert, EVP_sha256 ());
    dtls_fingerprint = g_strconcat ("sha-256 ", hex, NULL);
    g_free (hex);
    dtls_out_method = BIO_meth_new (BIO_get_new_index () | BIO_TYPE_SOURCE_SINK, "cloudrec-dtls");
    BIO_meth_set_write (dtls_out_method, dtls_out_write);
    BIO_meth_set_ctrl (dtls_out_method, dtls_out_ctrl);
    BIO_meth_set_create (dtls_out_method, dtls_out_create);
    dtls_ctx = ctx;
  } else {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot make the DTLS certificate: %s",
                 ERR_reason_error_string (ERR_get_error ()));
    SSL_CTX_free (ctx);
  }
  X509_free (cert);
  EVP_PKEY_free (key);
  return ok;
}

gboolean
cr_lean_dtls_prepare (GError **error)
{
  static GMutex lock;
  g_mutex_lock (&lock);
  gboolean ok = dtls_ctx != NULL || dtls_make_context (error);
  g_mutex_unlock (&lock);
  return ok;
}

const char *
cr_lean_dtls_fingerprint (void)
{
  return dtls_fingerprint;
}

/* ---- one connection ---- */

CrLeanDtls *
cr_lean_dtls_new (gboolean client, const char *peer_fingerprint, CrLeanDtlsSendFunc send,
                  gpointer user_data, GError **error)
{
  if (!cr_lean_dtls_prepare (error))
    return NULL;
  const char *sp = peer_fingerprint != NULL ? strchr (peer_fingerprint, ' ') : NULL;
  if (sp == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "the offer's a=fingerprint is not \"HASH HEX\"");
    return NULL;
  }
  CrLeanDtls *d = g_new0 (CrLeanDtls, 1);
  d->client = client;
  d->send = send;
  d->user_data = user_data;
  d->peer_hash = g_ascii_strdown (peer_fingerprint, sp - peer_fingerprint);
  g_autofree char *hex = g_strdup (sp + 1);
  d->peer_hex = g_ascii_strup (g_strstrip (hex), -1);
  d->ssl = SSL_new (dtls_ctx);
  d->rbio = BIO_new (BIO_s_mem ());
  BIO_set_mem_eof_return (d->rbio, -1);
  BIO *wbio = BIO_new (dtls_out_method);
  BIO_set_data (wbio, d);
  SSL_set_bio (d->ssl, d->rbio, wbio);
  SSL_set_options (d->ssl, SSL_OP_NO_QUERY_MTU);
  SSL_set_mtu (d->ssl, DTLS_MTU);
  DTLS_set_link_mtu (d->ssl, DTLS_MTU);
  if (client)
    SSL_set_connect_state (d->ssl);
  else
    SSL_set_accept_state (d->ssl);
  return d;
}

void
cr_lean_dtls_free (CrLeanDtls *d)
{
  if (d == NULL)
    return;
  SSL_free (d->ssl); /* frees both BIOs */
  g_free (d->peer_hash);
  g_free (d->peer_hex);
  g_free (d);
}

static gboolean
dtls_peer_matches (CrLeanDtls *d)
{
  X509 *peer = SSL_get1_peer_certificate (d->ssl);
  if (peer == NULL) {
    g_strlcpy (d->error, "the peer sent no certificate", sizeof d->error);
    return FALSE;
  }
  const EVP_MD *md = EVP_get_digestbyname (d->peer_hash);
  if (md == NULL && g_str_has_prefix (d->peer_hash, "sha-")) {
    g_autofree char *name = g_strconcat ("sha", d->peer_hash + 4, NULL);
    md = EVP_get_digestbyname (name);
  }
  g_autofree char *hex = md != NULL ? dtls_digest_hex (peer, md) : NULL;
  X509_free (peer);
  if (hex == NULL || strcmp (hex, d->peer_hex) != 0) {
    g_snprintf (d->error, sizeof d->error,
                "the peer's certificate does not match the offer's fingerprint (%s)", d->peer_hash);
    return FALSE;
  }
  return TRUE;
}

/* Advances the handshake; what happened. */
static CrLeanDtlsEvent
dtls_step (CrLeanDtls *d)
{
  if (d->failed)
    return CR_LEAN_DTLS_NONE;
  if (d->connected) {
    /* Application data and alerts after the handshake: read and dropped (close_notify is seen
     * by the session from the record type). */
    char sink[256];
    while (SSL_read (d->ssl, sink, sizeof sink) > 0)
      ;
    ERR_clear_error ();
    return CR_LEAN_DTLS_NONE;
  }
  int rc = SSL_do_handshake (d->ssl);
  if (rc == 1) {
    if (!dtls_peer_matches (d)) {
      d->failed = TRUE;
      return CR_LEAN_DTLS_FAILED;
    }
    d->connected = TRUE;
    return CR_LEAN_DTLS_CONNECTED;
  }
  int err = SSL_get_error (d->ssl, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
    return CR_LEAN_DTLS_NONE;
  unsigned long e = ERR_get_error ();
  g_snprintf (d->error, sizeof d->error, "DTLS handshake failed: %s",
              e != 0 ? ERR_reason_error_string (e) : "error");
  ERR_clear_error ();
  d->failed = TRUE;
  return CR_LEAN_DTLS_FAILED;
}

CrLeanDtlsEvent
cr_lean_dtls_start (CrLeanDtls *d)
{
  return d->client ? dtls_step (d) : CR_LEAN_DTLS_NONE;
}

CrLeanDtlsEvent
cr_lean_dtls_receive (CrLeanDtls *d, const guint8 *data, gsize len)
{
  BIO_write (d->rbio, data, (int)len);
  return dtls_step (d);
}

CrLeanDtlsEvent
cr_lean_dtls_poll (CrLeanDtls *d)
{
  if (d->connected || d->failed)
    return CR_LEAN_DTLS_NONE;
  if (DTLSv1_handle_timeout (d->ssl) < 0) {
    g_strlcpy (d->error, "DTLS handshake timed out", sizeof d->error);
    d->failed = TRUE;
    return CR_LEAN_DTLS_FAILED;
  }
  return CR_LEAN_DTLS_NONE;
}

gboolean
cr_lean_dtls_connected (CrLeanDtls *d)
{
  return d->connected;
}

gboolean
cr_lean_dtls_is_client (CrLeanDtls *d)
{
  return d->client;
}

const char *
cr_lean_dtls_srtp_profile (CrLeanDtls *d)
{
  SRTP_PROTECTION_PROFILE *p = d->connected ? SSL_get_selected_srtp_profile (d->ssl) : NULL;
  return p != NULL ? p->name : NULL;
}

gboolean
cr_lean_dtls_export (CrLeanDtls *d, guint8 *out, gsize len)
{
  if (!d->connected)
    return FALSE;
  static const char label[] = "EXTRACTOR-dtls_srtp";
  return SSL_export_keying_material (d->ssl, out, len, label, sizeof label - 1, NULL, 0, 0) == 1;
}

const char *
cr_lean_dtls_error (CrLeanDtls *d)
{
  return d->error;
}
