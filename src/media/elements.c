/* Pipelines built from elements; see elements.h. */
#include "elements.h"

#include "media/worker_plugins.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (cr_elements_debug);
#define GST_CAT_DEFAULT cr_elements_debug
#define DEBUG_INIT()                                                                               \
  CR_DEBUG_INIT (cr_elements_debug, "cloudrec-elements", "cloudrec: pipelines built from elements")

GstElement *
cr_element (const char *factory, const char *name, GError **error)
{
  DEBUG_INIT ();
  if (strcmp (factory, "decodebin") == 0)
    cr_worker_plugins_load_decoders (); /* it picks among all of them */
  GstElement *e = gst_element_factory_make (factory, name);
  while (e == NULL && cr_worker_plugins_widen ())
    e = gst_element_factory_make (factory, name);
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
  if (strstr (description, "decodebin") != NULL)
    cr_worker_plugins_load_decoders ();
  GError *local = NULL;
  GstElement *bin = gst_parse_bin_from_description (description, TRUE, &local);
  while (g_error_matches (local, GST_PARSE_ERROR, GST_PARSE_ERROR_NO_SUCH_ELEMENT)
         && cr_worker_plugins_widen ()) {
    g_clear_error (&local);
    if (bin != NULL)
      gst_object_unref (gst_object_ref_sink (bin));
    bin = gst_parse_bin_from_description (description, TRUE, &local);
  }
  if (local != NULL)
    g_propagate_error (error, local);
  return bin;
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

static GstBuffer *
buffer_take_bytes (GByteArray *bytes)
{
  gsize n = bytes->len;
  if (n == 0) {
    g_byte_array_free (bytes, TRUE);
    return NULL;
  }
  return gst_buffer_new_wrapped (g_byte_array_free (bytes, FALSE), n);
}

GstBuffer *
cr_buffer_read_ts (int fd, CrPcrBridge *bridge, int *err)
{
  for (;;) {
    GstBuffer *in = cr_buffer_read_fd (fd, err);
    if (in == NULL)
      return NULL;
    GstMapInfo map;
    gst_buffer_map (in, &map, GST_MAP_READ);
    GByteArray *bytes = g_byte_array_sized_new ((guint)map.size + 2 * 188);
    cr_pcr_bridge_push (bridge, bytes, map.data, map.size);
    gst_buffer_unmap (in, &map);
    gst_buffer_unref (in);
    GstBuffer *out = buffer_take_bytes (bytes);
    if (out != NULL)
      return out;
  }
}

GstBuffer *
cr_buffer_ts_rest (CrPcrBridge *bridge)
{
  GByteArray *bytes = g_byte_array_new ();
  cr_pcr_bridge_finish (bridge, bytes);
  return buffer_take_bytes (bytes);
}

gboolean
cr_pipeline_run_to_file (GstElement *pipeline, const char *tmp, const char *out_path,
                         guint timeout_s, const char *what, GError **error)
{
  GST_INFO ("%s of %s", what, out_path);
  gboolean ok = gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  GstMessage *msg = ok ? gst_bus_timed_pop_filtered (bus, timeout_s * GST_SECOND,
                                                     GST_MESSAGE_EOS | GST_MESSAGE_ERROR)
                       : NULL;
  if (msg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s of %s did not finish in %u s", what,
                 out_path, timeout_s);
    ok = FALSE;
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, error, NULL);
    ok = FALSE;
  }
  g_clear_pointer (&msg, gst_message_unref);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  if (ok && g_rename (tmp, out_path) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot rename %s: %s", tmp,
                 g_strerror (errno));
    ok = FALSE;
  }
  if (!ok)
    g_remove (tmp);
  return ok;
}

void
cr_probe_buffer_set_keyframe (GstPadProbeInfo *info, gboolean key)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!key == (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT) != 0))
    return; /* already so */
  buf = gst_buffer_make_writable (buf);
  if (key)
    GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  else
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
}
