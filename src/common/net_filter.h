/* Address ranges the daemon and its workers never connect to when they fetch or post to a URL a
 * user gave (mixed layouts' pictures, callbacks, later web pages): the `fetch-deny` setting.
 *
 * Why a check on the connected address and not on the URL's host: a host name can resolve to
 * anything (a DNS name pointing at 169.254.169.254, the cloud metadata service, or at 127.0.0.1),
 * and redirects lead elsewhere. So the filter is applied to the address a socket is about to
 * connect to, after resolution, on every connection the HTTP client makes; the host name is never
 * trusted. The parsing and matching here are pure (no I/O); the libsoup glue is the one function
 * at the end. */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _CrNetFilter CrNetFilter;

/* The default of the fetch-deny setting: link-local (169.254.169.254, the metadata address). */
#define CR_NET_FILTER_DEFAULT "169.254.0.0/16,fe80::/10"

/* Parses @spec: CIDR ranges ("10.0.0.0/8", "fd00::/8", or a bare address for a /32 or /128)
 * separated by commas and optional spaces; "" or NULL denies nothing. NULL with @error naming the
 * first bad entry. */
CrNetFilter *cr_net_filter_new (const char *spec, GError **error);
CrNetFilter *cr_net_filter_copy (const CrNetFilter *f);
void cr_net_filter_free (CrNetFilter *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrNetFilter, cr_net_filter_free)

/* TRUE unless @addr is in one of the ranges. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is
 * matched as the IPv4 address it carries, both ways. A NULL filter allows everything. */
gboolean cr_net_filter_allows (const CrNetFilter *f, GInetAddress *addr);
/* The range of @f that denies @addr, as written in the spec (NULL if allowed). */
const char *cr_net_filter_match (const CrNetFilter *f, GInetAddress *addr);

/* Enforces @f on every connection @msg makes (a copy of @f is kept with @msg): when the socket is
 * about to connect to a denied address, it is closed before any byte is sent, so the send fails.
 * cr_net_filter_soup_refusal() then says why. */
void cr_net_filter_guard_soup_message (const CrNetFilter *f, SoupMessage *msg);
/* "connecting to 127.0.0.1 is refused (fetch-deny 127.0.0.0/8)" if the guard refused a
 * connection of @msg; NULL otherwise. */
const char *cr_net_filter_soup_refusal (SoupMessage *msg);

G_END_DECLS
