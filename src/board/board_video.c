/* A board log into a single-stream HLS recording; see board_video.h. */
#include "board_video.h"

#include <errno.h>
#include <gio/gio.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#include "board/board_render.h"
#include "files/naming.h"
#include "files/playlist.h"
#include "media/elements.h"
#include "media/h264_keyframes.h"
#include "media/hls_writer.h"

GST_DEBUG_CATEGORY_STATIC (cr_board_video_debug);
#define GST_CAT_DEFAULT cr_board_video_debug

#define BOARD_GOP_S 2           /* a keyframe every 2 s, as a web-page recording */
#define BOARD_QUEUE_FRAMES 8    /* frames waiting for the encoder at most */
#define BOARD_EOS_TIMEOUT_S 120 /* the encoder's last frames and the last segment after the end */

void
cr_board_video_result_clear (CrBoardVideoResult *res)
{
  g_clear_pointer (&res->playlist, g_free);
}

guint
cr_board_video_frames (const CrBoardVideoOptions *o)
{
  gint64 span = MAX (0, o->to_ms - o->from_ms);
  return (guint)MAX (1, (span * o->fps + 500) / 1000);
}

static gboolean
check_options (const CrBoardVideoOptions *o, GError **error)
{
  const char *problem = NULL;
  if (o->width < 16 || o->width > 4096 || o->width % 2 != 0 || o->height < 16 || o->height > 4096
      || o->height % 2 != 0)
    problem = "the size must be even, 16..4096 on each side";
  else if (o->fps < 1 || o->fps > 60)
    problem = "the frame rate must be 1..60";
  else if (o->from_ms <= 0)
    problem = "the start must be a board time (Unix ms) > 0";
  else if (o->to_ms <= o->from_ms)
    problem = "the end must be after the start";
  else if ((o->to_ms - o->from_ms) > G_GINT64_CONSTANT (24) * 3600 * 1000)
    problem = "at most 24 hours";
  else if (o->user_id == NULL || *o->user_id == '\0' || o->dir == NULL || o->stem == NULL)
    problem = "a user id, a directory and a stem are needed";
  if (problem != NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, problem);
  return problem == NULL;
}

/* What the frames are made with. */
typedef struct {
  GstVideoInfo in, out;
  GstVideoConverter *convert;
  GstBuffer *current; /* the I420 picture of the state drawn last */
} Pictures;

static void
pictures_init (Pictures *p, int width, int height, cairo_surface_t *surface)
{
  /* cairo's RGB24 is a native-endian 32-bit xRGB word. */
  gst_video_info_set_format (
      &p->in, G_BYTE_ORDER == G_LITTLE_ENDIAN ? GST_VIDEO_FORMAT_BGRx : GST_VIDEO_FORMAT_xRGB,
      width, height);
  p->in.stride[0] = cairo_image_surface_get_stride (surface);
  p->in.size = (gsize)p->in.stride[0] * height;
  /* The siting and colorimetry the decoders give compose (docs/compose.md): no conversion there. */
  GstCaps *caps
      = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT,
                             width, "height", G_TYPE_INT, height, "chroma-site", G_TYPE_STRING,
                             "mpeg2", "colorimetry", G_TYPE_STRING, "bt601", NULL);
  gst_video_info_from_caps (&p->out, caps);
  gst_caps_unref (caps);
  p->convert = gst_video_converter_new (
      &p->in, &p->out,
      gst_structure_new ("config", GST_VIDEO_CONVERTER_OPT_DITHER_METHOD,
                         GST_TYPE_VIDEO_DITHER_METHOD, GST_VIDEO_DITHER_NONE, NULL));
}

static void
pictures_clear (Pictures *p)
{
  g_clear_pointer (&p->convert, gst_video_converter_free);
  gst_clear_buffer (&p->current);
}

/* The surface's picture as a new I420 buffer. */
static gboolean
pictures_convert (Pictures *p, cairo_surface_t *surface, GError **error)
{
  cairo_surface_flush (surface);
  GstBuffer *in = gst_buffer_new_wrapped_full (GST_MEMORY_FLAG_READONLY,
                                               cairo_image_surface_get_data (surface), p->in.size,
                                               0, p->in.size, NULL, NULL);
  GstBuffer *out = gst_buffer_new_allocate (NULL, p->out.size, NULL);
  GstVideoFrame fin, fout;
  gboolean ok = gst_video_frame_map (&fin, &p->in, in, GST_MAP_READ);
  if (ok && !gst_video_frame_map (&fout, &p->out, out, GST_MAP_WRITE)) {
    gst_video_frame_unmap (&fin);
    ok = FALSE;
  }
  if (ok) {
    gst_video_converter_frame (p->convert, &fin, &fout);
    gst_video_frame_unmap (&fout);
    gst_video_frame_unmap (&fin);
  }
  gst_buffer_unref (in);
  if (!ok) {
    gst_buffer_unref (out);
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot map a video frame");
    return FALSE;
  }
  gst_clear_buffer (&p->current);
  p->current = out;
  return TRUE;
}

typedef struct {
  GstElement *pipeline;
  GstElement *src;
  GstBus *bus;
  CrHlsWriter *hls;
  gboolean eos;
  GError *error; /* the pipeline's first error */
} Run;

#define MAKE(var, factory)                                                                         \
  GstElement *var = cr_element (factory, NULL, error);                                             \
  if (var == NULL)                                                                                 \
    return NULL;

/* appsrc ! x264enc ! h264parse ! splitmuxsink (named "sink"). */
static GstElement *
build_pipeline (const CrBoardVideoOptions *o, const GstVideoInfo *out, GError **error)
{
  g_autoptr (GstElement) pipeline = gst_pipeline_new ("board");
  GstElement *sink = cr_hls_sink_new (pipeline, CR_BOARD_VIDEO_SEGMENT_S, TRUE, error);
  if (sink == NULL)
    return NULL;
  GstElement *src = cr_element ("appsrc", "src", error);
  if (src == NULL)
    return NULL;
  MAKE (enc, "x264enc");
  MAKE (parse, "h264parse");
  GstCaps *caps = gst_video_info_to_caps (out);
  gst_caps_set_simple (caps, "framerate", GST_TYPE_FRACTION, o->fps, 1, NULL);
  g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME, "is-live", FALSE, "block", FALSE,
                "max-bytes", (guint64)out->size * (BOARD_QUEUE_FRAMES + 2), NULL);
  gst_caps_unref (caps);
  int kbps = o->bitrate_kbps > 0 ? o->bitrate_kbps
                                 : CLAMP (o->width * o->height / 1000 * o->fps / 9, 300, 4000);
  /* The mix's encoder (mix_pipeline.c): veryfast, no B-frames, a bit rate, a GOP. */
  cr_set (enc, "speed-preset", "veryfast");
  g_object_set (enc, "bframes", 0, "bitrate", kbps, "key-int-max", BOARD_GOP_S * o->fps, NULL);
  GstCaps *h264 = gst_caps_new_simple ("video/x-h264", "profile", G_TYPE_STRING, "high", NULL);
  if (!cr_bin_chain (GST_BIN (pipeline), error, src, enc, cr_capsfilter (h264), parse, NULL))
    return NULL;
  GstPad *from = gst_element_get_static_pad (parse, "src");
  cr_h264_mark_idr_keyframes (from); /* a segment starts at an IDR, not at a scene cut */
  GstPad *to = gst_element_request_pad_simple (sink, "video");
  gboolean ok = to != NULL && gst_pad_link (from, to) == GST_PAD_LINK_OK;
  gst_object_unref (from);
  g_clear_object (&to);
  if (!ok) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                         "cannot link the encoder to the files");
    return NULL;
  }
  return g_steal_pointer (&pipeline);
}

#undef MAKE

static void
run_handle (Run *run, GstMessage *msg)
{
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
    run->eos = TRUE;
  if (cr_hls_writer_handle_message (run->hls, msg))
    return;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR && run->error == NULL) {
    g_autofree char *debug = NULL;
    GError *e = NULL;
    gst_message_parse_error (msg, &e, &debug);
    run->error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s",
                              GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), e->message);
    GST_WARNING ("%s (%s)", e->message, debug != NULL ? debug : "");
    g_error_free (e);
  }
}

/* Handles what the bus holds, waiting up to @wait for the first message. */
static void
run_drain (Run *run, GstClockTime wait)
{
  GstMessage *msg = wait > 0 ? gst_bus_timed_pop (run->bus, wait) : gst_bus_pop (run->bus);
  while (msg != NULL) {
    run_handle (run, msg);
    gst_message_unref (msg);
    msg = gst_bus_pop (run->bus);
  }
}

/* Pushes the frames: each the state at its board time. */
static gboolean
run_frames (Run *run, CrBoardReplay *replay, const CrBoardVideoOptions *o, GPtrArray *warnings,
            CrBoardVideoResult *res, GError **error)
{
  g_autoptr (CrBoardRenderer) renderer = cr_board_renderer_new (o->width, o->height);
  cairo_surface_t *surface = cr_board_renderer_surface (renderer);
  Pictures pic = { 0 };
  pictures_init (&pic, o->width, o->height, surface);
  guint frames = cr_board_video_frames (o);
  guint64 high = (guint64)pic.out.size * BOARD_QUEUE_FRAMES;
  gboolean ok = TRUE;
  for (guint i = 0; i < frames && ok; i++) {
    /* Frame i shows the board at from + i/fps s; ts are whole ms, so flooring keeps every op
     * with ts <= that time and no other. */
    gint64 t = o->from_ms + (gint64)i * 1000 / o->fps;
    cr_board_replay_seek (replay, t, warnings);
    if (cr_board_renderer_update (renderer, cr_board_replay_state (replay))
        || pic.current == NULL) {
      if (!pictures_convert (&pic, surface, error)) {
        ok = FALSE;
        break;
      }
      res->pictures++;
    }
    /* A new buffer's metadata (its times) over the same memory. */
    GstBuffer *buf = gst_buffer_copy (pic.current);
    GstClockTime pts = gst_util_uint64_scale_int (i, GST_SECOND, o->fps);
    GST_BUFFER_PTS (buf) = pts;
    GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale_int (i + 1, GST_SECOND, o->fps) - pts;
    GstFlowReturn flow = gst_app_src_push_buffer (GST_APP_SRC (run->src), buf);
    if (flow != GST_FLOW_OK) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the encoder refused frame %u: %s", i,
                   gst_flow_get_name (flow));
      ok = FALSE;
      break;
    }
    res->frames++;
    run_drain (run, 0);
    /* Bounded memory: wait for the encoder while enough frames are queued. */
    while (run->error == NULL
           && gst_app_src_get_current_level_bytes (GST_APP_SRC (run->src)) > high)
      run_drain (run, 5 * GST_MSECOND);
    if (run->error != NULL)
      ok = FALSE;
  }
  pictures_clear (&pic);
  guint full, partial;
  cr_board_renderer_counts (renderer, &full, &partial);
  GST_INFO ("%u frames, %u pictures (%u drawn whole, %u grown)", res->frames, res->pictures, full,
            partial);
  return ok;
}

gboolean
cr_board_video_write (CrBoardReplay *replay, const CrBoardVideoOptions *o, GPtrArray *warnings,
                      CrBoardVideoResult *res, GError **error)
{
  CR_DEBUG_INIT (cr_board_video_debug, "cloudrec-board-video", "cloudrec: a board into video");
  memset (res, 0, sizeof *res);
  if (!check_options (o, error))
    return FALSE;
  if (g_mkdir_with_parents (o->dir, 0755) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot create %s: %s", o->dir,
                 g_strerror (errno));
    return FALSE;
  }
  GstVideoInfo out;
  GstCaps *caps
      = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT,
                             o->width, "height", G_TYPE_INT, o->height, "chroma-site",
                             G_TYPE_STRING, "mpeg2", "colorimetry", G_TYPE_STRING, "bt601", NULL);
  gst_video_info_from_caps (&out, caps);
  gst_caps_unref (caps);
  Run run = { 0 };
  run.pipeline = build_pipeline (o, &out, error);
  if (run.pipeline == NULL)
    return FALSE;
  run.src = gst_bin_get_by_name (GST_BIN (run.pipeline), "src");
  run.bus = gst_pipeline_get_bus (GST_PIPELINE (run.pipeline));
  g_autoptr (CrPlaylist) playlist = cr_playlist_new (o->user_id, "main", FALSE, 1, o->from_ms);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (run.pipeline), "sink");
  run.hls = cr_hls_writer_new (sink, o->dir, o->stem, CR_TRACK_VIDEO, CR_SEGMENT_VIDEO, playlist,
                               NULL, NULL);
  gst_object_unref (sink);
  cr_hls_writer_set_video_size (run.hls, o->width, o->height);
  cr_hls_writer_set_start (run.hls, o->from_ms);
  gboolean ok = gst_element_set_state (run.pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
  if (!ok)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                         "the encoding pipeline cannot start");
  if (ok)
    ok = run_frames (&run, replay, o, warnings, res, error);
  if (ok) {
    gst_app_src_end_of_stream (GST_APP_SRC (run.src));
    gint64 deadline = g_get_monotonic_time () + BOARD_EOS_TIMEOUT_S * G_USEC_PER_SEC;
    while (!run.eos && run.error == NULL && g_get_monotonic_time () < deadline)
      run_drain (&run, 100 * GST_MSECOND);
    if (!run.eos && run.error == NULL)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "the encoder did not finish within %d s of the last frame", BOARD_EOS_TIMEOUT_S);
    ok = run.eos && run.error == NULL;
  }
  if (run.error != NULL) {
    if (error != NULL && *error == NULL)
      g_propagate_error (error, g_steal_pointer (&run.error));
    g_clear_error (&run.error);
  }
  gst_element_set_state (run.pipeline, GST_STATE_NULL);
  run_drain (&run, 0);
  res->playlist = g_strdup (cr_hls_writer_playlist_name (run.hls));
  cr_hls_writer_finish (run.hls);
  res->segments = playlist->segments->len;
  for (guint i = 0; i < playlist->segments->len; i++)
    res->duration_s += ((CrSegment *)g_ptr_array_index (playlist->segments, i))->duration_s;
  gst_object_unref (run.bus);
  gst_object_unref (run.src);
  gst_object_unref (run.pipeline);
  if (ok && res->segments == 0) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no segment was written");
    ok = FALSE;
  }
  return ok;
}
