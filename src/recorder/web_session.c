/* A web page's process tree; see web_session.h. */
#include "web_session.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <gst/gst.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_TIMEOUT_MS 15000 /* Xvfb or PulseAudio not ready in this long: the start fails */
#define STOP_GRACE_MS 3000     /* SIGTERM, then SIGKILL after this long */
#define DIR_PREFIX "cloudrec-web-"
#define SINK_NAME "cloudrec"

/* The guard (see web_session.h). Its stdin is the pipe only the worker holds; CR_WEB_DIR is the
 * task's directory, passed in the environment so that the guard's own command line does not
 * name it. Its process group is the tree's. */
static const char guard_script[]
    = "cat >/dev/null 2>&1\n"
      "for p in /proc/[0-9]*; do\n"
      "  pid=${p#/proc/}\n"
      "  [ \"$pid\" = \"$$\" ] && continue\n"
      "  c=$( { tr '\\0' ' ' <\"$p/cmdline\"; } 2>/dev/null) || continue\n"
      "  case \"$c\" in *\"$CR_WEB_DIR\"*) kill -9 \"$pid\" 2>/dev/null ;; esac\n"
      "done\n"
      "rm -rf -- \"$CR_WEB_DIR\"\n"
      "kill -9 -$$ 2>/dev/null\n";

typedef enum { P_XVFB, P_PULSE, P_CHROMIUM, P_COUNT } Proc;
static const char *const proc_names[P_COUNT] = { "Xvfb", "PulseAudio", "Chromium" };

struct _CrWebSession {
  char *dir;
  char *xauth;
  char *display;
  char *pulse_server;
  GPid guard;
  int guard_fd; /* the write end of the guard's stdin */
  GPid pids[P_COUNT];
  guint watches[P_COUNT];
  char *failure;
  gboolean stopping;
  CrWebCdp *cdp;
};

/* What the children switch to, after the fork, before the exec. */
typedef struct {
  pid_t pgid;
  gboolean switch_user;
  uid_t uid;
  gid_t gid;
} ChildSetup;

/* Async-signal-safe calls only: the worker has threads. The parent-death signal is set after the
 * user switch, which clears it. */
static void
web_child_setup (gpointer data)
{
  const ChildSetup *c = data;
  if (c->pgid > 0)
    setpgid (0, c->pgid);
  if (c->switch_user) {
    if (setgroups (0, NULL) != 0 || setgid (c->gid) != 0 || setuid (c->uid) != 0)
      _exit (126);
  }
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
guard_child_setup (gpointer data)
{
  setpgid (0, 0);
}

static char *
web_find_chromium (void)
{
  if (g_file_test ("/usr/lib/chromium/chromium", G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup ("/usr/lib/chromium/chromium"); /* Debian's binary, without its wrapper */
  static const char *const names[] = { "chromium", "chromium-browser", "google-chrome", NULL };
  for (guint i = 0; names[i] != NULL; i++) {
    char *path = g_find_program_in_path (names[i]);
    if (path != NULL)
      return path;
  }
  return NULL;
}

/* Whether the tree switches to @user (the worker is root and a user is named). */
static gboolean
web_user_ids (const char *user, gboolean *switch_user, uid_t *uid, gid_t *gid, GError **error)
{
  *switch_user = FALSE;
  if (user == NULL || *user == '\0' || geteuid () != 0)
    return TRUE;
  struct passwd *pw = getpwnam (user);
  if (pw == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "the system user %s (web-record-user) does not exist: create it (scripts/deps.sh "
                 "does: useradd --system --no-create-home --shell /usr/sbin/nologin %s)",
                 user, user);
    return FALSE;
  }
  if (pw->pw_uid == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "web-record-user %s is root: the page must run unprivileged", user);
    return FALSE;
  }
  *switch_user = TRUE;
  *uid = pw->pw_uid;
  *gid = pw->pw_gid;
  return TRUE;
}

gboolean
cr_web_session_check (const char *user, GError **error)
{
  static const struct {
    const char *program, *package;
  } programs[] = {
    { "Xvfb", "xvfb" }, { "pulseaudio", "pulseaudio" }, { "sh", "dash" }, { "tr", "coreutils" }
  };
  for (guint i = 0; i < G_N_ELEMENTS (programs); i++) {
    g_autofree char *path = g_find_program_in_path (programs[i].program);
    if (path == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "web recording needs %s, which is not installed (Debian package %s; "
                   "scripts/deps.sh installs it)",
                   programs[i].program, programs[i].package);
      return FALSE;
    }
  }
  g_autofree char *chromium = web_find_chromium ();
  if (chromium == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "web recording needs Chromium, which is not installed (Debian package chromium; "
                 "scripts/deps.sh installs it)");
    return FALSE;
  }
  static const struct {
    const char *factory, *package;
  } elements[] = { { "ximagesrc", "gstreamer1.0-plugins-good" },
                   { "pulsesrc", "gstreamer1.0-pulseaudio" },
                   { "x264enc", "gstreamer1.0-plugins-ugly" },
                   { "voaacenc", "gstreamer1.0-plugins-bad" } };
  for (guint i = 0; i < G_N_ELEMENTS (elements); i++) {
    GstElementFactory *f = gst_element_factory_find (elements[i].factory);
    if (f == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "web recording needs GStreamer's %s, which is not installed (Debian package "
                   "%s; scripts/deps.sh installs it)",
                   elements[i].factory, elements[i].package);
      return FALSE;
    }
    gst_object_unref (f);
  }
  gboolean switch_user;
  uid_t uid;
  gid_t gid;
  return web_user_ids (user, &switch_user, &uid, &gid, error);
}

/* Kills every process whose command line holds @needle (the worker's own never does). */
static void
web_kill_naming (const char *needle)
{
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL) {
    char *end = NULL;
    long pid = strtol (name, &end, 10);
    if (*end != '\0' || pid <= 1 || pid == getpid ())
      continue;
    g_autofree char *path = g_strdup_printf ("/proc/%ld/cmdline", pid);
    g_autofree char *cmdline = NULL;
    gsize len = 0;
    if (!g_file_get_contents (path, &cmdline, &len, NULL))
      continue;
    for (gsize i = 0; i < len; i++)
      if (cmdline[i] == '\0')
        cmdline[i] = ' ';
    if (strstr (cmdline, needle) != NULL)
      kill ((pid_t)pid, SIGKILL);
  }
}

void
cr_web_session_clear_leftovers (const char *task_id)
{
  g_autofree char *prefix = g_strconcat (DIR_PREFIX, task_id, "-", NULL);
  g_autoptr (GDir) tmp = g_dir_open (g_get_tmp_dir (), 0, NULL);
  const char *name;
  while (tmp != NULL && (name = g_dir_read_name (tmp)) != NULL) {
    if (!g_str_has_prefix (name, prefix))
      continue;
    g_autofree char *dir = g_build_filename (g_get_tmp_dir (), name, NULL);
    g_info ("task %s: clearing what an earlier worker left in %s", task_id, dir);
    web_kill_naming (dir);
    const char *argv[] = { "rm", "-rf", "--", dir, NULL };
    g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                  NULL);
  }
}

/* An Xauthority file with one MIT-MAGIC-COOKIE-1 for any display (FamilyWild, no number): the
 * display's number is only known once Xvfb has chosen it (-displayfd). */
static gboolean
web_write_xauth (const char *path, GError **error)
{
  guint8 cookie[16];
  for (guint i = 0; i < sizeof cookie; i++)
    cookie[i] = (guint8)g_random_int_range (0, 256);
  static const char name[] = "MIT-MAGIC-COOKIE-1";
  GByteArray *b = g_byte_array_new ();
  const guint8 head[] = { 0xff, 0xff, 0, 0, 0, 0, 0, (guint8)(sizeof name - 1) };
  g_byte_array_append (b, head, sizeof head);
  g_byte_array_append (b, (const guint8 *)name, sizeof name - 1);
  const guint8 len[] = { 0, (guint8)sizeof cookie };
  g_byte_array_append (b, len, sizeof len);
  g_byte_array_append (b, cookie, sizeof cookie);
  gboolean ok = g_file_set_contents_full (path, (const char *)b->data, (gssize)b->len,
                                          G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
  g_byte_array_unref (b);
  return ok;
}

static void
web_on_exit (GPid pid, gint status, gpointer data)
{
  CrWebSession *s = data;
  for (int i = 0; i < P_COUNT; i++) {
    if (s->pids[i] != pid)
      continue;
    s->pids[i] = 0;
    s->watches[i] = 0;
    if (!s->stopping && s->failure == NULL) {
      g_autoptr (GError) why = NULL;
      g_spawn_check_wait_status (status, &why);
      s->failure = g_strdup_printf ("%s exited: %s", proc_names[i],
                                    why != NULL ? why->message : "status 0");
      g_warning ("web page: %s", s->failure);
    }
  }
  g_spawn_close_pid (pid);
}

/* Starts @argv as process @which of the tree: its group, its user, the parent-death signal;
 * stdout and stderr into <dir>/<name>.log; @fds mapped to 3, 4, ... */
static gboolean
web_spawn (CrWebSession *s, Proc which, const ChildSetup *setup, const char *const *argv,
           const char *const *envp, const int *fds, guint n_fds, GError **error)
{
  g_autofree char *log_name = g_strdup_printf ("%s.log", proc_names[which]);
  g_autofree char *log_path = g_build_filename (s->dir, log_name, NULL);
  int log_fd = open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot open %s: %s", log_path,
                 g_strerror (errno));
    return FALSE;
  }
  int targets[4] = { 3, 4, 5, 6 };
  GPid pid = 0;
  gboolean ok = g_spawn_async_with_pipes_and_fds (
      NULL, argv, envp, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL, web_child_setup,
      (gpointer)setup, -1, log_fd, log_fd, fds, targets, n_fds, &pid, NULL, NULL, NULL, error);
  close (log_fd);
  if (!ok)
    return FALSE;
  s->pids[which] = pid;
  s->watches[which] = g_child_watch_add (pid, web_on_exit, s);
  return TRUE;
}

/* The display number Xvfb writes to its -displayfd once it accepts clients. */
static char *
web_read_display (int fd, GError **error)
{
  char buf[32];
  gsize got = 0;
  gint64 until = g_get_monotonic_time () + START_TIMEOUT_MS * 1000;
  while (got < sizeof buf - 1) {
    gint64 left = (until - g_get_monotonic_time ()) / 1000;
    struct pollfd p = { fd, POLLIN, 0 };
    if (left <= 0 || poll (&p, 1, (int)left) <= 0)
      break;
    ssize_t n = read (fd, buf + got, sizeof buf - 1 - got);
    if (n <= 0)
      break;
    got += (gsize)n;
    if (memchr (buf, '\n', got) != NULL)
      break;
  }
  buf[got] = '\0';
  char *end = NULL;
  long number = strtol (buf, &end, 10);
  if (got == 0 || end == buf || number < 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 "Xvfb did not start within %d s (see its log)", START_TIMEOUT_MS / 1000);
    return NULL;
  }
  return g_strdup_printf (":%ld", number);
}

/* Waits until the sound server accepts connections on @path. */
static gboolean
web_wait_socket (CrWebSession *s, const char *path, GError **error)
{
  gint64 until = g_get_monotonic_time () + START_TIMEOUT_MS * 1000;
  while (g_get_monotonic_time () < until) {
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    g_strlcpy (a.sun_path, path, sizeof a.sun_path);
    gboolean ok = fd >= 0 && connect (fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
      close (fd);
    if (ok)
      return TRUE;
    if (s->pids[P_PULSE] == 0 || waitpid (s->pids[P_PULSE], NULL, WNOHANG) != 0)
      break;
    g_usleep (50 * 1000);
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               "PulseAudio did not start within %d s (see its log)", START_TIMEOUT_MS / 1000);
  return FALSE;
}

static gboolean
web_start_guard (CrWebSession *s, GError **error)
{
  int fds[2];
  if (g_unix_open_pipe (fds, FD_CLOEXEC, error) == FALSE)
    return FALSE;
  g_autofree char *env_dir = g_strconcat ("CR_WEB_DIR=", s->dir, NULL);
  const char *envp[] = { env_dir, "PATH=/usr/bin:/bin", NULL };
  const char *argv[] = { "/bin/sh", "-c", guard_script, "cloudrec-web-guard", NULL };
  gboolean ok = g_spawn_async_with_pipes_and_fds (
      NULL, argv, envp, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, guard_child_setup,
      NULL, fds[0], -1, -1, NULL, NULL, 0, &s->guard, NULL, NULL, NULL, error);
  close (fds[0]);
  if (!ok) {
    close (fds[1]);
    return FALSE;
  }
  s->guard_fd = fds[1];
  return TRUE;
}

static gboolean
web_start_xvfb (CrWebSession *s, const CrWebSessionOptions *o, const ChildSetup *setup,
                GError **error)
{
  /* The X socket's directory, as the system would make it (Xvfb, unprivileged, cannot). */
  if (geteuid () == 0 && g_mkdir ("/tmp/.X11-unix", 01777) == 0)
    g_chmod ("/tmp/.X11-unix", 01777);
  int fds[2];
  if (!g_unix_open_pipe (fds, FD_CLOEXEC, error))
    return FALSE;
  g_autofree char *screen = g_strdup_printf ("%dx%dx24", o->width, o->height);
  const char *argv[] = { "Xvfb",      "-displayfd", "3",     "-screen", "0",        screen,
                         "-nolisten", "tcp",        "-auth", s->xauth,  "-noreset", NULL };
  g_autofree char *xvfb = g_find_program_in_path ("Xvfb");
  argv[0] = xvfb;
  const char *envp[] = { "PATH=/usr/bin:/bin", NULL };
  gboolean ok = web_spawn (s, P_XVFB, setup, argv, envp, &fds[1], 1, error);
  close (fds[1]);
  if (ok)
    s->display = web_read_display (fds[0], error);
  close (fds[0]);
  return ok && s->display != NULL;
}

static gboolean
web_start_pulse (CrWebSession *s, const ChildSetup *setup, GError **error)
{
  g_autofree char *sock = g_build_filename (s->dir, "pulse.sock", NULL);
  g_autofree char *native
      = g_strdup_printf ("--load=module-native-protocol-unix socket=%s auth-anonymous=1", sock);
  g_autofree char *pulse = g_find_program_in_path ("pulseaudio");
  const char *argv[] = { pulse,
                         "-n",
                         "--daemonize=no",
                         "--system=no",
                         "--exit-idle-time=-1",
                         "--use-pid-file=no",
                         "--disable-shm=yes",
                         "--log-target=stderr",
                         native,
                         "--load=module-null-sink sink_name=" SINK_NAME " rate=48000 channels=2",
                         NULL };
  g_autofree char *home = g_strconcat ("HOME=", s->dir, NULL);
  g_autofree char *runtime = g_strconcat ("XDG_RUNTIME_DIR=", s->dir, NULL);
  g_autofree char *pulse_runtime = g_strdup_printf ("PULSE_RUNTIME_PATH=%s/pulse", s->dir);
  const char *envp[] = { home, runtime, pulse_runtime, "PATH=/usr/bin:/bin", NULL };
  if (!web_spawn (s, P_PULSE, setup, argv, envp, NULL, 0, error))
    return FALSE;
  s->pulse_server = g_strconcat ("unix:", sock, NULL);
  return web_wait_socket (s, sock, error);
}

static gboolean
web_start_chromium (CrWebSession *s, const CrWebSessionOptions *o, const ChildSetup *setup,
                    CrWebCdpEvent on_event, gpointer data, GError **error)
{
  g_autofree char *chromium = web_find_chromium ();
  int to[2], from[2];
  if (!g_unix_open_pipe (to, FD_CLOEXEC, error))
    return FALSE;
  if (!g_unix_open_pipe (from, FD_CLOEXEC, error)) {
    close (to[0]);
    close (to[1]);
    return FALSE;
  }
  g_autofree char *profile = g_strconcat ("--user-data-dir=", s->dir, "/profile", NULL);
  g_autofree char *size = g_strdup_printf ("--window-size=%d,%d", o->width, o->height);
  GPtrArray *args = g_ptr_array_new ();
  const char *fixed[] = {
    chromium,
    profile,
    "--remote-debugging-pipe",
    "--kiosk",
    "--window-position=0,0",
    size,
    "--autoplay-policy=no-user-gesture-required",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-breakpad",
    "--noerrdialogs",
    "--disable-infobars",
    "--disable-session-crashed-bubble",
    "--hide-scrollbars",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--disable-translate",
    "--disable-features=Translate,MediaRouter,OptimizationHints,DialMediaRouteProvider",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--password-store=basic",
    "--use-mock-keychain",
    "--enable-logging=stderr",
    "--log-level=2",
  };
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (args, (gpointer)fixed[i]);
  /* Chromium's own sandbox refuses root; the unprivileged user keeps it. */
  if (!setup->switch_user && geteuid () == 0)
    g_ptr_array_add (args, (gpointer) "--no-sandbox");
  g_ptr_array_add (args, (gpointer) "about:blank");
  g_ptr_array_add (args, NULL);
  g_autofree char *home = g_strconcat ("HOME=", s->dir, NULL);
  g_autofree char *display = g_strconcat ("DISPLAY=", s->display, NULL);
  g_autofree char *xauth = g_strconcat ("XAUTHORITY=", s->xauth, NULL);
  g_autofree char *pulse = g_strconcat ("PULSE_SERVER=", s->pulse_server, NULL);
  g_autofree char *runtime = g_strconcat ("XDG_RUNTIME_DIR=", s->dir, NULL);
  g_autofree char *config = g_strconcat ("XDG_CONFIG_HOME=", s->dir, "/.config", NULL);
  g_autofree char *cache = g_strconcat ("XDG_CACHE_HOME=", s->dir, "/.cache", NULL);
  const char *envp[]
      = { home, display, xauth, pulse, runtime, config, cache, "LANG=C.UTF-8", "PATH=/usr/bin:/bin",
          NULL };
  int fds[2] = { to[0], from[1] }; /* Chromium reads its fd 3, writes its fd 4 */
  gboolean ok
      = web_spawn (s, P_CHROMIUM, setup, (const char *const *)args->pdata, envp, fds, 2, error);
  g_ptr_array_unref (args);
  close (to[0]);
  close (from[1]);
  if (!ok) {
    close (to[1]);
    close (from[0]);
    return FALSE;
  }
  s->cdp = cr_web_cdp_new (to[1], from[0], on_event, data);
  return TRUE;
}

CrWebSession *
cr_web_session_start (const CrWebSessionOptions *o, CrWebCdpEvent on_event, gpointer data,
                      GError **error)
{
  signal (SIGPIPE, SIG_IGN); /* the DevTools pipe of a Chromium that died */
  ChildSetup setup = { 0 };
  if (!web_user_ids (o->user, &setup.switch_user, &setup.uid, &setup.gid, error))
    return NULL;
  cr_web_session_clear_leftovers (o->task_id);
  CrWebSession *s = g_new0 (CrWebSession, 1);
  s->guard_fd = -1;
  g_autofree char *template
      = g_strdup_printf ("%s/" DIR_PREFIX "%s-XXXXXX", g_get_tmp_dir (), o->task_id);
  s->dir = g_mkdtemp_full (g_steal_pointer (&template), 0700);
  if (s->dir == NULL) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                 "cannot create the page's directory in %s: %s", g_get_tmp_dir (),
                 g_strerror (errno));
    g_free (s);
    return NULL;
  }
  s->xauth = g_build_filename (s->dir, "xauth", NULL);
  if (!web_write_xauth (s->xauth, error))
    goto fail;
  if (setup.switch_user
      && (chown (s->dir, setup.uid, setup.gid) != 0
          || chown (s->xauth, setup.uid, setup.gid) != 0)) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot give %s to %s: %s",
                 s->dir, o->user, g_strerror (errno));
    goto fail;
  }
  if (!web_start_guard (s, error))
    goto fail;
  setup.pgid = s->guard;
  if (!web_start_xvfb (s, o, &setup, error) || !web_start_pulse (s, &setup, error)
      || !web_start_chromium (s, o, &setup, on_event, data, error))
    goto fail;
  g_info ("web page: display %s, sound %s, Chromium pid %d%s%s", s->display, s->pulse_server,
          s->pids[P_CHROMIUM], setup.switch_user ? " as " : "", setup.switch_user ? o->user : "");
  return s;
fail:
  cr_web_session_stop (s);
  return NULL;
}

CrWebCdp *
cr_web_session_cdp (CrWebSession *s)
{
  return s->cdp;
}

const char *
cr_web_session_display (CrWebSession *s)
{
  return s->display;
}

const char *
cr_web_session_xauthority (CrWebSession *s)
{
  return s->xauth;
}

const char *
cr_web_session_pulse_server (CrWebSession *s)
{
  return s->pulse_server;
}

const char *
cr_web_session_dir (CrWebSession *s)
{
  return s->dir;
}

const char *
cr_web_session_failure (CrWebSession *s)
{
  return s->failure;
}

/* Waits for @pid (already signalled) up to @ms; TRUE when it was reaped. */
static gboolean
web_reap (GPid pid, int ms)
{
  gint64 until = g_get_monotonic_time () + (gint64)ms * 1000;
  do {
    pid_t r = waitpid (pid, NULL, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD))
      return TRUE;
    g_usleep (20 * 1000);
  } while (g_get_monotonic_time () < until);
  return FALSE;
}

void
cr_web_session_stop (CrWebSession *s)
{
  if (s == NULL)
    return;
  s->stopping = TRUE;
  g_clear_pointer (&s->cdp, cr_web_cdp_free);
  /* Chromium first (it closes its pages and its sound), then the servers it used. */
  static const Proc order[] = { P_CHROMIUM, P_PULSE, P_XVFB };
  for (guint i = 0; i < G_N_ELEMENTS (order); i++) {
    Proc p = order[i];
    if (s->watches[p] != 0)
      g_source_remove (s->watches[p]);
    s->watches[p] = 0;
    if (s->pids[p] == 0)
      continue;
    kill (s->pids[p], SIGTERM);
    if (!web_reap (s->pids[p], STOP_GRACE_MS)) {
      kill (s->pids[p], SIGKILL);
      web_reap (s->pids[p], STOP_GRACE_MS);
    }
    s->pids[p] = 0;
  }
  /* The guard sweeps what is left (renderers, the crash handler) and removes the directory. */
  if (s->guard_fd >= 0)
    close (s->guard_fd);
  if (s->guard != 0 && !web_reap (s->guard, 10000)) {
    g_warning ("web page: the guard of %s did not finish; killing it", s->dir);
    kill (s->guard, SIGKILL);
    web_reap (s->guard, 1000);
  }
  if (s->guard == 0 && s->dir != NULL) { /* no guard ever started */
    const char *argv[] = { "rm", "-rf", "--", s->dir, NULL };
    g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                  NULL);
  }
  g_free (s->dir);
  g_free (s->xauth);
  g_free (s->display);
  g_free (s->pulse_server);
  g_free (s->failure);
  g_free (s);
}
