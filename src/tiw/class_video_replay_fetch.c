/* A bucket class's playlists brought down for its replay; see class_video_replay_fetch.h. */
#include "tiw/class_video_replay_fetch.h"

#include <glib/gstdio.h>
#include <string.h>

#include "common/file_util.h"
#include "common/json_util.h"

typedef struct {
  CrClassRecorder *rec;   /* NULL once the recorder is gone */
  SoupServerMessage *msg; /* a ref; NULL once it ended without our answer */
  gulong finished_id;
  JsonObject *r;
  GPtrArray *folders; /* CrClassFolder, their dir made absolute under @dir */
  char *dir;          /* the temporary directory */
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

static void
fetch_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Fetch *f = g_task_get_task_data (G_TASK (res));
  if (f->rec != NULL) {
    g_ptr_array_remove_fast (f->rec->replay_fetches, f);
    if (f->msg != NULL) {
      if (f->ok)
        f->done (f->rec, f->msg, f->r, f->dir, f->data);
      else {
        g_warning ("class task %s: replay: %s", cr_json_get_string (f->r, "TaskId"), f->error);
        g_autoptr (JsonObject) o = json_object_new ();
        json_object_set_string_member (o, "Code", "FailedOperation.Storage");
        json_object_set_string_member (o, "Message", f->error);
        g_autofree char *text = cr_json_object_to_string (o);
        soup_server_message_set_status (f->msg, SOUP_STATUS_BAD_GATEWAY, NULL);
        soup_server_message_set_response (f->msg, "application/json", SOUP_MEMORY_COPY, text,
                                          strlen (text));
      }
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
  Fetch *f = g_new0 (Fetch, 1);
  f->rec = rec;
  f->msg = g_object_ref (msg);
  f->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (fetch_on_finished), f);
  f->r = json_object_ref (r);
  f->folders = folders;
  f->done = done;
  f->data = data;
  f->free_data = free_data;
  g_autoptr (GError) error = NULL;
  f->dir = g_dir_make_tmp ("cloudrec-replay-XXXXXX", &error);
  if (f->dir == NULL) {
    f->ok = FALSE;
    f->error = g_strdup (error->message);
  }
  for (guint i = 0; f->dir != NULL && i < folders->len; i++) {
    CrClassFolder *folder = g_ptr_array_index (folders, i);
    char *abs = g_build_filename (f->dir, folder->dir, NULL);
    g_free (folder->dir);
    folder->dir = abs;
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
