/* The auto-recording template (src/auto/auto_template.c): the config file's keys with their
 * defaults, ranges and cross rules (errors naming the key), the API members, the digest, and the
 * CreateCloudRecording request an auto task is made from (accepted by the validator and the spec,
 * with the resume wait and the local store put in afterwards). */
#include "auto/auto_template.h"
#include "common/json_util.h"
#include "task/codes.h"
#include "task/spec.h"
#include "upload/storage_target.h"
#include "validate/validate.h"

#include <string.h>

static JsonObject *
parse (const char *text)
{
  return cr_json_parse_object (text, strlen (text), NULL);
}

static CrAutoTemplate *
from_text (const char *text, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *full = g_strconcat ("[app 1400000001]\nsecrets=a:b\n", text, NULL);
  g_assert_true (g_key_file_load_from_data (kf, full, -1, G_KEY_FILE_NONE, NULL));
  CrAutoTemplate *t = NULL;
  if (!cr_auto_template_from_keyfile (kf, "app 1400000001", &t, error))
    return NULL;
  return t;
}

static void
test_defaults_and_keys (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_null (from_text ("usersig-key=x\n", &error)); /* no auto-record key: no template */
  g_assert_no_error (error);
  g_autoptr (CrAutoTemplate) d = from_text ("auto-record=on\n", &error);
  g_assert_no_error (error);
  g_assert_true (d->enabled);
  g_assert_cmpint (d->stream_type, ==, CR_STREAMS_AUDIO_VIDEO);
  g_assert_cmpint (d->output_format, ==, CR_OUTPUT_HLS);
  g_assert_cmpint (d->file_minutes, ==, 1440);
  g_assert_cmpint (d->resume_wait_s, ==, 30);
  g_assert_cmpint (d->max_anchors, ==, 25);
  g_assert_cmpint (d->storage, ==, CR_AUTO_STORAGE_VOD);
  g_autoptr (CrAutoTemplate) t
      = from_text ("auto-record=off\nauto-record-stream=audio\nauto-record-format=hls+aac\n"
                   "auto-record-file-minutes=1\nauto-record-resume-wait=86400\n"
                   "auto-record-storage=cos\nauto-record-region=ap-guangzhou\n"
                   "auto-record-bucket=b-125\nauto-record-access-key=AK\n"
                   "auto-record-secret-key=SK\nauto-record-prefix=a/b_c\n",
                   &error);
  g_assert_no_error (error);
  g_assert_false (t->enabled);
  g_assert_cmpint (t->stream_type, ==, CR_STREAMS_AUDIO);
  g_assert_cmpint (t->output_format, ==, CR_OUTPUT_HLS_AAC);
  g_assert_cmpint (t->file_minutes, ==, 1);
  g_assert_cmpint (t->resume_wait_s, ==, 86400);
  g_assert_cmpint (t->storage, ==, CR_AUTO_STORAGE_COS);
  g_assert_cmpstr (t->bucket, ==, "b-125");
  g_assert_cmpstr (t->prefix, ==, "a/b_c");
}

static void
test_bad_values (void)
{
  static const struct {
    const char *text, *message;
  } cases[] = {
    { "auto-record=1\n", "auto-record must be on or off, got \"1\"" },
    { "auto-record-stream=both\n", "auto-record-stream must be one of audio-video|audio|video" },
    { "auto-record-format=flv\n", "auto-record-format must be one of hls|mp4|aac|hls+mp4|hls+aac" },
    { "auto-record-file-minutes=1441\n",
      "auto-record-file-minutes must be an integer in [1, 1440]" },
    { "auto-record-file-minutes=0\n", "auto-record-file-minutes must be an integer in [1, 1440]" },
    { "auto-record-resume-wait=0\n", "auto-record-resume-wait must be an integer in [1, 86400]" },
    { "auto-record-max-anchors=26\n", "auto-record-max-anchors must be an integer in [1, 25]" },
    { "auto-record-storage=ftp\n", "auto-record-storage must be one of vod|local|cos|s3" },
    { "auto-record-prefix=a/../b\n", "auto-record-prefix must be a '/'-separated path" },
    { "auto-record-prefix=a//b\n", "auto-record-prefix must be a '/'-separated path" },
    { "auto-record-bucket=a b\n", "auto-record-bucket must be letters" },
    { "auto-record-format=aac\n", "auto-record-format aac (AAC) needs auto-record-stream audio" },
    { "auto-record-stream=video\nauto-record-format=hls+aac\n",
      "auto-record-format hls+aac (AAC) needs auto-record-stream audio" },
    { "auto-record-storage=s3\nauto-record-region=r\nauto-record-bucket=b\n"
      "auto-record-access-key=a\n",
      "auto-record-storage s3 needs auto-record-secret-key" },
    { "auto-record-size=1\n", "unknown auto-recording key \"auto-record-size\"" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (CrAutoTemplate) t = from_text (cases[i].text, &error);
    g_assert_null (t);
    g_assert_nonnull (error);
    if (strstr (error->message, cases[i].message) == NULL)
      g_error ("%s: got \"%s\", want \"%s\"", cases[i].text, error->message, cases[i].message);
  }
  /* AAC with audio only is fine. */
  g_autoptr (GError) error = NULL;
  g_autoptr (CrAutoTemplate) ok
      = from_text ("auto-record-stream=audio\nauto-record-format=aac\n", &error);
  g_assert_no_error (error);
  g_assert_nonnull (ok);
}

static void
test_api_members (void)
{
  g_autoptr (CrAutoTemplate) t = cr_auto_template_new ();
  g_autofree char *d0 = cr_auto_template_digest (t);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) bad = parse ("{\"Format\":\"aac\"}");
  g_assert_false (cr_auto_template_apply_json (t, bad, &error));
  g_assert_nonnull (strstr (error->message, "Format aac (AAC) needs StreamType audio"));
  g_clear_error (&error);
  g_autofree char *d1 = cr_auto_template_digest (t);
  g_assert_cmpstr (d0, ==, d1); /* unchanged on failure */
  g_autoptr (JsonObject) patch
      = parse ("{\"Enabled\":1,\"StreamType\":\"audio\",\"Format\":\"aac\",\"ResumeWait\":3,"
               "\"Storage\":\"s3\",\"Region\":\"r\",\"Bucket\":\"b\",\"AccessKey\":\"a\","
               "\"SecretKey\":\"s\",\"Prefix\":\"x/y\",\"SdkAppId\":5}");
  g_assert_true (cr_auto_template_apply_json (t, patch, &error));
  g_assert_no_error (error);
  g_assert_true (t->enabled);
  g_assert_cmpint (t->resume_wait_s, ==, 3);
  g_autofree char *d2 = cr_auto_template_digest (t);
  g_assert_cmpstr (d0, !=, d2);
  g_autoptr (JsonObject) shown = cr_auto_template_to_json (t, FALSE);
  g_assert_false (json_object_has_member (shown, "SecretKey"));
  g_assert_cmpstr (cr_json_get_string (shown, "Format"), ==, "aac");
  /* What the API shows, with the secret, reads back to the same template. */
  g_autoptr (JsonObject) full = cr_auto_template_to_json (t, TRUE);
  g_autoptr (CrAutoTemplate) back = cr_auto_template_new ();
  g_assert_true (cr_auto_template_apply_json (back, full, &error));
  g_autofree char *d3 = cr_auto_template_digest (back);
  g_assert_cmpstr (d2, ==, d3);
  g_autoptr (JsonObject) wrong = parse ("{\"FileMinutes\":\"5\"}");
  g_assert_false (cr_auto_template_apply_json (t, wrong, &error));
  g_assert_nonnull (strstr (error->message, "FileMinutes has the wrong type"));
}

/* The request through the validator and the spec, as the watcher makes it. */
static CrTaskSpec *
spec_of (const CrAutoTemplate *t, JsonObject **out_params)
{
  const char *anchors[] = { "alice", "bob", NULL };
  g_autoptr (JsonObject) raw = cr_auto_template_request (t, 1400000001, "8888", FALSE,
                                                         "cloudrec_auto_0123456789ab", anchors);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params
      = cr_validate_request ("CreateCloudRecording", raw, CR_VALIDATE_JSON, &error);
  g_assert_no_error (error);
  cr_auto_template_finish_request (t, params);
  CrTaskSpec *spec = cr_task_spec_new (params, &error);
  g_assert_no_error (error);
  *out_params = g_steal_pointer (&params);
  return spec;
}

static void
test_request (void)
{
  g_autoptr (CrAutoTemplate) t = cr_auto_template_new ();
  t->resume_wait_s = 2; /* below the API's 5: put in after the validator */
  t->output_format = CR_OUTPUT_HLS_MP4;
  t->file_minutes = 7;
  g_autoptr (JsonObject) p1 = NULL;
  g_autoptr (CrTaskSpec) vod = spec_of (t, &p1);
  g_assert_true (vod->storage.vod);
  g_assert_cmpint (vod->storage.vod_media_type, ==, 3); /* hls+mp4 in MediaType's numbering */
  g_assert_cmpint (vod->output_format, ==, CR_OUTPUT_HLS_MP4);
  g_assert_cmpint (vod->max_idle_s, ==, 2);
  g_assert_cmpint (vod->max_file_ms, ==, 7 * 60000);
  g_assert_cmpint (vod->record_mode, ==, CR_RECORD_SINGLE);
  g_assert_true (cr_task_spec_wants (vod, "alice", FALSE, TRUE));
  g_assert_true (cr_task_spec_wants (vod, "bob", FALSE, FALSE));
  g_assert_false (cr_task_spec_wants (vod, "carol", FALSE, TRUE)); /* not in the allow list */
  /* Another anchor joins the lists. */
  const char *three[] = { "alice", "bob", "carol", NULL };
  cr_auto_request_set_anchors (p1, three);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrTaskSpec) more = cr_task_spec_new (p1, &error);
  g_assert_no_error (error);
  g_assert_true (cr_task_spec_wants (more, "carol", FALSE, TRUE));

  t->storage = CR_AUTO_STORAGE_LOCAL;
  t->stream_type = CR_STREAMS_AUDIO;
  t->output_format = CR_OUTPUT_AAC;
  t->prefix = (g_free (t->prefix), g_strdup ("auto/day1"));
  g_autoptr (JsonObject) p2 = NULL;
  g_autoptr (CrTaskSpec) local = spec_of (t, &p2);
  g_assert_false (local->storage.vod);
  g_assert_cmpint (local->storage.vendor, ==, CR_STORAGE_VENDOR_LOCAL);
  g_assert_cmpint (cr_storage_target_kind (&local->storage, NULL), ==, CR_TARGET_LOCAL);
  g_assert_cmpint (local->output_format, ==, CR_OUTPUT_AAC);
  g_assert_cmpint (local->stream_type, ==, CR_STREAMS_AUDIO);
  g_assert_cmpstr (local->storage.prefix[0], ==, "auto");
  g_assert_cmpstr (local->storage.prefix[1], ==, "day1");
  g_assert_null (local->storage.prefix[2]);

  t->storage = CR_AUTO_STORAGE_S3;
  t->region = g_strdup ("us-east-1");
  t->bucket = g_strdup ("recs");
  t->access_key = g_strdup ("AK");
  t->secret_key = g_strdup ("SK");
  g_autoptr (JsonObject) p3 = NULL;
  g_autoptr (CrTaskSpec) s3 = spec_of (t, &p3);
  g_assert_cmpint (s3->storage.vendor, ==, 1);
  g_assert_cmpstr (s3->storage.bucket, ==, "recs");
}

/* class recording's `class-record-*` keys: the same storage rules under another prefix */
static CrAutoTemplate *
class_storage (const char *body, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *text = g_strdup_printf ("[app 1400000001]\n%s", body);
  g_assert_true (g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, NULL));
  CrAutoTemplate *t = NULL;
  if (!cr_auto_template_storage_from_keyfile (kf, "app 1400000001", "class-record", &t, error))
    return NULL;
  return t;
}

static void
test_class_storage (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrAutoTemplate) none = class_storage ("auto-record-storage=cos\n", &error);
  g_assert_no_error (error);
  g_assert_null (none);
  g_autoptr (CrAutoTemplate) local = class_storage ("class-record-prefix=classes/a\n", &error);
  g_assert_no_error (error);
  g_assert_cmpint (local->storage, ==, CR_AUTO_STORAGE_LOCAL);
  g_assert_cmpstr (local->prefix, ==, "classes/a");
  g_autoptr (CrAutoTemplate) s3 = class_storage (
      "class-record-storage=s3\nclass-record-region=us-east-1\nclass-record-bucket=b1\n"
      "class-record-access-key=AK\nclass-record-secret-key=SK\n",
      &error);
  g_assert_no_error (error);
  g_assert_cmpint (s3->storage, ==, CR_AUTO_STORAGE_S3);
  g_assert_cmpstr (s3->bucket, ==, "b1");
  static const struct {
    const char *body, *message;
  } bad[] = {
    { "class-record-storage=vod\n", "class-record-storage must be one of local|cos|s3" },
    { "class-record-storage=ftp\n", "class-record-storage must be" },
    { "class-record-storage=cos\nclass-record-region=r\n", "needs class-record-bucket" },
    { "class-record-format=mp4\n", "unknown key \"class-record-format\"" },
    { "class-record-prefix=a/../b\n", "class-record-prefix must be" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) e = NULL;
    g_autoptr (CrAutoTemplate) t = class_storage (bad[i].body, &e);
    g_assert_null (t);
    g_assert_nonnull (e);
    if (strstr (e->message, bad[i].message) == NULL)
      g_error ("%s: \"%s\" does not say \"%s\"", bad[i].body, e->message, bad[i].message);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/auto_template/defaults_and_keys", test_defaults_and_keys);
  g_test_add_func ("/auto_template/bad_values", test_bad_values);
  g_test_add_func ("/auto_template/api_members", test_api_members);
  g_test_add_func ("/auto_template/request", test_request);
  g_test_add_func ("/auto_template/class_storage", test_class_storage);
  return g_test_run ();
}
