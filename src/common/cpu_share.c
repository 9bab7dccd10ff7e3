/* Every thread of the process niced; see cpu_share.h. */
#include "cpu_share.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>

guint
cr_cpu_share_lower (int nice)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  if (dir == NULL)
    return 0;
  guint changed = 0;
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL) {
    id_t tid = (id_t)strtoul (name, NULL, 10);
    errno = 0;
    int now = getpriority (PRIO_PROCESS, tid); /* PRIO_PROCESS with a thread id: that thread */
    if (now == -1 && errno != 0)
      continue; /* the thread has just ended */
    if (now >= nice)
      continue;
    if (setpriority (PRIO_PROCESS, tid, nice) == 0)
      changed++;
    else if (errno != ESRCH)
      g_message ("cannot lower the priority of thread %s: %s", name, g_strerror (errno));
  }
  g_dir_close (dir);
  return changed;
}
