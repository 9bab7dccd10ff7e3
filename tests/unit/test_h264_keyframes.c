/* cr_h264_access_unit_is_idr: IDR slices found in byte-stream (3- and 4-byte start codes) and
 * length-prefixed access units; a scene cut's non-IDR I picture, SPS/PPS alone and truncated or
 * empty data are not IDR. */
#include <glib.h>

#include "media/h264_keyframes.h"

static void
test_byte_stream (void)
{
  /* AUD, SPS, PPS, IDR slice: x264's keyframe */
  static const guint8 idr[] = { 0, 0, 0, 1,    0x09, 0xf0, 0, 0, 0,    1,    0x67, 0x64,
                                0, 0, 1, 0x68, 0xee, 0,    0, 1, 0x65, 0x88, 0x84 };
  g_assert_true (cr_h264_access_unit_is_idr (idr, sizeof idr, 0));
  /* AUD, a non-IDR slice (an I picture at a scene cut looks the same at this level) */
  static const guint8 cut[] = { 0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x41, 0x9a, 0x21 };
  g_assert_false (cr_h264_access_unit_is_idr (cut, sizeof cut, 0));
  /* parameter sets without a picture; a start code at the very end; nothing */
  static const guint8 sets[] = { 0, 0, 1, 0x67, 0x64, 0, 0, 1, 0x68, 0xee, 0, 0, 1 };
  g_assert_false (cr_h264_access_unit_is_idr (sets, sizeof sets, 0));
  g_assert_false (cr_h264_access_unit_is_idr (NULL, 0, 0));
  /* an IDR header byte inside a slice's data is not a NAL unit */
  static const guint8 inside[] = { 0, 0, 1, 0x41, 0x65, 0x65, 0x00, 0x65 };
  g_assert_false (cr_h264_access_unit_is_idr (inside, sizeof inside, 0));
}

static void
test_length_prefixed (void)
{
  /* 4-byte lengths: an SEI of 2 bytes, then an IDR slice of 3 */
  static const guint8 idr[] = { 0, 0, 0, 2, 0x06, 0x05, 0, 0, 0, 3, 0x65, 0x88, 0x84 };
  g_assert_true (cr_h264_access_unit_is_idr (idr, sizeof idr, 4));
  static const guint8 cut[] = { 0, 0, 0, 3, 0x41, 0x9a, 0x21 };
  g_assert_false (cr_h264_access_unit_is_idr (cut, sizeof cut, 4));
  /* 2-byte lengths */
  static const guint8 two[] = { 0, 1, 0x09, 0, 2, 0x25, 0x88 };
  g_assert_true (cr_h264_access_unit_is_idr (two, sizeof two, 2));
  /* a length past the end, a zero length: read no further, no crash */
  static const guint8 bad[] = { 0, 0, 0, 200, 0x41, 0x9a };
  g_assert_false (cr_h264_access_unit_is_idr (bad, sizeof bad, 4));
  static const guint8 zero[] = { 0, 0, 0, 0, 0x41, 0, 0, 0, 1, 0x65 };
  g_assert_false (cr_h264_access_unit_is_idr (zero, sizeof zero, 4));
  static const guint8 short_len[] = { 0, 0 };
  g_assert_false (cr_h264_access_unit_is_idr (short_len, sizeof short_len, 4));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/h264-keyframes/byte-stream", test_byte_stream);
  g_test_add_func ("/h264-keyframes/length-prefixed", test_length_prefixed);
  return g_test_run ();
}
