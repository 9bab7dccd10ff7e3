/* The worker's door into the VOD library (vod/vod_library.h): at the end of a task whose
 * StorageParams are CloudVod.TencentVod, the worker hands each finished recording to the daemon
 * and gets back what callback 311 reports (FileId, VideoUrl, CacheFile).
 *
 *   POST /internal/vod/{SdkAppId}/{TaskId}
 *   {"Path": absolute path of the file (HLS: the playlist; its segments must sit next to it),
 *    "Kind": "mp4" | "hls" | "aac", "Name": the file name to expose,
 *    "UserId", "TrackType", "MediaId": strings, optional,
 *    "TencentVod": the task's TencentVod object (Procedure, ExpireTime, SubAppId, ClassId,
 *                  SessionContext, SourceContext, MediaType, UserDefineRecordId), optional}
 *   200 {"FileId", "VideoUrl", "CacheFile": the exposed name, "Size": bytes, "ExpireAt": Unix s
 *        or 0}
 *   400/404/500 {"Code", "Message"}: InvalidParameter (bad JSON, a Path outside the data directory
 *        or not a regular file, a bad Kind/Name/UserDefineRecordId), ResourceNotFound (no such
 *        task of that app), InternalError (I/O).
 *
 * Why the daemon copies and not the worker: the library belongs to the daemon (it signs and
 * serves it); the worker only names a file it wrote under the data directory, and the daemon
 * refuses any other path, so the link cannot be used to publish arbitrary files. */
#pragma once

#include "link/link_server.h"
#include "store/task_store.h"
#include "vod/vod_library.h"

G_BEGIN_DECLS

typedef struct CrLinkVod CrLinkVod;

/* Serves POST /internal/vod/... on @link, committing files under @data_dir into @lib for tasks
 * found in @store. */
CrLinkVod *cr_link_vod_register (CrLinkServer *link, CrTaskStore *store, CrVodLibrary *lib,
                                 const char *data_dir);
/* Removes the route and frees @vod. */
void cr_link_vod_unregister (CrLinkServer *link, CrLinkVod *vod);

G_END_DECLS
