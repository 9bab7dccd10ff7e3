/* A bucket class's playlists brought down for its replay; see class_video_replay_fetch.h. */
#include "tiw/class_video_replay_fetch.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "common/file_util.h"
#include "common/json_util.h"
#include "tiw/class_private.h"
#include "tiw/class_video_replay_cache.h"

typedef struct {
  CrClassRecorder *rec;   /* NULL once the recorder is gone */
  SoupServerMessage *msg; /* a ref; NULL once it ended without our answer */
  gulong finished_id;
  JsonObject *r;
  GPtrArray *folders; /* CrClassFolder to bring down, their dir made absolute under @dir */
  GPtrArray *names;   /* their TRTC TaskIds */
  gboolean final;     /* the class is FINISHED: what comes down is kept for good */
  char *dir;          /* the temporary directory, in the cache's root */
  CrReplayFetched done;
  gpointer data;
  GDestroyNotify free_data;
  gboolean ok;
  char *error;
} Fetch;

static void
fetch_forget_msg (Fetch *f)
{
  if (f->msg == NULL)
    return;
  g_signal_handler_disconnect (f->msg, f->finished_id);
  g_clear_object (&f->msg);
}

static void
fetch_free (Fetch *f)
{
  fetch_forget_msg (f);
  json_object_unref (f->r);
  g_ptr_array_unref (f->folders);
  g_ptr_array_unref (f->names);
  if (f->dir != NULL)
    cr_file_remove_tree (f->dir);
  g_free (f->dir);
  if (f->free_data != NULL)
    f->free_data (f->data);
  g_free (f->error);
  g_free (f);
}

/* The message ended without our answer (the client left, the server closes): forget it. */
static void
fetch_on_finished (SoupServerMessage *msg, gpointer data)
{
  fetch_forget_msg (data);
}

static void
fetch_run (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  Fetch *f = data;
  g_autoptr (GError) error = NULL;
  f->ok = TRUE;
  for (guint i = 0; f->ok && i < f->folders->len; i++)
    f->ok = cr_class_folder_fetch (g_ptr_array_index (f->folders, i), FALSE, &error);
  if (!f->ok)
    f->error = g_strdup (error->message);
  g_task_return_boolean (task, TRUE);
}

/* Answers @msg with the 502 of a failed download. */
static void
fetch_reply_failure (SoupServerMessage *msg, JsonObject *r, const char *why)
{
  g_warning ("class task %s: replay: %s", cr_json_get_string (r, "TaskId"), why);
  g_autoptr (JsonObject) o = json_object_new ();
  json_object_set_string_member (o, "Code", "FailedOperation.Storage");
  json_object_set_string_member (o, "Message", why);
  g_autofree char *text = cr_json_object_to_string (o);
  soup_server_message_set_status (msg, SOUP_STATUS_BAD_GATEWAY, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

/* The folders brought down go into the cache, in place of their older copies. */
static gboolean
fetch_keep (Fetch *f, GError **error)
{
  gint64 now = g_get_monotonic_time ();
  for (guint i = 0; i < f->names->len; i++) {
    const CrClassFolder *folder = g_ptr_array_index (f->folders, i);
    if (!cr_replay_cache_put (f->rec->replay_cache, g_ptr_array_index (f->names, i), folder->dir,
                              f->final, now, error))
      return FALSE;
  }
  return TRUE;
}

static void
fetch_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Fetch *f = g_task_get_task_data (G_TASK (res));
  if (f->rec != NULL) {
    g_ptr_array_remove_fast (f->rec->replay_fetches, f);
    g_autoptr (GError) error = NULL;
    if (f->ok && !fetch_keep (f, &error)) {
      f->ok = FALSE;
      f->error = g_strdup (error->message);
    }
    if (f->msg != NULL) {
      if (f->ok)
        f->done (f->rec, f->msg, f->r, cr_replay_cache_root (f->rec->replay_cache), f->data);
      else
        fetch_reply_failure (f->msg, f->r, f->error);
      soup_server_message_unpause (f->msg);
    }
  }
  fetch_free (f);
}

void
cr_class_replay_fetch (CrClassRecorder *rec, SoupServerMessage *msg, JsonObject *r,
                       GPtrArray *folders, CrReplayFetched done, gpointer data,
                       GDestroyNotify free_data)
{
  g_autoptr (GError) error = NULL;
  if (rec->replay_cache == NULL)
    rec->replay_cache = cr_replay_cache_new (&error);
  if (rec->replay_cache == NULL) {
    fetch_reply_failure (msg, r, error->message);
    g_ptr_array_unref (folders);
    if (free_data != NULL)
      free_data (data);
    return;
  }
  /* what the cache has fresh is not brought down again */
  gboolean final = g_strcmp0 (cr_json_get_string (r, "Status"), "FINISHED") == 0;
  gint64 now = g_get_monotonic_time ();
  for (guint i = folders->len; i-- > 0;) {
    const CrClassFolder *folder = g_ptr_array_index (folders, i);
    if (cr_replay_cache_fresh (rec->replay_cache, folder->dir, final, now))
      g_ptr_array_remove_index (folders, i);
  }
  if (folders->len == 0) {
    done (rec, msg, r, cr_replay_cache_root (rec->replay_cache), data);
    g_ptr_array_unref (folders);
    if (free_data != NULL)
      free_data (data);
    return;
  }
  Fetch *f = g_new0 (Fetch, 1);
  f->rec = rec;
  f->msg = g_object_ref (msg);
  f->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (fetch_on_finished), f);
  f->r = json_object_ref (r);
  f->folders = folders;
  f->names = g_ptr_array_new_with_free_func (g_free);
  f->final = final;
  f->done = done;
  f->data = data;
  f->free_data = free_data;
  f->dir = g_build_filename (cr_replay_cache_root (rec->replay_cache), ".fetch-XXXXXX", NULL);
  if (g_mkdtemp (f->dir) == NULL) {
    f->ok = FALSE;
    f->error = g_strdup_printf ("cannot create %s: %s", f->dir, g_strerror (errno));
    g_clear_pointer (&f->dir, g_free);
  }
  for (guint i = 0; f->dir != NULL && i < folders->len; i++) {
    CrClassFolder *folder = g_ptr_array_index (folders, i);
    g_ptr_array_add (f->names, folder->dir);
    folder->dir = g_build_filename (f->dir, folder->dir, NULL);
  }
  g_ptr_array_add (rec->replay_fetches, f);
  soup_server_message_pause (msg);
  GTask *task = g_task_new (NULL, NULL, fetch_done, NULL);
  g_task_set_task_data (task, f, NULL);
  if (f->dir != NULL)
    g_task_run_in_thread (task, fetch_run);
  else
    g_task_return_boolean (task, TRUE); /* the failure, answered from the main loop */
  g_object_unref (task);
}

void
cr_class_replay_fetch_detach (CrClassRecorder *rec)
{
  for (guint i = 0; i < rec->replay_fetches->len; i++) {
    Fetch *f = g_ptr_array_index (rec->replay_fetches, i);
    f->rec = NULL;
  }
  g_ptr_array_set_size (rec->replay_fetches, 0);
}
