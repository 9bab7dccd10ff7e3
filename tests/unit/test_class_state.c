/* Class recording's rules (src/tiw/class_state.c), its callback body (class_record.c) and the MP4
 * header reader (mp4_info.c). */
#include <glib/gstdio.h>
#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "task/subscription.h"
#include "tiw/class_record.h"
#include "tiw/class_state.h"
#include "tiw/mp4_info.h"
#include "validate/validate.h"

static void
test_transitions (void)
{
  /* every (state, op): the next state, or the refusal naming both */
  static const struct {
    CrClassState from;
    CrClassOp op;
    gboolean ok;
    CrClassState to;
  } cases[] = {
    { CR_CLASS_PREPARED, CR_CLASS_OP_PAUSE, FALSE, 0 },
    { CR_CLASS_PREPARED, CR_CLASS_OP_RESUME, FALSE, 0 },
    { CR_CLASS_PREPARED, CR_CLASS_OP_STOP, TRUE, CR_CLASS_STOPPED },
    { CR_CLASS_RECORDING, CR_CLASS_OP_PAUSE, TRUE, CR_CLASS_PAUSED },
    { CR_CLASS_RECORDING, CR_CLASS_OP_RESUME, FALSE, 0 },
    { CR_CLASS_RECORDING, CR_CLASS_OP_STOP, TRUE, CR_CLASS_STOPPED },
    { CR_CLASS_PAUSED, CR_CLASS_OP_PAUSE, FALSE, 0 },
    { CR_CLASS_PAUSED, CR_CLASS_OP_RESUME, TRUE, CR_CLASS_RECORDING },
    { CR_CLASS_PAUSED, CR_CLASS_OP_STOP, TRUE, CR_CLASS_STOPPED },
    { CR_CLASS_STOPPED, CR_CLASS_OP_PAUSE, FALSE, 0 },
    { CR_CLASS_STOPPED, CR_CLASS_OP_RESUME, FALSE, 0 },
    { CR_CLASS_STOPPED, CR_CLASS_OP_STOP, FALSE, 0 },
    { CR_CLASS_FINISHED, CR_CLASS_OP_PAUSE, FALSE, 0 },
    { CR_CLASS_FINISHED, CR_CLASS_OP_RESUME, FALSE, 0 },
    { CR_CLASS_FINISHED, CR_CLASS_OP_STOP, FALSE, 0 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    CrClassState next = CR_CLASS_FINISHED + 1;
    gboolean ok = cr_class_state_apply (cases[i].from, cases[i].op, &next, &error);
    g_assert_cmpint (ok, ==, cases[i].ok);
    if (ok) {
      g_assert_no_error (error);
      g_assert_cmpint (next, ==, cases[i].to);
    } else {
      g_assert_cmpstr (cr_api_error_code (error), ==, CR_CLASS_ERROR_STATE);
      g_assert_nonnull (strstr (error->message, cr_class_state_name (cases[i].from)));
      g_assert_cmpint (next, ==, CR_CLASS_FINISHED + 1); /* untouched */
    }
  }
  for (int s = CR_CLASS_PREPARED; s <= CR_CLASS_FINISHED; s++) {
    CrClassState back;
    g_assert_true (cr_class_state_from_name (cr_class_state_name (s), &back));
    g_assert_cmpint (back, ==, s);
    g_assert_cmpint (cr_class_state_active (s), ==, s <= CR_CLASS_PAUSED);
  }
  CrClassState none;
  g_assert_false (cr_class_state_from_name ("Recording", &none));
}

static void
test_record_user (void)
{
  static const struct {
    const char *id;
    gboolean ok;
  } cases[] = {
    { "tic_record_user_100241_100", TRUE },  { "tic_record_user_100241_a-b", TRUE },
    { "tic_record_user_100241_", FALSE },    { "tic_record_user_10024_100", FALSE },
    { "tic_record_user_1002411_1", FALSE },  { "record_user_100241_1", FALSE },
    { "tic_record_user_100241_1 2", FALSE }, { "TIC_RECORD_USER_100241_1", FALSE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_assert_cmpint (cr_class_check_record_user (cases[i].id, 100241, &error), ==, cases[i].ok);
    if (!cases[i].ok)
      g_assert_cmpstr (cr_api_error_code (error), ==, "InvalidParameter.RecordUserId");
  }
}

static JsonObject *
new_create (void)
{
  JsonObject *create = json_object_new ();
  json_object_set_object_member (create, "RecordParams", json_object_new ());
  return create;
}

static JsonObject *
start_request (const char *json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) raw = cr_json_parse_object (json, strlen (json), &error);
  g_assert_no_error (error);
  JsonObject *req = cr_validate_request ("StartOnlineRecord", raw, CR_VALIDATE_JSON, &error);
  g_assert_no_error (error);
  return req;
}

#define BASE                                                                                       \
  "\"SdkAppId\":1400000001,\"RoomId\":7,\"RecordUserId\":\"tic_record_user_7_1\","                 \
  "\"RecordUserSig\":\"x\""

static void
test_request_rules (void)
{
  static const struct {
    const char *json;
    const char *code; /* NULL: accepted */
  } cases[] = {
    { "{" BASE "}", NULL },
    { "{" BASE ",\"RecordMode\":\"VIDEO_GENERATION_MODE\"}", NULL },
    { "{" BASE ",\"MixStream\":{\"Enabled\":true,\"ModelId\":1}}",
      "InvalidParameter.InvalidExtra" },
    { "{" BASE ",\"MixStream\":{\"Enabled\":true},\"Extras\":[\"MIX_STREAM\"]}",
      "MissingParameter" },
    { "{" BASE ",\"MixStream\":{\"Enabled\":false}}", NULL },
    { "{" BASE ",\"MixStream\":{\"Enabled\":true,\"ModelId\":2},\"Extras\":[\"MIX_STREAM\"]}",
      NULL },
    { "{" BASE ",\"Extras\":[\"OTHER\"]}", "InvalidParameter.InvalidExtra" },
    { "{\"SdkAppId\":1400000001,\"RoomId\":8,\"RecordUserId\":\"tic_record_user_7_1\","
      "\"RecordUserSig\":\"x\"}",
      "InvalidParameter.RecordUserId" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (JsonObject) req = start_request (cases[i].json);
    g_autoptr (GError) error = NULL;
    gboolean ok = cr_class_check_request (req, &error);
    if (cases[i].code == NULL)
      g_assert_no_error (error);
    else
      g_assert_cmpstr (cr_api_error_code (error), ==, cases[i].code);
    g_assert_cmpint (ok, ==, cases[i].code == NULL);
  }
}

/* RecordMode is one of the SDK's two (schema_tiw.c), REALTIME_MODE by default. */
static void
test_record_mode_schema (void)
{
  const char *bad = "{" BASE ",\"RecordMode\":\"realtime\"}";
  g_autoptr (JsonObject) raw = cr_json_parse_object (bad, strlen (bad), NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) req = cr_validate_request ("StartOnlineRecord", raw, CR_VALIDATE_JSON, &error);
  g_assert_null (req);
  g_assert_cmpstr (cr_api_error_code (error), ==, "InvalidParameter.RecordMode");
  g_assert_nonnull (strstr (error->message, "VIDEO_GENERATION_MODE"));
  g_autoptr (JsonObject) plain = start_request ("{" BASE "}");
  g_assert_cmpstr (cr_json_get_string (plain, "RecordMode"), ==, "REALTIME_MODE");
}

static void
test_model_mapping (void)
{
  g_assert_cmpint (cr_class_model_layout (1), ==, 2); /* screen sharing: big + column */
  g_assert_cmpint (cr_class_model_layout (2), ==, 3); /* grid */
  g_assert_cmpint (cr_class_model_layout (0), ==, 0);
  g_assert_cmpint (cr_class_model_layout (3), ==, 0);
  g_autoptr (JsonObject) req = start_request (
      "{" BASE ",\"MixStream\":{\"Enabled\":true,\"ModelId\":1,\"TeacherId\":\"teacher\"},"
      "\"Extras\":[\"MIX_STREAM\"]}");
  g_assert_true (cr_class_wants_part (req, CR_CLASS_PART_MIXED));
  g_assert_true (cr_class_wants_part (req, CR_CLASS_PART_SINGLE));
  g_autoptr (JsonObject) create = new_create ();
  cr_class_fill_part (req, CR_CLASS_PART_MIXED, create);
  JsonObject *layout = cr_json_get_object (create, "MixLayoutParams");
  g_assert_cmpint (cr_json_get_int_or (layout, "MixLayoutMode", 0), ==, 2);
  g_assert_cmpstr (cr_json_get_string (layout, "MaxResolutionUserId"), ==, "teacher");
  g_assert_cmpint (
      cr_json_get_int_or (cr_json_get_object (create, "RecordParams"), "RecordMode", 0), ==, 2);
  g_autofree char *user = cr_class_mix_user_id (req);
  g_assert_cmpstr (user, ==, "tic_mixstream_7_1");
}

static void
test_custom_exactly (void)
{
  g_autoptr (JsonObject) req = start_request (
      "{" BASE ",\"Extras\":[\"MIX_STREAM\"],\"MixStream\":{\"Enabled\":true,\"ModelId\":2,"
      "\"Custom\":{\"Canvas\":{\"LayoutParams\":{\"Width\":640,\"Height\":360},"
      "\"BackgroundColor\":\"#FF0000\"},\"InputStreamList\":["
      "{\"LayoutParams\":{\"Width\":480,\"Height\":360,\"ZOrder\":0},\"InputStreamId\":"
      "\"tic_record_user\"},"
      "{\"LayoutParams\":{\"Width\":160,\"Height\":90,\"X\":480,\"Y\":0,\"ZOrder\":1},"
      "\"InputStreamId\":\"teacher\",\"FillMode\":1},"
      "{\"LayoutParams\":{\"Width\":160,\"Height\":90,\"X\":480,\"Y\":90}}]}}}");
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_class_check_request (req, &error));
  g_autoptr (JsonObject) create = new_create ();
  cr_class_fill_part (req, CR_CLASS_PART_MIXED, create);
  g_autofree char *text = cr_json_object_to_string (create);
  g_assert_cmpstr (
      text, ==,
      "{\"RecordParams\":{\"RecordMode\":2},\"MixTranscodeParams\":{\"VideoParams\":{\"Width\":640,"
      "\"Height\":360,\"Fps\":15,\"BitRate\":1200000,\"Gop\":10}},\"MixLayoutParams\":{"
      "\"MixLayoutMode\":4,\"BackGroundColor\":\"#FF0000\",\"MixLayoutList\":["
      "{\"Top\":0,\"Left\":0,\"Width\":480,\"Height\":360,\"ImageLayer\":0,\"RenderMode\":2,"
      "\"UserId\":\"tic_reserved_tile\"},"
      "{\"Top\":0,\"Left\":480,\"Width\":160,\"Height\":90,\"ImageLayer\":1,\"RenderMode\":0,"
      "\"UserId\":\"teacher\"},"
      "{\"Top\":90,\"Left\":480,\"Width\":160,\"Height\":90,\"ImageLayer\":0,\"RenderMode\":2}]}}");
  g_autofree char *user = cr_class_mix_user_id (req);
  g_assert_cmpstr (user, ==, "tic_mixstream_7_custom");
}

/* The board's publisher in the layouts: ModelId 1 -> the big picture, ModelId 2 -> a grid tile
 * like any stream, Custom -> the tic_record_user tile shows exactly that user (tic_substream's
 * stays empty); no board -> nothing changes; other parts untouched. */
static void
test_board_layouts (void)
{
  const char *board = "tic_record_user_7_1";
  g_autoptr (JsonObject) m1 = start_request (
      "{" BASE ",\"MixStream\":{\"Enabled\":true,\"ModelId\":1,\"TeacherId\":\"teacher\"},"
      "\"Extras\":[\"MIX_STREAM\"]}");
  g_assert_true (cr_class_wants_board (m1));
  g_autoptr (JsonObject) c1 = new_create ();
  cr_class_fill_part (m1, CR_CLASS_PART_MIXED, c1);
  cr_class_fill_board (m1, CR_CLASS_PART_MIXED, board, c1);
  JsonObject *l1 = cr_json_get_object (c1, "MixLayoutParams");
  g_assert_cmpint (cr_json_get_int_or (l1, "MixLayoutMode", 0), ==, 2);
  g_assert_cmpstr (cr_json_get_string (l1, "MaxResolutionUserId"), ==, board);
  /* without the board the teacher stays the big picture */
  g_autoptr (JsonObject) c1b = new_create ();
  cr_class_fill_part (m1, CR_CLASS_PART_MIXED, c1b);
  cr_class_fill_board (m1, CR_CLASS_PART_MIXED, NULL, c1b);
  g_assert_cmpstr (
      cr_json_get_string (cr_json_get_object (c1b, "MixLayoutParams"), "MaxResolutionUserId"), ==,
      "teacher");
  /* per-user part: nothing to change */
  g_autoptr (JsonObject) s1 = new_create ();
  cr_class_fill_part (m1, CR_CLASS_PART_SINGLE, s1);
  g_autofree char *before = cr_json_object_to_string (s1);
  cr_class_fill_board (m1, CR_CLASS_PART_SINGLE, board, s1);
  g_autofree char *after = cr_json_object_to_string (s1);
  g_assert_cmpstr (before, ==, after);

  g_autoptr (JsonObject) m2 = start_request (
      "{" BASE ",\"MixStream\":{\"Enabled\":true,\"ModelId\":2},\"Extras\":[\"MIX_STREAM\"]}");
  g_autoptr (JsonObject) c2 = new_create ();
  cr_class_fill_part (m2, CR_CLASS_PART_MIXED, c2);
  cr_class_fill_board (m2, CR_CLASS_PART_MIXED, board, c2);
  JsonObject *l2 = cr_json_get_object (c2, "MixLayoutParams");
  g_assert_cmpint (cr_json_get_int_or (l2, "MixLayoutMode", 0), ==, 3);
  g_assert_null (cr_json_get_string (l2, "MaxResolutionUserId"));
  g_assert_false (json_object_has_member (l2, "MixLayoutList")); /* the grid takes every stream */

  g_autoptr (JsonObject) custom = start_request (
      "{" BASE ",\"Extras\":[\"MIX_STREAM\"],\"MixStream\":{\"Enabled\":true,"
      "\"Custom\":{\"Canvas\":{\"LayoutParams\":{\"Width\":640,\"Height\":360}},"
      "\"InputStreamList\":["
      "{\"LayoutParams\":{\"Width\":160,\"Height\":90},\"InputStreamId\":\"teacher\"},"
      "{\"LayoutParams\":{\"Width\":480,\"Height\":270,\"X\":160},\"InputStreamId\":"
      "\"tic_record_user\"},"
      "{\"LayoutParams\":{\"Width\":160,\"Height\":90,\"Y\":90},\"InputStreamId\":"
      "\"tic_substream\"}]}}}");
  g_assert_true (cr_class_wants_board (custom));
  g_autoptr (JsonObject) cc = new_create ();
  cr_class_fill_part (custom, CR_CLASS_PART_MIXED, cc);
  cr_class_fill_board (custom, CR_CLASS_PART_MIXED, board, cc);
  JsonArray *tiles = cr_json_get_array (cr_json_get_object (cc, "MixLayoutParams"), "MixLayoutList");
  g_assert_cmpuint (json_array_get_length (tiles), ==, 3);
  g_assert_cmpstr (cr_json_get_string (json_array_get_object_element (tiles, 0), "UserId"), ==,
                   "teacher");
  JsonObject *bt = json_array_get_object_element (tiles, 1);
  g_assert_cmpstr (cr_json_get_string (bt, "UserId"), ==, board);
  g_assert_cmpint (cr_json_get_int_or (bt, "Left", -1), ==, 160);
  g_assert_cmpint (cr_json_get_int_or (bt, "Width", -1), ==, 480);
  g_assert_cmpstr (cr_json_get_string (json_array_get_object_element (tiles, 2), "UserId"), ==,
                   "tic_reserved_tile");

  g_autoptr (JsonObject) nomix = start_request ("{" BASE "}");
  g_assert_false (cr_class_wants_board (nomix));
}

static void
test_record_control (void)
{
  /* nothing said: every user's video, no lists */
  g_autoptr (JsonObject) plain = start_request ("{" BASE "}");
  g_autoptr (JsonObject) c1 = new_create ();
  cr_class_fill_part (plain, CR_CLASS_PART_SINGLE, c1);
  g_autofree char *t1 = cr_json_object_to_string (c1);
  g_assert_cmpstr (t1, ==, "{\"RecordParams\":{\"RecordMode\":1,\"MediaId\":1}}");
  g_assert_false (cr_class_wants_part (plain, CR_CLASS_PART_MIXED));
  /* all off but two; one of them muted */
  g_autoptr (JsonObject) some = start_request (
      "{" BASE ",\"RecordControl\":{\"Enabled\":true,\"DisableRecord\":true,\"StreamControls\":["
      "{\"StreamId\":\"a\",\"DisableRecord\":false},{\"StreamId\":\"b\",\"DisableRecord\":false,"
      "\"DisableAudio\":true},{\"StreamId\":\"c\",\"DisableRecord\":true}]}}");
  g_assert_true (cr_class_wants_part (some, CR_CLASS_PART_SINGLE));
  g_autoptr (JsonObject) c2 = new_create ();
  cr_class_fill_part (some, CR_CLASS_PART_SINGLE, c2);
  g_autofree char *t2 = cr_json_object_to_string (
      cr_json_get_object (cr_json_get_object (c2, "RecordParams"), "SubscribeStreamUserIds"));
  g_assert_cmpstr (
      t2, ==,
      "{\"SubscribeVideoUserIds\":[\"a.*$\",\"b.*$\"],\"SubscribeAudioUserIds\":[\"a.*$\"]}");
  /* all on but one */
  g_autoptr (JsonObject) most = start_request (
      "{" BASE ",\"RecordControl\":{\"Enabled\":true,\"StreamControls\":["
      "{\"StreamId\":\"c\",\"DisableRecord\":true},{\"StreamId\":\"d\",\"DisableAudio\":true}]}}");
  g_autoptr (JsonObject) c3 = new_create ();
  cr_class_fill_part (most, CR_CLASS_PART_SINGLE, c3);
  g_autofree char *t3 = cr_json_object_to_string (
      cr_json_get_object (cr_json_get_object (c3, "RecordParams"), "SubscribeStreamUserIds"));
  g_assert_cmpstr (
      t3, ==, "{\"UnSubscribeVideoUserIds\":[\"c.*$\"],\"UnSubscribeAudioUserIds\":[\"d.*$\"]}");
  /* TIW matches StreamIds by prefix: "stu" is every student, "tic_record_user" the board's
   * publisher; "tic_substream" and ids no UserId can start with concern no per-user stream */
  g_autoptr (JsonObject) prefix = start_request (
      "{" BASE ",\"RecordControl\":{\"Enabled\":true,\"StreamControls\":["
      "{\"StreamId\":\"stu\",\"DisableRecord\":true},{\"StreamId\":\"tic_record_user\","
      "\"DisableRecord\":true},{\"StreamId\":\"tic_substream\",\"DisableRecord\":true},"
      "{\"StreamId\":\"a b\",\"DisableRecord\":true},{\"StreamId\":\"teacher\","
      "\"DisableAudio\":true}]}}");
  g_autoptr (JsonObject) c5 = new_create ();
  cr_class_fill_part (prefix, CR_CLASS_PART_SINGLE, c5);
  JsonObject *sub5
      = cr_json_get_object (cr_json_get_object (c5, "RecordParams"), "SubscribeStreamUserIds");
  g_autofree char *t5 = cr_json_object_to_string (sub5);
  g_assert_cmpstr (t5, ==,
                   "{\"UnSubscribeVideoUserIds\":[\"stu.*$\",\"tic_record_user.*$\"],"
                   "\"UnSubscribeAudioUserIds\":[\"teacher.*$\"]}");
  g_autoptr (CrSubscription) s5 = cr_subscription_new (sub5);
  g_assert_false (cr_subscription_wants (s5, "student1", TRUE));
  g_assert_false (cr_subscription_wants (s5, "stu", TRUE));
  g_assert_false (cr_subscription_wants (s5, "tic_record_user_7_1", TRUE));
  g_assert_true (cr_subscription_wants (s5, "teacher", TRUE));
  g_assert_false (cr_subscription_wants (s5, "teacher", FALSE));
  g_assert_true (cr_subscription_wants (s5, "teacher2", TRUE));
  g_assert_false (cr_subscription_wants (s5, "teacher2", FALSE));
  g_assert_true (cr_subscription_wants (s5, "alice", FALSE));
  g_assert_true (cr_subscription_wants (s5, "a", TRUE));
  /* AudioFileNeeded: an audio-only AAC task of every user */
  g_autoptr (JsonObject) audio = start_request ("{" BASE ",\"AudioFileNeeded\":true}");
  g_assert_true (cr_class_wants_part (audio, CR_CLASS_PART_AUDIO));
  g_assert_false (cr_class_wants_part (plain, CR_CLASS_PART_AUDIO));
  g_autoptr (JsonObject) c4 = new_create ();
  cr_class_fill_part (audio, CR_CLASS_PART_AUDIO, c4);
  g_autofree char *t4 = cr_json_object_to_string (c4);
  g_assert_cmpstr (t4, ==,
                   "{\"RecordParams\":{\"RecordMode\":1,\"StreamType\":1,\"OutputFormat\":4,"
                   "\"MediaId\":1}}");
  /* all off: nothing per user */
  g_autoptr (JsonObject) none
      = start_request ("{" BASE ",\"RecordControl\":{\"Enabled\":true,\"DisableRecord\":true}}");
  g_assert_false (cr_class_wants_part (none, CR_CLASS_PART_SINGLE));
}

static void
test_trtc_room (void)
{
  gboolean str = TRUE;
  g_autoptr (JsonObject) a = start_request ("{" BASE "}");
  g_autofree char *ra = cr_class_trtc_room (a, &str);
  g_assert_cmpstr (ra, ==, "7");
  g_assert_false (str);
  g_autoptr (JsonObject) b = start_request ("{" BASE ",\"TRTCRoomId\":99}");
  g_autofree char *rb = cr_class_trtc_room (b, &str);
  g_assert_cmpstr (rb, ==, "99");
  g_assert_false (str);
  g_autoptr (JsonObject) c
      = start_request ("{" BASE ",\"TRTCRoomId\":99,\"TRTCRoomIdStr\":\"cls-a\"}");
  g_autofree char *rc = cr_class_trtc_room (c, &str);
  g_assert_cmpstr (rc, ==, "cls-a");
  g_assert_true (str);
}

static void
test_callback_body (void)
{
  JsonObject *data = json_object_new ();
  json_object_set_string_member (data, "TaskId", "t1");
  g_autoptr (JsonObject) body = cr_class_callback_body (1400000001, "OnlineRecordStarted", data,
                                                        "Xz4ZgayTr7rMgWQrH", 1588040109 - 86400);
  /* the whiteboard service's documented example: md5("Xz4ZgayTr7rMgWQrH1588040109") */
  g_assert_cmpstr (cr_json_get_string (body, "Sign"), ==, "a2dabb362a9b811c0e26953a6276a41c");
  g_assert_cmpint (cr_json_get_int_or (body, "ExpireTime", 0), ==, 1588040109);
  g_assert_cmpint (cr_json_get_int_or (body, "Timestamp", 0), ==, 1588040109 - 86400);
  g_assert_cmpstr (cr_json_get_string (body, "EventType"), ==, "OnlineRecordStarted");
  g_assert_cmpstr (cr_json_get_string (cr_json_get_object (body, "EventData"), "TaskId"), ==, "t1");
  g_autoptr (JsonObject) unsigned_body
      = cr_class_callback_body (1, "OnlineRecordStopped", json_object_new (), "", 100);
  g_assert_cmpstr (cr_json_get_string (unsigned_body, "Sign"), ==, "");
}

static void
put32 (GByteArray *b, guint32 v)
{
  guint8 p[4] = { v >> 24, v >> 16, v >> 8, v };
  g_byte_array_append (b, p, 4);
}

static void
put_box (GByteArray *b, const char *type, const GByteArray *body)
{
  put32 (b, 8 + body->len);
  g_byte_array_append (b, (const guint8 *)type, 4);
  g_byte_array_append (b, body->data, body->len);
}

static void
test_mp4_info (void)
{
  g_autoptr (GByteArray) mvhd = g_byte_array_new ();
  put32 (mvhd, 0);                 /* version 0 */
  put32 (mvhd, 0);                 /* created */
  put32 (mvhd, 0);                 /* modified */
  put32 (mvhd, 90000);             /* timescale */
  put32 (mvhd, 90000 * 12 + 4500); /* 12.05 s */
  for (int i = 0; i < 20; i++)
    put32 (mvhd, 0);
  g_autoptr (GByteArray) tkhd = g_byte_array_new ();
  for (int i = 0; i < 19; i++) /* version/flags .. matrix: 76 bytes */
    put32 (tkhd, 0);
  put32 (tkhd, 320u << 16);
  put32 (tkhd, 180u << 16);
  g_autoptr (GByteArray) trak = g_byte_array_new ();
  put_box (trak, "tkhd", tkhd);
  g_autoptr (GByteArray) moov = g_byte_array_new ();
  put_box (moov, "mvhd", mvhd);
  put_box (moov, "trak", trak);
  g_autoptr (GByteArray) ftyp = g_byte_array_new ();
  g_byte_array_append (ftyp, (const guint8 *)"isom\0\0\0\0", 8);
  g_autoptr (GByteArray) file = g_byte_array_new ();
  put_box (file, "ftyp", ftyp);
  g_autoptr (GByteArray) mdat = g_byte_array_new ();
  g_byte_array_append (mdat, (const guint8 *)"0123456789", 10);
  put_box (file, "mdat", mdat);
  put_box (file, "moov", moov);
  g_autofree char *dir = g_dir_make_tmp ("class-mp4-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "a.mp4", NULL);
  g_assert_true (g_file_set_contents (path, (const char *)file->data, file->len, NULL));
  CrMp4Info info;
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_mp4_info_read (path, &info, &error));
  g_assert_cmpint (info.duration_ms, ==, 12050);
  g_assert_cmpint (info.size, ==, file->len);
  g_assert_cmpint (info.width, ==, 320);
  g_assert_cmpint (info.height, ==, 180);
  /* no movie header: an error */
  g_assert_true (g_file_set_contents (path, "\0\0\0\x10mdat0123456789ab", 16, NULL));
  g_assert_false (cr_mp4_info_read (path, &info, &error));
  g_assert_nonnull (error);
  g_unlink (path);
  g_rmdir (dir);
}

/* MPEG-1 Layer III frames at 48 kHz / 64 kbps (192 bytes each) and MPEG-2 at 24 kHz / 64 kbps
 * (192 bytes too: 72 * 64000 / 24000), behind an ID3v2 tag, the first an Info frame. */
static void
test_mp3_info (void)
{
  g_autoptr (GByteArray) file = g_byte_array_new ();
  guint8 id3[10 + 20] = { 'I', 'D', '3', 4, 0, 0, 0, 0, 0, 20 };
  g_byte_array_append (file, id3, sizeof id3);
  for (int i = 0; i < 4; i++) {
    guint8 frame[192] = { 0xFF, 0xFB, (5 << 4) | (1 << 2), 0xC4 };
    if (i == 0)
      memcpy (frame + 36, "Info", 4);
    g_byte_array_append (file, frame, sizeof frame);
  }
  g_autofree char *dir = g_dir_make_tmp ("class-mp3-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "a.mp3", NULL);
  g_assert_true (g_file_set_contents (path, (const char *)file->data, file->len, NULL));
  CrMp4Info info;
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_mp3_info_read (path, &info, &error));
  g_assert_cmpint (info.duration_ms, ==, 3 * 1152 * 1000 / 48000);
  g_assert_cmpint (info.size, ==, file->len);
  /* MPEG-2 (LAME's choice at 64 kbps stereo): 576 samples a frame at 24 kHz; a cut last frame
   * does not count */
  g_byte_array_set_size (file, 0);
  for (int i = 0; i < 5; i++) {
    guint8 frame[192] = { 0xFF, 0xF3, (8 << 4) | (1 << 2), 0xC4 };
    g_byte_array_append (file, frame, i == 4 ? 100 : sizeof frame);
  }
  g_assert_true (g_file_set_contents (path, (const char *)file->data, file->len, NULL));
  g_assert_true (cr_mp3_info_read (path, &info, &error));
  g_assert_cmpint (info.duration_ms, ==, 4 * 576 * 1000 / 24000);
  g_assert_true (g_file_set_contents (path, "not mp3 at all", 14, NULL));
  g_assert_false (cr_mp3_info_read (path, &info, &error));
  g_assert_nonnull (error);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_adts_info (void)
{
  /* three ADTS frames at 48 kHz: the second with two raw blocks */
  g_autoptr (GByteArray) file = g_byte_array_new ();
  for (int i = 0; i < 3; i++) {
    guint len = 7 + 10;
    guint8 h[7] = { 0xFF,
                    0xF1,
                    (1 << 6) | (3 << 2),
                    (guint8)(0x80 | (len >> 11)),
                    (guint8)(len >> 3),
                    (guint8)(((len & 7) << 5) | 0x1F),
                    (guint8)(0xFC | (i == 1)) };
    g_byte_array_append (file, h, 7);
    g_byte_array_append (file, (const guint8 *)"0123456789", 10);
  }
  g_autofree char *dir = g_dir_make_tmp ("class-aac-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "a.aac", NULL);
  g_assert_true (g_file_set_contents (path, (const char *)file->data, file->len, NULL));
  CrMp4Info info;
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_adts_info_read (path, &info, &error));
  g_assert_cmpint (info.duration_ms, ==, 4 * 1024 * 1000 / 48000);
  g_assert_cmpint (info.size, ==, file->len);
  g_assert_cmpint (info.width, ==, 0);
  g_assert_true (g_file_set_contents (path, "not aac", 7, NULL));
  g_assert_false (cr_adts_info_read (path, &info, &error));
  g_assert_nonnull (error);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/class/transitions", test_transitions);
  g_test_add_func ("/class/record-user", test_record_user);
  g_test_add_func ("/class/request-rules", test_request_rules);
  g_test_add_func ("/class/model-mapping", test_model_mapping);
  g_test_add_func ("/class/record-mode-schema", test_record_mode_schema);
  g_test_add_func ("/class/custom-exactly", test_custom_exactly);
  g_test_add_func ("/class/board-layouts", test_board_layouts);
  g_test_add_func ("/class/record-control", test_record_control);
  g_test_add_func ("/class/trtc-room", test_trtc_room);
  g_test_add_func ("/class/callback-body", test_callback_body);
  g_test_add_func ("/class/mp4-info", test_mp4_info);
  g_test_add_func ("/class/adts-info", test_adts_info);
  g_test_add_func ("/class/mp3-info", test_mp3_info);
  return g_test_run ();
}
