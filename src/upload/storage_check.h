/* The cheap check of a task's object store at CreateCloudRecording: a signed HEAD of the bucket.
 *
 * Why at Create: a wrong key, a bucket that does not exist or an endpoint nobody answers on
 * would otherwise show only as 308 callbacks while the recording fills the spool. The check is
 * bounded (a few seconds: it runs on the API's thread) and its answer is kept for a minute per
 * store and key pair (a digest, not the secret), so a burst of Creates costs one request. An
 * answer that is not about the request (a 5xx, a throttle) lets the Create through: the
 * recording then goes into the spool and the uploader reports with 308. */
#pragma once

#include "task/spec.h"
#include "upload/storage_target.h"

G_BEGIN_DECLS

/* FALSE with a CR_API_ERROR "FailedOperation" naming the store's answer when @storage's
 * object store refuses the bucket or its keys or cannot be reached. TRUE for other targets. */
gboolean cr_storage_check (const CrSpecStorage *storage, const CrStorageEndpoints *endpoints,
                           long timeout_s, GError **error);

G_END_DECLS
