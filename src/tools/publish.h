/* `cloudrec publish`: a WHIP client that publishes the synthetic source into a room.
 *
 * Why in the binary: tests, demos and benches need publishers that are cheap, scriptable and
 * measurable (the flash and the beep of synthetic.h), and the same webrtcbin as the server side
 * makes both ends' quirks visible in one place. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *server; /* http://HOST:PORT */
  guint64 sdk_app_id;
  char *room; /* integer or string RoomId */
  gboolean str_room;
  char *user;
  char *usersig;
  gboolean aux;   /* stream aux instead of main */
  int duration_s; /* 0: until interrupted */
  int width, height, fps;
  gboolean solid;
  guint32 argb;
  gboolean plain;        /* no flashes, beeps or burnt-in time: a clean colour and tone */
  int tone_hz;           /* with plain: the audio's frequency */
  gboolean vp8;          /* codec VP8 instead of H.264 */
  const char *from_file;       /* a raw H.264 file sent as it is, at fps */
  const char *from_audio_file; /* an Ogg Opus file sent as it is, at its own pace */
  gboolean audio, video;
  int video_kbps; /* 0: from the picture size */
  /* The camera stops for video_pause_s seconds from video_pause_at_s (0: never): no video RTP
   * while the audio goes on, as when a user turns the camera off. */
  int video_pause_at_s, video_pause_s;
  /* No RTP at all (audio and video) for mute_s seconds from mute_at_s (0: never), while the
   * connection stays up (ICE, DTLS, RTCP): a user with camera and microphone off. */
  int mute_at_s, mute_s;
  /* A session that fails (the server went away or restarted, the POST refused) is started again
   * with a backoff for up to reconnect_s seconds from the loss (0: fail at once). */
  int reconnect_s;
  /* PEM CA certificates the https:// server's certificate must chain to instead of the system's
   * (a daemon with its own tls-cert); NULL: the system's. */
  const char *ca_file;
  /* The picture is this X display (":N"), captured, instead of the synthetic source (the board
   * publisher's worker: recorder/board_publish.c); NULL: the synthetic source. */
  const char *capture_display;
  /* Video-generation mode (seed 003): about once a second an SEI {"syncTime": <capture wall ms +
   * sync_offset_ms>} in the H.264 stream (media/sei_sync.h), as TRTC's sendSEIMsg does. */
  gboolean sync_sei;
  gint64 sync_offset_ms;
  /* The picture turns white (every frame) once the publisher's board clock (wall ms +
   * sync_offset_ms, with or without sync_sei) reaches white_at_ms (0: never): an instant a test
   * finds in the recording. */
  gint64 white_at_ms;
} CrPublishOptions;

/* Publishes until the duration ends, SIGINT/SIGTERM or a failure (past reconnect_s); leaves with
 * DELETE. Returns 0
 * on success, 1 with @error set otherwise. */
int cr_publish_run (const CrPublishOptions *opts, GError **error);

G_END_DECLS
