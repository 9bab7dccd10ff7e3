/* The HLS playlist: every TRTC tag in order, one FILE-ATTR per segment, a discontinuity after a
 * gap, ENDLIST only at the end; the durable replace leaves no temp file and survives rewrites. */
#include <glib/gstdio.h>

#include "files/playlist.h"

static void
test_render (void)
{
  g_autoptr (CrPlaylist) pl = cr_playlist_new ("alice", "main", FALSE, 1, 1768908632574);
  pl->video_width = 640;
  pl->video_height = 360;
  cr_playlist_add (pl, "a_20260120113032574.ts", 1768908632574, 10.0, 123456, FALSE);
  cr_playlist_add (pl, "a_20260120113042574.ts", 1768908642574, 7.52, 99000, FALSE);
  cr_playlist_add (pl, "a_20260120113105000.ts", 1768908665000, 4.0, 4000, TRUE);
  g_autofree char *open = cr_playlist_render (pl);
  g_assert_cmpstr (open, ==,
                   "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-ALLOW-CACHE:NO\n#EXT-X-MEDIA-SEQUENCE:0\n"
                   "#EXT-X-TARGETDURATION:10\n#EXT-X-TRTC-VERSION:0x1\n"
                   "#EXT-X-TRTC-DATE:2026-01-20 19:30:32 +0800\n"
                   "#EXT-X-TRTC-START-REC-TIME:1768908632574\n#EXT-X-TRTC-MEDIA-ID:main\n"
                   "#EXT-X-TRTC-USER-ID:alice\n#EXT-X-TRTC-MIX-STREAM:0\n"
                   "#EXT-X-TRTC-STREAM-TYPE:1\n"
                   "#EXT-X-TRTC-VIDEO-METADATA:WIDTH:640 HEIGHT:360 Codec:27\n"
                   "#EXT-X-TRTC-FILE-ATTR:1768908632574,123456\n#EXTINF:10.000,\n"
                   "a_20260120113032574.ts\n"
                   "#EXT-X-TRTC-FILE-ATTR:1768908642574,99000\n#EXTINF:7.520,\n"
                   "a_20260120113042574.ts\n#EXT-X-DISCONTINUITY\n"
                   "#EXT-X-TRTC-FILE-ATTR:1768908665000,4000\n#EXTINF:4.000,\n"
                   "a_20260120113105000.ts\n");
  pl->ended = TRUE;
  g_autofree char *closed = cr_playlist_render (pl);
  g_assert_true (g_str_has_suffix (closed, "a_20260120113105000.ts\n#EXT-X-ENDLIST\n"));

  g_autoptr (CrPlaylist) mixed = cr_playlist_new (NULL, NULL, TRUE, 1, 0);
  mixed->audio_channels = 2;
  mixed->audio_rate = 48000;
  g_autofree char *m = cr_playlist_render (mixed);
  g_assert_nonnull (strstr (m, "#EXT-X-TARGETDURATION:0\n"));
  g_assert_nonnull (strstr (m, "#EXT-X-TRTC-MIX-STREAM:1\n"));
  g_assert_nonnull (strstr (m, "#EXT-X-TRTC-AUDIO-METADATA:Channel:2 SampleRate:48000 "
                               "SampleFormat:1 Codec:86018\n"));
  g_assert_null (strstr (m, "USER-ID"));
  g_assert_null (strstr (m, "MEDIA-ID"));
}

static void
test_replace_durably (void)
{
  g_autofree char *dir = g_dir_make_tmp ("playlist-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "x.m3u8", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (cr_file_replace_durably (path, "one\n", 4, &error));
  g_assert_true (cr_file_replace_durably (path, "two lines\n", 10, &error));
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "two lines\n");
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  g_autofree char *bad = g_build_filename (dir, "missing", "x.m3u8", NULL);
  g_assert_false (cr_file_replace_durably (bad, "x", 1, &error));
  g_assert_nonnull (strstr (error->message, "cannot write"));
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/playlist/render", test_render);
  g_test_add_func ("/playlist/replace-durably", test_replace_durably);
  return g_test_run ();
}
