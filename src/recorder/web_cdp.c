/* The DevTools pipe; see web_cdp.h. */
#include "web_cdp.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <unistd.h>

#include "common/json_util.h"

#define CDP_MAX_MESSAGE (16 * 1024 * 1024) /* a message longer than this closes the pipe */

typedef struct {
  CrWebCdpReply reply;
  gpointer data;
} Pending;

struct _CrWebCdp {
  int to_fd, from_fd;
  guint watch;
  GString *in;
  gint64 next_id;
  GHashTable *pending; /* id -> Pending */
  CrWebCdpEvent on_event;
  gpointer data;
  gboolean closed;
};

static void
cdp_fail_pending (CrWebCdp *cdp)
{
  GHashTableIter it;
  gpointer value;
  g_autoptr (GHashTable) pending = g_steal_pointer (&cdp->pending);
  cdp->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_hash_table_iter_init (&it, pending);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Pending *p = value;
    if (p->reply != NULL)
      p->reply (cdp, NULL, "the browser closed its DevTools pipe", p->data);
  }
}

static void
cdp_dispatch (CrWebCdp *cdp, const char *text, gsize len)
{
  g_autoptr (JsonObject) msg = cr_json_parse_object (text, len, NULL);
  if (msg == NULL)
    return;
  gint64 id = 0;
  if (cr_json_get_int (msg, "id", &id)) {
    Pending *p = NULL;
    gint64 *key = NULL;
    if (!g_hash_table_steal_extended (cdp->pending, &id, (gpointer *)&key, (gpointer *)&p))
      return;
    g_free (key);
    JsonObject *err = cr_json_get_object (msg, "error");
    const char *why = err != NULL ? cr_json_get_string (err, "message") : NULL;
    if (p->reply != NULL)
      p->reply (cdp, err != NULL ? NULL : cr_json_get_object (msg, "result"),
                err != NULL ? (why != NULL ? why : "error") : NULL, p->data);
    g_free (p);
    return;
  }
  const char *method = cr_json_get_string (msg, "method");
  const char *session = cr_json_get_string (msg, "sessionId");
  if (method != NULL && cdp->on_event != NULL)
    cdp->on_event (cdp, method, cr_json_get_object (msg, "params"), session != NULL ? session : "",
                   cdp->data);
}

static gboolean
cdp_on_readable (gint fd, GIOCondition cond, gpointer data)
{
  CrWebCdp *cdp = data;
  char buf[65536];
  ssize_t n = read (fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return G_SOURCE_CONTINUE;
  if (n <= 0 || cdp->in->len + (gsize)n > CDP_MAX_MESSAGE) {
    cdp->closed = TRUE;
    cdp->watch = 0;
    cdp_fail_pending (cdp);
    return G_SOURCE_REMOVE;
  }
  g_string_append_len (cdp->in, buf, n);
  for (;;) {
    const char *nul = memchr (cdp->in->str, '\0', cdp->in->len);
    if (nul == NULL)
      break;
    gsize len = (gsize)(nul - cdp->in->str);
    g_autofree char *one = g_strndup (cdp->in->str, len);
    g_string_erase (cdp->in, 0, (gssize)len + 1);
    cdp_dispatch (cdp, one, len);
  }
  return G_SOURCE_CONTINUE;
}

CrWebCdp *
cr_web_cdp_new (int to_browser, int from_browser, CrWebCdpEvent on_event, gpointer data)
{
  CrWebCdp *cdp = g_new0 (CrWebCdp, 1);
  cdp->to_fd = to_browser;
  cdp->from_fd = from_browser;
  cdp->in = g_string_new (NULL);
  cdp->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  cdp->on_event = on_event;
  cdp->data = data;
  cdp->next_id = 1;
  g_unix_set_fd_nonblocking (from_browser, TRUE, NULL);
  cdp->watch = g_unix_fd_add (from_browser, G_IO_IN | G_IO_HUP | G_IO_ERR, cdp_on_readable, cdp);
  return cdp;
}

void
cr_web_cdp_free (CrWebCdp *cdp)
{
  if (cdp == NULL)
    return;
  if (cdp->watch != 0)
    g_source_remove (cdp->watch);
  cdp->on_event = NULL;
  cdp->closed = TRUE;
  cdp_fail_pending (cdp);
  g_hash_table_unref (cdp->pending);
  close (cdp->to_fd);
  close (cdp->from_fd);
  g_string_free (cdp->in, TRUE);
  g_free (cdp);
}

gboolean
cr_web_cdp_call (CrWebCdp *cdp, const char *session_id, const char *method, JsonObject *params,
                 CrWebCdpReply reply, gpointer data)
{
  g_autoptr (JsonObject) owned = params;
  if (cdp->closed)
    return FALSE;
  g_autoptr (JsonObject) msg = json_object_new ();
  gint64 id = cdp->next_id++;
  json_object_set_int_member (msg, "id", id);
  json_object_set_string_member (msg, "method", method);
  if (session_id != NULL)
    json_object_set_string_member (msg, "sessionId", session_id);
  json_object_set_object_member (msg, "params",
                                 owned != NULL ? g_steal_pointer (&owned) : json_object_new ());
  g_autofree char *text = cr_json_object_to_string (msg);
  gsize len = strlen (text) + 1; /* the NUL ends the message */
  for (gsize done = 0; done < len;) {
    ssize_t n = write (cdp->to_fd, text + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      cdp->closed = TRUE;
      return FALSE;
    }
    done += (gsize)n;
  }
  Pending *p = g_new0 (Pending, 1);
  p->reply = reply;
  p->data = data;
  gint64 *key = g_new (gint64, 1);
  *key = id;
  g_hash_table_insert (cdp->pending, key, p);
  return TRUE;
}

gboolean
cr_web_cdp_closed (CrWebCdp *cdp)
{
  return cdp->closed;
}
