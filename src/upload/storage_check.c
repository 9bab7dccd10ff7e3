/* The bucket check at Create; see storage_check.h. */
#include "upload/storage_check.h"

#include <string.h>

#include "blob/s3_client.h"
#include "common/api_error.h"

#define CACHE_MS (60 * 1000)

typedef struct {
  gint64 at_ms;
  char *error; /* NULL: the bucket answered */
} Verdict;

static void
verdict_free (Verdict *v)
{
  g_free (v->error);
  g_free (v);
}

static GMutex cache_lock;
static GHashTable *cache; /* digest -> Verdict */

static char *
check_digest (const CrSpecStorage *s, const char *endpoint)
{
  g_autofree char *text = g_strdup_printf ("%s\n%d\n%s\n%s\n%s\n%s", endpoint ? endpoint : "",
                                           s->vendor, s->region, s->bucket, s->access_key,
                                           s->secret_key);
  char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
  memset (text, 0, strlen (text));
  return digest;
}

/* Whether a failed HEAD says something about the request (keys, bucket, endpoint), rather than
 * about the store's health at this moment. */
static gboolean
check_is_about_request (const GError *error)
{
  return error->code == 0 /* no answer: unreachable */ || error->code == 400 || error->code == 401
         || error->code == 403 || error->code == 404 || error->code == 301;
}

gboolean
cr_storage_check (const CrSpecStorage *storage, const CrStorageEndpoints *endpoints,
                  long timeout_s, GError **error)
{
  if (cr_storage_target_kind (storage, endpoints) != CR_TARGET_S3)
    return TRUE;
  const char *endpoint = cr_storage_endpoint_url (storage, endpoints);
  g_autofree char *digest = check_digest (storage, endpoint);
  gint64 now = g_get_monotonic_time () / 1000;
  g_autofree char *cached = NULL;
  gboolean hit = FALSE;
  g_mutex_lock (&cache_lock);
  if (cache == NULL)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)verdict_free);
  Verdict *v = g_hash_table_lookup (cache, digest);
  if (v != NULL && now - v->at_ms < CACHE_MS) {
    hit = TRUE;
    cached = g_strdup (v->error);
  }
  g_mutex_unlock (&cache_lock);

  if (!hit) {
    CrS3Config config = { endpoint,           storage->vendor,     storage->region,
                          storage->bucket,    storage->access_key, storage->secret_key,
                          timeout_s,          0 };
    g_autoptr (CrS3Client) client = cr_s3_client_new (&config);
    g_autoptr (GError) head_error = NULL;
    if (!cr_s3_head_bucket (client, &head_error) && check_is_about_request (head_error))
      cached = g_strdup (head_error->message);
    else if (head_error != NULL)
      g_info ("storage check of bucket %s: %s (the Create goes on)", storage->bucket,
              head_error->message);
    Verdict *nv = g_new0 (Verdict, 1);
    nv->at_ms = now;
    nv->error = g_strdup (cached);
    g_mutex_lock (&cache_lock);
    g_hash_table_replace (cache, g_strdup (digest), nv);
    g_mutex_unlock (&cache_lock);
  }
  if (cached == NULL)
    return TRUE;
  cr_api_error_set (error, "FailedOperation",
                    "StorageParams.CloudStorage: bucket %s of Vendor %d in %s refused the check: "
                    "%s",
                    storage->bucket, storage->vendor, storage->region, cached);
  return FALSE;
}
