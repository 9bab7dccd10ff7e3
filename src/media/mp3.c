/* AAC to MP3; see mp3.h. */
#include "mp3.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "media/elements.h"

GST_DEBUG_CATEGORY_STATIC (cr_mp3_debug);
#define GST_CAT_DEFAULT cr_mp3_debug

/* A day of audio transcodes in a few minutes; past this something is stuck. */
#define TRANSCODE_TIMEOUT_S (30 * 60)

gboolean
cr_mp3_transcode (const char *in_path, const char *out_path, GError **error)
{
  CR_DEBUG_INIT (cr_mp3_debug, "cloudrec-mp3", "cloudrec: MP3 transcoding");
  g_autofree char *tmp = g_strconcat (out_path, ".tmp", NULL);
  g_autofree char *desc = g_strdup_printf (
      "filesrc name=src ! decodebin ! audioconvert ! audioresample ! "
      "lamemp3enc target=bitrate cbr=true bitrate=%d ! xingmux ! filesink name=sink",
      CR_MP3_BITRATE_KBPS);
  GError *parse_error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &parse_error);
  if (pipeline == NULL || parse_error != NULL) {
    g_propagate_prefixed_error (error, parse_error,
                                "MP3 transcoding needs lamemp3enc and "
                                "xingmux (gstreamer1.0-plugins-good): ");
    g_clear_pointer (&pipeline, gst_object_unref);
    return FALSE;
  }
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "location", in_path, NULL);
  g_object_set (sink, "location", tmp, NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  GST_INFO ("transcoding %s to %s", in_path, out_path);
  gboolean ok = gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  GstMessage *msg = ok ? gst_bus_timed_pop_filtered (bus, TRANSCODE_TIMEOUT_S * GST_SECOND,
                                                     GST_MESSAGE_EOS | GST_MESSAGE_ERROR)
                       : NULL;
  if (msg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "MP3 transcoding of %s did not finish",
                 in_path);
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
