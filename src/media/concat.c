/* Pieces and fillers into one MP4; see concat.h. */
#include "concat.h"

#include <gio/gio.h>
#include <gst/gst.h>

#include "media/elements.h"
#include "media/h264_keyframes.h"

GST_DEBUG_CATEGORY_STATIC (cr_concat_debug);
#define GST_CAT_DEFAULT cr_concat_debug

#define AUDIO_RATE 48000
#define SILENCE_BUFFER_MS 10
#define AAC_BITRATE 64000
#define TIMEOUT_MIN_S 600 /* past this plus twice the media's length something is stuck */

typedef struct {
  GstElement *pipeline;
  GstElement *vconcat, *aconcat;
  int width, height;
  gboolean with_audio;
  GError *error; /* the first failure of a pad-added callback */
} Build;

/* What a decodebin's pads go to: the concat pads of its place in the order. */
typedef struct {
  Build *b;
  GstPad *vpad, *apad;  /* apad NULL when its sound is not wanted */
  gint64 freeze_frames; /* > 0: a still picture shown for this many frames */
} Route;

static GstCaps *
video_caps (const Build *b)
{
  return gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT,
                              b->width, "height", G_TYPE_INT, b->height, "framerate",
                              GST_TYPE_FRACTION, CR_CONCAT_FPS, 1, "pixel-aspect-ratio",
                              GST_TYPE_FRACTION, 1, 1, NULL);
}

static GstCaps *
audio_caps (void)
{
  return gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "rate", G_TYPE_INT,
                              AUDIO_RATE, "channels", G_TYPE_INT, 2, "layout", G_TYPE_STRING,
                              "interleaved", NULL);
}

/* Adds @first..NULL to the pipeline, links them, links the last to @target and starts them. */
static gboolean
branch_add (Build *b, GstPad *target, GError **error, GstElement *first, ...)
{
  GPtrArray *els = g_ptr_array_new ();
  va_list ap;
  va_start (ap, first);
  for (GstElement *e = first; e != NULL; e = va_arg (ap, GstElement *))
    g_ptr_array_add (els, e);
  va_end (ap);
  gboolean ok = TRUE;
  for (guint i = 0; i < els->len; i++)
    gst_bin_add (GST_BIN (b->pipeline), g_ptr_array_index (els, i));
  for (guint i = 0; ok && i + 1 < els->len; i++)
    ok = gst_element_link (g_ptr_array_index (els, i), g_ptr_array_index (els, i + 1));
  GstPad *src = gst_element_get_static_pad (g_ptr_array_index (els, els->len - 1), "src");
  ok = ok && gst_pad_link (src, target) == GST_PAD_LINK_OK;
  gst_object_unref (src);
  for (guint i = 0; ok && i < els->len; i++)
    gst_element_sync_state_with_parent (g_ptr_array_index (els, i));
  g_ptr_array_unref (els);
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "concatenation: cannot link a branch");
  return ok;
}

/* The raw video of a decoder (or a still picture) conformed into @target. */
static gboolean
video_conform (Build *b, GstPad *from, GstPad *target, gint64 freeze_frames, GError **error)
{
  GstElement *q = cr_element ("queue", NULL, error);
  GstElement *conv = q != NULL ? cr_element ("videoconvert", NULL, error) : NULL;
  GstElement *scale = conv != NULL ? cr_element ("videoscale", NULL, error) : NULL;
  GstElement *freeze
      = scale != NULL && freeze_frames > 0 ? cr_element ("imagefreeze", NULL, error) : NULL;
  GstElement *rate = scale != NULL ? cr_element ("videorate", NULL, error) : NULL;
  if (rate == NULL || (freeze_frames > 0 && freeze == NULL))
    return FALSE;
  g_object_set (scale, "add-borders", TRUE, NULL);
  GstElement *caps = cr_capsfilter (video_caps (b));
  gboolean ok;
  if (freeze != NULL) {
    g_object_set (freeze, "num-buffers", (gint)freeze_frames, NULL);
    ok = branch_add (b, target, error, q, conv, scale, freeze, rate, caps, NULL);
  } else {
    ok = branch_add (b, target, error, q, conv, scale, rate, caps, NULL);
  }
  GstPad *sink = gst_element_get_static_pad (q, "sink");
  ok = ok && gst_pad_link (from, sink) == GST_PAD_LINK_OK;
  gst_object_unref (sink);
  return ok;
}

static gboolean
audio_conform (Build *b, GstPad *from, GstPad *target, GError **error)
{
  GstElement *q = cr_element ("queue", NULL, error);
  GstElement *conv = q != NULL ? cr_element ("audioconvert", NULL, error) : NULL;
  GstElement *res = conv != NULL ? cr_element ("audioresample", NULL, error) : NULL;
  if (res == NULL)
    return FALSE;
  gboolean ok = branch_add (b, target, error, q, conv, res, cr_capsfilter (audio_caps ()), NULL);
  GstPad *sink = gst_element_get_static_pad (q, "sink");
  ok = ok && gst_pad_link (from, sink) == GST_PAD_LINK_OK;
  gst_object_unref (sink);
  return ok;
}

/* A sink for the decoder's streams nobody wants (a piece's sound in a silent output). */
static gboolean
discard (Build *b, GstPad *from, GError **error)
{
  GstElement *sink = cr_element ("fakesink", NULL, error);
  if (sink == NULL)
    return FALSE;
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (b->pipeline), sink);
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  gboolean ok = gst_pad_link (from, pad) == GST_PAD_LINK_OK;
  gst_object_unref (pad);
  gst_element_sync_state_with_parent (sink);
  return ok;
}

static void
on_pad_added (GstElement *decodebin, GstPad *pad, gpointer data)
{
  Route *r = data;
  Build *b = r->b;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  const char *kind
      = caps != NULL ? gst_structure_get_name (gst_caps_get_structure (caps, 0)) : "unknown";
  GError *error = NULL;
  gboolean ok;
  if (g_str_has_prefix (kind, "video/") && r->vpad != NULL) {
    ok = video_conform (b, pad, r->vpad, r->freeze_frames, &error);
    g_clear_object (&r->vpad); /* one video stream a piece */
  } else if (g_str_has_prefix (kind, "audio/") && r->apad != NULL) {
    ok = audio_conform (b, pad, r->apad, &error);
    g_clear_object (&r->apad);
  } else {
    ok = discard (b, pad, &error);
  }
  if (!ok) {
    GST_ELEMENT_ERROR (
        decodebin, CORE, NEGOTIATION,
        ("concatenation: %s", error != NULL ? error->message : "a stream cannot be linked"),
        (NULL));
  }
  g_clear_error (&error);
}

static void
route_free (gpointer data, GClosure *closure)
{
  Route *r = data;
  g_clear_object (&r->vpad);
  g_clear_object (&r->apad);
  g_free (r);
}

/* A file decoded into the next pads of the concats. */
static gboolean
add_decoded (Build *b, const char *path, gboolean video, gboolean audio, gint64 freeze_frames,
             GError **error)
{
  GstElement *src = cr_element ("filesrc", NULL, error);
  GstElement *dec = src != NULL ? cr_element ("decodebin", NULL, error) : NULL;
  if (dec == NULL)
    return FALSE;
  g_object_set (src, "location", path, NULL);
  gst_bin_add_many (GST_BIN (b->pipeline), src, dec, NULL);
  if (!gst_element_link (src, dec)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "concatenation: cannot read %s", path);
    return FALSE;
  }
  Route *r = g_new0 (Route, 1);
  r->b = b;
  r->freeze_frames = freeze_frames;
  r->vpad = video ? gst_element_request_pad_simple (b->vconcat, "sink_%u") : NULL;
  r->apad = audio ? gst_element_request_pad_simple (b->aconcat, "sink_%u") : NULL;
  g_signal_connect_data (dec, "pad-added", G_CALLBACK (on_pad_added), r, route_free, 0);
  return TRUE;
}

/* Silence of @ms into the next pad of the audio concat. */
static gboolean
add_silence (Build *b, gint64 ms, GError **error)
{
  GstElement *src = cr_element ("audiotestsrc", NULL, error);
  if (src == NULL)
    return FALSE;
  cr_set (src, "wave", "silence");
  g_object_set (src, "samplesperbuffer", AUDIO_RATE * SILENCE_BUFFER_MS / 1000, "num-buffers",
                (gint)MAX (1, (ms + SILENCE_BUFFER_MS / 2) / SILENCE_BUFFER_MS), NULL);
  GstPad *target = gst_element_request_pad_simple (b->aconcat, "sink_%u");
  gboolean ok = branch_add (b, target, error, src, cr_capsfilter (audio_caps ()), NULL);
  gst_object_unref (target);
  return ok;
}

/* Black (no image) for @frames into the next pad of the video concat. */
static gboolean
add_black (Build *b, gint64 frames, GError **error)
{
  GstElement *src = cr_element ("videotestsrc", NULL, error);
  if (src == NULL)
    return FALSE;
  cr_set (src, "pattern", "black");
  g_object_set (src, "num-buffers", (gint)frames, NULL);
  GstPad *target = gst_element_request_pad_simple (b->vconcat, "sink_%u");
  gboolean ok = branch_add (b, target, error, src, cr_capsfilter (video_caps (b)), NULL);
  gst_object_unref (target);
  return ok;
}

static gboolean
add_gap (Build *b, gint64 ms, const char *image_path, GError **error)
{
  gint64 frames = (ms * CR_CONCAT_FPS + 500) / 1000;
  if (frames > 0) {
    if (!(image_path != NULL ? add_decoded (b, image_path, TRUE, FALSE, frames, error)
                             : add_black (b, frames, error)))
      return FALSE;
  }
  return !b->with_audio || add_silence (b, ms, error);
}

/* The encoders and the MP4 after the concats. */
static gboolean
add_outputs (Build *b, const char *tmp, GError **error)
{
  GstElement *enc = cr_element ("x264enc", NULL, error);
  GstElement *parse = enc != NULL ? cr_element ("h264parse", NULL, error) : NULL;
  GstElement *mux = parse != NULL ? cr_element ("mp4mux", NULL, error) : NULL;
  GstElement *sink = mux != NULL ? cr_element ("filesink", NULL, error) : NULL;
  if (sink == NULL)
    return FALSE;
  cr_set (enc, "speed-preset", "veryfast");
  guint kbps = CLAMP ((guint)((gint64)b->width * b->height * CR_CONCAT_FPS / 10000), 300, 4000);
  g_object_set (enc, "bitrate", kbps, "key-int-max", 2 * CR_CONCAT_FPS, "bframes", 0, NULL);
  g_object_set (sink, "location", tmp, NULL);
  gst_bin_add_many (GST_BIN (b->pipeline), enc, parse, mux, sink, NULL);
  if (!gst_element_link_many (b->vconcat, enc, parse, mux, sink, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "concatenation: cannot link the encoder");
    return FALSE;
  }
  g_autoptr (GstPad) parsed = gst_element_get_static_pad (parse, "src");
  cr_h264_mark_idr_keyframes (parsed); /* the MP4's sync samples are its IDR pictures */
  if (!b->with_audio)
    return TRUE;
  GstElement *aenc = cr_element ("voaacenc", NULL, error);
  GstElement *aparse = aenc != NULL ? cr_element ("aacparse", NULL, error) : NULL;
  if (aparse == NULL)
    return FALSE;
  g_object_set (aenc, "bitrate", AAC_BITRATE, NULL);
  gst_bin_add_many (GST_BIN (b->pipeline), aenc, aparse, NULL);
  if (!gst_element_link_many (b->aconcat, aenc, aparse, mux, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "concatenation: cannot link the AAC encoder");
    return FALSE;
  }
  return TRUE;
}

gboolean
cr_concat_write (const CrConcatPiece *pieces, guint n, int width, int height, gboolean with_audio,
                 const char *image_path, const char *out_path, GError **error)
{
  CR_DEBUG_INIT (cr_concat_debug, "cloudrec-concat", "cloudrec: pieces into one MP4");
  if (n == 0 || width < 2 || height < 2) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "concatenation needs pieces and a picture size");
    return FALSE;
  }
  Build b = { .width = width & ~1, .height = height & ~1, .with_audio = with_audio };
  b.pipeline = gst_pipeline_new ("concat");
  b.vconcat = cr_element ("concat", "vconcat", error);
  b.aconcat = b.vconcat != NULL && with_audio ? cr_element ("concat", "aconcat", error) : NULL;
  if (b.vconcat == NULL || (with_audio && b.aconcat == NULL)) {
    g_clear_object (&b.vconcat);
    gst_object_unref (b.pipeline);
    return FALSE;
  }
  gst_bin_add (GST_BIN (b.pipeline), b.vconcat);
  if (b.aconcat != NULL)
    gst_bin_add (GST_BIN (b.pipeline), b.aconcat);
  g_autofree char *tmp = g_strconcat (out_path, ".tmp", NULL);
  gint64 cursor = 0, total = 0;
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < n; i++) {
    const CrConcatPiece *p = &pieces[i];
    if (p->start_ms - cursor >= 1000 / CR_CONCAT_FPS)
      ok = add_gap (&b, p->start_ms - cursor, image_path, error);
    ok = ok && add_decoded (&b, p->path, TRUE, with_audio && p->has_audio, 0, error);
    if (ok && with_audio && !p->has_audio)
      ok = add_silence (&b, p->duration_ms, error);
    cursor = MAX (cursor, p->start_ms) + p->duration_ms;
    total = cursor;
  }
  ok = ok && add_outputs (&b, tmp, error);
  if (!ok) {
    gst_object_unref (b.pipeline);
    return FALSE;
  }
  GST_INFO ("concatenating %u pieces (%" G_GINT64_FORMAT " ms) into %s", n, total, out_path);
  return cr_pipeline_run_to_file (
      b.pipeline, tmp, out_path, TIMEOUT_MIN_S + (guint)(2 * total / 1000), "concatenation", error);
}
