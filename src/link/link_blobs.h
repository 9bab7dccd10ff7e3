/* The worker's blob store for a task whose files go to an object store: the spool, and the
 * daemon's uploader over the link (POST /internal/uploads).
 *
 * Why the worker does not upload itself: the files must reach the store even after this worker
 * ends or dies; the daemon's uploader (upload/uploader.h) outlives it. Here a finished file is
 * made durable in the spool (fsync of the file and its directory) and queued; a playlist is
 * queued as its text of that moment. A file the daemon refuses (the spool is over its limit) or
 * cannot take (the link is down) stays in the spool and in a backlog that is offered again, in
 * order, before anything newer, and playlists wait behind it: the store never gets a playlist
 * listing a segment it does not have. finish offers the backlog once more without the limit
 * (the files are on disk already) and queues the end. */
#pragma once

#include <libsoup/soup.h>

#include "blob/blob_store.h"

G_BEGIN_DECLS

/* @link: the worker's session on the link; @spool_root: <data-dir>/spool. */
CrBlobStore *cr_link_blob_store_new (SoupSession *link, guint64 sdk_app_id, const char *task_id,
                                     const char *spool_root);

/* Files waiting in the worker's backlog (refused by the daemon or not yet offered). */
guint cr_link_blob_store_backlog (CrBlobStore *store);

G_END_DECLS
