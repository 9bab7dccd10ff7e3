/* `cloudrec board-render --log FILE.json --width W --height H [--fps N] --from MS --to MS
 * --user-id ID --out DIR [--sdkappid N] [--room R] [--bitrate KBPS]`: a board's log made into a
 * user's single-stream video recording (board/board_video.h), which compose and merge take as
 * one more camera (docs/board.md, "Rendering a board into video"). */
#include <gio/gio.h>
#include <gst/gst.h>
#include <stdio.h>
#include <string.h>

#include "board/board_video.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "files/naming.h"

#define BOARD_RENDER_WARNINGS_SHOWN 20

static int board_usage_error (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static int
board_usage_error (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fprintf (stderr, "cloudrec board-render: %s (see cloudrec board-render --help)\n", msg);
  return 2;
}

/* The room of "tic_record_user_<room>_<n>", or NULL. */
static char *
room_of_record_user (const char *user_id)
{
  const char *prefix = "tic_record_user_";
  if (!g_str_has_prefix (user_id, prefix))
    return NULL;
  const char *room = user_id + strlen (prefix);
  const char *last = strrchr (room, '_');
  if (last == NULL || last == room || last[1] == '\0')
    return NULL;
  return g_strndup (room, last - room);
}

static gboolean
all_digits (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

int
cr_cmd_board_render (int argc, char **argv)
{
  g_autofree char *log = NULL, *out = NULL, *user = NULL, *room = NULL;
  int width = 0, height = 0, fps = CR_BOARD_VIDEO_FPS, bitrate = 0;
  gint64 from = -1, to = -1, app = 0;
  GOptionEntry entries[] = {
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &log,
      "the board's log: a JSON array of entries, or GET /board/log's {\"Ops\":[...]} (required)",
      "FILE.json" },
    { "width", 0, 0, G_OPTION_ARG_INT, &width, "picture width, even, 16..4096 (required)", "W" },
    { "height", 0, 0, G_OPTION_ARG_INT, &height, "picture height, even, 16..4096 (required)", "H" },
    { "fps", 0, 0, G_OPTION_ARG_INT, &fps, "frames per second, 1..60 (default 15)", "N" },
    { "from", 0, 0, G_OPTION_ARG_INT64, &from, "board time (Unix ms) of the first frame (required)",
      "MS" },
    { "to", 0, 0, G_OPTION_ARG_INT64, &to, "board time (Unix ms) of the end (required)", "MS" },
    { "user-id", 0, 0, G_OPTION_ARG_STRING, &user,
      "the user the recording is named for, e.g. tic_record_user_<room>_<n> (required)", "ID" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out,
      "the directory of the recording (a task's directory: compose takes it from there)", "DIR" },
    { "sdkappid", 0, 0, G_OPTION_ARG_INT64, &app, "the SdkAppId in the file names (default 0)",
      "N" },
    { "room", 0, 0, G_OPTION_ARG_STRING, &room,
      "the room in the file names (default: <room> of tic_record_user_<room>_<n>, else \"board\")",
      "R" },
    { "bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate,
      "video bit rate in kbit/s (default: from the size, as a web-page recording's)", "KBPS" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;
  if (!cr_cli_parse ("cloudrec board-render", "- a board's log into a single-stream video", entries,
                     argc, argv, &error))
    return board_usage_error ("%s", error->message);
  if (log == NULL)
    return board_usage_error ("--log FILE.json is required");
  if (out == NULL)
    return board_usage_error ("--out DIR is required");
  if (user == NULL || *user == '\0')
    return board_usage_error ("--user-id is required");
  if (width < 16 || width > 4096 || width % 2 != 0)
    return board_usage_error ("--width %d: an even number 16..4096 is required", width);
  if (height < 16 || height > 4096 || height % 2 != 0)
    return board_usage_error ("--height %d: an even number 16..4096 is required", height);
  if (fps < 1 || fps > 60)
    return board_usage_error ("--fps %d: 1..60", fps);
  if (from <= 0)
    return board_usage_error ("--from MS (a board time: Unix ms > 0) is required");
  if (to <= from)
    return board_usage_error ("--to %" G_GINT64_FORMAT " must be after --from %" G_GINT64_FORMAT,
                              to, from);
  if (to - from > G_GINT64_CONSTANT (24) * 3600 * 1000)
    return board_usage_error ("--to - --from: at most 24 hours");
  if (app < 0)
    return board_usage_error ("--sdkappid %" G_GINT64_FORMAT ": not a SdkAppId", app);
  if (bitrate < 0 || bitrate > 100000)
    return board_usage_error ("--bitrate %d: 1..100000 kbit/s", bitrate);
  if (room == NULL)
    room = room_of_record_user (user);
  if (room == NULL)
    room = g_strdup ("board");

  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (CrBoardReplay) replay = cr_board_replay_load (log, warnings, &error);
  if (replay == NULL) {
    fprintf (stderr, "cloudrec board-render: --log %s\n", error->message);
    return 1;
  }
  CrNamingTask naming
      = { .sdk_app_id = (guint64)app, .room_id = room, .string_room = !all_digits (room) };
  g_autofree char *stem = cr_naming_single_stem (&naming, user, FALSE);
  CrBoardVideoOptions o = { .width = width,
                            .height = height,
                            .fps = fps,
                            .from_ms = from,
                            .to_ms = to,
                            .user_id = user,
                            .dir = out,
                            .stem = stem,
                            .bitrate_kbps = bitrate };
  gst_init (NULL, NULL);
  CrBoardVideoResult res = { 0 };
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = cr_board_video_write (replay, &o, warnings, &res, &error);
  double wall = (g_get_monotonic_time () - t0) / 1e6;
  for (guint i = 0; i < warnings->len && i < BOARD_RENDER_WARNINGS_SHOWN; i++)
    fprintf (stderr, "cloudrec board-render: warning: %s: %s\n", log,
             (char *)g_ptr_array_index (warnings, i));
  if (warnings->len > BOARD_RENDER_WARNINGS_SHOWN)
    fprintf (stderr, "cloudrec board-render: warning: %s: %u more warnings\n", log,
             warnings->len - BOARD_RENDER_WARNINGS_SHOWN);
  if (!ok) {
    fprintf (stderr, "cloudrec board-render: --out %s: %s\n", out, error->message);
    cr_board_video_result_clear (&res);
    return 1;
  }
  /* One JSON line for scripts: what was written. */
  g_autofree char *playlist = g_build_filename (out, res.playlist, NULL);
  g_autofree char *quoted = g_strescape (playlist, NULL);
  printf ("{\"Playlist\":\"%s\",\"Frames\":%u,\"Pictures\":%u,\"Segments\":%u,"
          "\"DurationS\":%.3f,\"Ops\":%u,\"Warnings\":%u,\"WallS\":%.3f}\n",
          quoted, res.frames, res.pictures, res.segments, res.duration_s,
          cr_board_replay_count (replay), warnings->len, wall);
  cr_board_video_result_clear (&res);
  return 0;
}
