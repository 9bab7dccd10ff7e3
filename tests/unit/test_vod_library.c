/* The VOD library on disk (vod_library.h): commits (MP4 and HLS with its segments), metadata,
 * lookups, expiry and the sweeper, and the inputs it refuses. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vod/vod_library.h"
#include "vod/vod_url.h"

typedef struct {
  char *tmp;
  char *src;
  CrVodLibrary *lib;
} Fixture;

static void
put (const char *dir, const char *name, const char *text)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (p, text, -1, NULL));
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->tmp = g_dir_make_tmp ("vodlib-XXXXXX", NULL);
  g_assert_nonnull (f->tmp);
  f->src = g_build_filename (f->tmp, "src", NULL);
  g_assert_cmpint (g_mkdir (f->src, 0700), ==, 0);
  g_autofree char *root = g_build_filename (f->tmp, "vod", NULL);
  g_autoptr (GError) error = NULL;
  f->lib = cr_vod_library_open (root, "TestKey123", "http://h:1/", 600, &error);
  g_assert_no_error (error);
}

static void
rm_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  for (const char *n; d != NULL && (n = g_dir_read_name (d)) != NULL;) {
    g_autofree char *p = g_build_filename (dir, n, NULL);
    if (g_file_test (p, G_FILE_TEST_IS_DIR) && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
      rm_tree (p);
    else
      g_unlink (p);
  }
  g_rmdir (dir);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  cr_vod_library_free (f->lib);
  rm_tree (f->tmp);
  g_free (f->tmp);
  g_free (f->src);
}

static void
test_commit_mp4 (Fixture *f, gconstpointer data)
{
  put (f->src, "a.mp4", "0123456789");
  g_autofree char *path = g_build_filename (f->src, "a.mp4", NULL);
  CrVodCommit in = { .sdk_app_id = 1400000001,
                     .task_id = "T1",
                     .source_path = path,
                     .kind = CR_VOD_KIND_MP4,
                     .name = "rec.mp4",
                     .procedure = "p",
                     .session_context = "sc",
                     .user_define_record_id = "rid",
                     .user_id = "u",
                     .track_type = "audio_video",
                     .media_id = "main" };
  g_auto (CrVodEntry) e = { 0 };
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_vod_library_commit (f->lib, &in, &e, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (e.file_id), ==, 19);
  g_assert_true (cr_vod_file_id_valid (e.file_id));
  g_assert_cmpstr (e.name, ==, "rid__UserDefine_u_rec.mp4");
  g_assert_cmpint (e.size, ==, 10);
  g_assert_cmpint (e.expire_at_s, ==, 0);
  g_autofree char *prefix
      = g_strdup_printf ("http://h:1/vod/%s/rid__UserDefine_u_rec.mp4?t=", e.file_id);
  g_assert_true (g_str_has_prefix (e.video_url, prefix));
  /* The library has its own copy: the source rewritten in place (same inode) or removed does not
   * touch it. */
  FILE *fp = fopen (path, "w");
  g_assert_nonnull (fp);
  fputs ("zz", fp);
  fclose (fp);
  g_unlink (path);
  g_auto (CrVodEntry) got = { 0 };
  g_assert_true (
      cr_vod_library_lookup (f->lib, e.file_id, g_get_real_time () / G_USEC_PER_SEC, &got, &error));
  g_assert_cmpstr (got.task_id, ==, "T1");
  g_assert_cmpuint (got.sdk_app_id, ==, 1400000001);
  g_assert_cmpstr (got.procedure, ==, "p");
  g_assert_cmpstr (got.session_context, ==, "sc");
  g_assert_cmpstr (got.media_id, ==, "main");
  const char *files[] = { "rid__UserDefine_u_rec.mp4", NULL };
  g_assert_cmpstrv (got.files, files);
  g_autofree char *stored = cr_vod_library_file_path (f->lib, e.file_id, got.name);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (stored, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "0123456789");
  /* Nothing temporary is left next to the entries. */
  g_autoptr (GDir) d = g_dir_open (cr_vod_library_root (f->lib), 0, NULL);
  const char *only = g_dir_read_name (d);
  g_assert_cmpstr (only, ==, e.file_id);
  g_assert_null (g_dir_read_name (d));
  /* Unknown ids are not found. */
  g_auto (CrVodEntry) none = { 0 };
  g_assert_false (cr_vod_library_lookup (f->lib, "5000000000000000000", 0, &none, NULL));
  g_assert_false (cr_vod_library_lookup (f->lib, "..", 0, &none, NULL));
}

static void
test_commit_hls (Fixture *f, gconstpointer data)
{
  put (f->src, "p.m3u8",
       "#EXTM3U\n#EXTINF:1,\nseg_0.ts\n#EXTINF:1,\nseg_1.ts\n#EXTINF:1,\nseg_0.ts\n"
       "#EXT-X-ENDLIST\n");
  put (f->src, "seg_0.ts", "AAAA");
  put (f->src, "seg_1.ts", "BB");
  put (f->src, "unlisted.ts", "C");
  g_autofree char *path = g_build_filename (f->src, "p.m3u8", NULL);
  CrVodCommit in
      = { .source_path = path, .kind = CR_VOD_KIND_HLS, .name = "rec.m3u8", .expire_time_s = 100 };
  g_auto (CrVodEntry) e = { 0 };
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_vod_library_commit (f->lib, &in, &e, &error));
  const char *files[] = { "rec.m3u8", "seg_0.ts", "seg_1.ts", NULL };
  g_assert_cmpstrv (e.files, files);
  g_autofree char *unlisted = cr_vod_library_file_path (f->lib, e.file_id, "unlisted.ts");
  g_assert_false (g_file_test (unlisted, G_FILE_TEST_EXISTS));
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_assert_cmpint (e.expire_at_s, >=, now + 99);
  /* Expired: not found at once, and the sweeper removes it; before, neither. */
  g_auto (CrVodEntry) got = { 0 };
  g_assert_true (cr_vod_library_lookup (f->lib, e.file_id, e.expire_at_s - 1, &got, NULL));
  g_assert_cmpuint (cr_vod_library_sweep (f->lib, e.expire_at_s - 1), ==, 0);
  g_auto (CrVodEntry) gone = { 0 };
  g_assert_false (cr_vod_library_lookup (f->lib, e.file_id, e.expire_at_s, &gone, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpuint (cr_vod_library_sweep (f->lib, e.expire_at_s), ==, 1);
  g_autofree char *dir = g_build_filename (cr_vod_library_root (f->lib), e.file_id, NULL);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}

static void
test_refusals (Fixture *f, gconstpointer data)
{
  put (f->src, "a.mp4", "x");
  put (f->src, "bad.m3u8", "#EXTM3U\n#EXTINF:1,\n.hidden.ts\n");
  put (f->src, "missing.m3u8", "#EXTM3U\n#EXTINF:1,\nnot_there.ts\n");
  g_autofree char *mp4 = g_build_filename (f->src, "a.mp4", NULL);
  g_autofree char *link = g_build_filename (f->src, "link.mp4", NULL);
  g_assert_cmpint (symlink ("/etc/passwd", link), ==, 0);
  g_autofree char *bad = g_build_filename (f->src, "bad.m3u8", NULL);
  g_autofree char *missing = g_build_filename (f->src, "missing.m3u8", NULL);
  struct {
    const char *path, *name, *record_id;
    CrVodKind kind;
  } cases[] = {
    { "a.mp4", "x.mp4", NULL, CR_VOD_KIND_MP4 },  /* relative */
    { mp4, "../x.mp4", NULL, CR_VOD_KIND_MP4 },   /* name */
    { mp4, "meta.json", NULL, CR_VOD_KIND_MP4 },  /* name */
    { mp4, "x.mp4", "a/b", CR_VOD_KIND_MP4 },     /* record id */
    { link, "x.mp4", NULL, CR_VOD_KIND_MP4 },     /* symlink */
    { f->src, "x.mp4", NULL, CR_VOD_KIND_MP4 },   /* a directory */
    { bad, "x.m3u8", NULL, CR_VOD_KIND_HLS },     /* segment name */
    { missing, "x.m3u8", NULL, CR_VOD_KIND_HLS }, /* missing segment */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    CrVodCommit in = { .source_path = cases[i].path,
                       .kind = cases[i].kind,
                       .name = cases[i].name,
                       .user_define_record_id = cases[i].record_id };
    g_auto (CrVodEntry) e = { 0 };
    g_autoptr (GError) error = NULL;
    g_assert_false (cr_vod_library_commit (f->lib, &in, &e, &error));
    g_assert_nonnull (error);
  }
  /* Failed commits leave nothing behind. */
  g_autoptr (GDir) d = g_dir_open (cr_vod_library_root (f->lib), 0, NULL);
  g_assert_null (g_dir_read_name (d));
}

static void
test_key_load (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("vodkey-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (tmp, "vod-url.key", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *k1 = cr_vod_key_load ("", path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (k1), ==, 32);
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_autofree char *k2 = cr_vod_key_load (NULL, path, &error);
  g_assert_cmpstr (k1, ==, k2);
  g_autofree char *k3 = cr_vod_key_load ("Configured1", path, &error);
  g_assert_cmpstr (k3, ==, "Configured1");
  g_assert_null (cr_vod_key_load ("short", path, &error));
  g_assert_nonnull (error);
  g_unlink (path);
  g_rmdir (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/vod_library/commit_mp4", Fixture, NULL, setup, test_commit_mp4, teardown);
  g_test_add ("/vod_library/commit_hls", Fixture, NULL, setup, test_commit_hls, teardown);
  g_test_add ("/vod_library/refusals", Fixture, NULL, setup, test_refusals, teardown);
  g_test_add_func ("/vod_library/key_load", test_key_load);
  return g_test_run ();
}
