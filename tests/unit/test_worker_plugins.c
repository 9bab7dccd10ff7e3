/* The recording workers' plugin directory (media/worker_plugins.h), as the daemon prepares it
 * from the full registry: the plugins of the elements a worker names are linked, libav's
 * decoders apart, a stray entry goes, a link pointing elsewhere is replaced, and a second run
 * changes nothing. */
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <stdlib.h>
#include <unistd.h>

#include "media/worker_plugins.h"

static char *
link_target (const char *dir, const char *sub, const char *name)
{
  g_autofree char *path = g_build_filename (dir, "gst-worker", sub, name, NULL);
  return g_file_read_link (path, NULL);
}

/* The real file of the plugin of element @factory, or NULL. */
static char *
plugin_file_of (const char *factory)
{
  g_autoptr (GstElementFactory) f = gst_element_factory_find (factory);
  g_autoptr (GstPlugin) plugin
      = f != NULL ? gst_plugin_feature_get_plugin (GST_PLUGIN_FEATURE (f)) : NULL;
  const char *file = plugin != NULL ? gst_plugin_get_filename (plugin) : NULL;
  char *real = file != NULL ? realpath (file, NULL) : NULL;
  char *out = g_strdup (real);
  free (real);
  return out;
}

static void
test_prepare (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("worker-plugins-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *core = plugin_file_of ("queue");
  g_autofree char *ts = plugin_file_of ("mpegtsmux");
  g_autofree char *av = plugin_file_of ("avdec_h264");
  g_autofree char *webrtc = plugin_file_of ("webrtcbin");
  if (core == NULL || ts == NULL) {
    g_test_skip ("GStreamer's core elements or mpegtsmux are not installed");
    return;
  }
  g_assert_true (cr_worker_plugins_prepare (dir, &error));
  g_assert_no_error (error);
  g_autofree char *core_name = g_path_get_basename (core);
  g_autofree char *ts_name = g_path_get_basename (ts);
  g_autofree char *got_core = link_target (dir, "plugins", core_name);
  g_autofree char *got_ts = link_target (dir, "plugins", ts_name);
  g_assert_cmpstr (got_core, ==, core);
  g_assert_cmpstr (got_ts, ==, ts);
  if (av != NULL) { /* libav: only among the decoders loaded on demand */
    g_autofree char *av_name = g_path_get_basename (av);
    g_autofree char *in_plugins = link_target (dir, "plugins", av_name);
    g_autofree char *in_later = link_target (dir, "on-demand", av_name);
    g_assert_null (in_plugins);
    g_assert_cmpstr (in_later, ==, av);
  }
  if (webrtc != NULL) { /* the daemon's WebRTC is no worker's */
    g_autofree char *name = g_path_get_basename (webrtc);
    g_autofree char *got = link_target (dir, "plugins", name);
    g_assert_null (got);
  }
  /* a stray entry goes, a link to elsewhere is put right */
  g_autofree char *stray = g_build_filename (dir, "gst-worker", "plugins", "libgststray.so", NULL);
  g_autofree char *core_link = g_build_filename (dir, "gst-worker", "plugins", core_name, NULL);
  g_assert_cmpint (symlink ("/nonexistent", stray), ==, 0);
  g_assert_cmpint (g_unlink (core_link), ==, 0);
  g_assert_cmpint (symlink ("/elsewhere.so", core_link), ==, 0);
  g_assert_true (cr_worker_plugins_prepare (dir, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (stray, G_FILE_TEST_IS_SYMLINK));
  g_autofree char *again = link_target (dir, "plugins", core_name);
  g_assert_cmpstr (again, ==, core);
  /* nothing to do in a process that never used the worker's plugins */
  g_assert_false (cr_worker_plugins_widen ());
  cr_worker_plugins_load_decoders ();
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_cmpint (system (rm), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/worker_plugins/prepare", test_prepare);
  return g_test_run ();
}
