/* A task's local files for the console; see console_files.h. */
#include "console_files.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

gboolean
cr_console_file_name_ok (const char *name)
{
  return name != NULL && name[0] != '\0' && name[0] != '.' && strchr (name, '/') == NULL
         && strlen (name) < 256 && g_utf8_validate (name, -1, NULL);
}

static gboolean
path_inside (const char *storage_dir, const char *path)
{
  g_autofree char *root = realpath (storage_dir, NULL);
  g_autofree char *real = realpath (path, NULL);
  g_autofree char *prefix = root != NULL ? g_strconcat (root, "/", NULL) : NULL;
  return real != NULL && prefix != NULL && g_str_has_prefix (real, prefix);
}

char *
cr_console_file_path (const char *storage_dir, const char *dir, const char *name)
{
  if (!cr_console_file_name_ok (name))
    return NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;
  if (g_lstat (path, &st) != 0 || !S_ISREG (st.st_mode) || !path_inside (storage_dir, path))
    return NULL;
  return g_steal_pointer (&path);
}

static guint64
be (const guchar *p, int n)
{
  guint64 v = 0;
  for (int i = 0; i < n; i++)
    v = (v << 8) | p[i];
  return v;
}

/* Finds box @type among the boxes from @start to @end of @f; its payload's offset and end. */
static gboolean
mp4_find (FILE *f, gint64 start, gint64 end, const char *type, gint64 *payload, gint64 *box_end)
{
  gint64 at = start;
  while (at + 8 <= end) {
    guchar h[16];
    if (fseeko (f, at, SEEK_SET) != 0 || fread (h, 1, 8, f) != 8)
      return FALSE;
    gint64 size = (gint64)be (h, 4), header = 8;
    if (size == 1) {
      if (fread (h + 8, 1, 8, f) != 8)
        return FALSE;
      size = (gint64)be (h + 8, 8);
      header = 16;
    } else if (size == 0) {
      size = end - at;
    }
    if (size < header || at + size > end)
      return FALSE;
    if (memcmp (h + 4, type, 4) == 0) {
      *payload = at + header;
      *box_end = at + size;
      return TRUE;
    }
    at += size;
  }
  return FALSE;
}

static gint64
mp4_duration_ms (const char *path)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    return -1;
  gint64 result = -1, moov = 0, moov_end = 0, mvhd = 0, mvhd_end = 0;
  guchar b[32];
  if (fseeko (f, 0, SEEK_END) == 0) {
    gint64 size = ftello (f);
    if (mp4_find (f, 0, size, "moov", &moov, &moov_end)
        && mp4_find (f, moov, moov_end, "mvhd", &mvhd, &mvhd_end) && fseeko (f, mvhd, SEEK_SET) == 0
        && fread (b, 1, 32, f) == 32) {
      guint64 scale = b[0] == 1 ? be (b + 20, 4) : be (b + 12, 4);
      guint64 dur = b[0] == 1 ? be (b + 24, 8) : be (b + 16, 4);
      if (scale > 0)
        result = (gint64)(dur * 1000 / scale);
    }
  }
  fclose (f);
  return result;
}

static gint64
m3u8_duration_ms (const char *path)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  double total = 0;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l != NULL; l++) {
    if (g_str_has_prefix (*l, "#EXTINF:"))
      total += g_ascii_strtod (*l + strlen ("#EXTINF:"), NULL);
  }
  return (gint64)(total * 1000 + 0.5);
}

gint64
cr_console_file_duration_ms (const char *path)
{
  if (g_str_has_suffix (path, ".mp4"))
    return mp4_duration_ms (path);
  if (g_str_has_suffix (path, ".m3u8"))
    return m3u8_duration_ms (path);
  return -1;
}

static gint
by_name (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

JsonArray *
cr_console_files_list (const char *storage_dir, const char *dir)
{
  JsonArray *list = json_array_new ();
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  if (d == NULL || !path_inside (storage_dir, dir))
    return list;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (const char *n = g_dir_read_name (d); n != NULL; n = g_dir_read_name (d))
    g_ptr_array_add (names, g_strdup (n));
  g_ptr_array_sort (names, by_name);
  for (guint i = 0; i < names->len; i++) {
    const char *name = g_ptr_array_index (names, i);
    g_autofree char *path = cr_console_file_path (storage_dir, dir, name);
    GStatBuf st;
    if (path == NULL || g_stat (path, &st) != 0)
      continue;
    JsonObject *o = json_object_new ();
    json_object_set_string_member (o, "Name", name);
    json_object_set_int_member (o, "Size", st.st_size);
    json_object_set_int_member (o, "Duration", cr_console_file_duration_ms (path));
    json_array_add_object_element (list, o);
  }
  return list;
}
