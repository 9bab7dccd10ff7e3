/* Demo app credentials: made once, kept in the data directory. See demo_app.h. */
#include "demo_app.h"

#include <errno.h>
#include <glib/gstdio.h>

static char *
demo_random_text (guint len)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  char *s = g_malloc (len + 1);
  for (guint i = 0; i < len; i++)
    s[i] = alphabet[g_random_int_range (0, (gint32)sizeof alphabet - 1)];
  s[len] = '\0';
  return s;
}

static gboolean
demo_app_write (const char *path, GError **error)
{
  g_autofree char *secret_id = g_strconcat ("AKID", demo_random_text (32), NULL);
  g_autofree char *secret_key = demo_random_text (32);
  g_autofree char *usersig_key = demo_random_text (64);
  g_autofree char *callback_key = demo_random_text (32);
  g_autofree char *text = g_strdup_printf (
      "# Demo application created by `cloudrec serve` because no app was configured.\n"
      "[app %d]\nsecrets=%s:%s\nusersig-key=%s\ncallback-key=%s\n",
      CR_DEMO_SDK_APP_ID, secret_id, secret_key, usersig_key, callback_key);
  return g_file_set_contents_full (
      path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600, error);
}

gboolean
cr_demo_app_load (CrConfig *config, GError **error)
{
  if (g_mkdir_with_parents (config->data_dir, 0700) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                 "cannot create data directory %s: %s", config->data_dir, g_strerror (errno));
    return FALSE;
  }
  g_autofree char *path = g_build_filename (config->data_dir, "demo-app.conf", NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS) && !demo_app_write (path, error))
    return FALSE;
  return cr_config_load_file (config, path, error);
}
