/* Per-key request rate limiting (20 calls/s per SdkAppId by default).
 *
 * Why a token bucket: it enforces the documented rate over any one-second window while letting
 * an idle app send a burst of up to one second's allowance at once, which is what the SDKs' retry
 * logic expects. Pure: the caller passes the clock, so tests are exact. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct CrRateLimit CrRateLimit;

CrRateLimit *cr_rate_limit_new (gint64 per_second);
void cr_rate_limit_free (CrRateLimit *rl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrRateLimit, cr_rate_limit_free)

/* TRUE and one token spent if @key may make a call at @now_us (monotonic microseconds). */
gboolean cr_rate_limit_allow (CrRateLimit *rl, guint64 key, gint64 now_us);

G_END_DECLS
