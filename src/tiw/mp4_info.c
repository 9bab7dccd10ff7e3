/* MP4 headers; see mp4_info.h. */
#include "mp4_info.h"

#include <gio/gio.h>
#include <string.h>

static guint32
be32 (const guchar *p)
{
  return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

static guint64
be64 (const guchar *p)
{
  return ((guint64)be32 (p) << 32) | be32 (p + 4);
}

/* @path mapped for a reader: @out zeroed but for its size, the contents in @data and @len; NULL
 * with @error when it cannot be read. */
static GMappedFile *
map_file (const char *path, CrMp4Info *out, const guchar **data, gsize *len, GError **error)
{
  memset (out, 0, sizeof *out);
  GMappedFile *map = g_mapped_file_new (path, FALSE, error);
  if (map == NULL)
    return NULL;
  *data = (const guchar *)g_mapped_file_get_contents (map);
  *len = g_mapped_file_get_length (map);
  out->size = (gint64)*len;
  return map;
}

/* Walks the boxes of @data[0..len), descending into moov and trak. */
static void
mp4_walk (const guchar *data, gsize len, CrMp4Info *out, gboolean *have_duration)
{
  gsize at = 0;
  while (at + 8 <= len) {
    guint64 size = be32 (data + at);
    gsize head = 8;
    if (size == 1 && at + 16 <= len) {
      size = be64 (data + at + 8);
      head = 16;
    } else if (size == 0) {
      size = len - at;
    }
    if (size < head || size > len - at)
      return;
    const guchar *type = data + at + 4;
    const guchar *body = data + at + head;
    gsize body_len = size - head;
    if (memcmp (type, "moov", 4) == 0 || memcmp (type, "trak", 4) == 0
        || memcmp (type, "mdia", 4) == 0) {
      mp4_walk (body, body_len, out, have_duration);
    } else if (memcmp (type, "mvhd", 4) == 0 && body_len >= 32 && !*have_duration) {
      guint64 timescale, duration;
      if (body[0] == 1) {
        timescale = be32 (body + 20);
        duration = be64 (body + 24);
      } else {
        timescale = be32 (body + 12);
        duration = be32 (body + 16);
      }
      if (timescale > 0) {
        out->duration_ms = (gint64)(duration * 1000 / timescale);
        *have_duration = TRUE;
      }
    } else if (memcmp (type, "hdlr", 4) == 0 && body_len >= 12) {
      out->has_audio = out->has_audio || memcmp (body + 8, "soun", 4) == 0;
    } else if (memcmp (type, "tkhd", 4) == 0 && out->width == 0) {
      gsize off = body[0] == 1 ? 88 : 76; /* width, height: 16.16 at the end */
      if (body_len >= off + 8) {
        out->width = (int)(be32 (body + off) >> 16);
        out->height = (int)(be32 (body + off + 4) >> 16);
      }
    }
    at += size;
  }
}

gboolean
cr_mp4_info_read (const char *path, CrMp4Info *out, GError **error)
{
  const guchar *d;
  gsize len;
  g_autoptr (GMappedFile) map = map_file (path, out, &d, &len, error);
  if (map == NULL)
    return FALSE;
  gboolean have_duration = FALSE;
  mp4_walk (d, len, out, &have_duration);
  if (!have_duration) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s has no movie header", path);
    return FALSE;
  }
  return TRUE;
}

gboolean
cr_adts_info_read (const char *path, CrMp4Info *out, GError **error)
{
  static const int rates[]
      = { 96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350 };
  const guchar *d;
  gsize len;
  g_autoptr (GMappedFile) map = map_file (path, out, &d, &len, error);
  if (map == NULL)
    return FALSE;
  out->has_audio = TRUE;
  guint64 samples = 0;
  int rate = 0;
  gsize at = 0;
  while (at + 7 <= len) {
    if (d[at] != 0xFF || (d[at + 1] & 0xF0) != 0xF0)
      break;
    guint index = (d[at + 2] >> 2) & 0x0F;
    gsize frame = ((gsize)(d[at + 3] & 0x03) << 11) | ((gsize)d[at + 4] << 3) | (d[at + 5] >> 5);
    if (index >= G_N_ELEMENTS (rates) || frame < 7)
      break;
    rate = rates[index];
    samples += 1024 * ((d[at + 6] & 0x03) + 1);
    at += frame;
  }
  if (rate == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s has no ADTS frame", path);
    return FALSE;
  }
  out->duration_ms = (gint64)(samples * 1000 / (guint64)rate);
  return TRUE;
}

/* Whether the 4 bytes of @tag are somewhere in @p[0..n). */
static gboolean
has_tag (const guchar *p, gsize n, const char *tag)
{
  for (gsize i = 0; i + 4 <= n; i++) {
    if (memcmp (p + i, tag, 4) == 0)
      return TRUE;
  }
  return FALSE;
}

/* The frame at @d (@len bytes left): its byte length, samples and rate; FALSE if it is none. */
static gboolean
mp3_frame (const guchar *d, gsize len, gsize *bytes, guint *samples, guint *rate)
{
  static const guint kbps[2][15]
      = { { 0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320 },
          { 0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160 } };
  static const guint rates[3] = { 44100, 48000, 32000 };
  if (len < 4 || d[0] != 0xFF || (d[1] & 0xE0) != 0xE0)
    return FALSE;
  guint version = (d[1] >> 3) & 0x03; /* 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5 */
  guint layer = (d[1] >> 1) & 0x03;   /* 1: Layer III */
  guint bitrate = d[2] >> 4, rate_index = (d[2] >> 2) & 0x03, padding = (d[2] >> 1) & 0x01;
  if (version == 1 || layer != 1 || bitrate == 0 || bitrate == 15 || rate_index == 3)
    return FALSE;
  gboolean mpeg1 = version == 3;
  *rate = rates[rate_index] >> (mpeg1 ? 0 : version == 2 ? 1 : 2);
  *samples = mpeg1 ? 1152 : 576;
  *bytes = (gsize)(*samples / 8) * kbps[mpeg1 ? 0 : 1][bitrate] * 1000 / *rate + padding;
  return *bytes >= 4;
}

gboolean
cr_mp3_info_read (const char *path, CrMp4Info *out, GError **error)
{
  const guchar *d;
  gsize len;
  g_autoptr (GMappedFile) map = map_file (path, out, &d, &len, error);
  if (map == NULL)
    return FALSE;
  out->has_audio = TRUE;
  if (d == NULL || len == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is empty", path);
    return FALSE;
  }
  gsize at = 0;
  if (len >= 10 && memcmp (d, "ID3", 3) == 0) /* an ID3v2 tag: its syncsafe size, a footer */
    at = 10
         + (((gsize)d[6] & 0x7F) << 21 | ((gsize)d[7] & 0x7F) << 14 | ((gsize)d[8] & 0x7F) << 7
            | ((gsize)d[9] & 0x7F))
         + ((d[5] & 0x10) != 0 ? 10 : 0);
  guint64 samples = 0;
  guint rate = 0;
  gboolean first = TRUE;
  gsize bytes;
  guint frame_samples, frame_rate;
  while (at < len && mp3_frame (d + at, len - at, &bytes, &frame_samples, &frame_rate)) {
    if (at + bytes > len)
      break; /* a cut last frame */
    /* LAME's first frame is a Xing/Info header, not sound */
    gboolean info_frame = first
                          && (has_tag (d + at, MIN (bytes, 64), "Xing")
                              || has_tag (d + at, MIN (bytes, 64), "Info"));
    if (!info_frame)
      samples += frame_samples;
    rate = frame_rate;
    first = FALSE;
    at += bytes;
  }
  if (rate == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s has no MP3 frame", path);
    return FALSE;
  }
  out->duration_ms = (gint64)(samples * 1000 / rate);
  return TRUE;
}
