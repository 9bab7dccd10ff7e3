/* The built-in WebRTC ingest: WHIP endpoints on the daemon's HTTP server, one session per
 * published stream, rooms updated as sessions come and go, RTP forwards for recorders.
 *
 * URLs (README "WHIP"):
 *   POST   /whip/{SdkAppId}/room/{RoomId}/{UserId}/{main|aux}      integer room
 *   POST   /whip/{SdkAppId}/str-room/{RoomId}/{UserId}/{main|aux}  string room
 *   DELETE /whip/session/{id}                                        leave
 *   /internal/rooms/..., /internal/forwards/...   recorder workers, on the daemon-worker link
 *                                                 only (link.h); see internal_api.c */
#pragma once

#include "api/http_server.h"
#include "config/config.h"
#include "link/link_server.h"
#include "room/room.h"

G_BEGIN_DECLS

typedef struct _CrIngest CrIngest;

/* Registers the WHIP handlers on @http and the workers' rooms and forwards on @link. */
CrIngest *cr_ingest_new (const CrConfig *config, CrRoomRegistry *rooms, CrHttpServer *http,
                         CrLinkServer *link, GError **error);
/* Ends every session (publishers leave with reason "shutdown"). */
void cr_ingest_free (CrIngest *ingest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrIngest, cr_ingest_free)

guint cr_ingest_session_count (CrIngest *ingest);

/* The daemon is stopping: a new WHIP POST is answered 503 with Retry-After (sessions under way
 * go on until the daemon closes them). */
void cr_ingest_stop_accepting (CrIngest *ingest);

/* Removes every forward that task @task_id asked for (its worker exited). Forwards of a worker
 * that died also stop by themselves once their ports refuse packets (forward.h). */
void cr_ingest_end_task_forwards (CrIngest *ingest, const char *task_id);

/* What the console shows of a published stream: its codecs, the bytes received since it
 * started and how its lost packets were asked for again. FALSE when no such stream is published.
 * Main context only. */
typedef struct {
  const char *audio_codec; /* NULL without audio; valid until the stream ends */
  const char *video_codec;
  guint64 rx_bytes;
  gint64 started_us; /* monotonic */
  /* Retransmission (the lean engine counts it; FALSE with webrtcbin): RTP packets found missing
   * and asked for again (NACK), of them those that arrived, and those given up. */
  gboolean retx_counted;
  guint64 nacked, recovered, unrecovered;
} CrIngestStreamInfo;

gboolean cr_ingest_stream_info (CrIngest *ingest, const CrRoomKey *key, const char *user_id,
                                CrStreamKind stream, CrIngestStreamInfo *out);

G_END_DECLS
