/* AWS Signature Version 4 (AWS4-HMAC-SHA256), computed by hand for the S3 client.
 *
 * Why our own: Debian 12's libcurl CURLOPT_AWS_SIGV4 omits x-amz-content-sha256, neither sorts
 * nor encodes the query, mis-signs "?uploads" and signs the path as given, while our object keys
 * hold '+' and '='. This module is pure (no I/O, no clock): the caller gives the date, the
 * encoded path, the raw query parameters and the headers to sign, and gets back the canonical
 * request, the string to sign, the signature and the Authorization header value, so every step
 * can be checked against AWS's published vectors (tests/unit/test_sigv4.c).
 *
 * Paths: S3 signs the path exactly as it is sent, each segment URI-encoded once (RFC 3986
 * unreserved set kept, '/' kept). cr_sigv4_encode_path() produces that path from a raw one and
 * the client puts the same string on the request line. Other AWS services encode the wire path a
 * second time in the canonical request: CrSigv4Request.double_encode. No path normalization is
 * done (S3 does none; our keys never hold "." or ".." segments). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *name;
  const char *value; /* NULL or "" both sign as "name=" (e.g. "?uploads") */
} CrSigv4Pair;

/* URI-encodes @len bytes of @s (-1: NUL-terminated): every byte outside A-Za-z0-9-._~ becomes
 * %XX (uppercase hex), '/' too unless @keep_slash. */
char *cr_sigv4_uri_encode (const char *s, gssize len, gboolean keep_slash);

/* The request-line path of the raw path @raw ("/bucket/a+b=c.ts" -> "/bucket/a%2Bb%3Dc.ts"):
 * each segment encoded, '/' kept, a leading '/' added when missing. */
char *cr_sigv4_encode_path (const char *raw);

/* The canonical query string of @n raw parameters: names and values encoded, sorted by encoded
 * name then encoded value, "name=value" joined by '&'. Also what the client sends. */
char *cr_sigv4_canonical_query (const CrSigv4Pair *params, gsize n);

typedef struct {
  const char *method;       /* "GET", "PUT", ... */
  const char *path;         /* as on the request line, already encoded (cr_sigv4_encode_path) */
  const CrSigv4Pair *query; /* raw (decoded) parameters, any order */
  gsize n_query;
  const CrSigv4Pair *headers; /* every header to sign, host and x-amz-date included; names in
                               * any case, repeated names are joined with ',' in order */
  gsize n_headers;
  const char *payload_hash; /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
  const char *amz_date;     /* "YYYYMMDDTHHMMSSZ" */
  const char *region;
  const char *service; /* "s3" */
  const char *access_key;
  const char *secret_key;
  gboolean double_encode; /* non-S3 services: encode the path once more */
} CrSigv4Request;

typedef struct {
  char *canonical_request;
  char *string_to_sign;
  char *signed_headers; /* "host;x-amz-content-sha256;x-amz-date" */
  char *signature;      /* 64 lowercase hex */
  char *authorization;  /* the Authorization header's value */
} CrSigv4Result;

/* Signs @req into @out (cleared first). FALSE when the date is not "YYYYMMDDTHHMMSSZ" or a
 * required field is missing. */
gboolean cr_sigv4_sign (const CrSigv4Request *req, CrSigv4Result *out);
void cr_sigv4_result_clear (CrSigv4Result *r);

/* "YYYYMMDDTHHMMSSZ" of @unix_seconds (UTC). Newly allocated. */
char *cr_sigv4_amz_date (gint64 unix_seconds);

/* Query-string signing (a presigned URL, AWS "Authenticating Requests: Using Query
 * Parameters"): the query to append to "<scheme>://<@host><@path>?" so that anyone holding the
 * URL may @method it until @amz_date + @expires_s. Only the host header is signed and the payload
 * is UNSIGNED-PAYLOAD, as S3 presigns. Pure: the caller gives the date. NULL when a field is
 * missing or the date is not "YYYYMMDDTHHMMSSZ". */
char *cr_sigv4_presign_query (const char *method, const char *host, const char *path,
                              const char *region, const char *service, const char *access_key,
                              const char *secret_key, const char *amz_date, gint64 expires_s);

G_END_DECLS
