/* ICE settings shared by every webrtcbin cloudrec makes (the WHIP server's sessions and the
 * `cloudrec publish` client).
 *
 * Why: libnice leaves loopback out of its candidates, so in a network namespace with only "lo"
 * (the tests) no candidate pair would form; UPnP discovery costs ~200 ms per agent; ICE-TCP costs
 * sockets and time and WHIP peers speak UDP. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Host candidates on every local address, loopback included; no UPnP; UDP only. */
void cr_ice_configure (GstElement *webrtcbin);

G_END_DECLS
