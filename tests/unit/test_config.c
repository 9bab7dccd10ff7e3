/* The settings table: defaults, each source, precedence, range errors, apps. */
#include <glib/gstdio.h>
#include <string.h>

#include "config/config.h"

static void
test_defaults (void)
{
  g_autoptr (CrConfig) c = cr_config_new_defaults ();
  g_assert_cmpstr (c->listen, ==, "127.0.0.1:8080");
  g_assert_cmpint (c->api_rate_limit, ==, 20);
  g_assert_cmpint (c->api_max_tasks, ==, 100);
  g_assert_cmpint (c->api_max_streams, ==, 25);
  g_assert_cmpint (c->api_timeout, ==, 6);
  g_assert_cmpstr (c->fetch_deny, ==, "169.254.0.0/16,fe80::/10");
  g_assert_cmpint (c->whip_max_sessions_per_ip, ==, 100);
  cr_config_finish (c);
  g_assert_cmpstr (c->db_path, ==, "var/cloudrec.db");
  g_assert_cmpstr (c->storage_dir, ==, "var/storage");
}

static void
test_precedence (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cfg-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "c.conf", NULL);
  g_assert_true (
      g_file_set_contents (path,
                           "[cloudrec]\napi-rate-limit=5\napi-max-tasks=7\nlisten=1.2.3.4:1\n"
                           "[app 1400000009]\nsecrets=AKIDa:ka;AKIDb:kb\nusersig-key=uk\n"
                           "callback-url=http://127.0.0.1:9/cb\ncallback-key=ck\n",
                           -1, NULL));
  g_setenv ("CLOUDREC_API_MAX_TASKS", "8", TRUE);
  g_setenv ("CLOUDREC_LISTEN", "5.6.7.8:2", TRUE);
  g_autoptr (CrConfig) c = cr_config_new_defaults ();
  char *argv[] = {
    "--listen", "127.0.0.1:0", "--config", path, "--app=1400000001:AKIDx:kx:ukx:cbk:http://h:1/p",
    NULL
  };
  gboolean help = TRUE;
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_config_load_args (c, 5, argv, &help, &error));
  g_assert_no_error (error);
  g_assert_false (help);
  g_assert_cmpint (c->api_rate_limit, ==, 5);     /* file */
  g_assert_cmpint (c->api_max_tasks, ==, 8);      /* env beats file */
  g_assert_cmpstr (c->listen, ==, "127.0.0.1:0"); /* flag beats env */
  g_assert_cmpuint (cr_apps_count (c->apps), ==, 2);
  const CrApp *a = cr_apps_find (c->apps, 1400000009);
  g_assert_cmpuint (a->secrets->len, ==, 2);
  g_assert_cmpstr (a->callback_url, ==, "http://127.0.0.1:9/cb");
  const CrApp *owner = NULL;
  g_assert_cmpstr (cr_apps_secret_key (c->apps, "AKIDb", &owner), ==, "kb");
  g_assert_true (owner == a);
  const CrApp *b = cr_apps_find (c->apps, 1400000001);
  g_assert_cmpstr (b->callback_url, ==, "http://h:1/p");
  g_assert_cmpstr (b->callback_key, ==, "cbk");
  g_assert_null (cr_apps_secret_key (c->apps, "nobody", NULL));
  g_unsetenv ("CLOUDREC_API_MAX_TASKS");
  g_unsetenv ("CLOUDREC_LISTEN");
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_errors (void)
{
  struct {
    const char *args[3];
    const char *msg;
  } cases[] = {
    { { "--api-rate-limit", "0" }, "api-rate-limit must be an integer in [1, 1000000]" },
    { { "--api-timeout", "6s" }, "api-timeout must be an integer" },
    { { "--log-level", "loud" }, "log-level must be one of" },
    { { "--no-such-thing", "1" }, "unknown option --no-such-thing" },
    { { "--app", "1400000001:onlyid" }, "must be SDKAPPID:SECRETID" },
    { { "--app", "0:a:b:c" }, "must be SDKAPPID:SECRETID" },
    { { "--listen" }, "--listen needs a value" },
    { { "stray" }, "unexpected argument" },
    { { "--fetch-deny", "10.0.0.0/33" }, "fetch-deny: \"10.0.0.0/33\" is not an address range" },
    { { "--fetch-deny", "metadata.internal" }, "is not an IPv4 or IPv6 address" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (CrConfig) c = cr_config_new_defaults ();
    int argc = cases[i].args[1] != NULL ? 2 : 1;
    gboolean help = FALSE;
    g_autoptr (GError) error = NULL;
    g_assert_false (cr_config_load_args (c, argc, (char **)cases[i].args, &help, &error));
    g_assert_nonnull (error);
    if (strstr (error->message, cases[i].msg) == NULL)
      g_error ("case %u: \"%s\" lacks \"%s\"", i, error->message, cases[i].msg);
  }
}

/* ingest-media-timeout is the old name of ingest-liveness-timeout: still a flag, a file key and
 * a variable. */
static void
test_old_names (void)
{
  g_autoptr (CrConfig) c = cr_config_new_defaults ();
  g_assert_cmpint (c->ingest_liveness_timeout, ==, 30);
  char *argv[] = { "--ingest-media-timeout", "7", NULL };
  gboolean help = FALSE;
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_config_load_args (c, 2, argv, &help, &error));
  g_assert_cmpint (c->ingest_liveness_timeout, ==, 7);
  char *env[] = { "CLOUDREC_INGEST_MEDIA_TIMEOUT=9", NULL };
  g_assert_true (cr_config_load_env (c, env, &error));
  g_assert_cmpint (c->ingest_liveness_timeout, ==, 9);
  char *both[] = { "CLOUDREC_INGEST_LIVENESS_TIMEOUT=11", "CLOUDREC_INGEST_MEDIA_TIMEOUT=9", NULL };
  g_assert_true (cr_config_load_env (c, both, &error));
  g_assert_cmpint (c->ingest_liveness_timeout, ==, 11);
  char *bad[] = { "--ingest-media-timeout", "0", NULL };
  g_assert_false (cr_config_load_args (c, 2, bad, &help, &error));
  g_assert_nonnull (strstr (error->message, "ingest-liveness-timeout"));
}

static void
test_help_lists_every_setting (void)
{
  g_autofree char *help = cr_config_help ();
  const char *names[] = { "--listen",         "--data-dir",
                          "--db-path",        "--storage-dir",
                          "--log-level",      "--api-rate-limit",
                          "--api-max-tasks",  "--api-max-streams",
                          "--api-max-body",   "--api-timeout",
                          "--api-clock-skew", "--app",
                          "--config",         "CLOUDREC_API_RATE_LIMIT" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_nonnull (strstr (help, names[i]));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/precedence", test_precedence);
  g_test_add_func ("/config/errors", test_errors);
  g_test_add_func ("/config/help-lists-every-setting", test_help_lists_every_setting);
  g_test_add_func ("/config/old-names", test_old_names);
  return g_test_run ();
}
