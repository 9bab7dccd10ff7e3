/* AAC to MP3; see mp3.h. */
#include "mp3.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "media/elements.h"
#include "media/worker_plugins.h"

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
  cr_worker_plugins_load_decoders (); /* the decodebin's */
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
  return cr_pipeline_run_to_file (pipeline, tmp, out_path, TRANSCODE_TIMEOUT_S, "MP3 transcoding",
                                  error);
}
