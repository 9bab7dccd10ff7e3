/* The API bench's baseline: the cheapest libsoup-3 handler that answers a POST with a fixed TRTC
 * envelope. cloudrec's numbers are reported as ratios against it, so the bench measures what
 * cloudrec adds (TC3, validation, the store) and not the HTTP stack or the machine. */
#include <libsoup/soup.h>
#include <stdio.h>
#include <stdlib.h>

static void
baseline_handle (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                 gpointer user_data)
{
  static const char reply[]
      = "{\"Response\":{\"TaskId\":\"baseline\",\"Status\":\"Idle\",\"StorageFileList\":[],"
        "\"RequestId\":\"00000000-0000-4000-8000-000000000000\"}}";
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, reply,
                                    sizeof reply - 1);
}

int
main (int argc, char **argv)
{
  int port = argc > 1 ? atoi (argv[1]) : 0;
  g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;
  soup_server_add_handler (server, "/", baseline_handle, NULL, NULL);
  if (!soup_server_listen_local (server, (guint)port, SOUP_SERVER_LISTEN_IPV4_ONLY, &error)) {
    g_printerr ("baseline: %s\n", error->message);
    return 1;
  }
  GSList *uris = soup_server_get_uris (server);
  g_print ("baseline listening on %d\n", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  fflush (stdout);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_main_loop_run (loop);
  return 0;
}
