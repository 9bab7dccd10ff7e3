/* The playlists and sidecars of a bucket class's TRTC tasks, kept once brought down for its
 * replay (class_video_replay_fetch.h), so that the page's data request, each of its playlists and
 * each viewer do not list and download the same folder again.
 *
 * Layout: "<root>/<TRTC TaskId>/", each folder's files as last brought down. A folder brought
 * down when its class was FINISHED no longer changes in the bucket and is kept; one of a class
 * still recording is used for CR_REPLAY_CACHE_LIVE_MS (a live playlist grows a segment at a
 * time). At most CR_REPLAY_CACHE_FOLDERS folders, the least recently used going first. A folder
 * is replaced by renaming a complete copy into place, on the main loop, where it is also read. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_REPLAY_CACHE_LIVE_MS 2000
#define CR_REPLAY_CACHE_FOLDERS 64

typedef struct _CrReplayCache CrReplayCache;

/* A cache in a new temporary directory; NULL with @error when none can be made. */
CrReplayCache *cr_replay_cache_new (GError **error);
/* Its root: each folder is "<root>/<TaskId>". */
const char *cr_replay_cache_root (const CrReplayCache *c);
/* TRUE when folder @task_id may be served from the cache at monotonic @now_us (marked used).
 * @final: the request is for a FINISHED class, which a live copy does not serve (brought down
 * while the class recorded, it may lack its last segments): the folder comes down for good. */
gboolean cr_replay_cache_fresh (CrReplayCache *c, const char *task_id, gboolean final,
                                gint64 now_us);
/* Moves the complete copy @dir (on the root's file system) into place as folder @task_id,
 * brought down at @now_us, for good when @final. FALSE with @error when it cannot be moved. */
gboolean cr_replay_cache_put (CrReplayCache *c, const char *task_id, const char *dir,
                              gboolean final, gint64 now_us, GError **error);
/* Removes the cache and its directory. */
void cr_replay_cache_free (CrReplayCache *c);

G_END_DECLS
