/* The storage target rule; see storage_target.h. */
#include "upload/storage_target.h"

#include <gio/gio.h>
#include <string.h>

void
cr_storage_endpoints_clear (CrStorageEndpoints *e)
{
  for (int i = 0; i < CR_STORAGE_VENDORS; i++)
    g_clear_pointer (&e->endpoint[i], g_free);
}

static gboolean
endpoint_url_is_valid (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;
  const char *scheme = g_uri_get_scheme (uri);
  const char *host = g_uri_get_host (uri);
  const char *path = g_uri_get_path (uri);
  return (g_strcmp0 (scheme, "http") == 0 || g_strcmp0 (scheme, "https") == 0) && host != NULL
         && host[0] != '\0' && g_uri_get_query (uri) == NULL && g_uri_get_fragment (uri) == NULL
         && g_uri_get_userinfo (uri) == NULL && (path[0] == '\0' || strcmp (path, "/") == 0);
}

gboolean
cr_storage_endpoints_parse (const char *text, CrStorageEndpoints *out, GError **error)
{
  CrStorageEndpoints e = { { NULL } };
  g_auto (GStrv) items = g_strsplit (text != NULL ? text : "", ",", 0);
  for (char **it = items; *it != NULL; it++) {
    char *item = g_strstrip (*it);
    if (item[0] == '\0')
      continue;
    const char *eq = strchr (item, '=');
    guint64 vendor = 0;
    g_autofree char *vtext = eq != NULL ? g_strndup (item, (gsize)(eq - item)) : NULL;
    if (eq == NULL
        || !g_ascii_string_to_unsigned (vtext, 10, 0, CR_STORAGE_VENDORS - 1, &vendor, NULL)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "storage-endpoint \"%s\": expected VENDOR=URL or VENDOR=local, VENDOR being "
                   "CloudStorage.Vendor (0 COS, 1 AWS S3)",
                   item);
      cr_storage_endpoints_clear (&e);
      return FALSE;
    }
    const char *value = eq + 1;
    if (strcmp (value, "local") != 0 && !endpoint_url_is_valid (value)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "storage-endpoint \"%s\": the endpoint must be \"local\" or an http:// or "
                   "https:// URL with a host and nothing after it, like http://127.0.0.1:9000",
                   item);
      cr_storage_endpoints_clear (&e);
      return FALSE;
    }
    g_free (e.endpoint[vendor]);
    e.endpoint[vendor] = g_strdup (value);
    /* a trailing '/' would give "//bucket" paths */
    gsize len = strlen (e.endpoint[vendor]);
    if (len > 0 && e.endpoint[vendor][len - 1] == '/')
      e.endpoint[vendor][len - 1] = '\0';
  }
  *out = e;
  return TRUE;
}

CrTargetKind
cr_storage_target_kind (const CrSpecStorage *storage, const CrStorageEndpoints *e)
{
  if (storage->vod)
    return CR_TARGET_VOD;
  if (storage->vendor == CR_STORAGE_VENDOR_LOCAL)
    return CR_TARGET_LOCAL;
  if (storage->vendor >= 0 && storage->vendor < CR_STORAGE_VENDORS && e != NULL
      && g_strcmp0 (e->endpoint[storage->vendor], "local") == 0)
    return CR_TARGET_LOCAL;
  return CR_TARGET_S3;
}

const char *
cr_storage_endpoint_url (const CrSpecStorage *storage, const CrStorageEndpoints *e)
{
  if (e == NULL || storage->vod || storage->vendor < 0 || storage->vendor >= CR_STORAGE_VENDORS)
    return NULL;
  const char *url = e->endpoint[storage->vendor];
  return g_strcmp0 (url, "local") == 0 ? NULL : url;
}

char *
cr_storage_object_url (const CrSpecStorage *storage, const char *endpoint, const char *key)
{
  g_autofree char *escaped = g_uri_escape_string (key, "/", FALSE);
  if (endpoint != NULL)
    return g_strdup_printf ("%s/%s/%s", endpoint, storage->bucket, escaped);
  return storage->vendor == 0 ? g_strdup_printf ("https://%s.cos.%s.myqcloud.com/%s",
                                                 storage->bucket, storage->region, escaped)
                              : g_strdup_printf ("https://%s.s3.%s.amazonaws.com/%s",
                                                 storage->bucket, storage->region, escaped);
}

char *
cr_storage_spool_root (const char *data_dir)
{
  return g_build_filename (data_dir, "spool", NULL);
}
