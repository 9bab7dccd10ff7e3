/* What the S3 client's files share: the client's state, one signed request and its answer.
 * s3_client.c performs requests and the single-object operations; s3_multipart.c the multipart
 * uploads; s3_list.c the bucket listing. Not for use outside src/blob/. */
#pragma once

#include <curl/curl.h>

#include "blob/s3_client.h"
#include "blob/s3_digest.h"
#include "blob/sigv4.h"

/* S3 and COS refuse parts under 5 MiB (but the last) when the upload completes; self-hosted
 * stores may allow less (moto: S3_UPLOAD_PART_MIN_SIZE), so the floor here is 1 MiB and the
 * operator's upload-part-mb says what the store takes. */
#define MIN_PART_SIZE (1024 * 1024)
#define MAX_PARTS 10000
#define SMALL_BODY (1024 * 1024)    /* bodies up to this get the whole-request timeout */
#define MAX_ERROR_BODY (256 * 1024) /* error / XML answers kept in memory up to this */
#define MAX_TEXT 512                /* an XML field taken into a message */

struct CrS3Client {
  CURL *curl;
  char *origin;    /* "https://host[:port]" */
  char *host;      /* the Host header: host[:port] */
  char *base_path; /* raw path before the key: "" (virtual-hosted) or "/bucket" (path-style) */
  char *region;
  char *bucket;
  char *access_key;
  char *secret_key;
  long timeout_s;
  gint64 max_send; /* bytes per second, 0: unlimited */
  int list_max_parts;
  char errbuf[CURL_ERROR_SIZE];
};

typedef struct {
  const guchar *mem; /* or */
  int fd;
  goffset offset;
  gsize len;
  gsize pos;
  int read_errno;
} Body;

typedef struct {
  CURL *curl;
  GByteArray *body; /* the answer when it is not written to out_fd, up to MAX_ERROR_BODY */
  int out_fd;       /* a 2xx answer's body goes here when >= 0 */
  int write_errno;
  char *etag;
  gint64 content_length;
} Resp;

typedef struct {
  const char *method;
  const char *key; /* NULL: the bucket */
  const CrSigv4Pair *query;
  gsize n_query;
  Body *body; /* NULL: none */
  const char *payload_hash;
  const char *content_type;
  const char *content_md5;
  gboolean long_transfer; /* no whole-request timeout, only the stall bound */
} Req;

void s3_resp_init (Resp *r, int out_fd);
void s3_resp_clear (Resp *r);
/* Performs @q and turns a non-2xx answer into an error (@no_body_404: the code of a bodiless 404).
 */
gboolean s3_request (CrS3Client *c, const Req *q, Resp *r, const char *no_body_404, GError **error);
/* The answer's text (the error/XML body kept in memory), NUL-terminated. */
const char *s3_resp_text (Resp *r);
/* The text of the first <tag>...</tag> at or after *from (advanced past it when given). */
char *s3_xml_text (const char *xml, const char *tag, const char **from);
/* @v without the quotes an ETag comes in (a new string). */
char *s3_unquote (const char *v, gsize len);
/* TRUE when @code looks like an S3 error code (letters and digits). */
gboolean s3_code_is_token (const char *code);
/* A signed PUT of @body (an object or a part), its ETag in *etag. */
gboolean s3_put_body (CrS3Client *c, const char *key, const CrSigv4Pair *query, gsize nq,
                      Body *body, const Digests *d, const char *content_type, char **etag,
                      GError **error);
