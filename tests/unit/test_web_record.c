/* Web-page recording's request rules and spec (schema_web.c, spec_web.c): TRTC's 0-is-default for
 * the picture's size and MaxMediaFileDuration, the ranges, http(s) pages only, RecordId's length,
 * Describe's TaskId-or-RecordId; the spec a worker reads (the TaskId in the room's place, the
 * format, the emulation); a callback without a room carries no RoomId. */
#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "outbox/callback.h"
#include "task/spec.h"
#include "validate/validate.h"

#define STORAGE                                                                                    \
  "\"StorageParams\":{\"CloudStorage\":{\"Vendor\":0,\"Region\":\"ap-guangzhou\",\"Bucket\":"      \
  "\"b-125\",\"AccessKey\":\"ak\",\"SecretKey\":\"sk\",\"FileNamePrefix\":[\"web\"]}}"

static JsonObject *
validate (const char *action, const char *text, GError **error)
{
  g_autoptr (JsonObject) req = cr_json_parse_object (text, strlen (text), NULL);
  g_assert_nonnull (req);
  return cr_validate_request (action, req, CR_VALIDATE_JSON, error);
}

static void
assert_refused (const char *action, const char *text, const char *code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) out = validate (action, text, &error);
  g_assert_null (out);
  g_assert_nonnull (error);
  /* @code, or a finer code under it ("InvalidParameter.OutOfRange") */
  if (!g_str_has_prefix (cr_api_error_code (error), code))
    g_error ("%s: code %s, want %s", text, cr_api_error_code (error), code);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("\"%s\" not in \"%s\"", needle, error->message);
}

static void
test_defaults (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) out = validate (
      "StartWebRecord",
      "{\"SdkAppId\":1400000001,\"RecordUrl\":\"https://example.com/board\"," STORAGE "}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (cr_json_get_int_or (out, "MaxDurationLimit", 0), ==, 86400);
  g_assert_cmpint (cr_json_get_int_or (out, "ReadyTimeout", -1), ==, 0);
  g_assert_cmpstr (cr_json_get_string (out, "RecordId"), ==, "");
  JsonObject *v = cr_json_get_object (out, "WebRecordVideoParams");
  g_assert_cmpint (cr_json_get_int_or (v, "Width", 0), ==, 1280);
  g_assert_cmpint (cr_json_get_int_or (v, "Height", 0), ==, 720);
  g_assert_cmpstr (cr_json_get_string (v, "Format"), ==, "hls");
  g_assert_cmpint (cr_json_get_int_or (v, "MaxMediaFileDuration", 0), ==, 1440);
  g_assert_false (json_object_has_member (out, "EmulateMobileParams"));

  /* 0 is the default; an odd size is rounded up to even. */
  g_autoptr (JsonObject) zero
      = validate ("StartWebRecord",
                  "{\"SdkAppId\":1400000001,\"RecordUrl\":\"http://h/\"," STORAGE
                  ",\"WebRecordVideoParams\":{\"Width\":0,\"Height\":481,\"Format\":\"mp4\","
                  "\"MaxMediaFileDuration\":0},\"EmulateMobileParams\":{\"MobileDeviceType\":1}}",
                  &error);
  g_assert_no_error (error);
  v = cr_json_get_object (zero, "WebRecordVideoParams");
  g_assert_cmpint (cr_json_get_int_or (v, "Width", 0), ==, 1280);
  g_assert_cmpint (cr_json_get_int_or (v, "Height", 0), ==, 482);
  g_assert_cmpint (cr_json_get_int_or (v, "MaxMediaFileDuration", 0), ==, 1440);
  JsonObject *m = cr_json_get_object (zero, "EmulateMobileParams");
  g_assert_cmpint (cr_json_get_int_or (m, "ScreenOrientation", -1), ==, 0);

  /* The spec: the TaskId (added by the action) where a room's id would be. */
  json_object_set_string_member (zero, "TaskId", "task-1");
  g_autoptr (CrTaskSpec) spec = cr_task_spec_new (zero, &error);
  g_assert_no_error (error);
  g_assert_nonnull (spec->web);
  g_assert_cmpstr (spec->room_id, ==, "task-1");
  g_assert_false (spec->string_room);
  g_assert_cmpint (spec->record_mode, ==, CR_RECORD_MIXED);
  g_assert_cmpint (spec->output_format, ==, CR_OUTPUT_MP4);
  g_assert_cmpint (spec->max_file_ms, ==, 1440 * 60000);
  g_assert_cmpstr (spec->web->url, ==, "http://h/");
  g_assert_cmpint (spec->web->width, ==, 1280);
  g_assert_cmpint (spec->web->height, ==, 482);
  g_assert_true (spec->web->mobile);
  g_assert_true (spec->web->tablet);
  g_assert_false (spec->web->landscape);
  g_assert_cmpstr (spec->storage.prefix[0], ==, "web");

  /* A stored request without its TaskId is not a web task's. */
  json_object_remove_member (zero, "TaskId");
  g_autoptr (CrTaskSpec) none = cr_task_spec_new (zero, &error);
  g_assert_null (none);
  g_assert_nonnull (strstr (error->message, "TaskId"));
}

static void
test_refused (void)
{
  const char *head = "{\"SdkAppId\":1400000001," STORAGE;
  struct {
    const char *tail, *code, *needle;
  } cases[] = {
    { ",\"RecordUrl\":\"file:///etc/passwd\"}", "InvalidParameter", "http" },
    { ",\"RecordUrl\":\"javascript:alert(1)\"}", "InvalidParameter", "http" },
    { ",\"RecordUrl\":\"http:///x\"}", "InvalidParameter", "host" },
    { "}", "MissingParameter", "RecordUrl" },
    { ",\"RecordUrl\":\"http://h/\",\"WebRecordVideoParams\":{\"Width\":1921}}", "InvalidParameter",
      "Width" },
    { ",\"RecordUrl\":\"http://h/\",\"WebRecordVideoParams\":{\"Height\":1081}}",
      "InvalidParameter", "Height" },
    { ",\"RecordUrl\":\"http://h/\",\"WebRecordVideoParams\":{\"Format\":\"aac\"}}",
      "InvalidParameter", "Format" },
    { ",\"RecordUrl\":\"http://h/\",\"MaxDurationLimit\":86401}", "InvalidParameter",
      "MaxDurationLimit" },
    { ",\"RecordUrl\":\"http://h/\",\"ReadyTimeout\":61}", "InvalidParameter", "ReadyTimeout" },
    { ",\"RecordUrl\":\"http://h/\",\"RecordId\":\"0123456789012345678901234567890x\"}",
      "InvalidParameter", "RecordId" },
    { ",\"RecordUrl\":\"http://h/\",\"EmulateMobileParams\":{\"MobileDeviceType\":2}}",
      "InvalidParameter", "MobileDeviceType" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *text = g_strconcat (head, cases[i].tail, NULL);
    assert_refused ("StartWebRecord", text, cases[i].code, cases[i].needle);
  }
  /* Describe: TaskId, or RecordId with its SdkAppId. */
  assert_refused ("DescribeWebRecord", "{}", "MissingParameter", "TaskId or RecordId");
  assert_refused ("DescribeWebRecord", "{\"RecordId\":\"r1\"}", "MissingParameter.SdkAppId",
                  "SdkAppId");
  assert_refused ("StopWebRecord", "{}", "MissingParameter.TaskId", "TaskId");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) ok
      = validate ("DescribeWebRecord", "{\"SdkAppId\":1400000001,\"RecordId\":\"r1\"}", &error);
  g_assert_no_error (error);
  g_assert_nonnull (ok);
}

static void
test_callback_without_room (void)
{
  g_autofree char *body = cr_callback_body (301, "", "", "task-1", NULL, 1700000000000);
  g_autoptr (JsonObject) o = cr_json_parse_object (body, strlen (body), NULL);
  JsonObject *info = cr_json_get_object (o, "EventInfo");
  g_assert_cmpstr (cr_json_get_string (info, "TaskId"), ==, "task-1");
  g_assert_false (json_object_has_member (info, "RoomId"));
  g_assert_false (json_object_has_member (info, "UserId"));
  g_autofree char *room = cr_callback_body (301, "8888", "robot", "task-2", NULL, 1700000000000);
  g_assert_nonnull (strstr (room, "\"RoomId\":\"8888\""));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/web_record/defaults", test_defaults);
  g_test_add_func ("/web_record/refused", test_refused);
  g_test_add_func ("/web_record/callback_without_room", test_callback_without_room);
  return g_test_run ();
}
