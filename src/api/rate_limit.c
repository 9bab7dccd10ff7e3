/* Token buckets per key: see rate_limit.h. */
#include "rate_limit.h"

typedef struct {
  double tokens;
  gint64 last_us;
} Bucket;

struct CrRateLimit {
  gint64 per_second;
  GHashTable *buckets; /* guint64* key -> Bucket* */
};

CrRateLimit *
cr_rate_limit_new (gint64 per_second)
{
  CrRateLimit *rl = g_new0 (CrRateLimit, 1);
  rl->per_second = per_second;
  rl->buckets = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  return rl;
}

void
cr_rate_limit_free (CrRateLimit *rl)
{
  if (rl == NULL)
    return;
  g_hash_table_unref (rl->buckets);
  g_free (rl);
}

gboolean
cr_rate_limit_allow (CrRateLimit *rl, guint64 key, gint64 now_us)
{
  Bucket *b = g_hash_table_lookup (rl->buckets, &key);
  if (b == NULL) {
    b = g_new0 (Bucket, 1);
    b->tokens = (double)rl->per_second;
    b->last_us = now_us;
    g_hash_table_insert (rl->buckets, g_memdup2 (&key, sizeof key), b);
  }
  if (now_us > b->last_us) {
    b->tokens += (double)(now_us - b->last_us) * (double)rl->per_second / G_USEC_PER_SEC;
    if (b->tokens > (double)rl->per_second)
      b->tokens = (double)rl->per_second;
    b->last_us = now_us;
  }
  if (b->tokens < 1.0)
    return FALSE;
  b->tokens -= 1.0;
  return TRUE;
}
