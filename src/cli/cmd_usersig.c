/* `cloudrec usersig --sdkappid N --key KEY --user USERID [--expire SECONDS]`: prints a UserSig. */
#include <glib.h>
#include <stdio.h>

#include "auth/usersig.h"
#include "cli/commands.h"
#include "cli/options.h"

int
cr_cmd_usersig (int argc, char **argv)
{
  gint64 sdk_app_id = 0, expire = 86400 * 180;
  g_autofree char *key = NULL, *user = NULL;
  GOptionEntry entries[] = {
    { "sdkappid", 0, 0, G_OPTION_ARG_INT64, &sdk_app_id, "SdkAppId the ticket is for", "N" },
    { "key", 0, 0, G_OPTION_ARG_STRING, &key, "the application's UserSig secret key", "KEY" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, "UserId the ticket is for", "USERID" },
    { "expire", 0, 0, G_OPTION_ARG_INT64, &expire, "validity in seconds (default 180 days)", "S" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;
  if (!cr_cli_parse ("cloudrec usersig", "- print a TRTC UserSig", entries, argc, argv, &error)) {
    fprintf (stderr, "cloudrec usersig: %s\n", error->message);
    return 2;
  }
  if (sdk_app_id <= 0 || sdk_app_id > G_MAXUINT32 || key == NULL || *key == '\0' || user == NULL
      || *user == '\0' || expire <= 0) {
    fprintf (stderr, "cloudrec usersig: --sdkappid (1..4294967295), --key, --user and a positive "
                     "--expire are required\n");
    return 2;
  }
  g_autofree char *sig = cr_usersig_generate ((guint64)sdk_app_id, key, user, expire,
                                              g_get_real_time () / G_USEC_PER_SEC, NULL);
  printf ("%s\n", sig);
  return 0;
}
