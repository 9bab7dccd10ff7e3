/* HLS playlists with TRTC tags, replaced atomically; see playlist.h. */
#include "playlist.h"

#include <math.h>

#define TRTC_VERSION_TAG "0x1" /* cloudrec's writer; real TRTC files carry their own hex */

static void
segment_free (CrSegment *s)
{
  g_free (s->uri);
  g_free (s);
}

CrPlaylist *
cr_playlist_new (const char *user_id, const char *media_id, gboolean mixed, int stream_type,
                 gint64 start_rec_ms)
{
  CrPlaylist *pl = g_new0 (CrPlaylist, 1);
  pl->user_id = g_strdup (user_id);
  pl->media_id = g_strdup (media_id);
  pl->mixed = mixed;
  pl->stream_type = stream_type;
  pl->start_rec_ms = start_rec_ms;
  pl->segments = g_ptr_array_new_with_free_func ((GDestroyNotify)segment_free);
  return pl;
}

void
cr_playlist_free (CrPlaylist *pl)
{
  if (pl == NULL)
    return;
  g_free (pl->user_id);
  g_free (pl->media_id);
  g_ptr_array_unref (pl->segments);
  g_free (pl);
}

void
cr_playlist_add (CrPlaylist *pl, const char *uri, gint64 start_ms, double duration_s, guint64 bytes,
                 gboolean discontinuity)
{
  CrSegment *s = g_new0 (CrSegment, 1);
  s->uri = g_strdup (uri);
  s->start_ms = start_ms;
  s->duration_s = duration_s;
  s->bytes = bytes;
  s->discontinuity = discontinuity;
  g_ptr_array_add (pl->segments, s);
}

char *
cr_playlist_render (const CrPlaylist *pl)
{
  double longest = 0;
  for (guint i = 0; i < pl->segments->len; i++)
    longest = MAX (longest, ((CrSegment *)g_ptr_array_index (pl->segments, i))->duration_s);
  GString *out = g_string_new ("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-ALLOW-CACHE:NO\n"
                               "#EXT-X-MEDIA-SEQUENCE:0\n");
  g_string_append_printf (out, "#EXT-X-TARGETDURATION:%d\n", (int)ceil (longest));
  /* TRTC writes the date in China time (UTC+8), the start time in Unix ms. */
  g_autoptr (GTimeZone) cst = g_time_zone_new_offset (8 * 3600);
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (pl->start_rec_ms / 1000);
  g_autoptr (GDateTime) local = g_date_time_to_timezone (utc, cst);
  g_autofree char *date = g_date_time_format (local, "%Y-%m-%d %H:%M:%S +0800");
  g_string_append_printf (out, "#EXT-X-TRTC-VERSION:%s\n#EXT-X-TRTC-DATE:%s\n", TRTC_VERSION_TAG,
                          date);
  g_string_append_printf (out, "#EXT-X-TRTC-START-REC-TIME:%" G_GINT64_FORMAT "\n",
                          pl->start_rec_ms);
  if (pl->media_id != NULL)
    g_string_append_printf (out, "#EXT-X-TRTC-MEDIA-ID:%s\n", pl->media_id);
  if (pl->user_id != NULL)
    g_string_append_printf (out, "#EXT-X-TRTC-USER-ID:%s\n", pl->user_id);
  g_string_append_printf (out, "#EXT-X-TRTC-MIX-STREAM:%d\n", pl->mixed ? 1 : 0);
  if (pl->stream_type >= 0) /* not for audio and video together */
    g_string_append_printf (out, "#EXT-X-TRTC-STREAM-TYPE:%d\n", pl->stream_type);
  /* Codec numbers as TRTC writes them (FFmpeg's AVCodecID: 86018 AAC, 27 H.264). */
  if (pl->audio_rate > 0)
    g_string_append_printf (out,
                            "#EXT-X-TRTC-AUDIO-METADATA:Channel:%d SampleRate:%d SampleFormat:1 "
                            "Codec:86018\n",
                            pl->audio_channels, pl->audio_rate);
  if (pl->video_width > 0)
    g_string_append_printf (out, "#EXT-X-TRTC-VIDEO-METADATA:WIDTH:%d HEIGHT:%d Codec:27\n",
                            pl->video_width, pl->video_height);
  for (guint i = 0; i < pl->segments->len; i++) {
    const CrSegment *s = g_ptr_array_index (pl->segments, i);
    if (s->discontinuity && i > 0)
      g_string_append (out, "#EXT-X-DISCONTINUITY\n");
    g_string_append_printf (out,
                            "#EXT-X-TRTC-FILE-ATTR:%" G_GINT64_FORMAT ",%" G_GUINT64_FORMAT
                            "\n#EXTINF:%.3f,\n%s\n",
                            s->start_ms, s->bytes, s->duration_s, s->uri);
  }
  if (pl->ended)
    g_string_append (out, "#EXT-X-ENDLIST\n");
  return g_string_free (out, FALSE);
}
