/* A small S3 client on libcurl: the object operations cloudrec's uploads need (put/get/head/
 * delete, resumable multipart) against Tencent COS, AWS S3 or any S3-compatible server.
 *
 * Why our own and not curl's CURLOPT_AWS_SIGV4: Debian 12's curl mis-signs S3 requests (see
 * sigv4.h), so every request is signed by sigv4.c: x-amz-content-sha256 is the hex SHA-256 of the
 * payload (files are hashed by streaming, never loaded in memory), the path on the request line
 * is exactly the encoded path that was signed. One client per thread: it keeps its curl easy
 * handle so connections are reused. Transfers are bounded: 10 s to connect, @timeout_s for a
 * whole small request, and a stalled transfer (under 1 byte/s for @timeout_s) is abandoned, so a
 * hung server never hangs a worker. TLS is always verified. No secret reaches a log or an error
 * message. Addressing and signing are described in docs/storage.md. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* GError domain CR_S3_ERROR; code = HTTP status, or 0 for a transport failure (connect, TLS,
 * timeout). message = "<S3 error Code>: <Message>" parsed from the XML error body when there is
 * one (e.g. "NoSuchBucket: The specified bucket does not exist"), else "HTTP 503" or curl's error
 * text. An <Error> embedded in a 200 answer to CompleteMultipartUpload keeps code 200.
 * Local file failures (open, read, write) are G_IO_ERROR errors. */
#define CR_S3_ERROR (cr_s3_error_quark ())
GQuark cr_s3_error_quark (void);
/* The S3 error Code of an error of this domain ("NoSuchBucket", "SignatureDoesNotMatch",
 * "InvalidAccessKeyId", ...; "NetworkError" for transport failures; "HTTP<status>" when the
 * server gave no Code). Newly allocated; NULL for an error of another domain. */
char *cr_s3_error_code (const GError *error);

typedef struct {
  const char *endpoint; /* NULL: the vendor's public endpoint; else "http(s)://host[:port]" of an
                         * S3-compatible server, addressed path-style (<endpoint>/<bucket>/<key>) */
  int vendor;           /* 0 COS: https://<bucket>.cos.<region>.myqcloud.com ;
                         * 1 AWS: https://<bucket>.s3.<region>.amazonaws.com (virtual-hosted) */
  const char *region;
  const char *bucket;
  const char *access_key;
  const char *secret_key;
  long timeout_s; /* whole-request bound for small requests; 0 = 30 */
  gint64 max_send_bytes_per_s; /* upload bandwidth per request; 0 = unlimited */
} CrS3Config;

typedef struct CrS3Client CrS3Client; /* one per thread; keeps its curl handle (connection reuse) */
CrS3Client *cr_s3_client_new (const CrS3Config *config); /* copies the strings */
void cr_s3_client_free (CrS3Client *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrS3Client, cr_s3_client_free)

/* 200 = ok; 403/404 etc. as errors with codes (HEAD has no body: 404 -> "NoSuchBucket",
 * 403 -> "AccessDenied"). */
gboolean cr_s3_head_bucket (CrS3Client *c, GError **error);
/* ETags are returned without their quotes. */
gboolean cr_s3_put_file (CrS3Client *c, const char *key, const char *path, const char *content_type,
                         char **etag, GError **error);
gboolean cr_s3_put_bytes (CrS3Client *c, const char *key, const void *data, gsize len,
                          const char *content_type, char **etag, GError **error);
/* Writes @path durably (temp + fsync + rename); @path is untouched on failure. */
gboolean cr_s3_get_file (CrS3Client *c, const char *key, const char *path, GError **error);
/* 404 -> "NoSuchKey". */
gboolean cr_s3_head_object (CrS3Client *c, const char *key, gint64 *size, char **etag,
                            GError **error);
/* A missing object is not an error (S3 answers 204). */
gboolean cr_s3_delete (CrS3Client *c, const char *key, GError **error);

/* The objects whose keys start with @prefix (ListObjectsV2, every page), of CrS3Object, in the
 * server's (key) order. */
typedef struct {
  char *key;
  gint64 size;
} CrS3Object;
GPtrArray *cr_s3_list_objects (CrS3Client *c, const char *prefix, GError **error);
void cr_s3_object_free (CrS3Object *o);

/* Multipart (for large MP4s), resumable: the caller keeps upload_id and the part list durably. */
char *cr_s3_multipart_create (CrS3Client *c, const char *key, const char *content_type,
                              GError **error); /* UploadId */
gboolean cr_s3_multipart_put_part (CrS3Client *c, const char *key, const char *upload_id,
                                   int part_number, const char *path, goffset offset, gsize len,
                                   char **etag, GError **error);
typedef struct {
  int number;
  char *etag; /* without quotes */
  gint64 size;
} CrS3Part;
/* Of CrS3Part, sorted by number; follows NextPartNumberMarker. Free with cr_s3_parts_free. */
GArray *cr_s3_multipart_list_parts (CrS3Client *c, const char *key, const char *upload_id,
                                    GError **error);
void cr_s3_parts_free (GArray *parts);
/* Also checks the 200 body for an embedded <Error>. */
gboolean cr_s3_multipart_complete (CrS3Client *c, const char *key, const char *upload_id,
                                   const CrS3Part *parts, guint n, GError **error);
gboolean cr_s3_multipart_abort (CrS3Client *c, const char *key, const char *upload_id,
                                GError **error);
/* Uploads @path as @key in parts of @part_size (>= 1 MiB; S3 itself needs >= 5 MiB but for the last), resuming @*upload_id
 * when non-NULL (list parts, keep those whose size and ETag match the local part's length and
 * MD5, send the rest), then completes. *upload_id is set as soon as it is created (also when the
 * upload to resume no longer exists and a new one is started), so the caller can persist it
 * (callback @on_upload_id may be NULL). */
gboolean cr_s3_put_file_multipart (CrS3Client *c, const char *key, const char *path,
                                   gsize part_size, char **upload_id,
                                   void (*on_upload_id) (const char *upload_id, gpointer data),
                                   gpointer data, GError **error);

/* A presigned GET URL of object @key (its address as this client sends requests: path-style at
 * an endpoint, else the vendor's virtual host), valid @expires_s (1..604800) from @now_s.
 * No I/O. */
char *cr_s3_client_presign_get (CrS3Client *c, const char *key, gint64 now_s, gint64 expires_s);

/* Testing: at most @n parts per ListParts page and keys per ListObjectsV2 page (0 = the server's
 * default), so paging can be exercised with a few. */
void cr_s3_client_set_list_max_parts (CrS3Client *c, int n);

G_END_DECLS
