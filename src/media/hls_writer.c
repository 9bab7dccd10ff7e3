/* TS fragments named, made durable and listed; see hls_writer.h. */
#include "hls_writer.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "common/file_util.h"
#include "files/naming.h"
#include "media/elements.h"
#include "media/ts_retime.h"
#include "media/ts_tables.h"
#include "media/ts_segment_sink.h"

GST_DEBUG_CATEGORY_STATIC (cr_hls_debug);
#define GST_CAT_DEFAULT cr_hls_debug
#define DEBUG_INIT()                                                                               \
  CR_DEBUG_INIT (cr_hls_debug, "cloudrec-hls", "cloudrec: HLS fragments named, retimed, listed")

struct _CrHlsWriter {
  GstElement *sink; /* splitmuxsink, or a TS segment sink (same signal and messages) */
  char *dir;
  char *stem;
  int type;
  guint media;
  CrPlaylist *playlist; /* borrowed */
  gboolean resumed;     /* the first segment follows a gap */
  char *playlist_name;
  char *playlist_path;
  /* Fragments named but not yet closed, by path: splitmuxsink names the next file before it
   * reports the previous one closed. */
  GHashTable *pending;   /* path -> Fragment */
  gint64 base_ms;        /* wall clock of the first fragment */
  GstClockTime base_pts; /* its first buffer's PTS */
  GMutex lock;           /* pending, playlist */
  CrHlsSegmentFunc on_segment;
  gpointer user_data;
  gboolean eos;
  gint64 start_ms;  /* > 0: the first fragment's start (made frames), not the wall clock */
  gboolean retimed; /* delta is known (from the first fragment closed) */
  gint64 delta;     /* 90 kHz ticks added to every timestamp of this writer's fragments */
};

typedef struct {
  char *name;
  gint64 start_ms;
  GstClockTime opened; /* running time, once opened */
  gint64 early_ms;     /* how long its sound starts before its first picture (first fragment) */
} Fragment;

static void
fragment_free (Fragment *f)
{
  g_free (f->name);
  g_free (f);
}

static gboolean
hls_write_playlist (CrHlsWriter *hw, GError **error)
{
  g_mutex_lock (&hw->lock);
  g_autofree char *text = cr_playlist_render (hw->playlist);
  g_mutex_unlock (&hw->lock);
  return cr_file_replace_durably (hw->playlist_path, text, strlen (text), error);
}

static void
fsync_path (const char *path)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd >= 0) {
    fsync (fd);
    close (fd);
  }
}

/* Moves the timestamps of the closed fragment @path (its bytes @data) so that they count from
 * the playlist's START-REC-TIME (ts_retime.h). One shift for all of a writer's fragments, taken
 * from the first: the fragments of one pipeline stay continuous, and the first one starts at its
 * FILE-ATTR time minus START-REC-TIME. A fresh playlist's START-REC-TIME is its first segment's
 * start (less the muxer's clock lead), so its first segment starts near 0; a stream that comes
 * back continues its playlist after the gap. TRUE when a timestamp moved.
 * Main context. */
static gboolean
hls_retime (CrHlsWriter *hw, const char *path, guint8 *data, gsize len, Fragment *f)
{
  if (!hw->retimed) {
    gint64 min_pts = -1, min_pcr = -1;
    cr_ts_scan (data, len, &min_pts, &min_pcr);
    gint64 min_video_pts = cr_ts_scan_video_pts (data, len);
    if (min_pts < 0) {
      g_warning ("hls %s: no timestamp in %s", hw->stem, path);
      return FALSE;
    }
    /* mpegtsmux's clock reference runs a little (125 ms) ahead of the first sample: the
     * recording begins with it, so that no timestamp is below 0. */
    gint64 lead_ms = min_pcr >= 0 && min_pcr < min_pts
                         ? (min_pts - min_pcr + CR_TS_CLOCK / 1000 - 1) / (CR_TS_CLOCK / 1000)
                         : 0;
    /* The fragment is named by its first picture's wall clock (the keyframe splitmuxsink cut
     * at), but sound that came before that picture is in it too (a camera that starts late, a
     * keyframe that takes a while): the file begins with that sound, so its FILE-ATTR time is
     * that much earlier, and file time + FILE-ATTR time is wall time for every sample. */
    if (hw->start_ms <= 0 && min_video_pts > min_pts
        && min_video_pts - min_pts < 60 * (gint64)CR_TS_CLOCK)
      f->early_ms = (min_video_pts - min_pts) / (CR_TS_CLOCK / 1000);
    f->start_ms -= f->early_ms;
    g_mutex_lock (&hw->lock);
    if (hw->playlist->segments->len == 0)
      hw->playlist->start_rec_ms = f->start_ms - lead_ms;
    gint64 since_ms = MAX (f->start_ms - hw->playlist->start_rec_ms, lead_ms);
    g_mutex_unlock (&hw->lock);
    hw->delta = since_ms * (CR_TS_CLOCK / 1000) - min_pts;
    hw->retimed = TRUE;
    GST_INFO ("%s: first PTS %" G_GINT64_FORMAT " PCR %" G_GINT64_FORMAT
              " (90 kHz); START-REC-TIME %" G_GINT64_FORMAT ", shift %" G_GINT64_FORMAT,
              hw->stem, min_pts, min_pcr, hw->playlist->start_rec_ms, hw->delta);
  }
  return cr_ts_shift (data, len, hw->delta) > 0;
}

/* A closed fragment fixed before it is listed, in one read and one write: its PAT and PMT first
 * (ts_tables.h: mpegtsmux writes sound that came before the first picture ahead of them) and its
 * timestamps moved. Main context. */
static void
hls_fix_fragment (CrHlsWriter *hw, const char *path, Fragment *f)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, &error)) {
    g_warning ("hls %s: %s", hw->stem, error->message);
    return;
  }
  gboolean moved = cr_ts_tables_first ((guint8 *)data, len) > 0;
  if (hls_retime (hw, path, (guint8 *)data, len, f))
    moved = TRUE;
  if (moved && !cr_file_overwrite (path, data, len, &error))
    g_warning ("hls %s: %s", hw->stem, error->message);
}

/* A fragment is closed: its tables first and its timestamps moved, made durable, then listed. */
static void
hls_fragment_closed (CrHlsWriter *hw, const char *location, GstClockTime running)
{
  g_autofree char *key = NULL;
  Fragment *f = NULL;
  g_mutex_lock (&hw->lock);
  if (location != NULL)
    g_hash_table_steal_extended (hw->pending, location, (gpointer *)&key, (gpointer *)&f);
  g_mutex_unlock (&hw->lock);
  if (f == NULL)
    return;
  GStatBuf st;
  guint64 bytes = g_stat (location, &st) == 0 ? (guint64)st.st_size : 0;
  if (bytes > 0)
    hls_fix_fragment (hw, location, f);
  fsync_path (location);
  double duration = GST_CLOCK_TIME_IS_VALID (running) && GST_CLOCK_TIME_IS_VALID (f->opened)
                        ? (double)(running - f->opened) / GST_SECOND + f->early_ms / 1000.0
                        : (double)(g_get_real_time () / 1000 - f->start_ms) / 1000.0;
  gboolean first = hw->playlist->segments->len == 0;
  GST_INFO ("%s: %s closed, %.3f s, %" G_GUINT64_FORMAT " bytes", hw->stem, f->name, duration,
            bytes);
  if (bytes > 0) {
    g_mutex_lock (&hw->lock);
    cr_playlist_add (hw->playlist, f->name, f->start_ms, duration, bytes, hw->resumed);
    CrSegment *added = g_ptr_array_index (hw->playlist->segments, hw->playlist->segments->len - 1);
    added->media = hw->media;
    added->width = hw->playlist->video_width;
    added->height = hw->playlist->video_height;
    g_mutex_unlock (&hw->lock);
    hw->resumed = FALSE;
    g_autoptr (GError) error = NULL;
    if (!hls_write_playlist (hw, &error))
      g_warning ("hls %s: %s", hw->stem, error->message);
    if (hw->on_segment != NULL)
      hw->on_segment (added, first, hw->user_data);
  }
  fragment_free (f);
}

gboolean
cr_hls_writer_handle_message (CrHlsWriter *hw, GstMessage *msg)
{
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    hw->eos = TRUE;
    return TRUE;
  }
  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT
      || GST_MESSAGE_SRC (msg) != GST_OBJECT (hw->sink))
    return FALSE;
  const GstStructure *s = gst_message_get_structure (msg);
  if (gst_structure_has_name (s, "splitmuxsink-fragment-opened")) {
    const char *location = gst_structure_get_string (s, "location");
    g_mutex_lock (&hw->lock);
    Fragment *f = location != NULL ? g_hash_table_lookup (hw->pending, location) : NULL;
    if (f != NULL)
      gst_structure_get_clock_time (s, "running-time", &f->opened);
    g_mutex_unlock (&hw->lock);
  } else if (gst_structure_has_name (s, "splitmuxsink-fragment-closed")) {
    GstClockTime running = GST_CLOCK_TIME_NONE;
    gst_structure_get_clock_time (s, "running-time", &running);
    hls_fragment_closed (hw, gst_structure_get_string (s, "location"), running);
  }
  return TRUE;
}

/* How long ago (ms) the first buffer of a fragment was live: the time it spent in queues, the
 * jitter buffer or an encoder's look-ahead before the muxer, so the name is the wall clock of
 * its first picture or sample, not of when the muxer got it. Negative for a buffer placed ahead
 * of its arrival (a recorded picture, by the AAC encoder's delay: media/aac_delay.h), at most
 * 1 s. */
static gint64
hls_queued_ms (GstElement *sink, GstSample *first, GstClockTime pts)
{
  const GstSegment *segment = first != NULL ? gst_sample_get_segment (first) : NULL;
  g_autoptr (GstClock) clock = gst_element_get_clock (sink);
  if (segment == NULL || clock == NULL || !GST_CLOCK_TIME_IS_VALID (pts))
    return 0;
  GstClockTime running = gst_segment_to_running_time (segment, GST_FORMAT_TIME, pts);
  GstClockTime now = gst_clock_get_time (clock) - gst_element_get_base_time (sink);
  if (!GST_CLOCK_TIME_IS_VALID (running))
    return 0;
  GstClockTimeDiff queued = GST_CLOCK_DIFF (running, now);
  if (queued > 10 * GST_SECOND || queued < -GST_SECOND)
    return 0;
  return (gint64)(queued / GST_MSECOND);
}

/* splitmuxsink asks for the next file name: named by the wall-clock start of the fragment. Called
 * from a streaming thread; the bus handlers that read `pending` run on the main context. */
static char *
hls_format_location (GstElement *sink, guint fragment, GstSample *first, gpointer data)
{
  CrHlsWriter *hw = data;
  Fragment *f = g_new0 (Fragment, 1);
  /* The first fragment starts now; later ones at the first one's time plus the media time passed,
   * so names do not drift with how late splitmuxsink asks (a keyframe wait, a busy thread). */
  GstBuffer *buf = first != NULL ? gst_sample_get_buffer (first) : NULL;
  GstClockTime pts = buf != NULL ? GST_BUFFER_PTS (buf) : GST_CLOCK_TIME_NONE;
  if (hw->base_ms == 0 || !GST_CLOCK_TIME_IS_VALID (pts) || !GST_CLOCK_TIME_IS_VALID (hw->base_pts)
      || pts < hw->base_pts) {
    f->start_ms = hw->base_ms == 0 && hw->start_ms > 0
                      ? hw->start_ms
                      : g_get_real_time () / 1000 - hls_queued_ms (sink, first, pts);
    if (hw->base_ms == 0 && GST_CLOCK_TIME_IS_VALID (pts)) {
      hw->base_ms = f->start_ms;
      hw->base_pts = pts;
    }
  } else {
    f->start_ms = hw->base_ms + (gint64)((pts - hw->base_pts) / GST_MSECOND);
  }
  f->opened = GST_CLOCK_TIME_NONE;
  f->name = cr_naming_ts (hw->stem, hw->type, f->start_ms);
  GST_DEBUG ("%s: fragment %u is %s (first PTS %" GST_TIME_FORMAT ")", hw->stem, fragment, f->name,
             GST_TIME_ARGS (pts));
  char *path = g_build_filename (hw->dir, f->name, NULL);
  g_mutex_lock (&hw->lock);
  g_hash_table_replace (hw->pending, g_strdup (path), f);
  g_mutex_unlock (&hw->lock);
  return path;
}

GstElement *
cr_hls_sink_new (GstElement *pipeline, guint segment_s, gboolean keyframe_requests,
                 GError **error)
{
  GstElement *sink = cr_element ("splitmuxsink", "sink", error);
  if (sink == NULL)
    return NULL;
  g_object_set (sink, "muxer-factory", "mpegtsmux", "max-size-time",
                (guint64)segment_s * GST_SECOND, "send-keyframe-requests", keyframe_requests,
                "async-finalize", FALSE, NULL);
  gst_bin_add (GST_BIN (pipeline), sink);
  return sink;
}

GstElement *
cr_hls_one_medium_sink_new (GstElement *pipeline, guint segment_s)
{
  GstElement *sink = cr_ts_segment_sink_new ((GstClockTime)segment_s * GST_SECOND, "sink");
  gst_bin_add (GST_BIN (pipeline), sink);
  return sink;
}

CrHlsWriter *
cr_hls_writer_new (GstElement *splitmuxsink, const char *dir, const char *stem, int type,
                   guint media, CrPlaylist *playlist, CrHlsSegmentFunc on_segment,
                   gpointer user_data)
{
  DEBUG_INIT ();
  CrHlsWriter *hw = g_new0 (CrHlsWriter, 1);
  hw->sink = gst_object_ref (splitmuxsink);
  hw->dir = g_strdup (dir);
  hw->stem = g_strdup (stem);
  hw->type = type;
  hw->media = media;
  hw->playlist = playlist;
  hw->resumed = playlist->segments->len > 0;
  playlist->ended = FALSE;
  hw->playlist_name = cr_naming_m3u8 (stem, type);
  hw->playlist_path = g_build_filename (dir, hw->playlist_name, NULL);
  hw->pending
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)fragment_free);
  hw->base_pts = GST_CLOCK_TIME_NONE;
  g_mutex_init (&hw->lock);
  hw->on_segment = on_segment;
  hw->user_data = user_data;
  g_signal_connect (splitmuxsink, "format-location-full", G_CALLBACK (hls_format_location), hw);
  return hw;
}

void
cr_hls_writer_set_start (CrHlsWriter *hw, gint64 start_ms)
{
  hw->start_ms = start_ms;
}

void
cr_hls_writer_set_video_size (CrHlsWriter *hw, int width, int height)
{
  g_mutex_lock (&hw->lock);
  hw->playlist->video_width = width;
  hw->playlist->video_height = height;
  g_mutex_unlock (&hw->lock);
}

const char *
cr_hls_writer_playlist_name (CrHlsWriter *hw)
{
  return hw->playlist_name;
}

gboolean
cr_hls_writer_stop_pipeline (CrHlsWriter *hw, GstElement *pipeline, GstBusFunc on_message,
                             gpointer data)
{
  gst_element_send_event (pipeline, gst_event_new_eos ());
  gint64 deadline = g_get_monotonic_time () + CR_HLS_EOS_TIMEOUT_S * G_USEC_PER_SEC;
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  while (!hw->eos && g_get_monotonic_time () < deadline) {
    GstMessage *msg = gst_bus_timed_pop (bus, 100 * GST_MSECOND);
    if (msg == NULL)
      continue;
    if (!cr_hls_writer_handle_message (hw, msg) && on_message != NULL)
      on_message (bus, msg, data);
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return hw->eos;
}

void
cr_hls_writer_finish (CrHlsWriter *hw)
{
  if (hw == NULL)
    return;
  /* No fragment-closed came for what is still open (no EOS in time): list what is on disk. */
  g_autofree gpointer *open = g_hash_table_get_keys_as_array (hw->pending, NULL);
  g_auto (GStrv) paths = g_strdupv ((char **)open);
  for (char **p = paths; *p != NULL; p++)
    hls_fragment_closed (hw, *p, GST_CLOCK_TIME_NONE);
  hw->playlist->ended = TRUE;
  g_autoptr (GError) error = NULL;
  if (hw->playlist->segments->len > 0 && !hls_write_playlist (hw, &error))
    g_warning ("hls %s: %s", hw->stem, error->message);
  g_signal_handlers_disconnect_by_data (hw->sink, hw);
  gst_object_unref (hw->sink);
  g_hash_table_unref (hw->pending);
  g_mutex_clear (&hw->lock);
  g_free (hw->playlist_name);
  g_free (hw->playlist_path);
  g_free (hw->dir);
  g_free (hw->stem);
  g_free (hw);
}
