/* TaskIds: opaque, unguessable, and safe in object keys, paths and URLs.
 *
 * Why not a counter or a UUID: a TaskId names a directory in the caller's bucket and is the only
 * credential-like handle for Describe/Modify/Delete beyond the API key, so it is random (24 bytes
 * from the OS CSPRNG, 192 bits) and uses only [A-Za-z0-9._-] (reference §11.4). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_TASK_ID_LEN 32

/* A new random TaskId of CR_TASK_ID_LEN characters. */
char *cr_task_id_new (void);

/* TRUE when @text could be a TaskId this server issued (length and alphabet only). */
gboolean cr_task_id_is_wellformed (const char *text);

G_END_DECLS
