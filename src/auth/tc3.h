/* TC3-HMAC-SHA256: verifying the signature the Tencent Cloud SDKs put on every API call.
 *
 * Why it is lenient in exactly these ways (reference §3.4): the SDKs disagree on what they sign.
 * Node/Python/Java take the credential-scope service from the first DNS label of the endpoint
 * ("127" for 127.0.0.1:8080) and Node signs the host without its port while sending it with the
 * port. So the service and date are taken from the Credential scope as sent, and the host is tried
 * as received and then without ":port". Everything else is strict: a ±300 s clock window, the
 * scope date must be the timestamp's UTC date, host and content-type must be signed, and the
 * signature is compared in constant time.
 *
 * Pure: the caller passes the clock and a secret lookup; no I/O. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_TC3_DEFAULT_SKEW_S 300

/* Returns the value of a request header by lowercase name, or NULL. */
typedef const char *(*CrTc3HeaderFunc) (const char *lower_name, gpointer user_data);
/* Returns the SecretKey for @secret_id, or NULL if it is unknown. */
typedef const char *(*CrTc3SecretFunc) (const char *secret_id, gpointer user_data);

typedef struct {
  const char *method;    /* "POST" or "GET" */
  const char *raw_query; /* GET: the query exactly as on the request line; POST: "" */
  const guchar *body;    /* raw body bytes */
  gsize body_len;
  CrTc3HeaderFunc header; /* request headers */
  gpointer header_data;
} CrTc3Request;

/* Verifies the Authorization header of @req at time @now_s. On success returns TRUE and the
 * SecretId that signed it in @out_secret_id. Errors (CR_API_ERROR):
 * AuthFailure.InvalidAuthorization (missing or malformed headers), AuthFailure.SecretIdNotFound,
 * AuthFailure.SignatureExpire (outside ±@max_skew_s), AuthFailure.SignatureFailure (mismatch). */
gboolean cr_tc3_verify (const CrTc3Request *req, gint64 now_s, gint64 max_skew_s,
                        CrTc3SecretFunc secret, gpointer secret_data, char **out_secret_id,
                        GError **error);

/* Computes the Authorization header value the SDKs would send (content-type;host signed).
 * Used by tests, benches and `cloudrec` client tools. */
char *cr_tc3_authorization (const char *secret_id, const char *secret_key, const char *service,
                            const char *method, const char *raw_query, const char *content_type,
                            const char *host, const guchar *body, gsize body_len, gint64 ts);

G_END_DECLS
