/* The S3 client over libcurl; s3_client.h says what it guarantees, docs/storage.md how it
 * addresses and signs. */
#include "s3_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/crypto_util.h"
#include "blob/s3_digest.h"
#include "blob/sigv4.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* S3 and COS refuse parts under 5 MiB (but the last) when the upload completes; self-hosted
 * stores may allow less (moto: S3_UPLOAD_PART_MIN_SIZE), so the floor here is 1 MiB and the
 * operator's upload-part-mb says what the store takes. */
#define MIN_PART_SIZE (1024 * 1024)
#define MAX_PARTS 10000
#define SMALL_BODY (1024 * 1024)    /* bodies up to this get the whole-request timeout */
#define MAX_ERROR_BODY (256 * 1024) /* error / XML answers kept in memory up to this */
#define MAX_TEXT 512                /* an XML field taken into a message */

G_DEFINE_QUARK (cr - s3 - error - quark, cr_s3_error)

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

static gpointer
global_init (gpointer unused)
{
  curl_global_init (CURL_GLOBAL_DEFAULT);
  return NULL;
}

CrS3Client *
cr_s3_client_new (const CrS3Config *config)
{
  static GOnce once = G_ONCE_INIT;
  g_return_val_if_fail (config && config->bucket && config->access_key && config->secret_key, NULL);
  g_once (&once, global_init, NULL);

  CrS3Client *c = g_new0 (CrS3Client, 1);
  c->curl = curl_easy_init ();
  c->region = g_strdup (config->region && *config->region ? config->region : "us-east-1");
  c->bucket = g_strdup (config->bucket);
  c->access_key = g_strdup (config->access_key);
  c->secret_key = g_strdup (config->secret_key);
  c->timeout_s = config->timeout_s > 0 ? config->timeout_s : 30;
  c->max_send = config->max_send_bytes_per_s > 0 ? config->max_send_bytes_per_s : 0;
  if (config->endpoint && *config->endpoint) {
    /* An S3-compatible server: path-style, <endpoint>/<bucket>/<key>. */
    const char *ep = config->endpoint;
    g_autofree char *with_scheme
        = strstr (ep, "://") ? g_strdup (ep) : g_strconcat ("https://", ep, NULL);
    const char *auth = strstr (with_scheme, "://") + 3;
    const char *slash = strchr (auth, '/');
    gsize auth_len = slash ? (gsize)(slash - auth) : strlen (auth);
    c->host = g_strndup (auth, auth_len);
    c->origin = g_strndup (with_scheme, (gsize)(auth - with_scheme) + auth_len);
    g_autofree char *prefix = g_strdup (slash ? slash : "");
    gsize pl = strlen (prefix);
    while (pl > 0 && prefix[pl - 1] == '/')
      prefix[--pl] = '\0';
    c->base_path = g_strconcat (prefix, "/", config->bucket, NULL);
  } else {
    /* The vendor's public endpoint, virtual-hosted. */
    if (config->vendor == 1)
      c->host = g_strdup_printf ("%s.s3.%s.amazonaws.com", config->bucket, c->region);
    else
      c->host = g_strdup_printf ("%s.cos.%s.myqcloud.com", config->bucket, c->region);
    c->origin = g_strconcat ("https://", c->host, NULL);
    c->base_path = g_strdup ("");
  }
  return c;
}

void
cr_s3_client_free (CrS3Client *c)
{
  if (!c)
    return;
  if (c->curl)
    curl_easy_cleanup (c->curl);
  g_free (c->origin);
  g_free (c->host);
  g_free (c->base_path);
  g_free (c->region);
  g_free (c->bucket);
  g_free (c->access_key);
  if (c->secret_key) {
    memset (c->secret_key, 0, strlen (c->secret_key));
    g_free (c->secret_key);
  }
  g_free (c);
}

void
cr_s3_client_set_list_max_parts (CrS3Client *c, int n)
{
  c->list_max_parts = n;
}

/* ---- request bodies and answers ---- */

typedef struct {
  const guchar *mem; /* or */
  int fd;
  goffset offset;
  gsize len;
  gsize pos;
  int read_errno;
} Body;

static size_t
body_read (char *buf, size_t size, size_t nitems, void *data)
{
  Body *b = data;
  gsize want = MIN (size * nitems, b->len - b->pos);
  if (want == 0)
    return 0;
  if (b->mem) {
    memcpy (buf, b->mem + b->pos, want);
    b->pos += want;
    return want;
  }
  ssize_t n;
  do
    n = pread (b->fd, buf, want, b->offset + (goffset)b->pos);
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    /* The file shrank or cannot be read: never send fewer bytes than were signed. */
    b->read_errno = n < 0 ? errno : EIO;
    return CURL_READFUNC_ABORT;
  }
  b->pos += (gsize)n;
  return (size_t)n;
}

static int
body_seek (void *data, curl_off_t offset, int origin)
{
  Body *b = data;
  if (origin != SEEK_SET || offset < 0 || (gsize)offset > b->len)
    return CURL_SEEKFUNC_CANTSEEK;
  b->pos = (gsize)offset;
  return CURL_SEEKFUNC_OK;
}

typedef struct {
  CURL *curl;
  GByteArray *body; /* the answer when it is not written to out_fd, up to MAX_ERROR_BODY */
  int out_fd;       /* a 2xx answer's body goes here when >= 0 */
  int write_errno;
  char *etag;
  gint64 content_length;
} Resp;

static size_t
resp_write (char *ptr, size_t size, size_t nmemb, void *data)
{
  Resp *r = data;
  size_t n = size * nmemb;
  long status = 0;
  curl_easy_getinfo (r->curl, CURLINFO_RESPONSE_CODE, &status);
  if (r->out_fd >= 0 && status >= 200 && status < 300) {
    for (size_t done = 0; done < n;) {
      ssize_t w = write (r->out_fd, ptr + done, n - done);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0) {
        r->write_errno = w < 0 ? errno : EIO;
        return 0; /* aborts the transfer */
      }
      done += (size_t)w;
    }
    return n;
  }
  if (r->body->len < MAX_ERROR_BODY)
    g_byte_array_append (r->body, (const guint8 *)ptr,
                         (guint)MIN (n, MAX_ERROR_BODY - r->body->len));
  return n;
}

static char *
unquote (const char *v, gsize len)
{
  while (len > 0 && (*v == ' ' || *v == '\t' || *v == '"')) {
    v++;
    len--;
  }
  while (len > 0
         && (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '"' || v[len - 1] == '\r'
             || v[len - 1] == '\n'))
    len--;
  return g_strndup (v, len);
}

static size_t
resp_header (char *buf, size_t size, size_t nitems, void *data)
{
  Resp *r = data;
  size_t n = size * nitems;
  if (n >= 5 && g_ascii_strncasecmp (buf, "HTTP/", 5) == 0) {
    /* A new answer (after a 100 Continue, say): forget the previous one's headers. */
    g_clear_pointer (&r->etag, g_free);
    r->content_length = -1;
  } else if (n > 5 && g_ascii_strncasecmp (buf, "ETag:", 5) == 0) {
    g_free (r->etag);
    r->etag = unquote (buf + 5, n - 5);
  } else if (n > 15 && g_ascii_strncasecmp (buf, "Content-Length:", 15) == 0) {
    g_autofree char *v = g_strndup (buf + 15, n - 15);
    r->content_length = g_ascii_strtoll (g_strstrip (v), NULL, 10);
  }
  return n;
}

/* ---- XML answers: bounded string scanning, never trusting the body ---- */

/* The text of the first <tag>...</tag> at or after *from in the NUL-terminated @xml, entities
 * decoded, control bytes and invalid UTF-8 replaced, at most MAX_TEXT bytes; *from moves past
 * it. NULL when absent. */
static char *
xml_text (const char *xml, const char *tag, const char **from)
{
  g_autofree char *open = g_strdup_printf ("<%s>", tag);
  g_autofree char *close = g_strdup_printf ("</%s>", tag);
  const char *s = strstr (from && *from ? *from : xml, open);
  if (!s)
    return NULL;
  s += strlen (open);
  const char *e = strstr (s, close);
  if (!e)
    return NULL;
  if (from)
    *from = e + strlen (close);
  GString *out = g_string_new (NULL);
  for (const char *p = s; p < e && out->len < MAX_TEXT; p++) {
    static const struct {
      const char *ent;
      char c;
    } ents[] = { { "&amp;", '&' },   { "&lt;", '<' },  { "&gt;", '>' },  { "&quot;", '"' },
                 { "&apos;", '\'' }, { "&#34;", '"' }, { "&#39;", '\'' } };
    gboolean done = FALSE;
    if (*p == '&') {
      for (gsize i = 0; i < G_N_ELEMENTS (ents) && !done; i++) {
        gsize l = strlen (ents[i].ent);
        if ((gsize)(e - p) >= l && strncmp (p, ents[i].ent, l) == 0) {
          g_string_append_c (out, ents[i].c);
          p += l - 1;
          done = TRUE;
        }
      }
    }
    if (!done)
      g_string_append_c (out, (guchar)*p < 0x20 ? ' ' : *p);
  }
  char *raw = g_string_free (out, FALSE);
  char *valid = g_utf8_make_valid (raw, -1);
  g_free (raw);
  return g_strstrip (valid);
}

static const char *
resp_text (Resp *r)
{
  /* NUL-terminated for the string scanning (an embedded NUL only shortens what is seen). */
  if (r->body->len == 0 || r->body->data[r->body->len - 1] != '\0')
    g_byte_array_append (r->body, (const guint8 *)"", 1);
  return (const char *)r->body->data;
}

static gboolean
code_is_token (const char *code)
{
  if (!code || !*code)
    return FALSE;
  for (const char *p = code; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  }
  return TRUE;
}

/* An HTTP error from its XML body, or from @no_body_404 / AccessDenied / "HTTP <n>". */
static void
set_http_error (Resp *r, long status, const char *no_body_404, GError **error)
{
  const char *xml = resp_text (r);
  g_autofree char *code = xml_text (xml, "Code", NULL);
  g_autofree char *msg = xml_text (xml, "Message", NULL);
  if (code_is_token (code)) {
    g_set_error (error, CR_S3_ERROR, (int)status, "%s: %s", code, msg ? msg : "");
  } else if (status == 404 && no_body_404) {
    g_set_error (error, CR_S3_ERROR, 404, "%s: %s", no_body_404,
                 strcmp (no_body_404, "NoSuchBucket") == 0 ? "The specified bucket does not exist"
                                                           : "The specified key does not exist.");
  } else if (status == 403) {
    g_set_error (error, CR_S3_ERROR, 403, "AccessDenied: Access Denied");
  } else {
    g_set_error (error, CR_S3_ERROR, (int)status, "HTTP %ld", status);
  }
}

char *
cr_s3_error_code (const GError *error)
{
  if (!error || error->domain != CR_S3_ERROR)
    return NULL;
  if (error->code == 0)
    return g_strdup ("NetworkError");
  const char *colon = strstr (error->message, ": ");
  if (colon) {
    g_autofree char *code = g_strndup (error->message, (gsize)(colon - error->message));
    if (code_is_token (code))
      return g_steal_pointer (&code);
  }
  return g_strdup_printf ("HTTP%d", error->code);
}

/* ---- one signed request ---- */

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

static void
slist_add (struct curl_slist **l, const char *name, const char *value)
{
  g_autofree char *line = g_strdup_printf ("%s: %s", name, value);
  *l = curl_slist_append (*l, line);
}

/* Performs @q; TRUE when the server answered (any status, in *status). */
static gboolean
s3_perform (CrS3Client *c, const Req *q, Resp *r, long *status, GError **error)
{
  g_autofree char *raw_path
      = q->key ? g_strconcat (c->base_path, "/", q->key, NULL) : g_strdup (c->base_path);
  g_autofree char *path = cr_sigv4_encode_path (raw_path);
  g_autofree char *query = cr_sigv4_canonical_query (q->query, q->n_query);
  g_autofree char *url = g_strconcat (c->origin, path, q->n_query > 0 ? "?" : "", query, NULL);
  g_autofree char *amz_date = cr_sigv4_amz_date (g_get_real_time () / G_USEC_PER_SEC);
  const char *payload_hash = q->payload_hash ? q->payload_hash : EMPTY_SHA256;

  CrSigv4Pair h[5];
  gsize nh = 0;
  h[nh++] = (CrSigv4Pair){ "host", c->host };
  h[nh++] = (CrSigv4Pair){ "x-amz-content-sha256", payload_hash };
  h[nh++] = (CrSigv4Pair){ "x-amz-date", amz_date };
  if (q->content_type)
    h[nh++] = (CrSigv4Pair){ "content-type", q->content_type };
  if (q->content_md5)
    h[nh++] = (CrSigv4Pair){ "content-md5", q->content_md5 };
  CrSigv4Request sreq = { .method = q->method,
                          .path = path,
                          .query = q->query,
                          .n_query = q->n_query,
                          .headers = h,
                          .n_headers = nh,
                          .payload_hash = payload_hash,
                          .amz_date = amz_date,
                          .region = c->region,
                          .service = "s3",
                          .access_key = c->access_key,
                          .secret_key = c->secret_key };
  CrSigv4Result sig;
  if (!cr_sigv4_sign (&sreq, &sig)) {
    g_set_error (error, CR_S3_ERROR, 0, "cannot sign the request");
    return FALSE;
  }
  struct curl_slist *hl = NULL;
  slist_add (&hl, "Host", c->host);
  slist_add (&hl, "x-amz-content-sha256", payload_hash);
  slist_add (&hl, "x-amz-date", amz_date);
  slist_add (&hl, "Authorization", sig.authorization);
  if (q->content_type)
    slist_add (&hl, "Content-Type", q->content_type);
  else
    hl = curl_slist_append (hl, "Content-Type:"); /* no curl default for POST */
  if (q->content_md5)
    slist_add (&hl, "Content-MD5", q->content_md5);
  hl = curl_slist_append (hl, "Expect:");
  hl = curl_slist_append (hl, "Accept:");
  cr_sigv4_result_clear (&sig);

  CURL *e = c->curl;
  curl_easy_reset (e); /* keeps the connection cache */
  c->errbuf[0] = '\0';
  curl_easy_setopt (e, CURLOPT_URL, url);
  curl_easy_setopt (e, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt (e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (e, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt (e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (e, CURLOPT_LOW_SPEED_TIME, c->timeout_s);
  if (!q->long_transfer)
    curl_easy_setopt (e, CURLOPT_TIMEOUT, c->timeout_s);
  if (c->max_send > 0)
    curl_easy_setopt (e, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)c->max_send);
  curl_easy_setopt (e, CURLOPT_ERRORBUFFER, c->errbuf);
  curl_easy_setopt (e, CURLOPT_WRITEFUNCTION, resp_write);
  curl_easy_setopt (e, CURLOPT_WRITEDATA, r);
  curl_easy_setopt (e, CURLOPT_HEADERFUNCTION, resp_header);
  curl_easy_setopt (e, CURLOPT_HEADERDATA, r);
  Body empty = { .mem = (const guchar *)"", .fd = -1 };
  Body *b = q->body ? q->body : &empty;
  b->pos = 0;
  if (strcmp (q->method, "HEAD") == 0) {
    curl_easy_setopt (e, CURLOPT_NOBODY, 1L);
  } else if (strcmp (q->method, "PUT") == 0) {
    curl_easy_setopt (e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt (e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)b->len);
  } else if (strcmp (q->method, "POST") == 0) {
    curl_easy_setopt (e, CURLOPT_POST, 1L);
    curl_easy_setopt (e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
  } else if (strcmp (q->method, "GET") != 0) {
    curl_easy_setopt (e, CURLOPT_CUSTOMREQUEST, q->method);
  }
  curl_easy_setopt (e, CURLOPT_READFUNCTION, body_read);
  curl_easy_setopt (e, CURLOPT_READDATA, b);
  curl_easy_setopt (e, CURLOPT_SEEKFUNCTION, body_seek);
  curl_easy_setopt (e, CURLOPT_SEEKDATA, b);
  r->curl = e;
  r->content_length = -1;

  CURLcode rc = curl_easy_perform (e);
  curl_slist_free_all (hl);
  if (rc != CURLE_OK) {
    if (r->write_errno) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (r->write_errno),
                   "writing the download: %s", g_strerror (r->write_errno));
    } else if (b->read_errno) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (b->read_errno),
                   "reading the upload: %s", g_strerror (b->read_errno));
    } else {
      g_set_error (error, CR_S3_ERROR, 0, "%s", c->errbuf[0] ? c->errbuf : curl_easy_strerror (rc));
    }
    return FALSE;
  }
  curl_easy_getinfo (e, CURLINFO_RESPONSE_CODE, status);
  return TRUE;
}

static void
resp_init (Resp *r, int out_fd)
{
  memset (r, 0, sizeof *r);
  r->body = g_byte_array_new ();
  r->out_fd = out_fd;
  r->content_length = -1;
}

static void
resp_clear (Resp *r)
{
  g_byte_array_unref (r->body);
  g_free (r->etag);
}

/* Performs @q and turns a non-2xx answer into an error. */
static gboolean
s3_request (CrS3Client *c, const Req *q, Resp *r, const char *no_body_404, GError **error)
{
  long status = 0;
  if (!s3_perform (c, q, r, &status, error))
    return FALSE;
  if (status < 200 || status >= 300) {
    set_http_error (r, status, no_body_404, error);
    return FALSE;
  }
  return TRUE;
}

/* ---- object operations ---- */

gboolean
cr_s3_head_bucket (CrS3Client *c, GError **error)
{
  Resp r;
  resp_init (&r, -1);
  Req q = { .method = "HEAD" };
  gboolean ok = s3_request (c, &q, &r, "NoSuchBucket", error);
  resp_clear (&r);
  return ok;
}

static gboolean
put_body (CrS3Client *c, const char *key, const CrSigv4Pair *query, gsize nq, Body *body,
          const Digests *d, const char *content_type, char **etag, GError **error)
{
  Resp r;
  resp_init (&r, -1);
  Req q = { .method = "PUT",
            .key = key,
            .query = query,
            .n_query = nq,
            .body = body,
            .payload_hash = d->sha256,
            .content_type = content_type,
            .content_md5 = d->md5_b64,
            .long_transfer = body->len > SMALL_BODY };
  gboolean ok = s3_request (c, &q, &r, NULL, error);
  if (ok && etag)
    *etag = g_strdup (r.etag ? r.etag : "");
  resp_clear (&r);
  return ok;
}

gboolean
cr_s3_put_bytes (CrS3Client *c, const char *key, const void *data, gsize len,
                 const char *content_type, char **etag, GError **error)
{
  Hasher h = { 0 };
  Digests d = { 0 };
  if (!cr_s3_hasher_init (&h, error) || !cr_s3_hasher_update (&h, data, len, error)
      || !cr_s3_hasher_finish (&h, &d, error))
    return FALSE;
  Body b = { .mem = len ? data : (const guchar *)"", .fd = -1, .len = len };
  gboolean ok = put_body (c, key, NULL, 0, &b, &d, content_type, etag, error);
  cr_s3_digests_clear (&d);
  return ok;
}

gboolean
cr_s3_put_file (CrS3Client *c, const char *key, const char *path, const char *content_type,
                char **etag, GError **error)
{
  gint64 size;
  int fd = cr_s3_open_file (path, &size, error);
  if (fd < 0)
    return FALSE;
  Digests d = { 0 };
  gboolean ok = cr_s3_hash_fd_range (fd, 0, (gsize)size, &d, error);
  if (ok) {
    Body b = { .fd = fd, .len = (gsize)size };
    ok = put_body (c, key, NULL, 0, &b, &d, content_type, etag, error);
  }
  cr_s3_digests_clear (&d);
  close (fd);
  return ok;
}

static void
fsync_dir_of (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int dfd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dfd >= 0) {
    fsync (dfd);
    close (dfd);
  }
}

gboolean
cr_s3_get_file (CrS3Client *c, const char *key, const char *path, GError **error)
{
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  int fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "%s: %s", path, g_strerror (err));
    return FALSE;
  }
  Resp r;
  resp_init (&r, fd);
  Req q = { .method = "GET", .key = key, .long_transfer = TRUE };
  gboolean ok = s3_request (c, &q, &r, "NoSuchKey", error);
  if (ok && fsync (fd) != 0) {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "%s: %s", path, g_strerror (err));
    ok = FALSE;
  }
  if (close (fd) != 0 && ok) {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "%s: %s", path, g_strerror (err));
    ok = FALSE;
  }
  if (ok && g_rename (tmp, path) != 0) {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "%s: %s", path, g_strerror (err));
    ok = FALSE;
  }
  if (ok)
    fsync_dir_of (path);
  else
    g_unlink (tmp);
  resp_clear (&r);
  return ok;
}

gboolean
cr_s3_head_object (CrS3Client *c, const char *key, gint64 *size, char **etag, GError **error)
{
  Resp r;
  resp_init (&r, -1);
  Req q = { .method = "HEAD", .key = key };
  gboolean ok = s3_request (c, &q, &r, "NoSuchKey", error);
  if (ok) {
    if (size)
      *size = r.content_length;
    if (etag)
      *etag = g_strdup (r.etag ? r.etag : "");
  }
  resp_clear (&r);
  return ok;
}

gboolean
cr_s3_delete (CrS3Client *c, const char *key, GError **error)
{
  Resp r;
  resp_init (&r, -1);
  Req q = { .method = "DELETE", .key = key };
  gboolean ok = s3_request (c, &q, &r, NULL, error);
  resp_clear (&r);
  return ok;
}

/* ---- multipart ---- */

char *
cr_s3_multipart_create (CrS3Client *c, const char *key, const char *content_type, GError **error)
{
  Resp r;
  resp_init (&r, -1);
  CrSigv4Pair query[] = { { "uploads", "" } };
  Req q = {
    .method = "POST", .key = key, .query = query, .n_query = 1, .content_type = content_type
  };
  char *id = NULL;
  if (s3_request (c, &q, &r, NULL, error)) {
    id = xml_text (resp_text (&r), "UploadId", NULL);
    if (!id || !*id) {
      g_clear_pointer (&id, g_free);
      g_set_error (error, CR_S3_ERROR, 200, "InvalidResponse: no UploadId in the answer");
    }
  }
  resp_clear (&r);
  return id;
}

static gboolean
put_part_fd (CrS3Client *c, const char *key, const char *upload_id, int part_number, int fd,
             goffset offset, gsize len, const Digests *d, char **etag, GError **error)
{
  g_autofree char *num = g_strdup_printf ("%d", part_number);
  CrSigv4Pair query[] = { { "partNumber", num }, { "uploadId", upload_id } };
  Body b = { .fd = fd, .offset = offset, .len = len };
  return put_body (c, key, query, 2, &b, d, NULL, etag, error);
}

gboolean
cr_s3_multipart_put_part (CrS3Client *c, const char *key, const char *upload_id, int part_number,
                          const char *path, goffset offset, gsize len, char **etag, GError **error)
{
  gint64 size;
  int fd = cr_s3_open_file (path, &size, error);
  if (fd < 0)
    return FALSE;
  Digests d = { 0 };
  gboolean ok;
  if (offset < 0 || (gint64)offset + (gint64)len > size) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "%s: part %d lies beyond the end of the file", path, part_number);
    ok = FALSE;
  } else {
    ok = cr_s3_hash_fd_range (fd, offset, len, &d, error)
         && put_part_fd (c, key, upload_id, part_number, fd, offset, len, &d, etag, error);
  }
  cr_s3_digests_clear (&d);
  close (fd);
  return ok;
}

static void
part_clear (gpointer p)
{
  g_free (((CrS3Part *)p)->etag);
}

void
cr_s3_parts_free (GArray *parts)
{
  if (parts)
    g_array_unref (parts);
}

static int
part_cmp (gconstpointer a, gconstpointer b)
{
  const CrS3Part *x = a, *y = b;
  return (x->number > y->number) - (x->number < y->number);
}

GArray *
cr_s3_multipart_list_parts (CrS3Client *c, const char *key, const char *upload_id, GError **error)
{
  GArray *parts = g_array_new (FALSE, TRUE, sizeof (CrS3Part));
  g_array_set_clear_func (parts, part_clear);
  gint64 marker = 0;
  for (int page = 0; page <= MAX_PARTS; page++) {
    g_autofree char *marker_s = g_strdup_printf ("%" G_GINT64_FORMAT, marker);
    g_autofree char *max_s = g_strdup_printf ("%d", c->list_max_parts);
    CrSigv4Pair query[3] = { { "uploadId", upload_id } };
    gsize nq = 1;
    if (marker > 0)
      query[nq++] = (CrSigv4Pair){ "part-number-marker", marker_s };
    if (c->list_max_parts > 0)
      query[nq++] = (CrSigv4Pair){ "max-parts", max_s };
    Resp r;
    resp_init (&r, -1);
    Req q = { .method = "GET", .key = key, .query = query, .n_query = nq };
    if (!s3_request (c, &q, &r, "NoSuchUpload", error)) {
      resp_clear (&r);
      cr_s3_parts_free (parts);
      return NULL;
    }
    const char *xml = resp_text (&r);
    const char *at = xml;
    for (const char *p; (p = strstr (at, "<Part>")) != NULL;) {
      const char *end = strstr (p, "</Part>");
      if (!end)
        break;
      g_autofree char *block = g_strndup (p, (gsize)(end - p));
      g_autofree char *num = xml_text (block, "PartNumber", NULL);
      g_autofree char *etag = xml_text (block, "ETag", NULL);
      g_autofree char *size = xml_text (block, "Size", NULL);
      gint64 n = num ? g_ascii_strtoll (num, NULL, 10) : 0;
      if (n >= 1 && n <= MAX_PARTS && etag) {
        CrS3Part part = { (int)n, unquote (etag, strlen (etag)),
                          size ? g_ascii_strtoll (size, NULL, 10) : -1 };
        g_array_append_val (parts, part);
      }
      at = end + 7;
    }
    g_autofree char *truncated = xml_text (xml, "IsTruncated", NULL);
    g_autofree char *next = xml_text (xml, "NextPartNumberMarker", NULL);
    resp_clear (&r);
    gint64 next_marker = next ? g_ascii_strtoll (next, NULL, 10) : 0;
    if (!truncated || g_ascii_strcasecmp (truncated, "true") != 0)
      break;
    if (next_marker <= marker || next_marker > MAX_PARTS) {
      /* A marker that does not advance would loop forever. */
      g_set_error (error, CR_S3_ERROR, 200,
                   "InvalidResponse: ListParts is truncated without a usable marker");
      cr_s3_parts_free (parts);
      return NULL;
    }
    marker = next_marker;
  }
  g_array_sort (parts, part_cmp);
  /* One entry per number (a hostile or repeating answer could list one twice). */
  for (guint i = 1; i < parts->len;) {
    if (g_array_index (parts, CrS3Part, i).number == g_array_index (parts, CrS3Part, i - 1).number)
      g_array_remove_index (parts, i);
    else
      i++;
  }
  return parts;
}

void
cr_s3_object_free (CrS3Object *o)
{
  if (o == NULL)
    return;
  g_free (o->key);
  g_free (o);
}

GPtrArray *
cr_s3_list_objects (CrS3Client *c, const char *prefix, GError **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_s3_object_free);
  g_autofree char *token = NULL;
  for (int page = 0; page < 100000; page++) {
    g_autofree char *max_s = g_strdup_printf ("%d", c->list_max_parts);
    CrSigv4Pair query[4] = { { "list-type", "2" }, { "prefix", prefix ? prefix : "" } };
    gsize nq = 2;
    if (token != NULL)
      query[nq++] = (CrSigv4Pair){ "continuation-token", token };
    if (c->list_max_parts > 0)
      query[nq++] = (CrSigv4Pair){ "max-keys", max_s };
    Resp r;
    resp_init (&r, -1);
    Req q = { .method = "GET", .query = query, .n_query = nq };
    if (!s3_request (c, &q, &r, "NoSuchBucket", error)) {
      resp_clear (&r);
      g_ptr_array_unref (out);
      return NULL;
    }
    const char *xml = resp_text (&r);
    const char *at = xml;
    for (const char *p; (p = strstr (at, "<Contents>")) != NULL;) {
      const char *end = strstr (p, "</Contents>");
      if (!end)
        break;
      g_autofree char *block = g_strndup (p, (gsize)(end - p));
      char *key = xml_text (block, "Key", NULL);
      g_autofree char *size = xml_text (block, "Size", NULL);
      if (key != NULL) {
        CrS3Object *o = g_new0 (CrS3Object, 1);
        o->key = key;
        o->size = size ? g_ascii_strtoll (size, NULL, 10) : -1;
        g_ptr_array_add (out, o);
      }
      at = end + strlen ("</Contents>");
    }
    g_autofree char *truncated = xml_text (xml, "IsTruncated", NULL);
    g_free (token);
    token = xml_text (xml, "NextContinuationToken", NULL);
    resp_clear (&r);
    if (!truncated || g_ascii_strcasecmp (truncated, "true") != 0)
      break;
    if (token == NULL || *token == '\0') {
      g_set_error (error, CR_S3_ERROR, 200,
                   "InvalidResponse: ListObjectsV2 is truncated without a continuation token");
      g_ptr_array_unref (out);
      return NULL;
    }
  }
  return out;
}

gboolean
cr_s3_multipart_complete (CrS3Client *c, const char *key, const char *upload_id,
                          const CrS3Part *parts, guint n, GError **error)
{
  GString *xml = g_string_new ("<CompleteMultipartUpload>");
  for (guint i = 0; i < n; i++) {
    g_autofree char *etag = g_markup_escape_text (parts[i].etag ? parts[i].etag : "", -1);
    g_string_append_printf (xml, "<Part><PartNumber>%d</PartNumber><ETag>\"%s\"</ETag></Part>",
                            parts[i].number, etag);
  }
  g_string_append (xml, "</CompleteMultipartUpload>");
  g_autofree char *sha = cr_sha256_hex ((const guchar *)xml->str, xml->len);
  CrSigv4Pair query[] = { { "uploadId", upload_id } };
  Body b = { .mem = (const guchar *)xml->str, .fd = -1, .len = xml->len };
  Req q = { .method = "POST",
            .key = key,
            .query = query,
            .n_query = 1,
            .body = &b,
            .payload_hash = sha,
            .content_type = "application/xml" };
  Resp r;
  resp_init (&r, -1);
  /* S3 may take long to assemble a big object: only the stall bound applies. */
  q.long_transfer = TRUE;
  gboolean ok = s3_request (c, &q, &r, "NoSuchUpload", error);
  if (ok) {
    const char *text = resp_text (&r);
    if (strstr (text, "<Error>")) {
      /* "a 200 OK response can contain either a success or an error" (S3 docs). */
      g_autofree char *code = xml_text (text, "Code", NULL);
      g_autofree char *msg = xml_text (text, "Message", NULL);
      g_set_error (error, CR_S3_ERROR, 200, "%s: %s",
                   code_is_token (code) ? code : "InvalidResponse",
                   msg ? msg : "CompleteMultipartUpload did not succeed");
      ok = FALSE;
    }
  }
  resp_clear (&r);
  g_string_free (xml, TRUE);
  return ok;
}

gboolean
cr_s3_multipart_abort (CrS3Client *c, const char *key, const char *upload_id, GError **error)
{
  CrSigv4Pair query[] = { { "uploadId", upload_id } };
  Resp r;
  resp_init (&r, -1);
  Req q = { .method = "DELETE", .key = key, .query = query, .n_query = 1 };
  gboolean ok = s3_request (c, &q, &r, "NoSuchUpload", error);
  resp_clear (&r);
  return ok;
}

static const CrS3Part *
find_part (GArray *have, int number)
{
  for (guint i = 0; have && i < have->len; i++) {
    const CrS3Part *p = &g_array_index (have, CrS3Part, i);
    if (p->number == number)
      return p;
  }
  return NULL;
}

gboolean
cr_s3_put_file_multipart (CrS3Client *c, const char *key, const char *path, gsize part_size,
                          char **upload_id,
                          void (*on_upload_id) (const char *upload_id, gpointer data),
                          gpointer data, GError **error)
{
  g_return_val_if_fail (upload_id != NULL, FALSE);
  if (part_size < MIN_PART_SIZE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "a part size of %" G_GSIZE_FORMAT " is below 1 MiB", part_size);
    return FALSE;
  }
  gint64 size;
  int fd = cr_s3_open_file (path, &size, error);
  if (fd < 0)
    return FALSE;
  gint64 n_parts = size == 0 ? 1 : (size + (gint64)part_size - 1) / (gint64)part_size;
  if (n_parts > MAX_PARTS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "%s needs %" G_GINT64_FORMAT " parts, more than S3's %d", path, n_parts,
                 MAX_PARTS);
    close (fd);
    return FALSE;
  }

  GArray *have = NULL;
  if (*upload_id) {
    GError *lerr = NULL;
    have = cr_s3_multipart_list_parts (c, key, *upload_id, &lerr);
    if (!have) {
      g_autofree char *code = cr_s3_error_code (lerr);
      if (!code || strcmp (code, "NoSuchUpload") != 0) {
        g_propagate_error (error, lerr);
        close (fd);
        return FALSE;
      }
      /* The upload is gone (aborted, expired): start again. */
      g_error_free (lerr);
      g_clear_pointer (upload_id, g_free);
    }
  }
  if (!*upload_id) {
    *upload_id = cr_s3_multipart_create (c, key, NULL, error);
    if (!*upload_id) {
      close (fd);
      return FALSE;
    }
    if (on_upload_id)
      on_upload_id (*upload_id, data);
  }

  GArray *parts = g_array_new (FALSE, TRUE, sizeof (CrS3Part));
  g_array_set_clear_func (parts, part_clear);
  gboolean ok = TRUE;
  for (gint64 i = 0; i < n_parts && ok; i++) {
    goffset off = i * (gint64)part_size;
    gsize len = (gsize)MIN ((gint64)part_size, size - off);
    Digests d = { 0 };
    ok = cr_s3_hash_fd_range (fd, off, len, &d, error);
    if (!ok)
      break;
    CrS3Part part = { (int)(i + 1), NULL, (gint64)len };
    const CrS3Part *there = find_part (have, part.number);
    if (there && there->size == (gint64)len && there->etag
        && g_ascii_strcasecmp (there->etag, d.md5_hex) == 0) {
      part.etag = g_strdup (there->etag); /* already uploaded, same bytes */
    } else {
      ok = put_part_fd (c, key, *upload_id, part.number, fd, off, len, &d, &part.etag, error);
    }
    cr_s3_digests_clear (&d);
    if (ok)
      g_array_append_val (parts, part);
  }
  close (fd);
  cr_s3_parts_free (have);
  if (ok)
    ok = cr_s3_multipart_complete (c, key, *upload_id, (CrS3Part *)parts->data, parts->len, error);
  g_array_unref (parts);
  return ok;
}
