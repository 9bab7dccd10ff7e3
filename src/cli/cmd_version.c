/* `cloudrec version` */
#include <stdio.h>

#include "cli/commands.h"

int
cr_cmd_version (int argc, char **argv)
{
  printf ("cloudrec %s\n", CLOUDREC_VERSION);
  return 0;
}
