/* RTP forwards without a WebRTC peer: a pad (or, for the lean engine, the caller) pushes RTP
 * packets, subscribers on loopback receive them; subscribers belong to tasks and go with them; a
 * subscriber whose port refuses packets (nobody listens: its worker died) is dropped after
 * CR_FORWARD_REFUSED_US, the others go on. */
#include <gst/gst.h>
#include <gst/rtp/rtp.h>

#include "ingest/forward.h"

static GstFlowReturn
sink_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

typedef struct {
  GstPad *src, *sink;
  guint16 seq;
} Source;

static void
source_init (Source *s)
{
  s->src = gst_pad_new ("src", GST_PAD_SRC);
  s->sink = gst_pad_new ("sink", GST_PAD_SINK);
  gst_pad_set_chain_function (s->sink, sink_chain);
  g_assert_true (gst_pad_set_active (s->src, TRUE));
  g_assert_true (gst_pad_set_active (s->sink, TRUE));
  g_assert_cmpint (gst_pad_link (s->src, s->sink), ==, GST_PAD_LINK_OK);
  gst_pad_push_event (s->src, gst_event_new_stream_start ("rtp"));
  gst_pad_push_event (s->src, gst_event_new_caps (gst_caps_from_string (
                                  "application/x-rtp,media=audio,encoding-name=OPUS,"
                                  "clock-rate=48000,payload=111")));
  GstSegment seg;
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_push_event (s->src, gst_event_new_segment (&seg));
}

static void
source_clear (Source *s)
{
  gst_pad_set_active (s->src, FALSE);
  gst_pad_set_active (s->sink, FALSE);
  gst_object_unref (s->src);
  gst_object_unref (s->sink);
}

static void
source_push (Source *s)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (20, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_payload_type (&rtp, 111);
  gst_rtp_buffer_set_seq (&rtp, s->seq++);
  gst_rtp_buffer_set_ssrc (&rtp, 0x1234);
  gst_rtp_buffer_unmap (&rtp);
  g_assert_cmpint (gst_pad_push (s->src, buf), ==, GST_FLOW_OK);
}

/* A UDP socket bound on loopback (a subscriber that listens). */
static GSocket *
bound_socket (guint16 *port)
{
  g_autoptr (GError) error = NULL;
  GSocket *sock
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_assert_true (g_socket_bind (sock, any, FALSE, &error));
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (sock, &error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_socket_set_blocking (sock, FALSE);
  return sock;
}

static guint
drain (GSocket *sock)
{
  guint n = 0;
  char buf[2048];
  while (g_socket_receive (sock, buf, sizeof buf, NULL, NULL) > 0)
    n++;
  return n;
}

static guint
count_task (CrForward *fwd, const char *task)
{
  g_autoptr (GArray) list = cr_forward_list (fwd);
  guint n = 0;
  for (guint i = 0; i < list->len; i++)
    n += g_strcmp0 (g_array_index (list, CrForwardSubscriber, i).task_id, task) == 0;
  return n;
}

static void
test_task_forwards (void)
{
  Source src = { 0 };
  source_init (&src);
  CrForward *fwd = cr_forward_new (src.src, "OPUS", FALSE);
  guint16 pa = 0, pb = 0;
  g_autoptr (GSocket) a = bound_socket (&pa);
  g_autoptr (GSocket) b = bound_socket (&pb);
  g_autoptr (GError) error = NULL;
  guint a1 = cr_forward_add (fwd, pa, 0, "TA", &error);
  g_assert_no_error (error);
  guint a2 = cr_forward_add (fwd, pa, 0, "TA", NULL);
  guint b1 = cr_forward_add (fwd, pb, 0, "TB", NULL);
  guint none = cr_forward_add (fwd, pb, 0, NULL, NULL);
  g_assert_cmpuint (a1 * a2 * b1 * none, >, 0);
  g_assert_cmpuint (cr_forward_subscriber_count (fwd), ==, 4);
  source_push (&src);
  g_usleep (50000);
  g_assert_cmpuint (drain (a), ==, 2);
  g_assert_cmpuint (drain (b), ==, 2);

  g_assert_cmpuint (cr_forward_remove_task (fwd, "TA"), ==, 2);
  g_assert_cmpuint (cr_forward_remove_task (fwd, "TA"), ==, 0);
  g_assert_cmpuint (cr_forward_remove_task (fwd, "nobody"), ==, 0);
  g_assert_cmpuint (count_task (fwd, "TB"), ==, 1);
  g_assert_cmpuint (cr_forward_subscriber_count (fwd), ==, 2); /* TB's and the task-less one */
  source_push (&src);
  g_usleep (50000);
  g_assert_cmpuint (drain (a), ==, 0);
  g_assert_cmpuint (drain (b), ==, 2);
  g_assert_false (cr_forward_remove (fwd, a1));
  g_assert_true (cr_forward_remove (fwd, none));
  g_autoptr (GArray) list = cr_forward_list (fwd);
  g_assert_cmpuint (list->len, ==, 1);
  const CrForwardSubscriber *left = &g_array_index (list, CrForwardSubscriber, 0);
  g_assert_cmpuint (left->id, ==, b1);
  g_assert_cmpuint (left->rtp_port, ==, pb);
  g_assert_cmpuint (left->packets, ==, 2);
  cr_forward_free (fwd);
  source_clear (&src);
}

static void
test_unreachable_dropped (void)
{
  Source src = { 0 };
  source_init (&src);
  CrForward *fwd = cr_forward_new (src.src, "OPUS", FALSE);
  guint16 live_port = 0, dead_port = 0;
  g_autoptr (GSocket) live = bound_socket (&live_port);
  GSocket *dead = bound_socket (&dead_port);
  cr_forward_add (fwd, live_port, 0, "live", NULL);
  cr_forward_add (fwd, dead_port, 0, "dead", NULL);
  source_push (&src);
  g_usleep (20000);
  g_assert_cmpuint (drain (dead), ==, 1);
  g_object_unref (dead); /* the worker dies: its port refuses from now on */

  /* 50 packets a second, as an audio track sends. */
  gint64 start = g_get_monotonic_time ();
  gint64 dropped_after = 0;
  guint received = 0;
  while (g_get_monotonic_time () - start < 4 * G_USEC_PER_SEC) {
    source_push (&src);
    g_usleep (20000);
    received += drain (live);
    if (dropped_after == 0 && count_task (fwd, "dead") == 0)
      dropped_after = g_get_monotonic_time () - start;
  }
  g_test_message ("the refused subscriber was dropped after %.2f s", dropped_after / 1e6);
  g_assert_cmpint (dropped_after, >, CR_FORWARD_REFUSED_US);
  g_assert_cmpuint (count_task (fwd, "live"), ==, 1); /* the listening one stays */
  g_assert_cmpuint (cr_forward_take_dropped (fwd), ==, 1);
  g_assert_cmpuint (cr_forward_take_dropped (fwd), ==, 0);
  g_assert_cmpuint (received, >, 150); /* and lost nothing to the other's errors */
  cr_forward_free (fwd);
  source_clear (&src);
}

static void
count_request (gpointer data)
{
  (*(guint *)data)++;
}

/* A direct forward (the lean engine's): packets pushed as bytes reach every subscriber unchanged,
 * RTCP goes to the RTCP ports, a new subscriber asks for a keyframe through the callback (and the
 * tick repeats it until a keyframe passes), the caps are the given text. */
static void
test_direct (void)
{
  guint requests = 0;
  CrForward *fwd = cr_forward_new_direct ("H264", TRUE, "application/x-rtp, payload=(int)102",
                                          count_request, &requests);
  g_autofree char *caps = cr_forward_caps_string (fwd);
  g_assert_cmpstr (caps, ==, "application/x-rtp, payload=(int)102");
  guint16 rtp_port, rtcp_port;
  g_autoptr (GSocket) rtp = bound_socket (&rtp_port);
  g_autoptr (GSocket) rtcp = bound_socket (&rtcp_port);
  g_autoptr (GError) error = NULL;
  g_assert_cmpuint (cr_forward_add (fwd, rtp_port, rtcp_port, "t1", &error), >, 0);
  g_assert_no_error (error);
  g_assert_cmpuint (requests, ==, 1);
  /* A P-frame slice (NAL 1): still waiting for a keyframe, so the tick asks again. */
  guint8 pkt[16] = { 0x80, 102, 0, 1, 0, 0, 0, 0, 0xca, 0xfe, 0xba, 0xbe, 0x41, 1, 2, 3 };
  cr_forward_push (fwd, pkt, sizeof pkt);
  cr_forward_tick (fwd, NULL, g_get_monotonic_time () + G_USEC_PER_SEC);
  g_assert_cmpuint (requests, ==, 2);
  g_assert_cmphex (cr_forward_ssrc (fwd), ==, 0xcafebabe);
  /* An IDR (NAL 5): the requests stop. */
  pkt[12] = 0x65;
  cr_forward_push (fwd, pkt, sizeof pkt);
  cr_forward_tick (fwd, NULL, g_get_monotonic_time () + 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (requests, ==, 2);
  g_usleep (20000);
  char buf[64];
  gssize n = g_socket_receive (rtp, buf, sizeof buf, NULL, NULL);
  g_assert_cmpint (n, ==, sizeof pkt);
  g_assert_cmpuint ((guint8)buf[12], ==, 0x41);
  g_assert_cmpuint (drain (rtp), ==, 1);
  g_assert_cmpuint (cr_forward_bytes (fwd), ==, 2 * sizeof pkt);
  static const guint8 sr[8] = { 0x80, 200, 0, 1, 0xca, 0xfe, 0xba, 0xbe };
  cr_forward_push_rtcp (fwd, sr, sizeof sr);
  g_usleep (20000);
  g_assert_cmpint (g_socket_receive (rtcp, buf, sizeof buf, NULL, NULL), ==, sizeof sr);
  /* Not RTP (version 0): dropped. */
  pkt[0] = 0;
  cr_forward_push (fwd, pkt, sizeof pkt);
  g_usleep (20000);
  g_assert_cmpuint (drain (rtp), ==, 0);
  cr_forward_free (fwd);
}

/* The sequence number of the next RTP packet on @sock (waited for up to a second), or -1. */
static int
next_seq (GSocket *sock, gsize *len)
{
  guint8 buf[2048];
  if (!g_socket_condition_timed_wait (sock, G_IO_IN, G_USEC_PER_SEC, NULL, NULL))
    return -1;
  gssize n = g_socket_receive_with_blocking (sock, (char *)buf, sizeof buf, FALSE, NULL, NULL);
  if (n < 12)
    return -1;
  if (len != NULL)
    *len = (gsize)n;
  return buf[2] << 8 | buf[3];
}

/* Nothing arrives on @sock within 50 ms. */
static void
assert_nothing (GSocket *sock)
{
  g_assert_false (g_socket_condition_timed_wait (sock, G_IO_IN, 50000, NULL, NULL));
}

/* An audio packet of @len bytes with sequence number @seq. */
static void
push_audio (CrForward *fwd, guint16 seq, gsize len)
{
  guint8 pkt[1600] = { 0x80, 111, (guint8)(seq >> 8), (guint8)seq, 0, 0, 0, 0, 0, 0, 0x12, 0x34 };
  g_assert_cmpuint (len, <=, sizeof pkt);
  cr_forward_push (fwd, pkt, len);
}

/* A grouped audio forward (cr_forward_set_group): the first packet after a silence goes at once,
 * then packets wait until the group is whole and go in order; a flush sends what waits; a packet
 * too big to hold goes at once after what waits; freeing the forward sends the rest; video is
 * never held. */
static void
test_direct_grouped (void)
{
  guint requests = 0;
  CrForward *fwd
      = cr_forward_new_direct ("OPUS", FALSE, "application/x-rtp", count_request, &requests);
  cr_forward_set_group (fwd, 3);
  guint16 port;
  g_autoptr (GSocket) rtp = bound_socket (&port);
  g_assert_cmpuint (cr_forward_add (fwd, port, 0, "t1", NULL), >, 0);
  g_assert_cmpint (cr_forward_held_since (fwd), ==, 0);
  push_audio (fwd, 1, 100); /* the stream's first */
  g_assert_cmpint (next_seq (rtp, NULL), ==, 1);
  g_assert_cmpint (cr_forward_held_since (fwd), ==, 0);
  gint64 before = g_get_monotonic_time ();
  push_audio (fwd, 2, 100);
  push_audio (fwd, 3, 100);
  assert_nothing (rtp);
  g_assert_cmpint (cr_forward_held_since (fwd), >=, before);
  g_assert_cmpuint (cr_forward_bytes (fwd), ==, 300); /* counted when they came */
  push_audio (fwd, 4, 100);
  for (int seq = 2; seq <= 4; seq++)
    g_assert_cmpint (next_seq (rtp, NULL), ==, seq);
  assert_nothing (rtp);
  g_assert_cmpint (cr_forward_held_since (fwd), ==, 0);
  /* the session's timer: one waiting packet goes */
  push_audio (fwd, 5, 100);
  assert_nothing (rtp);
  cr_forward_flush (fwd);
  g_assert_cmpint (next_seq (rtp, NULL), ==, 5);
  g_assert_cmpint (cr_forward_held_since (fwd), ==, 0);
  /* too big for a slot: what waits, then it */
  push_audio (fwd, 6, 100);
  push_audio (fwd, 7, CR_FORWARD_HELD_BYTES + 1);
  gsize len = 0;
  g_assert_cmpint (next_seq (rtp, &len), ==, 6);
  g_assert_cmpint (next_seq (rtp, &len), ==, 7);
  g_assert_cmpuint (len, ==, CR_FORWARD_HELD_BYTES + 1);
  /* after a silence longer than a packet may wait, the next one goes at once */
  g_usleep (CR_FORWARD_HOLD_US + 50000);
  push_audio (fwd, 8, 100);
  g_assert_cmpint (next_seq (rtp, NULL), ==, 8);
  /* the end of the sound is not lost with the forward */
  push_audio (fwd, 9, 100);
  assert_nothing (rtp);
  cr_forward_free (fwd);
  g_assert_cmpint (next_seq (rtp, NULL), ==, 9);
  assert_nothing (rtp);

  CrForward *video
      = cr_forward_new_direct ("H264", TRUE, "application/x-rtp", count_request, &requests);
  cr_forward_set_group (video, 3);
  g_assert_cmpuint (cr_forward_add (video, port, 0, "t1", NULL), >, 0);
  guint8 pkt[16] = { 0x80, 102, 0, 9, 0, 0, 0, 0, 0xca, 0xfe, 0xba, 0xbe, 0x41, 1, 2, 3 };
  cr_forward_push (video, pkt, sizeof pkt);
  g_assert_cmpint (next_seq (rtp, NULL), ==, 9);
  g_assert_cmpint (cr_forward_held_since (video), ==, 0);
  cr_forward_free (video);
}

/* A subscriber that joins a grouped forward gets its first packet at once (what waited goes to
 * the others only: it would reach the newcomer late, and a jitter buffer's clock starts at its
 * first packet's arrival), then the groups with everyone. */
static void
test_direct_grouped_newcomer (void)
{
  CrForward *fwd = cr_forward_new_direct ("OPUS", FALSE, "application/x-rtp", NULL, NULL);
  cr_forward_set_group (fwd, 3);
  guint16 port_a, port_b;
  g_autoptr (GSocket) a = bound_socket (&port_a);
  g_autoptr (GSocket) b = bound_socket (&port_b);
  g_assert_cmpuint (cr_forward_add (fwd, port_a, 0, "t1", NULL), >, 0);
  push_audio (fwd, 1, 100);
  g_assert_cmpint (next_seq (a, NULL), ==, 1);
  push_audio (fwd, 2, 100);
  push_audio (fwd, 3, 100);
  assert_nothing (a);
  g_assert_cmpuint (cr_forward_add (fwd, port_b, 0, "t2", NULL), >, 0);
  push_audio (fwd, 4, 100);
  for (int seq = 2; seq <= 4; seq++)
    g_assert_cmpint (next_seq (a, NULL), ==, seq);
  g_assert_cmpint (next_seq (b, NULL), ==, 4);
  assert_nothing (b);
  g_assert_cmpint (cr_forward_held_since (fwd), ==, 0);
  /* grouped again, for both */
  push_audio (fwd, 5, 100);
  push_audio (fwd, 6, 100);
  assert_nothing (b);
  push_audio (fwd, 7, 100);
  for (int seq = 5; seq <= 7; seq++) {
    g_assert_cmpint (next_seq (a, NULL), ==, seq);
    g_assert_cmpint (next_seq (b, NULL), ==, seq);
  }
  cr_forward_free (fwd);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/forward/task", test_task_forwards);
  g_test_add_func ("/forward/unreachable", test_unreachable_dropped);
  g_test_add_func ("/forward/direct", test_direct);
  g_test_add_func ("/forward/direct-grouped", test_direct_grouped);
  g_test_add_func ("/forward/direct-grouped-newcomer", test_direct_grouped_newcomer);
  return g_test_run ();
}
