/* The process tree that shows a web page for one recording task: a virtual display (Xvfb) of the
 * picture's size, a PulseAudio server with a null sink of its own, and Chromium (not headless:
 * kiosk, autoplay allowed, a fresh profile) drawing on the one and playing into the other, driven
 * over its DevTools pipe (web_cdp.h). The recorder captures the display (ximagesrc) and the
 * sink's monitor (pulsesrc).
 *
 * Why its own user and directory: the page is anybody's code. Chromium, Xvfb and PulseAudio run
 * as an unprivileged system user (web-record-user) in a private directory under /tmp that holds
 * the profile, the X cookie and the sound server's socket; the daemon's data directory (mode 0700,
 * the daemon's user) and its link socket are out of their reach.
 *
 * Why a guard: nothing of the tree may outlive the worker, whatever kills it. Every process of
 * the tree is in one process group and carries the task's private directory in its command
 * line; a small guard process (sh) blocks on a pipe only the worker holds, and when the pipe
 * closes (the worker exited, crashed or was killed with SIGKILL) it kills the group and every
 * process naming the directory (Chromium's crash handler leaves the group) and removes the
 * directory. A failover worker of the same task also clears what an earlier one left
 * (cr_web_session_clear_leftovers) in case the guard itself was killed. */
#pragma once

#include <glib.h>

#include "recorder/web_cdp.h"

G_BEGIN_DECLS

typedef struct _CrWebSession CrWebSession;

typedef struct {
  const char *task_id;
  const char *user; /* the OS user of the tree; NULL or "": this process's user */
  int width, height;
} CrWebSessionOptions;

/* Everything a web recording needs is installed (Xvfb, PulseAudio, Chromium, GStreamer's
 * ximagesrc and pulsesrc) and @user exists: FALSE with an error naming what is missing and the
 * Debian package that brings it. Called by StartWebRecord and by the worker. */
gboolean cr_web_session_check (const char *user, GError **error);

/* Kills what an earlier worker of @task_id left (processes naming its directory) and removes the
 * directory. */
void cr_web_session_clear_leftovers (const char *task_id);

/* Starts the tree: Xvfb, PulseAudio, then Chromium on about:blank with its DevTools pipe open
 * (@on_event gets its events). NULL with @error (the tree is gone again). */
CrWebSession *cr_web_session_start (const CrWebSessionOptions *o, CrWebCdpEvent on_event,
                                    gpointer data, GError **error);
CrWebCdp *cr_web_session_cdp (CrWebSession *s);
const char *cr_web_session_display (CrWebSession *s);      /* ":N" */
const char *cr_web_session_xauthority (CrWebSession *s);   /* the X cookie's file */
const char *cr_web_session_pulse_server (CrWebSession *s); /* "unix:/..." */
const char *cr_web_session_dir (CrWebSession *s);
/* NULL while every process of the tree runs; else which one ended ("Chromium exited ..."). */
const char *cr_web_session_failure (CrWebSession *s);
/* Ends the tree (SIGTERM, a short wait, SIGKILL) and removes its directory; frees. */
void cr_web_session_stop (CrWebSession *s);

G_END_DECLS
