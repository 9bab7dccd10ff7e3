/* What the mix draws and hears: decoded inputs from the ingest's forwards, still pictures, text
 * boxes and solid rectangles, each a compositor (or audiomixer) pad; see mix_pipeline.h.
 *
 * Layers are added to and removed from the running pipeline: a new one is a bin linked to a
 * request pad and brought to the pipeline's state; an old one's pad is released first (which
 * unblocks its streaming thread), then its bin is stopped and dropped. A video input's crop for
 * its tile's render mode is recomputed when its picture size or its tile changes. */
#include <gio/gio.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/gstvideosink.h>
#include <stdarg.h>
#include <string.h>

#include "mix/mix_private.h"
#include "media/elements.h"
#include "media/rtp_in.h"

struct _MixLayer {
  CrMix *mix;
  CrMixLayerKind kind;
  char *id;
  gboolean video; /* inputs: video (else audio) */
  GstElement *bin;
  GstPad *pad;      /* the compositor's or the audiomixer's */
  GstElement *crop; /* video inputs: videocrop */
  GstElement *fit;  /* live video inputs: the capsfilter after videoconvertscale (mix_layer_fit) */
  GMutex lock;      /* in_w, in_h, par_n, par_d, tile_w, tile_h, render_mode */
  int in_w, in_h;   /* video inputs: the decoded picture, once known */
  int par_n, par_d; /* its pixel aspect ratio */
  int tile_w, tile_h, render_mode;
  gboolean listed;       /* cr_mix_set_layers() bookkeeping */
  gint64 last_packet_us; /* inputs, atomic: monotonic µs of the last RTP packet */
  gint crop_stale;       /* video inputs, atomic: the crop is to be set before the next frame */
};

void
mix_layer_free (MixLayer *l)
{
  g_clear_object (&l->pad);
  g_clear_object (&l->crop);
  g_clear_object (&l->fit);
  g_clear_object (&l->bin);
  g_mutex_clear (&l->lock);
  g_free (l->id);
  g_free (l);
}

/* Takes @l out of the running pipeline. */
static void
mix_layer_detach (MixLayer *l)
{
  GstElement *agg = l->kind == CR_MIX_LAYER_INPUT && !l->video ? l->mix->amix : l->mix->comp;
  gst_element_release_request_pad (agg, l->pad);
  gst_element_set_state (l->bin, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (l->mix->pipeline), l->bin);
}

/* Sets the crop for the current picture and tile sizes. Only on the input's streaming thread,
 * between two frames: videocrop changed from another thread while it crops a frame copies with
 * the new margins into a buffer sized for the old ones (a crash seen when a late camera changed
 * a grid mid-stream). */
/* The compositor's scaling of a layer: linear without dithering, a quarter cheaper than the
 * default cubic scaler, and what a tile of a mixed picture needs (bench/mix.mjs). A pad with a
 * converter config is converted even when its picture is already as drawn. */
static GstStructure *
mix_linear_scaling (void)
{
  return gst_structure_new (
      "GstVideoConverter", GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD,
      GST_TYPE_VIDEO_RESAMPLER_METHOD, GST_VIDEO_RESAMPLER_METHOD_LINEAR,
      GST_VIDEO_CONVERTER_OPT_CHROMA_RESAMPLER_METHOD, GST_TYPE_VIDEO_RESAMPLER_METHOD,
      GST_VIDEO_RESAMPLER_METHOD_LINEAR, GST_VIDEO_CONVERTER_OPT_DITHER_METHOD,
      GST_TYPE_VIDEO_DITHER_METHOD, GST_VIDEO_DITHER_NONE, NULL);
}

static void mix_layer_fit (MixLayer *l, int w, int h, int par_n, int par_d, int tile_w,
                           int tile_h, gboolean keep_aspect);

static void
mix_layer_apply_crop (MixLayer *l)
{
  int crop[4];
  g_mutex_lock (&l->lock);
  cr_layout_crop (l->in_w, l->in_h, l->tile_w, l->tile_h, l->render_mode, crop);
  int w = l->in_w - crop[0] - crop[1], h = l->in_h - crop[2] - crop[3];
  int par_n = l->par_n, par_d = l->par_d, tile_w = l->tile_w, tile_h = l->tile_h;
  gboolean keep_aspect = cr_layout_keeps_aspect (l->render_mode);
  g_mutex_unlock (&l->lock);
  int now[4];
  g_object_get (l->crop, "left", &now[0], "right", &now[1], "top", &now[2], "bottom", &now[3],
                NULL);
  if (memcmp (now, crop, sizeof crop) != 0)
    g_object_set (l->crop, "left", crop[0], "right", crop[1], "top", crop[2], "bottom", crop[3],
                  NULL);
  if (l->fit != NULL)
    mix_layer_fit (l, w, h, par_n, par_d, tile_w, tile_h, keep_aspect);
}

/* The size the compositor draws a @w x @h picture (pixel aspect @par_n/@par_d) at, on a square-
 * pixel canvas, in a @tile_w x @tile_h pad: the pad's size, or with @keep_aspect the centred
 * rectangle of the picture's shape (GStreamer 1.22 compositor's own computation). */
static void
mix_drawn_size (int w, int h, int par_n, int par_d, int tile_w, int tile_h, gboolean keep_aspect,
                int *out_w, int *out_h)
{
  *out_w = tile_w;
  *out_h = tile_h;
  gint from_n, from_d, to_n, to_d;
  if (!keep_aspect || !gst_util_fraction_multiply (w, h, par_n, par_d, &from_n, &from_d)
      || !gst_util_fraction_multiply (tile_w, tile_h, 1, 1, &to_n, &to_d)
      || (from_n == to_n && from_d == to_d))
    return;
  GstVideoRectangle src = { 0, 0, tile_w, (int)gst_util_uint64_scale_int (tile_w, from_d, from_n) };
  GstVideoRectangle dst = { 0, 0, tile_w, tile_h }, drawn;
  if (src.h == 0)
    return;
  gst_video_center_rect (&src, &dst, &drawn, TRUE);
  *out_w = drawn.w;
  *out_h = drawn.h;
}

/* Scales the (cropped) picture to the size and colours the compositor draws it in, so the
 * compositor blends it as it is: a pad it has to convert costs a canvas-sized buffer per frame
 * (GStreamer 1.22 allocates one for every converted pad, every frame), a malloc and free of
 * 1.4 MB per input per frame at 720p (bench/mix.mjs: the worker's RSS). The scaling itself is
 * the same (linear, no dithering), done on the input's thread into a pool of tile-sized buffers.
 * The colours are the live canvas's (mix_canvas_colours); when the drawn size has no fixed point
 * (the compositor would not take the picture as it is), the compositor scales it. */
static void
mix_layer_fit (MixLayer *l, int w, int h, int par_n, int par_d, int tile_w, int tile_h,
               gboolean keep_aspect)
{
  GstCaps *caps = mix_canvas_colours (
      gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420", NULL), &l->mix->o);
  GstStructure *st = gst_caps_get_structure (caps, 0);
  int dw = 0, dh = 0;
  if (w > 0 && h > 0 && tile_w > 0 && tile_h > 0 && par_n > 0 && par_d > 0) {
    mix_drawn_size (w, h, par_n, par_d, tile_w, tile_h, keep_aspect, &dw, &dh);
    int again_w, again_h; /* what the compositor makes of a picture of that size */
    mix_drawn_size (dw, dh, 1, 1, tile_w, tile_h, keep_aspect, &again_w, &again_h);
    if (again_w != dw || again_h != dh) {
      dw = again_w;
      dh = again_h;
      mix_drawn_size (dw, dh, 1, 1, tile_w, tile_h, keep_aspect, &again_w, &again_h);
      if (again_w != dw || again_h != dh)
        dw = dh = 0;
    }
  }
  gboolean as_drawn = dw > 0 && dh > 0;
  if (as_drawn)
    gst_structure_set (st, "width", G_TYPE_INT, dw, "height", G_TYPE_INT, dh,
                       "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  /* The compositor scales the picture only when it is not already as drawn. */
  GstStructure *config = NULL;
  g_object_get (l->pad, "converter-config", &config, NULL);
  if (as_drawn != (config == NULL)) {
    GstStructure *scaling = as_drawn ? NULL : mix_linear_scaling ();
    g_object_set (l->pad, "converter-config", scaling, NULL);
    g_clear_pointer (&scaling, gst_structure_free);
  }
  g_clear_pointer (&config, gst_structure_free);
  g_autoptr (GstCaps) now = NULL;
  g_object_get (l->fit, "caps", &now, NULL);
  if (now == NULL || !gst_caps_is_equal (now, caps))
    g_object_set (l->fit, "caps", caps, NULL);
  gst_caps_unref (caps);
}

/* The crop is set by the input's next frame (mix_on_crop_input). */
static void
mix_layer_update_crop (MixLayer *l)
{
  g_atomic_int_set (&l->crop_stale, 1);
}

/* Before the crop: a frame applies a crop that changed; the decoded picture's size is known (or
 * changed) when its caps come. */
static GstPadProbeReturn
mix_on_crop_input (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  MixLayer *l = data;
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    if (g_atomic_int_compare_and_exchange (&l->crop_stale, 1, 0))
      mix_layer_apply_crop (l);
    return GST_PAD_PROBE_OK;
  }
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  GstCaps *caps = NULL;
  gst_event_parse_caps (event, &caps);
  const GstStructure *st = gst_caps_get_structure (caps, 0);
  int width = 0, height = 0, par_n = 1, par_d = 1;
  if (gst_structure_get_int (st, "width", &width)
      && gst_structure_get_int (st, "height", &height)) {
    gst_structure_get_fraction (st, "pixel-aspect-ratio", &par_n, &par_d);
    g_mutex_lock (&l->lock);
    l->in_w = width;
    l->in_h = height;
    l->par_n = par_n;
    l->par_d = par_d;
    g_mutex_unlock (&l->lock);
    mix_layer_update_crop (l);
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
mix_count_packet (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  MixLayer *l = data;
  gint64 now = g_get_monotonic_time ();
  __atomic_store_n (&l->last_packet_us, now, __ATOMIC_RELAXED);
  __atomic_store_n (&l->mix->last_packet_us, now, __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

/* A video input has no buffering element (decoded on its socket's thread), so it answers the
 * latency query with no maximum, which the compositor cannot reconcile with the stills' one
 * frame of minimum latency. The input does buffer: its packets wait in the socket (the kernel's
 * receive buffer) while the compositor is busy; say so, up to a second. (The ender, whose
 * pictures nobody sees, says the same: mix_pipeline.c.) */
GstPadProbeReturn
mix_input_latency (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return GST_PAD_PROBE_OK;
  gboolean live = FALSE;
  GstClockTime min = 0, max = 0;
  gst_query_parse_latency (query, &live, &min, &max);
  if (GST_CLOCK_TIME_IS_VALID (max) && max < min + GST_SECOND)
    gst_query_set_latency (query, live, min, min + GST_SECOND);
  return GST_PAD_PROBE_OK;
}

/* A bin of the NULL-terminated elements linked in order (made by cr_element(); NULL if one of them
 * is NULL); its last element is the bin's output. */
static GstElement *
mix_bin (GError **error, GstElement *first, ...)
{
  GstElement *bin = gst_bin_new (NULL);
  va_list args;
  va_start (args, first);
  GstElement *prev = NULL;
  gboolean ok = TRUE;
  for (GstElement *e = first; e != NULL; e = va_arg (args, GstElement *)) {
    gst_bin_add (GST_BIN (bin), e);
    if (prev != NULL && ok && !gst_element_link (prev, e)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot link %s to %s",
                   GST_OBJECT_NAME (prev), GST_OBJECT_NAME (e));
      ok = FALSE;
    }
    prev = e;
  }
  va_end (args);
  if (!ok || prev == NULL) {
    gst_object_unref (bin);
    return NULL;
  }
  GstPad *out_pad = gst_element_get_static_pad (prev, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", out_pad));
  gst_object_unref (out_pad);
  return bin;
}

guint64
cr_mix_picture_offset_ns (const CrMix *m)
{
  return GST_SECOND / (2 * (guint64)MAX (1, m->o.fps));
}

/* Links @bin (from mix_bin(); NULL: fails with @error set) to a new pad of @agg and starts it. */
static MixLayer *
mix_layer_attach (CrMix *m, CrMixLayerKind kind, const char *id, GstElement *bin, GstElement *agg,
                  GError **error)
{
  if (bin == NULL)
    return NULL;
  MixLayer *l = g_new0 (MixLayer, 1);
  l->mix = m;
  l->kind = kind;
  l->id = g_strdup (id);
  g_mutex_init (&l->lock);
  l->bin = gst_object_ref (bin);
  gst_bin_add (GST_BIN (m->pipeline), bin);
  l->pad = gst_element_request_pad_simple (agg, "sink_%u");
  if (agg == m->comp) {
    GstStructure *scaling = mix_linear_scaling ();
    g_object_set (l->pad, "alpha", 0.0, "zorder", (guint)MIX_Z_FIRST_LAYER, "converter-config",
                  scaling, NULL);
    gst_structure_free (scaling);
    /* Live, each layer ends on its own thread when the mix does: it keeps drawing its last
     * frame until every other has ended (mix_pipeline.c, "the last picture"). Offline, a layer
     * ends with its run. */
    if (!m->o.offline)
      g_object_set (l->pad, "repeat-after-eos", TRUE, NULL);
    /* The compositor draws, for an output frame starting at T, the newest input picture that
     * starts before T + one frame: a picture went out up to a whole frame ahead of its time, and
     * so of its sound (0-100 ms at 10 fps, a different amount in every recording). Half a frame
     * later, each output frame shows the input picture nearest its time, within half a frame. */
    if (kind == CR_MIX_LAYER_INPUT)
      gst_pad_set_offset (l->pad, (gint64)cr_mix_picture_offset_ns (m));
  }
  GstPad *ghost = gst_element_get_static_pad (bin, "src");
  GstPadLinkReturn linked = gst_pad_link (ghost, l->pad);
  gst_object_unref (ghost);
  if (linked != GST_PAD_LINK_OK || !gst_element_sync_state_with_parent (bin)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot add %s to the mix (link %d)", id,
                 linked);
    mix_layer_detach (l);
    mix_layer_free (l);
    return NULL;
  }
  return l;
}

guint16
cr_mix_add_input (CrMix *m, const char *key, const char *rtp_caps, gboolean video,
                  gboolean unordered, GError **error)
{
  GstElement *agg = video ? m->comp : m->amix;
  if (agg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "the mix has no %s",
                 video ? "video" : "audio");
    return 0;
  }
  g_autofree char *clean = cr_rtp_clean_caps (rtp_caps);
  if (clean == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad RTP caps \"%s\"", rtp_caps);
    return 0;
  }
  /* The webrtcbin engine's forwards come from after its jitter buffer (ordered, losses
   * retransmitted) over loopback: such a video input is received, decoded and cropped on its
   * socket's thread, stamped at arrival, with no second jitter buffer and no queue (two threads
   * and a hand-off per input, bench/mix.mjs). The lean engine forwards packets as they arrive,
   * its resends a round trip late: those video inputs get a jitter buffer that puts them back.
   * The audio keeps a jitter buffer: its gaps become Opus concealment. */
  g_autoptr (GstCaps) caps = gst_caps_from_string (clean);
  GError **e = error;
  GstElement *src = cr_element ("udpsrc", "src", e);
  gboolean reorder = !video || unordered;
  GstElement *jitter = !reorder || src == NULL ? NULL : cr_element ("rtpjitterbuffer", NULL, e);
  GstElement *decode = src != NULL && (!reorder || jitter != NULL)
                           ? cr_chain_bin (cr_rtp_decode_chain (rtp_caps, video), e)
                           : NULL;
  GstElement *crop
      = decode != NULL ? cr_element (video ? "videocrop" : "audioconvert", video ? "crop" : NULL, e)
                       : NULL;
  /* Video: scaled to its tile here (mix_layer_fit), audio: a queue. */
  GstElement *out = crop != NULL ? cr_element (video ? "videoconvertscale" : "audioresample",
                                               NULL, e)
                                 : NULL;
  GstElement *last = out == NULL ? NULL
                     : video     ? cr_capsfilter (mix_canvas_colours (
                                       gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
                                                            "I420", NULL),
                                       &m->o))
                                 : cr_element ("queue", NULL, e);
  GstElement *bin = NULL;
  if (last != NULL) {
    g_object_set (src, "address", "127.0.0.1", "port", 0, "caps", caps, NULL);
    if (jitter != NULL)
      g_object_set (jitter, "latency", 200, NULL);
    /* As the compositor's own scaling was: linear, no dithering. The YUV values are kept (as
     * ffmpeg's scale keeps them): an SD picture's BT.601 on an HD canvas's BT.709 is a slight
     * tint, where converting the matrix cost the 4 x 720p mix a third more (bench/mix.mjs). */
    if (video)
      g_object_set (out, "method", 4 /* bilinear2: linear, taps by the scale */, "dither", 0,
                    "chroma-resampler", GST_VIDEO_RESAMPLER_METHOD_LINEAR, "matrix-mode",
                    3 /* none */, NULL);
    bin = !video      ? mix_bin (e, src, jitter, decode, crop, out, last, NULL)
          : !reorder ? mix_bin (e, src, decode, crop, out, last, NULL)
                     : mix_bin (e, src, jitter, decode, crop, out, last, NULL);
  }
  MixLayer *l = mix_layer_attach (m, CR_MIX_LAYER_INPUT, key, bin, agg, error);
  if (l == NULL)
    return 0;
  l->video = video;
  GstPad *src_pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (src_pad, GST_PAD_PROBE_TYPE_BUFFER, mix_count_packet, l, NULL);
  gst_object_unref (src_pad);
  guint16 port = cr_rtp_udpsrc_port (src);
  if (video) {
    gst_pad_add_probe (l->pad, GST_PAD_PROBE_TYPE_QUERY_UPSTREAM | GST_PAD_PROBE_TYPE_PULL,
                       mix_input_latency, NULL, NULL);
    l->crop = gst_object_ref (crop);
    l->fit = gst_object_ref (last);
    GstPad *crop_in = gst_element_get_static_pad (l->crop, "sink");
    gst_pad_add_probe (crop_in, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_BUFFER,
                       mix_on_crop_input, l, NULL);
    gst_object_unref (crop_in);
  }
  g_hash_table_replace (m->layers, l->id, l);
  GST_INFO ("%s: input %s (%s) on port %u", m->o.stem, key, video ? "video" : "audio", port);
  return port;
}

gboolean
cr_mix_add_source (CrMix *m, const char *key, gboolean video, GstElement *source, GError **error)
{
  GstElement *agg = video ? m->comp : m->amix;
  if (agg == NULL) {
    gst_object_unref (gst_object_ref_sink (source));
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "the mix has no %s",
                 video ? "video" : "audio");
    return FALSE;
  }
  /* A queue per input: a run's audio and video may come out of one demuxer, whose thread must not
   * wait on one aggregator while the other needs its other medium. */
  GError **e = error;
  GstElement *crop
      = cr_element (video ? "videocrop" : "audioconvert", video ? "crop" : NULL, e);
  GstElement *out
      = crop != NULL ? cr_element (video ? "identity" : "audioresample", NULL, e) : NULL;
  GstElement *queue = out != NULL ? cr_element ("queue", NULL, e) : NULL;
  GstElement *bin = NULL;
  if (queue != NULL) {
    g_object_set (queue, "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time",
                  (guint64)(3 * GST_SECOND), NULL);
    bin = mix_bin (e, source, crop, out, queue, NULL);
  } else {
    gst_object_unref (gst_object_ref_sink (source));
    g_clear_pointer (&crop, gst_object_unref);
    g_clear_pointer (&out, gst_object_unref);
  }
  MixLayer *l = mix_layer_attach (m, CR_MIX_LAYER_INPUT, key, bin, agg, error);
  if (l == NULL)
    return FALSE;
  l->video = video;
  if (video) {
    l->crop = gst_object_ref (crop);
    GstPad *crop_in = gst_element_get_static_pad (l->crop, "sink");
    gst_pad_add_probe (crop_in, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_BUFFER,
                       mix_on_crop_input, l, NULL);
    gst_object_unref (crop_in);
  }
  g_hash_table_replace (m->layers, l->id, l);
  GST_INFO ("%s: source %s (%s)", m->o.stem, key, video ? "video" : "audio");
  return TRUE;
}

void
cr_mix_remove_input (CrMix *m, const char *key)
{
  MixLayer *l = g_hash_table_lookup (m->layers, key);
  if (l == NULL || l->kind != CR_MIX_LAYER_INPUT)
    return;
  GST_INFO ("%s: input %s removed", m->o.stem, key);
  mix_layer_detach (l);
  g_hash_table_remove (m->layers, key);
}

gint64
cr_mix_input_last_packet_us (CrMix *m, const char *key)
{
  MixLayer *l = g_hash_table_lookup (m->layers, key);
  return l != NULL && l->kind == CR_MIX_LAYER_INPUT
             ? __atomic_load_n (&l->last_packet_us, __ATOMIC_RELAXED)
             : 0;
}

gboolean
cr_mix_has_input (CrMix *m, const char *key)
{
  MixLayer *l = g_hash_table_lookup (m->layers, key);
  return l != NULL && l->kind == CR_MIX_LAYER_INPUT;
}

/* ---- still layers ---- */

/* A picture under the tiles, made opaque on the background colour (the compositor takes no
 * alpha inputs into an I420 canvas). */
static void
mix_push_picture (MixLayer *l, const CrPicture *picture, guint32 matte_rgb)
{
  const guint8 matte[3] = { matte_rgb >> 16, (matte_rgb >> 8) & 0xff, matte_rgb & 0xff };
  gsize size = 0;
  const guint8 *from = g_bytes_get_data (picture->rgba, &size);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i + 3 < size; i += 4) {
    int a = from[i + 3];
    for (int c = 0; c < 3; c++)
      map.data[i + c] = (guint8)((from[i + c] * a + matte[c] * (255 - a) + 127) / 255);
    map.data[i + 3] = 255;
  }
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = 0;
  GstElement *src = gst_bin_get_by_name (GST_BIN (l->bin), "src");
  gst_app_src_push_buffer (GST_APP_SRC (src), buf);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  gst_object_unref (src);
}

/* Offline, a still lasts as long as the output (its pad's end lets the compositor end); live,
 * until cr_mix_finish(). */
static int
mix_still_frames (CrMix *m)
{
  if (!m->o.offline)
    return -1;
  return (int)MAX (1, (m->o.duration_ns * (guint64)m->o.fps + GST_SECOND / 2) / GST_SECOND);
}

static MixLayer *
mix_add_still (CrMix *m, const CrMixLayer *spec)
{
  int w = MAX (spec->rect.width, 2), h = MAX (spec->rect.height, 2);
  g_autoptr (GError) error = NULL;
  GstElement *bin = NULL;
  GstCaps *rate
      = gst_caps_new_simple ("video/x-raw", "framerate", GST_TYPE_FRACTION, m->o.fps, 1, NULL);
  switch (spec->kind) {
  case CR_MIX_LAYER_PICTURE: {
    if (spec->picture == NULL)
      break;
    GstElement *src = cr_element ("appsrc", "src", &error);
    GstElement *convert = src != NULL ? cr_element ("videoconvert", NULL, &error) : NULL;
    GstElement *freeze = convert != NULL ? cr_element ("imagefreeze", NULL, &error) : NULL;
    GstElement *queue = freeze != NULL ? cr_element ("queue", NULL, &error) : NULL;
    if (queue == NULL)
      break;
    GstCaps *rgba = gst_caps_new_simple (
        "video/x-raw", "format", G_TYPE_STRING, "RGBA", "width", G_TYPE_INT, spec->picture->width,
        "height", G_TYPE_INT, spec->picture->height, "framerate", GST_TYPE_FRACTION, 0, 1,
        "interlace-mode", G_TYPE_STRING, "progressive", NULL);
    /* Fixed caps, so they say "progressive": once the compositor has its output caps, its pads
     * accept only caps that do (accept-caps is a subset check). Without it, a still whose
     * converter chose its caps just before the compositor chose its own failed to negotiate
     * ("Internal data stream error": about one compose in 25 on a busy machine). */
    cr_set (src, "format", "time");
    g_object_set (src, "caps", rgba, NULL);
    gst_caps_unref (rgba);
    g_object_set (freeze, "is-live", !m->o.offline, "num-buffers", mix_still_frames (m), NULL);
    g_object_set (queue, "max-size-buffers", 2, NULL);
    GstCaps *i420 = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420", NULL);
    if (!m->o.offline)
      mix_canvas_colours (i420, &m->o);
    bin = mix_bin (&error, src, convert, cr_capsfilter (i420), freeze,
                   cr_capsfilter (gst_caps_ref (rate)), queue, NULL);
    break;
  }
  case CR_MIX_LAYER_COLOR: {
    GstElement *src = cr_element ("videotestsrc", NULL, &error);
    GstElement *queue = src != NULL ? cr_element ("queue", NULL, &error) : NULL;
    if (queue == NULL)
      break;
    cr_set (src, "pattern", "solid-color");
    g_object_set (src, "is-live", !m->o.offline, "num-buffers", mix_still_frames (m),
                  "foreground-color", spec->argb | 0xff000000u, NULL);
    g_object_set (queue, "max-size-buffers", 2, NULL);
    GstCaps *caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                                         G_TYPE_INT, w & ~1, "height", G_TYPE_INT, h & ~1,
                                         "framerate", GST_TYPE_FRACTION, m->o.fps, 1, NULL);
    if (!m->o.offline)
      mix_canvas_colours (caps, &m->o);
    bin = mix_bin (&error, src, cr_capsfilter (caps), queue, NULL);
    break;
  }
  default:
    break;
  }
  gst_caps_unref (rate);
  if (bin == NULL && error == NULL)
    return NULL; /* nothing to draw */
  MixLayer *l = mix_layer_attach (m, spec->kind, spec->id, bin, m->comp, &error);
  if (l == NULL) {
    g_warning ("mix %s: %s", m->o.stem, error->message);
    return NULL;
  }
  if (spec->kind == CR_MIX_LAYER_PICTURE)
    mix_push_picture (l, spec->picture, m->o.background_rgb);
  g_hash_table_replace (m->layers, l->id, l);
  return l;
}

/* Still pictures repeat their one frame (imagefreeze) and never end by themselves: their
 * compositor pads get the EOS, so the mix can end. */
void
mix_layers_end_stills (CrMix *m)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, m->layers);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    MixLayer *l = value;
    if (l->kind == CR_MIX_LAYER_PICTURE) {
      gst_pad_send_event (l->pad, gst_event_new_eos ());
    }
  }
}

/* ---- the picture ---- */

static void
mix_place (MixLayer *l, const CrMixLayer *spec, guint z)
{
  g_object_set (l->pad, "xpos", spec->rect.x, "ypos", spec->rect.y, "width", spec->rect.width,
                "height", spec->rect.height, "zorder", z, "alpha",
                1.0 - (double)CLAMP (spec->alpha, 0, 255) / 255.0, NULL);
  if (l->kind != CR_MIX_LAYER_INPUT)
    return;
  g_object_set (l->pad, "sizing-policy", cr_layout_keeps_aspect (spec->render_mode) ? 1 : 0, NULL);
  g_mutex_lock (&l->lock);
  l->tile_w = spec->rect.width;
  l->tile_h = spec->rect.height;
  l->render_mode = spec->render_mode;
  g_mutex_unlock (&l->lock);
  mix_layer_update_crop (l);
}

static gboolean
mix_drop_unlisted (gpointer key, gpointer value, gpointer data)
{
  MixLayer *l = value;
  if (l->listed || l->kind == CR_MIX_LAYER_INPUT || l->mix->o.offline) {
    if (!l->listed && l->mix->o.offline && l->kind != CR_MIX_LAYER_INPUT)
      g_object_set (l->pad, "alpha", 0.0, NULL); /* offline: hidden, kept for later */
    if (!l->listed && l->video)
      g_object_set (l->pad, "alpha", 0.0, NULL);
    return FALSE;
  }
  mix_layer_detach (l);
  return TRUE;
}

void
cr_mix_set_layers (CrMix *m, const CrMixLayer *layers, guint n)
{
  if (m->comp == NULL)
    return;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, m->layers);
  while (g_hash_table_iter_next (&it, NULL, &value))
    ((MixLayer *)value)->listed = FALSE;
  mix_marks_set (m, layers, n);
  for (guint i = 0; i < n; i++) {
    const CrMixLayer *spec = &layers[i];
    if (spec->over || spec->kind == CR_MIX_LAYER_TEXT)
      continue; /* a watermark: mix_marks.c */
    MixLayer *l = g_hash_table_lookup (m->layers, spec->id);
    if (spec->kind == CR_MIX_LAYER_INPUT && (l == NULL || !l->video))
      continue; /* not (yet) received */
    if (l == NULL && !m->o.offline) /* offline: cr_mix_prepare_layers() made them */
      l = mix_add_still (m, spec);
    if (l == NULL)
      continue;
    l->listed = TRUE;
    mix_place (l, spec, MIX_Z_FIRST_LAYER + i);
  }
  g_hash_table_foreach_remove (m->layers, mix_drop_unlisted, NULL);
  GST_DEBUG ("%s: %u layers, %u in the compositor", m->o.stem, n, g_hash_table_size (m->layers));
}

void
cr_mix_prepare_layers (CrMix *m, const CrMixLayer *layers, guint n)
{
  for (guint i = 0; m->comp != NULL && i < n; i++) {
    const CrMixLayer *spec = &layers[i];
    if (spec->over || spec->kind == CR_MIX_LAYER_TEXT || spec->kind == CR_MIX_LAYER_INPUT
        || g_hash_table_contains (m->layers, spec->id))
      continue;
    mix_add_still (m, spec); /* hidden (alpha 0) until listed */
  }
}
