/* The worker's own plugin directory and registry; see worker_plugins.h. */
#include "media/worker_plugins.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <unistd.h>

#define PLUGINS_DIR "gst-worker"
#define PLUGINS_SUBDIR "plugins"
#define ON_DEMAND_SUBDIR "on-demand"
#define REGISTRY_FILE "registry.bin"

/* Every element the worker program creates by name (src/media, src/mix, src/recorder: the
 * single-stream, mixed and web recorders, the MP4/AAC/MP3 files and the A/V sync report). */
static const char *const worker_elements[] = {
  "aacparse",        "alpha",
  "appsink",         "appsrc",
  "audioconvert",    "audiomixer",
  "audioresample",   "audiotestsrc",
  "avdec_h264",      "capsfilter",
  "clockoverlay",    "compositor",
  "concat",          "decodebin",
  "fakesink",        "filesink",
  "filesrc",         "h264parse",
  "identity",        "imagefreeze",
  "jpegdec",         "lamemp3enc",
  "mp4mux",          "mpegtsmux",
  "opusdec",         "overlaycomposition",
  "pngdec",          "pulsesrc",
  "queue",           "rtph264depay",
  "rtpjitterbuffer", "rtpopusdepay",
  "rtpvp8depay",     "splitmuxsink",
  "textoverlay",     "textrender",
  "tsdemux",         "typefind",
  "udpsrc",          "videoconvert",
  "videocrop",       "videorate",
  "videoscale",      "videotestsrc",
  "voaacenc",        "vp8dec",
  "x264enc",         "ximagesrc",
  "xingmux",
};

/* What the worker's decodebins (the sync report, MP3) may meet: every demuxer, parser and
 * decoder of these, as decodebin would rank them. */
static const char *const worker_decoded[] = {
  "video/mpegts",
  "video/quicktime",
  "audio/x-m4a",
  "application/x-id3",
  "video/x-h264",
  "video/x-vp8",
  "audio/x-opus",
  "audio/mpeg, mpegversion=(int)4",
  "audio/mpeg, mpegversion=(int)1",
  "image/png",
  "image/jpeg",
};

/* Plugins loaded only when a worker decodes (cr_worker_plugins_load_decoders): libav's 700
 * features are ~0.9 MB of registry, in every worker, that a single-stream recording of H.264 and
 * Opus never uses until its end. */
static const char *const on_demand_elements[] = { "avdec_h264" };

static guint
plugin_count (void)
{
  GList *plugins = gst_registry_get_plugin_list (gst_registry_get ());
  guint n = g_list_length (plugins);
  gst_plugin_list_free (plugins);
  return n;
}

static char *widen_dir; /* the worker's plugin directory while it is in use */
static char *on_demand_dir;
static gboolean decoders_loaded, widened;

static void
add_plugin_of (GHashTable *files, GstPluginFeature *feature)
{
  g_autoptr (GstPlugin) plugin = gst_plugin_feature_get_plugin (feature);
  const char *file = plugin != NULL ? gst_plugin_get_filename (plugin) : NULL;
  char *real = file != NULL ? realpath (file, NULL) : NULL; /* NULL: a static plugin */
  if (real != NULL)
    g_hash_table_add (files, g_strdup (real));
  free (real);
}

/* The real paths of the plugin files of @elements into @files. */
static void
add_plugins_of_elements (GHashTable *files, const char *const *elements, guint n)
{
  for (guint i = 0; i < n; i++) {
    g_autoptr (GstPluginFeature) f
        = gst_registry_find_feature (gst_registry_get (), elements[i], GST_TYPE_ELEMENT_FACTORY);
    if (f != NULL)
      add_plugin_of (files, f);
  }
}

/* The real paths of the plugin files a worker needs, from the full registry. */
static GHashTable *
needed_files (void)
{
  GstRegistry *reg = gst_registry_get ();
  GHashTable *files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  add_plugins_of_elements (files, worker_elements, G_N_ELEMENTS (worker_elements));
  GList *decodable = gst_element_factory_list_get_elements (GST_ELEMENT_FACTORY_TYPE_DECODABLE,
                                                            GST_RANK_MARGINAL);
  for (guint i = 0; i < G_N_ELEMENTS (worker_decoded); i++) {
    g_autoptr (GstCaps) caps = gst_caps_from_string (worker_decoded[i]);
    GList *fit = gst_element_factory_list_filter (decodable, caps, GST_PAD_SINK, FALSE);
    for (GList *l = fit; l != NULL; l = l->next)
      add_plugin_of (files, l->data);
    gst_plugin_feature_list_free (fit);
  }
  gst_plugin_feature_list_free (decodable);
  GList *typefinders = gst_registry_get_feature_list (reg, GST_TYPE_TYPE_FIND_FACTORY);
  for (GList *l = typefinders; l != NULL; l = l->next)
    add_plugin_of (files, l->data);
  gst_plugin_feature_list_free (typefinders);
  return files;
}

/* @link -> @target, replaced atomically when it points elsewhere. */
static gboolean
link_to (const char *link, const char *target, GError **error)
{
  g_autofree char *now = g_file_read_link (link, NULL);
  if (g_strcmp0 (now, target) == 0)
    return TRUE;
  g_autofree char *tmp = g_strdup_printf ("%s.%d.tmp", link, (int)getpid ());
  g_unlink (tmp);
  if (symlink (target, tmp) != 0 || g_rename (tmp, link) != 0) {
    int err = errno;
    g_unlink (tmp);
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "cannot link %s: %s", link,
                 g_strerror (err));
    return FALSE;
  }
  return TRUE;
}

/* @dir (created) holds links to exactly the files of @files for which @keep says @want. */
static gboolean
sync_dir (const char *dir, GHashTable *files, GHashTable *keep, gboolean want, guint *count,
          GError **error)
{
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    int err = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "cannot create %s: %s", dir,
                 g_strerror (err));
    return FALSE;
  }
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter it;
  gpointer file;
  g_hash_table_iter_init (&it, files);
  while (g_hash_table_iter_next (&it, &file, NULL)) {
    if (g_hash_table_contains (keep, file) != want)
      continue;
    char *name = g_path_get_basename (file);
    g_autofree char *link = g_build_filename (dir, name, NULL);
    g_hash_table_add (names, name);
    if (!link_to (link, file, error))
      return FALSE;
  }
  /* Plugins a worker no longer needs (or that are gone) leave the directory. */
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return FALSE;
  const char *entry;
  while ((entry = g_dir_read_name (d)) != NULL)
    if (!g_hash_table_contains (names, entry)) {
      g_autofree char *path = g_build_filename (dir, entry, NULL);
      g_unlink (path);
    }
  *count = g_hash_table_size (names);
  return TRUE;
}

gboolean
cr_worker_plugins_prepare (const char *data_dir, GError **error)
{
  g_autofree char *dir = g_build_filename (data_dir, PLUGINS_DIR, PLUGINS_SUBDIR, NULL);
  g_autofree char *later = g_build_filename (data_dir, PLUGINS_DIR, ON_DEMAND_SUBDIR, NULL);
  g_autoptr (GHashTable) files = needed_files ();
  g_autoptr (GHashTable) on_demand = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  add_plugins_of_elements (on_demand, on_demand_elements, G_N_ELEMENTS (on_demand_elements));
  guint at_start = 0, when_decoding = 0;
  if (!sync_dir (dir, files, on_demand, FALSE, &at_start, error)
      || !sync_dir (later, files, on_demand, TRUE, &when_decoding, error))
    return FALSE;
  g_info ("recording workers load %u of %u GStreamer plugins, %u more when they decode (%s)",
          at_start, plugin_count (), when_decoding, dir);
  return TRUE;
}

/* Set by the operator: their registry or plugin path is theirs. */
static gboolean
gst_environment_set (void)
{
  static const char *const vars[] = { "GST_REGISTRY", "GST_REGISTRY_1_0", "GST_PLUGIN_SYSTEM_PATH",
                                      "GST_PLUGIN_SYSTEM_PATH_1_0" };
  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    if (g_getenv (vars[i]) != NULL)
      return TRUE;
  return FALSE;
}

gboolean
cr_worker_plugins_init (const char *data_dir, GError **error)
{
  g_autofree char *dir = g_build_filename (data_dir, PLUGINS_DIR, PLUGINS_SUBDIR, NULL);
  if (gst_environment_set () || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    return gst_init_check (NULL, NULL, error);
  g_autofree char *registry = g_build_filename (data_dir, PLUGINS_DIR, REGISTRY_FILE, NULL);
  /* Before any thread: GStreamer reads them in gst_init, and nothing the worker starts later
   * (the board's `cloudrec publish`, Chromium) may inherit them. */
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", dir, TRUE);
  g_setenv ("GST_REGISTRY_1_0", registry, TRUE);
  gboolean ok = gst_init_check (NULL, NULL, error);
  g_unsetenv ("GST_PLUGIN_SYSTEM_PATH_1_0");
  g_unsetenv ("GST_REGISTRY_1_0");
  if (ok) {
    widen_dir = g_steal_pointer (&dir);
    on_demand_dir = g_build_filename (data_dir, PLUGINS_DIR, ON_DEMAND_SUBDIR, NULL);
  }
  return ok;
}

void
cr_worker_plugins_load_decoders (void)
{
  if (on_demand_dir == NULL || decoders_loaded)
    return;
  decoders_loaded = TRUE;
  g_autoptr (GDir) d = g_dir_open (on_demand_dir, 0, NULL);
  const char *entry;
  while (d != NULL && (entry = g_dir_read_name (d)) != NULL) {
    g_autofree char *path = g_build_filename (on_demand_dir, entry, NULL);
    g_autoptr (GError) error = NULL;
    GstPlugin *plugin = gst_plugin_load_file (path, &error);
    if (plugin == NULL)
      g_warning ("GStreamer plugin %s: %s", path, error->message);
    else
      gst_object_unref (plugin);
  }
}

gboolean
cr_worker_plugins_widen (void)
{
  if (widen_dir == NULL || widened)
    return FALSE;
  if (!decoders_loaded) { /* first the decoders' plugins, which are meant to come late */
    cr_worker_plugins_load_decoders ();
    return TRUE;
  }
  widened = TRUE;
  g_autoptr (GHashTable) dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GDir) d = g_dir_open (widen_dir, 0, NULL);
  const char *entry;
  while (d != NULL && (entry = g_dir_read_name (d)) != NULL) {
    g_autofree char *link = g_build_filename (widen_dir, entry, NULL);
    char *real = realpath (link, NULL);
    if (real != NULL)
      g_hash_table_add (dirs, g_path_get_dirname (real));
    free (real);
  }
  gboolean added = FALSE;
  GHashTableIter it;
  gpointer path;
  g_hash_table_iter_init (&it, dirs);
  while (g_hash_table_iter_next (&it, &path, NULL))
    added |= gst_registry_scan_path (gst_registry_get (), path);
  g_warning ("an element is not in the worker's GStreamer plugins (%s): all of %u plugins loaded",
             widen_dir, plugin_count ());
  return added;
}
