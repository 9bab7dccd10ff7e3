/* Video-generation tasks' pure pieces (src/tiw/class_video_gen_span.c): a stream's playlist moved
 * onto the board clock for compose, and the MixStream layout with the board as the tic_record_user
 * input; and their local MP4s removed with the class's local results (class_retention.c). */
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "common/json_util.h"
#include "config/config.h"
#include "store/task_store.h"
#include "tiw/class_private.h"
#include "tiw/class_state.h"
#include "tiw/class_video.h"
#include "tiw/class_video_gen.h"
#include "tiw/class_video_gen_private.h"
#include "tools/compose_private.h"

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

/* @n shifts (ms) as cr_class_video_gen_run_shifts gives them. */
static GArray *
shifts_of (guint n, const gint64 *v)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_array_append_vals (a, v, n);
  return a;
}

static void
test_shift_playlist (void)
{
  g_autoptr (GPtrArray) segs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) one = shifts_of (1, (gint64[]){ -3010 });
  g_autofree char *out = cr_class_video_gen_shift_playlist (playlist, one, "s1_", segs);
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
  g_autofree char *same = cr_class_video_gen_shift_playlist (playlist, NULL, "", NULL);
  g_assert_nonnull (strstr (same, "#EXT-X-TRTC-FILE-ATTR:1700000000125,123456\n"));
  g_assert_nonnull (strstr (same, "\nseg_2.ts\n"));
  /* a shift per run: the run after the discontinuity by its own */
  g_autoptr (GArray) two = shifts_of (2, (gint64[]){ -3000, 2000 });
  g_autofree char *runs = cr_class_video_gen_shift_playlist (playlist, two, "", NULL);
  g_assert_nonnull (strstr (runs, "#EXT-X-TRTC-START-REC-TIME:1699999997000\n"));
  g_assert_nonnull (strstr (runs, "#EXT-X-TRTC-FILE-ATTR:1699999997125,123456\n"));
  g_assert_nonnull (strstr (runs, "#EXT-X-TRTC-FILE-ATTR:1700000032000,99\n"));
}

/* Samples {MediaMs (since START-REC-TIME), BoardMs}: "m:b,m:b,...". */
static JsonArray *
samples_of (const char *spec)
{
  JsonArray *a = json_array_new ();
  g_auto (GStrv) pairs = g_strsplit (spec, ",", -1);
  for (guint i = 0; pairs[i] != NULL && *pairs[i] != '\0'; i++) {
    JsonObject *o = json_object_new ();
    json_object_set_int_member (o, "MediaMs", g_ascii_strtoll (pairs[i], NULL, 10));
    json_object_set_int_member (o, "BoardMs",
                                g_ascii_strtoll (strchr (pairs[i], ':') + 1, NULL, 10));
    json_array_add_object_element (a, o);
  }
  return a;
}

/* Each run of a stream on the board clock by the SEI samples received during it: a publisher who
 * left (its clock 3 s behind) and came back (2 s ahead) has each run placed by its own offset,
 * not both by the median of all. */
static void
test_run_shifts (void)
{
  /* run 0 from +125 ms (START-REC-TIME 1700000000000), run 1 from +30 s */
  g_autoptr (JsonArray) both
      = samples_of ("1000:1699999998000,2000:1699999999000,3000:1700000000000,"
                    "31000:1700000033000,32000:1700000034000");
  g_autoptr (GArray) s = cr_class_video_gen_run_shifts (playlist, both);
  g_assert_cmpuint (s->len, ==, 2);
  g_assert_cmpint (g_array_index (s, gint64, 0), ==, -3000);
  g_assert_cmpint (g_array_index (s, gint64, 1), ==, 2000);
  /* a run without samples: the stream's median (of -3000 x3, +2000 x0 here) */
  g_autoptr (JsonArray) first_only = samples_of ("1000:1699999998000,2000:1699999999000");
  g_autoptr (GArray) f = cr_class_video_gen_run_shifts (playlist, first_only);
  g_assert_cmpint (g_array_index (f, gint64, 0), ==, -3000);
  g_assert_cmpint (g_array_index (f, gint64, 1), ==, -3000);
  /* no SEI: the receive clock */
  g_autoptr (GArray) none = cr_class_video_gen_run_shifts (playlist, NULL);
  g_assert_cmpuint (none->len, ==, 2);
  g_assert_cmpint (g_array_index (none, gint64, 0), ==, 0);
  g_assert_cmpint (g_array_index (none, gint64, 1), ==, 0);
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

/* A finished local-only class row whose local files go at @until_ms. */
static void
put_class (CrClassRecorder *rec, const char *task_id, gint64 until_ms)
{
  g_autofree char *json = g_strdup_printf (
      "{\"TaskId\":\"%s\",\"SdkAppId\":1400000001,\"RecordUserId\":\"tic_record_user_1_1\","
      "\"Status\":\"FINISHED\",\"LocalOnly\":true,\"LocalUntilMs\":%" G_GINT64_FORMAT
      ",\"Spans\":[]}",
      task_id, until_ms);
  CrClassRow row
      = { (char *)task_id, 1400000001, "tic_record_user_1_1", "FINISHED", 1, 1, until_ms, json };
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_class_store_put (rec->store, &row, &error));
}

/* A FINISHED video-generation task of @class_id with an MP4 in its local directory; its path. */
static char *
put_generated (CrClassRecorder *rec, const char *storage, const char *task_id, const char *class_id)
{
  g_autofree char *json
      = g_strdup_printf ("{\"TaskId\":\"%s\",\"SdkAppId\":1400000001,\"OnlineRecordTaskId\":\"%s\","
                         "\"Status\":\"FINISHED\"}",
                         task_id, class_id);
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_video_gen_store_put (rec->vgen->store, 1400000001, task_id, class_id,
                                         CR_VIDEO_GEN_FINISHED, 1, 1, json, &error));
  g_autofree char *dir = g_build_filename (storage, "tiw-video", "1400000001", task_id, NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  char *mp4 = g_build_filename (dir, "1400000001_1_x_0.mp4", NULL);
  g_assert_true (g_file_set_contents (mp4, "not really an MP4", -1, NULL));
  return mp4;
}

/* The class's local results go after its days (a "day" lowered to 1 s, as the daemon's
 * storage-retention-unit-s lowers it): with them the MP4s of its video-generation tasks, not
 * those of another class still kept. */
static void
test_generated_removed_with_class (void)
{
  g_autofree char *root = g_dir_make_tmp ("vgen-retention-XXXXXX", NULL);
  g_autoptr (CrConfig) config = cr_config_new_defaults ();
  g_free (config->db_path);
  config->db_path = g_build_filename (root, "t.db", NULL);
  g_free (config->storage_dir);
  config->storage_dir = g_build_filename (root, "storage", NULL);
  config->storage_retention_unit_s = 1;
  g_autoptr (GError) error = NULL;
  g_autoptr (CrTaskStore) store = cr_sqlite_store_open (config->db_path, &error);
  g_assert_no_error (error);
  g_autoptr (CrApi) api = cr_api_new (config, store);
  CrClassRecorder *rec = cr_class_recorder_new (api, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (cr_class_video_gen_start (rec, &error));
  /* class A finished at 1000 s: its files go CR_CLASS_LOCAL_DAYS "days" later; B's a day after */
  gint64 finished = 1000000;
  gint64 until = finished + CR_CLASS_LOCAL_DAYS * config->storage_retention_unit_s * 1000;
  put_class (rec, "classA", until);
  put_class (rec, "classB", until + 1000);
  g_autofree char *a1 = put_generated (rec, config->storage_dir, "genA1", "classA");
  g_autofree char *a2 = put_generated (rec, config->storage_dir, "genA2", "classA");
  g_autofree char *b1 = put_generated (rec, config->storage_dir, "genB1", "classB");
  /* before the days are over: all kept */
  cr_class_rec_sweep_local (rec, until - 1);
  g_assert_true (g_file_test (a1, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (a2, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (b1, G_FILE_TEST_EXISTS));
  /* A's days are over: A's generated MP4s and their directories go, B's stay */
  cr_class_rec_sweep_local (rec, until);
  g_autofree char *a1_dir = g_path_get_dirname (a1);
  g_assert_false (g_file_test (a1, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (a1_dir, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (a2, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (b1, G_FILE_TEST_EXISTS));
  g_autoptr (CrClassRow) row = cr_class_store_get (rec->store, 1400000001, "classA", &error);
  g_assert_nonnull (row);
  g_assert_cmpint (row->local_until_ms, ==, 0); /* done once */
  /* B's too, a day later; then the app's tiw-video folder is empty and gone */
  cr_class_rec_sweep_local (rec, until + 1000);
  g_assert_false (g_file_test (b1, G_FILE_TEST_EXISTS));
  g_autofree char *app_dir
      = g_build_filename (config->storage_dir, "tiw-video", "1400000001", NULL);
  g_assert_false (g_file_test (app_dir, G_FILE_TEST_EXISTS));
  cr_class_recorder_free (rec);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", root);
  g_assert_cmpint (system (cmd), ==, 0);
}

/* RecordControl in video generation: DisableRecord as real-time mode's allow/block lists,
 * DisableAudio per stream winning over the global one, StreamIds matched by prefix. */
static void
test_stream_use (void)
{
  g_assert_cmpint (cr_class_video_gen_stream_use (NULL, "student1"), ==, CR_CLASS_STREAM_WHOLE);
  g_autoptr (JsonObject) off = parse ("{\"Enabled\":false,\"DisableAudio\":true}");
  g_assert_cmpint (cr_class_video_gen_stream_use (off, "student1"), ==, CR_CLASS_STREAM_WHOLE);
  /* a block list: stu... muted, teacher's picture left out */
  g_autoptr (JsonObject) block
      = parse ("{\"Enabled\":true,\"StreamControls\":[{\"StreamId\":\"stu\",\"DisableAudio\":true},"
               "{\"StreamId\":\"teacher\",\"DisableRecord\":true},"
               "{\"StreamId\":\"tic_substream\",\"DisableAudio\":true}]}");
  g_assert_cmpint (cr_class_video_gen_stream_use (block, "student1"), ==,
                   CR_CLASS_STREAM_VIDEO_ONLY);
  g_assert_cmpint (cr_class_video_gen_stream_use (block, "student2"), ==,
                   CR_CLASS_STREAM_VIDEO_ONLY);
  g_assert_cmpint (cr_class_video_gen_stream_use (block, "teacher"), ==, CR_CLASS_STREAM_LEFT_OUT);
  g_assert_cmpint (cr_class_video_gen_stream_use (block, "tic_substream_teacher"), ==,
                   CR_CLASS_STREAM_VIDEO_ONLY);
  g_assert_cmpint (cr_class_video_gen_stream_use (block, "st"), ==, CR_CLASS_STREAM_WHOLE);
  /* an allow list with every stream's sound off but the teacher's */
  g_autoptr (JsonObject) allow
      = parse ("{\"Enabled\":true,\"DisableRecord\":true,\"DisableAudio\":true,\"StreamControls\":["
               "{\"StreamId\":\"teacher\",\"DisableAudio\":false},{\"StreamId\":\"student1\"},"
               "{\"StreamId\":\"student2\",\"DisableRecord\":true}]}");
  g_assert_cmpint (cr_class_video_gen_stream_use (allow, "teacher"), ==, CR_CLASS_STREAM_WHOLE);
  g_assert_cmpint (cr_class_video_gen_stream_use (allow, "student1"), ==,
                   CR_CLASS_STREAM_VIDEO_ONLY);
  g_assert_cmpint (cr_class_video_gen_stream_use (allow, "student2"), ==, CR_CLASS_STREAM_LEFT_OUT);
  g_assert_cmpint (cr_class_video_gen_stream_use (allow, "guest"), ==, CR_CLASS_STREAM_LEFT_OUT);
}

/* A muted stream's playlist is read by compose as video alone: no audio source of its runs. */
static void
test_video_only (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vgen-mute-XXXXXX", NULL);
  g_assert_nonnull (dir);
  g_autofree char *video = cr_class_video_gen_video_only (playlist);
  g_assert_nonnull (strstr (video, "#EXT-X-TRTC-STREAM-TYPE:1\n#EXTINF:10.000,\n"));
  g_assert_null (strstr (video, "#EXT-X-TRTC-STREAM-TYPE:1\n#EXTINF:4.500"));
  g_assert_true (g_str_has_suffix (video, "#EXT-X-ENDLIST\n"));
  g_autofree char *seg = g_build_filename (dir, "seg.ts", NULL);
  g_assert_true (g_file_set_contents (seg, "x", 1, NULL));
  const char *av = "#EXTM3U\n#EXT-X-TRTC-START-REC-TIME:1700000000000\n"
                   "#EXT-X-TRTC-USER-ID:student\n#EXT-X-TRTC-FILE-ATTR:1700000000125,1\n"
                   "#EXTINF:2.000,\nseg.ts\n#EXT-X-ENDLIST\n";
  for (int mute = 0; mute < 2; mute++) {
    g_autofree char *text = mute ? cr_class_video_gen_video_only (av) : g_strdup (av);
    g_autofree char *pl = g_build_filename (dir, "s0.m3u8", NULL);
    g_assert_true (g_file_set_contents (pl, text, -1, NULL));
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) runs = compose_read_runs (dir, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (runs->len, ==, 1);
    ComposeRun *r = g_ptr_array_index (runs, 0);
    g_assert_cmpuint (r->media, ==, mute ? COMPOSE_VIDEO : (COMPOSE_AUDIO | COMPOSE_VIDEO));
    g_unlink (pl);
  }
  /* sound alone: nothing left */
  g_assert_null (cr_class_video_gen_video_only ("#EXTM3U\n#EXT-X-TRTC-STREAM-TYPE:0\n"));
  g_autofree char *typed = cr_class_video_gen_video_only ("#EXTM3U\n#EXT-X-TRTC-STREAM-TYPE:1\n");
  g_assert_cmpstr (typed, ==, "#EXTM3U\n#EXT-X-TRTC-STREAM-TYPE:1\n");
  g_unlink (seg);
  g_rmdir (dir);
}

/* The replay page's runs: each where a player shows it (the EXTINF before it) and on the board
 * clock by its own samples, as video generation shifts it. */
static void
test_replay_runs (void)
{
  g_autoptr (JsonArray) both
      = samples_of ("1000:1699999998000,2000:1699999999000,3000:1700000000000,"
                    "31000:1700000033000,32000:1700000034000");
  g_autoptr (JsonArray) runs = cr_class_video_runs (playlist, both);
  g_assert_cmpuint (json_array_get_length (runs), ==, 2);
  JsonObject *a = json_array_get_object_element (runs, 0);
  JsonObject *b = json_array_get_object_element (runs, 1);
  g_assert_cmpint (json_object_get_int_member (a, "MediaStartMs"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (a, "BoardStartMs"), ==, 1700000000125 - 3000);
  g_assert_cmpint (json_object_get_int_member (a, "DurationMs"), ==, 10000);
  g_assert_cmpint (json_object_get_int_member (b, "MediaStartMs"), ==, 10000);
  g_assert_cmpint (json_object_get_int_member (b, "BoardStartMs"), ==, 1700000030000 + 2000);
  g_assert_cmpint (json_object_get_int_member (b, "DurationMs"), ==, 4500);
  /* no SEI: the receive clock */
  g_autoptr (JsonArray) plain = cr_class_video_runs (playlist, NULL);
  g_assert_cmpint (
      json_object_get_int_member (json_array_get_object_element (plain, 1), "BoardStartMs"), ==,
      1700000030000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/class_video_gen/shift_playlist", test_shift_playlist);
  g_test_add_func ("/class_video_gen/run_shifts", test_run_shifts);
  g_test_add_func ("/class_video_gen/mix_params", test_mix_params);
  g_test_add_func ("/class_video_gen/stream_use", test_stream_use);
  g_test_add_func ("/class_video_gen/replay_runs", test_replay_runs);
  g_test_add_func ("/class_video_gen/video_only", test_video_only);
  g_test_add_func ("/class_video_gen/generated_removed_with_class",
                   test_generated_removed_with_class);
  return g_test_run ();
}
