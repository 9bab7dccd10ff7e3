/* The board publisher's child `cloudrec publish`; see board_publish.h. */
#include "board_publish.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/programs.h"

#define BOARD_FPS 15
#define BOARD_RECONNECT_S 86400 /* the child's own reconnect window: it outlives any class */
#define BOARD_RESTART_MS 1000   /* a child that exited is started again after this long */
#define BOARD_STOP_GRACE_MS 3000

struct _CrBoardPublisher {
  char *task_id;
  char *exe;
  GStrv argv;
  GStrv envp;
  GPid pid;
  guint child_watch;
  GIOChannel *out, *err;
  guint out_watch, err_watch;
  gboolean connected;
  gint64 last_up_us;   /* while connected: now; else the last moment it was */
  gint64 exited_us;    /* when the child exited (0: running) */
  int restarts;
};

static void
board_child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL); /* a worker killed with SIGKILL takes its child along */
}

/* The child's lines: stdout says "publishing ..." once the server took the offer (201); stderr
 * says why a session failed ("...; reconnecting in N ms") and everything else. */
static gboolean
board_on_line (GIOChannel *ch, GIOCondition cond, gpointer data)
{
  CrBoardPublisher *p = data;
  gboolean is_out = ch == p->out;
  g_autofree char *line = NULL;
  gsize len = 0;
  GIOStatus st = G_IO_STATUS_NORMAL;
  while ((st = g_io_channel_read_line (ch, &line, &len, NULL, NULL)) == G_IO_STATUS_NORMAL) {
    g_strchomp (line);
    if (is_out && g_str_has_prefix (line, "publishing ")) {
      p->connected = TRUE;
      p->last_up_us = g_get_monotonic_time ();
      g_info ("task %s: the board is published (%s)", p->task_id, line);
    } else if (!is_out && *line != '\0') {
      if (strstr (line, "reconnecting") != NULL && p->connected) {
        p->connected = FALSE;
        p->last_up_us = g_get_monotonic_time ();
      }
      g_warning ("task %s: board publisher: %s", p->task_id, line);
    }
    g_clear_pointer (&line, g_free);
  }
  if (st == G_IO_STATUS_EOF || st == G_IO_STATUS_ERROR || (cond & (G_IO_HUP | G_IO_ERR))) {
    if (is_out)
      p->out_watch = 0;
    else
      p->err_watch = 0;
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static void
board_on_exit (GPid pid, gint status, gpointer data)
{
  CrBoardPublisher *p = data;
  g_autoptr (GError) why = NULL;
  g_spawn_check_wait_status (status, &why);
  g_warning ("task %s: the board publisher exited (%s); starting it again", p->task_id,
             why != NULL ? why->message : "status 0");
  g_spawn_close_pid (pid);
  p->pid = 0;
  p->child_watch = 0;
  if (p->connected)
    p->last_up_us = g_get_monotonic_time ();
  p->connected = FALSE;
  p->exited_us = g_get_monotonic_time ();
}

static GIOChannel *
board_channel (CrBoardPublisher *p, int fd, guint *watch)
{
  GIOChannel *ch = g_io_channel_unix_new (fd);
  g_io_channel_set_close_on_unref (ch, TRUE);
  g_io_channel_set_flags (ch, G_IO_FLAG_NONBLOCK, NULL);
  g_io_channel_set_encoding (ch, NULL, NULL);
  *watch = g_io_add_watch (ch, G_IO_IN | G_IO_HUP | G_IO_ERR, board_on_line, p);
  return ch;
}

static void
board_close_channels (CrBoardPublisher *p)
{
  if (p->out_watch != 0)
    g_source_remove (p->out_watch);
  if (p->err_watch != 0)
    g_source_remove (p->err_watch);
  p->out_watch = p->err_watch = 0;
  g_clear_pointer (&p->out, g_io_channel_unref);
  g_clear_pointer (&p->err, g_io_channel_unref);
}

static gboolean
board_spawn (CrBoardPublisher *p, GError **error)
{
  board_close_channels (p);
  int out = -1, err = -1;
  if (!g_spawn_async_with_pipes (NULL, p->argv, p->envp, G_SPAWN_DO_NOT_REAP_CHILD,
                                 board_child_setup, NULL, &p->pid, NULL, &out, &err, error))
    return FALSE;
  p->out = board_channel (p, out, &p->out_watch);
  p->err = board_channel (p, err, &p->err_watch);
  p->child_watch = g_child_watch_add (p->pid, board_on_exit, p);
  p->exited_us = 0;
  return TRUE;
}

CrBoardPublisher *
cr_board_publisher_start (const char *task_id, guint64 sdk_app_id, const CrSpecBoardPublish *b,
                          const char *display, const char *xauthority, int width, int height,
                          GError **error)
{
  g_autoptr (GError) link_error = NULL;
  g_autofree char *exe = cr_program_main (&link_error);
  if (exe == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "the board publisher cannot find its own program: %s", link_error->message);
    return NULL;
  }
  CrBoardPublisher *p = g_new0 (CrBoardPublisher, 1);
  p->task_id = g_strdup (task_id);
  p->exe = g_steal_pointer (&exe);
  g_autofree char *size = g_strdup_printf ("%dx%d", width, height);
  g_autofree char *fps = g_strdup_printf ("%d", BOARD_FPS);
  g_autofree char *reconnect = g_strdup_printf ("%d", BOARD_RECONNECT_S);
  g_autofree char *app = g_strdup_printf ("%" G_GUINT64_FORMAT, sdk_app_id);
  GPtrArray *args = g_ptr_array_new_with_free_func (g_free);
  const char *fixed[] = { p->exe, "publish", "--server", b->server, "--sdkappid", app, "--user",
                          b->user,
                          "--no-audio", "--capture-display", display, "--size", size, "--fps",
                          fps, "--reconnect", reconnect };
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (args, g_strdup (fixed[i]));
  g_ptr_array_add (args, g_strdup (b->string_room ? "--str-room" : "--room"));
  g_ptr_array_add (args, g_strdup (b->room));
  if (b->ca_file != NULL && *b->ca_file != '\0') {
    g_ptr_array_add (args, g_strdup ("--ca-file"));
    g_ptr_array_add (args, g_strdup (b->ca_file));
  }
  g_ptr_array_add (args, NULL);
  p->argv = (GStrv)g_ptr_array_free (args, FALSE);
  char **env = g_get_environ ();
  env = g_environ_setenv (env, "XAUTHORITY", xauthority, TRUE);
  env = g_environ_setenv (env, "CLOUDREC_PUBLISH_USERSIG", b->usersig, TRUE);
  p->envp = env;
  if (!board_spawn (p, error)) {
    cr_board_publisher_stop (p);
    return NULL;
  }
  g_info ("task %s: publishing %s (%dx%d at %d fps) as %s in room %s over %s", task_id, display,
          width, height, BOARD_FPS, b->user, b->room, b->server);
  return p;
}

void
cr_board_publisher_tick (CrBoardPublisher *p)
{
  if (p->pid != 0 || p->exited_us == 0)
    return;
  if (g_get_monotonic_time () - p->exited_us < BOARD_RESTART_MS * 1000)
    return;
  g_autoptr (GError) error = NULL;
  p->restarts++;
  if (!board_spawn (p, &error)) {
    g_warning ("task %s: cannot start the board publisher again: %s", p->task_id,
               error->message);
    p->exited_us = g_get_monotonic_time ();
  }
}

gint64
cr_board_publisher_last_media_us (CrBoardPublisher *p)
{
  if (p->connected)
    p->last_up_us = g_get_monotonic_time ();
  return p->last_up_us;
}

void
cr_board_publisher_stop (CrBoardPublisher *p)
{
  if (p == NULL)
    return;
  if (p->child_watch != 0)
    g_source_remove (p->child_watch);
  if (p->pid != 0) {
    kill (p->pid, SIGTERM);
    gint64 until = g_get_monotonic_time () + BOARD_STOP_GRACE_MS * 1000;
    gboolean reaped = FALSE;
    while (!reaped && g_get_monotonic_time () < until) {
      pid_t r = waitpid (p->pid, NULL, WNOHANG);
      reaped = r == p->pid || (r < 0 && errno == ECHILD);
      if (!reaped)
        g_usleep (20 * 1000);
    }
    if (!reaped) {
      kill (p->pid, SIGKILL);
      waitpid (p->pid, NULL, 0);
    }
    g_spawn_close_pid (p->pid);
  }
  board_close_channels (p);
  g_strfreev (p->argv);
  g_strfreev (p->envp);
  g_free (p->exe);
  g_free (p->task_id);
  g_free (p);
}
