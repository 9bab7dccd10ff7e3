/* RTP forwards to loopback subscribers; see forward.h for why a probe. */
#include "forward.h"

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>
#include <string.h>

#define KEYFRAME_RETRY_US (300 * 1000)
#define KEYFRAME_MAX_REQUESTS 10

typedef struct {
  guint id;
  char *task_id;
  guint16 rtp_port, rtcp_port;
  GSocket *rtp;  /* connected to 127.0.0.1:rtp_port */
  GSocket *rtcp; /* connected to 127.0.0.1:rtcp_port, or NULL */
  guint64 packets;
  gint64 refused_since_us; /* first ECONNREFUSED of the current run, 0 if none */
  gint64 refused_last_us;
  gboolean unreachable; /* refused for CR_FORWARD_REFUSED_US: nothing more is sent */
} Subscriber;

#define REFUSED_RUN_GAP_US G_USEC_PER_SEC /* a refusal-free second ends a run of refusals */

struct _CrForward {
  GstPad *pad; /* webrtcbin's src pad, or NULL for a direct forward */
  char *caps;  /* a direct forward's caps text */
  CrForwardKeyframeFunc keyframe;
  gpointer keyframe_data;
  char *encoding;
  gboolean is_video;
  gulong probe_id;
  GMutex lock;
  GArray *subscribers; /* Subscriber */
  guint next_id;
  guint dropped; /* unreachable subscribers removed since cr_forward_take_dropped */
  guint32 ssrc;
  gint64 last_packet_us;
  guint64 bytes;
  guint64 packets;
  /* keyframe requests on behalf of new subscribers */
  gboolean want_keyframe;
  gint64 keyframe_requested_us;
  guint keyframe_requests;
  guint64 last_sr_ntp;
  /* a direct audio forward's packets held to go out together (cr_forward_set_group); touched
   * only on the thread that pushes */
  guint group;
  guint n_held;
  gsize held_len[CR_FORWARD_GROUP_MAX];
  guint8 (*held)[CR_FORWARD_HELD_BYTES];
  gint64 held_since_us;
};

gboolean
cr_rtp_payload_is_keyframe (const char *encoding, const guint8 *p, gsize len)
{
  if (len < 1)
    return FALSE;
  if (g_strcmp0 (encoding, "H264") == 0) {
    guint type = p[0] & 0x1f;
    if (type == 5 || type == 7)
      return TRUE;
    if (type == 24) { /* STAP-A: 16-bit sizes, then NAL units */
      for (gsize off = 1; off + 3 <= len;) {
        gsize size = ((gsize)p[off] << 8) | p[off + 1];
        guint inner = p[off + 2] & 0x1f;
        if (inner == 5 || inner == 7)
          return TRUE;
        off += 2 + size;
      }
      return FALSE;
    }
    if (type == 28 && len >= 2) /* FU-A: the start fragment of an IDR */
      return (p[1] & 0x80) != 0 && (p[1] & 0x1f) == 5;
    return FALSE;
  }
  if (g_strcmp0 (encoding, "VP8") == 0) {
    /* RFC 7741 payload descriptor, then the VP8 header: P bit 0 means a key frame. */
    gsize off = 1;
    gboolean start = (p[0] & 0x10) != 0 && (p[0] & 0x07) == 0;
    if (p[0] & 0x80) { /* X: extension byte */
      if (len < 2)
        return FALSE;
      guint8 x = p[1];
      off = 2;
      if (x & 0x80) /* I: picture id, 1 or 2 bytes */
        off += (off < len && (p[off] & 0x80)) ? 2 : 1;
      if (x & 0x40) /* L: TL0PICIDX */
        off++;
      if (x & 0x30) /* T or K: TID/KEYIDX */
        off++;
    }
    return start && off < len && (p[off] & 0x01) == 0;
  }
  return FALSE;
}

gboolean
cr_rtp_payload_range (const guint8 *p, gsize len, gsize *offset, gsize *payload_len)
{
  if (len < 12 || (p[0] >> 6) != 2)
    return FALSE;
  gsize off = 12 + 4 * (gsize)(p[0] & 0x0f);
  if (p[0] & 0x10) { /* header extension: 4 bytes, then length * 4 */
    if (off + 4 > len)
      return FALSE;
    off += 4 + 4 * (((gsize)p[off + 2] << 8) | p[off + 3]);
  }
  gsize pad = (p[0] & 0x20) ? p[len - 1] : 0;
  if (off + pad > len)
    return FALSE;
  *offset = off;
  *payload_len = len - off - pad;
  return TRUE;
}

static void
subscriber_clear (Subscriber *s)
{
  g_clear_object (&s->rtp);
  g_clear_object (&s->rtcp);
  g_clear_pointer (&s->task_id, g_free);
}

/* Counts a packet of @ssrc that arrived (under the lock). */
static void
forward_count_locked (CrForward *fwd, gsize size, guint32 ssrc, gboolean key, gint64 now)
{
  fwd->ssrc = ssrc;
  fwd->last_packet_us = now;
  fwd->bytes += size;
  fwd->packets++;
  if (key)
    fwd->want_keyframe = FALSE;
}

/* Sends one RTP packet (@data, @size) to every subscriber (under the lock); with @held, not to
 * one that has had nothing yet (see forward_hold). */
static void
forward_send_locked (CrForward *fwd, const guint8 *data, gsize size, gint64 now, gboolean held)
{
  for (guint i = 0; i < fwd->subscribers->len; i++) {
    Subscriber *s = &g_array_index (fwd->subscribers, Subscriber, i);
    if (s->unreachable || (held && s->packets == 0))
      continue;
    /* Non-blocking: a full socket buffer drops the packet for that subscriber only. */
    GError *error = NULL;
    if (g_socket_send (s->rtp, (const char *)data, size, NULL, &error) >= 0) {
      s->packets++;
      continue;
    }
    /* Refused: the ICMP answer to an earlier packet (this one was not sent). */
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)) {
      if (s->refused_since_us == 0 || now - s->refused_last_us > REFUSED_RUN_GAP_US)
        s->refused_since_us = now;
      s->refused_last_us = now;
      s->unreachable = now - s->refused_since_us > CR_FORWARD_REFUSED_US;
    }
    g_error_free (error);
  }
}

/* Dropped here and now: the forward stops at once, the tick only reports it (under the lock). */
static void
forward_drop_unreachable_locked (CrForward *fwd)
{
  for (guint i = fwd->subscribers->len; i-- > 0;) {
    Subscriber *s = &g_array_index (fwd->subscribers, Subscriber, i);
    if (s->unreachable) {
      subscriber_clear (s);
      g_array_remove_index (fwd->subscribers, i);
      fwd->dropped++;
    }
  }
}

/* Sends one RTP packet (@data, @size) to every subscriber. */
static void
forward_send_bytes (CrForward *fwd, const guint8 *data, gsize size, guint32 ssrc, gboolean key)
{
  gint64 now = g_get_monotonic_time ();
  g_mutex_lock (&fwd->lock);
  forward_count_locked (fwd, size, ssrc, key, now);
  forward_send_locked (fwd, data, size, now, FALSE);
  forward_drop_unreachable_locked (fwd);
  g_mutex_unlock (&fwd->lock);
}

void
cr_forward_flush (CrForward *fwd)
{
  if (fwd->n_held == 0)
    return;
  gint64 now = g_get_monotonic_time ();
  g_mutex_lock (&fwd->lock);
  for (guint i = 0; i < fwd->n_held; i++)
    forward_send_locked (fwd, fwd->held[i], fwd->held_len[i], now, TRUE);
  forward_drop_unreachable_locked (fwd);
  g_mutex_unlock (&fwd->lock);
  fwd->n_held = 0;
  fwd->held_since_us = 0;
}

/* Holds a packet of a grouped forward, counted now; the group goes out once it is whole. */
static void
forward_hold (CrForward *fwd, const guint8 *rtp, gsize len, guint32 ssrc)
{
  gint64 now = g_get_monotonic_time ();
  g_mutex_lock (&fwd->lock);
  /* The first packet after a silence (the stream's first, after a pause or DTX) goes at once: a
   * worker's jitter buffer takes the arrival of such a packet as its new base. So does the first
   * a new subscriber gets, and what was held before goes to the others only: a first packet that
   * waited for its group (up to 40 ms in threes) made a worker's clock start that late, and its
   * jitter buffer then drew the sound's first second together by as much as it converged on the
   * packets that did not wait (record.test's AvMerge: 40.7 ms; 0.3 ms ungrouped), which a mixer
   * counting samples (compose, the live mix) kept as an offset of the whole sound. */
  gboolean at_once = fwd->last_packet_us == 0 || now - fwd->last_packet_us > CR_FORWARD_HOLD_US;
  for (guint i = 0; !at_once && i < fwd->subscribers->len; i++)
    at_once = g_array_index (fwd->subscribers, Subscriber, i).packets == 0;
  forward_count_locked (fwd, len, ssrc, FALSE, now);
  g_mutex_unlock (&fwd->lock);
  if (at_once || len > CR_FORWARD_HELD_BYTES) { /* what is held, then this, at once */
    cr_forward_flush (fwd);
    g_mutex_lock (&fwd->lock);
    forward_send_locked (fwd, rtp, len, now, FALSE);
    forward_drop_unreachable_locked (fwd);
    g_mutex_unlock (&fwd->lock);
    return;
  }
  if (fwd->held == NULL)
    fwd->held = g_malloc ((gsize)fwd->group * CR_FORWARD_HELD_BYTES);
  memcpy (fwd->held[fwd->n_held], rtp, len);
  fwd->held_len[fwd->n_held] = len;
  if (fwd->n_held++ == 0)
    fwd->held_since_us = now;
  if (fwd->n_held >= fwd->group)
    cr_forward_flush (fwd);
}

void
cr_forward_set_group (CrForward *fwd, guint group)
{
  cr_forward_flush (fwd);
  g_clear_pointer (&fwd->held, g_free);
  fwd->group = fwd->is_video ? 0 : MIN (group, CR_FORWARD_GROUP_MAX);
}

gint64
cr_forward_held_since (const CrForward *fwd)
{
  return fwd->held_since_us;
}

static void
forward_send (CrForward *fwd, GstBuffer *buf)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return;
  gboolean key = fwd->is_video && fwd->want_keyframe
                 && cr_rtp_payload_is_keyframe (fwd->encoding, gst_rtp_buffer_get_payload (&rtp),
                                                gst_rtp_buffer_get_payload_len (&rtp));
  guint32 ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  GstMapInfo map;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return;
  forward_send_bytes (fwd, map.data, map.size, ssrc, key);
  gst_buffer_unmap (buf, &map);
}

void
cr_forward_push (CrForward *fwd, const guint8 *rtp, gsize len)
{
  gsize off = 0, plen = 0;
  if (!cr_rtp_payload_range (rtp, len, &off, &plen))
    return;
  /* Read without the lock: a stale want_keyframe costs one payload check, or one late clear. */
  gboolean key = fwd->is_video && fwd->want_keyframe
                 && cr_rtp_payload_is_keyframe (fwd->encoding, rtp + off, plen);
  guint32 ssrc
      = ((guint32)rtp[8] << 24) | ((guint32)rtp[9] << 16) | ((guint32)rtp[10] << 8) | rtp[11];
  if (fwd->group > 1)
    forward_hold (fwd, rtp, len, ssrc);
  else
    forward_send_bytes (fwd, rtp, len, ssrc, key);
}

void
cr_forward_push_rtcp (CrForward *fwd, const guint8 *rtcp, gsize len)
{
  g_mutex_lock (&fwd->lock);
  for (guint i = 0; i < fwd->subscribers->len; i++) {
    Subscriber *s = &g_array_index (fwd->subscribers, Subscriber, i);
    if (s->rtcp != NULL && !s->unreachable)
      g_socket_send (s->rtcp, (const char *)rtcp, len, NULL, NULL);
  }
  g_mutex_unlock (&fwd->lock);
}

static gboolean
forward_list_item (GstBuffer **buf, guint idx, gpointer fwd)
{
  forward_send (fwd, *buf);
  return TRUE;
}

static GstPadProbeReturn
forward_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  CrForward *fwd = user_data;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    forward_send (fwd, GST_PAD_PROBE_INFO_BUFFER (info));
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), forward_list_item, fwd);
  return GST_PAD_PROBE_OK;
}

CrForward *
cr_forward_new (GstPad *pad, const char *encoding, gboolean is_video)
{
  CrForward *fwd = g_new0 (CrForward, 1);
  fwd->pad = gst_object_ref (pad);
  fwd->encoding = g_strdup (encoding);
  fwd->is_video = is_video;
  g_mutex_init (&fwd->lock);
  fwd->subscribers = g_array_new (FALSE, TRUE, sizeof (Subscriber));
  fwd->probe_id = gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, forward_probe, fwd, NULL);
  return fwd;
}

CrForward *
cr_forward_new_direct (const char *encoding, gboolean is_video, const char *caps,
                       CrForwardKeyframeFunc keyframe, gpointer keyframe_data)
{
  CrForward *fwd = g_new0 (CrForward, 1);
  fwd->encoding = g_strdup (encoding);
  fwd->is_video = is_video;
  fwd->caps = g_strdup (caps);
  fwd->keyframe = keyframe;
  fwd->keyframe_data = keyframe_data;
  g_mutex_init (&fwd->lock);
  fwd->subscribers = g_array_new (FALSE, TRUE, sizeof (Subscriber));
  return fwd;
}

void
cr_forward_free (CrForward *fwd)
{
  if (fwd == NULL)
    return;
  if (fwd->pad != NULL)
    gst_pad_remove_probe (fwd->pad, fwd->probe_id);
  cr_forward_flush (fwd); /* the end of the sound goes too */
  g_free (fwd->held);
  for (guint i = 0; i < fwd->subscribers->len; i++)
    subscriber_clear (&g_array_index (fwd->subscribers, Subscriber, i));
  g_array_unref (fwd->subscribers);
  g_mutex_clear (&fwd->lock);
  if (fwd->pad != NULL)
    gst_object_unref (fwd->pad);
  g_free (fwd->caps);
  g_free (fwd->encoding);
  g_free (fwd);
}

/* A non-blocking UDP socket connected to 127.0.0.1:@port. */
static GSocket *
loopback_socket (guint16 port, GError **error)
{
  g_autoptr (GSocket) sock
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (sock == NULL)
    return NULL;
  g_socket_set_blocking (sock, FALSE);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, port);
  if (!g_socket_connect (sock, addr, NULL, error))
    return NULL;
  return g_steal_pointer (&sock);
}

static void
forward_request_keyframe (CrForward *fwd, gint64 now_us)
{
  fwd->keyframe_requested_us = now_us;
  fwd->keyframe_requests++;
  if (fwd->pad == NULL) {
    fwd->keyframe (fwd->keyframe_data);
    return;
  }
  /* Sent into the src pad from downstream: rtpsession turns it into a PLI or FIR. */
  gst_pad_send_event (fwd->pad,
                      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
}

void
cr_forward_request_keyframe (CrForward *fwd)
{
  g_mutex_lock (&fwd->lock);
  gboolean ask = fwd->is_video;
  if (ask) {
    fwd->want_keyframe = TRUE;
    fwd->keyframe_requests = 0;
  }
  g_mutex_unlock (&fwd->lock);
  if (ask)
    forward_request_keyframe (fwd, g_get_monotonic_time ());
}

guint
cr_forward_add (CrForward *fwd, guint16 rtp_port, guint16 rtcp_port, const char *task_id,
                GError **error)
{
  Subscriber s = { 0 };
  s.rtp = loopback_socket (rtp_port, error);
  s.rtcp = s.rtp != NULL && rtcp_port != 0 ? loopback_socket (rtcp_port, error) : NULL;
  if (s.rtp == NULL || (rtcp_port != 0 && s.rtcp == NULL)) {
    subscriber_clear (&s);
    return 0;
  }
  s.task_id = g_strdup (task_id);
  s.rtp_port = rtp_port;
  s.rtcp_port = rtcp_port;
  g_mutex_lock (&fwd->lock);
  s.id = ++fwd->next_id;
  g_array_append_val (fwd->subscribers, s);
  g_mutex_unlock (&fwd->lock);
  cr_forward_request_keyframe (fwd);
  return s.id;
}

gboolean
cr_forward_remove (CrForward *fwd, guint id)
{
  gboolean found = FALSE;
  g_mutex_lock (&fwd->lock);
  for (guint i = 0; i < fwd->subscribers->len; i++) {
    Subscriber *s = &g_array_index (fwd->subscribers, Subscriber, i);
    if (s->id == id) {
      subscriber_clear (s);
      g_array_remove_index (fwd->subscribers, i);
      found = TRUE;
      break;
    }
  }
  g_mutex_unlock (&fwd->lock);
  return found;
}

/* Removes the subscribers for which @pred holds (under the lock); returns how many. */
static guint
forward_remove_where (CrForward *fwd, gboolean (*pred) (const Subscriber *, gconstpointer),
                      gconstpointer data)
{
  guint removed = 0;
  g_mutex_lock (&fwd->lock);
  for (guint i = fwd->subscribers->len; i-- > 0;) {
    Subscriber *s = &g_array_index (fwd->subscribers, Subscriber, i);
    if (pred (s, data)) {
      subscriber_clear (s);
      g_array_remove_index (fwd->subscribers, i);
      removed++;
    }
  }
  g_mutex_unlock (&fwd->lock);
  return removed;
}

static gboolean
subscriber_of_task (const Subscriber *s, gconstpointer task_id)
{
  return s->task_id != NULL && g_strcmp0 (s->task_id, task_id) == 0;
}

guint
cr_forward_remove_task (CrForward *fwd, const char *task_id)
{
  return task_id != NULL ? forward_remove_where (fwd, subscriber_of_task, task_id) : 0;
}

guint
cr_forward_take_dropped (CrForward *fwd)
{
  g_mutex_lock (&fwd->lock);
  guint n = fwd->dropped;
  fwd->dropped = 0;
  g_mutex_unlock (&fwd->lock);
  return n;
}

static void
forward_subscriber_info_clear (gpointer data)
{
  g_free (((CrForwardSubscriber *)data)->task_id);
}

GArray *
cr_forward_list (CrForward *fwd)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (CrForwardSubscriber));
  g_array_set_clear_func (out, forward_subscriber_info_clear);
  g_mutex_lock (&fwd->lock);
  for (guint i = 0; i < fwd->subscribers->len; i++) {
    const Subscriber *s = &g_array_index (fwd->subscribers, Subscriber, i);
    CrForwardSubscriber info
        = { s->id, g_strdup (s->task_id), s->rtp_port, s->rtcp_port, s->packets };
    g_array_append_val (out, info);
  }
  g_mutex_unlock (&fwd->lock);
  return out;
}

guint
cr_forward_subscriber_count (CrForward *fwd)
{
  g_mutex_lock (&fwd->lock);
  guint n = fwd->subscribers->len;
  g_mutex_unlock (&fwd->lock);
  return n;
}

/* The publisher's last sender report as an RTCP SR packet, or NULL if none is new. */
static GBytes *
forward_build_sr (CrForward *fwd, GObject *rtp_session, guint32 ssrc)
{
  GObject *source = NULL;
  g_signal_emit_by_name (rtp_session, "get-source-by-ssrc", ssrc, &source);
  if (source == NULL)
    return NULL;
  GstStructure *stats = NULL;
  g_object_get (source, "stats", &stats, NULL);
  g_object_unref (source);
  if (stats == NULL)
    return NULL;
  gboolean have_sr = FALSE;
  guint64 ntp = 0;
  guint rtptime = 0, octets = 0, packets = 0;
  gst_structure_get (stats, "have-sr", G_TYPE_BOOLEAN, &have_sr, "sr-ntptime", G_TYPE_UINT64, &ntp,
                     "sr-rtptime", G_TYPE_UINT, &rtptime, "sr-octet-count", G_TYPE_UINT, &octets,
                     "sr-packet-count", G_TYPE_UINT, &packets, NULL);
  gst_structure_free (stats);
  if (!have_sr || ntp == 0 || ntp == fwd->last_sr_ntp)
    return NULL;
  fwd->last_sr_ntp = ntp;
  g_autoptr (GstBuffer) buf = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gst_rtcp_buffer_map (buf, GST_MAP_READWRITE, &rtcp);
  gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_SR, &packet);
  gst_rtcp_packet_sr_set_sender_info (&packet, ssrc, ntp, rtptime, packets, octets);
  gst_rtcp_buffer_unmap (&rtcp);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_READ);
  GBytes *out = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (buf, &map);
  return out;
}

void
cr_forward_tick (CrForward *fwd, GObject *rtp_session, gint64 now_us)
{
  g_mutex_lock (&fwd->lock);
  guint32 ssrc = fwd->ssrc;
  gboolean has_subscribers = fwd->subscribers->len > 0;
  gboolean retry = fwd->want_keyframe && fwd->keyframe_requests < KEYFRAME_MAX_REQUESTS
                   && now_us - fwd->keyframe_requested_us >= KEYFRAME_RETRY_US;
  g_mutex_unlock (&fwd->lock);
  if (retry)
    forward_request_keyframe (fwd, now_us);
  if (!has_subscribers || ssrc == 0 || rtp_session == NULL)
    return;
  g_autoptr (GBytes) sr = forward_build_sr (fwd, rtp_session, ssrc);
  if (sr == NULL)
    return;
  gsize len = 0;
  const char *data = g_bytes_get_data (sr, &len);
  g_mutex_lock (&fwd->lock);
  for (guint i = 0; i < fwd->subscribers->len; i++) {
    Subscriber *s = &g_array_index (fwd->subscribers, Subscriber, i);
    if (s->rtcp != NULL && !s->unreachable)
      g_socket_send (s->rtcp, data, len, NULL, NULL);
  }
  g_mutex_unlock (&fwd->lock);
}

char *
cr_forward_caps_string (CrForward *fwd)
{
  if (fwd->pad == NULL)
    return g_strdup (fwd->caps);
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (fwd->pad);
  return caps != NULL ? gst_caps_to_string (caps) : NULL;
}

guint32
cr_forward_ssrc (CrForward *fwd)
{
  g_mutex_lock (&fwd->lock);
  guint32 v = fwd->ssrc;
  g_mutex_unlock (&fwd->lock);
  return v;
}

gboolean
cr_forward_is_video (CrForward *fwd)
{
  return fwd->is_video;
}

gint64
cr_forward_last_packet_us (CrForward *fwd)
{
  g_mutex_lock (&fwd->lock);
  gint64 v = fwd->last_packet_us;
  g_mutex_unlock (&fwd->lock);
  return v;
}

guint64
cr_forward_bytes (CrForward *fwd)
{
  g_mutex_lock (&fwd->lock);
  guint64 v = fwd->bytes;
  g_mutex_unlock (&fwd->lock);
  return v;
}
