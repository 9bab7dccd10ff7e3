/* Every thread of the process niced, those present and those started after. */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cpu_share.h"

typedef struct {
  GMutex lock;
  GCond cond;
  gboolean asked, done;
  int nice; /* the thread's own nice value, read when asked */
} Waiter;

static int
own_nice (void)
{
  return getpriority (PRIO_PROCESS, (id_t)syscall (SYS_gettid));
}

static gpointer
waiter_run (gpointer data)
{
  Waiter *w = data;
  g_mutex_lock (&w->lock);
  while (!w->asked)
    g_cond_wait (&w->cond, &w->lock);
  w->nice = own_nice ();
  w->done = TRUE;
  g_cond_signal (&w->cond);
  g_mutex_unlock (&w->lock);
  return NULL;
}

static gpointer
report_nice (gpointer data)
{
  return GINT_TO_POINTER (own_nice ());
}

static void
test_lower (void)
{
  int target = own_nice () + 2; /* (the suite may itself run niced) */
  if (target > 19) {
    g_test_skip ("already at the lowest priority");
    return;
  }
  Waiter w = { 0 };
  g_mutex_init (&w.lock);
  g_cond_init (&w.cond);
  GThread *t = g_thread_new ("waiter", waiter_run, &w);
  /* both threads (and any GLib made) niced; a second call changes nothing */
  g_assert_cmpuint (cr_cpu_share_lower (target), >=, 2);
  g_assert_cmpuint (cr_cpu_share_lower (target), ==, 0);
  g_assert_cmpint (own_nice (), ==, target);
  g_mutex_lock (&w.lock);
  w.asked = TRUE;
  g_cond_signal (&w.cond);
  while (!w.done)
    g_cond_wait (&w.cond, &w.lock);
  g_mutex_unlock (&w.lock);
  g_thread_join (t);
  g_assert_cmpint (w.nice, ==, target);
  /* a thread started afterwards inherits it; a lower request leaves the nicer value */
  g_assert_cmpint (GPOINTER_TO_INT (g_thread_join (g_thread_new ("later", report_nice, NULL))), ==,
                   target);
  g_assert_cmpuint (cr_cpu_share_lower (target - 1), ==, 0);
  g_assert_cmpint (own_nice (), ==, target);
  g_mutex_clear (&w.lock);
  g_cond_clear (&w.cond);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpu-share/lower", test_lower);
  return g_test_run ();
}
