/* The task spec (src/task/spec.c): built from the validator's normalised request, it carries the
 * validator's defaults (MaxIdleTime 30, FontSize 14, TimeZone 8, ...) and adds none of its own (a
 * member missing from a stored request is an error naming it); its enums; cr_task_spec_wants
 * (robot, StreamType, MediaId, subscription allow/block lists); malformed text is a GError. */
#include <string.h>

#include "common/json_util.h"
#include "task/spec.h"
#include "validate/validate.h"

static const char *create_single = "{\"SdkAppId\":1400000001,\"RoomId\":\"8888\",\"UserId\":"
                                   "\"recorder_8888\",\"UserSig\":\"sig\","
                                   "\"RecordParams\":{\"RecordMode\":1},"
                                   "\"StorageParams\":{\"CloudStorage\":{\"Vendor\":0,\"Region\":"
                                   "\"ap-guangzhou\",\"Bucket\":\"b-125\","
                                   "\"AccessKey\":\"ak\",\"SecretKey\":\"sk\"}}}";

/* A mixed request with a text and a timestamp watermark, FontSize and TimeZone left out. */
static const char *create_mixed
    = "{\"SdkAppId\":1400000001,\"RoomId\":\"room_a\",\"RoomIdType\":0,\"UserId\":\"robot\","
      "\"UserSig\":\"sig\",\"RecordParams\":{\"RecordMode\":2},"
      "\"StorageParams\":{\"CloudStorage\":{\"Vendor\":0,\"Region\":\"ap-guangzhou\",\"Bucket\":"
      "\"b-125\",\"AccessKey\":\"ak\",\"SecretKey\":\"sk\",\"FileNamePrefix\":[\"p1\",\"p2\"]}},"
      "\"MixLayoutParams\":{\"MixLayoutMode\":3,\"WaterMarkList\":["
      "{\"WaterMarkType\":1,\"WaterMarkChar\":{\"Top\":0,\"Left\":0,\"Width\":100,\"Height\":20,"
      "\"Chars\":\"hi\"}},"
      "{\"WaterMarkType\":2,\"WaterMarkTimestamp\":{\"Pos\":3}}]}}";

/* The normalised text of @raw (as the store keeps it) after @edit is applied to the request. */
static char *
normalised_text (const char *raw, void (*edit) (JsonObject *request))
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) req = cr_json_parse_object (raw, strlen (raw), &error);
  g_assert_no_error (error);
  if (edit != NULL)
    edit (req);
  g_autoptr (JsonObject) out = cr_validate_request ("CreateCloudRecording", req, CR_VALIDATE_JSON,
                                                    &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, out);
  return cr_json_to_string (node);
}

static CrTaskSpec *
spec_of (const char *raw, void (*edit) (JsonObject *request))
{
  g_autofree char *text = normalised_text (raw, edit);
  g_autoptr (GError) error = NULL;
  CrTaskSpec *spec = cr_task_spec_new_from_text (text, &error);
  g_assert_no_error (error);
  g_assert_nonnull (spec);
  return spec;
}

static JsonObject *
record_params (JsonObject *req)
{
  return json_object_get_object_member (req, "RecordParams");
}

static void
test_defaults_single (void)
{
  g_autoptr (CrTaskSpec) s = spec_of (create_single, NULL);
  g_assert_cmpuint (s->sdk_app_id, ==, 1400000001);
  g_assert_cmpstr (s->room_id, ==, "8888");
  g_assert_false (s->string_room); /* RoomIdType 1 by default */
  g_assert_cmpstr (s->user_id, ==, "recorder_8888");
  g_assert_cmpint (s->record_mode, ==, CR_RECORD_SINGLE);
  g_assert_cmpint (s->max_idle_s, ==, 30);
  g_assert_cmpint (s->stream_type, ==, CR_STREAMS_AUDIO_VIDEO);
  g_assert_cmpint (s->output_format, ==, CR_OUTPUT_HLS);
  g_assert_false (s->av_merge);
  g_assert_cmpint (s->max_file_ms, ==, (gint64)1440 * 60000);
  g_assert_cmpint (s->media, ==, CR_MEDIA_MAIN_AND_AUX);
  g_assert_cmpint (s->fill_type, ==, CR_FILL_LAST_PICTURE);
  g_assert_false (s->storage.vod);
  g_assert_cmpstr (s->storage.bucket, ==, "b-125");
  g_assert_nonnull (s->storage.prefix);
  g_assert_null (s->storage.prefix[0]);
  g_assert_true (cr_task_spec_keeps_hls (s));
  /* A single-stream task has no layout. */
  g_assert_cmpuint (s->layout.tiles->len, ==, 0);
  g_assert_cmpuint (s->layout.watermarks->len, ==, 0);
  g_assert_null (cr_task_spec_timestamp (s));
}

static void
test_defaults_mixed (void)
{
  g_autoptr (CrTaskSpec) s = spec_of (create_mixed, NULL);
  g_assert_cmpint (s->record_mode, ==, CR_RECORD_MIXED);
  g_assert_true (s->string_room);
  g_assert_cmpstr (s->room_id, ==, "room_a");
  g_assert_cmpint (s->max_idle_s, ==, 30);
  g_assert_cmpstr (s->storage.prefix[0], ==, "p1");
  g_assert_cmpstr (s->storage.prefix[1], ==, "p2");
  g_assert_null (s->storage.prefix[2]);
  /* MixTranscodeParams left out: the documented 360x640, 15 fps, 550 kbit/s, 48 kHz stereo. */
  g_assert_cmpint (s->transcode.width, ==, 360);
  g_assert_cmpint (s->transcode.height, ==, 640);
  g_assert_cmpint (s->transcode.fps, ==, 15);
  g_assert_cmpint (s->transcode.video_bitrate, ==, 550000);
  g_assert_cmpint (s->transcode.gop_s, ==, 10);
  g_assert_cmpint (s->transcode.sample_rate, ==, 48000);
  g_assert_cmpint (s->transcode.channels, ==, 2);
  g_assert_cmpint (s->transcode.audio_bitrate, ==, 64000);
  g_assert_cmpint (s->layout.mode, ==, CR_LAYOUT_GRID);
  g_assert_cmpuint (s->layout.background_rgb, ==, 0x000000);
  g_assert_cmpint (s->layout.render_mode, ==, CR_RENDER_CROP);
  g_assert_cmpint (s->layout.background_image_render_mode, ==, CR_RENDER_CROP);
  g_assert_false (s->layout.placeholders);
  g_assert_false (s->layout.big_on_right);
  g_assert_false (s->layout.pure_audio_disable);
  g_assert_null (s->layout.max_resolution_user);
  g_assert_cmpuint (s->layout.watermarks->len, ==, 2);
  const CrSpecWatermark *text = &g_array_index (s->layout.watermarks, CrSpecWatermark, 0);
  g_assert_cmpint (text->type, ==, CR_WATERMARK_CHAR);
  g_assert_cmpstr (text->chars, ==, "hi");
  g_assert_cmpint (text->font_px, ==, 14);
  g_assert_cmphex (text->font_rgb, ==, 0xffffff);
  g_assert_false (text->has_background); /* BackGroundColor "" by default: no box */
  g_assert_false (text->source_han_sans);
  g_assert_cmpint (text->rect.width, ==, 100);
  const CrSpecWatermark *ts = cr_task_spec_timestamp (s);
  g_assert_true (ts == &g_array_index (s->layout.watermarks, CrSpecWatermark, 1));
  g_assert_cmpint (ts->pos, ==, 3);
  g_assert_cmpint (ts->time_zone, ==, 8);
}

static void
set_idle_120 (JsonObject *req)
{
  json_object_set_int_member (record_params (req), "MaxIdleTime", 120);
}

/* Given values are kept; a default is applied by the validator only: the spec reading a stored
 * request that lacks a member reports it instead of inventing a second default. */
static void
test_defaults_once (void)
{
  g_autoptr (CrTaskSpec) s = spec_of (create_single, set_idle_120);
  g_assert_cmpint (s->max_idle_s, ==, 120);

  static const char *const members[]
      = { "MaxIdleTime", "StreamType", "OutputFormat", "MediaId", "FillType" };
  for (guint i = 0; i < G_N_ELEMENTS (members); i++) {
    g_autofree char *text = normalised_text (create_single, NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) req = cr_json_parse_object (text, strlen (text), &error);
    g_assert_no_error (error);
    json_object_remove_member (record_params (req), members[i]);
    g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
    json_node_set_object (node, req);
    g_autofree char *stripped = cr_json_to_string (node);
    g_autoptr (CrTaskSpec) none = cr_task_spec_new_from_text (stripped, &error);
    g_assert_null (none);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, members[i]));
  }
  /* The same for a watermark's FontSize in a mixed request. */
  g_autofree char *text = normalised_text (create_mixed, NULL);
  g_autofree char *no_font = NULL;
  {
    const char *at = strstr (text, "\"FontSize\":14,");
    g_assert_nonnull (at);
    no_font = g_strdup_printf ("%.*s%s", (int)(at - text), text, at + strlen ("\"FontSize\":14,"));
  }
  g_autoptr (GError) error = NULL;
  g_autoptr (CrTaskSpec) none = cr_task_spec_new_from_text (no_font, &error);
  g_assert_null (none);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "FontSize"));
}

static int enum_value;
static const char *enum_member;

static void
set_enum (JsonObject *req)
{
  JsonObject *rp = record_params (req);
  json_object_set_int_member (rp, enum_member, enum_value);
  /* AAC needs audio only. */
  if (strcmp (enum_member, "OutputFormat") == 0 && (enum_value == 2 || enum_value == 4))
    json_object_set_int_member (rp, "StreamType", 1);
}

static CrTaskSpec *
spec_with (const char *member, int value)
{
  enum_member = member;
  enum_value = value;
  return spec_of (create_single, set_enum);
}

static void
test_enums (void)
{
  {
    g_autoptr (CrTaskSpec) s = spec_with ("RecordMode", 2);
    g_assert_cmpint (s->record_mode, ==, CR_RECORD_MIXED);
    g_assert_cmpint (s->layout.mode, ==, CR_LAYOUT_GRID); /* mixed defaults filled in */
  }
  static const CrStreamType types[] = { CR_STREAMS_AUDIO_VIDEO, CR_STREAMS_AUDIO, CR_STREAMS_VIDEO };
  for (int i = 0; i < 3; i++) {
    g_autoptr (CrTaskSpec) s = spec_with ("StreamType", i);
    g_assert_cmpint (s->stream_type, ==, types[i]);
  }
  static const CrOutputFormat formats[] = { CR_OUTPUT_HLS, CR_OUTPUT_HLS_MP4, CR_OUTPUT_HLS_AAC,
                                            CR_OUTPUT_MP4, CR_OUTPUT_AAC };
  for (int i = 0; i < 5; i++) {
    g_autoptr (CrTaskSpec) s = spec_with ("OutputFormat", i);
    g_assert_cmpint (s->output_format, ==, formats[i]);
    g_assert_cmpint (cr_task_spec_keeps_hls (s), ==, i <= 2);
  }
  static const CrMediaSelect media[] = { CR_MEDIA_MAIN_AND_AUX, CR_MEDIA_MAIN, CR_MEDIA_AUX };
  for (int i = 0; i < 3; i++) {
    g_autoptr (CrTaskSpec) s = spec_with ("MediaId", i);
    g_assert_cmpint (s->media, ==, media[i]);
  }
  {
    g_autoptr (CrTaskSpec) s = spec_with ("FillType", 1);
    g_assert_cmpint (s->fill_type, ==, CR_FILL_BLACK);
  }
  {
    g_autoptr (CrTaskSpec) s = spec_with ("AvMerge", 1);
    g_assert_true (s->av_merge);
  }
  {
    g_autoptr (CrTaskSpec) s = spec_with ("MaxMediaFileDuration", 5);
    g_assert_cmpint (s->max_file_ms, ==, 300000);
  }
}

static void
subscribe_lists (JsonObject *req)
{
  g_autoptr (GError) error = NULL;
  static const char *lists = "{\"SubscribeAudioUserIds\":[\"alice\",\"teacher_.*$\"],"
                             "\"UnSubscribeVideoUserIds\":[\"bob\"]}";
  JsonObject *sub = cr_json_parse_object (lists, strlen (lists), &error);
  g_assert_no_error (error);
  json_object_set_object_member (record_params (req), "SubscribeStreamUserIds", sub);
}

static void
test_wants (void)
{
  /* Everyone, both media, main and aux; never the robot. */
  {
    g_autoptr (CrTaskSpec) s = spec_of (create_single, NULL);
    for (int aux = 0; aux < 2; aux++)
      for (int video = 0; video < 2; video++) {
        g_assert_true (cr_task_spec_wants (s, "anyone", aux, video));
        g_assert_false (cr_task_spec_wants (s, "recorder_8888", aux, video));
      }
  }
  /* Allowlist for audio (with a prefix entry), blocklist for video. */
  {
    g_autoptr (CrTaskSpec) s = spec_of (create_single, subscribe_lists);
    g_assert_true (cr_task_spec_wants (s, "alice", FALSE, FALSE));
    g_assert_true (cr_task_spec_wants (s, "teacher_7", FALSE, FALSE));
    g_assert_false (cr_task_spec_wants (s, "bob", FALSE, FALSE));
    g_assert_false (cr_task_spec_wants (s, "alice2", FALSE, FALSE));
    g_assert_true (cr_task_spec_wants (s, "alice", FALSE, TRUE));
    g_assert_true (cr_task_spec_wants (s, "carol", FALSE, TRUE));
    g_assert_false (cr_task_spec_wants (s, "bob", FALSE, TRUE));
    g_assert_false (cr_task_spec_wants (s, "bob", TRUE, TRUE)); /* aux too */
  }
  /* StreamType narrows the media, MediaId the streams. */
  {
    g_autoptr (CrTaskSpec) s = spec_with ("StreamType", 1);
    g_assert_true (cr_task_spec_wants (s, "u", FALSE, FALSE));
    g_assert_false (cr_task_spec_wants (s, "u", FALSE, TRUE));
  }
  {
    g_autoptr (CrTaskSpec) s = spec_with ("StreamType", 2);
    g_assert_false (cr_task_spec_wants (s, "u", FALSE, FALSE));
    g_assert_true (cr_task_spec_wants (s, "u", FALSE, TRUE));
  }
  {
    g_autoptr (CrTaskSpec) s = spec_with ("MediaId", 1);
    g_assert_true (cr_task_spec_wants (s, "u", FALSE, TRUE));
    g_assert_false (cr_task_spec_wants (s, "u", TRUE, TRUE));
  }
  {
    g_autoptr (CrTaskSpec) s = spec_with ("MediaId", 2);
    g_assert_false (cr_task_spec_wants (s, "u", FALSE, FALSE));
    g_assert_true (cr_task_spec_wants (s, "u", TRUE, FALSE));
  }
}

static void
test_same_layout (void)
{
  g_autoptr (CrTaskSpec) a = spec_of (create_mixed, NULL);
  g_autoptr (CrTaskSpec) b = spec_of (create_mixed, NULL);
  g_assert_true (cr_task_spec_same_layout (&a->layout, &b->layout));
  g_array_index (b->layout.watermarks, CrSpecWatermark, 1).time_zone = 9;
  g_assert_false (cr_task_spec_same_layout (&a->layout, &b->layout));
}

static void
test_malformed (void)
{
  static const char *const texts[] = {
    "",
    "{",
    "not json",
    "[1,2,3]",
    "null",
    "{\"SdkAppId\":1400000001}",
    "{\"SdkAppId\":\"x\",\"RoomId\":1,\"UserId\":[],\"RecordParams\":7}",
    "{\"SdkAppId\":1,\"RoomId\":\"1\",\"RoomIdType\":1,\"UserId\":\"r\",\"RecordParams\":{}}",
    /* Mixed without its layout: the mixed members are required. */
    "{\"SdkAppId\":1,\"RoomId\":\"1\",\"RoomIdType\":1,\"UserId\":\"r\",\"RecordParams\":"
    "{\"RecordMode\":2,\"MaxIdleTime\":30,\"StreamType\":0,\"OutputFormat\":0,\"AvMerge\":0,"
    "\"MaxMediaFileDuration\":1440,\"MediaId\":0,\"FillType\":0},\"StorageParams\":"
    "{\"CloudStorage\":{\"Vendor\":0,\"Region\":\"r\",\"Bucket\":\"b\",\"AccessKey\":\"a\","
    "\"SecretKey\":\"s\"}}}",
  };
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (CrTaskSpec) s = cr_task_spec_new_from_text (texts[i], &error);
    g_assert_null (s);
    g_assert_nonnull (error);
    g_assert_nonnull (error->message);
  }
  cr_task_spec_free (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/spec/defaults-single", test_defaults_single);
  g_test_add_func ("/spec/defaults-mixed", test_defaults_mixed);
  g_test_add_func ("/spec/defaults-once", test_defaults_once);
  g_test_add_func ("/spec/enums", test_enums);
  g_test_add_func ("/spec/wants", test_wants);
  g_test_add_func ("/spec/same-layout", test_same_layout);
  g_test_add_func ("/spec/malformed", test_malformed);
  return g_test_run ();
}
