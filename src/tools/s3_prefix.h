/* A recording under an S3 prefix, for the tools that work on recordings afterwards (`cloudrec
 * merge`, `cloudrec compose`, the daemon's video-generation tasks of a class in a bucket):
 * s3://BUCKET/PREFIX locations, a client from the environment's keys, the recording's playlists
 * listed and downloaded into a temporary directory, and an output uploaded beside it.
 *
 * Why shared: they all read the recorder's store the same way (the files just below the task's
 * prefix, reference §10.1) and put their outputs there the same way (blob/s3_client.h; a file over
 * 16 MiB in parts, an interrupted multipart upload resumed by its UploadId before giving up). */
#pragma once

#include "blob/s3_client.h"

G_BEGIN_DECLS

/* An s3://BUCKET/PREFIX location (the prefix without its trailing '/'). */
typedef struct {
  char *bucket, *prefix;
} CrS3Loc;

/* FALSE when @url is not s3://BUCKET[/PREFIX]. */
gboolean cr_s3_loc_parse (const char *url, CrS3Loc *loc);
void cr_s3_loc_clear (CrS3Loc *loc);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CrS3Loc, cr_s3_loc_clear)
/* The key of @name under @loc. */
char *cr_s3_loc_key (const CrS3Loc *loc, const char *name);

/* A client for @loc's bucket at @endpoint (NULL: the @vendor's public one; 0 COS, 1 AWS) with
 * the keys of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (G_IO_ERROR_INVALID_ARGUMENT when
 * unset). */
CrS3Client *cr_s3_client_from_env (const CrS3Loc *loc, const char *endpoint, int vendor,
                                   const char *region, GError **error);

/* The recording's files directly under @loc: @sizes (name -> gint64 *) from the listing, and
 * @playlists (name -> text) downloaded into @tmp and read. The listing asks for the prefix
 * without its '/' and keeps the keys just below it (a '/' in a signed query is where S3
 * look-alikes disagree). */
gboolean cr_s3_prefix_load (CrS3Client *c, const CrS3Loc *loc, const char *tmp, GHashTable *sizes,
                            GHashTable *playlists, GError **error);
/* Downloads @name under @loc into @tmp/@name (the error names the key). */
gboolean cr_s3_prefix_fetch (CrS3Client *c, const CrS3Loc *loc, const char *tmp, const char *name,
                             GError **error);
/* Every segment that the single-stream playlists of @playlists (as cr_s3_prefix_load read them)
 * list and the listing @sizes has, downloaded from @loc into @tmp; a listed segment missing from
 * the store is left for the reader of the playlists to name. (`cloudrec compose --in s3://`, and
 * the video-generation tasks of a class in a bucket, src/tiw/class_video_gen_bucket.c.) */
gboolean cr_s3_prefix_fetch_segments (CrS3Client *c, const CrS3Loc *loc, const char *tmp,
                                      GHashTable *sizes, GHashTable *playlists, GError **error);
/* Uploads @path as @name under @loc (in 16 MiB parts when larger than that, a failed multipart
 * upload resumed twice). */
gboolean cr_s3_prefix_put (CrS3Client *c, const CrS3Loc *loc, const char *name, const char *path,
                           GError **error);

G_END_DECLS
