/* `cloudrec publish --server URL --sdkappid N (--room INT | --str-room STR) --user U --usersig SIG
 * [--stream main|aux] [--duration S] [--size WxH] [--fps N] [--color NAME|#RRGGBB]
 * [--codec h264|vp8] [--no-audio] [--no-video] [--bitrate KBPS] [--reconnect SECONDS]
 * [--sync-time-sei[=OFFSET_MS]] [--flash-at UNIX_MS]`: publishes
 * the synthetic source.
 */
#include <glib.h>
#include <stdio.h>
#include <gio/gio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "tools/publish.h"
#include "tools/synthetic.h"

static gboolean sync_sei;
static gint64 sync_offset_ms;

/* --sync-time-sei[=OFFSET_MS] */
static gboolean
publish_parse_sync (const char *name, const char *value, gpointer data, GError **error)
{
  sync_sei = TRUE;
  sync_offset_ms = 0;
  if (value == NULL)
    return TRUE;
  char *end = NULL;
  sync_offset_ms = g_ascii_strtoll (value, &end, 10);
  if (*value == '\0' || *end != '\0' || sync_offset_ms < -86400000 || sync_offset_ms > 86400000) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--sync-time-sei takes an offset in ms (-86400000..86400000), not \"%s\"", value);
    return FALSE;
  }
  return TRUE;
}

static int
publish_usage_error (const char *fmt, const char *detail)
{
  fprintf (stderr, "cloudrec publish: ");
  fprintf (stderr, fmt, detail);
  fprintf (stderr, "\n");
  return 2;
}

int
cr_cmd_publish (int argc, char **argv)
{
  g_autofree char *server = NULL, *room = NULL, *str_room = NULL, *user = NULL, *usersig = NULL;
  g_autofree char *stream = NULL, *size = NULL, *color = NULL, *codec = NULL;
  gint64 sdk_app_id = 0;
  int duration = 0, fps = 15, bitrate = 0;
  gboolean no_audio = FALSE, no_video = FALSE, plain = FALSE;
  int tone = 0, reconnect = 0;
  g_autofree char *from = NULL, *from_audio = NULL, *ca_file = NULL;
  g_autofree char *video_pause = NULL, *mute = NULL, *capture = NULL;
  gint64 white_at = 0;
  GOptionEntry entries[] = {
    { "sync-time-sei", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, publish_parse_sync,
      "every second an H.264 SEI {\"syncTime\": wall ms + OFFSET_MS (default 0)} (video-generation "
      "mode's board clock)",
      "OFFSET_MS" },
    { "flash-at", 0, 0, G_OPTION_ARG_INT64, &white_at,
      "the picture turns white when the publisher's board clock (wall ms + the --sync-time-sei "
      "offset) reaches this Unix ms",
      "UNIX_MS" },
    { "server", 0, 0, G_OPTION_ARG_STRING, &server, "the daemon, http(s)://HOST:PORT", "URL" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file,
      "https: trust the CA certificates in FILE (PEM) instead of the system's", "FILE" },
    { "sdkappid", 0, 0, G_OPTION_ARG_INT64, &sdk_app_id, "SdkAppId", "N" },
    { "room", 0, 0, G_OPTION_ARG_STRING, &room, "integer RoomId", "INT" },
    { "str-room", 0, 0, G_OPTION_ARG_STRING, &str_room, "string RoomId", "STR" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, "UserId to publish as", "USERID" },
    { "usersig", 0, 0, G_OPTION_ARG_STRING, &usersig, "UserSig of that user", "SIG" },
    { "stream", 0, 0, G_OPTION_ARG_STRING, &stream, "main (default) or aux", "main|aux" },
    { "duration", 0, 0, G_OPTION_ARG_INT, &duration,
      "seconds to publish, counted from the connection (default: until ^C)", "SECONDS" },
    { "size", 0, 0, G_OPTION_ARG_STRING, &size, "picture size (default 640x360)", "WxH" },
    { "fps", 0, 0, G_OPTION_ARG_INT, &fps, "frames per second (default 15)", "N" },
    { "color", 0, 0, G_OPTION_ARG_STRING, &color, "a solid colour instead of the test pattern",
      "NAME|#RRGGBB" },
    { "codec", 0, 0, G_OPTION_ARG_STRING, &codec, "h264 (default) or vp8", "h264|vp8" },
    { "bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate, "video kbit/s (default from the size)", "KBPS" },
    { "plain", 0, 0, G_OPTION_ARG_NONE, &plain,
      "no flashes, beeps or burnt-in time: a clean colour and a tone", NULL },
    { "tone", 0, 0, G_OPTION_ARG_INT, &tone, "with --plain: the tone's frequency (default 440)",
      "HZ" },
    { "from", 0, 0, G_OPTION_ARG_FILENAME, &from,
      "publish this raw H.264 file (Annex B, constrained baseline, no B-frames) at --fps", "FILE" },
    { "from-audio", 0, 0, G_OPTION_ARG_FILENAME, &from_audio,
      "publish the Opus of this Ogg file as it is (mono or stereo, 48 kHz), at its own pace",
      "FILE" },
    { "no-audio", 0, 0, G_OPTION_ARG_NONE, &no_audio, "publish no audio", NULL },
    { "no-video", 0, 0, G_OPTION_ARG_NONE, &no_video, "publish no video", NULL },
    { "video-pause", 0, 0, G_OPTION_ARG_STRING, &video_pause,
      "turn the camera off AT seconds in (0: from the start), for SECONDS (the audio goes on)",
      "AT:SECONDS" },
    { "mute", 0, 0, G_OPTION_ARG_STRING, &mute,
      "send no RTP at all AT seconds in, for SECONDS (the connection stays up)", "AT:SECONDS" },
    { "reconnect", 0, 0, G_OPTION_ARG_INT, &reconnect,
      "when the session fails (the server went away or restarted), publish again with a backoff "
      "for up to SECONDS (default 0: exit)",
      "SECONDS" },
    /* The board publisher's worker (recorder/board_publish.c): capture this X display instead
     * of the synthetic picture; the UserSig may come in CLOUDREC_PUBLISH_USERSIG (off the
     * command line other local users can read). Not for users: hidden. */
    { "capture-display", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &capture,
      "publish this X display's picture (XAUTHORITY: its cookie)", ":N" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;
  if (!cr_cli_parse ("cloudrec publish", "- publish a synthetic stream into a room over WHIP",
                     entries, argc, argv, &error))
    return publish_usage_error ("%s", error->message);

  CrPublishOptions o = { 0 };
  o.width = 640, o.height = 360, o.fps = fps, o.duration_s = duration, o.video_kbps = bitrate;
  o.audio = !no_audio, o.video = !no_video;
  o.ca_file = ca_file;
  if (server == NULL
      || (!g_str_has_prefix (server, "http://") && !g_str_has_prefix (server, "https://")))
    return publish_usage_error ("%s", "--server http://HOST:PORT is required");
  if (sdk_app_id <= 0 || sdk_app_id > G_MAXUINT32)
    return publish_usage_error ("%s", "--sdkappid (1..4294967295) is required");
  if ((room == NULL) == (str_room == NULL))
    return publish_usage_error ("%s", "give exactly one of --room INT and --str-room STR");
  if (capture != NULL && usersig == NULL && g_getenv ("CLOUDREC_PUBLISH_USERSIG") != NULL)
    usersig = g_strdup (g_getenv ("CLOUDREC_PUBLISH_USERSIG"));
  if (user == NULL || *user == '\0' || usersig == NULL || *usersig == '\0')
    return publish_usage_error ("%s", "--user and --usersig are required");
  if (stream != NULL && strcmp (stream, "main") != 0 && strcmp (stream, "aux") != 0)
    return publish_usage_error ("--stream must be main or aux, not \"%s\"", stream);
  if (codec != NULL && strcmp (codec, "h264") != 0 && strcmp (codec, "vp8") != 0)
    return publish_usage_error ("--codec must be h264 or vp8, not \"%s\"", codec);
  if (size != NULL
      && (sscanf (size, "%dx%d", &o.width, &o.height) != 2 || o.width < 16 || o.height < 16
          || o.width > 3840 || o.height > 2160 || o.width % 2 != 0 || o.height % 2 != 0))
    return publish_usage_error ("--size must be WxH with even sides from 16x16 to 3840x2160, not "
                                "\"%s\"",
                                size);
  if (fps < 1 || fps > 60)
    return publish_usage_error ("%s", "--fps must be 1..60");
  if (duration < 0)
    return publish_usage_error ("%s", "--duration must not be negative");
  if (bitrate < 0 || bitrate > 50000)
    return publish_usage_error ("%s", "--bitrate must be 0..50000 kbit/s");
  if (no_audio && no_video)
    return publish_usage_error ("%s", "--no-audio and --no-video leave nothing to publish");
  if (color != NULL && !cr_synthetic_parse_colour (color, &o.argb))
    return publish_usage_error ("--color must be a colour name (red, green, blue, white, black, "
                                "yellow, cyan, magenta, gray, orange, purple) or #RRGGBB, not "
                                "\"%s\"",
                                color);
  if (video_pause != NULL
      && (sscanf (video_pause, "%d:%d", &o.video_pause_at_s, &o.video_pause_s) != 2
          || o.video_pause_at_s < 0 || o.video_pause_s < 1 || o.video_pause_at_s > 86400
          || o.video_pause_s > 86400))
    return publish_usage_error ("--video-pause must be AT:SECONDS (whole seconds, AT >= 0, SECONDS >= 1), not \"%s\"",
                                video_pause);
  if (mute != NULL
      && (sscanf (mute, "%d:%d", &o.mute_at_s, &o.mute_s) != 2 || o.mute_at_s < 1 || o.mute_s < 1
          || o.mute_at_s > 86400 || o.mute_s > 86400))
    return publish_usage_error ("--mute must be AT:SECONDS (whole seconds >= 1), not \"%s\"", mute);
  if (ca_file != NULL) {
    g_autoptr (GTlsDatabase) ca = g_tls_file_database_new (ca_file, &error);
    if (ca == NULL)
      return publish_usage_error ("--ca-file: %s", error->message);
  }
  if (reconnect < 0 || reconnect > 86400)
    return publish_usage_error ("%s", "--reconnect must be 0..86400 seconds");
  if (tone != 0 && (tone < 20 || tone > 20000 || !plain))
    return publish_usage_error ("%s", "--tone must be 20..20000 Hz, with --plain");
  if (from != NULL && !g_file_test (from, G_FILE_TEST_IS_REGULAR))
    return publish_usage_error ("--from: no such file \"%s\"", from);
  if (from_audio != NULL && !g_file_test (from_audio, G_FILE_TEST_IS_REGULAR))
    return publish_usage_error ("--from-audio: no such file \"%s\"", from_audio);
  if (from_audio != NULL && no_audio)
    return publish_usage_error ("%s", "--from-audio goes without --no-audio");
  if (from != NULL
      && (g_strcmp0 (codec, "vp8") == 0 || color != NULL || plain || video_pause != NULL))
    return publish_usage_error ("%s", "--from goes without --codec vp8, --color, --plain and "
                                      "--video-pause");
  if (capture != NULL && (from != NULL || color != NULL || plain || !no_audio))
    return publish_usage_error ("%s", "--capture-display goes with --no-audio, without --from, "
                                      "--color and --plain");
  o.capture_display = capture;
  if (white_at < 0 || (white_at > 0 && (from != NULL || no_video)))
    return publish_usage_error ("%s", "--flash-at takes a Unix ms, with the synthetic video");
  if (sync_sei && (no_video || g_strcmp0 (codec, "vp8") == 0))
    return publish_usage_error ("%s", "--sync-time-sei needs H.264 video");
  o.sync_sei = sync_sei;
  o.sync_offset_ms = sync_offset_ms;
  o.white_at_ms = white_at;
  o.from_file = from;
  o.from_audio_file = from_audio;
  o.reconnect_s = reconnect;
  o.solid = color != NULL;
  o.plain = plain;
  o.tone_hz = tone != 0 ? tone : 440;
  o.server = server;
  o.sdk_app_id = (guint64)sdk_app_id;
  o.room = room != NULL ? room : str_room;
  o.str_room = str_room != NULL;
  o.user = user;
  o.usersig = usersig;
  o.aux = stream != NULL && strcmp (stream, "aux") == 0;
  o.vp8 = codec != NULL && strcmp (codec, "vp8") == 0;
  if (cr_publish_run (&o, &error) != 0) {
    fprintf (stderr, "cloudrec publish: %s\n", error->message);
    return 1;
  }
  return 0;
}
