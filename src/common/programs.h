/* Where this project's other programs are: next to the running one.
 *
 * Why: the daemon starts its recording workers from `cloudrec-worker`, a program that links only
 * what a worker needs (GLib, GStreamer, libsoup, ...; not libnice, WebRTC, cairo), which keeps each
 * worker's RSS low (bench/README.md); an install that has only `cloudrec` still works, since
 * `cloudrec record` is the same worker. Both are looked up beside /proc/self/exe, never on PATH,
 * so a daemon never starts another install's worker. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The program with every subcommand (src/cli/main.c), and the worker-only one (worker_main.c). */
#define CR_MAIN_PROGRAM "cloudrec"
#define CR_WORKER_PROGRAM "cloudrec-worker"

/* The program this process runs (/proc/self/exe), or NULL with @error. */
char *cr_program_self (GError **error);

/* The executable file @name in the directory of this process's own program, or NULL when there
 * is none. */
char *cr_program_beside_self (const char *name);

/* The program with every subcommand, for what a worker starts (the board's `cloudrec publish`):
 * this process's own, unless it is CR_WORKER_PROGRAM, whose daemon is the CR_MAIN_PROGRAM beside
 * it. NULL with @error when there is none. */
char *cr_program_main (GError **error);

G_END_DECLS
