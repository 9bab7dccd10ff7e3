/* TS segments -> one MP4 or ADTS file with GStreamer (concat, tsdemux, parsers, mp4mux); see
 * mp4.h. */
#include "mp4.h"

#include <gio/gio.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#define REMUX_TIMEOUT_S 600

/* One branch per file into a concat element that feeds the muxer's @pad. */
static void
append_branch (GString *desc, const char *const *files, const char *name, const char *parser,
               const char *mux_pad)
{
  if (files == NULL || files[0] == NULL)
    return;
  g_string_append_printf (desc, " concat name=%s ! queue ! mux.%s", name, mux_pad);
  for (const char *const *f = files; *f != NULL; f++) {
    g_autofree char *quoted = g_strescape (*f, NULL);
    g_string_append_printf (desc, " filesrc location=\"%s\" ! tsdemux ! %s ! %s.", quoted, parser,
                            name);
  }
}

/* Delays the output of concat @name by @delay_ms (a pad offset on its running time). */
static void
remux_delay (GstElement *pipeline, const char *name, gint64 delay_ms)
{
  GstElement *concat = gst_bin_get_by_name (GST_BIN (pipeline), name);
  if (concat == NULL || delay_ms <= 0) {
    g_clear_object (&concat);
    return;
  }
  GstPad *src = gst_element_get_static_pad (concat, "src");
  gst_pad_set_offset (src, delay_ms * GST_MSECOND);
  gst_object_unref (src);
  gst_object_unref (concat);
}

/* Runs @desc, which writes @tmp, to the end; renames @tmp to @out_path on success. */
static gboolean
remux_run (const char *desc, gint64 audio_delay_ms, const char *tmp, const char *out_path,
           GError **error)
{
  GstElement *pipeline = gst_parse_launch (desc, error);
  if (pipeline == NULL)
    return FALSE;
  remux_delay (pipeline, "ac", audio_delay_ms);
  remux_delay (pipeline, "vc", -audio_delay_ms);
  gboolean ok = gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  GstMessage *msg = ok ? gst_bus_timed_pop_filtered (bus, REMUX_TIMEOUT_S * GST_SECOND,
                                                     GST_MESSAGE_EOS | GST_MESSAGE_ERROR)
                       : NULL;
  if (msg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "MP4 remux of %s did not finish",
                 out_path);
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

gboolean
cr_mp4_remux (const char *const *video_ts, const char *const *audio_ts, gint64 audio_delay_ms,
              const char *out_path, GError **error)
{
  g_autofree char *tmp = g_strconcat (out_path, ".tmp", NULL);
  g_autofree char *quoted = g_strescape (tmp, NULL);
  g_autoptr (GString) desc = g_string_new (NULL);
  g_string_append_printf (desc, "mp4mux name=mux faststart=true ! filesink location=\"%s\"",
                          quoted);
  append_branch (desc, video_ts, "vc", "h264parse", "video_0");
  append_branch (desc, audio_ts, "ac", "aacparse", "audio_0");
  return remux_run (desc->str, audio_ts != NULL && video_ts != NULL ? audio_delay_ms : 0, tmp,
                    out_path, error);
}

gboolean
cr_aac_extract (const char *const *audio_ts, const char *out_path, GError **error)
{
  g_autofree char *tmp = g_strconcat (out_path, ".tmp", NULL);
  g_autofree char *quoted = g_strescape (tmp, NULL);
  g_autoptr (GString) desc = g_string_new (NULL);
  g_string_append_printf (desc,
                          "identity name=mux ! audio/mpeg,stream-format=adts ! filesink "
                          "location=\"%s\"",
                          quoted);
  append_branch (desc, audio_ts, "ac", "aacparse", "sink");
  return remux_run (desc->str, 0, tmp, out_path, error);
}
