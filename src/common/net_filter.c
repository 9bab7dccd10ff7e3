/* The fetch-deny ranges; net_filter.h explains why the connected address is what is checked.
 * Every range and address is kept as 16 bytes of IPv6, IPv4 as its mapped form ::ffff:a.b.c.d
 * (a /n IPv4 range is a /96+n range there), so one comparison serves both families and a mapped
 * address cannot slip past an IPv4 range. */
#include "common/net_filter.h"

#include <string.h>

typedef struct {
  guint8 net[16];
  guint prefix; /* bits of @net that must match, 0..128 */
  char *text;   /* as written */
} Range;

struct _CrNetFilter {
  GArray *ranges; /* Range */
};

static void
range_clear (gpointer data)
{
  g_free (((Range *)data)->text);
}

static CrNetFilter *
filter_alloc (void)
{
  CrNetFilter *f = g_new0 (CrNetFilter, 1);
  f->ranges = g_array_new (FALSE, TRUE, sizeof (Range));
  g_array_set_clear_func (f->ranges, range_clear);
  return f;
}

/* @addr as 16 bytes of IPv6 (IPv4 mapped); FALSE for an unknown family. */
static gboolean
filter_bytes (GInetAddress *addr, guint8 out[16])
{
  const guint8 *b = g_inet_address_to_bytes (addr);
  if (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV4) {
    memset (out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy (out + 12, b, 4);
    return TRUE;
  }
  if (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6) {
    memcpy (out, b, 16);
    return TRUE;
  }
  return FALSE;
}

static gboolean
filter_prefix_matches (const guint8 *a, const guint8 *b, guint bits)
{
  guint whole = bits / 8, rest = bits % 8;
  if (memcmp (a, b, whole) != 0)
    return FALSE;
  if (rest == 0)
    return TRUE;
  guint8 mask = (guint8)(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

static gboolean
filter_parse_range (const char *text, Range *r, GError **error)
{
  const char *slash = strchr (text, '/');
  g_autofree char *host = slash != NULL ? g_strndup (text, (gsize)(slash - text)) : g_strdup (text);
  g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (host);
  if (addr == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "\"%s\" is not an address range: \"%s\" is not an IPv4 or IPv6 address (write "
                 "ranges as 10.0.0.0/8 or fd00::/8)",
                 text, host);
    return FALSE;
  }
  gboolean v4 = g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV4;
  guint max = v4 ? 32 : 128;
  guint64 bits = max;
  if (slash != NULL && !g_ascii_string_to_unsigned (slash + 1, 10, 0, max, &bits, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "\"%s\" is not an address range: the prefix length after '/' must be 0..%u", text,
                 max);
    return FALSE;
  }
  filter_bytes (addr, r->net);
  r->prefix = (guint)bits + (v4 ? 96 : 0);
  for (guint i = r->prefix; i < 128; i++) {
    if (r->net[i / 8] & (0x80 >> (i % 8))) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "\"%s\" is not an address range: the address has bits set beyond its /%u "
                   "prefix",
                   text, (guint)bits);
      return FALSE;
    }
  }
  r->text = g_strdup (text);
  return TRUE;
}

CrNetFilter *
cr_net_filter_new (const char *spec, GError **error)
{
  g_autoptr (CrNetFilter) f = filter_alloc ();
  g_auto (GStrv) parts = g_strsplit (spec != NULL ? spec : "", ",", 0);
  for (char **p = parts; *p != NULL; p++) {
    char *item = g_strstrip (*p);
    if (*item == '\0') {
      if (p[1] == NULL && p == parts)
        break; /* "" denies nothing */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "an empty entry in the range list \"%s\"", spec);
      return NULL;
    }
    Range r = { { 0 }, 0, NULL };
    if (!filter_parse_range (item, &r, error))
      return NULL;
    g_array_append_val (f->ranges, r);
  }
  return g_steal_pointer (&f);
}

CrNetFilter *
cr_net_filter_copy (const CrNetFilter *f)
{
  CrNetFilter *c = filter_alloc ();
  for (guint i = 0; f != NULL && i < f->ranges->len; i++) {
    Range r = g_array_index (f->ranges, Range, i);
    r.text = g_strdup (r.text);
    g_array_append_val (c->ranges, r);
  }
  return c;
}

void
cr_net_filter_free (CrNetFilter *f)
{
  if (f == NULL)
    return;
  g_array_unref (f->ranges);
  g_free (f);
}

const char *
cr_net_filter_match (const CrNetFilter *f, GInetAddress *addr)
{
  guint8 b[16];
  if (f == NULL || addr == NULL || !filter_bytes (addr, b))
    return NULL;
  for (guint i = 0; i < f->ranges->len; i++) {
    const Range *r = &g_array_index (f->ranges, Range, i);
    if (filter_prefix_matches (b, r->net, r->prefix))
      return r->text;
  }
  return NULL;
}

gboolean
cr_net_filter_allows (const CrNetFilter *f, GInetAddress *addr)
{
  return cr_net_filter_match (f, addr) == NULL;
}

/* libsoup: SoupMessage::network-event forwards GSocketClient's events; at CONNECTING the
 * connection's socket exists, is not connected yet, and knows the address it is about to connect
 * to (GSocketClient caches it on the connection). Closing the socket there makes the connect fail
 * before any packet leaves. Each address a name resolves to is checked as it is tried. */
#define REFUSAL_KEY "cloudrec-net-filter-refusal"

static void
filter_on_network_event (SoupMessage *msg, GSocketClientEvent event, GIOStream *conn, gpointer data)
{
  const CrNetFilter *f = data;
  if (event != G_SOCKET_CLIENT_CONNECTING || !G_IS_SOCKET_CONNECTION (conn))
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) remote
      = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (conn), &error);
  GInetAddress *addr = G_IS_INET_SOCKET_ADDRESS (remote)
                           ? g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote))
                           : NULL;
  const char *range = addr != NULL ? cr_net_filter_match (f, addr) : NULL;
  if (addr != NULL && range == NULL)
    return;
  g_autofree char *where = addr != NULL ? g_inet_address_to_string (addr) : NULL;
  char *why = addr != NULL
                  ? g_strdup_printf ("connecting to %s is refused (fetch-deny %s)", where, range)
                  : g_strdup_printf ("the address to connect to is unknown (%s); refused",
                                     error != NULL ? error->message : "not an IP socket");
  g_object_set_data_full (G_OBJECT (msg), REFUSAL_KEY, why, g_free);
  g_socket_close (g_socket_connection_get_socket (G_SOCKET_CONNECTION (conn)), NULL);
}

static void
filter_closure_free (gpointer data, GClosure *closure)
{
  cr_net_filter_free (data);
}

void
cr_net_filter_guard_soup_message (const CrNetFilter *f, SoupMessage *msg)
{
  if (f == NULL || f->ranges->len == 0)
    return;
  g_signal_connect_data (msg, "network-event", G_CALLBACK (filter_on_network_event),
                         cr_net_filter_copy (f), filter_closure_free, 0);
}

const char *
cr_net_filter_soup_refusal (SoupMessage *msg)
{
  return g_object_get_data (G_OBJECT (msg), REFUSAL_KEY);
}
