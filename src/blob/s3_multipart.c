/* Multipart uploads: create, parts, resume from a listing of what the store already has,
 * complete, abort (s3_client.h). */
#include "s3_client.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "auth/crypto_util.h"
#include "blob/s3_private.h"

char *
cr_s3_multipart_create (CrS3Client *c, const char *key, const char *content_type, GError **error)
{
  Resp r;
  s3_resp_init (&r, -1);
  CrSigv4Pair query[] = { { "uploads", "" } };
  Req q = {
    .method = "POST", .key = key, .query = query, .n_query = 1, .content_type = content_type
  };
  char *id = NULL;
  if (s3_request (c, &q, &r, NULL, error)) {
    id = s3_xml_text (s3_resp_text (&r), "UploadId", NULL);
    if (!id || !*id) {
      g_clear_pointer (&id, g_free);
      g_set_error (error, CR_S3_ERROR, 200, "InvalidResponse: no UploadId in the answer");
    }
  }
  s3_resp_clear (&r);
  return id;
}

static gboolean
put_part_fd (CrS3Client *c, const char *key, const char *upload_id, int part_number, int fd,
             goffset offset, gsize len, const Digests *d, char **etag, GError **error)
{
  g_autofree char *num = g_strdup_printf ("%d", part_number);
  CrSigv4Pair query[] = { { "partNumber", num }, { "uploadId", upload_id } };
  Body b = { .fd = fd, .offset = offset, .len = len };
  return s3_put_body (c, key, query, 2, &b, d, NULL, etag, error);
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
    s3_resp_init (&r, -1);
    Req q = { .method = "GET", .key = key, .query = query, .n_query = nq };
    if (!s3_request (c, &q, &r, "NoSuchUpload", error)) {
      s3_resp_clear (&r);
      cr_s3_parts_free (parts);
      return NULL;
    }
    const char *xml = s3_resp_text (&r);
    const char *at = xml;
    for (const char *p; (p = strstr (at, "<Part>")) != NULL;) {
      const char *end = strstr (p, "</Part>");
      if (!end)
        break;
      g_autofree char *block = g_strndup (p, (gsize)(end - p));
      g_autofree char *num = s3_xml_text (block, "PartNumber", NULL);
      g_autofree char *etag = s3_xml_text (block, "ETag", NULL);
      g_autofree char *size = s3_xml_text (block, "Size", NULL);
      gint64 n = num ? g_ascii_strtoll (num, NULL, 10) : 0;
      if (n >= 1 && n <= MAX_PARTS && etag) {
        CrS3Part part = { (int)n, s3_unquote (etag, strlen (etag)),
                          size ? g_ascii_strtoll (size, NULL, 10) : -1 };
        g_array_append_val (parts, part);
      }
      at = end + 7;
    }
    g_autofree char *truncated = s3_xml_text (xml, "IsTruncated", NULL);
    g_autofree char *next = s3_xml_text (xml, "NextPartNumberMarker", NULL);
    s3_resp_clear (&r);
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
  s3_resp_init (&r, -1);
  /* S3 may take long to assemble a big object: only the stall bound applies. */
  q.long_transfer = TRUE;
  gboolean ok = s3_request (c, &q, &r, "NoSuchUpload", error);
  if (ok) {
    const char *text = s3_resp_text (&r);
    if (strstr (text, "<Error>")) {
      /* "a 200 OK response can contain either a success or an error" (S3 docs). */
      g_autofree char *code = s3_xml_text (text, "Code", NULL);
      g_autofree char *msg = s3_xml_text (text, "Message", NULL);
      g_set_error (error, CR_S3_ERROR, 200, "%s: %s",
                   s3_code_is_token (code) ? code : "InvalidResponse",
                   msg ? msg : "CompleteMultipartUpload did not succeed");
      ok = FALSE;
    }
  }
  s3_resp_clear (&r);
  g_string_free (xml, TRUE);
  return ok;
}

gboolean
cr_s3_multipart_abort (CrS3Client *c, const char *key, const char *upload_id, GError **error)
{
  CrSigv4Pair query[] = { { "uploadId", upload_id } };
  Resp r;
  s3_resp_init (&r, -1);
  Req q = { .method = "DELETE", .key = key, .query = query, .n_query = 1 };
  gboolean ok = s3_request (c, &q, &r, "NoSuchUpload", error);
  s3_resp_clear (&r);
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
