/* Application entries and their secrets: see apps.h for the syntax and why. */
#include "apps.h"

#include <string.h>

#include "auto/auto_template.h"
#include "common/api_error.h"

struct CrApps {
  GPtrArray *list;          /* CrApp* */
  GHashTable *by_secret_id; /* secret_id -> CrApp* (borrowed) */
};

static void
secret_free (CrSecret *s)
{
  g_free (s->secret_id);
  g_free (s->secret_key);
  g_free (s);
}

static void
app_free (CrApp *app)
{
  g_free (app->usersig_key);
  g_free (app->callback_url);
  g_free (app->callback_key);
  g_free (app->storage_access_key);
  g_free (app->storage_secret_key);
  g_ptr_array_unref (app->secrets);
  cr_auto_template_free (app->auto_record);
  cr_auto_template_free (app->class_storage);
  g_free (app);
}

CrApps *
cr_apps_new (void)
{
  CrApps *apps = g_new0 (CrApps, 1);
  apps->list = g_ptr_array_new_with_free_func ((GDestroyNotify)app_free);
  apps->by_secret_id = g_hash_table_new (g_str_hash, g_str_equal);
  return apps;
}

void
cr_apps_free (CrApps *apps)
{
  if (apps == NULL)
    return;
  g_hash_table_unref (apps->by_secret_id);
  g_ptr_array_unref (apps->list);
  g_free (apps);
}

const CrApp *
cr_apps_find (const CrApps *apps, guint64 sdk_app_id)
{
  for (guint i = 0; i < apps->list->len; i++) {
    const CrApp *app = g_ptr_array_index (apps->list, i);
    if (app->sdk_app_id == sdk_app_id)
      return app;
  }
  return NULL;
}

static gboolean
apps_token_ok (const char *what, const char *value, gsize max, GError **error)
{
  if (value == NULL || *value == '\0' || strlen (value) > max) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "app %s must be 1 to %" G_GSIZE_FORMAT " characters", what, max);
    return FALSE;
  }
  for (const char *p = value; *p; p++) {
    if (!g_ascii_isgraph (*p) || *p == ':' || *p == ';') {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "app %s may contain only printable ASCII without ':' or ';'", what);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
cr_apps_add (CrApps *apps, guint64 sdk_app_id, const char *secret_id, const char *secret_key,
             const char *usersig_key, const char *callback_key, const char *callback_url,
             GError **error)
{
  if (sdk_app_id == 0 || sdk_app_id > G_MAXUINT32) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "app SdkAppId must be in [1, 4294967295]");
    return FALSE;
  }
  if (!apps_token_ok ("SecretId", secret_id, 128, error)
      || !apps_token_ok ("SecretKey", secret_key, 256, error)
      || !apps_token_ok ("UserSig key", usersig_key, 256, error))
    return FALSE;
  if (callback_key != NULL && *callback_key != '\0'
      && !apps_token_ok ("callback key", callback_key, 64, error))
    return FALSE;
  if (g_hash_table_contains (apps->by_secret_id, secret_id)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "SecretId %s is configured twice",
                 secret_id);
    return FALSE;
  }
  CrApp *app = (CrApp *)cr_apps_find (apps, sdk_app_id);
  if (app == NULL) {
    app = g_new0 (CrApp, 1);
    app->sdk_app_id = sdk_app_id;
    app->usersig_key = g_strdup (usersig_key);
    app->callback_key = g_strdup (callback_key != NULL ? callback_key : "");
    app->callback_url = g_strdup (callback_url != NULL ? callback_url : "");
    app->secrets = g_ptr_array_new_with_free_func ((GDestroyNotify)secret_free);
    g_ptr_array_add (apps->list, app);
  } else if (g_strcmp0 (app->usersig_key, usersig_key) != 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "SdkAppId %" G_GUINT64_FORMAT " is configured with two different UserSig keys",
                 sdk_app_id);
    return FALSE;
  }
  CrSecret *s = g_new0 (CrSecret, 1);
  s->secret_id = g_strdup (secret_id);
  s->secret_key = g_strdup (secret_key);
  g_ptr_array_add (app->secrets, s);
  g_hash_table_insert (apps->by_secret_id, s->secret_id, app);
  return TRUE;
}

gboolean
cr_apps_add_spec (CrApps *apps, const char *spec, GError **error)
{
  /* The callback URL comes last because it contains ':' itself. */
  g_auto (GStrv) f = g_strsplit (spec, ":", 6);
  guint n = g_strv_length (f);
  guint64 id = 0;
  if (n < 4 || !g_ascii_string_to_unsigned (f[0], 10, 1, G_MAXUINT32, &id, NULL)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "app \"%s\" must be SDKAPPID:SECRETID:SECRETKEY:USERSIGKEY"
                 "[:CALLBACKKEY[:CALLBACKURL]]",
                 spec);
    return FALSE;
  }
  return cr_apps_add (apps, id, f[1], f[2], f[3], n > 4 ? f[4] : NULL, n > 5 ? f[5] : NULL, error);
}

const char *
cr_apps_secret_key (const CrApps *apps, const char *secret_id, const CrApp **out_app)
{
  const CrApp *app = g_hash_table_lookup (apps->by_secret_id, secret_id);
  if (app == NULL)
    return NULL;
  if (out_app != NULL)
    *out_app = app;
  for (guint i = 0; i < app->secrets->len; i++) {
    const CrSecret *s = g_ptr_array_index (app->secrets, i);
    if (strcmp (s->secret_id, secret_id) == 0)
      return s->secret_key;
  }
  return NULL;
}

guint
cr_apps_count (const CrApps *apps)
{
  return apps->list->len;
}

const CrApp *
cr_apps_nth (const CrApps *apps, guint i)
{
  return i < apps->list->len ? g_ptr_array_index (apps->list, i) : NULL;
}
