/* The spool and the uploader, from the worker's side; see link_blobs.h. */
#include "link/link_blobs.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "common/file_util.h"
#include "common/json_util.h"
#include "link/link.h"
#include "link/link_client.h"

typedef struct {
  char *key;
  char *path;    /* a file, or NULL */
  char *content; /* a playlist's text, or NULL (neither: the end) */
} Offer;

typedef struct {
  CrBlobStore base;
  SoupSession *link;
  guint64 app;
  char *task_id;
  char *root;
  char *dir; /* the task's directory in the spool (work_dir) */
  GQueue backlog; /* Offer*, oldest first */
} LinkBlobs;

static void
offer_free (Offer *o)
{
  g_free (o->key);
  g_free (o->path);
  g_free (o->content);
  g_free (o);
}

static char *
link_blobs_work_dir (CrBlobStore *store, const char *key_prefix, GError **error)
{
  LinkBlobs *self = (LinkBlobs *)store;
  if (!cr_blob_key_is_valid (key_prefix)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "invalid object key \"%s\"",
                 key_prefix);
    return NULL;
  }
  char *dir = g_build_filename (self->root, key_prefix, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot create %s: %s", dir,
                 g_strerror (errno));
    g_free (dir);
    return NULL;
  }
  g_free (self->dir);
  self->dir = g_strdup (dir);
  return dir;
}

/* Offers one file, playlist or the end; TRUE when it is queued. @force: past the spool limit. */
static gboolean
link_blobs_offer (LinkBlobs *self, const Offer *o, gboolean force, GError **error)
{
  g_autoptr (JsonObject) req = json_object_new ();
  json_object_set_int_member (req, CR_LINK_SDK_APP_ID, (gint64)self->app);
  json_object_set_string_member (req, CR_LINK_TASK_ID, self->task_id);
  json_object_set_string_member (req, CR_LINK_KEY, o->key);
  if (o->path != NULL) {
    json_object_set_string_member (req, CR_LINK_KIND, CR_LINK_KIND_FILE);
    json_object_set_string_member (req, CR_LINK_PATH, o->path);
    if (force)
      json_object_set_boolean_member (req, CR_LINK_FORCE, TRUE);
  } else if (o->content != NULL) {
    json_object_set_string_member (req, CR_LINK_KIND, CR_LINK_KIND_PLAYLIST);
    json_object_set_string_member (req, CR_LINK_CONTENT, o->content);
  } else {
    json_object_set_string_member (req, CR_LINK_KIND, CR_LINK_KIND_END);
    if (self->dir != NULL) /* removed once everything before is stored */
      json_object_set_string_member (req, CR_LINK_PATH, self->dir);
  }
  g_autofree char *body = cr_json_object_to_string (req);
  guint status = 0;
  g_autoptr (JsonObject) reply
      = cr_link_call (self->link, "POST", CR_LINK_PATH_UPLOADS, body, &status, error);
  if (status == SOUP_STATUS_OK)
    return TRUE;
  if (status != 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the daemon refused %s: %u %s", o->key,
                 status, reply != NULL ? cr_json_get_string (reply, CR_LINK_MESSAGE) : "");
  return FALSE;
}

/* Offers the backlog in order, stopping at the first refusal. TRUE when it is empty. */
static gboolean
link_blobs_drain (LinkBlobs *self, gboolean force, GError **error)
{
  Offer *o;
  while ((o = g_queue_peek_head (&self->backlog)) != NULL) {
    if (!link_blobs_offer (self, o, force, error))
      return FALSE;
    offer_free (g_queue_pop_head (&self->backlog));
  }
  return TRUE;
}

/* Adds @o behind the backlog; a waiting playlist of the same key is replaced by the newer. */
static void
link_blobs_defer (LinkBlobs *self, Offer *o)
{
  for (GList *l = self->backlog.head; o->content != NULL && l != NULL; l = l->next) {
    Offer *old = l->data;
    if (old->content != NULL && strcmp (old->key, o->key) == 0) {
      g_queue_delete_link (&self->backlog, l);
      offer_free (old);
      break;
    }
  }
  g_queue_push_tail (&self->backlog, o);
}

static gboolean
link_blobs_put_file (CrBlobStore *store, const char *key, const char *path, GError **error)
{
  LinkBlobs *self = (LinkBlobs *)store;
  if (!cr_blob_key_is_valid (key)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "invalid object key \"%s\"", key);
    return FALSE;
  }
  Offer *o = g_new0 (Offer, 1);
  o->key = g_strdup (key);
  /* a file rewritten while recording (a playlist, SEI samples) goes as its text of now: the
   * spool's copy is not handed over (the uploader removes what it stored) */
  if (g_str_has_suffix (key, ".m3u8") || g_str_has_suffix (key, ".sync.json")) {
    gsize len = 0;
    if (!g_file_get_contents (path, &o->content, &len, error)) {
      offer_free (o);
      return FALSE;
    }
  } else {
    if (!cr_file_sync (path, error)) {
      offer_free (o);
      return FALSE;
    }
    o->path = g_canonicalize_filename (path, NULL);
  }
  g_autoptr (GError) refused = NULL;
  if (link_blobs_drain (self, FALSE, &refused) && link_blobs_offer (self, o, FALSE, &refused)) {
    offer_free (o);
    return TRUE;
  }
  g_info ("task %s: %s waits in the spool: %s", self->task_id, key, refused->message);
  link_blobs_defer (self, o);
  return TRUE; /* kept: on disk, and offered again */
}

static gboolean
link_blobs_finish (CrBlobStore *store, GError **error)
{
  LinkBlobs *self = (LinkBlobs *)store;
  Offer end = { (char *)"end", NULL, NULL };
  /* The daemon may be restarting: a few attempts over about a minute. */
  for (int attempt = 0;; attempt++) {
    g_autoptr (GError) local = NULL;
    if (link_blobs_drain (self, TRUE, &local)) {
      end.key = g_strconcat (self->task_id, "/", "end", NULL);
      gboolean ok = link_blobs_offer (self, &end, TRUE, &local);
      g_free (end.key);
      if (ok)
        return TRUE;
    }
    if (attempt >= 12) {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
    g_usleep (5 * G_USEC_PER_SEC);
  }
}

static gboolean
link_blobs_remove (CrBlobStore *store, const char *key, GError **error)
{
  LinkBlobs *self = (LinkBlobs *)store;
  g_autofree char *path = g_build_filename (self->root, key, NULL);
  if (!cr_blob_key_is_valid (key) || (g_remove (path) != 0 && errno != ENOENT)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot remove %s from the spool", key);
    return FALSE;
  }
  return TRUE;
}

static void
link_blobs_close (CrBlobStore *store)
{
  LinkBlobs *self = (LinkBlobs *)store;
  if (!g_queue_is_empty (&self->backlog))
    g_warning ("task %s: %u files were never queued for upload; they are in %s", self->task_id,
               g_queue_get_length (&self->backlog), self->root);
  g_queue_clear_full (&self->backlog, (GDestroyNotify)offer_free);
  g_object_unref (self->link);
  g_free (self->task_id);
  g_free (self->root);
  g_free (self->dir);
  g_free (self);
}

static const CrBlobStoreVtable link_blobs_vtable = {
  .version = CR_BLOB_STORE_VERSION,
  .name = "spool",
  .work_dir = link_blobs_work_dir,
  .put_file = link_blobs_put_file,
  .remove = link_blobs_remove,
  .finish = link_blobs_finish,
  .close = link_blobs_close,
};

CrBlobStore *
cr_link_blob_store_new (SoupSession *link, guint64 sdk_app_id, const char *task_id,
                        const char *spool_root)
{
  LinkBlobs *self = g_new0 (LinkBlobs, 1);
  self->base.vt = &link_blobs_vtable;
  self->link = g_object_ref (link);
  self->app = sdk_app_id;
  self->task_id = g_strdup (task_id);
  self->root = g_strdup (spool_root);
  g_queue_init (&self->backlog);
  return &self->base;
}

guint
cr_link_blob_store_backlog (CrBlobStore *store)
{
  return g_queue_get_length (&((LinkBlobs *)store)->backlog);
}
