/* AWS SigV4 signing; sigv4.h explains why it is ours and how paths are treated. */
#include "sigv4.h"

#include <stdlib.h>
#include <string.h>

#include "auth/crypto_util.h"

static gboolean
is_unreserved (guchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_' || c == '~';
}

char *
cr_sigv4_uri_encode (const char *s, gssize len, gboolean keep_slash)
{
  static const char hex[] = "0123456789ABCDEF";
  if (len < 0)
    len = (gssize)strlen (s);
  GString *out = g_string_sized_new ((gsize)len + 16);
  for (gssize i = 0; i < len; i++) {
    guchar c = (guchar)s[i];
    if (is_unreserved (c) || (keep_slash && c == '/')) {
      g_string_append_c (out, (char)c);
    } else {
      g_string_append_c (out, '%');
      g_string_append_c (out, hex[c >> 4]);
      g_string_append_c (out, hex[c & 15]);
    }
  }
  return g_string_free (out, FALSE);
}

char *
cr_sigv4_encode_path (const char *raw)
{
  g_autofree char *enc = cr_sigv4_uri_encode (raw, -1, TRUE);
  if (enc[0] == '/')
    return g_steal_pointer (&enc);
  return g_strconcat ("/", enc, NULL);
}

typedef struct {
  char *name;
  char *value;
} EncPair;

static int
enc_pair_cmp (gconstpointer a, gconstpointer b)
{
  const EncPair *x = a, *y = b;
  int c = strcmp (x->name, y->name);
  return c != 0 ? c : strcmp (x->value, y->value);
}

char *
cr_sigv4_canonical_query (const CrSigv4Pair *params, gsize n)
{
  EncPair *enc = g_new0 (EncPair, n + 1);
  for (gsize i = 0; i < n; i++) {
    enc[i].name = cr_sigv4_uri_encode (params[i].name, -1, FALSE);
    enc[i].value = cr_sigv4_uri_encode (params[i].value ? params[i].value : "", -1, FALSE);
  }
  if (n > 1)
    qsort (enc, n, sizeof *enc, enc_pair_cmp);
  GString *out = g_string_new (NULL);
  for (gsize i = 0; i < n; i++) {
    if (i > 0)
      g_string_append_c (out, '&');
    g_string_append_printf (out, "%s=%s", enc[i].name, enc[i].value);
    g_free (enc[i].name);
    g_free (enc[i].value);
  }
  g_free (enc);
  return g_string_free (out, FALSE);
}

/* Trimmed, with every run of white space inside collapsed to one space (AWS's rule, quotes
 * included: get-header-value-trim). */
static void
append_trimmed (GString *out, const char *v)
{
  gboolean space = FALSE, any = FALSE;
  for (const char *p = v ? v : ""; *p; p++) {
    if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
      space = TRUE;
      continue;
    }
    if (space && any)
      g_string_append_c (out, ' ');
    space = FALSE;
    any = TRUE;
    g_string_append_c (out, *p);
  }
}

typedef struct {
  char *name; /* lowercase */
  const char *value;
  gsize order;
} Hdr;

static int
hdr_cmp (gconstpointer a, gconstpointer b)
{
  const Hdr *x = a, *y = b;
  int c = strcmp (x->name, y->name);
  if (c != 0)
    return c;
  return x->order < y->order ? -1 : x->order > y->order;
}

static gboolean
amz_date_is_valid (const char *d)
{
  if (!d || strlen (d) != 16 || d[8] != 'T' || d[15] != 'Z')
    return FALSE;
  for (int i = 0; i < 15; i++) {
    if (i != 8 && !g_ascii_isdigit (d[i]))
      return FALSE;
  }
  return TRUE;
}

static void
hmac_str (const guchar *key, gsize key_len, const char *msg, guchar out[32])
{
  cr_hmac_sha256 (key, key_len, (const guchar *)msg, strlen (msg), out);
}

void
cr_sigv4_result_clear (CrSigv4Result *r)
{
  g_clear_pointer (&r->canonical_request, g_free);
  g_clear_pointer (&r->string_to_sign, g_free);
  g_clear_pointer (&r->signed_headers, g_free);
  g_clear_pointer (&r->signature, g_free);
  g_clear_pointer (&r->authorization, g_free);
}

gboolean
cr_sigv4_sign (const CrSigv4Request *req, CrSigv4Result *out)
{
  memset (out, 0, sizeof *out);
  if (!req->method || !req->path || !req->payload_hash || !amz_date_is_valid (req->amz_date)
      || !req->region || !req->service || !req->access_key || !req->secret_key
      || (req->n_query > 0 && !req->query) || (req->n_headers > 0 && !req->headers))
    return FALSE;

  GString *cr = g_string_new (req->method);
  g_string_append_c (cr, '\n');
  if (req->double_encode) {
    g_autofree char *twice = cr_sigv4_uri_encode (req->path, -1, TRUE);
    g_string_append (cr, twice[0] ? twice : "/");
  } else {
    g_string_append (cr, req->path[0] ? req->path : "/");
  }
  g_string_append_c (cr, '\n');
  g_autofree char *query = cr_sigv4_canonical_query (req->query, req->n_query);
  g_string_append (cr, query);
  g_string_append_c (cr, '\n');

  Hdr *h = g_new0 (Hdr, req->n_headers + 1);
  for (gsize i = 0; i < req->n_headers; i++) {
    g_autofree char *trimmed = g_strstrip (g_strdup (req->headers[i].name));
    h[i].name = g_ascii_strdown (trimmed, -1);
    h[i].value = req->headers[i].value;
    h[i].order = i;
  }
  if (req->n_headers > 1)
    qsort (h, req->n_headers, sizeof *h, hdr_cmp);
  GString *signed_headers = g_string_new (NULL);
  for (gsize i = 0; i < req->n_headers; i++) {
    if (i > 0 && strcmp (h[i].name, h[i - 1].name) == 0) {
      /* A repeated name: its values join the line above, in the order given. */
      g_string_truncate (cr, cr->len - 1);
      g_string_append_c (cr, ',');
    } else {
      if (signed_headers->len > 0)
        g_string_append_c (signed_headers, ';');
      g_string_append (signed_headers, h[i].name);
      g_string_append (cr, h[i].name);
      g_string_append_c (cr, ':');
    }
    append_trimmed (cr, h[i].value);
    g_string_append_c (cr, '\n');
  }
  for (gsize i = 0; i < req->n_headers; i++)
    g_free (h[i].name);
  g_free (h);
  g_string_append_c (cr, '\n');
  g_string_append (cr, signed_headers->str);
  g_string_append_c (cr, '\n');
  g_string_append (cr, req->payload_hash);

  char date[9];
  memcpy (date, req->amz_date, 8);
  date[8] = '\0';
  g_autofree char *cr_hash = cr_sha256_hex ((const guchar *)cr->str, cr->len);
  g_autofree char *scope
      = g_strdup_printf ("%s/%s/%s/aws4_request", date, req->region, req->service);
  out->string_to_sign
      = g_strdup_printf ("AWS4-HMAC-SHA256\n%s\n%s\n%s", req->amz_date, scope, cr_hash);

  g_autofree char *k_secret = g_strconcat ("AWS4", req->secret_key, NULL);
  guchar k_date[32], k_region[32], k_service[32], k_signing[32], sig[32];
  hmac_str ((const guchar *)k_secret, strlen (k_secret), date, k_date);
  hmac_str (k_date, 32, req->region, k_region);
  hmac_str (k_region, 32, req->service, k_service);
  hmac_str (k_service, 32, "aws4_request", k_signing);
  hmac_str (k_signing, 32, out->string_to_sign, sig);
  memset (k_secret, 0, strlen (k_secret));
  memset (k_signing, 0, sizeof k_signing);

  out->canonical_request = g_string_free (cr, FALSE);
  out->signed_headers = g_string_free (signed_headers, FALSE);
  out->signature = cr_hex_encode (sig, 32);
  out->authorization
      = g_strdup_printf ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                         req->access_key, scope, out->signed_headers, out->signature);
  return TRUE;
}

char *
cr_sigv4_amz_date (gint64 unix_seconds)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (unix_seconds);
  if (!dt)
    return NULL;
  return g_date_time_format (dt, "%Y%m%dT%H%M%SZ");
}

char *
cr_sigv4_presign_query (const char *method, const char *host, const char *path, const char *region,
                        const char *service, const char *access_key, const char *secret_key,
                        const char *amz_date, gint64 expires_s)
{
  if (!host || !region || !service || !access_key || !amz_date_is_valid (amz_date))
    return NULL;
  g_autofree char *credential
      = g_strdup_printf ("%s/%.8s/%s/%s/aws4_request", access_key, amz_date, region, service);
  g_autofree char *expires = g_strdup_printf ("%" G_GINT64_FORMAT, expires_s);
  CrSigv4Pair query[] = { { "X-Amz-Algorithm", "AWS4-HMAC-SHA256" },
                          { "X-Amz-Credential", credential },
                          { "X-Amz-Date", amz_date },
                          { "X-Amz-Expires", expires },
                          { "X-Amz-SignedHeaders", "host" } };
  CrSigv4Pair headers[] = { { "host", host } };
  CrSigv4Request req = { .method = method,
                         .path = path,
                         .query = query,
                         .n_query = 5,
                         .headers = headers,
                         .n_headers = 1,
                         .payload_hash = "UNSIGNED-PAYLOAD",
                         .amz_date = amz_date,
                         .region = region,
                         .service = service,
                         .access_key = access_key,
                         .secret_key = secret_key };
  CrSigv4Result sig;
  if (!cr_sigv4_sign (&req, &sig))
    return NULL;
  g_autofree char *signed_query = cr_sigv4_canonical_query (query, 5);
  char *out = g_strconcat (signed_query, "&X-Amz-Signature=", sig.signature, NULL);
  cr_sigv4_result_clear (&sig);
  return out;
}
