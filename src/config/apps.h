/* Applications (SdkAppIds) this server serves, with their keys.
 *
 * Why separate from settings: an app carries secrets (API SecretId/SecretKey pairs, the UserSig
 * key, the callback key) and several of them can be configured, so they are entries with their
 * own syntax: `SDKAPPID:SECRETID:SECRETKEY:USERSIGKEY[:CALLBACKKEY[:CALLBACKURL]]` on the command
 * line and in CLOUDREC_APPS (';'-separated), or an `[app <SdkAppId>]` group in the config file. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *secret_id;
  char *secret_key;
} CrSecret;

typedef struct {
  guint64 sdk_app_id;
  char *usersig_key;
  char *callback_url; /* "" when none */
  char *callback_key; /* "" when none */
  GPtrArray *secrets; /* CrSecret* */
  /* The `auto-record*` keys of its [app] group (src/auto/auto_template.h); NULL: none given */
  struct _CrAutoTemplate *auto_record;
  /* The `class-record-storage*` keys (class recording's storage, docs/class-record.md): only the
   * template's storage members are set; NULL: none given (local storage, kept 3 days). */
  struct _CrAutoTemplate *class_storage;
  /* `storage-access-key` / `storage-secret-key` of the [app] group: the object-store keys a
   * one-call recording without CosConfig keys uses (docs/record-once.md); NULL when unset. */
  char *storage_access_key, *storage_secret_key;
} CrApp;

typedef struct CrApps CrApps;

CrApps *cr_apps_new (void);
void cr_apps_free (CrApps *apps);

/* Parses one `SDKAPPID:SECRETID:SECRETKEY:USERSIGKEY[:CALLBACKKEY[:CALLBACKURL]]` entry. */
gboolean cr_apps_add_spec (CrApps *apps, const char *spec, GError **error);
/* Adds an app or a further secret pair to an existing one. */
gboolean cr_apps_add (CrApps *apps, guint64 sdk_app_id, const char *secret_id,
                      const char *secret_key, const char *usersig_key, const char *callback_key,
                      const char *callback_url, GError **error);

const CrApp *cr_apps_find (const CrApps *apps, guint64 sdk_app_id);
/* The SecretKey of @secret_id, or NULL; @out_app gets the app owning it. */
const char *cr_apps_secret_key (const CrApps *apps, const char *secret_id, const CrApp **out_app);
guint cr_apps_count (const CrApps *apps);
/* Apps in the order they were added. */
const CrApp *cr_apps_nth (const CrApps *apps, guint i);

G_END_DECLS
