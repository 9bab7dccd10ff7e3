/* The disk guard: a task is refused while a disk it would write to is nearly full.
 *
 * Why at Create: a recording that starts on a full disk loses its media (the worker cannot write
 * its segments, the spool cannot take them) after the caller was told it started; refusing with
 * FailedOperation, naming the directory, lets the caller retry elsewhere or later. The disks are
 * the data directory's (the spool, the database) and the storage directory's. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* MiB available to unprivileged writers on the filesystem holding @path (statvfs: f_bavail *
 * f_frsize). -1 with an error when it cannot be read. */
gint64 cr_disk_free_mb (const char *path, GError **error);

/* TRUE when each directory of @dirs (NULL-terminated) has at least @min_mb MiB free; else a
 * "FailedOperation" API error naming the directory, its free and the required MiB. @min_mb 0
 * checks nothing. A directory whose filesystem cannot be read is reported the same way. */
gboolean cr_disk_guard_check (const char *const *dirs, gint64 min_mb, GError **error);

G_END_DECLS
