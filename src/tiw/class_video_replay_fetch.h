/* The replay of a video-generation class whose files went to a bucket (docs/class-record.md,
 * "The replay page"): before the replay can list its streams or serve a playlist, the playlists
 * of the TRTC tasks concerned and their SEI sidecars are brought down from the bucket into a
 * temporary directory, in a thread, while the HTTP request waits (paused).
 *
 * Why a thread and a pause: a bucket may answer slowly, and the daemon's main loop serves the
 * recordings meanwhile. Only playlists and sidecars come down (kilobytes): the player fetches
 * the segments from the bucket itself through presigned URLs (class_bucket.h). What came down is
 * kept (class_video_replay_cache.h): a folder the cache has fresh is not asked of the bucket. */
#pragma once

#include <libsoup/soup.h>

#include "tiw/class_bucket.h"

G_BEGIN_DECLS

/* Called on the main loop once @dir holds each folder's files in "<dir>/<folder's dir>" (the
 * cache's root: other folders are there too); @msg's reply is for it to set. */
typedef void (*CrReplayFetched) (CrClassRecorder *rec, SoupServerMessage *msg, JsonObject *r,
                                 const char *dir, gpointer data);

/* Calls @done with @data (freed with @free_data) once @folders (CrClassFolder, taken; each one's
 * dir a name, its TRTC TaskId) of class @r are in the cache: at once when they are fresh there,
 * else after pausing @msg and downloading the others in a thread. A download that fails answers
 * 502 with the reason. Nothing is called when the message ended meanwhile or the recorder is
 * being freed. */
void cr_class_replay_fetch (CrClassRecorder *rec, SoupServerMessage *msg, JsonObject *r,
                            GPtrArray *folders, CrReplayFetched done, gpointer data,
                            GDestroyNotify free_data);
/* Fetches under way forget @rec (it is being freed): they end without a call. */
void cr_class_replay_fetch_detach (CrClassRecorder *rec);

G_END_DECLS
