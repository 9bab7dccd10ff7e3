/* Decoding and fitting still pictures; see picture.h. */
#include "picture.h"

#include <gio/gio.h>

#include "mix/layout.h"

GdkPixbuf *
cr_picture_fit (const char *path, int width, int height, int render_mode, GError **error)
{
  if (width <= 0 || height <= 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "empty rectangle %dx%d", width,
                 height);
    return NULL;
  }
  int image_w = 0, image_h = 0;
  GdkPixbufFormat *format = gdk_pixbuf_get_file_info (path, &image_w, &image_h);
  if (format == NULL || image_w <= 0 || image_h <= 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not a picture", path);
    return NULL;
  }
  g_autofree char *format_name = gdk_pixbuf_format_get_name (format);
  if (g_strcmp0 (format_name, "png") != 0 && g_strcmp0 (format_name, "jpeg") != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s is %s, not png or jpeg", path,
                 format_name);
    return NULL;
  }
  if (image_w > CR_PICTURE_MAX_SIDE || image_h > CR_PICTURE_MAX_SIDE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is %dx%d, larger than %d", path,
                 image_w, image_h, CR_PICTURE_MAX_SIDE);
    return NULL;
  }
  g_autoptr (GdkPixbuf) image = gdk_pixbuf_new_from_file (path, error);
  if (image == NULL)
    return NULL;
  image_w = gdk_pixbuf_get_width (image);
  image_h = gdk_pixbuf_get_height (image);
  int crop[4];
  cr_layout_crop (image_w, image_h, width, height, render_mode, crop);
  g_autoptr (GdkPixbuf) kept = gdk_pixbuf_new_subpixbuf (
      image, crop[0], crop[2], image_w - crop[0] - crop[1], image_h - crop[2] - crop[3]);
  int kept_w = gdk_pixbuf_get_width (kept), kept_h = gdk_pixbuf_get_height (kept);
  int w = width, h = height;
  if (cr_layout_keeps_aspect (render_mode)) { /* fit inside, bars around */
    if ((gint64)kept_w * height > (gint64)width * kept_h)
      h = MAX (1, (int)((gint64)kept_h * width / kept_w));
    else
      w = MAX (1, (int)((gint64)kept_w * height / kept_h));
  }
  GdkPixbuf *out = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, width, height);
  gdk_pixbuf_fill (out, 0x00000000);
  int x = (width - w) / 2, y = (height - h) / 2;
  gdk_pixbuf_composite (kept, out, x, y, w, h, x, y, (double)w / kept_w, (double)h / kept_h,
                        GDK_INTERP_BILINEAR, 255);
  return out;
}
