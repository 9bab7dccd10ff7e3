/* TC3-HMAC-SHA256 verification and signing; tc3.h explains where it is lenient and why. */
#include "tc3.h"

#include <string.h>

#include "auth/crypto_util.h"
#include "common/api_error.h"

#define AUTH_INVALID "AuthFailure.InvalidAuthorization"
#define ALGORITHM "TC3-HMAC-SHA256"

typedef struct {
  char *secret_id;
  char *date;
  char *service;
  char **signed_headers; /* lowercase names, in the order given */
  char *signature;       /* 64 lowercase hex */
} Tc3Auth;

static void
tc3_auth_clear (Tc3Auth *a)
{
  g_free (a->secret_id);
  g_free (a->date);
  g_free (a->service);
  g_strfreev (a->signed_headers);
  g_free (a->signature);
}

static gboolean
is_lower_hex (const char *s, gsize want_len)
{
  if (strlen (s) != want_len)
    return FALSE;
  for (const char *p = s; *p; p++) {
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  }
  return TRUE;
}

static gboolean
is_header_name (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (const char *p = s; *p; p++) {
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-')
      return FALSE;
  }
  return TRUE;
}

/* "Credential=<id>/<date>/<service>/tc3_request" -> id, date, service. */
static gboolean
tc3_parse_credential (const char *cred, Tc3Auth *a, GError **error)
{
  const char *slash = strchr (cred, '/');
  const char *suffix = "/tc3_request";
  gsize len = strlen (cred);
  if (slash == NULL || slash == cred || len < strlen (suffix)
      || strcmp (cred + len - strlen (suffix), suffix) != 0) {
    cr_api_error_set (
        error, AUTH_INVALID,
        "Authorization Credential must be <SecretId>/<YYYY-MM-DD>/<service>/tc3_request");
    return FALSE;
  }
  const char *date = slash + 1;
  const char *service_end = cred + len - strlen (suffix);
  if (service_end - date < 12 || date[10] != '/') {
    cr_api_error_set (error, AUTH_INVALID, "Authorization Credential has no date and service");
    return FALSE;
  }
  a->secret_id = g_strndup (cred, (gsize)(slash - cred));
  a->date = g_strndup (date, 10);
  a->service = g_strndup (date + 11, (gsize)(service_end - (date + 11)));
  return TRUE;
}

static gboolean
tc3_parse_authorization (const char *value, Tc3Auth *a, GError **error)
{
  if (value == NULL) {
    cr_api_error_set (error, AUTH_INVALID, "the Authorization header is missing");
    return FALSE;
  }
  if (!g_str_has_prefix (value, ALGORITHM " ")) {
    cr_api_error_set (error, AUTH_INVALID, "Authorization must use the %s algorithm", ALGORITHM);
    return FALSE;
  }
  g_auto (GStrv) parts = g_strsplit (value + strlen (ALGORITHM) + 1, ",", 0);
  const char *cred = NULL, *signed_headers = NULL, *signature = NULL;
  for (char **p = parts; *p; p++) {
    char *part = g_strstrip (*p);
    if (g_str_has_prefix (part, "Credential="))
      cred = part + strlen ("Credential=");
    else if (g_str_has_prefix (part, "SignedHeaders="))
      signed_headers = part + strlen ("SignedHeaders=");
    else if (g_str_has_prefix (part, "Signature="))
      signature = part + strlen ("Signature=");
  }
  if (cred == NULL || signed_headers == NULL || signature == NULL) {
    cr_api_error_set (error, AUTH_INVALID,
                      "Authorization must carry Credential, SignedHeaders and Signature");
    return FALSE;
  }
  if (!tc3_parse_credential (cred, a, error))
    return FALSE;
  if (!is_lower_hex (signature, 64)) {
    cr_api_error_set (error, AUTH_INVALID,
                      "Authorization Signature must be 64 lowercase hex digits");
    return FALSE;
  }
  a->signature = g_strdup (signature);
  a->signed_headers = g_strsplit (signed_headers, ";", 0);
  gboolean has_host = FALSE, has_ct = FALSE;
  for (char **h = a->signed_headers; *h; h++) {
    if (!is_header_name (*h)) {
      cr_api_error_set (error, AUTH_INVALID, "SignedHeaders must be lowercase header names");
      return FALSE;
    }
    has_host |= g_strcmp0 (*h, "host") == 0;
    has_ct |= g_strcmp0 (*h, "content-type") == 0;
  }
  if (!has_host || !has_ct) {
    cr_api_error_set (error, AUTH_INVALID, "SignedHeaders must include content-type and host");
    return FALSE;
  }
  return TRUE;
}

/* Lowercase hex SHA-256 of the canonical request for one candidate host value. */
static char *
tc3_canonical_hash (const CrTc3Request *req, char **signed_headers, const char *host,
                    const char *query, const char *payload_hash)
{
  g_autoptr (GString) canon = g_string_new (NULL);
  g_string_append_printf (canon, "%s\n/\n%s\n", req->method, query);
  for (char **h = signed_headers; *h; h++) {
    const char *v = g_strcmp0 (*h, "host") == 0 ? host : req->header (*h, req->header_data);
    g_autofree char *trimmed = g_strstrip (g_strdup (v != NULL ? v : ""));
    g_string_append_printf (canon, "%s:%s\n", *h, trimmed);
  }
  g_autofree char *joined = g_strjoinv (";", signed_headers);
  g_string_append_printf (canon, "\n%s\n%s", joined, payload_hash);
  return cr_sha256_hex ((const guchar *)canon->str, canon->len);
}

static char *
tc3_encode_tilde (const char *query)
{
  g_auto (GStrv) parts = g_strsplit (query, "~", -1);
  return g_strjoinv ("%7E", parts);
}

static void
tc3_signing_key (const char *secret_key, const char *date, const char *service, guchar out[32])
{
  g_autofree char *k = g_strconcat ("TC3", secret_key, NULL);
  guchar k_date[32], k_service[32];
  cr_hmac_sha256 ((const guchar *)k, strlen (k), (const guchar *)date, strlen (date), k_date);
  cr_hmac_sha256 (k_date, 32, (const guchar *)service, strlen (service), k_service);
  cr_hmac_sha256 (k_service, 32, (const guchar *)"tc3_request", strlen ("tc3_request"), out);
}

static char *
tc3_signature (const guchar key[32], const char *ts, const char *date, const char *service,
               const char *canonical_hash)
{
  g_autofree char *to_sign = g_strdup_printf (ALGORITHM "\n%s\n%s/%s/tc3_request\n%s", ts, date,
                                              service, canonical_hash);
  guchar sig[32];
  cr_hmac_sha256 (key, 32, (const guchar *)to_sign, strlen (to_sign), sig);
  return cr_hex_encode (sig, 32);
}

static gboolean
tc3_parse_timestamp (const char *text, gint64 *out, GError **error)
{
  guint64 v = 0;
  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64 / 1000, &v, NULL)) {
    cr_api_error_set (error, AUTH_INVALID, "X-TC-Timestamp must be Unix seconds in decimal");
    return FALSE;
  }
  *out = (gint64)v;
  return TRUE;
}

static char *
tc3_utc_date (gint64 ts)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (ts);
  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d") : g_strdup ("");
}

gboolean
cr_tc3_verify (const CrTc3Request *req, gint64 now_s, gint64 max_skew_s, CrTc3SecretFunc secret,
               gpointer secret_data, char **out_secret_id, GError **error)
{
  Tc3Auth a = { 0 };
  gboolean ok = FALSE;
  const char *ts_text = req->header ("x-tc-timestamp", req->header_data);
  const char *host = req->header ("host", req->header_data);
  gint64 ts = 0;
  /* Declared before the first goto: cleanup attributes run on every exit path. */
  g_autofree char *want_date = NULL, *payload_hash = NULL, *bare_host = NULL, *tilde_query = NULL;

  if (!tc3_parse_authorization (req->header ("authorization", req->header_data), &a, error))
    goto out;
  if (!tc3_parse_timestamp (ts_text, &ts, error))
    goto out;
  if (host == NULL || *host == '\0') {
    cr_api_error_set (error, AUTH_INVALID, "the Host header is missing");
    goto out;
  }
  if (ts < now_s - max_skew_s || ts > now_s + max_skew_s) {
    cr_api_error_set (error, "AuthFailure.SignatureExpire",
                      "X-TC-Timestamp %" G_GINT64_FORMAT " is %" G_GINT64_FORMAT
                      " s away from the server time; at most %" G_GINT64_FORMAT " s are allowed",
                      ts, ts > now_s ? ts - now_s : now_s - ts, max_skew_s);
    goto out;
  }
  want_date = tc3_utc_date (ts);
  if (g_strcmp0 (a.date, want_date) != 0) {
    cr_api_error_set (error, AUTH_INVALID,
                      "the Credential date %s is not the UTC date of X-TC-Timestamp (%s)", a.date,
                      want_date);
    goto out;
  }
  const char *key = secret (a.secret_id, secret_data);
  if (key == NULL) {
    cr_api_error_set (error, "AuthFailure.SecretIdNotFound", "SecretId %s is not known",
                      a.secret_id);
    goto out;
  }

  const char *unsigned_payload = req->header ("x-tc-content-sha256", req->header_data);
  payload_hash
      = g_strcmp0 (unsigned_payload, "UNSIGNED-PAYLOAD") == 0
            ? cr_sha256_hex ((const guchar *)"UNSIGNED-PAYLOAD", strlen ("UNSIGNED-PAYLOAD"))
            : cr_sha256_hex (req->body != NULL ? req->body : (const guchar *)"", req->body_len);
  guchar signing_key[32];
  tc3_signing_key (key, a.date, a.service, signing_key);

  /* Host as received, then without its port (Node signs the bare hostname). */
  const char *colon = strrchr (host, ':');
  if (colon != NULL && host[0] != '[')
    bare_host = g_strndup (host, (gsize)(colon - host));
  else if (colon != NULL && strstr (host, "]:") != NULL)
    bare_host = g_strndup (host, (gsize)(strstr (host, "]:") + 1 - host));
  /* The HTTP layer hands the query over with unreserved characters decoded; Java's URLEncoder
   * signs '~' as "%7E", so that spelling is a second candidate. */
  const char *query = req->raw_query != NULL ? req->raw_query : "";
  tilde_query = strchr (query, '~') != NULL ? tc3_encode_tilde (query) : NULL;
  const char *hosts[] = { host, bare_host };
  const char *queries[] = { query, tilde_query };
  for (guint i = 0; i < G_N_ELEMENTS (hosts) && !ok; i++) {
    for (guint j = 0; j < G_N_ELEMENTS (queries) && !ok; j++) {
      if (hosts[i] == NULL || queries[j] == NULL)
        continue;
      g_autofree char *canon
          = tc3_canonical_hash (req, a.signed_headers, hosts[i], queries[j], payload_hash);
      g_autofree char *sig = tc3_signature (signing_key, ts_text, a.date, a.service, canon);
      ok = cr_const_time_equal ((const guchar *)sig, (const guchar *)a.signature, 64);
    }
  }
  if (!ok) {
    cr_api_error_set (error, "AuthFailure.SignatureFailure",
                      "The provided credentials could not be validated. Please check your "
                      "signature is correct.");
    goto out;
  }
  if (out_secret_id != NULL)
    *out_secret_id = g_steal_pointer (&a.secret_id);
out:
  tc3_auth_clear (&a);
  return ok;
}

char *
cr_tc3_authorization (const char *secret_id, const char *secret_key, const char *service,
                      const char *method, const char *raw_query, const char *content_type,
                      const char *host, const guchar *body, gsize body_len, gint64 ts)
{
  g_autofree char *payload_hash
      = cr_sha256_hex (body != NULL ? body : (const guchar *)"", body_len);
  g_autofree char *canon_text
      = g_strdup_printf ("%s\n/\n%s\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s", method,
                         raw_query != NULL ? raw_query : "", content_type, host, payload_hash);
  g_autofree char *canon = cr_sha256_hex ((const guchar *)canon_text, strlen (canon_text));
  g_autofree char *date = tc3_utc_date (ts);
  g_autofree char *ts_text = g_strdup_printf ("%" G_GINT64_FORMAT, ts);
  guchar key[32];
  tc3_signing_key (secret_key, date, service, key);
  g_autofree char *sig = tc3_signature (key, ts_text, date, service, canon);
  return g_strdup_printf (ALGORITHM " Credential=%s/%s/%s/tc3_request, "
                                    "SignedHeaders=content-type;host, Signature=%s",
                          secret_id, date, service, sig);
}
