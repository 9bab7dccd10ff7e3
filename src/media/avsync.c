/* Flash and beep detection in decoded media; see avsync.h. */
#include "avsync.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/elements.h"

GST_DEBUG_CATEGORY_STATIC (cr_avsync_debug);
#define GST_CAT_DEFAULT cr_avsync_debug
#define DEBUG_INIT()                                                                               \
  CR_DEBUG_INIT (cr_avsync_debug, "cloudrec-avsync", "cloudrec: flash and beep detection")

#define DECODE_TIMEOUT_S 120
#define FLASH_LUMA 200      /* mean luma of a white frame (the picture around it is darker) */
#define DARK_LUMA 180       /* ... and of the frame before a flash */
#define LOUD_LEVEL 0.4      /* |sample| of the beep (0.8 full scale) vs the tone (0.1) */
#define QUIET_BEFORE_MS 300 /* a beep starts after this much quiet */
#define PAIR_WINDOW_MS 500

typedef struct {
  gboolean video;
  gint64 start_ms;        /* the file's wall-clock start */
  gboolean own_timeline;  /* no wall-clock start: the file's own stream time (both tracks') */
  GstClockTime first_pts; /* of the first buffer decoded from the file */
  double prev_luma;       /* video: the previous frame's mean */
  double last_loud_ms;    /* audio: the last loud sample */
  GArray *marks;          /* double: wall-clock ms of each flash or beep onset */
  GArray *mark_files;     /* guint: the file of each mark (an index into the scanned list) */
  GArray *firsts;         /* GstClockTime: each file's first_pts (NONE: its own timeline) */
  guint file;             /* the file being scanned */
  double last_ms;         /* the end of the last buffer */
} Scan;

/* A file with a wall-clock start: its first buffer is at that start (a segment's FILE-ATTR).
 * Without: the buffer's stream time, which the file's audio and video share (an MP4's tracks may
 * start apart, e.g. an edit list delaying the video: measuring each from its own first buffer
 * would hide that). */
static double
scan_time_ms (Scan *s, GstPad *pad, GstClockTime pts)
{
  if (s->own_timeline) {
    g_autoptr (GstEvent) ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
    const GstSegment *seg = NULL;
    if (ev != NULL)
      gst_event_parse_segment (ev, &seg);
    guint64 st = seg != NULL && seg->format == GST_FORMAT_TIME
                     ? gst_segment_to_stream_time (seg, GST_FORMAT_TIME, pts)
                     : GST_CLOCK_TIME_NONE;
    if (GST_CLOCK_TIME_IS_VALID (st))
      return (double)s->start_ms + (double)st / GST_MSECOND;
  }
  if (!GST_CLOCK_TIME_IS_VALID (s->first_pts))
    s->first_pts = pts;
  return (double)s->start_ms + (double)GST_CLOCK_DIFF (s->first_pts, pts) / GST_MSECOND;
}

static void
scan_mark (Scan *s, double t_ms)
{
  g_array_append_val (s->marks, t_ms);
  g_array_append_val (s->mark_files, s->file);
}

static void
scan_video (Scan *s, const guint8 *data, gsize size, double t_ms)
{
  guint64 sum = 0;
  for (gsize i = 0; i < size; i++)
    sum += data[i];
  double luma = size > 0 ? (double)sum / (double)size : 0;
  if (luma > FLASH_LUMA && s->prev_luma < DARK_LUMA)
    scan_mark (s, t_ms);
  s->prev_luma = luma;
}

static void
scan_audio (Scan *s, const gint16 *samples, gsize n, double t_ms)
{
  const double loud = LOUD_LEVEL * 32767.0;
  for (gsize i = 0; i < n; i++) {
    double t = t_ms + (double)i * 1000.0 / 48000.0;
    if (abs (samples[i]) < loud)
      continue;
    if (t - s->last_loud_ms > QUIET_BEFORE_MS)
      scan_mark (s, t);
    s->last_loud_ms = t;
  }
}

static void
scan_on_handoff (GstElement *sink, GstBuffer *buf, GstPad *pad, gpointer data)
{
  Scan *s = data;
  if (!GST_BUFFER_PTS_IS_VALID (buf))
    return;
  double t = scan_time_ms (s, pad, GST_BUFFER_PTS (buf));
  GstMapInfo map;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return;
  if (s->video)
    scan_video (s, map.data, map.size, t);
  else
    scan_audio (s, (const gint16 *)map.data, map.size / 2, t);
  gst_buffer_unmap (buf, &map);
  double duration
      = GST_BUFFER_DURATION_IS_VALID (buf) ? (double)GST_BUFFER_DURATION (buf) / GST_MSECOND : 0;
  s->last_ms = MAX (s->last_ms, t + duration);
}

/* decodebin's pad of the wanted medium goes to the converter. */
static void
scan_on_decoded_pad (GstElement *decodebin, GstPad *pad, gpointer data)
{
  GstElement *convert = data;
  g_autoptr (GstPad) sink = gst_element_get_static_pad (convert, "sink");
  if (!gst_pad_is_linked (sink))
    gst_pad_link (pad, sink);
}

/* filesrc location=@path ! decodebin ! convert ! raw caps ! fakesink name=out */
static GstElement *
scan_pipeline (Scan *s, const char *path, GError **error)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = cr_element ("filesrc", NULL, error);
  GstElement *decode = src != NULL ? cr_element ("decodebin", NULL, error) : NULL;
  GstElement *convert = decode != NULL
                            ? cr_element (s->video ? "videoconvert" : "audioconvert", NULL, error)
                            : NULL;
  GstElement *resample = convert != NULL && !s->video ? cr_element ("audioresample", NULL, error)
                                                      : gst_element_factory_make ("identity", NULL);
  GstElement *sink = resample != NULL ? cr_element ("fakesink", "out", error) : NULL;
  if (sink == NULL) {
    gst_object_unref (pipeline);
    return NULL;
  }
  g_object_set (src, "location", path, NULL);
  g_object_set (sink, "sync", FALSE, "signal-handoffs", TRUE, NULL);
  GstCaps *raw
      = s->video ? gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "GRAY8", NULL)
                 : gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "channels",
                                        G_TYPE_INT, 1, "rate", G_TYPE_INT, 48000, NULL);
  g_signal_connect (decode, "pad-added", G_CALLBACK (scan_on_decoded_pad), convert);
  if (!cr_bin_chain (GST_BIN (pipeline), error, src, decode, NULL)
      || !cr_bin_chain (GST_BIN (pipeline), error, convert, resample, cr_capsfilter (raw), sink,
                        NULL)) {
    gst_object_unref (pipeline);
    return NULL;
  }
  return pipeline;
}

/* Decodes the @video or audio stream of @path into @s. */
static gboolean
scan_file (Scan *s, const char *path, GError **error)
{
  DEBUG_INIT ();
  GST_DEBUG ("scanning the %s of %s", s->video ? "video" : "audio", path);
  GstElement *pipeline = scan_pipeline (s, path, error);
  if (pipeline == NULL)
    return FALSE;
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  g_signal_connect (sink, "handoff", G_CALLBACK (scan_on_handoff), s);
  gst_object_unref (sink);
  s->first_pts = GST_CLOCK_TIME_NONE;
  gboolean ok = gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  GstMessage *msg = ok ? gst_bus_timed_pop_filtered (bus, DECODE_TIMEOUT_S * GST_SECOND,
                                                     GST_MESSAGE_EOS | GST_MESSAGE_ERROR)
                       : NULL;
  if (msg == NULL || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) cause = NULL;
    if (msg != NULL)
      gst_message_parse_error (msg, &cause, NULL);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "cannot decode the %s of %s: %s",
                 s->video ? "video" : "audio", path,
                 cause != NULL ? cause->message : "no end within the time limit");
    ok = FALSE;
  }
  g_clear_pointer (&msg, gst_message_unref);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return ok;
}

/* A file that does not decode is left out (counted in @skipped, the first cause kept in @error):
 * one damaged segment should not cost the whole report. FALSE when none of @files decoded. */
static gboolean
scan_files (Scan *s, const CrAvsyncFile *files, guint n, guint *skipped, GError **error)
{
  guint left_out = 0;
  for (guint i = 0; i < n; i++) {
    s->own_timeline = files[i].start_ms < 0;
    s->start_ms = files[i].start_ms >= 0 ? files[i].start_ms : (gint64)s->last_ms;
    g_autoptr (GError) cause = NULL;
    s->file = i;
    gboolean ok = scan_file (s, files[i].path, &cause);
    GstClockTime first = ok && !s->own_timeline ? s->first_pts : GST_CLOCK_TIME_NONE;
    g_array_append_val (s->firsts, first);
    if (!ok) {
      g_message ("A/V sync: %s (left out)", cause->message);
      if (error != NULL && *error == NULL)
        *error = g_steal_pointer (&cause);
      left_out++;
    }
  }
  *skipped += left_out;
  return n == 0 || left_out < n;
}

/* A file that holds both media (an A/V segment) starts at its FILE-ATTR time with whichever
 * medium comes first, and the demuxer gives both media one timeline: each medium's marks were
 * placed from its own first buffer, so the later one's move on by the distance between the two
 * (a mixed segment's sound may begin tens of ms before its first picture). */
static void
scan_align_shared_files (Scan *v, const CrAvsyncFile *video, Scan *a, const CrAvsyncFile *audio)
{
  for (guint i = 0; i < v->firsts->len; i++) {
    GstClockTime vf = g_array_index (v->firsts, GstClockTime, i);
    for (guint j = 0; GST_CLOCK_TIME_IS_VALID (vf) && j < a->firsts->len; j++) {
      GstClockTime af = g_array_index (a->firsts, GstClockTime, j);
      if (!GST_CLOCK_TIME_IS_VALID (af) || strcmp (video[i].path, audio[j].path) != 0)
        continue;
      GstClockTime origin = MIN (vf, af);
      Scan *scans[2] = { v, a };
      guint files[2] = { i, j };
      double moves[2]
          = { (double)(vf - origin) / GST_MSECOND, (double)(af - origin) / GST_MSECOND };
      for (guint k = 0; k < 2; k++) {
        for (guint m = 0; m < scans[k]->marks->len; m++) {
          if (g_array_index (scans[k]->mark_files, guint, m) == files[k])
            g_array_index (scans[k]->marks, double, m) += moves[k];
        }
      }
      break;
    }
  }
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

gboolean
cr_avsync_measure (const CrAvsyncFile *video, guint n_video, const CrAvsyncFile *audio,
                   guint n_audio, CrAvsyncReport *out, GError **error)
{
  *out = (CrAvsyncReport){ 0 };
  Scan v = { .video = TRUE, .prev_luma = 255 };
  Scan a = { .video = FALSE, .last_loud_ms = -1e18 };
  Scan *both[2] = { &v, &a };
  for (guint k = 0; k < 2; k++) {
    both[k]->marks = g_array_new (FALSE, FALSE, sizeof (double));
    both[k]->mark_files = g_array_new (FALSE, FALSE, sizeof (guint));
    both[k]->firsts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  }
  g_autoptr (GError) cause = NULL;
  gboolean ok = scan_files (&v, video, n_video, &out->skipped, &cause)
                && scan_files (&a, audio, n_audio, &out->skipped, &cause);
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&cause));
  if (ok) {
    scan_align_shared_files (&v, video, &a, audio);
    for (guint k = 0; k < 2; k++)
      for (guint m = 0; m < both[k]->marks->len; m++)
        GST_LOG ("%s at %.1f ms (file %u)", k == 0 ? "flash" : "beep",
                 g_array_index (both[k]->marks, double, m),
                 g_array_index (both[k]->mark_files, guint, m));
    out->flashes = v.marks->len;
    out->beeps = a.marks->len;
    out->measured_s = n_video > 0 ? (v.last_ms - (double)video[0].start_ms) / 1000.0 : 0;
    g_autoptr (GArray) offsets = g_array_new (FALSE, FALSE, sizeof (double));
    for (guint i = 0; i < v.marks->len; i++) {
      double flash = g_array_index (v.marks, double, i), best = PAIR_WINDOW_MS;
      for (guint j = 0; j < a.marks->len; j++) {
        double d = g_array_index (a.marks, double, j) - flash;
        if (fabs (d) < fabs (best))
          best = d;
      }
      if (fabs (best) < PAIR_WINDOW_MS)
        g_array_append_val (offsets, best);
    }
    out->pairs = offsets->len;
    if (offsets->len > 0) {
      g_array_sort (offsets, compare_doubles);
      out->min_ms = g_array_index (offsets, double, 0);
      out->max_ms = g_array_index (offsets, double, offsets->len - 1);
      out->offset_ms = g_array_index (offsets, double, offsets->len / 2);
    }
  }
  for (guint k = 0; k < 2; k++) {
    g_array_unref (both[k]->marks);
    g_array_unref (both[k]->mark_files);
    g_array_unref (both[k]->firsts);
  }
  return ok;
}

char *
cr_avsync_report_to_json (const CrAvsyncReport *r)
{
  return g_strdup_printf ("{\"Method\":\"%s\",\"Flashes\":%u,\"Beeps\":%u,\"Pairs\":%u,"
                          "\"OffsetMs\":%.1f,\"MinMs\":%.1f,\"MaxMs\":%.1f,"
                          "\"MeasuredSeconds\":%.1f,\"SkippedFiles\":%u}",
                          r->pairs > 0 ? "markers" : "none", r->flashes, r->beeps, r->pairs,
                          r->offset_ms, r->min_ms, r->max_ms, r->measured_s, r->skipped);
}
