/* The folders of bucket classes kept for their replay; see class_video_replay_cache.h. */
#include "tiw/class_video_replay_cache.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "common/file_util.h"

typedef struct {
  gint64 fetched_us, used_us;
  gboolean final;
} Folder;

struct _CrReplayCache {
  char *root;
  GHashTable *folders; /* TaskId -> Folder */
};

CrReplayCache *
cr_replay_cache_new (GError **error)
{
  char *root = g_dir_make_tmp ("cloudrec-replay-XXXXXX", error);
  if (root == NULL)
    return NULL;
  CrReplayCache *c = g_new0 (CrReplayCache, 1);
  c->root = root;
  c->folders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return c;
}

const char *
cr_replay_cache_root (const CrReplayCache *c)
{
  return c->root;
}

gboolean
cr_replay_cache_fresh (CrReplayCache *c, const char *task_id, gboolean final, gint64 now_us)
{
  Folder *f = g_hash_table_lookup (c->folders, task_id);
  if (f == NULL
      || (!f->final && (final || now_us - f->fetched_us >= CR_REPLAY_CACHE_LIVE_MS * 1000)))
    return FALSE;
  f->used_us = now_us;
  return TRUE;
}

/* Forgets folder @task_id and removes its files. */
static void
cache_drop (CrReplayCache *c, const char *task_id)
{
  g_autofree char *path = g_build_filename (c->root, task_id, NULL);
  cr_file_remove_tree (path);
  g_hash_table_remove (c->folders, task_id);
}

/* Drops the least recently used folders beyond CR_REPLAY_CACHE_FOLDERS. */
static void
cache_trim (CrReplayCache *c)
{
  while (g_hash_table_size (c->folders) > CR_REPLAY_CACHE_FOLDERS) {
    GHashTableIter it;
    gpointer key, value;
    const char *oldest = NULL;
    gint64 oldest_us = G_MAXINT64;
    g_hash_table_iter_init (&it, c->folders);
    while (g_hash_table_iter_next (&it, &key, &value)) {
      const Folder *f = value;
      if (f->used_us < oldest_us) {
        oldest_us = f->used_us;
        oldest = key;
      }
    }
    g_autofree char *victim = g_strdup (oldest);
    cache_drop (c, victim);
  }
}

gboolean
cr_replay_cache_put (CrReplayCache *c, const char *task_id, const char *dir, gboolean final,
                     gint64 now_us, GError **error)
{
  g_autofree char *place = g_build_filename (c->root, task_id, NULL);
  cache_drop (c, task_id);
  if (g_rename (dir, place) != 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "cannot keep %s as %s: %s", dir,
                 place, g_strerror (e));
    return FALSE;
  }
  Folder *f = g_new0 (Folder, 1);
  f->fetched_us = f->used_us = now_us;
  f->final = final;
  g_hash_table_insert (c->folders, g_strdup (task_id), f);
  cache_trim (c);
  return TRUE;
}

void
cr_replay_cache_free (CrReplayCache *c)
{
  if (c == NULL)
    return;
  cr_file_remove_tree (c->root);
  g_hash_table_unref (c->folders);
  g_free (c->root);
  g_free (c);
}
