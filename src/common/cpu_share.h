/* Giving a process's CPU to others: every thread of it niced.
 *
 * Why: a worker whose task ended still decodes its streams for the A/V sync report and remuxes
 * MP4s, seconds of CPU. On a machine full of live recordings (40 on 2 cores) that work, at the
 * live tasks' priority, held their workers back for over a second at once and left holes in
 * their files. Once a worker's recording is over, nothing it does is live. On Linux the nice
 * value belongs to each thread (a new thread inherits its creator's), so all present threads
 * are changed, and those started later inherit it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Raises the nice value of every thread of this process to at least @nice (a thread already
 * nicer keeps its own). Returns how many threads were changed; failures are logged, not fatal. */
guint cr_cpu_share_lower (int nice);

G_END_DECLS
