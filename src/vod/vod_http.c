/* GET/HEAD /vod/<FileId>/<name>; see vod_http.h. */
#include "vod_http.h"

#include <string.h>

#include "vod/vod_url.h"

static void
vod_reply_text (SoupServerMessage *msg, guint status, const char *text)
{
  g_autofree char *body = g_strdup_printf ("%u %s\n", status, text);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, body,
                                    strlen (body));
}

/* The playlist with the request's own t/us/sign on its segment URIs: they live in the same
 * signed directory, so the same signature admits them. */
static GBytes *
vod_sign_playlist (GBytes *file, const char *t, const char *us, const char *sign)
{
  gsize len = 0;
  const char *text = g_bytes_get_data (file, &len);
  g_autofree char *us_esc = g_uri_escape_string (us, NULL, FALSE);
  g_autofree char *query = g_strdup_printf ("t=%s&us=%s&sign=%s", t, us_esc, sign);
  char *out = cr_vod_m3u8_sign (text != NULL ? text : "", text != NULL ? len : 0, query);
  return g_bytes_new_take (out, strlen (out));
}

/* The body of @bytes (all, or the Range the request asks for), without copying it.
 *
 * libsoup-3's SoupServer does answer a Range by itself for a complete 200 body, but it first
 * flattens the body into one new buffer (soup_message_body_flatten copies every chunk), i.e. a
 * full copy of a multi-GB recording per request, and its 416 carries no Content-Range. So the
 * response body does not accumulate (which turns libsoup's own handling off) and the range is a
 * slice of the mapping. */
static void
vod_send_bytes (SoupServerMessage *msg, GBytes *bytes, const char *content_type)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  gint64 size = (gint64)g_bytes_get_size (bytes);
  gint64 start = 0, end = 0;
  CrVodRange range
      = cr_vod_parse_range (soup_message_headers_get_one (req, "Range"), size, &start, &end);
  soup_message_headers_replace (resp, "Accept-Ranges", "bytes");
  soup_message_headers_replace (resp, "Cache-Control", "private");
  soup_message_body_set_accumulate (body, FALSE);
  if (range == CR_VOD_RANGE_UNSATISFIABLE) {
    g_autofree char *cr = g_strdup_printf ("bytes */%" G_GINT64_FORMAT, size);
    soup_message_headers_replace (resp, "Content-Range", cr);
    vod_reply_text (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, "range not satisfiable");
    return;
  }
  g_autoptr (GBytes) part = NULL;
  if (range == CR_VOD_RANGE_OK) {
    part = g_bytes_new_from_bytes (bytes, (gsize)start, (gsize)(end - start + 1));
    soup_message_headers_set_content_range (resp, start, end, size);
    soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
  } else {
    part = g_bytes_ref (bytes);
    soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  }
  soup_message_headers_set_content_type (resp, content_type, NULL);
  soup_message_headers_set_content_length (resp, (goffset)g_bytes_get_size (part));
  if (g_bytes_get_size (part) > 0)
    soup_message_body_append_bytes (body, part);
}

static void
vod_handle (SoupServer *soup, SoupServerMessage *msg, const char *decoded_path, GHashTable *query,
            gpointer data)
{
  CrVodLibrary *lib = data;
  const char *method = soup_server_message_get_method (msg);
  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0) {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                  "GET, HEAD");
    vod_reply_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed");
    return;
  }
  /* The path as sent (still percent-encoded): exactly /vod/<FileId>/<name>. */
  const char *raw = g_uri_get_path (soup_server_message_get_uri (msg));
  if (!g_str_has_prefix (raw, CR_VOD_HTTP_PATH "/")) {
    vod_reply_text (msg, SOUP_STATUS_NOT_FOUND, "not found");
    return;
  }
  g_auto (GStrv) seg = g_strsplit (raw + strlen (CR_VOD_HTTP_PATH "/"), "/", 0);
  /* An encoded '/' or NUL in the name is refused by the unescape itself. */
  g_autofree char *name
      = g_strv_length (seg) == 2 ? g_uri_unescape_segment (seg[1], NULL, "/") : NULL;
  if (name == NULL || !cr_vod_file_id_valid (seg[0]) || !cr_vod_name_valid (name)) {
    vod_reply_text (msg, SOUP_STATUS_BAD_REQUEST, "bad path: expected /vod/<FileId>/<name>");
    return;
  }
  /* The signature first: without one, nobody learns which FileIds exist. */
  const char *t = query != NULL ? g_hash_table_lookup (query, "t") : NULL;
  const char *us = query != NULL ? g_hash_table_lookup (query, "us") : NULL;
  const char *sign = query != NULL ? g_hash_table_lookup (query, "sign") : NULL;
  g_autofree char *signed_path = g_strdup_printf (CR_VOD_HTTP_PATH "/%s/%s", seg[0], name);
  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
  CrVodUrlCheck check
      = cr_vod_url_verify (cr_vod_library_key (lib), signed_path, t, us, sign, now_s);
  if (check != CR_VOD_URL_OK) {
    vod_reply_text (msg, SOUP_STATUS_FORBIDDEN, cr_vod_url_check_to_string (check));
    return;
  }
  g_auto (CrVodEntry) entry = { 0 };
  g_autoptr (GError) error = NULL;
  if (!cr_vod_library_lookup (lib, seg[0], now_s, &entry, &error)) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
      g_warning ("vod: %s", error->message);
    vod_reply_text (msg, SOUP_STATUS_NOT_FOUND, "not found");
    return;
  }
  if (!g_strv_contains ((const char *const *)entry.files, name)) {
    vod_reply_text (msg, SOUP_STATUS_NOT_FOUND, "not found");
    return;
  }
  g_autofree char *path = cr_vod_library_file_path (lib, seg[0], name);
  g_autoptr (GMappedFile) map = g_mapped_file_new (path, FALSE, &error);
  if (map == NULL) {
    g_warning ("vod: %s", error->message);
    vod_reply_text (msg, SOUP_STATUS_NOT_FOUND, "not found");
    return;
  }
  g_autoptr (GBytes) bytes = g_mapped_file_get_bytes (map);
  const char *type = cr_vod_content_type (name);
  if (g_str_has_suffix (name, ".m3u8")) {
    g_autoptr (GBytes) signed_list = vod_sign_playlist (bytes, t, us != NULL ? us : "", sign);
    vod_send_bytes (msg, signed_list, type);
    return;
  }
  vod_send_bytes (msg, bytes, type);
}

void
cr_vod_http_register (CrHttpServer *http, CrVodLibrary *lib)
{
  cr_http_server_add_handler (http, CR_VOD_HTTP_PATH, vod_handle, lib);
}

void
cr_vod_http_unregister (CrHttpServer *http)
{
  cr_http_server_remove_handler (http, CR_VOD_HTTP_PATH);
}
