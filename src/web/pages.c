/* Serves the pages of web/ from the compiled-in GResource; see pages.h. */
#include "pages.h"

#include <string.h>

#include "web-resources.h"

static void
pages_handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
              gpointer data)
{
  const char *method = soup_server_message_get_method (msg);
  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                  "GET, HEAD");
    return;
  }
  if (strcmp (path, "/publish") != 0 && strcmp (path, "/publish/") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  g_autoptr (GBytes) page = g_resource_lookup_data (
      web_get_resource (), "/cloudrec/web/publish.html", G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (page == NULL) {
    soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
    return;
  }
  gsize len = 0;
  const char *data_ptr = g_bytes_get_data (page, &len);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-cache");
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY, data_ptr,
                                    len);
}

void
cr_web_pages_register (CrHttpServer *http)
{
  cr_http_server_add_handler (http, "/publish", pages_handle, NULL);
}
