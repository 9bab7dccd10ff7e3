/* Video-generation mode (seed 003; docs/class-record.md, "Video-generation mode"): a class whose
 * spans record only each user's single-stream HLS, replayed by the daemon's replay page
 * (/board/replay, web/replay.html) on the board's clock, and turned into MP4s on request by a
 * video-generation task (CreateVideoGenerationTask, class_video_gen.c).
 *
 * The streams' place on the board clock: from the publisher's syncTime SEI samples
 * (media/sei_probe.h's sidecar) where it sent them, else from the daemon's receive clock (the
 * playlist's FILE-ATTR times), which IS the board clock: both are this daemon's wall clock. */
#pragma once

#include <json-glib/json-glib.h>

#include "api/http_server.h"
#include "tiw/class_record.h"
#include "tiw/class_state.h"

G_BEGIN_DECLS

#define CR_CLASS_VIDEO_MODE "VIDEO_GENERATION_MODE"

/* Whether the (normalised) StartOnlineRecord @req asks for video-generation mode. */
gboolean cr_class_video_mode (JsonObject *req);
/* Whether a span of @req records @part: in video-generation mode the per-user streams only (no
 * mix, no audio-only files); the request's own rules otherwise. */
gboolean cr_class_video_wants_part (JsonObject *req, CrClassPart part);
/* In video-generation mode, the per-user part's CreateCloudRecording @create records HLS
 * (OutputFormat 0) of audio and video, main and aux. Nothing otherwise. */
void cr_class_video_fill_part (JsonObject *req, JsonObject *create);

/* The facts of a single-stream playlist's @text: START-REC-TIME, the first segment's FILE-ATTR
 * start, the sum of its EXTINF (ms). FALSE when it has no segment. */
gboolean cr_class_video_playlist_facts (const char *text, gint64 *start_rec_ms,
                                        gint64 *first_segment_ms, gint64 *duration_ms);
/* The board time at media time 0 of the playlist as a player shows it (its first segment's start)
 * from the sidecar's @samples ({MediaMs, BoardMs}, MediaMs since START-REC-TIME) and
 * @lead_ms = first segment start - START-REC-TIME: the median of BoardMs - (MediaMs - lead_ms).
 * FALSE without samples. */
gboolean cr_class_video_sei_origin (JsonArray *samples, gint64 lead_ms, gint64 *origin_ms);

/* Each run of the playlist @text (the segments up to the next #EXT-X-DISCONTINUITY: a user who
 * left and came back) placed on the board clock by the SEI @samples received during it, as video
 * generation places them (cr_class_video_gen_run_shifts): [{MediaStartMs (where the run starts
 * in a player's time, the EXTINF before it), BoardStartMs (the board time of that point: its
 * first FILE-ATTR + the run's shift), DurationMs}]. */
JsonArray *cr_class_video_runs (const char *text, JsonArray *samples);
/* The class's streams: [{Span, UserId, Media ("main"|"aux"), TrtcTaskId, File, Dir (local
 * directory), BoardStartMs, ReceiveStartMs, SyncSource ("sei"|"receive"), SeiSamples,
 * DurationMs, Runs (cr_class_video_runs)}] from the local storage; the files of a TRTC task in a
 * bucket only where @fetched (or NULL) holds a copy of them in "<@fetched>/<TRTC TaskId>/" (its
 * playlists and their SEI sidecars: class_bucket.h). */
JsonArray *cr_class_video_streams (CrClassRecorder *rec, JsonObject *r, const char *fetched);

/* The board log of class @r (its RoomId's board) up to @to_ms (<= 0: all), in the board
 * contract's entry format, read through the board service (cr_board_log_read; [] without one). */
JsonArray *cr_class_video_board_log (CrClassRecorder *rec, JsonObject *r, gint64 to_ms);

/* The ReplayUrl of class @r (its own token, valid replay-url-hours). */
char *cr_class_video_replay_url (CrClassRecorder *rec, JsonObject *r);

/* Serves /board/replay (the page, its script, its data and the class's files) on @http, and
 * learns the daemon's base URL for ReplayUrl (public-url, else the listen address). */
void cr_class_video_register (CrClassRecorder *rec, CrHttpServer *http);

G_END_DECLS
