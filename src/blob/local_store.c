/* The local-directory blob store: object keys are paths under a root directory, and a recorder's
 * working directory is the object's final directory, so storing a finished file is an fsync of
 * the file and of its directory (a crash then keeps it). */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "blob/blob_store.h"
#include "common/file_util.h"

typedef struct {
  CrBlobStore base;
  char *root;
} LocalStore;

gboolean
cr_blob_key_is_valid (const char *key)
{
  if (key == NULL || key[0] == '\0' || key[0] == '/')
    return FALSE;
  g_auto (GStrv) parts = g_strsplit (key, "/", -1);
  for (char **p = parts; *p != NULL; p++) {
    if ((*p)[0] == '\0' || strcmp (*p, ".") == 0 || strcmp (*p, "..") == 0)
      return FALSE;
  }
  return TRUE;
}

static gboolean
key_check (const char *key, GError **error)
{
  if (cr_blob_key_is_valid (key))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "invalid object key \"%s\"",
               key != NULL ? key : "");
  return FALSE;
}

static char *
local_work_dir (CrBlobStore *store, const char *key_prefix, GError **error)
{
  LocalStore *self = (LocalStore *)store;
  if (!key_check (key_prefix, error))
    return NULL;
  char *dir = g_build_filename (self->root, key_prefix, NULL);
  if (g_mkdir_with_parents (dir, 0755) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot create %s: %s", dir,
                 g_strerror (errno));
    g_free (dir);
    return NULL;
  }
  return dir;
}

static gboolean
local_put_file (CrBlobStore *store, const char *key, const char *path, GError **error)
{
  LocalStore *self = (LocalStore *)store;
  if (!key_check (key, error))
    return FALSE;
  g_autofree char *target = g_build_filename (self->root, key, NULL);
  if (strcmp (target, path) != 0) {
    g_autofree char *parent = g_path_get_dirname (target);
    if (g_mkdir_with_parents (parent, 0755) != 0 || g_rename (path, target) != 0) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot store %s as %s: %s",
                   path, target, g_strerror (errno));
      return FALSE;
    }
  }
  return cr_file_sync (target, error);
}

static gboolean
local_remove (CrBlobStore *store, const char *key, GError **error)
{
  LocalStore *self = (LocalStore *)store;
  if (!key_check (key, error))
    return FALSE;
  g_autofree char *target = g_build_filename (self->root, key, NULL);
  if (g_remove (target) != 0 && errno != ENOENT) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot remove %s: %s", target,
                 g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static void
local_close (CrBlobStore *store)
{
  LocalStore *self = (LocalStore *)store;
  g_free (self->root);
  g_free (self);
}

static const CrBlobStoreVtable local_vtable = {
  .version = CR_BLOB_STORE_VERSION,
  .name = "local",
  .work_dir = local_work_dir,
  .put_file = local_put_file,
  .remove = local_remove,
  .close = local_close,
};

CrBlobStore *
cr_local_blob_store_new (const char *root)
{
  LocalStore *self = g_new0 (LocalStore, 1);
  self->base.vt = &local_vtable;
  self->root = g_strdup (root);
  return &self->base;
}

void
cr_blob_store_close (CrBlobStore *store)
{
  if (store != NULL)
    store->vt->close (store);
}
