/* The console's session table (one-time tokens, expiry, logout, app binding) and its file rules
 * (plain names only, nothing outside the storage directory, durations from MP4 and HLS). */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "common/json_util.h"
#include "console/console_files.h"
#include "console/console_session.h"

static void
test_token_once (void)
{
  g_autoptr (CrConsoleSessions) s = cr_console_sessions_new ();
  g_autofree char *t = cr_console_token_add (s, 1400000001, 1000, 60000);
  g_assert_cmpuint (strlen (t), ==, 64);
  guint64 app = 0;
  g_assert_false (cr_console_token_take (s, "nope", 1000, &app));
  g_assert_true (cr_console_token_take (s, t, 2000, &app));
  g_assert_cmpuint (app, ==, 1400000001);
  g_assert_false (cr_console_token_take (s, t, 2000, &app)); /* used up */
  g_autofree char *late = cr_console_token_add (s, 7, 1000, 60000);
  g_assert_false (cr_console_token_take (s, late, 61000, &app)); /* expired */
}

static void
test_session_expiry_and_logout (void)
{
  g_autoptr (CrConsoleSessions) s = cr_console_sessions_new ();
  g_autofree char *a = cr_console_session_open (s, 1400000001, FALSE, 0, 3600000);
  g_autofree char *b = cr_console_session_open (s, 0, TRUE, 0, 10000);
  g_assert_cmpstr (a, !=, b);
  CrConsoleSession got;
  g_assert_true (cr_console_session_find (s, a, 3599999, &got));
  g_assert_cmpuint (got.sdk_app_id, ==, 1400000001);
  g_assert_false (got.admin);
  g_assert_true (cr_console_session_find (s, b, 9999, &got));
  g_assert_true (got.admin);
  g_assert_false (cr_console_session_find (s, b, 10000, &got)); /* expired, and forgotten */
  g_assert_cmpuint (cr_console_session_count (s), ==, 1);
  g_assert_false (cr_console_session_find (s, NULL, 0, &got));
  g_assert_false (cr_console_session_find (s, "", 0, &got));
  g_assert_true (cr_console_session_close (s, a));
  g_assert_false (cr_console_session_find (s, a, 1, &got));
  g_assert_false (cr_console_session_close (s, a));
}

static void
test_file_names (void)
{
  g_assert_true (cr_console_file_name_ok ("1400000001_8888.mp4"));
  const char *bad[] = { "", ".", "..", ".hidden", "a/b", "../x", NULL };
  for (int i = 0; bad[i] != NULL; i++)
    g_assert_false (cr_console_file_name_ok (bad[i]));
  g_assert_false (cr_console_file_name_ok (NULL));
}

static void
put_be32 (guchar *p, guint32 v)
{
  p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

static void
test_files_in_storage (void)
{
  g_autofree char *root = g_dir_make_tmp ("console-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (root, "storage", "task1", NULL);
  g_autofree char *storage = g_build_filename (root, "storage", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  /* an MP4 of a moov holding an mvhd (version 0): timescale 1000, duration 12345 */
  guchar mp4[8 + 8 + 8 + 100] = { 0 };
  put_be32 (mp4, 8);
  memcpy (mp4 + 4, "ftyp", 4);
  put_be32 (mp4 + 8, 8 + 8 + 100);
  memcpy (mp4 + 12, "moov", 4);
  put_be32 (mp4 + 16, 8 + 100);
  memcpy (mp4 + 20, "mvhd", 4);
  put_be32 (mp4 + 24 + 12, 1000);
  put_be32 (mp4 + 24 + 16, 12345);
  g_autofree char *mp4_path = g_build_filename (dir, "a.mp4", NULL);
  g_assert_true (g_file_set_contents (mp4_path, (const char *)mp4, sizeof mp4, NULL));
  g_autofree char *m3u8_path = g_build_filename (dir, "a.m3u8", NULL);
  g_assert_true (g_file_set_contents (
      m3u8_path, "#EXTM3U\n#EXTINF:10.000,\na_1.ts\n#EXTINF:2.5,\na_2.ts\n#EXT-X-ENDLIST\n", -1,
      NULL));
  g_assert_cmpint (cr_console_file_duration_ms (mp4_path), ==, 12345);
  g_assert_cmpint (cr_console_file_duration_ms (m3u8_path), ==, 12500);
  /* a link out of the storage directory is never served, nor listed */
  g_autofree char *secret = g_build_filename (root, "secret.mp4", NULL);
  g_assert_true (g_file_set_contents (secret, "x", 1, NULL));
  g_autofree char *link = g_build_filename (dir, "link.mp4", NULL);
  g_assert_cmpint (symlink (secret, link), ==, 0);
  g_assert_null (cr_console_file_path (storage, dir, "link.mp4"));
  g_assert_null (cr_console_file_path (storage, dir, "../../secret.mp4"));
  g_autofree char *ok = cr_console_file_path (storage, dir, "a.mp4");
  g_assert_cmpstr (ok, ==, mp4_path);
  g_autoptr (JsonArray) list = cr_console_files_list (storage, dir);
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  JsonObject *first = json_array_get_object_element (list, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "Name"), ==, "a.m3u8");
  g_assert_cmpint (json_object_get_int_member (first, "Duration"), ==, 12500);
  JsonObject *second = json_array_get_object_element (list, 1);
  g_assert_cmpint (json_object_get_int_member (second, "Size"), ==, sizeof mp4);
  g_assert_cmpint (json_object_get_int_member (second, "Duration"), ==, 12345);
  /* a directory outside the storage root lists nothing */
  g_autoptr (JsonArray) outside = cr_console_files_list (dir, root);
  g_assert_cmpuint (json_array_get_length (outside), ==, 0);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", root);
  g_assert_cmpint (system (cmd), ==, 0);
}

/* The console's calls run the signed API's pipeline after authentication: the app's rate limit,
 * the action table, validation, the app check; the same envelope. */
static char *
handle_as (CrApi *api, const CrApp *signer, const char *action, const char *params_json)
{
  g_autoptr (JsonObject) params = cr_json_parse_object (params_json, strlen (params_json), NULL);
  return cr_api_handle_as (api, signer, FALSE, action, params, strlen (params_json));
}

static void
test_handle_as_pipeline (void)
{
  g_autofree char *dir = g_dir_make_tmp ("console-api-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (dir, "t.db", NULL);
  g_autoptr (CrConfig) config = cr_config_new_defaults ();
  config->api_rate_limit = 4;
  g_assert_true (cr_apps_add_spec (config->apps, "1400000001:AKIDone:keyone:sigkeyone", NULL));
  g_assert_true (cr_apps_add_spec (config->apps, "1400000002:AKIDtwo:keytwo:sigkeytwo", NULL));
  g_autoptr (CrTaskStore) store = cr_sqlite_store_open (db, NULL);
  g_assert_nonnull (store);
  g_autoptr (CrApi) api = cr_api_new (config, store);
  const CrApp *one = cr_apps_find (config->apps, 1400000001);
  g_autofree char *ok = handle_as (api, one, "CloudrecDescribeTasks", "{\"SdkAppId\":1400000001}");
  g_assert_nonnull (strstr (ok, "\"TotalCount\":0"));
  g_autofree char *other
      = handle_as (api, one, "CloudrecDescribeTasks", "{\"SdkAppId\":1400000002}");
  g_assert_nonnull (strstr (other, "AuthFailure.UnauthorizedOperation"));
  g_autofree char *invalid = handle_as (api, one, "DeleteCloudRecording",
                                        "{\"SdkAppId\":1400000001,\"TaskId\":\"a/b\"}");
  g_assert_nonnull (strstr (invalid, "InvalidParameter.TaskId"));
  g_autofree char *unknown = handle_as (api, one, "NoSuchAction", "{}");
  g_assert_nonnull (strstr (unknown, "InvalidAction"));
  /* four calls a second, as the signed API allows: the fifth is refused */
  g_autofree char *limited
      = handle_as (api, one, "CloudrecDescribeTasks", "{\"SdkAppId\":1400000001}");
  g_assert_nonnull (strstr (limited, "RequestLimitExceeded"));
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_cmpint (system (cmd), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/console/token-once", test_token_once);
  g_test_add_func ("/console/session-expiry-and-logout", test_session_expiry_and_logout);
  g_test_add_func ("/console/file-names", test_file_names);
  g_test_add_func ("/console/files-in-storage", test_files_in_storage);
  g_test_add_func ("/console/handle-as-pipeline", test_handle_as_pipeline);
  return g_test_run ();
}
