/* One output file of `cloudrec merge`, made with GStreamer; see merge_run.h. */
#include "tools/merge_run.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <glib/gstdio.h>
#include <string.h>

#define RATE 48000
#define SLOP_SAMPLES (RATE / 50) /* 20 ms: audio closer than this to its place is just appended */

typedef struct {
  const char *dir;
  const CrMergeOutput *o;
  gboolean video_encode, audio_encode;
  GstElement *pipeline;
  GstAppSrc *vsrc, *asrc;
  GMutex lock;
  GError *error;    /* the first feeder error */
  gboolean changed; /* a remuxed track changed format: encode it */
  gboolean changed_video;
  gint vpos_ms, apos_ms; /* fed so far */
  GstClockTime total;    /* the output's length */
} Run;

static void
run_fail (Run *r, GError *e)
{
  g_mutex_lock (&r->lock);
  if (r->error == NULL)
    r->error = e;
  else
    g_error_free (e);
  g_mutex_unlock (&r->lock);
  gst_element_post_message (r->pipeline,
                            gst_message_new_application (NULL, gst_structure_new_empty ("fail")));
}

static gboolean
run_failed (Run *r)
{
  g_mutex_lock (&r->lock);
  gboolean f = r->error != NULL;
  g_mutex_unlock (&r->lock);
  return f;
}

/* The reader of one slice: its samples come out of the returned pipeline's "out" appsink. */
static GstElement *
reader_new (Run *r, const CrMergePiece *p, gboolean video, gboolean decode, GError **error)
{
  g_autofree char *path = g_build_filename (r->dir, p->file, NULL);
  g_autofree char *loc = g_strescape (path, NULL);
  g_autofree char *desc = NULL;
  if (video && decode)
    desc = g_strdup_printf ("filesrc location=\"%s\" ! tsdemux ! h264parse ! avdec_h264 ! "
                            "videoconvert ! videoscale ! video/x-raw,format=I420,width=%d,"
                            "height=%d,pixel-aspect-ratio=1/1 ! appsink name=out sync=false",
                            loc, r->o->width, r->o->height);
  else if (video)
    desc = g_strdup_printf ("filesrc location=\"%s\" ! tsdemux ! h264parse ! "
                            "video/x-h264,stream-format=byte-stream,alignment=au ! "
                            "appsink name=out sync=false",
                            loc);
  else if (decode)
    desc = g_strdup_printf ("filesrc location=\"%s\" ! tsdemux ! aacparse ! avdec_aac ! "
                            "audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=%d,"
                            "channels=2,layout=interleaved ! appsink name=out sync=false",
                            loc, RATE);
  else
    desc = g_strdup_printf ("filesrc location=\"%s\" ! tsdemux ! aacparse ! "
                            "appsink name=out sync=false",
                            loc);
  return gst_parse_launch (desc, error);
}

/* Pulls @p's samples (NULL at the end); FALSE with @error when the slice cannot be read. */
static GstSample *
reader_pull (GstElement *reader, const CrMergePiece *p, gboolean video, GError **error)
{
  GstAppSink *sink = GST_APP_SINK (gst_bin_get_by_name (GST_BIN (reader), "out"));
  GstBus *bus = gst_element_get_bus (reader);
  GstSample *s = NULL;
  while (s == NULL && !gst_app_sink_is_eos (sink)) {
    s = gst_app_sink_try_pull_sample (sink, 100 * GST_MSECOND);
    GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (m != NULL) {
      g_autoptr (GError) e = NULL;
      gst_message_parse_error (m, &e, NULL);
      g_set_error (error, CR_MERGE_ERROR, CR_MERGE_ERROR_MEDIA, "segment %s: %s (no %s in it?)",
                   p->file, e->message, video ? "H.264 video" : "AAC audio");
      gst_message_unref (m);
      if (s != NULL)
        gst_sample_unref (s);
      s = NULL;
      break;
    }
  }
  gst_object_unref (bus);
  gst_object_unref (sink);
  return s;
}

static GstBuffer *
black_frame (int w, int h)
{
  gsize y = (gsize)w * h, c = (gsize)(w / 2) * (h / 2);
  GstBuffer *b = gst_buffer_new_allocate (NULL, y + 2 * c, NULL);
  GstMapInfo m;
  gst_buffer_map (b, &m, GST_MAP_WRITE);
  memset (m.data, 16, y);
  memset (m.data + y, 128, 2 * c);
  gst_buffer_unmap (b, &m);
  return b;
}

static void
push_at (GstAppSrc *src, GstBuffer *b, GstClockTime t, GstClockTime duration)
{
  b = gst_buffer_make_writable (b);
  GST_BUFFER_PTS (b) = t;
  GST_BUFFER_DTS (b) = t;
  GST_BUFFER_DURATION (b) = duration;
  gst_app_src_push_buffer (src, b);
}

/* Encoded audio, on the output's timeline. voaacenc puts ENC_DELAY_SAMPLES of priming before the
 * sound and mp4mux writes no edit list for it, so a decoder would play everything that much late:
 * the first ENC_DELAY_SAMPLES of the timeline are not given to the encoder (its priming stands in
 * for them). It also emits whole 1024-sample frames only, dropping a partial last one. */
#define ENC_DELAY_SAMPLES 1600 /* measured: a tone's onset decodes 1600 samples late at 48 kHz */
#define AAC_FRAME 1024

typedef struct {
  GstAppSrc *src;
  gint64 written; /* samples of the output's timeline written */
} Pcm;

/* @n samples of @data (silence if NULL) at the end of the timeline. */
static void
pcm_write (Pcm *p, const guint8 *data, gint64 n)
{
  gint64 drop = CLAMP (ENC_DELAY_SAMPLES - p->written, 0, n);
  if (n > drop) {
    gint64 k = n - drop;
    GstBuffer *b;
    if (data != NULL)
      b = gst_buffer_new_memdup (data + drop * 4, (gsize)k * 4);
    else {
      b = gst_buffer_new_allocate (NULL, (gsize)k * 4, NULL);
      gst_buffer_memset (b, 0, 0, (gsize)k * 4);
    }
    push_at (p->src, b,
             gst_util_uint64_scale (p->written + drop - ENC_DELAY_SAMPLES, GST_SECOND, RATE),
             gst_util_uint64_scale (k, GST_SECOND, RATE));
  }
  p->written += n;
}

static void
pcm_silence (Pcm *p, gint64 upto)
{
  while (p->written < upto)
    pcm_write (p, NULL, MIN (upto - p->written, RATE));
}

/* Pictures from @from to @to: @pic (taken) repeated. At a fixed rate (-p), videorate repeats
 * the nearest buffer, so the filler is pushed at both ends of the hole (@at_from: also at its
 * start); otherwise the pictures keep their own times and the hole gets one every @frame. */
static void
fill_video (GstAppSrc *src, GstBuffer *pic, GstClockTime from, GstClockTime to, GstClockTime frame,
            gboolean fixed_rate, gboolean at_from)
{
  if (fixed_rate) {
    if (at_from)
      push_at (src, gst_buffer_ref (pic), from, frame);
    if (to >= from + 2 * frame || !at_from)
      push_at (src, gst_buffer_ref (pic), to - frame, frame);
  } else
    for (GstClockTime t = from; t + frame / 2 < to; t += frame)
      push_at (src, gst_buffer_ref (pic), t, MIN (frame, to - t));
  gst_buffer_unref (pic);
}

/* Feeds one track (video or audio) of the output, slice after slice. */
static void
feed (Run *r, gboolean video)
{
  const CrMergeOutput *o = r->o;
  GPtrArray *pieces = video ? o->video : o->audio;
  GstAppSrc *src = video ? r->vsrc : r->asrc;
  gboolean decode = video ? r->video_encode : r->audio_encode;
  GstClockTime frame = GST_SECOND / (o->fps > 0 ? o->fps : 15);
  GstClockTime total = (GstClockTime)o->duration_ms * GST_MSECOND;
  gint64 offset = 0;      /* ns added to a slice's PTS */
  Pcm pcm = { src, 0 };   /* encoded audio */
  GstBuffer *last = NULL; /* the last picture (encoded video) */
  GstClockTime last_end = 0;
  GstCaps *first_caps = NULL;
  if (video && decode && pieces->len > 0) {
    /* Nothing before the first picture: black, up to it. */
    GstClockTime place0
        = (GstClockTime)((CrMergePiece *)g_ptr_array_index (pieces, 0))->out_ms * GST_MSECOND;
    if (place0 >= frame)
      fill_video (src, black_frame (o->width, o->height), 0, place0, frame, o->fixed_rate, TRUE);
  }
  for (guint i = 0; i < pieces->len && !run_failed (r); i++) {
    const CrMergePiece *p = g_ptr_array_index (pieces, i);
    GError *e = NULL;
    GstElement *reader = reader_new (r, p, video, decode, &e);
    if (reader == NULL) {
      run_fail (r, e);
      break;
    }
    gst_element_set_state (reader, GST_STATE_PLAYING);
    gboolean first = TRUE;
    guint samples = 0;
    GstClockTime place = (GstClockTime)p->out_ms * GST_MSECOND;
    /* -b: black from where the previous slice ended. */
    if (video && decode && last_end > 0 && place > last_end + 2 * frame)
      /* A gap: the last picture, or black with -b. */
      fill_video (src,
                  o->black || last == NULL ? black_frame (o->width, o->height)
                                           : gst_buffer_copy (last),
                  last_end, place, frame, o->fixed_rate, o->black);
    GstSample *s;
    while ((s = reader_pull (reader, p, video, &e)) != NULL) {
      GstBuffer *b = gst_sample_get_buffer (s);
      GstClockTime pts = GST_BUFFER_PTS_IS_VALID (b) ? GST_BUFFER_PTS (b) : GST_BUFFER_DTS (b);
      if (!GST_CLOCK_TIME_IS_VALID (pts)) {
        gst_sample_unref (s);
        continue;
      }
      if (first) {
        /* A run's first slice goes at its FILE-ATTR place; the next ones follow their PTS,
         * unless that is more than a second away from their place (a clock that jumped). */
        gint64 at = (gint64)pts + offset;
        if (p->anchor || i == 0 || ABS (at - (gint64)place) > GST_SECOND)
          offset = (gint64)place - (gint64)pts;
        first = FALSE;
      }
      if (!decode) {
        GstCaps *caps = gst_sample_get_caps (s);
        if (first_caps == NULL)
          first_caps = gst_caps_ref (caps);
        else if (!gst_caps_is_equal (first_caps, caps)) {
          g_mutex_lock (&r->lock);
          r->changed = TRUE;
          r->changed_video = video;
          g_mutex_unlock (&r->lock);
          run_fail (r, g_error_new (CR_MERGE_ERROR, CR_MERGE_ERROR_MEDIA, "%s changes format in %s",
                                    video ? "video" : "audio", p->file));
          gst_sample_unref (s);
          break;
        }
      }
      gint64 t = (gint64)pts + offset;
      samples++;
      if (video) {
        GstBuffer *out = gst_buffer_copy (b);
        if (t < 0)
          t = 0;
        GST_BUFFER_PTS (out) = t;
        if (GST_BUFFER_DTS_IS_VALID (b))
          GST_BUFFER_DTS (out) = MAX ((gint64)GST_BUFFER_DTS (b) + offset, 0);
        GstClockTime dur = GST_BUFFER_DURATION_IS_VALID (b) ? GST_BUFFER_DURATION (b) : frame;
        last_end = t + dur;
        if (decode) {
          if (last != NULL)
            gst_buffer_unref (last);
          last = gst_buffer_ref (out);
        }
        if (first_caps != NULL && samples == 1 && i == 0)
          gst_app_src_set_caps (src, first_caps);
        gst_app_src_push_buffer (src, out);
        g_atomic_int_set (&r->vpos_ms, (gint)(t / GST_MSECOND));
      } else if (decode) {
        /* Sample-accurate: silence up to its place, or its overlapping start cut off. */
        gint64 target = gst_util_uint64_scale (MAX (t, 0), RATE, GST_SECOND);
        GstMapInfo m;
        gst_buffer_map (b, &m, GST_MAP_READ);
        gint64 n = (gint64)m.size / 4, skip = 0;
        if (target > pcm.written + SLOP_SAMPLES)
          pcm_silence (&pcm, target);
        else if (target < pcm.written - SLOP_SAMPLES)
          skip = MIN (pcm.written - target, n);
        if (skip < n)
          pcm_write (&pcm, m.data + skip * 4, n - skip);
        gst_buffer_unmap (b, &m);
        g_atomic_int_set (&r->apos_ms, (gint)(pcm.written * 1000 / RATE));
      } else {
        GstBuffer *out = gst_buffer_copy (b);
        GST_BUFFER_PTS (out) = MAX (t, 0);
        GST_BUFFER_DTS (out) = MAX (t, 0);
        if (first_caps != NULL && samples == 1 && i == 0)
          gst_app_src_set_caps (src, first_caps);
        gst_app_src_push_buffer (src, out);
        g_atomic_int_set (&r->apos_ms, (gint)(t / GST_MSECOND));
      }
      gst_sample_unref (s);
    }
    gst_element_set_state (reader, GST_STATE_NULL);
    gst_object_unref (reader);
    if (e != NULL) {
      run_fail (r, e);
      break;
    }
    if (samples == 0 && !run_failed (r)) {
      run_fail (r, g_error_new (CR_MERGE_ERROR, CR_MERGE_ERROR_TRACKS,
                                "segment %s has no %s (its playlist says it has)", p->file,
                                video ? "H.264 video" : "AAC audio"));
      break;
    }
  }
  if (!run_failed (r)) {
    /* Up to the end of the output: the last picture (or black), or silence. */
    if (video && decode && total > last_end + frame)
      fill_video (src,
                  o->black || last == NULL ? black_frame (o->width, o->height)
                                           : gst_buffer_copy (last),
                  last_end, total, frame, o->fixed_rate, o->black);
    else if (!video && decode) {
      /* Whole frames past the priming, up to the end or just past it. */
      gint64 end = gst_util_uint64_scale (total, RATE, GST_SECOND);
      pcm_silence (&pcm, ENC_DELAY_SAMPLES + (end + AAC_FRAME - 1) / AAC_FRAME * AAC_FRAME);
    }
  }
  if (last != NULL)
    gst_buffer_unref (last);
  if (first_caps != NULL)
    gst_caps_unref (first_caps);
  gst_app_src_end_of_stream (src);
}

static gpointer
feed_video (gpointer data)
{
  feed (data, TRUE);
  return NULL;
}

static gpointer
feed_audio (gpointer data)
{
  feed (data, FALSE);
  return NULL;
}

/* The playlists' EXTINF ends a segment at its last picture's start: that picture lasts to the
 * output's end, not a frame past it (h264parse sets each picture's duration from the frame rate,
 * so the clip is done after it). */
static GstPadProbeReturn
clip_at_end (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void)pad;
  GstClockTime total = *(GstClockTime *)data;
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER (info);
  if (GST_BUFFER_PTS_IS_VALID (b) && GST_BUFFER_DURATION_IS_VALID (b)
      && GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b) > total) {
    b = gst_buffer_make_writable (b);
    GST_BUFFER_DURATION (b)
        = GST_BUFFER_PTS (b) + GST_MSECOND < total ? total - GST_BUFFER_PTS (b) : GST_MSECOND;
    GST_PAD_PROBE_INFO_DATA (info) = b;
  }
  return GST_PAD_PROBE_OK;
}

static gboolean
run_once (Run *r, const char *path, CrMergeProgressFunc progress, gpointer user_data,
          GError **error)
{
  const CrMergeOutput *o = r->o;
  GString *d = g_string_new (NULL);
  g_autofree char *loc = g_strescape (path, NULL);
  g_string_append_printf (d, "mp4mux name=mux ! filesink location=\"%s\" ", loc);
  /* -p: exactly that rate; otherwise the pictures keep their times (no rounding to a grid). */
  g_autofree char *rate = o->fixed_rate
                              ? g_strdup_printf ("videorate ! video/x-raw,framerate=%d/1", o->fps)
                              : g_strdup ("identity");
  if (o->video->len > 0) {
    if (r->video_encode)
      g_string_append_printf (
          d,
          "appsrc name=vsrc format=time block=true max-bytes=8000000 "
          "caps=video/x-raw,format=I420,width=%d,height=%d,"
          "pixel-aspect-ratio=1/1,framerate=0/1 ! %s ! x264enc speed-preset=veryfast bframes=0 "
          "key-int-max=%d ! h264parse ! queue ! mux. ",
          o->width, o->height, rate, o->fps * 2);
    else
      g_string_append (d, "appsrc name=vsrc format=time block=true max-bytes=4000000 ! "
                          "h264parse name=vparse ! queue ! mux. ");
  }
  if (o->audio->len > 0) {
    if (r->audio_encode)
      g_string_append_printf (d,
                              "appsrc name=asrc format=time block=true max-bytes=1000000 "
                              "caps=audio/x-raw,format=S16LE,rate=%d,channels=2,"
                              "layout=interleaved ! audioconvert ! voaacenc bitrate=64000 ! "
                              "aacparse ! queue ! mux. ",
                              RATE);
    else
      g_string_append (d, "appsrc name=asrc format=time block=true max-bytes=1000000 ! "
                          "aacparse ! queue ! mux. ");
  }
  g_autofree char *desc = g_string_free (d, FALSE);
  r->pipeline = gst_parse_launch (desc, error);
  if (r->pipeline == NULL)
    return FALSE;
  r->vsrc = o->video->len > 0 ? GST_APP_SRC (gst_bin_get_by_name (GST_BIN (r->pipeline), "vsrc"))
                              : NULL;
  r->asrc = o->audio->len > 0 ? GST_APP_SRC (gst_bin_get_by_name (GST_BIN (r->pipeline), "asrc"))
                              : NULL;
  GstElement *vparse = gst_bin_get_by_name (GST_BIN (r->pipeline), "vparse");
  if (vparse != NULL) {
    GstPad *pad = gst_element_get_static_pad (vparse, "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, clip_at_end, &r->total, NULL);
    gst_object_unref (pad);
    gst_object_unref (vparse);
  }
  gst_element_set_state (r->pipeline, GST_STATE_PLAYING);
  GThread *vt = r->vsrc != NULL ? g_thread_new ("merge-video", feed_video, r) : NULL;
  GThread *at = r->asrc != NULL ? g_thread_new ("merge-audio", feed_audio, r) : NULL;
  GstBus *bus = gst_element_get_bus (r->pipeline);
  gboolean ok = FALSE;
  for (;;) {
    GstMessage *m = gst_bus_timed_pop_filtered (
        bus, 250 * GST_MSECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_APPLICATION);
    if (progress != NULL) {
      gint64 v = r->vsrc != NULL ? g_atomic_int_get (&r->vpos_ms) : G_MAXINT;
      gint64 a = r->asrc != NULL ? g_atomic_int_get (&r->apos_ms) : G_MAXINT;
      progress (MIN (v, a) / 1000.0, o->duration_ms / 1000.0, user_data);
    }
    if (m == NULL)
      continue;
    GstMessageType type = GST_MESSAGE_TYPE (m);
    if (type == GST_MESSAGE_ERROR && !run_failed (r)) {
      GError *e = NULL;
      gst_message_parse_error (m, &e, NULL);
      g_prefix_error (&e, "writing %s: ", path);
      run_fail (r, e);
    }
    gst_message_unref (m);
    if (type == GST_MESSAGE_EOS) {
      ok = !run_failed (r);
      break;
    }
    if (run_failed (r))
      break;
  }
  /* Unblock the feeders before joining them. */
  gst_element_set_state (r->pipeline, GST_STATE_NULL);
  if (vt != NULL)
    g_thread_join (vt);
  if (at != NULL)
    g_thread_join (at);
  gst_object_unref (bus);
  g_clear_object (&r->vsrc);
  g_clear_object (&r->asrc);
  g_clear_object (&r->pipeline);
  if (!ok) {
    g_mutex_lock (&r->lock);
    g_propagate_error (error, r->error);
    r->error = NULL;
    g_mutex_unlock (&r->lock);
  }
  return ok;
}

gboolean
cr_merge_run_output (const char *dir, const CrMergeOutput *o, const char *path,
                     CrMergeProgressFunc progress, gpointer user_data, GError **error)
{
  Run r = { .dir = dir,
            .o = o,
            .video_encode = o->video_encode,
            .audio_encode = o->audio_encode,
            .total = (GstClockTime)o->duration_ms * GST_MSECOND };
  g_mutex_init (&r.lock);
  gboolean ok = FALSE;
  for (int attempt = 0; attempt < 3; attempt++) {
    g_autoptr (GError) e = NULL;
    r.changed = FALSE;
    ok = run_once (&r, path, progress, user_data, &e);
    if (ok)
      break;
    if (!r.changed) {
      g_propagate_error (error, g_steal_pointer (&e));
      break;
    }
    /* A remuxed track changed its format inside: that track is encoded. */
    if (r.changed_video)
      r.video_encode = TRUE;
    else
      r.audio_encode = TRUE;
  }
  g_mutex_clear (&r.lock);
  if (!ok)
    g_unlink (path);
  return ok;
}
