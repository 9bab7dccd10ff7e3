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
#include "blob/s3_private.h"
#include "blob/sigv4.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

G_DEFINE_QUARK (cr - s3 - error - quark, cr_s3_error)

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

char *
cr_s3_client_presign_get (CrS3Client *c, const char *key, gint64 now_s, gint64 expires_s)
{
  g_autofree char *raw_path = g_strconcat (c->base_path, "/", key, NULL);
  g_autofree char *path = cr_sigv4_encode_path (raw_path);
  g_autofree char *amz_date = cr_sigv4_amz_date (now_s);
  g_autofree char *query
      = cr_sigv4_presign_query ("GET", c->host, path, c->region, "s3", c->access_key, c->secret_key,
                                amz_date, CLAMP (expires_s, 1, 604800));
  return query != NULL ? g_strconcat (c->origin, path, "?", query, NULL) : NULL;
}

/* ---- request bodies and answers ---- */

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

char *
s3_unquote (const char *v, gsize len)
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
    r->etag = s3_unquote (buf + 5, n - 5);
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
char *
s3_xml_text (const char *xml, const char *tag, const char **from)
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

const char *
s3_resp_text (Resp *r)
{
  /* NUL-terminated for the string scanning (an embedded NUL only shortens what is seen). */
  if (r->body->len == 0 || r->body->data[r->body->len - 1] != '\0')
    g_byte_array_append (r->body, (const guint8 *)"", 1);
  return (const char *)r->body->data;
}

gboolean
s3_code_is_token (const char *code)
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
  const char *xml = s3_resp_text (r);
  g_autofree char *code = s3_xml_text (xml, "Code", NULL);
  g_autofree char *msg = s3_xml_text (xml, "Message", NULL);
  if (s3_code_is_token (code)) {
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
    if (s3_code_is_token (code))
      return g_steal_pointer (&code);
  }
  return g_strdup_printf ("HTTP%d", error->code);
}

/* ---- one signed request ---- */

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

void
s3_resp_init (Resp *r, int out_fd)
{
  memset (r, 0, sizeof *r);
  r->body = g_byte_array_new ();
  r->out_fd = out_fd;
  r->content_length = -1;
}

void
s3_resp_clear (Resp *r)
{
  g_byte_array_unref (r->body);
  g_free (r->etag);
}

/* Performs @q and turns a non-2xx answer into an error. */
gboolean
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
  s3_resp_init (&r, -1);
  Req q = { .method = "HEAD" };
  gboolean ok = s3_request (c, &q, &r, "NoSuchBucket", error);
  s3_resp_clear (&r);
  return ok;
}

gboolean
s3_put_body (CrS3Client *c, const char *key, const CrSigv4Pair *query, gsize nq, Body *body,
             const Digests *d, const char *content_type, char **etag, GError **error)
{
  Resp r;
  s3_resp_init (&r, -1);
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
  s3_resp_clear (&r);
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
  gboolean ok = s3_put_body (c, key, NULL, 0, &b, &d, content_type, etag, error);
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
    ok = s3_put_body (c, key, NULL, 0, &b, &d, content_type, etag, error);
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
  s3_resp_init (&r, fd);
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
  s3_resp_clear (&r);
  return ok;
}

gboolean
cr_s3_head_object (CrS3Client *c, const char *key, gint64 *size, char **etag, GError **error)
{
  Resp r;
  s3_resp_init (&r, -1);
  Req q = { .method = "HEAD", .key = key };
  gboolean ok = s3_request (c, &q, &r, "NoSuchKey", error);
  if (ok) {
    if (size)
      *size = r.content_length;
    if (etag)
      *etag = g_strdup (r.etag ? r.etag : "");
  }
  s3_resp_clear (&r);
  return ok;
}

gboolean
cr_s3_delete (CrS3Client *c, const char *key, GError **error)
{
  Resp r;
  s3_resp_init (&r, -1);
  Req q = { .method = "DELETE", .key = key };
  gboolean ok = s3_request (c, &q, &r, NULL, error);
  s3_resp_clear (&r);
  return ok;
}
