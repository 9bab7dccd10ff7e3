/* Held task reads; see link_task_watch.h. */
#include "link_task_watch.h"

#include "link/link_held.h"

struct _CrLinkTaskWatch {
  CrTaskStore *store;
  CrLinkTaskAnswer answer;
  gpointer data;
  CrLinkHeld *held;    /* Held items, in the main context */
  GMutex lock;         /* guards what follows: the store may change from any thread */
  GHashTable *changed; /* "app/task" changed since the held reads were last looked at */
  guint wake_id;       /* the idle that looks at them, 0 when none is queued */
};

typedef struct {
  guint64 sdk_app_id;
  char *task_id;
  char *key; /* "app/task" */
  gint64 after;
} Held;

static char *
watch_key (guint64 sdk_app_id, const char *task_id)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT "/%s", sdk_app_id, task_id);
}

static void
held_free (gpointer data)
{
  Held *h = data;
  g_free (h->task_id);
  g_free (h->key);
  g_free (h);
}

static void
held_answer (SoupServerMessage *msg, gpointer item, gpointer data)
{
  CrLinkTaskWatch *watch = data;
  const Held *h = item;
  watch->answer (msg, h->sdk_app_id, h->task_id, watch->data);
}

typedef struct {
  CrLinkTaskWatch *watch;
  GHashTable *changed;
} Look;

/* A held read of a task that changed is answered if the task now has news for it (a worker's
 * own Idle/InProgress is none). */
static gboolean
held_ready (gpointer item, gpointer data)
{
  const Held *h = item;
  const Look *look = data;
  if (!g_hash_table_contains (look->changed, h->key))
    return FALSE;
  g_autoptr (GError) error = NULL;
  g_autoptr (CrTask) task
      = look->watch->store->vt->lookup (look->watch->store, h->sdk_app_id, h->task_id, &error);
  return error != NULL || cr_link_task_has_news (task, h->after);
}

/* In the main context: the held reads of the tasks that changed. */
static gboolean
watch_look (gpointer data)
{
  CrLinkTaskWatch *watch = data;
  g_mutex_lock (&watch->lock);
  Look look = { watch, watch->changed };
  watch->changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  watch->wake_id = 0;
  g_mutex_unlock (&watch->lock);
  cr_link_held_answer_ready (watch->held, held_ready, &look);
  g_hash_table_unref (look.changed);
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
  watch->held = cr_link_held_new (held_answer, held_free, watch);
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
  h->sdk_app_id = sdk_app_id;
  h->task_id = g_strdup (task_id);
  h->key = watch_key (sdk_app_id, task_id);
  h->after = after;
  cr_link_held_add (watch->held, msg, MIN (wait_ms, CR_LINK_TASK_WAIT_MAX_MS), h);
}

void
cr_link_task_watch_free (CrLinkTaskWatch *watch)
{
  if (watch == NULL)
    return;
  cr_task_store_set_change_func (watch->store, NULL, NULL);
  cr_link_held_free (watch->held, NULL);
  if (watch->wake_id != 0)
    g_source_remove (watch->wake_id);
  g_hash_table_unref (watch->changed);
  g_mutex_clear (&watch->lock);
  g_free (watch);
}
