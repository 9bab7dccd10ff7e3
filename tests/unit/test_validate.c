/* The validator, one case per rule: each case mutates a valid base request at one path and names
 * the TRTC code and a message fragment it must produce. Then defaults, form mode, unflattening
 * and hostile input. */
#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "validate/validate.h"

static const char *base_create = "{\"SdkAppId\":1400000001,\"RoomId\":\"8888\",\"UserId\":"
                                 "\"recorder_8888\",\"UserSig\":\"sig\","
                                 "\"RecordParams\":{\"RecordMode\":1},"
                                 "\"StorageParams\":{\"CloudStorage\":{\"Vendor\":0,\"Region\":"
                                 "\"ap-guangzhou\",\"Bucket\":\"b-125\","
                                 "\"AccessKey\":\"ak\",\"SecretKey\":\"sk\"}}}";
static const char *base_mixed
    = "{\"SdkAppId\":1400000001,\"RoomId\":\"8888\",\"UserId\":\"r\",\"UserSig\":\"sig\","
      "\"RecordParams\":{\"RecordMode\":2},"
      "\"StorageParams\":{\"CloudStorage\":{\"Vendor\":1,\"Region\":\"us-east-1\",\"Bucket\":\"b\","
      "\"AccessKey\":\"ak\",\"SecretKey\":\"sk\"}},"
      "\"MixTranscodeParams\":{\"VideoParams\":{\"Width\":640,\"Height\":360,\"Fps\":15,"
      "\"BitRate\":550000,\"Gop\":10}}}";
static const char *base_task = "{\"SdkAppId\":1400000001,\"TaskId\":\"task-1\"}";

typedef struct {
  const char *name;
  const char *action; /* NULL = CreateCloudRecording */
  const char *base;   /* NULL = base_create / base_task by action */
  const char *path;   /* dotted path to set; NULL = no change */
  const char *value;  /* JSON text; NULL = remove the member */
  const char *code;   /* NULL = must succeed */
  const char *message;
} Case;

static JsonNode *
parse_node (const char *text)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, text, -1, NULL));
  return json_node_copy (json_parser_get_root (p));
}

static void
set_path (JsonObject *root, const char *path, const char *value)
{
  g_auto (GStrv) segs = g_strsplit (path, ".", 0);
  JsonObject *o = root;
  guint n = g_strv_length (segs);
  for (guint i = 0; i + 1 < n; i++) {
    if (!json_object_has_member (o, segs[i]))
      json_object_set_object_member (o, segs[i], json_object_new ());
    o = json_object_get_object_member (o, segs[i]);
  }
  if (value == NULL)
    json_object_remove_member (o, segs[n - 1]);
  else
    json_object_set_member (o, segs[n - 1], parse_node (value));
}

static JsonObject *
run_case (const Case *c, GError **error)
{
  const char *action = c->action != NULL ? c->action : "CreateCloudRecording";
  const char *base = c->base != NULL                                ? c->base
                     : strcmp (action, "CreateCloudRecording") == 0 ? base_create
                                                                    : base_task;
  g_autoptr (JsonNode) root = parse_node (base);
  JsonObject *req = json_node_get_object (root);
  if (c->path != NULL)
    set_path (req, c->path, c->value);
  return cr_validate_request (action, req, CR_VALIDATE_JSON, error);
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) out = run_case (c, &error);
  if (c->code == NULL) {
    g_assert_no_error (error);
    g_assert_nonnull (out);
    return;
  }
  g_assert_null (out);
  g_assert_nonnull (error);
  if (g_strcmp0 (cr_api_error_code (error), c->code) != 0
      || strstr (error->message, c->message) == NULL)
    g_error ("%s: got %s \"%s\", want %s containing \"%s\"", c->name, cr_api_error_code (error),
             error->message, c->code, c->message);
}

#define MISSING(field) "MissingParameter." field
#define RANGE "InvalidParameter.OutOfRange"
#define LAYOUT "MixLayoutParams.MixLayoutList"
#define TILE "[{\"Top\":0,\"Left\":0,\"Width\":320,\"Height\":180}]"

#define RM_INT "{\"SdkAppId\":1400000001,\"RoomId\":8888,\"UserIds\":[\"alice\",\"bob\"]}"
#define RM_STR "{\"SdkAppId\":1400000001,\"RoomId\":\"lobby 1\",\"UserIds\":[\"alice\"]}"
#define DI_INT "{\"SdkAppId\":1400000001,\"RoomId\":8888}"
#define DI_STR "{\"SdkAppId\":1400000001,\"RoomId\":\"lobby 1\"}"

static Case cases[] = {
  /* valid bases */
  { "valid/create", NULL, NULL, NULL, NULL, NULL, NULL },
  { "valid/mixed", NULL, "M", NULL, NULL, NULL, NULL },
  { "valid/describe", "DescribeCloudRecording", NULL, NULL, NULL, NULL, NULL },
  { "valid/string-room", NULL, NULL, "RoomIdType", "0", NULL, NULL },
  { "valid/string-room-chars", NULL, NULL, "RoomId", "\"a b!#$%&()+-:;<=.>?@[]^_{}|~,\"",
    "InvalidParameter.RoomId", "RoomIdType is 1" },
  /* required members */
  { "missing/sdkappid", NULL, NULL, "SdkAppId", NULL, MISSING ("SdkAppId"),
    "SdkAppId is required" },
  { "missing/roomid", NULL, NULL, "RoomId", NULL, MISSING ("RoomId"), "RoomId is required" },
  { "missing/userid", NULL, NULL, "UserId", NULL, MISSING ("UserId"), "UserId is required" },
  { "missing/usersig", NULL, NULL, "UserSig", NULL, MISSING ("UserSig"), "UserSig is required" },
  { "missing/recordparams", NULL, NULL, "RecordParams", NULL, MISSING ("RecordParams"),
    "RecordParams is required" },
  { "missing/recordmode", NULL, NULL, "RecordParams.RecordMode", NULL, MISSING ("RecordMode"),
    "RecordParams.RecordMode is required" },
  { "missing/storageparams", NULL, NULL, "StorageParams", NULL, MISSING ("StorageParams"),
    "StorageParams is required" },
  { "missing/storage-both-absent", NULL, NULL, "StorageParams.CloudStorage", NULL,
    MISSING ("CloudStorage"), "CloudStorage (COS or AWS S3) or CloudVod" },
  { "missing/vendor", NULL, NULL, "StorageParams.CloudStorage.Vendor", NULL, MISSING ("Vendor"),
    "StorageParams.CloudStorage.Vendor is required" },
  { "missing/region", NULL, NULL, "StorageParams.CloudStorage.Region", NULL, MISSING ("Region"),
    "Region is required" },
  { "missing/bucket", NULL, NULL, "StorageParams.CloudStorage.Bucket", NULL, MISSING ("Bucket"),
    "Bucket is required" },
  { "missing/accesskey", NULL, NULL, "StorageParams.CloudStorage.AccessKey", NULL,
    MISSING ("AccessKey"), "AccessKey is required" },
  { "missing/secretkey", NULL, NULL, "StorageParams.CloudStorage.SecretKey", NULL,
    MISSING ("SecretKey"), "SecretKey is required" },
  { "missing/taskid", "DescribeCloudRecording", NULL, "TaskId", NULL, MISSING ("TaskId"),
    "TaskId is required" },
  { "missing/delete-sdkappid", "DeleteCloudRecording", NULL, "SdkAppId", NULL, MISSING ("SdkAppId"),
    "SdkAppId is required" },
  { "missing/tencentvod", NULL, NULL, "StorageParams", "{\"CloudVod\":{}}", "MissingParameter",
    "StorageParams.CloudVod.TencentVod is required" },
  { "missing/video-member", NULL, "M", "MixTranscodeParams.VideoParams.Gop", NULL,
    "MissingParameter", "MixTranscodeParams.VideoParams.Gop is required" },
  { "missing/audio-member", NULL, "M", "MixTranscodeParams.AudioParams",
    "{\"SampleRate\":1,\"Channel\":2}", "MissingParameter", "AudioParams.BitRate is required" },
  { "missing/layout-mode", NULL, "M", "MixLayoutParams", "{}", "MissingParameter",
    "MixLayoutParams.MixLayoutMode is required" },
  { "missing/custom-list", NULL, "M", "MixLayoutParams", "{\"MixLayoutMode\":4}",
    "MissingParameter", "MixLayoutList is required" },
  { "missing/tile-width", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":4,\"MixLayoutList\":[{\"Top\":0,\"Left\":0,\"Height\":1}]}",
    "MissingParameter", "MixLayoutList[0].Width is required" },
  { "missing/watermark-char", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":3,\"WaterMarkList\":[{\"WaterMarkType\":1}]}", "MissingParameter",
    "WaterMarkList[0].WaterMarkChar is required" },
  { "missing/watermark-image", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":3,\"WaterMarkList\":[{}]}", "MissingParameter",
    "WaterMarkImage is required when WaterMarkType is 0" },
  { "missing/watermark-ts-pos", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":3,\"WaterMarkList\":[{\"WaterMarkType\":2,\"WaterMarkTimestamp\":{}}]}",
    "MissingParameter", "WaterMarkTimestamp.Pos is required" },
  /* field-specific codes */
  { "sdkappid/zero", NULL, NULL, "SdkAppId", "0", "InvalidParameter.SdkAppId", "[1, 4294967295]" },
  { "sdkappid/too-big", NULL, NULL, "SdkAppId", "4294967296", "InvalidParameter.SdkAppId",
    "got 4294967296" },
  { "sdkappid/string", NULL, NULL, "SdkAppId", "\"1400000001\"", "InvalidParameter.SdkAppId",
    "must be an integer, got a string" },
  { "sdkappid/float", NULL, NULL, "SdkAppId", "1400000001.5", "InvalidParameter.SdkAppId",
    "fractional" },
  { "sdkappid/huge", NULL, NULL, "SdkAppId", "99999999999999999999", "InvalidParameter.SdkAppId",
    "must be an integer" },
  { "roomid/not-integer", NULL, NULL, "RoomId", "\"abc\"", "InvalidParameter.RoomId",
    "RoomIdType is 1" },
  { "roomid/zero", NULL, NULL, "RoomId", "\"0\"", "InvalidParameter.RoomId", "[1, 4294967294]" },
  { "roomid/leading-zero", NULL, NULL, "RoomId", "\"08888\"", "InvalidParameter.RoomId",
    "decimal" },
  { "roomid/too-big", NULL, NULL, "RoomId", "\"4294967295\"", "InvalidParameter.RoomId",
    "4294967294" },
  { "roomid/signed", NULL, NULL, "RoomId", "\"+5\"", "InvalidParameter.RoomId", "decimal" },
  { "roomid/number", NULL, NULL, "RoomId", "8888", "InvalidParameter.RoomId", "must be a string" },
  { "roomid/too-long", NULL, NULL, "RoomId",
    "\"11111111111111111111111111111111111111111111111111111111111111111\"",
    "InvalidParameter.RoomId", "1 to 64 bytes" },
  { "roomidtype/enum", NULL, NULL, "RoomIdType", "2", "InvalidParameter.RoomId", "one of 0, 1" },
  { "userid/chars", NULL, NULL, "UserId", "\"rec/../x\"", "InvalidParameter.UserId",
    "letters, digits" },
  { "userid/too-long", NULL, NULL, "UserId", "\"123456789012345678901234567890123\"",
    "InvalidParameter.UserId", "1 to 32 bytes" },
  { "userid/empty", NULL, NULL, "UserId", "\"\"", "InvalidParameter.UserId", "1 to 32 bytes" },
  { "taskid/chars", "DescribeCloudRecording", NULL, "TaskId", "\"a/b\"", "InvalidParameter.TaskId",
    "TaskId must be a TaskId" },
  { "taskid/long", "DeleteCloudRecording", NULL, "TaskId",
    "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
    "InvalidParameter.TaskId", "1 to 128 bytes" },
  /* ranges and enums */
  { "maxidle/low", NULL, NULL, "RecordParams.MaxIdleTime", "4", RANGE,
    "RecordParams.MaxIdleTime must be an integer in [5, 86400], got 4" },
  { "maxidle/low-edge", NULL, NULL, "RecordParams.MaxIdleTime", "5", NULL, NULL },
  { "maxidle/high", NULL, NULL, "RecordParams.MaxIdleTime", "86401", RANGE, "got 86401" },
  { "maxidle/negative", NULL, NULL, "RecordParams.MaxIdleTime", "-1", RANGE, "got -1" },
  { "recordmode/enum", NULL, NULL, "RecordParams.RecordMode", "3", RANGE, "one of 1, 2" },
  { "streamtype/enum", NULL, NULL, "RecordParams.StreamType", "3", RANGE,
    "StreamType must be one of 0, 1, 2" },
  { "outputformat/enum", NULL, NULL, "RecordParams.OutputFormat", "5", RANGE,
    "OutputFormat must be one of 0, 1, 2, 3, 4" },
  { "outputformat/aac-needs-audio", NULL, NULL, "RecordParams.OutputFormat", "4",
    "InvalidParameter", "audio-only" },
  { "avmerge/enum", NULL, NULL, "RecordParams.AvMerge", "2", RANGE, "AvMerge" },
  { "maxmediafileduration/high", NULL, NULL, "RecordParams.MaxMediaFileDuration", "1441", RANGE,
    "[1, 1440]" },
  { "mediaid/enum", NULL, NULL, "RecordParams.MediaId", "3", RANGE, "MediaId" },
  { "filltype/enum", NULL, NULL, "RecordParams.FillType", "2", RANGE, "FillType" },
  { "subscribeability/enum", NULL, NULL, "RecordParams.SubscribeAbility", "2", RANGE,
    "SubscribeAbility" },
  { "expiredhour/low", NULL, NULL, "ResourceExpiredHour", "5", RANGE, "[6, 720]" },
  { "expiredhour/high", NULL, NULL, "ResourceExpiredHour", "721", RANGE, "[6, 720]" },
  { "vendor/enum", NULL, NULL, "StorageParams.CloudStorage.Vendor", "2", RANGE,
    "Vendor must be one of 0, 1" },
  { "prefix/chars", NULL, NULL, "StorageParams.CloudStorage.FileNamePrefix", "[\"a\",\"../b\"]",
    RANGE, "FileNamePrefix[1] must be made of letters" },
  { "prefix/count", NULL, NULL, "StorageParams.CloudStorage.FileNamePrefix",
    "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\","
    "\"p\",\"q\"]",
    RANGE, "0 to 16 entries" },
  { "prefix/type", NULL, NULL, "StorageParams.CloudStorage.FileNamePrefix", "[1]",
    "InvalidParameter", "FileNamePrefix[0] must be a string" },
  { "storage/both", NULL, NULL, "StorageParams.CloudVod", "{\"TencentVod\":{}}", "InvalidParameter",
    "not both" },
  { "vod/aac-needs-audio", NULL, NULL, "StorageParams",
    "{\"CloudVod\":{\"TencentVod\":{\"MediaType\":2}}}", "InvalidParameter", "audio-only" },
  { "vod/recordid-chars", NULL, NULL, "StorageParams",
    "{\"CloudVod\":{\"TencentVod\":{\"UserDefineRecordId\":\"a b\"}}}", RANGE,
    "UserDefineRecordId" },
  /* subscription lists */
  { "subscribe/allow-and-block", NULL, NULL, "RecordParams.SubscribeStreamUserIds",
    "{\"SubscribeAudioUserIds\":[\"a\"],\"UnSubscribeAudioUserIds\":[\"b\"]}", "InvalidParameter",
    "cannot both be set" },
  { "subscribe/audio-allow-video-block", NULL, NULL, "RecordParams.SubscribeStreamUserIds",
    "{\"SubscribeAudioUserIds\":[\"a\"],\"UnSubscribeVideoUserIds\":[\"b\"]}", NULL, NULL },
  { "subscribe/prefix-pattern", NULL, NULL, "RecordParams.SubscribeStreamUserIds",
    "{\"SubscribeVideoUserIds\":[\"1.*$\",\"alice\"]}", NULL, NULL },
  { "subscribe/bad-pattern", NULL, NULL, "RecordParams.SubscribeStreamUserIds",
    "{\"SubscribeVideoUserIds\":[\"a*\"]}", RANGE, "SubscribeVideoUserIds[0] must be a UserId" },
  { "subscribe/duplicate", NULL, NULL, "RecordParams.SubscribeStreamUserIds",
    "{\"SubscribeVideoUserIds\":[\"a\",\"a\"]}", "InvalidParameter", "repeats \"a\"" },
  { "subscribe/too-many", NULL, NULL, "RecordParams.SubscribeStreamUserIds",
    "{\"UnSubscribeVideoUserIds\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\","
    "\"11\",\"12\",\"13\",\"14\",\"15\",\"16\",\"17\",\"18\",\"19\",\"20\",\"21\",\"22\",\"23\","
    "\"24\",\"25\",\"26\",\"27\",\"28\",\"29\",\"30\",\"31\",\"32\",\"33\"]}",
    RANGE, "0 to 32 entries" },
  { "subscribe/not-list", NULL, NULL, "RecordParams.SubscribeStreamUserIds",
    "{\"SubscribeVideoUserIds\":\"a\"}", "InvalidParameter", "must be an array of strings" },
  /* transcode */
  { "video/width-high", NULL, "M", "MixTranscodeParams.VideoParams.Width", "1921", RANGE,
    "Width must be an integer in [1, 1920]" },
  { "video/area", NULL, "M", "MixTranscodeParams.VideoParams",
    "{\"Width\":1920,\"Height\":1920,\"Fps\":15,\"BitRate\":550000,\"Gop\":10}", RANGE,
    "at most 1920x1080" },
  { "video/fps", NULL, "M", "MixTranscodeParams.VideoParams.Fps", "61", RANGE, "Fps" },
  { "video/bitrate-low", NULL, "M", "MixTranscodeParams.VideoParams.BitRate", "63999", RANGE,
    "[64000, 8192000]" },
  { "video/gop", NULL, "M", "MixTranscodeParams.VideoParams.Gop", "0", RANGE, "Gop" },
  { "audio/samplerate", NULL, "M", "MixTranscodeParams.AudioParams",
    "{\"SampleRate\":4,\"Channel\":1,\"BitRate\":64000}", RANGE,
    "SampleRate must be one of 1, 2, 3" },
  { "audio/channel", NULL, "M", "MixTranscodeParams.AudioParams",
    "{\"SampleRate\":1,\"Channel\":3,\"BitRate\":64000}", RANGE, "Channel" },
  { "audio/bitrate", NULL, "M", "MixTranscodeParams.AudioParams",
    "{\"SampleRate\":1,\"Channel\":1,\"BitRate\":128001}", RANGE, "[32000, 128000]" },
  /* layout */
  { "layout/mode", NULL, "M", "MixLayoutParams", "{\"MixLayoutMode\":5}", RANGE,
    "MixLayoutMode must be one of 1, 2, 3, 4" },
  { "layout/colour", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":3,\"BackGroundColor\":\"red\"}", RANGE, "#RRGGBB" },
  { "layout/colour-hex", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":3,\"BackGroundColor\":\"#FFA50G\"}", RANGE, "#RRGGBB" },
  { "layout/bg-url-scheme", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":3,\"BackgroundImageUrl\":\"ftp://x/a.png\"}", RANGE,
    "http:// or https://" },
  { "layout/bg-url-suffix", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":3,\"BackgroundImageUrl\":\"http://x/a.gif\"}", RANGE,
    ".jpg, .jpeg or .png" },
  { "layout/bg-url-chars", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":3,\"BackgroundImageUrl\":\"http://x/a b.png\"}", RANGE,
    "only the characters" },
  { "layout/bg-url-query", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":3,\"BackgroundImageUrl\":\"https://x/a.PNG?v=1\"}", NULL, NULL },
  { "layout/rendermode", NULL, "M", "MixLayoutParams", "{\"MixLayoutMode\":3,\"RenderMode\":4}",
    RANGE, "RenderMode" },
  { "layout/align", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":2,\"MaxResolutionUserAlign\":2}", RANGE, "MaxResolutionUserAlign" },
  { "layout/placeholder", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":3,\"PlaceHolderMode\":2}", RANGE, "PlaceHolderMode" },
  { "layout/pure-audio-type", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":3,\"PureAudioDisableLayout\":1}", "InvalidParameter", "must be a boolean" },
  { "layout/max-user", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":1,\"MaxResolutionUserId\":\"a b\"}", RANGE, "MaxResolutionUserId" },
  { "tile/alpha", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":4,\"MixLayoutList\":[{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1,"
    "\"Alpha\":256}]}",
    RANGE, "MixLayoutList[0].Alpha" },
  { "tile/outside-canvas", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":4,\"MixLayoutList\":[{\"Top\":0,\"Left\":600,\"Width\":41,\"Height\":10}]}",
    RANGE, "inside the 640x360 canvas" },
  { "tile/edge-of-canvas", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":4,\"MixLayoutList\":[{\"Top\":350,\"Left\":600,\"Width\":40,\"Height\":10}]"
    "}",
    NULL, NULL },
  { "tile/too-many", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":4,\"MixLayoutList\":["
    "{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":"
    "1},{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":1,"
    "\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1},"
    "{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":"
    "1},{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":1,"
    "\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1},"
    "{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":"
    "1},{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":1,"
    "\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1},"
    "{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":"
    "1},{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":1,"
    "\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1},"
    "{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":"
    "1},{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":1,"
    "\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1},{\"Top\":0,\"Left\":0,\"Width\":"
    "1,\"Height\":1}]}",
    RANGE, "0 to 25 entries" },
  { "tile/not-object", NULL, "M", "MixLayoutParams", "{\"MixLayoutMode\":4,\"MixLayoutList\":[1]}",
    "InvalidParameter", "MixLayoutList[0] must be an object" },
  { "watermark/wrong-object", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":3,\"WaterMarkList\":[{\"WaterMarkType\":2,\"WaterMarkTimestamp\":{\"Pos\":"
    "1},\"WaterMarkChar\":{\"Top\":0,\"Left\":0,\"Width\":1,\"Height\":1,\"Chars\":\"x\"}}]}",
    "InvalidParameter", "does not go with WaterMarkType 2" },
  { "watermark/pos", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":3,\"WaterMarkList\":[{\"WaterMarkType\":2,\"WaterMarkTimestamp\":{\"Pos\":"
    "7}}]}",
    RANGE, "Pos must be one of 0, 1, 2, 3, 4, 5, 6" },
  { "watermark/font", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":3,\"WaterMarkList\":[{\"WaterMarkType\":1,\"WaterMarkChar\":{\"Top\":0,"
    "\"Left\":0,\"Width\":1,\"Height\":1,\"Chars\":\"x\",\"Font\":\"Arial\"}}]}",
    RANGE, "\"Tencent\" or \"SourceHanSans\"" },
  { "watermark/outside", NULL, "M", "MixLayoutParams",
    "{\"MixLayoutMode\":3,\"WaterMarkList\":[{\"WaterMarkImage\":{\"WaterMarkUrl\":\"http://x/"
    "w.png\",\"Top\":300,\"Left\":0,\"Width\":10,\"Height\":61}}]}",
    RANGE, "WaterMarkList[0]" },
  /* unknown members */
  { "unknown/top", NULL, NULL, "Foo", "1", "UnknownParameter",
    "Foo is not a parameter of CreateCloudRecording" },
  { "unknown/nested", NULL, NULL, "RecordParams.Foo", "1", "UnknownParameter",
    "RecordParams.Foo is not a parameter" },
  { "unknown/describe", "DescribeCloudRecording", NULL, "RoomId", "\"1\"", "UnknownParameter",
    "RoomId is not a parameter of DescribeCloudRecording" },
  /* types */
  { "type/object-as-string", NULL, NULL, "RecordParams", "\"x\"", "InvalidParameter",
    "RecordParams must be an object, got a string" },
  { "type/int-as-bool", NULL, NULL, "RecordParams.RecordMode", "true", "InvalidParameter",
    "got a boolean" },
  { "type/nested-array", NULL, NULL, "PrivateMapKey", "[[\"x\"]]", "InvalidParameter",
    "PrivateMapKey must be a string, got an array" },
  { "type/null-required", NULL, NULL, "UserSig", "null", MISSING ("UserSig"),
    "UserSig is required" },
  /* modify */
  { "modify/layout", "ModifyCloudRecording", NULL, "MixLayoutParams", "{\"MixLayoutMode\":1}", NULL,
    NULL },
  { "modify/bad-subscribe", "ModifyCloudRecording", NULL, "SubscribeStreamUserIds",
    "{\"SubscribeVideoUserIds\":[\"a\"],\"UnSubscribeVideoUserIds\":[\"b\"]}", "InvalidParameter",
    "cannot both be set" },
  { "modify/transcode", "ModifyCloudRecording", NULL, "MixTranscodeParams",
    "{\"AudioParams\":{\"SampleRate\":1,\"Channel\":1,\"BitRate\":1}}", RANGE, "BitRate" },
  /* room administration (RemoveUser, DismissRoom and their string-room twins) */
  { "room/remove-valid", "RemoveUser", RM_INT, NULL, NULL, NULL, NULL },
  { "room/remove-str-valid", "RemoveUserByStrRoomId", RM_STR, NULL, NULL, NULL, NULL },
  { "room/dismiss-valid", "DismissRoom", DI_INT, NULL, NULL, NULL, NULL },
  { "room/dismiss-str-valid", "DismissRoomByStrRoomId", DI_STR, NULL, NULL, NULL, NULL },
  { "room/remove-missing-userids", "RemoveUser", RM_INT, "UserIds", NULL, "MissingParameter",
    "UserIds is required" },
  { "room/remove-empty-userids", "RemoveUser", RM_INT, "UserIds", "[]", "InvalidParameter.UserId",
    "UserIds must have 1 to 10 entries, got 0" },
  { "room/remove-11-userids", "RemoveUser", RM_INT, "UserIds",
    "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\"]",
    "InvalidParameter.UserId", "UserIds must have 1 to 10 entries, got 11" },
  { "room/remove-bad-userid", "RemoveUser", RM_INT, "UserIds", "[\"a b\"]",
    "InvalidParameter.UserId", "UserIds[0] must be made of letters" },
  { "room/remove-room-string-for-int", "RemoveUser", RM_INT, "RoomId", "\"8888\"",
    "InvalidParameter.RoomId", "RoomId must be" },
  { "room/remove-room-zero", "RemoveUser", RM_INT, "RoomId", "0", "InvalidParameter.RoomId",
    "RoomId must be an integer in [1, 4294967294], got 0" },
  { "room/remove-room-too-big", "RemoveUser", RM_INT, "RoomId", "4294967295",
    "InvalidParameter.RoomId", "got 4294967295" },
  { "room/remove-str-room-number", "RemoveUserByStrRoomId", RM_STR, "RoomId", "8888",
    "InvalidParameter.RoomId", "RoomId must be" },
  { "room/remove-str-room-chars", "RemoveUserByStrRoomId", RM_STR, "RoomId", "\"a/b\"",
    "InvalidParameter.RoomId", "string RoomId" },
  { "room/dismiss-str-room-long", "DismissRoomByStrRoomId", DI_STR, "RoomId",
    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
    "InvalidParameter.RoomId", "1 to 64 bytes long, got 65" },
  { "room/dismiss-missing-room", "DismissRoom", DI_INT, "RoomId", NULL, MISSING ("RoomId"),
    "RoomId is required" },
  { "room/dismiss-unknown-member", "DismissRoom", DI_INT, "UserIds", "[\"a\"]",
    "UnknownParameter", "UserIds" },
};

static void
test_defaults (void)
{
  Case c = { "defaults", NULL, NULL, NULL, NULL, NULL, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) out = run_case (&c, &error);
  g_assert_no_error (error);
  g_autofree char *text = cr_json_object_to_string (out);
  g_assert_cmpstr (
      text, ==,
      "{\"SdkAppId\":1400000001,\"RoomId\":\"8888\",\"UserId\":\"recorder_8888\",\"UserSig\":"
      "\"sig\","
      "\"RecordParams\":{\"RecordMode\":1,\"MaxIdleTime\":30,\"StreamType\":0,\"OutputFormat\":0,"
      "\"AvMerge\":0,\"MaxMediaFileDuration\":1440,\"MediaId\":0,\"FillType\":0,"
      "\"SubscribeAbility\":0},"
      "\"StorageParams\":{\"CloudStorage\":{\"Vendor\":0,\"Region\":\"ap-guangzhou\",\"Bucket\":"
      "\"b-125\","
      "\"AccessKey\":\"ak\",\"SecretKey\":\"sk\"}},\"RoomIdType\":1,\"ResourceExpiredHour\":72}");
}

static void
test_mixed_defaults (void)
{
  g_autoptr (JsonNode) root = parse_node (base_mixed);
  JsonObject *req = json_node_get_object (root);
  json_object_remove_member (req, "MixTranscodeParams");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) out
      = cr_validate_request ("CreateCloudRecording", req, CR_VALIDATE_JSON, &error);
  g_assert_no_error (error);
  JsonObject *t = json_object_get_object_member (out, "MixTranscodeParams");
  g_autofree char *tt = cr_json_object_to_string (t);
  g_assert_cmpstr (
      tt, ==,
      "{\"VideoParams\":{\"Width\":360,\"Height\":640,\"Fps\":15,\"BitRate\":550000,\"Gop\":10},"
      "\"AudioParams\":{\"SampleRate\":1,\"Channel\":2,\"BitRate\":64000}}");
  g_autofree char *lt
      = cr_json_object_to_string (json_object_get_object_member (out, "MixLayoutParams"));
  g_assert_cmpstr (
      lt, ==,
      "{\"MixLayoutMode\":3,\"BackGroundColor\":\"#000000\",\"MediaId\":0,\"PlaceHolderMode\":0,"
      "\"BackgroundImageRenderMode\":1,\"RenderMode\":1,\"MaxResolutionUserAlign\":0,"
      "\"PureAudioDisableLayout\":false}");
  /* Normalising twice changes nothing. */
  g_autoptr (JsonObject) again
      = cr_validate_request ("CreateCloudRecording", out, CR_VALIDATE_JSON, &error);
  g_assert_no_error (error);
  g_autoptr (JsonNode) na = json_node_init_object (json_node_alloc (), out);
  g_autoptr (JsonNode) nb = json_node_init_object (json_node_alloc (), again);
  g_assert_true (json_node_equal (na, nb)); /* member order may differ, content may not */
}

static JsonObject *
unflatten (const char *const *kv, GError **error)
{
  g_autoptr (GHashTable) pairs = g_hash_table_new (g_str_hash, g_str_equal);
  for (int i = 0; kv[i]; i += 2)
    g_hash_table_insert (pairs, (gpointer)kv[i], (gpointer)kv[i + 1]);
  return cr_validate_unflatten_query (pairs, error);
}

static void
test_form_mode (void)
{
  const char *kv[] = { "SdkAppId",
                       "1400000001",
                       "RoomId",
                       "8888",
                       "UserId",
                       "r",
                       "UserSig",
                       "s",
                       "RecordParams.RecordMode",
                       "2",
                       "RecordParams.MaxIdleTime",
                       "60",
                       "StorageParams.CloudStorage.Vendor",
                       "0",
                       "StorageParams.CloudStorage.Region",
                       "ap-guangzhou",
                       "StorageParams.CloudStorage.Bucket",
                       "b",
                       "StorageParams.CloudStorage.AccessKey",
                       "a",
                       "StorageParams.CloudStorage.SecretKey",
                       "s",
                       "StorageParams.CloudStorage.FileNamePrefix.0",
                       "x",
                       "StorageParams.CloudStorage.FileNamePrefix.1",
                       "y",
                       "MixLayoutParams.MixLayoutMode",
                       "4",
                       "MixLayoutParams.MixLayoutList.0.Top",
                       "0",
                       "MixLayoutParams.MixLayoutList.0.Left",
                       "0",
                       "MixLayoutParams.MixLayoutList.0.Width",
                       "100",
                       "MixLayoutParams.MixLayoutList.0.Height",
                       "100",
                       "MixLayoutParams.PureAudioDisableLayout",
                       "true",
                       NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) raw = unflatten (kv, &error);
  g_assert_no_error (error);
  g_autoptr (JsonObject) out
      = cr_validate_request ("CreateCloudRecording", raw, CR_VALIDATE_FORM, &error);
  g_assert_no_error (error);
  JsonObject *rp = json_object_get_object_member (out, "RecordParams");
  g_assert_cmpint (json_object_get_int_member (rp, "MaxIdleTime"), ==, 60);
  JsonArray *prefix = json_object_get_array_member (
      json_object_get_object_member (json_object_get_object_member (out, "StorageParams"),
                                     "CloudStorage"),
      "FileNamePrefix");
  g_assert_cmpstr (json_array_get_string_element (prefix, 1), ==, "y");
  g_assert_true (json_object_get_boolean_member (
      json_object_get_object_member (out, "MixLayoutParams"), "PureAudioDisableLayout"));
  /* In JSON mode the same strings are type errors. */
  g_autoptr (JsonObject) strict
      = cr_validate_request ("CreateCloudRecording", raw, CR_VALIDATE_JSON, &error);
  g_assert_null (strict);
  g_assert_true (cr_api_error_is (error, "InvalidParameter.SdkAppId"));
  const char *bad[] = { "1.5", "abc", "99999999999999999999", "+3", " 3", "", NULL };
  for (int i = 0; bad[i]; i++) {
    const char *kv2[] = { "SdkAppId", bad[i], "TaskId", "t", NULL };
    g_autoptr (GError) e = NULL;
    g_autoptr (JsonObject) r2 = unflatten (kv2, &e);
    g_assert_no_error (e);
    g_autoptr (JsonObject) o2
        = cr_validate_request ("DescribeCloudRecording", r2, CR_VALIDATE_FORM, &e);
    g_assert_null (o2);
    g_assert_true (cr_api_error_is (e, "InvalidParameter.SdkAppId"));
  }
}

static void
test_unflatten_errors (void)
{
  const char *conflict[] = { "A", "1", "A.B", "2", NULL };
  const char *gap[] = { "L.0", "a", "L.2", "b", NULL };
  const char *mixed[] = { "L.0", "a", "L.x", "b", NULL };
  const char *empty_seg[] = { "A..B", "1", NULL };
  const char *top_index[] = { "0", "1", NULL };
  const char *const *all[] = { conflict, gap, mixed, empty_seg, top_index };
  for (guint i = 0; i < G_N_ELEMENTS (all); i++) {
    g_autoptr (GError) e = NULL;
    g_autoptr (JsonObject) o = unflatten (all[i], &e);
    g_assert_null (o);
    g_assert_true (cr_api_error_is (e, "InvalidParameter.UrlParamsError"));
  }
  const char *none[] = { NULL };
  g_autoptr (GError) e = NULL;
  g_autoptr (JsonObject) o = unflatten (none, &e);
  g_assert_no_error (e);
  g_assert_cmpuint (json_object_get_size (o), ==, 0);
}

static void
test_hostile (void)
{
  /* A 10,000-entry list and a 1 MB string: clear errors, no crash. */
  g_autoptr (GString) big = g_string_new (
      "{\"SdkAppId\":1,\"TaskId\":\"t\",\"SubscribeStreamUserIds\":{\"SubscribeVideoUserIds\":[");
  for (int i = 0; i < 10000; i++)
    g_string_append_printf (big, "%s\"u%d\"", i ? "," : "", i);
  g_string_append (big, "]}}");
  g_autoptr (GError) e = NULL;
  g_autoptr (JsonObject) req = cr_json_parse_object (big->str, big->len, &e);
  g_assert_no_error (e);
  g_autoptr (JsonObject) out
      = cr_validate_request ("ModifyCloudRecording", req, CR_VALIDATE_JSON, &e);
  g_assert_null (out);
  g_assert_true (cr_api_error_is (e, "InvalidParameter.OutOfRange"));
  g_clear_error (&e);
  g_autofree char *huge = g_strnfill (1 << 20, 'x');
  g_autofree char *body = g_strdup_printf ("{\"SdkAppId\":1,\"TaskId\":\"%s\"}", huge);
  g_autoptr (JsonObject) req2 = cr_json_parse_object (body, strlen (body), &e);
  g_autoptr (JsonObject) out2
      = cr_validate_request ("DeleteCloudRecording", req2, CR_VALIDATE_JSON, &e);
  g_assert_null (out2);
  g_assert_true (cr_api_error_is (e, "InvalidParameter.TaskId"));
  g_clear_error (&e);
  g_assert_null (cr_validate_request ("NoSuchAction", req2, CR_VALIDATE_JSON, &e));
  g_assert_true (cr_api_error_is (e, "InvalidAction"));
}

static void
test_json_parser_guards (void)
{
  struct {
    const char *body;
    gsize len;
    const char *msg;
  } bad[] = {
    { "", 0, "empty" },
    { "[1]", 3, "must be a JSON object" },
    { "{\"a\":1", 6, "not valid JSON" },
    { "{\"a\":\"\xff\"}", 8, "not valid UTF-8" },
    { "{\"a\":\"x\0y\"}", 11, "NUL byte at offset 7" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) e = NULL;
    g_assert_null (cr_json_parse_object (bad[i].body, bad[i].len, &e));
    g_assert_true (cr_api_error_is (e, "InvalidParameter.BodyParamsError"));
    g_assert_nonnull (strstr (e->message, bad[i].msg));
  }
  g_autofree char *deep = g_strnfill (10000, '[');
  g_autoptr (GError) e = NULL;
  g_assert_null (cr_json_parse_object (deep, 10000, &e));
  g_assert_nonnull (strstr (e->message, "deeper than 32"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    Case *c = (Case *)&cases[i];
    if (c->base != NULL && strcmp (c->base, "M") == 0)
      c->base = base_mixed;
    g_autofree char *name = g_strdup_printf ("/validate/rule/%s", c->name);
    g_test_add_data_func (name, c, test_case);
  }
  g_test_add_func ("/validate/defaults", test_defaults);
  g_test_add_func ("/validate/mixed-defaults", test_mixed_defaults);
  g_test_add_func ("/validate/form-mode", test_form_mode);
  g_test_add_func ("/validate/unflatten-errors", test_unflatten_errors);
  g_test_add_func ("/validate/hostile", test_hostile);
  g_test_add_func ("/validate/json-parser-guards", test_json_parser_guards);
  return g_test_run ();
}
