/* Where a task's files go: the storage target of its StorageParams and the daemon's
 * `storage-endpoint` setting.
 *
 * Why pure and shared: the daemon (which uploads) and the worker (which writes the files and
 * decides whether they go straight into the local store or into the spool) must agree, so the
 * rule lives in one place. CloudStorage Vendor 0 (COS) and 1 (AWS S3) go to their public
 * endpoints unless `storage-endpoint VENDOR=URL` points that vendor at an S3-compatible server
 * (path-style) or `VENDOR=local` keeps its objects in the local store; CloudVod goes to the
 * daemon's VOD library (spooled, committed when the task ends). */
#pragma once

#include <glib.h>

#include "task/spec.h"

G_BEGIN_DECLS

#define CR_STORAGE_VENDORS 2 /* CloudStorage.Vendor 0 COS, 1 AWS S3 */
/* cloudrec's own Vendor, never accepted from the API: the local store whatever storage-endpoint
 * says (auto-recording's `auto-record-storage local`, src/auto/auto_template.h). */
#define CR_STORAGE_VENDOR_LOCAL (-1)

typedef enum {
  CR_TARGET_LOCAL, /* the local blob store (storage-dir), written in place */
  CR_TARGET_S3,    /* an S3-compatible object store, through the spool and the uploader */
  CR_TARGET_VOD,   /* the VOD library, through the spool */
} CrTargetKind;

/* Per vendor: NULL = the public endpoint, "local", or an http(s) URL. */
typedef struct {
  char *endpoint[CR_STORAGE_VENDORS];
} CrStorageEndpoints;

/* Parses "VENDOR=URL|local" entries separated by ',' (a repeated flag is joined that way); ""
 * is none. The URL must be http:// or https:// with a host and no query. */
gboolean cr_storage_endpoints_parse (const char *text, CrStorageEndpoints *out, GError **error);
void cr_storage_endpoints_clear (CrStorageEndpoints *e);

CrTargetKind cr_storage_target_kind (const CrSpecStorage *storage, const CrStorageEndpoints *e);

/* The endpoint for @storage's vendor: NULL for the public one (or local), else the URL. */
const char *cr_storage_endpoint_url (const CrSpecStorage *storage, const CrStorageEndpoints *e);

/* The URL of object @key in @storage's bucket: at @endpoint (cr_storage_endpoint_url, path-style)
 * or, NULL, the vendor's public one (COS "https://<bucket>.cos.<region>.myqcloud.com/<key>", AWS
 * "https://<bucket>.s3.<region>.amazonaws.com/<key>"). */
char *cr_storage_object_url (const CrSpecStorage *storage, const char *endpoint, const char *key);

/* "<data-dir>/spool": where files wait for an object store or the VOD library. */
char *cr_storage_spool_root (const char *data_dir);

G_END_DECLS
