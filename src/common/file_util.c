/* Whole, durable file writes; see file_util.h. */
#include "file_util.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

gboolean
cr_write_all (int fd, const void *data, gsize len)
{
  const char *p = data;
  for (gsize done = 0; done < len;) {
    ssize_t n = write (fd, p + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO;
      return FALSE;
    }
    done += (gsize)n;
  }
  return TRUE;
}

gboolean
cr_file_replace_durably (const char *path, const char *contents, gsize len, GError **error)
{
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    goto fail;
  if (!cr_write_all (fd, contents, len)) {
    int saved = errno;
    close (fd);
    errno = saved;
    goto fail;
  }
  if (fsync (fd) != 0 || close (fd) != 0 || g_rename (tmp, path) != 0)
    goto fail;
  int dfd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dfd >= 0) {
    fsync (dfd);
    close (dfd);
  }
  return TRUE;
fail:
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot write %s: %s", path,
               g_strerror (errno));
  g_unlink (tmp);
  return FALSE;
}

gboolean
cr_file_overwrite (const char *path, const void *data, gsize len, GError **error)
{
  int fd = g_open (path, O_WRONLY | O_CLOEXEC, 0);
  if (fd >= 0 && cr_write_all (fd, data, len)) {
    if (close (fd) == 0)
      return TRUE;
  } else if (fd >= 0) {
    int saved = errno;
    close (fd);
    errno = saved;
  }
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot rewrite %s: %s", path,
               g_strerror (errno));
  return FALSE;
}

static gboolean
fsync_path (const char *path, int flags, GError **error)
{
  int fd = g_open (path, flags | O_CLOEXEC, 0);
  if (fd < 0 || fsync (fd) != 0) {
    int saved = errno;
    if (fd >= 0)
      close (fd);
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot sync %s: %s", path,
                 g_strerror (saved));
    return FALSE;
  }
  close (fd);
  return TRUE;
}

gboolean
cr_file_sync (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  return fsync_path (path, O_RDONLY, error) && fsync_path (dir, O_RDONLY | O_DIRECTORY, error);
}

void
cr_file_remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);
      cr_file_remove_tree (child);
    }
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}
