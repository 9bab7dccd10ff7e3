/* Web-page recording (StartWebRecord): a page shown by Chromium on a virtual display of its own
 * (web_session.h), captured as one picture and one sound into the task's HLS, from which the
 * worker's end makes the MP4 as for a mixed recording.
 *
 * Why a recorder: the worker's loop (status, Stop as SIGTERM, the end-of-task files, storage,
 * failovers) is the same as a room's recording; only the source differs. A web task has no room:
 * the worker does not join one, and follow() is never called. The recorder keeps its own tick for
 * what only a page has: MaxDurationLimit and the browser's health.
 *
 * Capture: ximagesrc on the display and pulsesrc on the sink's monitor, both live; videorate makes
 * a constant frame rate (a page that paints nothing still gives every frame), x264 and AAC as in
 * a mix (mix_pipeline.c), written by the HLS writer (hls_writer.h).
 *
 * A board publisher's task (spec->web->publish: the class recording's whiteboard) shows its page
 * the same way but writes no files: board_publish.h publishes the display into a TRTC room. */
#include <gst/gst.h>
#include <string.h>

#include "common/json_util.h"
#include "media/elements.h"
#include "media/h264_keyframes.h"
#include "media/hls_writer.h"
#include "recorder/board_publish.h"
#include "recorder/recorder.h"
#include "recorder/web_session.h"

#define GST_CAT_DEFAULT cr_recorder_debug

#define WEB_FPS 15
#define WEB_SEGMENT_S 10
#define WEB_AUDIO_RATE 48000
#define WEB_AUDIO_CHANNELS 2
#define WEB_AUDIO_BITRATE 128000
#define WEB_TICK_MS 250
#define WEB_ATTACH_TIMEOUT_MS 15000 /* the browser's first page found and attached */
#define WEB_NAVIGATE_WAIT_MS                                                                       \
  10000 /* ReadyTimeout 0: how long an answer to the navigation                                    \
         * (or its failure) is waited for before capturing anyway */

typedef struct {
  CrRecorder base;
  CrWebSession *session;
  char *page_session; /* DevTools session of the page */
  GstElement *pipeline;
  CrHlsWriter *hls;
  CrPlaylist *playlist;
  CrBoardPublisher *board; /* a board publisher's task: the display goes into a room */
  guint bus_watch;
  guint tick;
  gint64 last_media_us; /* written on a streaming thread */
  gboolean loaded;      /* the page's load event came */
  gboolean navigated;   /* Page.navigate sent */
  gboolean nav_done;    /* Page.navigate answered (the page committed, or failed) */
  char *failure;        /* why the page cannot be recorded (set by DevTools answers and events) */
  gboolean attach_done; /* the attach sequence ended (page_session set, or failure) */
  int emulation_left;   /* EmulateMobileParams' calls not answered yet: the page waits for them */
} Web;

static void web_fail (Web *r, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
web_fail (Web *r, const char *fmt, ...)
{
  if (r->failure != NULL)
    return;
  va_list ap;
  va_start (ap, fmt);
  r->failure = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_warning ("task %s: %s", r->base.w->o->task_id, r->failure);
}

/* ---- DevTools: find the page, attach, emulate, navigate ---- */

static void
web_on_event (CrWebCdp *cdp, const char *method, JsonObject *params, const char *session_id,
              gpointer data)
{
  Web *r = data;
  if (strcmp (method, "Page.loadEventFired") == 0 && r->navigated) {
    if (!r->loaded)
      g_info ("task %s: the page loaded", r->base.w->o->task_id);
    r->loaded = TRUE;
  } else if (strcmp (method, "Inspector.targetCrashed") == 0) {
    web_fail (r, "the page crashed (its renderer process died)");
  } else if (strcmp (method, "Page.frameNavigated") == 0 && r->navigated) {
    JsonObject *frame = cr_json_get_object (params, "frame");
    if (frame != NULL && cr_json_get_string (frame, "parentId") == NULL)
      g_info ("task %s: the page is now %s", r->base.w->o->task_id,
              cr_json_get_string (frame, "url"));
  }
}

static void
web_on_navigate (CrWebCdp *cdp, JsonObject *result, const char *error, gpointer data)
{
  Web *r = data;
  const char *text = result != NULL ? cr_json_get_string (result, "errorText") : NULL;
  r->nav_done = TRUE;
  if (error != NULL)
    web_fail (r, "the page cannot be opened: %s", error);
  else if (text != NULL && *text != '\0')
    web_fail (r, "the page cannot be opened: %s", text);
}

static void
web_navigate (Web *r, CrWebCdp *cdp)
{
  JsonObject *nav = json_object_new ();
  json_object_set_string_member (nav, "url", r->base.w->spec->web->url);
  r->navigated = TRUE;
  cr_web_cdp_call (cdp, r->page_session, "Page.navigate", nav, web_on_navigate, r);
  g_info ("task %s: opening %s", r->base.w->o->task_id, r->base.w->spec->web->url);
}

static void
web_on_emulated (CrWebCdp *cdp, JsonObject *result, const char *error, gpointer data)
{
  Web *r = data;
  if (error != NULL)
    web_fail (r, "cannot emulate a mobile device: %s", error);
  else if (--r->emulation_left == 0)
    web_navigate (r, cdp);
}

static void
web_on_attached (CrWebCdp *cdp, JsonObject *result, const char *error, gpointer data)
{
  Web *r = data;
  Worker *w = r->base.w;
  const char *sid = result != NULL ? cr_json_get_string (result, "sessionId") : NULL;
  r->attach_done = TRUE;
  if (sid == NULL) {
    web_fail (r, "cannot attach to the browser's page: %s", error != NULL ? error : "no session");
    return;
  }
  r->page_session = g_strdup (sid);
  cr_web_cdp_call (cdp, sid, "Page.enable", NULL, NULL, NULL);
  cr_web_cdp_call (cdp, sid, "Inspector.enable", NULL, NULL, NULL);
  const CrSpecWeb *web = w->spec->web;
  if (web->mobile) {
    /* EmulateMobileParams: a phone or a tablet's viewport, touch and user agent. */
    JsonObject *metrics = json_object_new ();
    json_object_set_int_member (metrics, "width", web->width);
    json_object_set_int_member (metrics, "height", web->height);
    json_object_set_double_member (metrics, "deviceScaleFactor", 1.0);
    json_object_set_boolean_member (metrics, "mobile", TRUE);
    JsonObject *orientation = json_object_new ();
    json_object_set_string_member (orientation, "type",
                                   web->landscape ? "landscapePrimary" : "portraitPrimary");
    json_object_set_int_member (orientation, "angle", web->landscape ? 90 : 0);
    json_object_set_object_member (metrics, "screenOrientation", orientation);
    r->emulation_left = 3; /* the page is opened once all three are in force */
    cr_web_cdp_call (cdp, sid, "Emulation.setDeviceMetricsOverride", metrics, web_on_emulated, r);
    JsonObject *touch = json_object_new ();
    json_object_set_boolean_member (touch, "enabled", TRUE);
    json_object_set_int_member (touch, "maxTouchPoints", 5);
    cr_web_cdp_call (cdp, sid, "Emulation.setTouchEmulationEnabled", touch, web_on_emulated, r);
    JsonObject *ua = json_object_new ();
    json_object_set_string_member (
        ua, "userAgent",
        web->tablet ? "Mozilla/5.0 (Linux; Android 13; Tablet) AppleWebKit/537.36 (KHTML, like "
                      "Gecko) Chrome/120.0 Safari/537.36"
                    : "Mozilla/5.0 (Linux; Android 13; Phone) AppleWebKit/537.36 (KHTML, like "
                      "Gecko) Chrome/120.0 Mobile Safari/537.36");
    json_object_set_string_member (ua, "platform", "Android");
    cr_web_cdp_call (cdp, sid, "Emulation.setUserAgentOverride", ua, web_on_emulated, r);
  }
  if (r->emulation_left == 0)
    web_navigate (r, cdp);
}

static void
web_on_targets (CrWebCdp *cdp, JsonObject *result, const char *error, gpointer data)
{
  Web *r = data;
  JsonArray *targets = result != NULL ? cr_json_get_array (result, "targetInfos") : NULL;
  for (guint i = 0; targets != NULL && i < json_array_get_length (targets); i++) {
    JsonObject *t = json_array_get_object_element (targets, i);
    if (g_strcmp0 (cr_json_get_string (t, "type"), "page") != 0)
      continue;
    JsonObject *p = json_object_new ();
    json_object_set_string_member (p, "targetId", cr_json_get_string (t, "targetId"));
    json_object_set_boolean_member (p, "flatten", TRUE);
    cr_web_cdp_call (cdp, NULL, "Target.attachToTarget", p, web_on_attached, r);
    return;
  }
  r->attach_done = TRUE;
  web_fail (r, "the browser shows no page: %s", error != NULL ? error : "none listed");
}

static gboolean
web_wake (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context until @done (a flag of @r) or a failure, for at most @ms. TRUE when
 * @done became TRUE. */
static gboolean
web_wait (Web *r, const gboolean *done, gint64 ms)
{
  gboolean timed_out = FALSE;
  guint timer = g_timeout_add ((guint)ms, web_wake, &timed_out);
  while (!*done && r->failure == NULL && !timed_out && cr_web_session_failure (r->session) == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timer);
  return *done;
}

/* ---- the capture ---- */

static GstPadProbeReturn
web_on_media (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Web *r = data;
  __atomic_store_n (&r->last_media_us, g_get_monotonic_time (), __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

static void
web_on_segment (const CrSegment *segment, gboolean first, gpointer data)
{
  Web *r = data;
  worker_announce_segment (r->base.w, segment, first, cr_hls_writer_playlist_name (r->hls), "",
                           "audio_video", r->playlist->start_rec_ms);
}

static gboolean
web_on_bus (GstBus *bus, GstMessage *msg, gpointer data)
{
  Web *r = data;
  if (cr_hls_writer_handle_message (r->hls, msg))
    return G_SOURCE_CONTINUE;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) error = NULL;
    g_autofree char *debug = NULL;
    gst_message_parse_error (msg, &error, &debug);
    web_fail (r, "the capture failed: %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
              error->message, debug != NULL ? debug : "");
  }
  return G_SOURCE_CONTINUE;
}

#define MAKE(var, factory)                                                                         \
  GstElement *var = cr_element (factory, NULL, error);                                             \
  if (var == NULL)                                                                                 \
    return FALSE;

static gboolean
web_build_video (Web *r, GstElement *sink, GError **error)
{
  const CrSpecWeb *web = r->base.w->spec->web;
  MAKE (src, "ximagesrc");
  MAKE (q1, "queue");
  MAKE (convert, "videoconvert");
  MAKE (scale, "videoscale");
  MAKE (rate, "videorate");
  MAKE (q2, "queue");
  MAKE (enc, "x264enc");
  MAKE (parse, "h264parse");
  MAKE (q3, "queue");
  g_object_set (src, "display-name", cr_web_session_display (r->session), "use-damage", FALSE,
                "show-pointer", FALSE, "endx", (guint)(web->width - 1), "endy",
                (guint)(web->height - 1), NULL);
  cr_set (q1, "leaky", "downstream");
  g_object_set (q1, "max-size-buffers", 4, "max-size-bytes", 0, "max-size-time", (guint64)0, NULL);
  int kbps = CLAMP (web->width * web->height / 1000 * WEB_FPS / 9, 300, 4000);
  cr_set (enc, "speed-preset", "veryfast");
  cr_set (enc, "tune", "zerolatency");
  g_object_set (enc, "bframes", 0, "bitrate", kbps, "key-int-max", 2 * WEB_FPS, NULL);
  GstCaps *raw = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                                      G_TYPE_INT, web->width, "height", G_TYPE_INT, web->height,
                                      "framerate", GST_TYPE_FRACTION, WEB_FPS, 1, NULL);
  GstCaps *h264 = gst_caps_new_simple ("video/x-h264", "profile", G_TYPE_STRING, "high", NULL);
  if (!cr_bin_chain (GST_BIN (r->pipeline), error, src, q1, convert, scale, rate,
                     cr_capsfilter (raw), q2, enc, cr_capsfilter (h264), parse, q3, NULL))
    return FALSE;
  GstPad *parsed = gst_element_get_static_pad (parse, "src");
  cr_h264_mark_idr_keyframes (parsed); /* a segment starts at an IDR, not at a scene cut */
  gst_object_unref (parsed);
  GstPad *probe = gst_element_get_static_pad (q3, "src");
  gst_pad_add_probe (probe, GST_PAD_PROBE_TYPE_BUFFER, web_on_media, r, NULL);
  gst_object_unref (probe);
  GstPad *out = gst_element_get_static_pad (q3, "src");
  GstPad *in = gst_element_request_pad_simple (sink, "video");
  gboolean ok = in != NULL && gst_pad_link (out, in) == GST_PAD_LINK_OK;
  gst_object_unref (out);
  if (in != NULL)
    gst_object_unref (in);
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot link the picture to the files");
  return ok;
}

static gboolean
web_build_audio (Web *r, GstElement *sink, GError **error)
{
  MAKE (src, "pulsesrc");
  MAKE (convert, "audioconvert");
  MAKE (resample, "audioresample");
  MAKE (enc, "voaacenc");
  MAKE (parse, "aacparse");
  MAKE (q, "queue");
  g_object_set (src, "server", cr_web_session_pulse_server (r->session), "device",
                "cloudrec.monitor", "client-name", "cloudrec", NULL);
  g_object_set (enc, "bitrate", WEB_AUDIO_BITRATE, NULL);
  GstCaps *caps = gst_caps_new_simple ("audio/x-raw", "rate", G_TYPE_INT, WEB_AUDIO_RATE,
                                       "channels", G_TYPE_INT, WEB_AUDIO_CHANNELS, NULL);
  if (!cr_bin_chain (GST_BIN (r->pipeline), error, src, convert, resample, cr_capsfilter (caps),
                     enc, parse, q, NULL))
    return FALSE;
  GstPad *out = gst_element_get_static_pad (q, "src");
  GstPad *in = gst_element_request_pad_simple (sink, "audio_%u");
  gboolean ok = in != NULL && gst_pad_link (out, in) == GST_PAD_LINK_OK;
  gst_object_unref (out);
  if (in != NULL)
    gst_object_unref (in);
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot link the sound to the files");
  return ok;
}

#undef MAKE

static gboolean
web_start_capture (Web *r, GError **error)
{
  Worker *w = r->base.w;
  const CrSpecWeb *web = w->spec->web;
  /* ximagesrc's Xlib finds the display's cookie here (the worker shows one page). */
  g_setenv ("XAUTHORITY", cr_web_session_xauthority (r->session), TRUE);
  if (g_mkdir_with_parents (w->hls_dir, 0755) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create %s", w->hls_dir);
    return FALSE;
  }
  r->pipeline = gst_pipeline_new (NULL);
  /* The wall clock paces the files: pulsesrc would offer the null sink's clock, which runs slow
   * on a loaded machine (a fifth slow was measured: 8.8 s of page in 7.1 s of files); the sound
   * is resampled to the system clock instead (pulsesrc's slaving). */
  GstClock *clock = gst_system_clock_obtain ();
  gst_pipeline_use_clock (GST_PIPELINE (r->pipeline), clock);
  gst_object_unref (clock);
  GstElement *sink = cr_hls_sink_new (r->pipeline, WEB_SEGMENT_S, TRUE, error);
  if (sink == NULL || !web_build_video (r, sink, error) || !web_build_audio (r, sink, error))
    return FALSE;
  r->playlist = cr_playlist_new (NULL, NULL, TRUE, -1, g_get_real_time () / 1000);
  r->playlist->audio_channels = WEB_AUDIO_CHANNELS;
  r->playlist->audio_rate = WEB_AUDIO_RATE;
  r->playlist->video_width = web->width;
  r->playlist->video_height = web->height;
  g_hash_table_insert (w->playlists, g_strdup ("web"), r->playlist);
  g_autofree char *stem = cr_naming_mixed_stem (&w->naming);
  r->hls = cr_hls_writer_new (sink, w->hls_dir, stem, -1, CR_SEGMENT_AUDIO | CR_SEGMENT_VIDEO,
                              r->playlist, web_on_segment, r);
  cr_hls_writer_set_video_size (r->hls, web->width, web->height);
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (r->pipeline));
  r->bus_watch = gst_bus_add_watch (bus, web_on_bus, r);
  gst_object_unref (bus);
  if (gst_element_set_state (r->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the capture pipeline cannot start");
    return FALSE;
  }
  g_info ("task %s: capturing %s %dx%d at %d fps and its sound into %s", w->o->task_id,
          cr_web_session_display (r->session), web->width, web->height, WEB_FPS,
          cr_hls_writer_playlist_name (r->hls));
  return TRUE;
}

/* ---- the recorder ---- */

static gboolean
web_tick (gpointer data)
{
  Web *r = data;
  Worker *w = r->base.w;
  const char *why = r->failure != NULL ? r->failure : cr_web_session_failure (r->session);
  if (why != NULL) {
    r->tick = 0;
    worker_stop (
        w, CR_LEAVE_NONE,
        g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "web page %s: %s", w->spec->web->url, why));
    return G_SOURCE_REMOVE;
  }
  if (r->board != NULL)
    cr_board_publisher_tick (r->board);
  /* MaxDurationLimit counts from the task's creation: a failover does not extend it. */
  gint64 end_ms = w->task->created_ms + w->spec->web->max_duration_s * 1000;
  if (g_get_real_time () / 1000 >= end_ms) {
    g_info ("task %s: MaxDurationLimit (%" G_GINT64_FORMAT " s) reached; ending", w->o->task_id,
            w->spec->web->max_duration_s);
    r->tick = 0;
    worker_stop (w, CR_LEAVE_STOPPED, NULL);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static void web_finish (CrRecorder *base);

static CrRecorder *
web_start (Worker *w, GError **error)
{
  const CrSpecWeb *web = w->spec->web;
  if (!cr_web_session_check (w->o->web_user, error))
    return NULL;
  Web *r = g_new0 (Web, 1);
  r->base.klass = &cr_web_recorder_class;
  r->base.w = w;
  CrWebSessionOptions so = { w->o->task_id, w->o->web_user, web->width, web->height };
  r->session = cr_web_session_start (&so, web_on_event, r, error);
  if (r->session == NULL) {
    web_finish (&r->base);
    return NULL;
  }
  CrWebCdp *cdp = cr_web_session_cdp (r->session);
  cr_web_cdp_call (cdp, NULL, "Target.getTargets", NULL, web_on_targets, r);
  if (!web_wait (r, &r->attach_done, WEB_ATTACH_TIMEOUT_MS) && r->failure == NULL)
    web_fail (r, "the browser did not show its page within %d s", WEB_ATTACH_TIMEOUT_MS / 1000);
  /* A page that cannot be opened (refused, no such host) fails at once: the task cannot start.
   * ReadyTimeout: the page's load event within that many seconds, or the task cannot start. */
  gint64 since = g_get_monotonic_time ();
  gint64 ready_ms = web->ready_timeout_s * 1000;
  if (r->failure == NULL)
    web_wait (r, &r->nav_done, ready_ms > 0 ? ready_ms : WEB_NAVIGATE_WAIT_MS);
  gint64 left_ms = ready_ms - (g_get_monotonic_time () - since) / 1000;
  if (r->failure == NULL && ready_ms > 0
      && !(r->loaded || (left_ms > 0 && web_wait (r, &r->loaded, left_ms))) && r->failure == NULL)
    web_fail (r, "the page did not finish loading within ReadyTimeout (%" G_GINT64_FORMAT " s)",
              web->ready_timeout_s);
  const char *why = r->failure != NULL ? r->failure : cr_web_session_failure (r->session);
  if (why != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "web page %s: %s", web->url, why);
    web_finish (&r->base);
    return NULL;
  }
  if (web->publish != NULL) {
    g_setenv ("XAUTHORITY", cr_web_session_xauthority (r->session), TRUE);
    r->board = cr_board_publisher_start (w->o->task_id, w->spec->sdk_app_id, web->publish,
                                         cr_web_session_display (r->session),
                                         cr_web_session_xauthority (r->session), web->width,
                                         web->height, error);
    if (r->board == NULL) {
      web_finish (&r->base);
      return NULL;
    }
  } else if (!web_start_capture (r, error)) {
    web_finish (&r->base);
    return NULL;
  }
  r->tick = g_timeout_add (WEB_TICK_MS, web_tick, r);
  return &r->base;
}

static gboolean
web_follow (CrRecorder *base, const CrRoomView *room)
{
  return TRUE; /* never called: a page has no room */
}

static void
web_apply_spec (CrRecorder *base, const CrTaskSpec *old)
{
}

static gint64
web_last_media_us (CrRecorder *base)
{
  Web *r = (Web *)base;
  if (r->board != NULL)
    return cr_board_publisher_last_media_us (r->board);
  return __atomic_load_n (&r->last_media_us, __ATOMIC_RELAXED);
}

static void
web_finish (CrRecorder *base)
{
  Web *r = (Web *)base;
  if (r->tick != 0)
    g_source_remove (r->tick);
  if (r->pipeline != NULL) {
    if (r->bus_watch != 0)
      g_source_remove (r->bus_watch);
    if (r->hls != NULL) {
      /* Every file closed while the page still plays: last segment listed, playlist ended. */
      cr_hls_writer_stop_pipeline (r->hls, r->pipeline, web_on_bus, r);
      cr_hls_writer_finish (r->hls);
    } else {
      gst_element_set_state (r->pipeline, GST_STATE_NULL);
    }
    gst_object_unref (r->pipeline);
  }
  cr_board_publisher_stop (r->board);
  cr_web_session_stop (r->session);
  g_free (r->page_session);
  g_free (r->failure);
  g_free (r);
}

const CrRecorderClass cr_web_recorder_class = {
  .name = "web",
  .start = web_start,
  .follow = web_follow,
  .apply_spec = web_apply_spec,
  .last_media_us = web_last_media_us,
  .finish = web_finish,
};
