/* Ingest state: the publishers table, their sessions' lifecycle, the once-a-second watchdog.
 *
 * A session lives as long as its connection: it ends on DELETE, when the peer closes DTLS or ICE
 * fails (session.c), or when nothing at all has come from the peer for ingest-liveness-timeout
 * (default 30 s). Why a watchdog for the last: GStreamer 1.22 has no ICE consent freshness, so a
 * publisher that vanishes without DELETE (killed, unplugged) is noticed only because its packets
 * stop. RTP alone would not do: a publisher with camera and microphone off sends no RTP but stays
 * in the room, its RTCP keeps it alive. Every second each session is checked: not connected within
 * ingest-connect-timeout, or silent for ingest-liveness-timeout, ends it; the room is updated and
 * the resources freed. The same tick re-sends sender reports and keyframe requests for the
 * forwards, and destroys rooms idle for room-idle-timeout. */
#include "ingest/ingest_private.h"
#include "ingest/lean_dtls.h"
#include "ingest/sdp_answer.h"

#include <gst/gst.h>

static void
publisher_free (CrPublisher *pub)
{
  g_free (pub->id);
  g_free (pub->room_id);
  g_free (pub->user_id);
  g_free (pub->remote_ip);
  g_free (pub);
}

void
cr_ingest_reply_error (SoupServerMessage *msg, guint status, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_info ("whip: %u %s", status, text);
  char *body = g_strconcat (text, "\n", NULL);
  g_free (text);
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (h, "Connection", "close");
  soup_server_message_set_status (msg, status, status == 429 ? "Too Many Requests" : NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_TAKE, body,
                                    strlen (body));
}

static CrRoomKey
publisher_key (const CrPublisher *pub)
{
  CrRoomKey key = { pub->sdk_app_id, pub->string_room, pub->room_id };
  return key;
}

gboolean
cr_ingest_end (CrIngest *ingest, const char *id, const char *reason)
{
  CrPublisher *pub = g_hash_table_lookup (ingest->publishers, id);
  if (pub == NULL)
    return FALSE;
  g_hash_table_steal (ingest->publishers, id);
  g_info ("whip: session %s of user %s (%s, room %s) ended: %s", pub->id, pub->user_id,
          cr_stream_kind_name (pub->stream), pub->room_id, reason);
  CrRoomKey key = publisher_key (pub);
  cr_room_unpublish (ingest->rooms, &key, pub->user_id, pub->stream, pub, reason);
  if (pub->pending != NULL) {
    cr_ingest_reply_error (pub->pending, SOUP_STATUS_SERVICE_UNAVAILABLE,
                           "the session ended before it was answered: %s", reason);
    soup_server_message_unpause (pub->pending);
    g_object_unref (pub->pending);
  }
  if (pub->session != NULL)
    cr_ingest_session_stop (pub->session, ingest->reaper);
  publisher_free (pub);
  return TRUE;
}

static void
ingest_on_ready (CrIngestSession *session, const char *answer, const GError *error, gpointer data)
{
  CrPublisher *pub = data;
  CrIngest *ingest = pub->ingest;
  SoupServerMessage *msg = g_steal_pointer (&pub->pending);
  if (answer == NULL) {
    cr_ingest_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
    soup_server_message_unpause (msg);
    g_object_unref (msg);
    cr_ingest_end (ingest, pub->id, "negotiation-failed");
    return;
  }
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  g_autofree char *location = g_strdup_printf ("/whip/session/%s", pub->id);
  soup_message_headers_replace (h, "Location", location);
  soup_message_headers_replace (h, "Connection", "close");
  soup_message_headers_replace (h, "Access-Control-Expose-Headers", "Location, Server-Timing");
  /* How long the answer took here (pipeline, negotiation, ICE gathering), for clients and bench/.
   */
  double answer_ms = (g_get_monotonic_time () - cr_ingest_session_started_us (session)) / 1000.0;
  g_autofree char *timing = g_strdup_printf ("answer;dur=%.2f", answer_ms);
  soup_message_headers_replace (h, "Server-Timing", timing);
  soup_server_message_set_status (msg, SOUP_STATUS_CREATED, NULL);
  g_autofree char *public_answer = NULL;
  if (*ingest->config->ice_public_address != '\0')
    answer = public_answer
        = cr_sdp_answer_add_public_candidates (answer, ingest->config->ice_public_address);
  soup_server_message_set_response (msg, "application/sdp", SOUP_MEMORY_COPY, answer,
                                    strlen (answer));
  soup_server_message_unpause (msg);
  g_object_unref (msg);
  g_info ("whip: session %s: user %s publishes %s in room %s (answered in %.1f ms)", pub->id,
          pub->user_id, cr_stream_kind_name (pub->stream), pub->room_id, answer_ms);
  g_debug ("whip: session %s answer:\n%s", pub->id, answer);
}

static void
ingest_on_lost (CrIngestSession *session, const char *reason, gpointer data)
{
  CrPublisher *pub = data;
  cr_ingest_end (pub->ingest, pub->id, reason);
}

static char *
ingest_new_id (void)
{
  guint8 raw[16];
  for (guint i = 0; i < sizeof raw; i++)
    raw[i] = (guint8)g_random_int_range (0, 256);
  GString *id = g_string_sized_new (32);
  for (guint i = 0; i < sizeof raw; i++)
    g_string_append_printf (id, "%02x", raw[i]);
  return g_string_free (id, FALSE);
}

/* Sessions of the client at @ip, answered or still negotiating. */
static guint
ingest_sessions_from (CrIngest *ingest, const char *ip)
{
  guint n = 0;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, ingest->publishers);
  while (g_hash_table_iter_next (&it, NULL, &value))
    n += g_strcmp0 (((CrPublisher *)value)->remote_ip, ip) == 0;
  return n;
}

void
cr_ingest_publish (CrIngest *ingest, SoupServerMessage *msg, const CrRoomKey *key,
                   const char *user_id, CrStreamKind stream, CrSdpOffer *offer)
{
  g_autoptr (CrSdpOffer) owned = offer;
  if (g_hash_table_size (ingest->publishers) >= (guint)ingest->config->ingest_max_sessions) {
    cr_ingest_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                           "this server already has %" G_GINT64_FORMAT
                           " publishing sessions (ingest-max-sessions)",
                           ingest->config->ingest_max_sessions);
    return;
  }
  /* One address must not take every session (nor every pipeline: each offer costs one, until it
   * connects or its ingest-connect-timeout passes). Over the link's socket there is no address. */
  const char *ip = soup_server_message_get_remote_host (msg);
  gint64 per_ip = ingest->config->whip_max_sessions_per_ip;
  if (ip != NULL && per_ip > 0 && ingest_sessions_from (ingest, ip) >= (guint)per_ip) {
    cr_ingest_reply_error (msg, 429 /* Too Many Requests: not in libsoup 3.2 */,
                           "address %s already has %" G_GINT64_FORMAT
                           " publishing sessions on this server (whip-max-sessions-per-ip); end "
                           "one (DELETE its session) or wait until an unconnected one times out",
                           ip, per_ip);
    return;
  }
  CrPublisher *pub = g_new0 (CrPublisher, 1);
  pub->ingest = ingest;
  pub->id = ingest_new_id ();
  pub->sdk_app_id = key->sdk_app_id;
  pub->string_room = key->string_room;
  pub->room_id = g_strdup (key->room_id);
  pub->user_id = g_strdup (user_id);
  pub->stream = stream;
  pub->remote_ip = g_strdup (ip);
  g_autoptr (GError) error = NULL;
  if (!cr_room_publish (ingest->rooms, key, user_id, stream, owned->has_audio, owned->has_video,
                        pub, &error)) {
    cr_ingest_reply_error (msg, SOUP_STATUS_CONFLICT, "%s", error->message);
    publisher_free (pub);
    return;
  }
  g_hash_table_insert (ingest->publishers, pub->id, pub);
  pub->pending = g_object_ref (msg);
  soup_server_message_pause (msg);
  CrIngestSessionSettings settings = { (guint)ingest->config->ingest_jitter_latency,
                                       ingest->config->ingest_engine,
                                       (guint)ingest->config->forward_audio_group };
  pub->session = cr_ingest_session_start (pub->id, g_steal_pointer (&owned), &settings,
                                          ingest_on_ready, ingest_on_lost, pub);
}

/* The registry asks (kick, dismiss): end the session from the main loop, by id, since the
 * publisher may be gone by then. */
typedef struct {
  CrIngest *ingest;
  char *id;
  char *reason;
} EndRequest;

static gboolean
ingest_end_later (gpointer data)
{
  EndRequest *req = data;
  cr_ingest_end (req->ingest, req->id, req->reason);
  g_free (req->id);
  g_free (req->reason);
  g_free (req);
  return G_SOURCE_REMOVE;
}

static void
ingest_close_hook (gpointer publisher, const char *reason, gpointer data)
{
  CrPublisher *pub = publisher;
  EndRequest *req = g_new0 (EndRequest, 1);
  req->ingest = data;
  req->id = g_strdup (pub->id);
  req->reason = g_strdup (reason);
  g_idle_add (ingest_end_later, req);
}

/* A track is active while its RTP arrived within this window (a camera or microphone turned off
 * sends none; the lowest frame rates send a packet at least every 1 s). */
#define MEDIA_ACTIVE_US (2 * G_USEC_PER_SEC)

/* Tells the room whether the publisher's audio and video arrive now (MEDIA events on changes). */
static void
ingest_update_media (CrIngest *ingest, CrPublisher *pub, gint64 now)
{
  gboolean active[2] = { FALSE, FALSE };
  for (int video = 0; video < 2; video++) {
    CrForward *fwd = cr_ingest_session_forward (pub->session, video);
    gint64 last = fwd != NULL ? cr_forward_last_packet_us (fwd) : 0;
    active[video] = last != 0 && now - last < MEDIA_ACTIVE_US;
  }
  CrRoomKey key = publisher_key (pub);
  cr_room_set_media (ingest->rooms, &key, pub->user_id, pub->stream, pub, active[0], active[1]);
}

static gboolean
ingest_tick (gpointer data)
{
  CrIngest *ingest = data;
  gint64 now = g_get_monotonic_time ();
  gint64 connect_us = ingest->config->ingest_connect_timeout * G_USEC_PER_SEC;
  gint64 liveness_us = ingest->config->ingest_liveness_timeout * G_USEC_PER_SEC;
  g_autoptr (GPtrArray) ending = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) reasons = g_ptr_array_new ();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, ingest->publishers);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    CrPublisher *pub = value;
    CrIngestSession *s = pub->session;
    if (s == NULL || pub->pending != NULL)
      continue;
    gint64 last = MAX (cr_ingest_session_last_rx_us (s), cr_ingest_session_last_media_us (s));
    gint64 since = last != 0 ? last : cr_ingest_session_started_us (s);
    const char *reason = NULL;
    if (!cr_ingest_session_connected (s) && cr_ingest_session_last_media_us (s) == 0
        && now - cr_ingest_session_started_us (s) > connect_us)
      reason = "connect-timeout";
    else if (now - since > liveness_us)
      reason = "liveness-timeout";
    if (reason != NULL) {
      g_ptr_array_add (ending, g_strdup (pub->id));
      g_ptr_array_add (reasons, (gpointer)reason);
    } else {
      cr_ingest_session_tick (s, now);
      ingest_update_media (ingest, pub, now);
      for (int video = 0; video < 2; video++) {
        CrForward *fwd = cr_ingest_session_forward (s, video);
        guint dropped = fwd != NULL ? cr_forward_take_dropped (fwd) : 0;
        if (dropped > 0)
          g_info ("forward: %u subscriber(s) of the %s of session %s dropped: their port refuses "
                  "packets (the worker is gone)",
                  dropped, video ? "video" : "audio", pub->id);
      }
    }
  }
  for (guint i = 0; i < ending->len; i++)
    cr_ingest_end (ingest, g_ptr_array_index (ending, i), g_ptr_array_index (reasons, i));
  guint reaped = cr_room_reap_idle (ingest->rooms);
  if (reaped > 0)
    g_info ("rooms: %u idle room(s) destroyed", reaped);
  return G_SOURCE_CONTINUE;
}

/* The first session would pay for loading the WebRTC plugins and for the DTLS certificate (an RSA
 * key made once per process, shared by every session after it): ~0.5 s. Paid here instead, in a
 * thread, while the daemon starts serving. */
static gpointer
ingest_prewarm (gpointer data)
{
  const CrConfig *config = data;
  if (g_strcmp0 (config->ingest_engine, "lean") == 0) {
    /* The lean engine's certificate; it loads no WebRTC plugins. */
    g_autoptr (GError) error = NULL;
    if (!cr_lean_dtls_prepare (&error))
      g_warning ("ingest: %s", error->message);
    return NULL;
  }
  static const char *const elements[] = { "webrtcbin", "dtlsdec", "dtlsenc",      "srtpdec",
                                          "nicesrc",   "rtpbin",  "rtph264depay", "rtpopusdepay" };
  for (guint i = 0; i < G_N_ELEMENTS (elements); i++) {
    GstElement *e = gst_element_factory_make (elements[i], NULL);
    if (e != NULL)
      gst_object_unref (gst_object_ref_sink (e));
  }
  return NULL;
}

CrIngest *
cr_ingest_new (const CrConfig *config, CrRoomRegistry *rooms, CrHttpServer *http,
               CrLinkServer *link, GError **error)
{
  if (!gst_init_check (NULL, NULL, error))
    return NULL;
  g_autoptr (GstElementFactory) webrtcbin = gst_element_factory_find ("webrtcbin");
  if (webrtcbin == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "GStreamer's webrtcbin is missing (install gstreamer1.0-plugins-bad and "
                 "gstreamer1.0-nice)");
    return NULL;
  }
  CrIngest *ingest = g_new0 (CrIngest, 1);
  ingest->config = config;
  ingest->rooms = rooms;
  ingest->http = http;
  ingest->link = link;
  ingest->publishers = g_hash_table_new (g_str_hash, g_str_equal);
  cr_room_registry_set_close_hook (rooms, ingest_close_hook, ingest);
  cr_whip_register (ingest);
  cr_internal_api_register (ingest);
  ingest->tick_id = g_timeout_add_seconds (1, ingest_tick, ingest);
  ingest->reaper = g_thread_pool_new (cr_ingest_session_teardown, NULL, 1, TRUE, NULL);
  ingest->prewarm = g_thread_new ("ingest-prewarm", ingest_prewarm, (gpointer)config);
  return ingest;
}

void
cr_ingest_free (CrIngest *ingest)
{
  if (ingest == NULL)
    return;
  g_source_remove (ingest->tick_id);
  g_thread_join (ingest->prewarm); /* exiting under a thread that is loading plugins crashes */
  cr_room_registry_set_close_hook (ingest->rooms, NULL, NULL);
  cr_internal_api_unregister (ingest);
  g_autofree gpointer *ids = g_hash_table_get_keys_as_array (ingest->publishers, NULL);
  g_auto (GStrv) copies = g_strdupv ((char **)ids);
  for (char **id = copies; *id != NULL; id++)
    cr_ingest_end (ingest, *id, "shutdown");
  g_thread_pool_free (ingest->reaper, FALSE, TRUE); /* every pipeline stopped before exit */
  cr_http_server_remove_handler (ingest->http, "/whip");
  g_hash_table_unref (ingest->publishers);
  g_free (ingest);
}

guint
cr_ingest_session_count (CrIngest *ingest)
{
  return g_hash_table_size (ingest->publishers);
}

void
cr_ingest_end_task_forwards (CrIngest *ingest, const char *task_id)
{
  guint removed = 0;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, ingest->publishers);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    CrPublisher *pub = value;
    for (int video = 0; video < 2 && pub->session != NULL; video++) {
      CrForward *fwd = cr_ingest_session_forward (pub->session, video);
      if (fwd != NULL)
        removed += cr_forward_remove_task (fwd, task_id);
    }
  }
  if (removed > 0)
    g_info ("forward: %u forward(s) of task %s removed", removed, task_id);
}

gboolean
cr_ingest_stream_info (CrIngest *ingest, const CrRoomKey *key, const char *user_id,
                       CrStreamKind stream, CrIngestStreamInfo *out)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, ingest->publishers);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    CrPublisher *pub = value;
    if (pub->sdk_app_id != key->sdk_app_id || pub->string_room != key->string_room
        || pub->stream != stream || g_strcmp0 (pub->room_id, key->room_id) != 0
        || g_strcmp0 (pub->user_id, user_id) != 0 || pub->session == NULL)
      continue;
    out->audio_codec = cr_ingest_session_codec (pub->session, FALSE);
    out->video_codec = cr_ingest_session_codec (pub->session, TRUE);
    out->rx_bytes = cr_ingest_session_rx_bytes (pub->session);
    out->started_us = cr_ingest_session_started_us (pub->session);
    CrIngestRetransmission retx;
    out->retx_counted = cr_ingest_session_retransmission (pub->session, &retx);
    out->nacked = retx.nacked;
    out->recovered = retx.recovered;
    out->unrecovered = retx.given_up;
    return TRUE;
  }
  return FALSE;
}
