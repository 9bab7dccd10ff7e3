/* Pictures by URL for a mix (background image, sub-background images, image watermarks): each URL
 * downloaded once into a cache directory, each (URL, size, render mode) fitted once.
 *
 * Why one module for the live mix and compose: both must show the same picture for the same
 * parameters, under the same limits (PNG or JPEG, at most 5 MB, 2K a side: picture.h) and the
 * same guard (never an address in fetch-deny, checked on each connection: common/net_filter.h).
 * A live task caches in <data-dir>/cache/images (shared by the daemon's tasks, named by the URL's
 * SHA-256), and so does a compose job the daemon starts. A URL that cannot be downloaded or
 * decoded is reported once through the failure callback (the live mix sends 309, compose a
 * warning) and the caller goes on without it. */
#pragma once

#include "mix/picture.h"

G_BEGIN_DECLS

#define CR_IMAGE_MAX_BYTES (5 * 1024 * 1024) /* the seeds: at most 5 MB */

typedef struct _CrImageCache CrImageCache;

/* Called once per URL that fails, with why ("HTTP 404", "not a PNG or JPEG picture"...). */
typedef void (*CrImageFailedFunc) (const char *url, const char *why, gpointer user_data);

/* A cache in @dir (made when the first picture is downloaded), never fetching from @fetch_deny
 * (NULL: CR_NET_FILTER_DEFAULT; "": nothing denied). NULL with @error for a bad @fetch_deny. */
CrImageCache *cr_image_cache_new (const char *dir, const char *fetch_deny, CrImageFailedFunc failed,
                                  gpointer user_data, GError **error);
void cr_image_cache_free (CrImageCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrImageCache, cr_image_cache_free)

/* @url fitted to @width x @height by @render_mode (owned by the cache), or NULL: no URL, or it
 * failed (reported once). Blocking (a download has a 5 s timeout); not thread-safe. */
const CrPicture *cr_image_cache_get (CrImageCache *cache, const char *url, int width, int height,
                                     int render_mode);

/* The downloaded file of @url (owned by the cache), checked to be a PNG or JPEG picture, for a
 * pipeline that decodes it itself (a class's Concat filler); NULL with @error. Blocking. */
const char *cr_image_cache_file (CrImageCache *cache, const char *url, GError **error);

G_END_DECLS
