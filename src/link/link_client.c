/* HTTP over the link's socket; see link_client.h. */
#include "link_client.h"

#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "common/json_util.h"
#include "link/link.h"

G_DEFINE_QUARK (cr - link - error - quark, cr_link_error)

SoupSession *
cr_link_session_new (const char *socket_path, guint timeout_s)
{
  g_autoptr (GSocketAddress) addr = g_unix_socket_address_new (socket_path);
  return soup_session_new_with_options ("remote-connectable", addr, "timeout", timeout_s, NULL);
}

SoupMessage *
cr_link_message_new (const char *method, const char *path, const char *body)
{
  g_autofree char *url = g_strconcat (CR_LINK_URL_BASE, path, NULL);
  SoupMessage *msg = soup_message_new (method, url);
  /* libsoup sends a POST or PUT on a new connection rather than on an idle one (a stale
   * keep-alive connection could lose a request that is not safe to repeat). On the link's local
   * socket an idle connection is never stale unless the daemon closed it, which the client sees
   * at once; reusing it keeps a worker at one connection instead of one per call. */
  if (msg != NULL)
    soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
  if (msg != NULL && body != NULL) {
    g_autoptr (GBytes) b = g_bytes_new (body, strlen (body));
    soup_message_set_request_body_from_bytes (msg, "application/json", b);
  }
  return msg;
}

JsonObject *
cr_link_call (SoupSession *session, const char *method, const char *path, const char *body,
              guint *status, GError **error)
{
  *status = 0;
  g_autoptr (SoupMessage) msg = cr_link_message_new (method, path, body);
  if (msg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad link path %s", path);
    return NULL;
  }
  g_autoptr (GBytes) reply = soup_session_send_and_read (session, msg, NULL, error);
  if (reply == NULL)
    return NULL;
  *status = soup_message_get_status (msg);
  gsize len = 0;
  const char *text = g_bytes_get_data (reply, &len);
  return len > 0 && text[0] == '{' ? cr_json_parse_object (text, len, NULL) : NULL;
}
