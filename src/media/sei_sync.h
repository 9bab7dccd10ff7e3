/* The board clock in an H.264 stream (seed 003, video-generation mode): a publisher sends
 * `{"syncTime": <board ms>}` in an SEI message (NAL type 6) about once a second (TRTC's
 * sendSEIMsg); the recorder reads it back to place the video on the board's timeline
 * (docs/recording.md, "Board-clock samples").
 *
 * Why a pure parser: the bytes come from any publisher (emulation-prevention bytes, several SEI
 * messages in one NAL, garbage); a function of a buffer is unit-tested on every such case, and
 * the pad probes (publish's writer, the recorder's reader) stay a few lines. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* user_data_unregistered's UUID that `cloudrec publish` writes (any UUID is accepted). */
extern const guint8 CR_SEI_SYNC_UUID[16];

/* The syncTime of the first SEI of an Annex-B access unit @data that carries one: payload type 5
 * (user_data_unregistered: a 16-byte UUID, then the JSON) or 242 (TRTC's sendSEIMsg: the JSON
 * alone). FALSE when there is none. */
gboolean cr_sei_find_sync_time (const guint8 *data, gsize size, gint64 *board_ms);

/* The same for one SEI NAL's RBSP-escaped payload (after the NAL header byte). */
gboolean cr_sei_nal_sync_time (const guint8 *nal, gsize size, gint64 *board_ms);

/* An SEI NAL (start code 00 00 00 01, header 0x06, payload type 5 with CR_SEI_SYNC_UUID, the JSON
 * {"syncTime":@board_ms}, emulation prevention applied, rbsp trailing bits). */
GBytes *cr_sei_build_sync_time (gint64 board_ms);

/* Where in an Annex-B access unit an SEI goes: the offset of the start code of its first VCL NAL
 * (types 1..5), or @size when there is none. */
gsize cr_sei_insert_offset (const guint8 *data, gsize size);

G_END_DECLS
