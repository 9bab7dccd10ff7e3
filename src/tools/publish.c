/* The WHIP client: synthetic source -> encoders -> payloaders -> webrtcbin (sendonly), offer with
 * every candidate POSTed, answer applied, run, DELETE. See publish.h. */
#include "publish.h"

#include <glib-unix.h>
#include <libsoup/soup.h>
#include <stdio.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "ingest/ice.h"
#include "media/sei_sync.h"
#include "tools/synthetic.h"

#define CONNECT_TIMEOUT_S 10
#define HTTP_TIMEOUT_S 10
#define RECONNECT_FIRST_MS 250
#define RECONNECT_MAX_MS 4000

/* What outlives one WHIP session: the main loop, whether the run is over (SIGINT/SIGTERM or
 * the duration), so that --reconnect does not start another session, and the duration's timer,
 * started when the first session connects (a busy machine's slow start does not eat into the
 * media a test asked for). */
typedef struct {
  GMainLoop *loop;
  gboolean stopped;
  int duration_s;
  guint end; /* the duration's timer, 0 until the first connection */
} Run;

typedef struct {
  const CrPublishOptions *o;
  Run *run;
  GMainLoop *loop;
  GstElement *pipeline;
  GstElement *webrtc;
  SoupSession *http;
  GUri *endpoint;
  char *resource; /* absolute URL of the session, once created */
  GError *error;  /* the first failure */
  gboolean connected;
  gboolean offered;
  guint timer;
  guint liveness;    /* the OPTIONS poll of the session */
  GstElement *valve; /* the camera switch (video_pause_*) */
  guint pause_timer;
  GstElement *mute[2]; /* RTP switches before webrtcbin, [0] audio, [1] video (mute_*) */
  guint mute_timer;
  gboolean polling;
  GCancellable *cancel;
  CrSyntheticMarks *marks; /* where the synthetic picture's flashes put the beeps */
} Publish;

static void
publish_fail (Publish *p, GError *error)
{
  if (p->error == NULL)
    p->error = error;
  else
    g_error_free (error);
  g_main_loop_quit (p->loop);
}

/* ---- media ---- */

static GstElement *
make (GstElement *bin, const char *factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  if (e != NULL)
    gst_bin_add (GST_BIN (bin), e);
  return e;
}

static GstCaps *
publish_codec_caps (const CrPublishOptions *o, gboolean video)
{
  if (!video)
    return gst_caps_from_string ("application/x-rtp, media=audio, encoding-name=OPUS, payload=111, "
                                 "clock-rate=48000, encoding-params=(string)2, "
                                 "rtcp-fb-transport-cc=(boolean)true");
  if (o->vp8)
    return gst_caps_from_string ("application/x-rtp, media=video, encoding-name=VP8, payload=96, "
                                 "clock-rate=90000, rtcp-fb-nack=(boolean)true, "
                                 "rtcp-fb-nack-pli=(boolean)true, rtcp-fb-ccm-fir=(boolean)true");
  /* level 3.1 (1280x720) for the synthetic source; a captured display (a board up to 3000x3000)
   * needs level 5.1, which x264 otherwise refuses to encode into */
  g_autofree char *caps = g_strdup_printf (
      "application/x-rtp, media=video, encoding-name=H264, payload=96, clock-rate=90000, "
      "packetization-mode=(string)1, profile-level-id=(string)%s, rtcp-fb-nack=(boolean)true, "
      "rtcp-fb-nack-pli=(boolean)true, rtcp-fb-ccm-fir=(boolean)true",
      o->capture_display != NULL ? "42e033" : "42e01f");
  return gst_caps_from_string (caps);
}

/* The camera goes off (first call) and on again (second). */
static gboolean
publish_toggle_camera (gpointer data)
{
  Publish *p = data;
  gboolean drop = FALSE;
  g_object_get (p->valve, "drop", &drop, NULL);
  g_object_set (p->valve, "drop", !drop, NULL);
  g_info ("camera %s", drop ? "on" : "off");
  if (drop) {
    p->pause_timer = 0;
    return G_SOURCE_REMOVE;
  }
  p->pause_timer = g_timeout_add_seconds ((guint)p->o->video_pause_s, publish_toggle_camera, p);
  return G_SOURCE_REMOVE;
}

/* Both RTP streams stop (first call) and go on again (second); RTCP and ICE go on. */
static gboolean
publish_toggle_mute (gpointer data)
{
  Publish *p = data;
  gboolean muted = FALSE;
  for (int i = 0; i < 2; i++) {
    if (p->mute[i] != NULL) {
      g_object_get (p->mute[i], "drop", &muted, NULL);
      g_object_set (p->mute[i], "drop", !muted, NULL);
    }
  }
  g_info ("RTP %s", muted ? "on" : "off");
  p->mute_timer = muted ? 0 : g_timeout_add_seconds ((guint)p->o->mute_s, publish_toggle_mute, p);
  return G_SOURCE_REMOVE;
}

/* A raw H.264 stream has decode times only (at --fps); without B-frames, show them then too. */
static GstPadProbeReturn
publish_pts_from_dts (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!GST_BUFFER_PTS_IS_VALID (buf) && GST_BUFFER_DTS_IS_VALID (buf)) {
    buf = gst_buffer_make_writable (buf);
    GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf);
    GST_PAD_PROBE_INFO_DATA (info) = buf;
  }
  return GST_PAD_PROBE_OK;
}

/* @desc (a bin whose filesrc is named "file") reading @file, or NULL with @error. */
static GstElement *
publish_file_bin (const char *desc, gboolean ghost, const char *file, GError **error)
{
  GstElement *src = gst_parse_bin_from_description (desc, ghost, error);
  if (src == NULL)
    return NULL;
  GstElement *filesrc = gst_bin_get_by_name (GST_BIN (src), "file");
  g_object_set (filesrc, "location", file, NULL);
  gst_object_unref (filesrc);
  return src;
}

/* --from: a raw H.264 (Annex B) file, paced at @fps, not re-encoded (a cheap publisher for
 * benches, or a recording played back into a room). */
static GstElement *
publish_file_source (const char *file, int fps, GError **error)
{
  g_autofree char *desc = g_strdup_printf (
      "filesrc name=file ! video/x-h264,stream-format=byte-stream,framerate=%d/1 ! "
      "h264parse name=parse config-interval=-1 ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! identity sync=true",
      fps);
  GstElement *src = publish_file_bin (desc, TRUE, file, error);
  if (src == NULL)
    return NULL;
  GstElement *parse = gst_bin_get_by_name (GST_BIN (src), "parse");
  GstPad *out = gst_element_get_static_pad (parse, "src");
  gst_pad_add_probe (out, GST_PAD_PROBE_TYPE_BUFFER, publish_pts_from_dts, NULL, NULL);
  gst_object_unref (out);
  gst_object_unref (parse);
  return src;
}

/* --from-audio: the Opus packets of an Ogg file, paced by their timestamps, not re-encoded (a
 * publisher that costs almost nothing, for capacity benches). */
static GstElement *
publish_opus_file_source (const char *file, GError **error)
{
  /* Ghosted by hand: the demuxer's pad comes later, so automatic ghosting would take the
   * parser's sink, still unlinked when the bin is made, as the bin's input. */
  GstElement *src = publish_file_bin (
      "filesrc name=file ! oggdemux ! opusparse ! identity name=out sync=true", FALSE, file, error);
  if (src == NULL)
    return NULL;
  GstElement *out = gst_bin_get_by_name (GST_BIN (src), "out");
  GstPad *pad = gst_element_get_static_pad (out, "src");
  gst_element_add_pad (src, gst_ghost_pad_new ("src", pad));
  gst_object_unref (pad);
  gst_object_unref (out);
  return src;
}

/* The raw picture to encode: the synthetic source, or (capture_display) an X display captured
 * at o->fps and o->width x o->height (the board publisher's: recorder/board_publish.c). */
static GstElement *
publish_video_source (const CrPublishOptions *o, CrSyntheticMarks *marks, GError **error)
{
  if (o->capture_display == NULL) {
    CrSyntheticVideo v = { o->width, o->height, o->fps, o->solid, o->argb, o->plain,
                           o->white_at_ms, o->sync_offset_ms };
    return cr_synthetic_video_new (&v, marks);
  }
  /* ximagesrc is live and sends frames only as fast as it can read them; videorate makes the
   * constant frame rate an encoder and a mix expect. Xlib finds the display's cookie in
   * XAUTHORITY. */
  g_autofree char *desc = g_strdup_printf (
      "ximagesrc name=x use-damage=false show-pointer=false ! queue leaky=downstream "
      "max-size-buffers=4 max-size-bytes=0 max-size-time=0 ! videoconvert ! videoscale ! "
      "videorate ! video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! queue",
      o->width, o->height, o->fps);
  GstElement *src = gst_parse_bin_from_description (desc, TRUE, error);
  if (src == NULL)
    return NULL;
  GstElement *x = gst_bin_get_by_name (GST_BIN (src), "x");
  g_object_set (x, "display-name", o->capture_display, "endx", (guint)(o->width - 1), "endy",
                (guint)(o->height - 1), NULL);
  gst_object_unref (x);
  return src;
}

/* --sync-time-sei: the next access unit after a second without one carries the board clock of
 * its capture (wall ms of its running time + the offset) in an SEI before its first slice. */
typedef struct {
  gint64 offset_ms;
  gint64 last_ms;
} SeiWriter;

static GstPadProbeReturn
publish_insert_sei (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  SeiWriter *w = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gint64 now = g_get_real_time () / 1000;
  if (w->last_ms != 0 && now - w->last_ms < 1000)
    return GST_PAD_PROBE_OK;
  /* the capture's wall clock: now less the time the frame spent in the encoder and queues */
  gint64 age = 0;
  GstElement *parent = GST_ELEMENT (gst_pad_get_parent (pad));
  GstClock *clock = parent != NULL ? gst_element_get_clock (parent) : NULL;
  if (clock != NULL && GST_BUFFER_PTS_IS_VALID (buf)) {
    GstClockTime running = gst_clock_get_time (clock) - gst_element_get_base_time (parent);
    if (running >= GST_BUFFER_PTS (buf) && running - GST_BUFFER_PTS (buf) < 10 * GST_SECOND)
      age = (gint64)((running - GST_BUFFER_PTS (buf)) / GST_MSECOND);
  }
  g_clear_object (&clock);
  g_clear_object (&parent);
  GstMapInfo map;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  gsize at = cr_sei_insert_offset (map.data, map.size);
  gboolean has_slice = at < map.size;
  gst_buffer_unmap (buf, &map);
  if (!has_slice)
    return GST_PAD_PROBE_OK;
  g_autoptr (GBytes) sei = cr_sei_build_sync_time (now - age + w->offset_ms);
  gsize n;
  const guint8 *d = g_bytes_get_data (sei, &n);
  GstBuffer *out = gst_buffer_copy_region (buf, GST_BUFFER_COPY_METADATA, 0, 0);
  GstBuffer *head = gst_buffer_copy_region (buf, GST_BUFFER_COPY_MEMORY, 0, at);
  GstBuffer *tail = gst_buffer_copy_region (buf, GST_BUFFER_COPY_MEMORY, at, (gsize)-1);
  out = gst_buffer_append (out, head);
  out = gst_buffer_append (out, gst_buffer_new_memdup (d, n));
  out = gst_buffer_append (out, tail);
  gst_buffer_unref (buf);
  GST_PAD_PROBE_INFO_DATA (info) = out;
  w->last_ms = now;
  return GST_PAD_PROBE_OK;
}

/* source -> encoder -> payloader -> webrtcbin, the transceiver sendonly with our codec. */
static gboolean
publish_add_track (Publish *p, gboolean video, GError **error)
{
  const CrPublishOptions *o = p->o;
  GstElement *src, *enc, *pay;
  if (!video && o->from_audio_file != NULL) {
    src = publish_opus_file_source (o->from_audio_file, error);
    if (src == NULL)
      return FALSE;
    gst_bin_add (GST_BIN (p->pipeline), src);
    pay = make (p->pipeline, "rtpopuspay");
    if (pay == NULL || !gst_element_link (src, pay))
      goto missing;
    g_object_set (pay, "pt", 111u, NULL); /* as in publish_codec_caps */
    goto payloaded;
  }
  /* Video: the camera's valve, then a queue; audio: a converter. */
  GstElement *convert = make (p->pipeline, video ? "valve" : "audioconvert");
  GstElement *into_enc = convert;
  if (video && convert != NULL) {
    into_enc = make (p->pipeline, "queue");
    if (into_enc == NULL || !gst_element_link (convert, into_enc))
      goto missing;
    p->valve = convert;
  }
  if (video && o->from_file != NULL) {
    src = publish_file_source (o->from_file, o->fps, error);
    if (src == NULL)
      return FALSE;
    gst_bin_add (GST_BIN (p->pipeline), src);
    pay = make (p->pipeline, "rtph264pay");
    if (pay == NULL)
      goto missing;
    g_object_set (pay, "config-interval", -1, "aggregate-mode", 1 /* zero-latency */, NULL);
    g_object_set (pay, "pt", 96u, NULL);
    if (!gst_element_link (src, convert) || !gst_element_link (into_enc, pay))
      goto missing;
    goto payloaded;
  }
  if (video) {
    src = publish_video_source (o, p->marks, error);
    if (src == NULL)
      return FALSE;
    gst_bin_add (GST_BIN (p->pipeline), src);
    int kbps = o->video_kbps > 0 ? o->video_kbps
                                 : MAX (200, (int)((gint64)o->width * o->height * o->fps / 4600));
    if (o->vp8) {
      enc = make (p->pipeline, "vp8enc");
      if (enc != NULL)
        g_object_set (enc, "deadline", (gint64)1, "target-bitrate", kbps * 1000,
                      "keyframe-max-dist", 2 * o->fps, "end-usage", 1 /* cbr */, "cpu-used", 8,
                      "threads", 2, NULL);
      pay = make (p->pipeline, "rtpvp8pay");
    } else {
      enc = make (p->pipeline, "x264enc");
      if (enc != NULL)
        gst_util_set_object_arg (G_OBJECT (enc), "tune", "zerolatency");
      if (enc != NULL)
        g_object_set (enc, "bitrate", (guint)kbps, "key-int-max", (guint)(2 * o->fps),
                      "speed-preset", 1 /* ultrafast */, "threads", 2, NULL);
      GstElement *profile = make (p->pipeline, "capsfilter");
      g_autoptr (GstCaps) caps
          = gst_caps_from_string ("video/x-h264, profile=constrained-baseline, "
                                  "stream-format=byte-stream, alignment=au");
      g_object_set (profile, "caps", caps, NULL);
      pay = make (p->pipeline, "rtph264pay");
      if (pay != NULL)
        g_object_set (pay, "config-interval", -1, "aggregate-mode", 1 /* zero-latency */, NULL);
      if (enc == NULL || pay == NULL || !gst_element_link (enc, profile)
          || !gst_element_link (profile, pay))
        goto missing;
      goto linked;
    }
  } else {
    src = cr_synthetic_audio_new (o->plain ? o->tone_hz : 0, p->marks);
    gst_bin_add (GST_BIN (p->pipeline), src);
    enc = make (p->pipeline, "opusenc");
    pay = make (p->pipeline, "rtpopuspay");
  }
  if (enc == NULL || pay == NULL || !gst_element_link (enc, pay))
    goto missing;
linked:
  g_object_set (pay, "pt", video ? 96u : 111u, NULL); /* as in publish_codec_caps */
  if (convert == NULL || !gst_element_link (src, convert) || !gst_element_link (into_enc, enc))
    goto missing;
payloaded:;
  if (video && !o->vp8 && o->sync_sei) {
    GstPad *in = gst_element_get_static_pad (pay, "sink");
    SeiWriter *w = g_new0 (SeiWriter, 1);
    w->offset_ms = o->sync_offset_ms;
    gst_pad_add_probe (in, GST_PAD_PROBE_TYPE_BUFFER, publish_insert_sei, w, g_free);
    gst_object_unref (in);
  }
  /* The RTP switch of --mute: after the payloader, so webrtcbin's RTCP goes on without RTP. */
  GstElement *mute = make (p->pipeline, "valve");
  if (mute == NULL || !gst_element_link (pay, mute))
    goto missing;
  p->mute[video ? 1 : 0] = mute;
  GstPad *sink = gst_element_request_pad_simple (p->webrtc, "sink_%u");
  GstPad *out = gst_element_get_static_pad (mute, "src");
  gboolean ok = gst_pad_link (out, sink) == GST_PAD_LINK_OK;
  GstWebRTCRTPTransceiver *trans = NULL;
  g_object_get (sink, "transceiver", &trans, NULL);
  if (trans != NULL) {
    g_autoptr (GstCaps) codec = publish_codec_caps (o, video);
    g_object_set (trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                  "codec-preferences", codec, NULL);
    gst_object_unref (trans);
  }
  gst_object_unref (out);
  gst_object_unref (sink);
  if (ok)
    return TRUE;
missing:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               "cannot build the %s track (GStreamer elements x264enc/vp8enc, opusenc and the RTP "
               "payloaders come with gstreamer1.0-plugins-ugly/good/bad)",
               video ? "video" : "audio");
  return FALSE;
}

/* ---- WHIP ---- */

static void
publish_on_answer_set (GstPromise *promise, gpointer data)
{
  Publish *p = data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  GError *error = NULL;
  if (reply != NULL && gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL))
    publish_fail (p, error);
  gst_promise_unref (promise);
}

static void
publish_on_posted (GObject *source, GAsyncResult *res, gpointer data)
{
  Publish *p = data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), res);
  GError *error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &error);
  if (body == NULL) {
    publish_fail (p, error);
    return;
  }
  gsize len = 0;
  const char *text = g_bytes_get_data (body, &len);
  g_autofree char *reply = g_strstrip (g_strndup (text, len));
  guint status = soup_message_get_status (msg);
  if (status != SOUP_STATUS_CREATED) {
    publish_fail (p, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                                  "the server refused to publish (HTTP %u): %s", status, reply));
    return;
  }
  const char *location
      = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Location");
  g_autoptr (GUri) resource
      = location != NULL ? g_uri_parse_relative (p->endpoint, location, SOUP_HTTP_URI_FLAGS, NULL)
                         : NULL;
  GstSDPMessage *sdp = NULL;
  gst_sdp_message_new (&sdp);
  if (resource == NULL
      || gst_sdp_message_parse_buffer ((const guint8 *)text, (guint)len, sdp) != GST_SDP_OK) {
    gst_sdp_message_free (sdp);
    publish_fail (p, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                  "the server answered 201 without %s",
                                  resource == NULL ? "a Location" : "an SDP answer"));
    return;
  }
  p->resource = g_uri_to_string (resource);
  GstWebRTCSessionDescription *answer
      = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  g_signal_emit_by_name (p->webrtc, "set-remote-description", answer,
                         gst_promise_new_with_change_func (publish_on_answer_set, p, NULL));
  gst_webrtc_session_description_free (answer);
  const CrPublishOptions *o = p->o;
  printf ("publishing %s of user %s in room %s to %s\n", o->aux ? "aux" : "main", o->user, o->room,
          p->resource);
  fflush (stdout);
}

/* Runs on the main loop once the offer holds every candidate. */
static gboolean
publish_post_offer (gpointer data)
{
  Publish *p = data;
  GstWebRTCSessionDescription *local = NULL;
  g_object_get (p->webrtc, "local-description", &local, NULL);
  if (local == NULL)
    return G_SOURCE_REMOVE;
  g_autofree char *offer = gst_sdp_message_as_text (local->sdp);
  gst_webrtc_session_description_free (local);
  SoupMessage *msg = soup_message_new_from_uri ("POST", p->endpoint);
  g_autofree char *bearer = g_strdup_printf ("Bearer %s", p->o->usersig);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
  g_autoptr (GBytes) body = g_bytes_new (offer, strlen (offer));
  soup_message_set_request_body_from_bytes (msg, "application/sdp", body);
  soup_session_send_and_read_async (p->http, msg, G_PRIORITY_DEFAULT, NULL, publish_on_posted, p);
  g_object_unref (msg);
  return G_SOURCE_REMOVE;
}

static void
publish_on_gathering (GObject *webrtc, GParamSpec *pspec, gpointer data)
{
  Publish *p = data;
  GstWebRTCICEGatheringState state;
  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE && p->offered)
    g_idle_add (publish_post_offer, p);
}

static void
publish_on_offer_set (GstPromise *promise, gpointer data)
{
  Publish *p = data;
  gst_promise_unref (promise);
  p->offered = TRUE;
  publish_on_gathering (G_OBJECT (p->webrtc), NULL, p);
}

static void
publish_on_offer (GstPromise *promise, gpointer data)
{
  Publish *p = data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  GstWebRTCSessionDescription *offer = NULL;
  if (reply != NULL)
    gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
  gst_promise_unref (promise);
  if (offer == NULL) {
    publish_fail (p, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "webrtcbin made no offer"));
    return;
  }
  g_signal_emit_by_name (p->webrtc, "set-local-description", offer,
                         gst_promise_new_with_change_func (publish_on_offer_set, p, NULL));
  gst_webrtc_session_description_free (offer);
}

static void
publish_on_negotiation_needed (GstElement *webrtc, gpointer data)
{
  Publish *p = data;
  if (p->offered)
    return;
  g_signal_emit_by_name (webrtc, "create-offer", NULL,
                         gst_promise_new_with_change_func (publish_on_offer, p, NULL));
}

static gboolean
publish_connection_lost (gpointer data)
{
  Publish *p = data;
  publish_fail (p, g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                "the WebRTC connection to the server failed or closed"));
  return G_SOURCE_REMOVE;
}

static gboolean publish_stop (gpointer data);

/* On the main loop: the first connection starts --duration's count. */
static gboolean
publish_start_duration (gpointer data)
{
  Run *run = data;
  if (run->duration_s > 0 && run->end == 0 && !run->stopped)
    run->end = g_timeout_add_seconds ((guint)run->duration_s, publish_stop, run);
  return G_SOURCE_REMOVE;
}

static void
publish_on_connection_state (GObject *webrtc, GParamSpec *pspec, gpointer data)
{
  Publish *p = data;
  GstWebRTCPeerConnectionState state;
  g_object_get (webrtc, "connection-state", &state, NULL);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
    p->connected = TRUE;
    g_idle_add (publish_start_duration, p->run);
  } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED
             || (state == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED && p->connected))
    g_idle_add (publish_connection_lost, p);
}

/* ---- lifetime ---- */

/* The server can end a session (RemoveUser, DismissRoom, its watchdog) and WHIP has no way to
 * say so; the session resource answering 404 to OPTIONS is how we learn it. */
static void
publish_on_liveness (GObject *source, GAsyncResult *res, gpointer data)
{
  Publish *p = data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), res);
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, NULL);
  p->polling = FALSE;
  if (body != NULL && soup_message_get_status (msg) == SOUP_STATUS_NOT_FOUND) {
    g_clear_pointer (&p->resource, g_free); /* nothing left to DELETE */
    publish_fail (p, g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                  "the server ended the session (the user was removed, the room "
                                  "dismissed, or the media timed out)"));
  }
}

static gboolean
publish_poll_liveness (gpointer data)
{
  Publish *p = data;
  if (p->resource == NULL || p->polling)
    return G_SOURCE_CONTINUE;
  g_autoptr (SoupMessage) msg = soup_message_new ("OPTIONS", p->resource);
  if (msg == NULL)
    return G_SOURCE_CONTINUE;
  p->polling = TRUE;
  soup_session_send_and_read_async (p->http, msg, G_PRIORITY_DEFAULT, p->cancel,
                                    publish_on_liveness, p);
  return G_SOURCE_CONTINUE;
}

static gboolean
publish_connect_deadline (gpointer data)
{
  Publish *p = data;
  p->timer = 0;
  if (!p->connected)
    publish_fail (p, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                  "no WebRTC connection to the server within %d s (ICE/DTLS)",
                                  CONNECT_TIMEOUT_S));
  return G_SOURCE_REMOVE;
}

/* The handler of SIGINT/SIGTERM and of the duration timer; cr_publish_run removes them. */
static gboolean
publish_stop (gpointer data)
{
  Run *run = data;
  run->stopped = TRUE;
  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
publish_on_bus (GstBus *bus, GstMessage *message, gpointer data)
{
  Publish *p = data;
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    GError *error = NULL;
    gst_message_parse_error (message, &error, NULL);
    publish_fail (p, error);
  }
  return G_SOURCE_CONTINUE;
}

static void
publish_delete (Publish *p)
{
  if (p->resource == NULL)
    return;
  g_autoptr (SoupMessage) msg = soup_message_new ("DELETE", p->resource);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body
      = msg != NULL ? soup_session_send_and_read (p->http, msg, NULL, &error) : NULL;
  if (body == NULL)
    g_printerr ("cloudrec publish: DELETE %s: %s\n", p->resource,
                error != NULL ? error->message : "bad URL");
}

static char *
publish_endpoint (const CrPublishOptions *o)
{
  g_autofree char *room = g_uri_escape_string (o->room, NULL, FALSE);
  g_autofree char *user = g_uri_escape_string (o->user, NULL, FALSE);
  const char *base = o->server;
  gsize n = strlen (base);
  return g_strdup_printf ("%.*s/whip/%" G_GUINT64_FORMAT "/%s/%s/%s/%s",
                          (int)(n > 0 && base[n - 1] == '/' ? n - 1 : n), base, o->sdk_app_id,
                          o->str_room ? "str-room" : "room", room, user, o->aux ? "aux" : "main");
}

/* One WHIP session: POST, run until the run stops (rc 0) or the session fails (rc 1, @error
 * set), DELETE. @connected: whether the WebRTC connection was up at some point. */
static int
publish_session (const CrPublishOptions *o, GUri *endpoint, Run *run, gboolean *connected,
                 GError **error)
{
  Publish p = { .o = o, .run = run, .loop = run->loop, .endpoint = endpoint };
  p.cancel = g_cancellable_new ();
  /* The beeps follow the synthetic picture's flashes; a captured or pre-encoded picture (or none)
   * leaves them on the whole seconds. */
  p.marks = cr_synthetic_marks_new (o->video && !o->plain && o->capture_display == NULL
                                    && o->from_file == NULL);
  p.http = soup_session_new_with_options ("timeout", HTTP_TIMEOUT_S, "user-agent",
                                          "cloudrec-publish/" CLOUDREC_VERSION, NULL);
  p.pipeline = gst_pipeline_new ("publish");
  p.webrtc = gst_element_factory_make ("webrtcbin", "webrtc");
  int rc = 1;
  if (o->ca_file != NULL) {
    g_autoptr (GTlsDatabase) ca = g_tls_file_database_new (o->ca_file, error);
    if (ca == NULL)
      goto out;
    soup_session_set_tls_database (p.http, ca);
  }
  if (p.webrtc == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "GStreamer's webrtcbin is missing (gstreamer1.0-plugins-bad, gstreamer1.0-nice)");
    goto out;
  }
  gst_bin_add (GST_BIN (p.pipeline), p.webrtc);
  g_object_set (p.webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  cr_ice_configure (p.webrtc);
  g_signal_connect (p.webrtc, "on-negotiation-needed", G_CALLBACK (publish_on_negotiation_needed),
                    &p);
  g_signal_connect (p.webrtc, "notify::ice-gathering-state", G_CALLBACK (publish_on_gathering), &p);
  g_signal_connect (p.webrtc, "notify::connection-state", G_CALLBACK (publish_on_connection_state),
                    &p);
  if ((o->video && !publish_add_track (&p, TRUE, error))
      || (o->audio && !publish_add_track (&p, FALSE, error)))
    goto out;
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (p.pipeline));
  guint bus_watch = gst_bus_add_watch (bus, publish_on_bus, &p);
  gst_object_unref (bus);
  p.timer
      = g_timeout_add_seconds (CONNECT_TIMEOUT_S + HTTP_TIMEOUT_S, publish_connect_deadline, &p);
  p.liveness = g_timeout_add_seconds (2, publish_poll_liveness, &p);
  if (p.valve != NULL && o->video_pause_at_s > 0 && o->video_pause_s > 0)
    p.pause_timer = g_timeout_add_seconds ((guint)o->video_pause_at_s, publish_toggle_camera, &p);
  else if (p.valve != NULL && o->video_pause_s > 0) /* AT 0: the camera comes on SECONDS late */
    publish_toggle_camera (&p);
  if (o->mute_at_s > 0 && o->mute_s > 0)
    p.mute_timer = g_timeout_add_seconds ((guint)o->mute_at_s, publish_toggle_mute, &p);
  if (gst_element_set_state (p.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    publish_fail (&p, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "the pipeline cannot start"));
  else
    g_main_loop_run (p.loop);
  g_source_remove (bus_watch);
  if (p.timer != 0)
    g_source_remove (p.timer);
  g_source_remove (p.liveness);
  g_cancellable_cancel (p.cancel);
  while (p.polling) /* let the cancelled poll finish: it points at this frame */
    g_main_context_iteration (NULL, TRUE);
  if (p.pause_timer != 0)
    g_source_remove (p.pause_timer);
  if (p.mute_timer != 0)
    g_source_remove (p.mute_timer);
  publish_delete (&p);
  gst_element_set_state (p.pipeline, GST_STATE_NULL);
  if (p.error != NULL)
    g_propagate_error (error, g_steal_pointer (&p.error));
  else
    rc = 0;
out:
  *connected = p.connected;
  gst_object_unref (p.pipeline);
  g_object_unref (p.http);
  g_object_unref (p.cancel);
  cr_synthetic_marks_unref (p.marks);
  g_free (p.resource);
  return rc;
}

static gboolean
publish_backoff_done (gpointer data)
{
  guint *timer = data;
  *timer = 0;
  return G_SOURCE_REMOVE;
}

int
cr_publish_run (const CrPublishOptions *o, GError **error)
{
  if (!gst_init_check (NULL, NULL, error))
    return 1;
  g_autofree char *url = publish_endpoint (o);
  g_autoptr (GUri) endpoint = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, error);
  if (endpoint == NULL)
    return 1;
  Run run = { g_main_loop_new (NULL, FALSE), FALSE, o->duration_s, 0 };
  guint sigint = g_unix_signal_add (SIGINT, publish_stop, &run);
  guint sigterm = g_unix_signal_add (SIGTERM, publish_stop, &run);
  /* --reconnect: a failed session (the server restarted or went away, the POST refused) is
   * followed by a new one after a backoff (RECONNECT_FIRST_MS doubling up to RECONNECT_MAX_MS),
   * for up to reconnect_s seconds from the last loss of a working session. */
  gint64 lost_us = 0;
  guint backoff_ms = RECONNECT_FIRST_MS;
  int rc;
  for (;;) {
    gboolean connected = FALSE;
    GError *session_error = NULL;
    rc = publish_session (o, endpoint, &run, &connected, &session_error);
    if (rc == 0 || run.stopped || o->reconnect_s <= 0) {
      if (session_error != NULL)
        g_propagate_error (error, session_error);
      break;
    }
    gint64 now = g_get_monotonic_time ();
    if (connected || lost_us == 0) {
      lost_us = now;
      backoff_ms = RECONNECT_FIRST_MS;
    }
    if (now - lost_us >= (gint64)o->reconnect_s * G_USEC_PER_SEC) {
      g_propagate_prefixed_error (error, session_error,
                                  "no session again within --reconnect %d s: ", o->reconnect_s);
      break;
    }
    gint64 left_ms = (lost_us + (gint64)o->reconnect_s * G_USEC_PER_SEC - now) / 1000;
    guint wait_ms = (guint)MIN ((gint64)backoff_ms, MAX (left_ms, 1));
    g_printerr ("cloudrec publish: %s; reconnecting in %u ms\n", session_error->message, wait_ms);
    g_error_free (session_error);
    guint timer = g_timeout_add (wait_ms, publish_backoff_done, &timer);
    while (timer != 0 && !run.stopped)
      g_main_context_iteration (NULL, TRUE);
    if (timer != 0)
      g_source_remove (timer);
    if (run.stopped) {
      rc = 0;
      break;
    }
    backoff_ms = MIN (backoff_ms * 2, RECONNECT_MAX_MS);
  }
  g_source_remove (sigint);
  g_source_remove (sigterm);
  if (run.end != 0 && g_main_context_find_source_by_id (NULL, run.end) != NULL)
    g_source_remove (run.end);
  while (g_idle_remove_by_data (&run))
    ; /* a connection's pending publish_start_duration */
  g_main_loop_unref (run.loop);
  return rc;
}
