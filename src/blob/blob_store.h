/* The blob store: where a recording's files end up, addressed by object key
 * ("<Prefix>/<TaskId>/<file name>", reference §10).
 *
 * Why a vtable: recordings go to a local directory by default and to S3-compatible object
 * storage through the spool (link/link_blobs.c); the recorder only ever talks to this interface.
 * A recorder writes its files into a local working directory (work_dir) and hands each finished
 * file to put_file, in an order that keeps a reader consistent (a segment before the playlist
 * that lists it). For the local store the working directory IS the store, so put_file only makes
 * the file durable; an object store uploads it and keeps the local copy until the task ends (the
 * MP4/AAC files are remuxed from it). Versioned like the task store. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_BLOB_STORE_VERSION 2 /* 2: finish */

typedef struct CrBlobStore CrBlobStore;

typedef struct {
  guint version;
  const char *name; /* "local", ... */

  /* The local directory in which the objects under @key_prefix ("<Prefix>/<TaskId>") are
   * written (created). Newly allocated. */
  char *(*work_dir) (CrBlobStore *store, const char *key_prefix, GError **error);

  /* Stores the finished local file @path as object @key; durable when it returns TRUE. */
  gboolean (*put_file) (CrBlobStore *store, const char *key, const char *path, GError **error);

  /* Removes object @key; a missing object is not an error. */
  gboolean (*remove) (CrBlobStore *store, const char *key, GError **error);

  /* Every file of the task was put: an object store reports the end once they are all stored
   * (305). NULL when there is nothing to do. */
  gboolean (*finish) (CrBlobStore *store, GError **error);

  void (*close) (CrBlobStore *store);
} CrBlobStoreVtable;

struct CrBlobStore {
  const CrBlobStoreVtable *vt;
};

/* Object keys are relative paths of non-empty segments without "." or ".." (FileNamePrefix is
 * validated that way, TaskIds and names are ours); anything else is refused. */
gboolean cr_blob_key_is_valid (const char *key);

/* The local-directory store: object key = path under @root. */
CrBlobStore *cr_local_blob_store_new (const char *root);

void cr_blob_store_close (CrBlobStore *store);

G_END_DECLS
