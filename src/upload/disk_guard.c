/* Free space below disk-min-free-mb refuses new tasks; see disk_guard.h. */
#include "disk_guard.h"

#include <errno.h>
#include <gio/gio.h>
#include <sys/statvfs.h>

#include "common/api_error.h"

gint64
cr_disk_free_mb (const char *path, GError **error)
{
  struct statvfs st;
  if (statvfs (path, &st) != 0) {
    int saved = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                 "cannot read the free space of %s: %s", path, g_strerror (saved));
    return -1;
  }
  return (gint64)(((guint64)st.f_bavail * (guint64)st.f_frsize) >> 20);
}

gboolean
cr_disk_guard_check (const char *const *dirs, gint64 min_mb, GError **error)
{
  if (min_mb <= 0)
    return TRUE;
  for (const char *const *d = dirs; *d != NULL; d++) {
    g_autoptr (GError) io_error = NULL;
    gint64 free_mb = cr_disk_free_mb (*d, &io_error);
    if (free_mb < 0) {
      cr_api_error_set (error, "FailedOperation", "no recording can start: %s", io_error->message);
      return FALSE;
    }
    if (free_mb < min_mb) {
      cr_api_error_set (error, "FailedOperation",
                        "no recording can start: the disk of %s has %" G_GINT64_FORMAT
                        " MiB free, disk-min-free-mb requires %" G_GINT64_FORMAT " MiB",
                        *d, free_mb, min_mb);
      return FALSE;
    }
  }
  return TRUE;
}
