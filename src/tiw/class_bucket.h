/* A class whose files went to a bucket (class-record-storage cos or s3): the folder of one of its
 * TRTC tasks with the keys that task was given, its playlists (and their SEI sidecars, and the
 * segments) brought down, and presigned GET URLs of its objects. Used by the video-generation
 * tasks (class_video_gen_bucket.c) and the replay page (class_video_http.c).
 *
 * Why one place: both read a TRTC task's folder the same way (tools/s3_prefix.h, as `cloudrec
 * compose --in s3://` reads a task), and the replay's stream list must name the same files the
 * generated videos are made of. */
#pragma once

#include "tiw/class_private.h"
#include "tools/s3_prefix.h"

G_BEGIN_DECLS

/* A folder of a bucket with what its client needs (strings owned; a copy may go to a thread). */
typedef struct {
  char *endpoint, *region, *bucket, *access_key, *secret_key;
  int vendor;
  char *prefix; /* the folder's key, without its trailing '/' */
  char *dir;    /* a download: where its files go (set by the caller) */
} CrClassFolder;

/* The folder of TRTC task @trtc (of app @app) when its files are in a bucket, else NULL. */
CrClassFolder *cr_class_task_folder (CrClassRecorder *rec, guint64 app, const char *trtc);
void cr_class_folder_free (CrClassFolder *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrClassFolder, cr_class_folder_free)

/* A client of @f's bucket (and its location in @loc, pointing into @f); NULL without keys (with
 * @error, which may be NULL, saying so). */
CrS3Client *cr_class_folder_client (const CrClassFolder *f, CrS3Loc *loc, GError **error);

/* In a thread: @f's playlists and their SEI sidecars ("<playlist>.sync.json", where the recorder
 * uploaded one) into @f->dir (created), and with @segments the segments the playlists list. */
gboolean cr_class_folder_fetch (const CrClassFolder *f, gboolean segments, GError **error);

/* The playlist @text of @f with each segment URI replaced by a presigned GET URL of that object
 * of @f, valid @expires_s from @now_s (a player fetches them from the bucket itself; a presigned
 * playlist's relative URIs would not be signed). NULL without keys. */
char *cr_class_folder_sign_playlist (const CrClassFolder *f, const char *text, gint64 now_s,
                                     gint64 expires_s);

G_END_DECLS
