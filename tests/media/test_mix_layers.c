/* The mix's compositor without a daemon: two H.264 inputs of solid colours sent as RTP over
 * loopback into cr_mix_add_input()'s ports, a solid rectangle and an opaque picture watermark,
 * laid out by cr_mix_set_layers(), and a picture tile added once the mix runs (its compositor
 * pad's caps then already fixed); the HLS written by cr_mix_finish(), decoded, shows each colour
 * at its tile's centre and 2 px inside each of its edges, and the background colour 2 px outside
 * them and elsewhere on the canvas. One sender stops a second before the end: its tile is still
 * in the very last picture (docs/mixing.md, "the last picture keeps every tile"). */
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <stdlib.h>
#include <string.h>

#include "files/playlist.h"
#include "mix/mix_pipeline.h"

#define WIDTH 320
#define HEIGHT 180
#define SEND_S 3      /* of both inputs mixed */
#define MAX_WAIT_S 20 /* for them to arrive, on a busy machine */
#define RTP_CAPS "application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96"

#define BLUE 0x0000ff /* the background */
#define RED 0xff0000
#define GREEN 0x00ff00
#define YELLOW 0xffff00
#define MAGENTA 0xff00ff
#define CYAN 0x00ffff

static const CrRect red_tile = { 20, 20, 100, 60 };
static const CrRect green_tile = { 180, 20, 100, 60 };
static const CrRect yellow_tile = { 20, 110, 100, 50 };
static const CrRect mark_tile = { 200, 110, 60, 40 };
static const CrRect cyan_tile = { 135, 115, 50, 40 };

static void
on_segment (const CrSegment *segment, gboolean first, gpointer data)
{
  (*(guint *)data)++;
}

/* A sender of @rgb pictures as H.264 RTP to 127.0.0.1:@port. */
static GstElement *
sender (guint32 rgb, guint16 port)
{
  g_autofree char *desc
      = g_strdup_printf ("videotestsrc is-live=true pattern=solid-color foreground-color=0x%08x ! "
                         "video/x-raw,width=160,height=90,framerate=10/1 ! "
                         "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 ! "
                         "rtph264pay pt=96 config-interval=1 ! udpsink host=127.0.0.1 port=%u",
                         0xff000000u | rgb, port);
  GError *error = NULL;
  GstElement *p = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gst_element_set_state (p, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  return p;
}

static gboolean
near (const guint8 *px, guint32 rgb)
{
  const int want[3] = { rgb >> 16, (rgb >> 8) & 0xff, rgb & 0xff };
  for (int c = 0; c < 3; c++)
    if (abs (px[c] - want[c]) > 48)
      return FALSE;
  return TRUE;
}

static const guint8 *
pixel (GstVideoFrame *f, int x, int y)
{
  const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (f, 0);
  return data + y * GST_VIDEO_FRAME_PLANE_STRIDE (f, 0) + x * 3;
}

static void
assert_pixel (GstVideoFrame *f, int x, int y, guint32 rgb)
{
  const guint8 *px = pixel (f, x, y);
  if (!near (px, rgb))
    g_error ("pixel (%d, %d) is %02x%02x%02x, not %06x", x, y, px[0], px[1], px[2], rgb);
}

/* @rgb at @r's centre and 2 px inside each edge (at the middle of the edge and the corners);
 * the background 2 px outside each edge. */
static void
assert_tile (GstVideoFrame *f, CrRect r, guint32 rgb)
{
  int cx = r.x + r.width / 2, cy = r.y + r.height / 2;
  int left = r.x + 2, right = r.x + r.width - 3, top = r.y + 2, bottom = r.y + r.height - 3;
  assert_pixel (f, cx, cy, rgb);
  assert_pixel (f, left, cy, rgb);
  assert_pixel (f, right, cy, rgb);
  assert_pixel (f, cx, top, rgb);
  assert_pixel (f, cx, bottom, rgb);
  assert_pixel (f, left, top, rgb);
  assert_pixel (f, right, bottom, rgb);
  assert_pixel (f, r.x - 3, cy, BLUE);
  assert_pixel (f, r.x + r.width + 2, cy, BLUE);
  assert_pixel (f, cx, r.y - 3, BLUE);
  assert_pixel (f, cx, r.y + r.height + 2, BLUE);
}

/* @sample shows each layer's colour at its tile's centre. */
static void
assert_every_layer_shows (GstSample *sample)
{
  const struct {
    CrRect r;
    guint32 rgb;
  } layers[] = { { red_tile, RED }, { green_tile, GREEN }, { yellow_tile, YELLOW },
                 { cyan_tile, CYAN } };
  GstVideoInfo info;
  GstVideoFrame f;
  g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  g_assert_true (gst_video_frame_map (&f, &info, gst_sample_get_buffer (sample), GST_MAP_READ));
  for (guint i = 0; i < G_N_ELEMENTS (layers); i++)
    assert_pixel (&f, layers[i].r.x + layers[i].r.width / 2, layers[i].r.y + layers[i].r.height / 2,
                  layers[i].rgb);
  gst_video_frame_unmap (&f);
}

/* Of the pictures of @path (a TS segment) in which both inputs show at their tiles' centres, the
 * middle one (every layer is there by then, none has ended yet), as RGB; NULL if none. Every
 * picture is of the canvas's size. The very last picture still shows every layer at its centre:
 * the layers that ended first hold their last frame while the others drain. */
static GstSample *
last_mixed_picture (const char *path)
{
  g_autofree char *desc
      = g_strdup_printf ("filesrc location=\"%s\" ! tsdemux ! h264parse ! avdec_h264 ! "
                         "videoconvert ! video/x-raw,format=RGB ! appsink name=out sync=false",
                         path);
  GError *error = NULL;
  GstElement *p = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  GstElement *out = gst_bin_get_by_name (GST_BIN (p), "out");
  gst_element_set_state (p, GST_STATE_PLAYING);
  g_autoptr (GPtrArray) mixed = g_ptr_array_new_with_free_func ((GDestroyNotify)gst_sample_unref);
  GstSample *sample;
  guint pictures = 0;
  gboolean background = FALSE;
  GstSample *last = NULL;
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (out), 60 * GST_SECOND)) != NULL) {
    pictures++;
    GstVideoInfo info;
    GstVideoFrame f;
    g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
    g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&info), ==, WIDTH);
    g_assert_cmpint (GST_VIDEO_INFO_HEIGHT (&info), ==, HEIGHT);
    g_assert_true (gst_video_frame_map (&f, &info, gst_sample_get_buffer (sample), GST_MAP_READ));
    gboolean both
        = near (pixel (&f, red_tile.x + red_tile.width / 2, red_tile.y + red_tile.height / 2), RED)
          && near (
              pixel (&f, green_tile.x + green_tile.width / 2, green_tile.y + green_tile.height / 2),
              GREEN);
    /* Once shown, the background colour stays to the last picture (its source is ended first at
     * cr_mix_finish). The very first picture may come before the background's first frame. */
    if (background)
      assert_pixel (&f, 4, 4, BLUE);
    background = near (pixel (&f, 4, 4), BLUE);
    gst_video_frame_unmap (&f);
    if (last != NULL)
      gst_sample_unref (last);
    last = gst_sample_ref (sample);
    if (both)
      g_ptr_array_add (mixed, sample);
    else
      gst_sample_unref (sample);
  }
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (out);
  gst_object_unref (p);
  g_assert_cmpuint (pictures, >, 0);
  g_assert_true (background);
  assert_every_layer_shows (last);
  gst_sample_unref (last);
  return mixed->len > 0 ? gst_sample_ref (g_ptr_array_index (mixed, mixed->len / 2)) : NULL;
}

static void
test_tiles (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cr-mix-XXXXXX", NULL);
  g_autoptr (CrPlaylist) pl = cr_playlist_new (NULL, NULL, TRUE, -1, g_get_real_time () / 1000);
  CrMixOptions o = {
    .dir = dir,
    .stem = "mix",
    .playlist = pl,
    .video = TRUE,
    .width = WIDTH,
    .height = HEIGHT,
    .fps = 10,
    .video_bitrate = 1000000,
    .gop_s = 1,
    .background_rgb = BLUE,
    .timestamp_pos = -1,
  };
  guint segments = 0;
  GError *error = NULL;
  CrMix *mix = cr_mix_new (&o, on_segment, &segments, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mix);
  /* red as a lean session's forward (reordered by a jitter buffer), green as webrtcbin's */
  guint16 red_port = cr_mix_add_input (mix, "red", RTP_CAPS, TRUE, TRUE, &error);
  g_assert_no_error (error);
  guint16 green_port = cr_mix_add_input (mix, "green", RTP_CAPS, TRUE, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (red_port, >, 0);
  g_assert_cmpuint (green_port, >, 0);

  /* An opaque magenta watermark, drawn over the finished picture. */
  gsize size = (gsize)mark_tile.width * mark_tile.height * 4;
  guint8 *rgba = g_malloc (size);
  for (gsize i = 0; i < size; i += 4)
    rgba[i] = 0xff, rgba[i + 1] = 0x00, rgba[i + 2] = 0xff, rgba[i + 3] = 0xff;
  CrPicture mark = { mark_tile.width, mark_tile.height, g_bytes_new_take (rgba, size) };
  gsize cyan_size = (gsize)cyan_tile.width * cyan_tile.height * 4;
  guint8 *cyan_rgba = g_malloc (cyan_size);
  for (gsize i = 0; i < cyan_size; i += 4)
    cyan_rgba[i] = 0x00, cyan_rgba[i + 1] = 0xff, cyan_rgba[i + 2] = 0xff, cyan_rgba[i + 3] = 0xff;
  CrPicture cyan = { cyan_tile.width, cyan_tile.height, g_bytes_new_take (cyan_rgba, cyan_size) };
  const CrMixLayer layers[] = {
    { .kind = CR_MIX_LAYER_INPUT, .id = "red", .rect = red_tile },
    { .kind = CR_MIX_LAYER_INPUT, .id = "green", .rect = green_tile },
    { .kind = CR_MIX_LAYER_COLOR, .id = "yellow", .rect = yellow_tile, .argb = YELLOW },
    { .kind = CR_MIX_LAYER_PICTURE,
      .id = "mark",
      .rect = mark_tile,
      .over = TRUE,
      .picture = &mark },
  };
  cr_mix_set_layers (mix, layers, G_N_ELEMENTS (layers));
  /* The same and a picture tile (a placeholder's), added while the mix runs. */
  CrMixLayer later[G_N_ELEMENTS (layers) + 1];
  memcpy (later, layers, sizeof layers);
  later[G_N_ELEMENTS (layers)]
      = (CrMixLayer){ .kind = CR_MIX_LAYER_PICTURE, .id = "cyan", .rect = cyan_tile, .picture = &cyan };
  gboolean added = FALSE, red_sending = TRUE;

  GstElement *red = sender (RED, red_port), *green = sender (GREEN, green_port);
  /* Both inputs received for SEND_S seconds (the mix's bus watch runs meanwhile). */
  gint64 start = g_get_monotonic_time (), both_us = 0;
  for (;;) {
    gint64 now = g_get_monotonic_time ();
    if (both_us == 0 && cr_mix_input_last_packet_us (mix, "red") > 0
        && cr_mix_input_last_packet_us (mix, "green") > 0)
      both_us = now;
    if (both_us != 0 && !added && now - both_us > G_USEC_PER_SEC) {
      cr_mix_set_layers (mix, later, G_N_ELEMENTS (later));
      added = TRUE;
    }
    /* Red stops a second before the end: its EOS then reaches the compositor with nothing
     * queued, while green's last frames still wait out the compositor's latency. */
    if (both_us != 0 && red_sending && now - both_us > (SEND_S - 1) * G_USEC_PER_SEC) {
      gst_element_set_state (red, GST_STATE_NULL);
      red_sending = FALSE;
    }
    if ((both_us != 0 && now - both_us > SEND_S * G_USEC_PER_SEC)
        || now - start > MAX_WAIT_S * G_USEC_PER_SEC)
      break;
    g_main_context_iteration (NULL, FALSE) || (g_usleep (10000), TRUE);
  }
  g_assert_cmpint (cr_mix_input_last_packet_us (mix, "red"), >, 0);
  g_assert_cmpint (cr_mix_input_last_packet_us (mix, "green"), >, 0);
  cr_mix_finish (mix);
  gst_element_set_state (red, GST_STATE_NULL);
  gst_element_set_state (green, GST_STATE_NULL);
  gst_object_unref (red);
  gst_object_unref (green);
  g_bytes_unref (mark.rgba);
  g_bytes_unref (cyan.rgba);

  g_assert_true (pl->ended);
  g_assert_cmpuint (pl->segments->len, >=, 1);
  g_assert_cmpuint (segments, ==, pl->segments->len);
  const CrSegment *s = g_ptr_array_index (pl->segments, pl->segments->len - 1);
  g_autofree char *path = g_build_filename (dir, s->uri, NULL);
  GstSample *sample = last_mixed_picture (path);
  g_assert_nonnull (sample);
  GstVideoInfo info;
  GstVideoFrame f;
  g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  g_assert_true (gst_video_frame_map (&f, &info, gst_sample_get_buffer (sample), GST_MAP_READ));
  assert_tile (&f, red_tile, RED);
  assert_tile (&f, green_tile, GREEN);
  assert_tile (&f, yellow_tile, YELLOW);
  assert_tile (&f, mark_tile, MAGENTA);
  assert_tile (&f, cyan_tile, CYAN);
  assert_pixel (&f, 150, 90, BLUE);
  assert_pixel (&f, WIDTH - 5, HEIGHT - 5, BLUE);
  assert_pixel (&f, 4, 4, BLUE);
  gst_video_frame_unmap (&f);
  gst_sample_unref (sample);

  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree char *file = g_build_filename (dir, name, NULL);
    g_unlink (file);
  }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/mix_layers/tiles", test_tiles);
  return g_test_run ();
}
