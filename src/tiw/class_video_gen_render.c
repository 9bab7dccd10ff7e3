/* The board of a video-generation task's span: `cloudrec board-render` run as a subprocess over
 * the span's board log, writing the board's playlist into the span's inputs. Why a subprocess:
 * drawing every frame is minutes of CPU that must not run on the daemon's main loop, and the
 * child dies with the daemon (its task restarts the span then). */
#include <gio/gio.h>
#include <signal.h>
#include <sys/prctl.h>

#include "common/json_util.h"
#include "tiw/class_video_gen_private.h"

#define BOARD_FPS 15
#define DEFAULT_BOARD_W 1280 /* TIW's Whiteboard defaults */
#define DEFAULT_BOARD_H 960

/* A board-render subprocess of a task's current span. */
typedef struct {
  CrVideoGenWork work;
  char *task_id;
  GSubprocess *proc;
  gboolean ok;
  char *error;
} Render;

static void
render_free (Render *r)
{
  g_free (r->task_id);
  g_clear_object (&r->proc);
  g_free (r->error);
  g_free (r);
}

static void
render_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Render *r = data;
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  gboolean ran
      = g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), res, &out, &err, &error);
  r->work.done = TRUE;
  r->ok
      = ran && g_subprocess_get_if_exited (r->proc) && g_subprocess_get_exit_status (r->proc) == 0;
  if (!r->ok) {
    /* the command's last line on stderr says why */
    g_auto (GStrv) lines = g_strsplit (err != NULL ? g_strstrip (err) : "", "\n", -1);
    guint n = g_strv_length (lines);
    r->error = g_strdup (!ran                             ? error->message
                         : n > 0 && *lines[n - 1] != '\0' ? lines[n - 1]
                                                          : "board-render ended abnormally");
  }
  if (r->work.gen == NULL)
    render_free (r); /* the tasks are gone */
}

static void
child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL); /* dies with the daemon, as compose jobs do */
}

gboolean
cr_video_gen_render_start (CrClassVideoGen *gen, JsonObject *t, GError **error)
{
  JsonObject *span = cr_video_gen_current_span (t);
  gint64 index = cr_json_get_int_or (t, "Span", 0);
  g_autofree char *work = cr_video_gen_span_dir (gen, t, index);
  g_autofree char *in = g_build_filename (work, "in", NULL);
  g_autofree char *log_path = g_build_filename (work, "board.json", NULL);
  g_autofree char *self = g_file_read_link ("/proc/self/exe", error);
  if (self == NULL)
    return FALSE;
  JsonObject *wb = cr_json_get_object (cr_json_get_object (t, "Request"), "Whiteboard");
  gint64 w = cr_json_get_int_or (wb, "Width", DEFAULT_BOARD_W) & ~1;
  gint64 h = cr_json_get_int_or (wb, "Height", DEFAULT_BOARD_H) & ~1;
  g_autofree char *ws = g_strdup_printf ("%" G_GINT64_FORMAT, CLAMP (w, 16, 4096));
  g_autofree char *hs = g_strdup_printf ("%" G_GINT64_FORMAT, CLAMP (h, 16, 4096));
  g_autofree char *fps = g_strdup_printf ("%d", BOARD_FPS);
  g_autofree char *from
      = g_strdup_printf ("%" G_GINT64_FORMAT, cr_json_get_int_or (span, "Start", 0));
  g_autofree char *to = g_strdup_printf ("%" G_GINT64_FORMAT, cr_json_get_int_or (span, "End", 0));
  g_autofree char *app
      = g_strdup_printf ("%" G_GINT64_FORMAT, cr_json_get_int_or (t, "SdkAppId", 0));
  g_autofree char *room
      = g_strdup_printf ("%" G_GINT64_FORMAT, cr_json_get_int_or (t, "RoomId", 0));
  const char *argv[] = { self,         "board-render",
                         "--log",      log_path,
                         "--width",    ws,
                         "--height",   hs,
                         "--fps",      fps,
                         "--from",     from,
                         "--to",       to,
                         "--user-id",  cr_json_get_string (t, "BoardUserId"),
                         "--out",      in,
                         "--sdkappid", app,
                         "--room",     room,
                         NULL };
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  GSubprocess *proc = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (proc == NULL)
    return FALSE;
  Render *r = g_new0 (Render, 1);
  r->work.gen = gen;
  r->work.free_work = (GDestroyNotify)render_free;
  r->task_id = g_strdup (cr_json_get_string (t, "TaskId"));
  r->proc = proc;
  g_hash_table_replace (gen->renders, g_strdup (r->task_id), r);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, render_done, r);
  g_info ("video generation %s: span %" G_GINT64_FORMAT ": rendering the board (%sx%s, %s..%s)",
          r->task_id, index, ws, hs, from, to);
  return TRUE;
}

CrVideoGenRender
cr_video_gen_render_collect (CrClassVideoGen *gen, const char *task_id, char **why)
{
  Render *rd = g_hash_table_lookup (gen->renders, task_id);
  if (rd == NULL)
    return CR_VIDEO_GEN_RENDER_NONE;
  if (!rd->work.done)
    return CR_VIDEO_GEN_RENDER_RUNNING;
  gboolean ok = rd->ok;
  if (!ok)
    *why = g_strdup (rd->error);
  g_hash_table_remove (gen->renders, task_id);
  render_free (rd);
  return ok ? CR_VIDEO_GEN_RENDER_OK : CR_VIDEO_GEN_RENDER_FAILED;
}
