/* Writing files so that a crash leaves either the old or the new contents, never a torn file.
 *
 * Why one place: playlists, sync reports and retimed TS segments are all rewritten while a
 * recording runs; a worker killed mid-write must not leave a half playlist behind. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Writes all @len bytes of @data to @fd from its current offset, retrying short writes and
 * EINTR. FALSE with errno set on failure; @fd stays open either way. */
gboolean cr_write_all (int fd, const void *data, gsize len);

/* Writes @contents to @path atomically and durably: @path.tmp, fsync, rename, fsync of the
 * directory. */
gboolean cr_file_replace_durably (const char *path, const char *contents, gsize len,
                                  GError **error);

/* Writes @len bytes of @data over the start of the existing file @path, in place: neither atomic
 * nor synced, so only for a file nothing refers to yet (a closed TS fragment fixed before the HLS
 * writer lists it, then synced). */
gboolean cr_file_overwrite (const char *path, const void *data, gsize len, GError **error);

/* Makes the finished file @path durable: fsync of the file, then of its directory. */
gboolean cr_file_sync (const char *path, GError **error);

/* Removes @path and everything under it (a symbolic link is removed, not followed); what
 * cannot be removed is left. */
void cr_file_remove_tree (const char *path);

G_END_DECLS
