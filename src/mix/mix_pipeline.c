/* The mixed recording's canvas, encoders and files; see mix_pipeline.h. Layers: mix_layers.c. */
#include "mix_pipeline.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "mix/mix_private.h"
#include "files/naming.h"
#include "media/aac_delay.h"
#include "media/elements.h"
#include "media/h264_keyframes.h"
#include "media/x264_handoff.h"

GST_DEBUG_CATEGORY (cr_mix_debug);

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

/* Offline: the frames of the output's duration (rounded); live: -1, no end. */
static int
mix_offline_frames (const CrMixOptions *o)
{
  if (!o->offline)
    return -1;
  return (int)MAX (1, (o->duration_ns * (guint64)o->fps + GST_SECOND / 2) / GST_SECOND);
}

guint64
cr_mix_pictures_end_ns (const CrMix *m)
{
  guint64 end = (guint64)mix_offline_frames (&m->o) * GST_SECOND / (guint64)MAX (1, m->o.fps);
  return end - MIN (end, cr_mix_picture_offset_ns (m));
}

/* The canvas (@fps_n > 0) or the background's picture (0). Offline, the canvas has the chroma
 * siting and colorimetry decoders give SD H.264 (mpeg2, BT.601): the compositor then only blends
 * the tiles, where with its defaults (jpeg siting) it converted every input's every frame (a third
 * of compose's CPU, bench/compose.mjs). Live, the canvas takes the colours of the layers (the
 * compositor copies the last pad's), so the background and every still layer say the same
 * (mix_canvas_colours) and the inputs are fitted to them (mix_layers.c). */
static GstCaps *
mix_video_caps (const CrMixOptions *o, int fps_n)
{
  GstCaps *caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                                       G_TYPE_INT, o->width, "height", G_TYPE_INT, o->height,
                                       "framerate", GST_TYPE_FRACTION, fps_n, 1, NULL);
  if (o->offline || fps_n == 0)
    mix_canvas_colours (caps, o);
  return caps;
}

GstCaps *
mix_canvas_colours (GstCaps *caps, const CrMixOptions *o)
{
  /* Offline BT.601 (compose's inputs are recordings of cameras); live, what GStreamer gives a
   * picture of the canvas's height without colour info, as an H.264 decoder's pictures of that
   * height come: BT.709 above 576 lines. */
  const char *colorimetry = !o->offline && o->height > 576 ? "bt709" : "bt601";
  gst_caps_set_simple (caps, "chroma-site", G_TYPE_STRING, "mpeg2", "colorimetry", G_TYPE_STRING,
                       colorimetry, NULL);
  return caps;
}

static GstCaps *
mix_audio_caps (const CrMixOptions *o)
{
  return gst_caps_new_simple ("audio/x-raw", "rate", G_TYPE_INT, o->sample_rate, "channels",
                              G_TYPE_INT, o->channels, NULL);
}

/* Links @from's src pad to a new pad of @sink made from @template. */
static gboolean
mix_link_request (GstElement *from, GstElement *sink, const char *template, GError **error)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (from, "src");
  g_autoptr (GstPad) to = gst_element_request_pad_simple (sink, template);
  if (to == NULL || gst_pad_link (src, to) != GST_PAD_LINK_OK) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot link %s to %s",
                 GST_OBJECT_NAME (from), GST_OBJECT_NAME (sink));
    return FALSE;
  }
  return TRUE;
}

#define MAKE(var, factory, name)                                                                   \
  GstElement *var = cr_element (factory, name, error);                                             \
  if (var == NULL)                                                                                 \
    return FALSE;

/* ---- the last picture ----
 * When a live mix ends, each layer's end (EOS) reaches the compositor on its own thread, one after
 * the other, and a compositor pad that has ended draws nothing after its last frame: the last
 * pictures would lose the tiles whose inputs ended first (a camera or the board black in a
 * class's last picture). So every live pad holds its last frame after its end (repeat-after-eos).
 * But GStreamer's videoaggregator never ends while every pad does: one more pad, "the ender",
 * draws nothing (alpha 0, 2x2), does not hold, and ends with the background, so the compositor
 * ends once every layer has ended and drawn its last frame. (Letting the last layer to end stop
 * holding instead drops that layer's tile if it had stalled before its end.) */

/* The ender: a live source of one transparent 2x2 picture, repeated, on a compositor pad of its
 * own; NULL on failure. */
static GstPad *
mix_add_ender (GstBin *bin, GstElement *comp, const CrMixOptions *o, GError **error)
{
  GstElement *src = cr_element ("videotestsrc", NULL, error);
  GstElement *freeze = src != NULL ? cr_element ("imagefreeze", NULL, error) : NULL;
  if (freeze == NULL) {
    g_clear_pointer (&src, gst_object_unref);
    return NULL;
  }
  cr_set (src, "pattern", "black");
  g_object_set (src, "num-buffers", 1, NULL);
  g_object_set (freeze, "is-live", TRUE, NULL);
  GstCaps *one = mix_canvas_colours (
      gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT, 2,
                           "height", G_TYPE_INT, 2, "framerate", GST_TYPE_FRACTION, 0, 1, NULL),
      o);
  GstElement *rate = cr_capsfilter (
      gst_caps_new_simple ("video/x-raw", "framerate", GST_TYPE_FRACTION, o->fps, 1, NULL));
  if (!cr_bin_chain (bin, error, src, cr_capsfilter (one), freeze, rate, NULL)
      || !mix_link_request (rate, comp, "sink_%u", error))
    return NULL;
  g_autoptr (GstPad) from = gst_element_get_static_pad (rate, "src");
  GstPad *pad = gst_pad_get_peer (from);
  g_object_set (pad, "alpha", 0.0, "width", 2, "height", 2, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_QUERY_UPSTREAM | GST_PAD_PROBE_TYPE_PULL,
                     mix_input_latency, NULL, NULL);
  return pad;
}

/* x264's threads for the canvas: live, one up to 720p30, where one thread keeps up with the rate
 * several times over and a machine's cores are shared by many recordings: 22-26 MB less memory
 * than x264's default of 1.5 a core (frame threads each holding pictures) at the same CPU
 * (bench/mix.mjs, docs/mixing.md); x264's default above it. Offline (compose), the default: the
 * file is made as fast as the machine can. */
static int
mix_encoder_threads (const CrMixOptions *o)
{
  gint64 pixel_rate = (gint64)o->width * o->height * o->fps;
  return !o->offline && pixel_rate <= (gint64)1280 * 720 * 30 ? 1 : 0 /* x264's own choice */;
}

/* The canvas: the background colour (a live source: one picture, repeated) paces the compositor
 * when no one publishes; the timestamp and the watermarks over it; H.264 into the files.
 * B-frames off: as cheap as ffmpeg's libx264 with the same settings. */
static gboolean
mix_build_video (GstElement *pipeline, GstElement *sink, const CrMixOptions *o, GstPad **ender,
                 GError **error)
{
  MAKE (background, "videotestsrc", NULL);
  MAKE (freeze, "imagefreeze", NULL);
  MAKE (bg_queue, "queue", NULL);
  MAKE (comp, "compositor", "comp");
  /* Live: the wall clock. Offline: the recording's time, a text set before each frame. */
  MAKE (clock, o->offline ? "textoverlay" : "clockoverlay", "clock");
  MAKE (marks, "overlaycomposition", "marks");
  MAKE (enc_queue, "queue", NULL);
  MAKE (enc, "x264enc", "venc");
  MAKE (parse, "h264parse", NULL);
  MAKE (out_queue, "queue", NULL);
  cr_set (background, "pattern", "solid-color");
  g_object_set (background, "num-buffers", 1, "foreground-color", 0xff000000u | o->background_rgb,
                NULL);
  /* Offline, the background is the output's length: as many frames as its duration holds. */
  g_object_set (freeze, "is-live", !o->offline, "num-buffers", mix_offline_frames (o), NULL);
  g_object_set (bg_queue, "max-size-buffers", 2, NULL);
  cr_set (comp, "background", "black");
  g_object_set (comp, "latency", (guint64)MIX_LATENCY_NS, NULL);
  g_autofree char *font = g_strdup_printf ("Sans %dpx", MAX (12, o->height / 30));
  g_object_set (clock, "silent", TRUE, "font-desc", font, "shaded-background", TRUE, NULL);
  if (!o->offline)
    g_object_set (clock, "time-format", "%Y-%m-%d %H:%M:%S", NULL);
  cr_set (enc, "speed-preset", "veryfast");
  g_object_set (enc, "bframes", 0, "bitrate", MAX (1, o->video_bitrate / 1000), "key-int-max",
                MAX (1, o->gop_s * o->fps), "threads", mix_encoder_threads (o), NULL);
  cr_x264_hand_off_input (enc); /* the canvases go back to the compositor once x264 has them */
  GstBin *bin = GST_BIN (pipeline);
  if (!cr_bin_chain (bin, error, background, cr_capsfilter (mix_video_caps (o, 0)), freeze,
                     cr_capsfilter (gst_caps_new_simple ("video/x-raw", "framerate",
                                                         GST_TYPE_FRACTION, o->fps, 1, NULL)),
                     bg_queue, NULL)
      || !cr_bin_chain (bin, error, comp, cr_capsfilter (mix_video_caps (o, o->fps)), clock, marks,
                        enc_queue, enc,
                        cr_capsfilter (gst_caps_new_simple ("video/x-h264", "profile",
                                                            G_TYPE_STRING, "high", NULL)),
                        parse, out_queue, NULL))
    return FALSE;
  g_autoptr (GstPad) encoded = gst_element_get_static_pad (parse, "src");
  cr_h264_mark_idr_keyframes (encoded); /* a segment starts at an IDR, not at a scene cut */
  /* Beside AAC sound the pictures go the encoder's priming later, so that both decode as they
   * were mixed (media/aac_delay.h), live and composed alike. */
  if (o->audio)
    cr_aac_delay_pictures (encoded, o->sample_rate);
  /* The background first: the compositor's sink_0, under every layer. Live, it holds its last
   * frame after its end, and the ender joins ("the last picture"). */
  if (!mix_link_request (bg_queue, comp, "sink_%u", error)
      || !mix_link_request (out_queue, sink, o->offline ? "video_%u" : "video", error))
    return FALSE;
  if (o->offline)
    return TRUE;
  g_autoptr (GstPad) under = gst_element_get_static_pad (comp, "sink_0");
  g_object_set (under, "repeat-after-eos", TRUE, NULL);
  *ender = mix_add_ender (bin, comp, o, error);
  return *ender != NULL;
}

/* The sound: silence (a live source) keeps the mixer running; every voice is summed into it. */
static gboolean
mix_build_audio (GstElement *pipeline, GstElement *sink, const CrMixOptions *o, GError **error)
{
  MAKE (silence, "audiotestsrc", NULL);
  MAKE (amix, "audiomixer", "amix");
  MAKE (convert, "audioconvert", NULL);
  MAKE (enc, "voaacenc", NULL);
  MAKE (parse, "aacparse", NULL);
  MAKE (queue, "queue", NULL);
  int per_buffer = MAX (1, o->sample_rate / 50); /* 20 ms */
  int buffers = -1;
  if (o->offline)
    buffers = (int)((o->duration_ns * (guint64)o->sample_rate / GST_SECOND + (guint64)per_buffer
                     - 1)
                    / (guint64)per_buffer);
  g_object_set (silence, "is-live", !o->offline, "num-buffers", buffers, NULL);
  if (o->offline) /* live: the default buffer size, as before */
    g_object_set (silence, "samplesperbuffer", per_buffer, NULL);
  cr_set (silence, "wave", "silence");
  g_object_set (amix, "latency", (guint64)MIX_LATENCY_NS, NULL);
  g_object_set (enc, "bitrate", o->audio_bitrate, NULL);
  GstBin *bin = GST_BIN (pipeline);
  GstElement *silence_caps = cr_capsfilter (mix_audio_caps (o));
  return cr_bin_chain (bin, error, silence, silence_caps, NULL)
         && cr_bin_chain (bin, error, amix, cr_capsfilter (mix_audio_caps (o)), convert, enc, parse,
                          queue, NULL)
         && mix_link_request (silence_caps, amix, "sink_%u", error)
         && mix_link_request (queue, sink, "audio_%u", error);
}

#undef MAKE

/* Offline: mp4mux (named "sink", an index at the front) ! filesink of @o->mp4_path + ".part". */
static GstElement *
mix_mp4_sink_new (GstElement *pipeline, const CrMixOptions *o, GError **error)
{
  GstElement *mux = cr_element ("mp4mux", "sink", error);
  GstElement *file = mux != NULL ? cr_element ("filesink", NULL, error) : NULL;
  if (file == NULL) {
    if (mux != NULL)
      gst_object_unref (mux);
    return NULL;
  }
  g_autofree char *part = g_strconcat (o->mp4_path, ".part", NULL);
  g_object_set (mux, "faststart", TRUE, NULL);
  g_object_set (file, "location", part, NULL);
  if (!cr_bin_chain (GST_BIN (pipeline), error, mux, file, NULL))
    return NULL;
  return mux;
}

static GstElement *
mix_pipeline_new (const CrMixOptions *o, GstPad **ender, GError **error)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *sink = o->offline ? mix_mp4_sink_new (pipeline, o, error)
                                : cr_hls_sink_new (pipeline, MIX_SEGMENT_S, TRUE, error);
  if (sink == NULL) {
    gst_object_unref (pipeline);
    return NULL;
  }
  if ((o->video && !mix_build_video (pipeline, sink, o, ender, error))
      || (o->audio && !mix_build_audio (pipeline, sink, o, error))) {
    gst_object_unref (pipeline);
    return NULL;
  }
  return pipeline;
}

CrMix *
cr_mix_new (const CrMixOptions *o, CrHlsSegmentFunc on_segment, gpointer user_data, GError **error)
{
  CR_DEBUG_INIT (cr_mix_debug, "cloudrec-mix", "cloudrec: the mixed recording");
  if (!o->audio && !o->video) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "a mix needs audio or video");
    return NULL;
  }
  if (!o->offline && g_mkdir_with_parents (o->dir, 0755) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot create %s: %s", o->dir,
                 g_strerror (errno));
    return NULL;
  }
  GstPad *ender = NULL;
  GstElement *pipeline = mix_pipeline_new (o, &ender, error);
  if (pipeline == NULL) {
    g_clear_object (&ender);
    return NULL;
  }
  CrMix *m = g_new0 (CrMix, 1);
  m->ender = ender;
  m->o = *o;
  m->o.dir = g_strdup (o->dir);
  m->o.stem = g_strdup (o->stem != NULL ? o->stem : "compose");
  m->o.mp4_path = g_strdup (o->mp4_path);
  m->pipeline = pipeline;
  m->comp = gst_bin_get_by_name (GST_BIN (pipeline), "comp");
  m->amix = gst_bin_get_by_name (GST_BIN (pipeline), "amix");
  m->layers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)mix_layer_free);
  m->clock = gst_bin_get_by_name (GST_BIN (pipeline), "clock");
  cr_mix_set_timestamp (m, o->timestamp_pos);
  GstElement *marks = gst_bin_get_by_name (GST_BIN (pipeline), "marks");
  mix_marks_attach (m, marks);
  g_clear_object (&marks);
  if (o->offline)
    return m; /* inputs first, then cr_mix_run() */
  CrPlaylist *pl = o->playlist;
  if (o->audio) {
    pl->audio_channels = o->channels;
    pl->audio_rate = o->sample_rate;
  }
  if (o->video) {
    pl->video_width = o->width;
    pl->video_height = o->height;
  }
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
  GST_INFO ("%s: mixing %dx%d at %d fps%s%s", m->o.stem, o->width, o->height, o->fps,
            o->video ? ", video" : "", o->audio ? ", audio" : "");
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

void
cr_mix_set_clock_text (CrMix *m, const char *text)
{
  if (m->clock == NULL || !m->o.offline || g_strcmp0 (m->clock_text, text) == 0)
    return; /* a new text is laid out again: only when it changes */
  g_free (m->clock_text);
  m->clock_text = g_strdup (text);
  g_object_set (m->clock, "text", text, NULL);
}

gint64
cr_mix_last_packet_us (CrMix *m)
{
  return __atomic_load_n (&m->last_packet_us, __ATOMIC_RELAXED);
}

const char *
cr_mix_playlist_name (CrMix *m)
{
  return m->hls != NULL ? cr_hls_writer_playlist_name (m->hls) : NULL;
}

static void
mix_on_samples_selected (GstElement *agg, GstSegment *segment, guint64 pts, guint64 dts,
                         guint64 duration, GstStructure *info, gpointer data)
{
  CrMix *m = data;
  if (m->on_frame != NULL && GST_CLOCK_TIME_IS_VALID (pts))
    m->on_frame (gst_segment_to_running_time (segment, GST_FORMAT_TIME, pts), m->on_frame_data);
}

gboolean
cr_mix_run (CrMix *m, CrMixFrameFunc on_frame, gpointer user_data, GError **error)
{
  g_return_val_if_fail (m->o.offline, FALSE);
  m->on_frame = on_frame;
  m->on_frame_data = user_data;
  GstElement *paced = m->comp != NULL ? m->comp : m->amix;
  g_object_set (paced, "emit-signals", TRUE, NULL);
  g_signal_connect (paced, "samples-selected", G_CALLBACK (mix_on_samples_selected), m);
  if (gst_element_set_state (m->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the compose pipeline cannot start");
    gst_element_set_state (m->pipeline, GST_STATE_NULL);
    return FALSE;
  }
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (m->pipeline));
  gboolean ok = FALSE;
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (
        bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
    GstMessageType type = GST_MESSAGE_TYPE (msg);
    if (type == GST_MESSAGE_EOS) {
      ok = TRUE;
      gst_message_unref (msg);
      break;
    }
    g_autoptr (GError) e = NULL;
    g_autofree char *debug = NULL;
    if (type == GST_MESSAGE_ERROR)
      gst_message_parse_error (msg, &e, &debug);
    else
      gst_message_parse_warning (msg, &e, &debug);
    GST_WARNING ("%s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), e->message,
                 debug != NULL ? debug : "");
    if (type == GST_MESSAGE_ERROR)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s",
                   GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), e->message);
    gst_message_unref (msg);
    if (type == GST_MESSAGE_ERROR)
      break;
  }
  gst_object_unref (bus);
  gst_element_set_state (m->pipeline, GST_STATE_NULL);
  g_signal_handlers_disconnect_by_data (paced, m);
  g_autofree char *part = g_strconcat (m->o.mp4_path, ".part", NULL);
  if (ok && g_rename (part, m->o.mp4_path) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot write %s: %s",
                 m->o.mp4_path, g_strerror (errno));
    ok = FALSE;
  }
  if (!ok)
    g_unlink (part);
  return ok;
}

void
cr_mix_finish (CrMix *m)
{
  if (m == NULL)
    return;
  if (m->o.offline) { /* cr_mix_run() has stopped it, or it never ran */
    gst_element_set_state (m->pipeline, GST_STATE_NULL);
    g_hash_table_unref (m->layers);
    mix_marks_clear (m);
    g_clear_object (&m->comp);
    g_clear_object (&m->clock);
    g_clear_object (&m->amix);
    gst_object_unref (m->pipeline);
    g_free (m->clock_text);
    g_free ((char *)m->o.dir);
    g_free ((char *)m->o.stem);
    g_free ((char *)m->o.mp4_path);
    g_free (m);
    return;
  }
  g_source_remove (m->bus_watch);
  /* The background, the pictures and the ender repeat one frame forever: end them at the
   * compositor; the background and the pictures go on drawing their last frame while the inputs
   * end ("the last picture"). */
  if (m->comp != NULL) {
    GstPad *background = gst_element_get_static_pad (m->comp, "sink_0");
    if (background != NULL) {
      gst_pad_send_event (background, gst_event_new_eos ());
      gst_object_unref (background);
    }
    mix_layers_end_stills (m);
  }
  if (m->ender != NULL)
    gst_pad_send_event (m->ender, gst_event_new_eos ());
  g_clear_object (&m->ender);
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
  g_free ((char *)m->o.mp4_path);
  g_free (m);
}
