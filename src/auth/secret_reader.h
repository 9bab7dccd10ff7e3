/* How the task-spec reader (task/spec.c) opens a stored secret: a task's StorageParams
 * SecretKey, sealed at Create (auth/secret_box.h).
 *
 * Why a hook and not a call into secret_box.c: the recording worker never needs the secret (the
 * daemon reads the object store for it, link.h) and does not link libcrypto (bench/README.md,
 * "Worker memory"), so the spec reader must not call the cipher itself. The secret box registers
 * its opener as soon as a process sets its key (cr_secret_box_init, cr_secret_box_set_default:
 * the daemon, the tools); a process that never does (the worker) reads a sealed value as no
 * secret at all, without an error. A plain value (from before sealing) reads as itself either
 * way. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Opens @stored (sealed); NULL with an error that never holds the secret when it does not open. */
typedef char *(*CrSecretOpenFunc) (const char *stored, GError **error);

/* Registers the process's opener (set once at start, before any thread reads a spec). */
void cr_secret_reader_set (CrSecretOpenFunc open);

/* The secret of @stored: a copy when it is plain, else what the registered opener gives (NULL and
 * its error when it does not open); NULL without an error when it is sealed and no opener is
 * registered. */
char *cr_secret_reader_open (const char *stored, GError **error);

G_END_DECLS
