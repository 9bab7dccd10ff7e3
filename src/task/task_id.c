/* Random TaskIds: see task_id.h for the format and why. */
#include "task_id.h"

#include <string.h>
#include <errno.h>
#include <sys/random.h>

char *
cr_task_id_new (void)
{
  guchar raw[24];
  gsize got = 0;
  while (got < sizeof raw) {
    ssize_t n = getrandom (raw + got, sizeof raw - got, 0);
    if (n > 0)
      got += (gsize)n;
    else
      g_assert (errno == EINTR); /* getrandom only fails for bad arguments */
  }
  char *id = g_base64_encode (raw, sizeof raw); /* 24 bytes -> 32 chars, no padding */
  for (char *p = id; *p; p++) {
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
  }
  return id;
}

gboolean
cr_task_id_is_wellformed (const char *text)
{
  if (text == NULL || strlen (text) != CR_TASK_ID_LEN)
    return FALSE;
  for (const char *p = text; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  }
  return TRUE;
}
