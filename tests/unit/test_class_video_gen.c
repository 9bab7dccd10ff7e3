/* Video-generation tasks' pure pieces (src/tiw/class_video_gen_span.c): a stream's playlist moved
 * onto the board clock for compose, and the MixStream layout with the board as the tic_record_user
 * input. */
#include <string.h>

#include "common/json_util.h"
#include "tiw/class_state.h"
#include "tiw/class_video_gen.h"

static const char *playlist = "#EXTM3U\n"
                              "#EXT-X-VERSION:3\n"
                              "#EXT-X-TRTC-START-REC-TIME:1700000000000\n"
                              "#EXT-X-TRTC-USER-ID:student\n"
                              "#EXT-X-TRTC-FILE-ATTR:1700000000125,123456\n"
                              "#EXTINF:10.000,\n"
                              "1400000001_1__UserId_s_c3R1ZGVudA__UserId_e_main_av_1.ts\n"
                              "#EXT-X-DISCONTINUITY\n"
                              "#EXT-X-TRTC-FILE-ATTR:1700000030000,99\n"
                              "#EXTINF:4.500,\n"
                              "sub/seg_2.ts\n"
                              "#EXT-X-ENDLIST\n";

static void
test_shift_playlist (void)
{
  g_autoptr (GPtrArray) segs = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = cr_class_video_gen_shift_playlist (playlist, -3010, "s1_", segs);
  g_assert_cmpstr (out, ==,
                   "#EXTM3U\n"
                   "#EXT-X-VERSION:3\n"
                   "#EXT-X-TRTC-START-REC-TIME:1699999996990\n"
                   "#EXT-X-TRTC-USER-ID:student\n"
                   "#EXT-X-TRTC-FILE-ATTR:1699999997115,123456\n"
                   "#EXTINF:10.000,\n"
                   "s1_1400000001_1__UserId_s_c3R1ZGVudA__UserId_e_main_av_1.ts\n"
                   "#EXT-X-DISCONTINUITY\n"
                   "#EXT-X-TRTC-FILE-ATTR:1700000026990,99\n"
                   "#EXTINF:4.500,\n"
                   "s1_seg_2.ts\n"
                   "#EXT-X-ENDLIST\n");
  g_assert_cmpuint (segs->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (segs, 0), ==,
                   "1400000001_1__UserId_s_c3R1ZGVudA__UserId_e_main_av_1.ts");
  g_assert_cmpstr (g_ptr_array_index (segs, 1), ==, "sub/seg_2.ts");
  /* no shift: the same times */
  g_autofree char *same = cr_class_video_gen_shift_playlist (playlist, 0, "", NULL);
  g_assert_nonnull (strstr (same, "#EXT-X-TRTC-FILE-ATTR:1700000000125,123456\n"));
  g_assert_nonnull (strstr (same, "\nseg_2.ts\n"));
}

static JsonObject *
parse (const char *text)
{
  JsonObject *o = cr_json_parse_object (text, strlen (text), NULL);
  g_assert_nonnull (o);
  return o;
}

static void
test_mix_params (void)
{
  const char *board = "tic_record_user_1234_7";
  /* ModelId 1: the board big */
  g_autoptr (JsonObject) m1
      = parse ("{\"RoomId\":1234,\"MixStream\":{\"Enabled\":true,\"ModelId\":1,"
               "\"TeacherId\":\"teacher\"}}");
  g_autoptr (JsonObject) p1 = cr_class_video_gen_mix_params (m1, board);
  JsonObject *l1 = cr_json_get_object (p1, "MixLayoutParams");
  g_assert_cmpstr (cr_json_get_string (l1, "MaxResolutionUserId"), ==, board);
  g_assert_nonnull (cr_json_get_object (p1, "MixTranscodeParams"));
  /* no MixStream: ModelId 1's layout */
  g_autoptr (JsonObject) m0 = parse ("{\"RoomId\":1234}");
  g_autoptr (JsonObject) p0 = cr_class_video_gen_mix_params (m0, board);
  g_assert_cmpstr (
      cr_json_get_string (cr_json_get_object (p0, "MixLayoutParams"), "MaxResolutionUserId"), ==,
      board);
  /* ModelId 2: the grid; the board is one tile like any stream */
  g_autoptr (JsonObject) m2
      = parse ("{\"RoomId\":1234,\"MixStream\":{\"Enabled\":true,\"ModelId\":2}}");
  g_autoptr (JsonObject) p2 = cr_class_video_gen_mix_params (m2, board);
  JsonObject *l2 = cr_json_get_object (p2, "MixLayoutParams");
  g_assert_null (cr_json_get_string (l2, "MaxResolutionUserId"));
  g_assert_cmpint (cr_json_get_int_or (l2, "MixLayoutMode", 0), ==, cr_class_model_layout (2));
  /* Custom: tic_record_user's tile shows exactly the board; tic_substream's stays empty */
  g_autoptr (JsonObject) mc = parse (
      "{\"RoomId\":1234,\"MixStream\":{\"Enabled\":true,\"Custom\":{\"Canvas\":{\"LayoutParams\":"
      "{\"Width\":1280,\"Height\":720}},\"InputStreamList\":["
      "{\"InputStreamId\":\"teacher\",\"LayoutParams\":{\"X\":0,\"Y\":0,\"Width\":640,\"Height\":"
      "360}},"
      "{\"InputStreamId\":\"tic_record_user\",\"LayoutParams\":{\"X\":640,\"Y\":0,\"Width\":640,"
      "\"Height\":360,\"ZOrder\":2}},"
      "{\"InputStreamId\":\"tic_substream\",\"LayoutParams\":{\"X\":0,\"Y\":360,\"Width\":640,"
      "\"Height\":360}}]}}}");
  g_autoptr (JsonObject) pc = cr_class_video_gen_mix_params (mc, board);
  JsonObject *lc = cr_json_get_object (pc, "MixLayoutParams");
  g_assert_cmpint (cr_json_get_int_or (lc, "MixLayoutMode", 0), ==, 4);
  JsonArray *tiles = cr_json_get_array (lc, "MixLayoutList");
  g_assert_cmpuint (json_array_get_length (tiles), ==, 3);
  g_assert_cmpstr (cr_json_get_string (json_array_get_object_element (tiles, 0), "UserId"), ==,
                   "teacher");
  JsonObject *bt = json_array_get_object_element (tiles, 1);
  g_assert_cmpstr (cr_json_get_string (bt, "UserId"), ==, board);
  g_assert_cmpint (cr_json_get_int_or (bt, "Left", -1), ==, 640);
  g_assert_cmpint (cr_json_get_int_or (bt, "ImageLayer", -1), ==, 2);
  g_assert_cmpstr (cr_json_get_string (json_array_get_object_element (tiles, 2), "UserId"), !=,
                   board);
  JsonObject *video
      = cr_json_get_object (cr_json_get_object (pc, "MixTranscodeParams"), "VideoParams");
  g_assert_cmpint (cr_json_get_int_or (video, "Width", 0), ==, 1280);
  g_assert_cmpint (cr_json_get_int_or (video, "Height", 0), ==, 720);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/class_video_gen/shift_playlist", test_shift_playlist);
  g_test_add_func ("/class_video_gen/mix_params", test_mix_params);
  return g_test_run ();
}
