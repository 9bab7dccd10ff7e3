/* The mixed recording's canvas, encoders and files; see mix_pipeline.h. Layers: mix_layers.c. */
#include "mix_pipeline.h"

#include <gio/gio.h>

#include "mix/mix_private.h"
#include "files/naming.h"

/* How long the compositor and the audiomixer wait for a late input before going on without it:
 * the ingest's jitter buffer (200 ms) and a decode. */
#define MIX_LATENCY_NS (400 * GST_MSECOND)
#define MIX_SEGMENT_S 10

static gboolean
mix_on_bus (GstBus *bus, GstMessage *msg, gpointer data)
{
  CrMix *m = data;
  if (cr_hls_writer_handle_message (m->hls, msg))
    return G_SOURCE_CONTINUE;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR
      || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
    g_autoptr (GError) error = NULL;
    g_autofree char *debug = NULL;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      gst_message_parse_error (msg, &error, &debug);
    else
      gst_message_parse_warning (msg, &error, &debug);
    g_warning ("mix %s: %s: %s (%s)", m->o.stem, GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
               error->message, debug != NULL ? debug : "");
  }
  return G_SOURCE_CONTINUE;
}

/* Timestamp watermark positions (Pos 0..6) as clockoverlay alignments. */
static void
mix_clock_alignment (int pos, int *halign, int *valign)
{
  enum { LEFT = 0, CENTER = 1, RIGHT = 2 };
  enum { BOTTOM = 1, TOP = 2, MIDDLE = 4 };
  static const int h[7] = { LEFT, RIGHT, LEFT, RIGHT, CENTER, CENTER, CENTER };
  static const int v[7] = { TOP, TOP, BOTTOM, BOTTOM, TOP, BOTTOM, MIDDLE };
  pos = CLAMP (pos, 0, 6);
  *halign = h[pos];
  *valign = v[pos];
}

static char *
mix_describe (const CrMixOptions *o)
{
  GString *d = g_string_new (NULL);
  g_string_append_printf (
      d,
      "splitmuxsink name=sink muxer-factory=mpegtsmux max-size-time=%" G_GUINT64_FORMAT
      " send-keyframe-requests=true async-finalize=false",
      (guint64)MIX_SEGMENT_S * GST_SECOND);
  if (o->video) {
    /* The background colour is a live source (one picture, repeated): it paces the canvas when
     * no one publishes. B-frames off: as cheap as ffmpeg's libx264 with the same settings. */
    g_string_append_printf (
        d,
        " videotestsrc num-buffers=1 pattern=solid-color foreground-color=0x%08x ! "
        "video/x-raw,format=I420,width=%d,height=%d,framerate=0/1 ! imagefreeze is-live=true ! "
        "video/x-raw,framerate=%d/1 ! queue max-size-buffers=2 ! comp.sink_0"
        " compositor name=comp background=black latency=%" G_GUINT64_FORMAT " ! "
        "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! "
        "clockoverlay name=clock silent=true time-format=\"%%Y-%%m-%%d %%H:%%M:%%S\" "
        "font-desc=\"Sans %dpx\" shaded-background=true ! overlaycomposition name=marks ! queue ! "
        "x264enc name=venc speed-preset=veryfast bframes=0 bitrate=%d key-int-max=%d ! "
        "video/x-h264,profile=high ! h264parse ! queue ! sink.video",
        0xff000000u | o->background_rgb, o->width, o->height, o->fps, (guint64)MIX_LATENCY_NS,
        o->width, o->height, o->fps, MAX (12, o->height / 30), MAX (1, o->video_bitrate / 1000),
        MAX (1, o->gop_s * o->fps));
  }
  if (o->audio) {
    g_string_append_printf (
        d,
        " audiotestsrc is-live=true wave=silence ! audio/x-raw,rate=%d,channels=%d ! amix."
        " audiomixer name=amix latency=%" G_GUINT64_FORMAT " ! "
        "audio/x-raw,rate=%d,channels=%d ! audioconvert ! voaacenc bitrate=%d ! aacparse ! "
        "queue ! sink.audio_0",
        o->sample_rate, o->channels, (guint64)MIX_LATENCY_NS, o->sample_rate, o->channels,
        o->audio_bitrate);
  }
  return g_string_free (d, FALSE);
}

CrMix *
cr_mix_new (const CrMixOptions *o, CrHlsSegmentFunc on_segment, gpointer user_data, GError **error)
{
  if (!o->audio && !o->video) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "a mix needs audio or video");
    return NULL;
  }
  if (g_mkdir_with_parents (o->dir, 0755) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot create %s: %s", o->dir,
                 g_strerror (errno));
    return NULL;
  }
  g_autofree char *desc = mix_describe (o);
  GstElement *pipeline = gst_parse_launch (desc, error);
  if (pipeline == NULL)
    return NULL;
  CrMix *m = g_new0 (CrMix, 1);
  m->o = *o;
  m->o.dir = g_strdup (o->dir);
  m->o.stem = g_strdup (o->stem);
  m->pipeline = pipeline;
  m->comp = gst_bin_get_by_name (GST_BIN (pipeline), "comp");
  m->amix = gst_bin_get_by_name (GST_BIN (pipeline), "amix");
  m->layers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)mix_layer_free);
  CrPlaylist *pl = o->playlist;
  if (o->audio) {
    pl->audio_channels = o->channels;
    pl->audio_rate = o->sample_rate;
  }
  if (o->video) {
    pl->video_width = o->width;
    pl->video_height = o->height;
  }
  m->clock = gst_bin_get_by_name (GST_BIN (pipeline), "clock");
  cr_mix_set_timestamp (m, o->timestamp_pos);
  GstElement *marks = gst_bin_get_by_name (GST_BIN (pipeline), "marks");
  mix_marks_attach (m, marks);
  g_clear_object (&marks);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  m->hls = cr_hls_writer_new (sink, o->dir, o->stem, -1,
                              (o->audio ? CR_SEGMENT_AUDIO : 0) | (o->video ? CR_SEGMENT_VIDEO : 0),
                              pl, on_segment, user_data);
  gst_object_unref (sink);
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  m->bus_watch = gst_bus_add_watch (bus, mix_on_bus, m);
  gst_object_unref (bus);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the mixing pipeline cannot start");
    cr_mix_finish (m);
    return NULL;
  }
  return m;
}

void
cr_mix_set_timestamp (CrMix *m, int pos)
{
  if (m->clock == NULL)
    return;
  int halign, valign;
  mix_clock_alignment (pos, &halign, &valign);
  g_object_set (m->clock, "silent", pos < 0, "halignment", halign, "valignment", valign, NULL);
}

gint64
cr_mix_last_packet_us (CrMix *m)
{
  return __atomic_load_n (&m->last_packet_us, __ATOMIC_RELAXED);
}

const char *
cr_mix_playlist_name (CrMix *m)
{
  return cr_hls_writer_playlist_name (m->hls);
}

void
cr_mix_finish (CrMix *m)
{
  if (m == NULL)
    return;
  g_source_remove (m->bus_watch);
  /* The background and the pictures repeat one frame forever: end them at the compositor. */
  if (m->comp != NULL) {
    GstPad *background = gst_element_get_static_pad (m->comp, "sink_0");
    if (background != NULL) {
      gst_pad_send_event (background, gst_event_new_eos ());
      gst_object_unref (background);
    }
    mix_layers_end_stills (m);
  }
  cr_hls_writer_stop_pipeline (m->hls, m->pipeline, mix_on_bus, m);
  cr_hls_writer_finish (m->hls);
  m->hls = NULL;
  g_hash_table_unref (m->layers); /* the pipeline is stopped: layers go without unlinking */
  mix_marks_clear (m);
  g_clear_object (&m->comp);
  g_clear_object (&m->clock);
  g_clear_object (&m->amix);
  gst_object_unref (m->pipeline);
  g_free ((char *)m->o.dir);
  g_free ((char *)m->o.stem);
  g_free (m);
}
