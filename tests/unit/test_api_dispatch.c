/* The API's dispatch table: X-TC-Version selects a service's action table, X-TC-Action an action
 * in it (exact case), and each action says how its app is found and which schema checks it. */
#include <string.h>

#include "api/actions.h"
#include "common/api_error.h"
#include "common/json_util.h"
#include "validate/validate.h"

static void
test_versions (void)
{
  const CrApiVersion *trtc = cr_api_version_find ("2019-07-22");
  g_assert_nonnull (trtc);
  g_assert_cmpstr (trtc->service, ==, "trtc");
  g_assert_cmpstr (trtc->version, ==, "2019-07-22");
  g_assert_null (cr_api_version_find ("2020-01-01"));
  g_assert_null (cr_api_version_find ("2019-07-22 "));
  g_assert_null (cr_api_version_find (""));
  g_assert_null (cr_api_version_find (NULL));
  g_autofree char *text = cr_api_versions_text ();
  g_assert_cmpstr (text, ==, "2019-07-22 (trtc), 2019-09-19 (tiw)");
  const CrApiVersion *tiw = cr_api_version_find ("2019-09-19");
  g_assert_nonnull (tiw);
  g_assert_cmpstr (tiw->service, ==, "tiw");
  static const char *const names[]
      = { "StartOnlineRecord",          "PauseOnlineRecord",           "ResumeOnlineRecord",
          "StopOnlineRecord",           "DescribeOnlineRecord",        "SetOnlineRecordCallback",
          "SetOnlineRecordCallbackKey", "DescribeOnlineRecordCallback",
          "CreateVideoGenerationTask",  "DescribeVideoGenerationTask",
          "SetVideoGenerationTaskCallback", "SetVideoGenerationTaskCallbackKey",
          "DescribeVideoGenerationTaskCallback" };
  g_assert_cmpuint (tiw->n_actions, ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    const CrAction *a = cr_api_version_action (tiw, names[i]);
    g_assert_nonnull (a);
    g_assert_cmpint (a->app_from, ==, CR_APP_FROM_BODY);
    g_assert_true (cr_validate_knows_action (names[i]));
  }
  /* versions are apart: a TRTC action is not a TIW one */
  g_assert_null (cr_api_version_action (tiw, "CreateCloudRecording"));
  g_assert_null (cr_api_version_action (cr_api_version_find ("2019-07-22"), "StartOnlineRecord"));
}

static void
test_trtc_actions (void)
{
  const CrApiVersion *trtc = cr_api_version_find ("2019-07-22");
  static const char *const names[] = { "CreateCloudRecording", "DescribeCloudRecording",
                                       "ModifyCloudRecording", "DeleteCloudRecording",
                                       "RemoveUser",           "RemoveUserByStrRoomId",
                                       "DismissRoom",          "DismissRoomByStrRoomId",
                                       "CloudrecDescribeTask", "CloudrecDescribeEvents",
                                       "CloudrecResendEvents", "CloudrecCreateCompose",
                                       "CloudrecDescribeCompose", "CloudrecDescribeAutoRecord",
                                       "CloudrecModifyAutoRecord",
                                       "CloudrecDescribeAutoRecordTasks",
                                       "DescribeRecordStatistic", "DescribeRecordingUsage",
                                       "StartWebRecord", "StopWebRecord", "DescribeWebRecord",
                                       "CloudrecDescribeTasks", "CloudrecDescribeRooms",
                                       "CloudrecDescribeLayout" };
  g_assert_cmpuint (trtc->n_actions, ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    const CrAction *a = cr_api_version_action (trtc, names[i]);
    g_assert_nonnull (a);
    g_assert_cmpstr (a->name, ==, names[i]);
    g_assert_nonnull (a->func);
    /* Every TRTC action carries SdkAppId, which must be the signer's app; the usage actions'
     * and DescribeWebRecord's are optional and StopWebRecord has none: theirs is the signer's. */
    gboolean signer = g_str_has_prefix (names[i], "DescribeRecord")
                      || strcmp (names[i], "StopWebRecord") == 0
                      || strcmp (names[i], "DescribeWebRecord") == 0;
    g_assert_cmpint (a->app_from, ==, signer ? CR_APP_FROM_SIGNER : CR_APP_FROM_BODY);
  }
  g_assert_null (cr_api_version_action (trtc, "createcloudrecording"));
  g_assert_null (cr_api_version_action (trtc, "stopwebrecord"));
  g_assert_null (cr_api_version_action (trtc, ""));
  g_assert_null (cr_api_version_action (trtc, NULL));
}

/* The extension takes Describe's request: its schema is Describe's, and it validates as such. */
static void
test_extension_schema (void)
{
  const CrAction *a
      = cr_api_version_action (cr_api_version_find ("2019-07-22"), "CloudrecDescribeTask");
  g_assert_cmpstr (a->schema, ==, "DescribeCloudRecording");
  g_assert_true (g_str_has_prefix (a->name, "Cloudrec"));
  g_autoptr (GError) error = NULL;
  const char *good = "{\"SdkAppId\":1400000001,\"TaskId\":\"abc\"}";
  g_autoptr (JsonObject) ok = cr_json_parse_object (good, strlen (good), &error);
  g_assert_no_error (error);
  g_autoptr (JsonObject) params = cr_validate_request (a->schema, ok, CR_VALIDATE_JSON, &error);
  g_assert_no_error (error);
  g_assert_nonnull (params);
  const char *no_task = "{\"SdkAppId\":1400000001}";
  g_autoptr (JsonObject) bad = cr_json_parse_object (no_task, strlen (no_task), NULL);
  g_autoptr (JsonObject) none = cr_validate_request (a->schema, bad, CR_VALIDATE_JSON, &error);
  g_assert_null (none);
  g_assert_true (g_str_has_prefix (cr_api_error_code (error), "MissingParameter"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/api/dispatch/versions", test_versions);
  g_test_add_func ("/api/dispatch/trtc-actions", test_trtc_actions);
  g_test_add_func ("/api/dispatch/extension-schema", test_extension_schema);
  return g_test_run ();
}
