/* The spec reader's way to a stored secret; see secret_reader.h. No cipher here: this file is
 * linked by the worker, which must not pull libcrypto in. */
#include "auth/secret_reader.h"

#include "auth/secret_box.h" /* the prefix only: no call into it */

static CrSecretOpenFunc reader_open;

void
cr_secret_reader_set (CrSecretOpenFunc open)
{
  reader_open = open;
}

char *
cr_secret_reader_open (const char *stored, GError **error)
{
  if (!g_str_has_prefix (stored, CR_SECRET_BOX_PREFIX))
    return g_strdup (stored);
  return reader_open != NULL ? reader_open (stored, error) : NULL;
}
