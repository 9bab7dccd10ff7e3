/* Still pictures of the mix (background image, placeholders, image watermarks): decoded once and
 * fitted to their rectangle under a render mode.
 *
 * Why once: a picture stays the same for the whole task; fitting it here (crop, scale, bars left
 * transparent) means the compositor only blends it, frame after frame, with no per-frame scaling.
 * Images are limited (the seeds: jpg/png, at most 2K and 5 MB), so a hostile file is refused with
 * a clear error before it is decoded in full. */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>

G_BEGIN_DECLS

#define CR_PICTURE_MAX_SIDE 2560 /* the seeds: "at most 2K"; watermarks are placed up to 2560 */

/* An RGBA picture of exactly @width x @height from the image file @path: stretched, cropped or
 * letterboxed (transparent bars) by @render_mode (CrRenderMode). */
GdkPixbuf *cr_picture_fit (const char *path, int width, int height, int render_mode,
                           GError **error);

G_END_DECLS
