/* The one-call recording's pure part (src/task/record_once.c): the `POST /v1/record` body parser
 * (a table of bodies and the code and field each is refused with; seeded random mutations of a
 * valid body that must each end in a request or a named refusal, never a crash, and whose
 * requests always pass CreateCloudRecording's validator), the CreateCloudRecording request it
 * becomes per Mode, the extension's round trip through the task spec, object keys, URLs and the
 * result's types. */
#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "outbox/callback.h"
#include "task/record_once.h"
#include "task/spec.h"
#include "validate/validate.h"

#define SEED_BODY                                                                                  \
  "{\"SdkAppId\": 1400000000,\"RoomId\": 43474,\"UserId\": \"user_55952145\",\"Mode\": "           \
  "\"02\",\"UserSig\": "                                                                           \
  "\"eJwtzNEKgkAUBNB-2efQ3e3eUqG3tMCKJJEIIxxxxxxxxxxxxxxxhvmweLWzGlUxj0mLs1\","                    \
  "\"CosConfig\": {\"Region\": \"ap-shanghai\",\"Bucket\": \"test-123456789\",\"Path\": "          \
  "\"/trtc\"}}"

static CrOnceRequest *
parse (const char *body, GError **error)
{
  return cr_once_request_parse (body, strlen (body), error);
}

static void
test_seed_example (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrOnceRequest) r = parse (SEED_BODY, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->sdk_app_id, ==, 1400000000);
  g_assert_cmpstr (r->room_id, ==, "43474");
  g_assert_false (r->string_room);
  g_assert_cmpstr (r->user_id, ==, "user_55952145");
  g_assert_cmpint (r->mode, ==, CR_ONCE_MODE_AUDIO_VIDEO);
  g_assert_cmpstr (r->region, ==, "ap-shanghai");
  g_assert_cmpstr (r->bucket, ==, "test-123456789");
  g_assert_cmpstr (r->path, ==, "trtc");
  g_assert_null (r->secret_id);
  g_assert_null (r->secret_key);
  g_assert_cmpstr (r->callback, ==, "");
}

static void
test_defaults_and_rooms (void)
{
  g_autoptr (GError) error = NULL;
  /* Mode defaults to 00 (MP3); StrRoomId alone is a string room; Path "/" and absent are "". */
  g_autoptr (CrOnceRequest) a
      = parse ("{\"SdkAppId\":1,\"StrRoomId\":\"room a\",\"UserId\":\"r\",\"UserSig\":\"s\","
               "\"CosConfig\":{\"Region\":\"r\",\"Bucket\":\"b\",\"Path\":\"/\",\"SecretId\":\"i\","
               "\"SecretKey\":\"k\"},\"Callback\":\"https://example.com/cb\",\"Extra\":[1]}",
               &error);
  g_assert_no_error (error);
  g_assert_cmpint (a->mode, ==, CR_ONCE_MODE_AUDIO);
  g_assert_true (a->string_room);
  g_assert_cmpstr (a->room_id, ==, "room a");
  g_assert_cmpstr (a->path, ==, "");
  g_assert_cmpstr (a->secret_id, ==, "i");
  g_assert_cmpstr (a->callback, ==, "https://example.com/cb");
  /* RoomId wins over StrRoomId, whose characters then do not matter. */
  g_autoptr (CrOnceRequest) b
      = parse ("{\"SdkAppId\":1,\"RoomId\":7,\"StrRoomId\":\"a/b\",\"UserId\":\"r\",\"UserSig\":"
               "\"s\",\"CosConfig\":{\"Region\":\"r\",\"Bucket\":\"b\",\"Path\":\"//x//y.z/\"},"
               "\"Mode\":null}",
               &error);
  g_assert_no_error (error);
  g_assert_false (b->string_room);
  g_assert_cmpstr (b->room_id, ==, "7");
  g_assert_cmpstr (b->path, ==, "x/y.z");
  g_assert_cmpint (b->mode, ==, CR_ONCE_MODE_AUDIO);
}

/* Bodies and the code each is refused with (the message names the same field). */
static const struct {
  const char *body;
  const char *code;
  const char *field; /* in the message */
} refused[] = {
  { "", "InvalidParameter.BodyParamsError", "JSON" },
  { "{", "InvalidParameter.BodyParamsError", "JSON" },
  { "null", "InvalidParameter.BodyParamsError", "JSON object" },
  { "\"x\"", "InvalidParameter.BodyParamsError", "JSON object" },
  { "{}", "MissingParameter.SdkAppId", "SdkAppId" },
  { "{\"SdkAppId\":\"1\"}", "InvalidParameter.SdkAppId",
    "SdkAppId must be an integer, got a string" },
  { "{\"SdkAppId\":1.5}", "InvalidParameter.SdkAppId", "got a fractional or out-of-range number" },
  { "{\"SdkAppId\":true}", "InvalidParameter.SdkAppId", "got a boolean" },
  { "{\"SdkAppId\":0}", "InvalidParameter.SdkAppId", "SdkAppId must be in" },
  { "{\"SdkAppId\":4294967296}", "InvalidParameter.SdkAppId", "SdkAppId must be in" },
  { "{\"SdkAppId\":1,\"RoomId\":\"5\"}", "InvalidParameter.RoomId", "RoomId must be an integer" },
  { "{\"SdkAppId\":1,\"RoomId\":4294967295}", "InvalidParameter.RoomId", "RoomId must be in" },
  { "{\"SdkAppId\":1,\"StrRoomId\":5}", "InvalidParameter.StrRoomId",
    "StrRoomId must be a string" },
  { "{\"SdkAppId\":1,\"StrRoomId\":\"\"}", "InvalidParameter.StrRoomId",
    "StrRoomId must be 1 to 64" },
  { "{\"SdkAppId\":1,\"RoomId\":1}", "MissingParameter.UserId", "UserId is required" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":[]}", "InvalidParameter.UserId", "got an array" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"a b\"}", "InvalidParameter.UserId",
    "UserId must be made of" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
    "InvalidParameter.UserId", "1 to 32" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\"}", "MissingParameter.UserSig", "UserSig" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\"}",
    "MissingParameter.CosConfig", "CosConfig is required" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":[]}",
    "InvalidParameter.CosConfig", "CosConfig must be an object" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{}}",
    "MissingParameter.CosConfig.Region", "CosConfig.Region" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":\"a "
    "b\"}}",
    "InvalidParameter.CosConfig.Region", "CosConfig.Region must be a region" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":"
    "\"r\"}}",
    "MissingParameter.CosConfig.Bucket", "CosConfig.Bucket" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":"
    "\"r\",\"Bucket\":\"b/c\"}}",
    "InvalidParameter.CosConfig.Bucket", "bucket name" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":"
    "\"r\",\"Bucket\":\"b\",\"Path\":3}}",
    "InvalidParameter.CosConfig.Path", "CosConfig.Path must be a string" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":"
    "\"r\",\"Bucket\":\"b\",\"Path\":\"a/../b\"}}",
    "InvalidParameter.CosConfig.Path", "CosConfig.Path" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":"
    "\"r\",\"Bucket\":\"b\",\"Path\":\"a b\"}}",
    "InvalidParameter.CosConfig.Path", "CosConfig.Path" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":"
    "\"r\",\"Bucket\":\"b\",\"SecretKey\":\"k\"}}",
    "MissingParameter.CosConfig.SecretId", "CosConfig.SecretId is required" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":"
    "\"r\",\"Bucket\":\"b\",\"SecretId\":\"a b\",\"SecretKey\":\"k\"}}",
    "InvalidParameter.CosConfig.SecretId", "printable" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":"
    "\"r\",\"Bucket\":\"b\"},\"Callback\":1}",
    "InvalidParameter.Callback", "Callback must be a string" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":"
    "\"r\",\"Bucket\":\"b\"},\"Callback\":\"file:///etc\"}",
    "InvalidParameter.Callback", "http" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":"
    "\"r\",\"Bucket\":\"b\"},\"Callback\":\"http://\"}",
    "InvalidParameter.Callback", "http" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":"
    "\"r\",\"Bucket\":\"b\"},\"Mode\":1}",
    "InvalidParameter.Mode", "Mode must be a string" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":"
    "\"r\",\"Bucket\":\"b\"},\"Mode\":\"0\"}",
    "InvalidParameter.Mode", "Mode must be \"00\"" },
  { "{\"SdkAppId\":1,\"RoomId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":"
    "\"r\",\"Bucket\":\"b\"},\"Mode\":\"003\"}",
    "InvalidParameter.Mode", "Mode must be 0 to 2" },
  { "{\"SdkAppId\":1,\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":\"r\",\"Bucket\":"
    "\"b\"}}",
    "MissingParameter.RoomId", "RoomId or StrRoomId" },
  { "{\"SdkAppId\":1,\"StrRoomId\":\"a/"
    "b\",\"UserId\":\"u\",\"UserSig\":\"s\",\"CosConfig\":{\"Region\":\"r\",\"Bucket\":\"b\"}}",
    "InvalidParameter.StrRoomId", "string room id" },
};

static void
test_refused (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (CrOnceRequest) r = parse (refused[i].body, &error);
    if (r != NULL)
      g_error ("accepted: %s", refused[i].body);
    g_assert_error (error, CR_API_ERROR, error->code);
    if (strcmp (cr_api_error_code (error), refused[i].code) != 0
        || strstr (error->message, refused[i].field) == NULL)
      g_error ("%s: got %s \"%s\", want %s naming \"%s\"", refused[i].body,
               cr_api_error_code (error), error->message, refused[i].code, refused[i].field);
    /* The answer's body: {"Error":{"Code","Message"}} and nothing else. */
    g_autofree char *text = cr_once_error_body (error);
    g_autoptr (JsonObject) o = cr_json_parse_object (text, strlen (text), NULL);
    g_assert_cmpuint (json_object_get_size (o), ==, 1);
    JsonObject *e = cr_json_get_object (o, "Error");
    g_assert_cmpuint (json_object_get_size (e), ==, 2);
    g_assert_cmpstr (cr_json_get_string (e, "Code"), ==, refused[i].code);
    g_assert_cmpstr (cr_json_get_string (e, "Message"), ==, error->message);
  }
}

static void
test_huge_body (void)
{
  g_autoptr (GString) big = g_string_new ("{\"SdkAppId\":1,\"Pad\":\"");
  while (big->len <= CR_ONCE_MAX_BODY)
    g_string_append (big, "xxxxxxxxxxxxxxxx");
  g_string_append (big, "\"}");
  g_autoptr (GError) error = NULL;
  g_assert_null (cr_once_request_parse (big->str, big->len, &error));
  g_assert_cmpstr (cr_api_error_code (error), ==, "RequestSizeLimitExceeded");
  /* NUL bytes and deep nesting are refused as malformed JSON. */
  g_clear_error (&error);
  g_assert_null (cr_once_request_parse ("{\"a\":\"\0\"}", 9, &error));
  g_assert_cmpstr (cr_api_error_code (error), ==, "InvalidParameter.BodyParamsError");
  g_clear_error (&error);
  g_autoptr (GString) deep = g_string_new ("{\"a\":");
  for (int i = 0; i < 100; i++)
    g_string_append_c (deep, '[');
  g_assert_null (cr_once_request_parse (deep->str, deep->len, &error));
  g_assert_cmpstr (cr_api_error_code (error), ==, "InvalidParameter.BodyParamsError");
}

/* A request the parser accepts becomes a CreateCloudRecording the validator accepts. */
static void
check_accepted (const CrOnceRequest *r)
{
  g_autoptr (JsonObject) raw = cr_once_request_to_create (r, "ak", "sk");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params
      = cr_validate_request ("CreateCloudRecording", raw, CR_VALIDATE_JSON, &error);
  if (params == NULL)
    g_error ("the validator refuses a parsed body: %s", error->message);
}

/* Seeded mutations of the seed's body: a byte replaced, removed or repeated, a cut. */
static void
test_mutations (void)
{
  static const char alphabet[] = "{}[]\":,0123456789-.eE tfnul\\/ab_Z\x80\xff";
  GRand *rand = g_rand_new_with_seed (4);
  const char *seed = SEED_BODY;
  guint accepted = 0;
  for (int round = 0; round < 20000; round++) {
    g_autoptr (GString) s = g_string_new (seed);
    int edits = g_rand_int_range (rand, 1, 4);
    for (int e = 0; e < edits && s->len > 0; e++) {
      guint at = (guint)g_rand_int_range (rand, 0, (gint32)s->len);
      switch (g_rand_int_range (rand, 0, 4)) {
      case 0:
        s->str[at] = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
        break;
      case 1:
        g_string_erase (s, at, 1);
        break;
      case 2:
        g_string_insert_c (s, at, s->str[at]);
        break;
      default:
        g_string_truncate (s, at);
        break;
      }
    }
    g_autoptr (GError) error = NULL;
    g_autoptr (CrOnceRequest) r = cr_once_request_parse (s->str, s->len, &error);
    if (r != NULL) {
      g_assert_no_error (error);
      accepted++;
      check_accepted (r);
      continue;
    }
    g_assert_nonnull (error);
    const char *code = cr_api_error_code (error);
    g_assert_true (g_str_has_prefix (code, "InvalidParameter.")
                   || g_str_has_prefix (code, "MissingParameter."));
    g_assert_cmpstr (error->message, !=, "");
  }
  g_assert_cmpuint (accepted, >, 0);
  g_rand_free (rand);
}

static void
test_create_per_mode (void)
{
  static const struct {
    const char *mode;
    gint64 stream_type, output_format;
    const char *format;
  } modes[] = {
    { "00", CR_STREAMS_AUDIO, CR_OUTPUT_AAC, "mp3" },
    { "01", CR_STREAMS_VIDEO, CR_OUTPUT_MP4, "mp4" },
    { "02", CR_STREAMS_AUDIO_VIDEO, CR_OUTPUT_MP4, "mp4" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (modes); i++) {
    g_autofree char *body = g_strdup_printf (
        "{\"SdkAppId\":1400000001,\"StrRoomId\":\"r-1\",\"UserId\":\"robot\",\"UserSig\":\"s\","
        "\"Mode\":\"%s\",\"CosConfig\":{\"Region\":\"ap-x\",\"Bucket\":\"b-1\",\"Path\":\"/p/q/\"},"
        "\"Callback\":\"http://127.0.0.1:9/cb\"}",
        modes[i].mode);
    g_autoptr (GError) error = NULL;
    g_autoptr (CrOnceRequest) r = parse (body, &error);
    g_assert_no_error (error);
    g_autoptr (JsonObject) raw = cr_once_request_to_create (r, "ak", "sk");
    g_autoptr (JsonObject) params
        = cr_validate_request ("CreateCloudRecording", raw, CR_VALIDATE_JSON, &error);
    g_assert_no_error (error);
    json_object_set_object_member (params, CR_ONCE_MEMBER, cr_once_extension (r, "req-1"));
    g_autoptr (CrTaskSpec) spec = cr_task_spec_new (params, &error);
    g_assert_no_error (error);
    g_assert_cmpint (spec->record_mode, ==, CR_RECORD_SINGLE);
    g_assert_cmpint (spec->stream_type, ==, modes[i].stream_type);
    g_assert_cmpint (spec->output_format, ==, modes[i].output_format);
    g_assert_cmpint (spec->media, ==, CR_MEDIA_MAIN);
    g_assert_cmpint (spec->max_idle_s, ==, 86400);
    g_assert_true (spec->string_room);
    g_assert_cmpstr (spec->room_id, ==, "r-1");
    g_assert_cmpint (spec->storage.vendor, ==, 0);
    g_assert_cmpstr (spec->storage.region, ==, "ap-x");
    g_assert_cmpstr (spec->storage.access_key, ==, "ak");
    g_assert_nonnull (spec->once);
    g_assert_cmpstr (spec->once->format, ==, modes[i].format);
    g_assert_cmpstr (spec->once->path, ==, "p/q");
    g_assert_cmpstr (spec->once->callback, ==, "http://127.0.0.1:9/cb");
    g_assert_cmpstr (spec->once->request_id, ==, "req-1");
    g_assert_cmpint (spec->once->mode, ==, (CrOnceMode)i);
  }
  /* An API task has no extension; a broken one is an error naming it. */
  g_autoptr (GError) error = NULL;
  g_autoptr (CrOnceRequest) r = parse (SEED_BODY, &error);
  g_autoptr (JsonObject) raw = cr_once_request_to_create (r, "ak", "sk");
  g_autoptr (JsonObject) params
      = cr_validate_request ("CreateCloudRecording", raw, CR_VALIDATE_JSON, &error);
  g_assert_no_error (error);
  g_autoptr (CrTaskSpec) plain = cr_task_spec_new (params, &error);
  g_assert_no_error (error);
  g_assert_null (plain->once);
  JsonObject *broken = json_object_new ();
  json_object_set_string_member (broken, "Format", "wav");
  json_object_set_object_member (params, CR_ONCE_MEMBER, broken);
  g_assert_null (cr_task_spec_new (params, &error));
  g_assert_nonnull (strstr (error->message, CR_ONCE_MEMBER));
}

static void
test_keys_urls_result (void)
{
  /* 2024-01-02 03:04:05.678 UTC */
  gint64 t = G_GINT64_CONSTANT (1704164645678);
  g_autofree char *k1 = cr_once_object_key ("trtc", "43474", "alice", t, "mp3");
  g_assert_cmpstr (k1, ==, "trtc/43474/alice_20240102030405678.mp3");
  g_autofree char *k2 = cr_once_object_key ("", "room a", "bob", t, "mp4");
  g_assert_cmpstr (k2, ==, "room a/bob_20240102030405678.mp4");
  g_autofree char *u1 = cr_once_object_url ("http://127.0.0.1:9000/", 0, "ap-x", "b-1", k2);
  g_assert_cmpstr (u1, ==, "http://127.0.0.1:9000/b-1/room%20a/bob_20240102030405678.mp4");
  g_autofree char *u2 = cr_once_object_url (NULL, 0, "ap-shanghai", "test-123", k1);
  g_assert_cmpstr (
      u2, ==,
      "https://test-123.cos.ap-shanghai.myqcloud.com/trtc/43474/alice_20240102030405678.mp3");
  g_autofree char *u3 = cr_once_object_url (NULL, 1, "us-east-1", "b", "k");
  g_assert_cmpstr (u3, ==, "https://b.s3.us-east-1.amazonaws.com/k");

  /* Every id a string; RoomId or StrRoomId empty by the room's type. */
  JsonArray *files = json_array_new ();
  g_autoptr (JsonObject) r1 = cr_once_result (1400000001, "43474", FALSE, "robot", files);
  g_autofree char *t1 = cr_json_object_to_string (r1);
  g_assert_cmpstr (t1, ==,
                   "{\"SdkAppId\":\"1400000001\",\"RoomId\":\"43474\",\"StrRoomId\":\"\","
                   "\"UserId\":\"robot\",\"Files\":[]}");
  g_autoptr (JsonObject) r2 = cr_once_result (7, "s-1", TRUE, "robot", NULL);
  g_assert_cmpstr (cr_json_get_string (r2, "RoomId"), ==, "");
  g_assert_cmpstr (cr_json_get_string (r2, "StrRoomId"), ==, "s-1");
}

/* The outbox's one-call events: 391 goes to its own Url with its Body as is; 390 nowhere. */
static void
test_outbox_events (void)
{
  CrEventRecord e = { .id = 1,
                      .sdk_app_id = 1,
                      .task_id = (char *)"t",
                      .room_id = (char *)"1",
                      .user_id = (char *)"robot",
                      .event_type = CR_EVENT_ONCE_RESULT,
                      .payload_json = (char *)"{\"Url\":\"http://127.0.0.1:9/r\",\"RequestId\":"
                                              "\"q\",\"Body\":{\"SdkAppId\":\"1\",\"Files\":[]}}" };
  g_autofree char *body = cr_callback_body_of (&e);
  g_assert_cmpstr (body, ==, "{\"SdkAppId\":\"1\",\"Files\":[]}");
  g_autofree char *url = cr_callback_url_of (&e, "http://app/cb");
  g_assert_cmpstr (url, ==, "http://127.0.0.1:9/r");
  e.event_type = CR_EVENT_ONCE_FILES;
  g_assert_null (cr_callback_url_of (&e, "http://app/cb"));
  e.event_type = CR_EVENT_RECORDER_START;
  g_autofree char *app = cr_callback_url_of (&e, "http://app/cb");
  g_assert_cmpstr (app, ==, "http://app/cb");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/record_once/seed_example", test_seed_example);
  g_test_add_func ("/record_once/defaults_and_rooms", test_defaults_and_rooms);
  g_test_add_func ("/record_once/refused", test_refused);
  g_test_add_func ("/record_once/huge_body", test_huge_body);
  g_test_add_func ("/record_once/mutations", test_mutations);
  g_test_add_func ("/record_once/create_per_mode", test_create_per_mode);
  g_test_add_func ("/record_once/keys_urls_result", test_keys_urls_result);
  g_test_add_func ("/record_once/outbox_events", test_outbox_events);
  return g_test_run ();
}
