/* TS segments -> one MP4 or ADTS file with GStreamer (concat, tsdemux, parsers, mp4mux); see
 * mp4.h. */
#include "mp4.h"

#include <gio/gio.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "media/elements.h"

GST_DEBUG_CATEGORY_STATIC (cr_mp4_debug);
#define GST_CAT_DEFAULT cr_mp4_debug
#define DEBUG_INIT() CR_DEBUG_INIT (cr_mp4_debug, "cloudrec-mp4", "cloudrec: MP4 and AAC remux")

#define REMUX_TIMEOUT_S 600

/* tsdemux's pad of the medium @parser takes is linked to it; the other medium is left alone. */
static void
remux_on_demux_pad (GstElement *demux, GstPad *pad, gpointer data)
{
  GstElement *parser = data;
  g_autoptr (GstPad) sink = gst_element_get_static_pad (parser, "sink");
  if (!gst_pad_is_linked (sink))
    gst_pad_link (pad, sink);
}

/* One branch per file into a concat element named @name that feeds the muxer's @mux_pad:
 * filesrc ! tsdemux ! @parser ! concat ! queue ! mux. */
static gboolean
append_branch (GstElement *pipeline, GstElement *mux, const char *const *files, const char *name,
               const char *parser, const char *mux_pad, GError **error)
{
  if (files == NULL || files[0] == NULL)
    return TRUE;
  GstBin *bin = GST_BIN (pipeline);
  GstElement *concat = cr_element ("concat", name, error);
  GstElement *queue = concat != NULL ? cr_element ("queue", NULL, error) : NULL;
  if (queue == NULL || !cr_bin_chain (bin, error, concat, queue, NULL))
    return FALSE;
  GstPad *to_mux = gst_element_get_static_pad (mux, mux_pad); /* identity's "sink" */
  if (to_mux == NULL)
    to_mux = gst_element_request_pad_simple (mux, mux_pad);
  g_autoptr (GstPad) from_queue = gst_element_get_static_pad (queue, "src");
  if (to_mux == NULL || gst_pad_link (from_queue, to_mux) != GST_PAD_LINK_OK) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot link %s to the muxer", name);
    g_clear_object (&to_mux);
    return FALSE;
  }
  gst_object_unref (to_mux);
  for (const char *const *f = files; *f != NULL; f++) {
    GstElement *src = cr_element ("filesrc", NULL, error);
    GstElement *demux = src != NULL ? cr_element ("tsdemux", NULL, error) : NULL;
    GstElement *parse = demux != NULL ? cr_element (parser, NULL, error) : NULL;
    if (parse == NULL)
      return FALSE;
    g_object_set (src, "location", *f, NULL);
    g_signal_connect (demux, "pad-added", G_CALLBACK (remux_on_demux_pad), parse);
    if (!cr_bin_chain (bin, error, src, demux, NULL)
        || !cr_bin_chain (bin, error, parse, concat, NULL))
      return FALSE;
  }
  return TRUE;
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

/* Runs @pipeline, which writes @tmp, to the end; renames @tmp to @out_path on success. Takes
 * @pipeline. */
static gboolean
remux_run (GstElement *pipeline, gint64 audio_delay_ms, const char *tmp, const char *out_path,
           GError **error)
{
  DEBUG_INIT ();
  GST_INFO ("remuxing %s (audio delay %" G_GINT64_FORMAT " ms)", out_path, audio_delay_ms);
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

/* The pipeline's end: @mux (named "mux") ! [@caps] ! filesink location=@path. */
static GstElement *
remux_pipeline (const char *mux_factory, GstCaps *caps, const char *path, GstElement **mux,
                GError **error)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  *mux = cr_element (mux_factory, "mux", error);
  GstElement *sink = *mux != NULL ? cr_element ("filesink", NULL, error) : NULL;
  if (sink == NULL) {
    g_clear_pointer (&caps, gst_caps_unref);
    gst_object_unref (pipeline);
    return NULL;
  }
  g_object_set (sink, "location", path, NULL);
  gboolean ok = caps != NULL ? cr_bin_chain (GST_BIN (pipeline), error, *mux, cr_capsfilter (caps),
                                             sink, NULL)
                             : cr_bin_chain (GST_BIN (pipeline), error, *mux, sink, NULL);
  if (!ok) {
    gst_object_unref (pipeline);
    return NULL;
  }
  return pipeline;
}

gboolean
cr_mp4_remux (const char *const *video_ts, const char *const *audio_ts, gint64 audio_delay_ms,
              const char *out_path, GError **error)
{
  g_autofree char *tmp = g_strconcat (out_path, ".tmp", NULL);
  GstElement *mux = NULL;
  GstElement *pipeline = remux_pipeline ("mp4mux", NULL, tmp, &mux, error);
  if (pipeline == NULL)
    return FALSE;
  g_object_set (mux, "faststart", TRUE, NULL);
  if (!append_branch (pipeline, mux, video_ts, "vc", "h264parse", "video_%u", error)
      || !append_branch (pipeline, mux, audio_ts, "ac", "aacparse", "audio_%u", error)) {
    gst_object_unref (pipeline);
    return FALSE;
  }
  return remux_run (pipeline, audio_ts != NULL && video_ts != NULL ? audio_delay_ms : 0, tmp,
                    out_path, error);
}

gboolean
cr_aac_extract (const char *const *audio_ts, const char *out_path, GError **error)
{
  g_autofree char *tmp = g_strconcat (out_path, ".tmp", NULL);
  GstElement *mux = NULL;
  GstElement *pipeline = remux_pipeline (
      "identity", gst_caps_new_simple ("audio/mpeg", "stream-format", G_TYPE_STRING, "adts", NULL),
      tmp, &mux, error);
  if (pipeline == NULL)
    return FALSE;
  if (!append_branch (pipeline, mux, audio_ts, "ac", "aacparse", "sink", error)) {
    gst_object_unref (pipeline);
    return FALSE;
  }
  return remux_run (pipeline, 0, tmp, out_path, error);
}
