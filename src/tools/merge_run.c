/* One output file of `cloudrec merge`, made with GStreamer; see merge_run.h. */
#include "tools/merge_run.h"

#include <errno.h>
#include <fcntl.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "media/aac_delay.h"
#include "media/elements.h"
#include "media/mp4.h"

#define RATE 48000
#define SLOP_SAMPLES (RATE / 50) /* 20 ms: audio closer than this to its place is just appended */
#define TINY_MS                                                                                    \
  100 /* a slice shorter than this may be a lone frame whose program a demuxer                     \
       * cannot find: left out rather than an error */

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

/* The decoding reader of one slice: its samples come out of the returned pipeline's "out"
 * appsink. The file is read through cr_ts_feed_source, whose PCR bridge keeps a pause inside the
 * slice (ts_pcr_bridge.h). */
static GstElement *
reader_new (Run *r, const CrMergePiece *p, gboolean video, GError **error)
{
  g_autofree char *desc = NULL;
  if (video)
    desc = g_strdup_printf ("tsdemux name=demux ! h264parse ! avdec_h264 ! videoconvert ! "
                            "videoscale ! video/x-raw,format=I420,width=%d,height=%d,"
                            "pixel-aspect-ratio=1/1 ! appsink name=out sync=false",
                            r->o->width, r->o->height);
  else
    desc = g_strdup_printf ("tsdemux name=demux ! aacparse ! avdec_aac ! audioconvert ! "
                            "audioresample ! audio/x-raw,format=S16LE,rate=%d,channels=2,"
                            "layout=interleaved ! appsink name=out sync=false",
                            RATE);
  GstElement *reader = gst_parse_launch (desc, error);
  if (reader == NULL)
    return NULL;
  g_autofree char *path = g_build_filename (r->dir, p->file, NULL);
  const char *files[] = { path, NULL };
  GstElement *src = cr_ts_feed_source (files, error);
  GstElement *demux = gst_bin_get_by_name (GST_BIN (reader), "demux");
  gboolean linked = src != NULL && gst_bin_add (GST_BIN (reader), src)
                    && gst_element_link (src, demux);
  gst_object_unref (demux);
  if (!linked) {
    if (src != NULL && error != NULL && *error == NULL)
      g_set_error (error, CR_MERGE_ERROR, CR_MERGE_ERROR_SEGMENT, "segment %s: no reader",
                   p->file);
    gst_object_unref (reader);
    return NULL;
  }
  return reader;
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
 * sound and mp4mux writes no edit list for it, so a decoder would play everything that much late
 * (media/aac_delay.h): the first ENC_DELAY_SAMPLES of the timeline are not given to the encoder
 * (its priming stands in for them). It also emits whole 1024-sample frames only, dropping a
 * partial last one. */
#define ENC_DELAY_SAMPLES CR_AAC_ENCODER_DELAY_SAMPLES
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

/* Feeds one encoded track (video or audio) of the output, slice after slice, decoded. */
static void
feed (Run *r, gboolean video)
{
  const CrMergeOutput *o = r->o;
  GPtrArray *pieces = video ? o->video : o->audio;
  GstAppSrc *src = video ? r->vsrc : r->asrc;
  GstClockTime frame = GST_SECOND / (o->fps > 0 ? o->fps : 15);
  GstClockTime total = (GstClockTime)o->duration_ms * GST_MSECOND;
  gint64 offset = 0;      /* ns added to a slice's PTS */
  Pcm pcm = { src, 0 };   /* encoded audio */
  GstBuffer *last = NULL; /* the last picture (encoded video) */
  GstClockTime last_end = 0;
  if (video && pieces->len > 0) {
    /* Nothing before the first picture: black, up to it. */
    GstClockTime place0
        = (GstClockTime)((CrMergePiece *)g_ptr_array_index (pieces, 0))->out_ms * GST_MSECOND;
    if (place0 >= frame)
      fill_video (src, black_frame (o->width, o->height), 0, place0, frame, o->fixed_rate, TRUE);
  }
  for (guint i = 0; i < pieces->len && !run_failed (r); i++) {
    const CrMergePiece *p = g_ptr_array_index (pieces, i);
    GError *e = NULL;
    GstElement *reader = reader_new (r, p, video, &e);
    if (reader == NULL) {
      run_fail (r, e);
      break;
    }
    gst_element_set_state (reader, GST_STATE_PLAYING);
    gboolean first = TRUE;
    guint samples = 0;
    GstClockTime place = (GstClockTime)p->out_ms * GST_MSECOND;
    /* -b: black from where the previous slice ended. */
    if (video && last_end > 0 && place > last_end + 2 * frame)
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
        if (last != NULL)
          gst_buffer_unref (last);
        last = gst_buffer_ref (out);
        gst_app_src_push_buffer (src, out);
        g_atomic_int_set (&r->vpos_ms, (gint)(t / GST_MSECOND));
      } else {
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
      }
      gst_sample_unref (s);
    }
    gst_element_set_state (reader, GST_STATE_NULL);
    gst_object_unref (reader);
    gboolean tiny = p->end_ms - p->start_ms < TINY_MS;
    if (e != NULL && tiny && samples == 0) {
      GST_WARNING ("left out: %s (%s)", p->file, e->message);
      g_clear_error (&e);
      continue;
    }
    if (e != NULL) {
      run_fail (r, e);
      break;
    }
    if (samples == 0 && !tiny && !run_failed (r)) {
      run_fail (r, g_error_new (CR_MERGE_ERROR, CR_MERGE_ERROR_TRACKS,
                                "segment %s has no %s (its playlist says it has)", p->file,
                                video ? "H.264 video" : "AAC audio"));
      break;
    }
  }
  if (!run_failed (r)) {
    /* Up to the end of the output: the last picture (or black), or silence. */
    if (video && total > last_end + frame)
      fill_video (src,
                  o->black || last == NULL ? black_frame (o->width, o->height)
                                           : gst_buffer_copy (last),
                  last_end, total, frame, o->fixed_rate, o->black);
    else if (!video) {
      /* Whole frames past the priming, up to the end or just past it. */
      gint64 end = gst_util_uint64_scale (total, RATE, GST_SECOND);
      pcm_silence (&pcm, ENC_DELAY_SAMPLES + (end + AAC_FRAME - 1) / AAC_FRAME * AAC_FRAME);
    }
  }
  if (last != NULL)
    gst_buffer_unref (last);
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

/* ---- Copied tracks: one reader per run, straight into the muxer ----
 *
 * A run (the slices from one anchor to the next) was cut from one continuous mux, so its files
 * are read back to back as one MPEG-TS byte stream by one tsdemux, and its parser pushes into the
 * track's concat and on into mp4mux on the demuxer's own thread: no pipeline per slice, no
 * appsink/appsrc hand-off and no second parser per buffer (perf, 4 x 600 s: two thirds of the
 * time was futex wake-ups between those threads). A probe on the parser's output moves the
 * timestamps to the output's timeline (the run's first at its anchor's place). */

typedef struct CopyTrack CopyTrack;

typedef struct {
  CopyTrack *track;
  guint from, to;  /* the run's pieces: track pieces [from, to) */
  char **paths;    /* their files */
  guint cur;       /* the file being read (for messages) */
  int fd;          /* or -1 */
  CrPcrBridge *bridge; /* the clock through a pause (ts_pcr_bridge.h) */
  gint64 offset;   /* ns added to a buffer's PTS */
  gboolean placed; /* the offset is set */
  gint64 last;     /* the previous buffer's output PTS, or -1 */
  guint64 buffers; /* out of the parser */
  GstElement *parser;
} CopyRun;

struct CopyTrack {
  Run *r;
  gboolean video;
  GPtrArray *pieces;
  GPtrArray *runs; /* CopyRun */
  GstCaps *first;  /* the track's first caps */
};

static void
copy_run_free (gpointer data)
{
  CopyRun *run = data;
  if (run->fd >= 0)
    close (run->fd);
  g_strfreev (run->paths);
  cr_pcr_bridge_free (run->bridge);
  g_free (run);
}

static void
copy_track_free (CopyTrack *t)
{
  if (t == NULL)
    return;
  g_ptr_array_unref (t->runs);
  if (t->first != NULL)
    gst_caps_unref (t->first);
  g_free (t);
}

static const CrMergePiece *
run_piece (const CopyRun *run, guint k)
{
  return g_ptr_array_index (run->track->pieces, run->from + k);
}

static gboolean
run_tiny (const CopyRun *run)
{
  return run_piece (run, run->to - run->from - 1)->end_ms - run_piece (run, 0)->start_ms < TINY_MS;
}

/* The run's files as one byte stream, on the appsrc's streaming thread. */
static void
copy_need_data (GstAppSrc *src, guint length, gpointer data)
{
  (void)length;
  CopyRun *run = data;
  for (;;) {
    if (run->fd < 0) {
      if (run->paths[run->cur] == NULL) {
        gst_app_src_end_of_stream (src);
        return;
      }
      run->fd = g_open (run->paths[run->cur], O_RDONLY | O_CLOEXEC, 0);
      if (run->fd < 0) {
        run_fail (run->track->r,
                  g_error_new (CR_MERGE_ERROR, CR_MERGE_ERROR_SEGMENT, "segment %s: %s",
                               run_piece (run, run->cur)->file, g_strerror (errno)));
        gst_app_src_end_of_stream (src);
        return;
      }
    }
    int err = 0;
    GstBuffer *buf = cr_buffer_read_ts (run->fd, run->bridge, &err);
    if (buf != NULL) {
      gst_app_src_push_buffer (src, buf);
      return;
    }
    close (run->fd);
    run->fd = -1;
    if (err != 0) {
      run_fail (run->track->r,
                g_error_new (CR_MERGE_ERROR, CR_MERGE_ERROR_SEGMENT, "segment %s: %s",
                             run_piece (run, run->cur)->file, g_strerror (err)));
      gst_app_src_end_of_stream (src);
      return;
    }
    if (run->paths[run->cur + 1] != NULL)
      run->cur++;
    else {
      GstBuffer *rest = cr_buffer_ts_rest (run->bridge);
      if (rest != NULL)
        gst_app_src_push_buffer (src, rest);
      gst_app_src_end_of_stream (src);
      return;
    }
  }
}

/* A run without its track's medium: an error, unless the run is a lone tiny slice (a one-frame
 * TS whose program a demuxer cannot find); then the track goes on with its next run. */
static void
copy_run_missing (CopyRun *run)
{
  if (run->buffers > 0)
    return;
  if (!run_tiny (run))
    run_fail (run->track->r, g_error_new (CR_MERGE_ERROR, CR_MERGE_ERROR_TRACKS,
                                          "segment %s has no %s (its playlist says it has)",
                                          run_piece (run, 0)->file,
                                          run->track->video ? "H.264 video" : "AAC audio"));
}

/* Caps that a remuxed track can go on with: the same, codec_data included (a new SPS/PPS or
 * AudioSpecificConfig would not decode with the one mp4mux stored first). */
static gboolean
caps_compatible (const GstCaps *a, const GstCaps *b)
{
  return gst_caps_is_equal (a, b);
}

/* The parser's output: retimed onto the output's timeline; its segment made the plain one
 * (running time = PTS); a format change fails the run so that the track is encoded. */
static GstPadProbeReturn
copy_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void)pad;
  CopyRun *run = data;
  CopyTrack *t = run->track;
  Run *r = t->r;
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_SEGMENT) {
      GstSegment seg;
      gst_segment_init (&seg, GST_FORMAT_TIME);
      GstEvent *out = gst_event_new_segment (&seg);
      gst_event_set_seqnum (out, gst_event_get_seqnum (ev));
      gst_event_unref (ev);
      GST_PAD_PROBE_INFO_DATA (info) = out;
    } else if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
      GstCaps *caps;
      gst_event_parse_caps (ev, &caps);
      g_mutex_lock (&r->lock);
      gboolean changed = FALSE;
      if (t->first == NULL)
        t->first = gst_caps_ref (caps);
      else if (!caps_compatible (t->first, caps))
        changed = r->changed = TRUE, r->changed_video = t->video;
      g_mutex_unlock (&r->lock);
      if (changed) {
        run_fail (r, g_error_new (CR_MERGE_ERROR, CR_MERGE_ERROR_MEDIA, "%s changes format in %s",
                                  t->video ? "video" : "audio", run_piece (run, run->cur)->file));
        return GST_PAD_PROBE_DROP;
      }
    } else if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS)
      copy_run_missing (run);
    return GST_PAD_PROBE_OK;
  }
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime pts = GST_BUFFER_PTS_IS_VALID (b) ? GST_BUFFER_PTS (b) : GST_BUFFER_DTS (b);
  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return GST_PAD_PROBE_DROP;
  if (!run->placed) {
    run->offset = run_piece (run, 0)->out_ms * GST_MSECOND - (gint64)pts;
    run->placed = TRUE;
  } else if (ABS ((gint64)pts + run->offset - run->last) > GST_SECOND) {
    /* The clock jumped inside the run: on from the next slice's place. */
    for (guint k = 0; k < run->to - run->from; k++)
      if (run_piece (run, k)->out_ms * GST_MSECOND > run->last - 100 * GST_MSECOND) {
        run->offset = run_piece (run, k)->out_ms * GST_MSECOND - (gint64)pts;
        break;
      }
  }
  gint64 t_out = MAX ((gint64)pts + run->offset, 0);
  run->last = t_out;
  run->buffers++;
  b = gst_buffer_make_writable (b);
  if (GST_BUFFER_DTS_IS_VALID (b))
    GST_BUFFER_DTS (b) = MAX ((gint64)GST_BUFFER_DTS (b) + run->offset, 0);
  else if (!t->video)
    GST_BUFFER_DTS (b) = t_out;
  GST_BUFFER_PTS (b) = t_out;
  /* The playlists' EXTINF ends a segment at its last picture's start: that picture lasts to the
   * output's end, not a frame past it. */
  if (t->video && GST_BUFFER_DURATION_IS_VALID (b)
      && GST_BUFFER_PTS (b) + GST_BUFFER_DURATION (b) > r->total)
    GST_BUFFER_DURATION (b)
        = GST_BUFFER_PTS (b) + GST_MSECOND < r->total ? r->total - GST_BUFFER_PTS (b) : GST_MSECOND;
  GST_PAD_PROBE_INFO_DATA (info) = b;
  g_atomic_int_set (t->video ? &r->vpos_ms : &r->apos_ms, (gint)(t_out / GST_MSECOND));
  return GST_PAD_PROBE_OK;
}

static void
copy_on_pad (GstElement *demux, GstPad *pad, gpointer data)
{
  (void)demux;
  CopyRun *run = data;
  g_autoptr (GstCaps) caps = gst_pad_query_caps (pad, NULL);
  const char *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (!g_str_has_prefix (name, run->track->video ? "video/" : "audio/"))
    return;
  g_autoptr (GstPad) sink = gst_element_get_static_pad (run->parser, "sink");
  if (!gst_pad_is_linked (sink))
    gst_pad_link (pad, sink);
}

/* Nothing of the medium in the run's program: the parser is ended so the track goes on (and the
 * run is an error unless tiny). */
static void
copy_end_unlinked (CopyRun *run)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (run->parser, "sink");
  if (gst_pad_is_linked (sink))
    return;
  copy_run_missing (run);
  gst_pad_send_event (sink, gst_event_new_stream_start ("cloudrec-merge-missing"));
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_send_event (sink, gst_event_new_segment (&seg));
  gst_pad_send_event (sink, gst_event_new_eos ());
}

static void
copy_on_no_more_pads (GstElement *demux, gpointer data)
{
  (void)demux;
  copy_end_unlinked (data);
}

/* Builds @t's runs into @pipeline: appsrc ! tsdemux ! parser per run, into one concat ! @mux. */
static gboolean
copy_track_build (GstElement *pipeline, GstElement *mux, CopyTrack *t, GError **error)
{
  GstBin *bin = GST_BIN (pipeline);
  GstElement *concat = cr_element ("concat", NULL, error);
  if (concat == NULL || !cr_bin_chain (bin, error, concat, NULL))
    return FALSE;
  g_object_set (concat, "adjust-base", FALSE, NULL); /* each run is placed by copy_probe */
  GstPad *to_mux = gst_element_request_pad_simple (mux, t->video ? "video_%u" : "audio_%u");
  g_autoptr (GstPad) from = gst_element_get_static_pad (concat, "src");
  if (to_mux == NULL || gst_pad_link (from, to_mux) != GST_PAD_LINK_OK) {
    g_set_error (error, CR_MERGE_ERROR, CR_MERGE_ERROR_MEDIA, "cannot link the %s to the muxer",
                 t->video ? "video" : "audio");
    g_clear_object (&to_mux);
    return FALSE;
  }
  gst_object_unref (to_mux);
  g_autoptr (GstCaps) ts = gst_caps_new_simple ("video/mpegts", "systemstream", G_TYPE_BOOLEAN,
                                                TRUE, "packetsize", G_TYPE_INT, 188, NULL);
  for (guint i = 0; i < t->pieces->len;) {
    guint j = i + 1;
    while (j < t->pieces->len && !((CrMergePiece *)g_ptr_array_index (t->pieces, j))->anchor)
      j++;
    CopyRun *run = g_new0 (CopyRun, 1);
    run->track = t;
    run->from = i;
    run->to = j;
    run->fd = -1;
    run->bridge = cr_pcr_bridge_new ();
    run->last = -1;
    run->paths = g_new0 (char *, j - i + 1);
    for (guint k = i; k < j; k++)
      run->paths[k - i] = g_build_filename (
          t->r->dir, ((CrMergePiece *)g_ptr_array_index (t->pieces, k))->file, NULL);
    g_ptr_array_add (t->runs, run);
    i = j;
    if (run_tiny (run) && t->pieces->len > run->to - run->from) {
      GST_WARNING ("left out: %s (under %d ms)", run_piece (run, 0)->file, TINY_MS);
      continue; /* a lone tiny slice: its program may not be found; 1-2 frames lost */
    }
    GstElement *src = cr_element ("appsrc", NULL, error);
    GstElement *demux = src != NULL ? cr_element ("tsdemux", NULL, error) : NULL;
    run->parser
        = demux != NULL ? cr_element (t->video ? "h264parse" : "aacparse", NULL, error) : NULL;
    if (run->parser == NULL || !cr_bin_chain (bin, error, src, demux, NULL)
        || !cr_bin_chain (bin, error, run->parser, concat, NULL))
      return FALSE;
    g_object_set (src, "caps", ts, "format", GST_FORMAT_BYTES, "stream-type",
                  GST_APP_STREAM_TYPE_STREAM, NULL);
    GstAppSrcCallbacks callbacks = { .need_data = copy_need_data };
    gst_app_src_set_callbacks (GST_APP_SRC (src), &callbacks, run, NULL);
    g_signal_connect (demux, "pad-added", G_CALLBACK (copy_on_pad), run);
    g_signal_connect (demux, "no-more-pads", G_CALLBACK (copy_on_no_more_pads), run);
    g_object_set_data (G_OBJECT (demux), "cloudrec-merge-run", run);
    g_autoptr (GstPad) out = gst_element_get_static_pad (run->parser, "src");
    gst_pad_add_probe (out, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                       copy_probe, run, NULL);
  }
  return TRUE;
}

/* How far one copied track may run ahead of the other inside mp4mux: they come from two
 * demuxer threads with no queue in between, and each waits only when its input holds this much. */
#define MUX_LATENCY (5 * GST_SECOND)

static gboolean
run_once (Run *r, const char *path, CrMergeProgressFunc progress, gpointer user_data,
          GError **error)
{
  const CrMergeOutput *o = r->o;
  gboolean has_video = o->video->len > 0, has_audio = o->audio->len > 0;
  GString *d = g_string_new (NULL);
  g_autofree char *loc = g_strescape (path, NULL);
  g_string_append_printf (
      d, "mp4mux name=mux latency=%" G_GUINT64_FORMAT " ! filesink location=\"%s\" ",
      (guint64)MUX_LATENCY, loc);
  /* -p: exactly that rate; otherwise the pictures keep their times (no rounding to a grid). */
  g_autofree char *rate = o->fixed_rate
                              ? g_strdup_printf ("videorate ! video/x-raw,framerate=%d/1", o->fps)
                              : g_strdup ("identity");
  if (has_video && r->video_encode)
    g_string_append_printf (
        d,
        "appsrc name=vsrc format=time block=true max-bytes=8000000 "
        "caps=video/x-raw,format=I420,width=%d,height=%d,"
        "pixel-aspect-ratio=1/1,framerate=0/1 ! %s ! x264enc speed-preset=veryfast bframes=0 "
        "key-int-max=%d ! h264parse ! queue ! mux. ",
        o->width, o->height, rate, o->fps * 2);
  if (has_audio && r->audio_encode)
    g_string_append_printf (d,
                            "appsrc name=asrc format=time block=true max-bytes=1000000 "
                            "caps=audio/x-raw,format=S16LE,rate=%d,channels=2,"
                            "layout=interleaved ! audioconvert ! voaacenc bitrate=64000 ! "
                            "aacparse ! queue ! mux. ",
                            RATE);
  g_autofree char *desc = g_string_free (d, FALSE);
  r->pipeline = gst_parse_launch (desc, error);
  if (r->pipeline == NULL)
    return FALSE;
  r->vsrc = has_video && r->video_encode
                ? GST_APP_SRC (gst_bin_get_by_name (GST_BIN (r->pipeline), "vsrc"))
                : NULL;
  r->asrc = has_audio && r->audio_encode
                ? GST_APP_SRC (gst_bin_get_by_name (GST_BIN (r->pipeline), "asrc"))
                : NULL;
  CopyTrack *copies[2] = { NULL, NULL };
  gboolean built = TRUE;
  GstElement *mux = gst_bin_get_by_name (GST_BIN (r->pipeline), "mux");
  for (int v = 0; v < 2 && built; v++) {
    GPtrArray *pieces = v ? o->video : o->audio;
    if (pieces->len == 0 || (v ? r->video_encode : r->audio_encode))
      continue;
    CopyTrack *t = copies[v] = g_new0 (CopyTrack, 1);
    t->r = r;
    t->video = v;
    t->pieces = pieces;
    t->runs = g_ptr_array_new_with_free_func (copy_run_free);
    built = copy_track_build (r->pipeline, mux, t, error);
  }
  gst_object_unref (mux);
  if (!built) {
    g_clear_object (&r->vsrc);
    g_clear_object (&r->asrc);
    g_clear_object (&r->pipeline);
    copy_track_free (copies[0]);
    copy_track_free (copies[1]);
    return FALSE;
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
      gint64 v = has_video ? g_atomic_int_get (&r->vpos_ms) : G_MAXINT;
      gint64 a = has_audio ? g_atomic_int_get (&r->apos_ms) : G_MAXINT;
      progress (MIN (v, a) / 1000.0, o->duration_ms / 1000.0, user_data);
    }
    if (m == NULL)
      continue;
    GstMessageType type = GST_MESSAGE_TYPE (m);
    if (type == GST_MESSAGE_ERROR && !run_failed (r)) {
      GError *e = NULL;
      gst_message_parse_error (m, &e, NULL);
      CopyRun *run = g_object_get_data (G_OBJECT (GST_MESSAGE_SRC (m)), "cloudrec-merge-run");
      if (run != NULL && run_tiny (run)) {
        /* A lone frame whose program the demuxer did not find: left out. */
        GST_WARNING ("left out: %s (%s)", run_piece (run, 0)->file, e->message);
        g_error_free (e);
        copy_end_unlinked (run);
        gst_message_unref (m);
        continue;
      }
      if (run != NULL) {
        GError *named
            = g_error_new (CR_MERGE_ERROR, CR_MERGE_ERROR_MEDIA, "segment %s: %s (no %s in it?)",
                           run_piece (run, run->cur)->file, e->message,
                           run->track->video ? "H.264 video" : "AAC audio");
        g_error_free (e);
        e = named;
      } else
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
  copy_track_free (copies[0]);
  copy_track_free (copies[1]);
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
