/* Still pictures: PNG and JPEG decoded and fitted (stretch, crop, letterbox), text rasterised on
 * its box, and hostile files refused before decoding. */
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>

#include "mix/layout.h"
#include "mix/picture.h"
#include "gst_run.h"

/* A @w x @h file of the encoder @enc with the left half red and the right half blue. */
static char *
make_image (const char *dir, const char *name, const char *enc, int w, int h)
{
  char *path = g_build_filename (dir, name, NULL);
  /* Two halves: a red picture padded on the right with a blue one through compositor. */
  g_autofree char *comp = g_strdup_printf (
      "compositor name=c sink_1::xpos=%d ! video/x-raw,format=RGBA,width=%d,height=%d ! "
      "videoconvert ! %s ! filesink location=\"%s\" "
      "videotestsrc num-buffers=1 pattern=solid-color foreground-color=0xffff0000 ! "
      "video/x-raw,format=RGBA,width=%d,height=%d ! c. "
      "videotestsrc num-buffers=1 pattern=solid-color foreground-color=0xff0000ff ! "
      "video/x-raw,format=RGBA,width=%d,height=%d ! c.",
      w / 2, w, h, enc, path, w / 2, h, w - w / 2, h);
  GError *error = NULL;
  GstElement *p = gst_parse_launch (comp, &error);
  g_assert_no_error (error);
  cr_test_play_to_eos (p, 10);
  gst_object_unref (p);
  return path;
}

static const guint8 *
px (const CrPicture *p, int x, int y)
{
  return (const guint8 *)g_bytes_get_data (p->rgba, NULL) + ((gsize)y * p->width + x) * 4;
}

static void
assert_px (const CrPicture *p, int x, int y, int r, int g, int b, int a)
{
  const guint8 *v = px (p, x, y);
  int tol = 24;
  if (ABS (v[0] - r) > tol || ABS (v[1] - g) > tol || ABS (v[2] - b) > tol || ABS (v[3] - a) > tol)
    g_error ("pixel (%d,%d) is %d,%d,%d,%d, expected %d,%d,%d,%d", x, y, v[0], v[1], v[2], v[3], r,
             g, b, a);
}

static void
test_fit (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cloudrec-picture-XXXXXX", NULL);
  /* 160x90: red left half, blue right half. */
  g_autofree char *png = make_image (dir, "a.png", "pngenc", 160, 90);
  g_autoptr (GError) error = NULL;
  /* Stretch into 100x100: halves stay halves. */
  g_autoptr (CrPicture) s = cr_picture_fit (png, 100, 100, CR_RENDER_STRETCH, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s->width, ==, 100);
  g_assert_cmpint (s->height, ==, 100);
  assert_px (s, 10, 50, 255, 0, 0, 255);
  assert_px (s, 90, 50, 0, 0, 255, 255);
  /* Letterbox into 100x100: a 100x56 picture centred, transparent above and below. */
  g_autoptr (CrPicture) l = cr_picture_fit (png, 100, 100, CR_RENDER_LETTERBOX, &error);
  g_assert_no_error (error);
  assert_px (l, 50, 5, 0, 0, 0, 0);
  assert_px (l, 50, 95, 0, 0, 0, 0);
  assert_px (l, 10, 50, 255, 0, 0, 255);
  assert_px (l, 90, 50, 0, 0, 255, 255);
  /* Crop into 45x90 (1:2): the middle 45 columns of the source, half red, half blue. */
  g_autoptr (CrPicture) c = cr_picture_fit (png, 45, 90, CR_RENDER_CROP, &error);
  g_assert_no_error (error);
  assert_px (c, 5, 45, 255, 0, 0, 255);
  assert_px (c, 40, 45, 0, 0, 255, 255);
  /* JPEG too. */
  g_autofree char *jpg = make_image (dir, "a.jpg", "jpegenc", 160, 90);
  g_autoptr (CrPicture) j = cr_picture_fit (jpg, 80, 45, CR_RENDER_STRETCH, &error);
  g_assert_no_error (error);
  assert_px (j, 10, 20, 255, 0, 0, 255);
  assert_px (j, 70, 20, 0, 0, 255, 255);
  g_remove (png);
  g_remove (jpg);
  g_rmdir (dir);
}

static void
test_refused (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cloudrec-picture-XXXXXX", NULL);
  g_autofree char *text = g_build_filename (dir, "x.png", NULL);
  g_file_set_contents (text, "<html>not a picture</html>", -1, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_null (cr_picture_fit (text, 10, 10, CR_RENDER_CROP, &error));
  g_assert_nonnull (strstr (error->message, "not a PNG or JPEG"));
  g_clear_error (&error);
  /* A PNG header claiming 100000x100000 pixels: refused before anything is decoded. */
  static const guint8 huge[]
      = { 0x89, 'P', 'N', 'G',  '\r', '\n', 0x1a, '\n', 0,    0, 0, 13, 'I', 'H', 'D',
          'R',  0,   1,   0x86, 0xa0, 0,    1,    0x86, 0xa0, 8, 6, 0,  0,   0 };
  g_file_set_contents (text, (const char *)huge, sizeof huge, NULL);
  g_assert_null (cr_picture_fit (text, 10, 10, CR_RENDER_CROP, &error));
  g_assert_nonnull (strstr (error->message, "100000x100000"));
  g_clear_error (&error);
  /* A truncated PNG: a decoding error, not a crash. */
  guint8 small[sizeof huge];
  memcpy (small, huge, sizeof huge);
  small[18] = 0, small[19] = 16, small[22] = 0, small[23] = 16;
  g_file_set_contents (text, (const char *)small, sizeof small, NULL);
  g_assert_null (cr_picture_fit (text, 10, 10, CR_RENDER_CROP, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_null (cr_picture_fit ("/nonexistent.png", 10, 10, CR_RENDER_CROP, &error));
  g_assert_nonnull (error);
  g_remove (text);
  g_rmdir (dir);
}

static void
test_text (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrPicture) t
      = cr_picture_text ("cloudrec <&>", "Sans", 24, 0xffffffff, 0xffff0000, 200, 40, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->width, ==, 200);
  g_assert_cmpint (t->height, ==, 40);
  assert_px (t, 195, 35, 255, 0, 0, 255); /* the box, right of the text */
  int white = 0;
  for (int y = 0; y < 40; y++)
    for (int x = 0; x < 200; x++)
      white += px (t, x, y)[0] > 200 && px (t, x, y)[1] > 200 && px (t, x, y)[2] > 200;
  g_assert_cmpint (white, >, 50);
  /* Transparent box: only the text is opaque. */
  g_autoptr (CrPicture) clear = cr_picture_text ("x", "Sans", 24, 0xff00ff00, 0, 60, 40, &error);
  g_assert_no_error (error);
  assert_px (clear, 55, 35, 0, 0, 0, 0);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/picture/fit", test_fit);
  g_test_add_func ("/picture/refused", test_refused);
  g_test_add_func ("/picture/text", test_text);
  return g_test_run ();
}
