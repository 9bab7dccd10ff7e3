/* The shared event-loop threads; see lean_loop.h. */
#include "lean_loop.h"

#define LOOP_MAX 16

typedef struct {
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  guint sessions;
} Loop;

static GMutex loops_lock;
static Loop loops[LOOP_MAX];
static guint n_loops;

static gpointer
loop_run (gpointer data)
{
  Loop *l = data;
  g_main_context_push_thread_default (l->context);
  g_main_loop_run (l->loop);
  g_main_context_pop_thread_default (l->context);
  return NULL;
}

static void
loops_start (void)
{
  n_loops = CLAMP (g_get_num_processors (), 1, LOOP_MAX);
  for (guint i = 0; i < n_loops; i++) {
    Loop *l = &loops[i];
    l->context = g_main_context_new ();
    l->loop = g_main_loop_new (l->context, FALSE);
    g_autofree char *name = g_strdup_printf ("ingest-loop-%u", i);
    l->thread = g_thread_new (name, loop_run, l);
  }
}

GMainContext *
cr_lean_loop_acquire (void)
{
  g_mutex_lock (&loops_lock);
  if (n_loops == 0)
    loops_start ();
  Loop *best = &loops[0];
  for (guint i = 1; i < n_loops; i++) {
    if (loops[i].sessions < best->sessions)
      best = &loops[i];
  }
  best->sessions++;
  GMainContext *ctx = g_main_context_ref (best->context);
  g_mutex_unlock (&loops_lock);
  return ctx;
}

void
cr_lean_loop_release (GMainContext *context)
{
  g_mutex_lock (&loops_lock);
  for (guint i = 0; i < n_loops; i++) {
    if (loops[i].context == context && loops[i].sessions > 0)
      loops[i].sessions--;
  }
  g_mutex_unlock (&loops_lock);
  g_main_context_unref (context);
}

guint
cr_lean_loop_count (void)
{
  g_mutex_lock (&loops_lock);
  guint n = n_loops;
  g_mutex_unlock (&loops_lock);
  return n;
}
