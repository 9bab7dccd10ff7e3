/* Still pictures of the mix (background image, placeholders, image and text watermarks): image
 * files decoded and text boxes rasterised once, fitted to their rectangle.
 *
 * Why once, and why with GStreamer: a picture stays the same for the whole task; fitting it here
 * (crop, scale, transparent bars) means the compositor or the overlay only blends it, frame after
 * frame. Decoding (pngdec, jpegdec) and text (the pango plugin's textrender) are GStreamer plugins
 * loaded only by a task that shows pictures, so a single-stream worker carries no image or font
 * library. Images are limited as the seeds say (PNG or JPEG, at most 2K a side, 5 MB): a hostile
 * file is refused with a clear error before it is decoded. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_PICTURE_MAX_SIDE 2560 /* the seeds: "at most 2K"; watermarks are placed up to 2560 */

/* Straight-alpha RGBA, rows of width * 4 bytes. */
typedef struct {
  int width, height;
  GBytes *rgba;
} CrPicture;

void cr_picture_free (CrPicture *picture);

/* Which decoder the bytes of an image file need ("pngdec" or "jpegdec") and the size they
 * declare, read from the headers only; NULL with @error when they are neither PNG nor JPEG or
 * declare a size out of limits. Hostile bytes are fine (fuzzed). */
const char *cr_picture_decoder_for (const guint8 *data, gsize len, int *width, int *height,
                                    GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrPicture, cr_picture_free)

/* The PNG or JPEG file @path as a @width x @height picture: stretched, cropped or letterboxed
 * (transparent bars) by @render_mode (CrRenderMode). */
CrPicture *cr_picture_fit (const char *path, int width, int height, int render_mode,
                           GError **error);

/* @text in a @width x @height box from its top-left corner, wrapped at the box's width:
 * @font ("Sans"), @font_px pixels high, in @argb, on @bg_argb (alpha 0: transparent). */
CrPicture *cr_picture_text (const char *text, const char *font, int font_px, guint32 argb,
                            guint32 bg_argb, int width, int height, GError **error);

G_END_DECLS
