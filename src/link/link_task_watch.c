/* Held task reads; see link_task_watch.h. */
#include "link_task_watch.h"

struct _CrLinkTaskWatch {
  CrTaskStore *store;
  CrLinkTaskAnswer answer;
  gpointer data;
  GPtrArray *held;     /* Held, in the main context */
  GMutex lock;         /* guards what follows: the store may change from any thread */
  GHashTable *changed; /* "app/task" changed since the held reads were last looked at */
  guint wake_id;       /* the idle that looks at them, 0 when none is queued */
};

typedef struct {
  CrLinkTaskWatch *watch;
  SoupServerMessage *msg;
  guint64 sdk_app_id;
  char *task_id;
  char *key; /* "app/task" */
  gint64 after;
  guint timeout_id;
  gulong finished_id;
} Held;

static char *
watch_key (guint64 sdk_app_id, const char *task_id)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT "/%s", sdk_app_id, task_id);
}

/* Forgets @h (out of the list already) without touching its message's I/O. */
static void
held_free (Held *h)
{
  if (h->timeout_id != 0)
    g_source_remove (h->timeout_id);
  g_signal_handler_disconnect (h->msg, h->finished_id);
  g_object_unref (h->msg);
  g_free (h->task_id);
  g_free (h->key);
  g_free (h);
}

/* Answers @h as a plain read would be answered now, and lets the message go. */
static void
held_answer (Held *h)
{
  g_ptr_array_remove_fast (h->watch->held, h);
  h->watch->answer (h->msg, h->sdk_app_id, h->task_id, h->watch->data);
  soup_server_message_unpause (h->msg);
  held_free (h);
}

static gboolean
held_on_timeout (gpointer data)
{
  Held *h = data;
  h->timeout_id = 0;
  held_answer (h);
  return G_SOURCE_REMOVE;
}

/* The message ended without our answer (the connection closed): forget it. */
static void
held_on_finished (SoupServerMessage *msg, gpointer data)
{
  Held *h = data;
  g_ptr_array_remove_fast (h->watch->held, h);
  held_free (h);
}

/* In the main context: the held reads of the tasks that changed are answered if their task now
 * has news for them (a worker's own Idle/InProgress is none). */
static gboolean
watch_look (gpointer data)
{
  CrLinkTaskWatch *watch = data;
  g_mutex_lock (&watch->lock);
  GHashTable *changed = watch->changed;
  watch->changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  watch->wake_id = 0;
  g_mutex_unlock (&watch->lock);
  g_autoptr (GPtrArray) ready = g_ptr_array_new ();
  for (guint i = 0; i < watch->held->len; i++) {
    Held *h = g_ptr_array_index (watch->held, i);
    if (!g_hash_table_contains (changed, h->key))
      continue;
    g_autoptr (GError) error = NULL;
    g_autoptr (CrTask) task
        = watch->store->vt->lookup (watch->store, h->sdk_app_id, h->task_id, &error);
    if (error != NULL || cr_link_task_has_news (task, h->after))
      g_ptr_array_add (ready, h);
  }
  for (guint i = 0; i < ready->len; i++)
    held_answer (g_ptr_array_index (ready, i));
  g_hash_table_unref (changed);
  return G_SOURCE_REMOVE;
}

/* The store's listener (any thread): looked at from the main context, once for however many
 * changes came meanwhile. */
static void
watch_on_change (guint64 sdk_app_id, const char *task_id, gpointer data)
{
  CrLinkTaskWatch *watch = data;
  g_mutex_lock (&watch->lock);
  g_hash_table_add (watch->changed, watch_key (sdk_app_id, task_id));
  if (watch->wake_id == 0)
    watch->wake_id = g_idle_add (watch_look, watch);
  g_mutex_unlock (&watch->lock);
}

CrLinkTaskWatch *
cr_link_task_watch_new (CrTaskStore *store, CrLinkTaskAnswer answer, gpointer data)
{
  CrLinkTaskWatch *watch = g_new0 (CrLinkTaskWatch, 1);
  watch->store = store;
  watch->answer = answer;
  watch->data = data;
  watch->held = g_ptr_array_new ();
  g_mutex_init (&watch->lock);
  watch->changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  cr_task_store_set_change_func (store, watch_on_change, watch);
  return watch;
}

void
cr_link_task_watch_hold (CrLinkTaskWatch *watch, SoupServerMessage *msg, guint64 sdk_app_id,
                         const char *task_id, gint64 after, guint wait_ms)
{
  Held *h = g_new0 (Held, 1);
  h->watch = watch;
  h->msg = g_object_ref (msg);
  h->sdk_app_id = sdk_app_id;
  h->task_id = g_strdup (task_id);
  h->key = watch_key (sdk_app_id, task_id);
  h->after = after;
  h->timeout_id = g_timeout_add (MIN (wait_ms, CR_LINK_TASK_WAIT_MAX_MS), held_on_timeout, h);
  h->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (held_on_finished), h);
  /* The server's idle timeout (api-timeout) would cut a held read short. */
  GSocket *sock = soup_server_message_get_socket (msg);
  if (sock != NULL)
    g_socket_set_timeout (sock, 0);
  g_ptr_array_add (watch->held, h);
  soup_server_message_pause (msg);
}

void
cr_link_task_watch_free (CrLinkTaskWatch *watch)
{
  if (watch == NULL)
    return;
  cr_task_store_set_change_func (watch->store, NULL, NULL);
  while (watch->held->len > 0)
    held_answer (g_ptr_array_index (watch->held, 0));
  g_ptr_array_unref (watch->held);
  if (watch->wake_id != 0)
    g_source_remove (watch->wake_id);
  g_hash_table_unref (watch->changed);
  g_mutex_clear (&watch->lock);
  g_free (watch);
}
