/* Pipelines built from elements; see elements.h. */
#include "elements.h"

#include <errno.h>
#include <gio/gio.h>
#include <stdarg.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (cr_elements_debug);
#define GST_CAT_DEFAULT cr_elements_debug
#define DEBUG_INIT()                                                                               \
  CR_DEBUG_INIT (cr_elements_debug, "cloudrec-elements", "cloudrec: pipelines built from elements")

GstElement *
cr_element (const char *factory, const char *name, GError **error)
{
  DEBUG_INIT ();
  GstElement *e = gst_element_factory_make (factory, name);
  if (e == NULL) {
    GST_WARNING ("no element %s", factory);
  }
  if (e == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no GStreamer element %s", factory);
  return e;
}

GstElement *
cr_capsfilter (GstCaps *caps)
{
  GstElement *e = gst_element_factory_make ("capsfilter", NULL);
  g_object_set (e, "caps", caps, NULL);
  gst_caps_unref (caps);
  return e;
}

gboolean
cr_bin_chain (GstBin *bin, GError **error, GstElement *first, ...)
{
  va_list args;
  va_start (args, first);
  GstElement *prev = NULL;
  gboolean ok = TRUE;
  for (GstElement *e = first; e != NULL; e = va_arg (args, GstElement *)) {
    if (GST_OBJECT_PARENT (e) == NULL)
      gst_bin_add (bin, e);
    if (prev != NULL && ok && !gst_element_link (prev, e)) {
      GST_WARNING ("cannot link %" GST_PTR_FORMAT " to %" GST_PTR_FORMAT, prev, e);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot link %s to %s",
                   GST_OBJECT_NAME (prev), GST_OBJECT_NAME (e));
      ok = FALSE;
    }
    prev = e;
  }
  va_end (args);
  return ok;
}

GstElement *
cr_chain_bin (const char *description, GError **error)
{
  return gst_parse_bin_from_description (description, TRUE, error);
}

void
cr_set (gpointer object, const char *property, const char *value)
{
  gst_util_set_object_arg (G_OBJECT (object), property, value);
}

GstBuffer *
cr_buffer_read_fd (int fd, int *err)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, CR_FILE_CHUNK, NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  ssize_t got;
  do
    got = read (fd, map.data, map.size);
  while (got < 0 && errno == EINTR);
  *err = got < 0 ? errno : 0;
  gst_buffer_unmap (buf, &map);
  if (got <= 0) {
    gst_buffer_unref (buf);
    return NULL;
  }
  gst_buffer_set_size (buf, got);
  return buf;
}
