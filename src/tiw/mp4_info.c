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
    if (memcmp (type, "moov", 4) == 0 || memcmp (type, "trak", 4) == 0) {
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
  memset (out, 0, sizeof *out);
  g_autoptr (GMappedFile) map = g_mapped_file_new (path, FALSE, error);
  if (map == NULL)
    return FALSE;
  gboolean have_duration = FALSE;
  out->size = (gint64)g_mapped_file_get_length (map);
  mp4_walk ((const guchar *)g_mapped_file_get_contents (map), g_mapped_file_get_length (map), out,
            &have_duration);
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
  memset (out, 0, sizeof *out);
  g_autoptr (GMappedFile) map = g_mapped_file_new (path, FALSE, error);
  if (map == NULL)
    return FALSE;
  const guchar *d = (const guchar *)g_mapped_file_get_contents (map);
  gsize len = g_mapped_file_get_length (map);
  out->size = (gint64)len;
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
