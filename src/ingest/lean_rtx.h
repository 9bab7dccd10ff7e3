/* RTX (RFC 4588) for the lean engine, pure (no I/O, unit-tested and fuzzed): a retransmission
 * turned back into the packet it repairs.
 *
 * Why: a WebRTC sender answers our NACKs (lean_nack.h) on a stream of its own, with its own SSRC,
 * payload type and sequence numbers, and the original sequence number (OSN) as the first two
 * bytes of the payload; it also sends padding-only packets there to probe the bandwidth. The
 * workers know one stream per track, so the original is restored and forwarded as if it had
 * arrived the first time. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Restores, in place, the original of the RTX packet in @buf (@len bytes, updated): sequence
 * number = the OSN, payload type @apt (the marker bit kept), SSRC @media_ssrc, the payload
 * without the OSN and the RTX packet's padding (CSRCs and header extensions kept). FALSE, with
 * @buf untouched, for a padding-only packet (a probe) or one too short for its header and OSN. */
gboolean cr_rtx_restore (guint8 *buf, gsize *len, guint8 apt, guint32 media_ssrc);

G_END_DECLS
