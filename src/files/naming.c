/* TRTC's recording names; see naming.h and reference §10. */
#include "naming.h"

#include <string.h>

#include "common/b64.h"

char *
cr_naming_dir (const CrNamingTask *task)
{
  GString *out = g_string_new (NULL);
  for (const char *const *p = task->prefix; p != NULL && *p != NULL; p++)
    g_string_append_printf (out, "%s/", *p);
  g_string_append_printf (out, "%s/", task->task_id);
  return g_string_free (out, FALSE);
}

static void
append_head (GString *out, const CrNamingTask *task)
{
  if (task->failover > 0)
    g_string_append_printf (out, "ha%d_", task->failover);
  g_string_append_printf (out, "%" G_GUINT64_FORMAT "_", task->sdk_app_id);
  if (task->string_room) {
    g_autofree char *room
        = cr_b64_filename_encode ((const guchar *)task->room_id, strlen (task->room_id));
    g_string_append (out, room);
  } else {
    g_string_append (out, task->room_id);
  }
}

char *
cr_naming_single_stem (const CrNamingTask *task, const char *user_id, gboolean aux)
{
  GString *out = g_string_new (NULL);
  append_head (out, task);
  g_autofree char *user = cr_b64_filename_encode ((const guchar *)user_id, strlen (user_id));
  g_string_append_printf (out, "__UserId_s_%s__UserId_e_%s", user, aux ? "aux" : "main");
  return g_string_free (out, FALSE);
}

char *
cr_naming_mixed_stem (const CrNamingTask *task)
{
  GString *out = g_string_new (NULL);
  append_head (out, task);
  return g_string_free (out, FALSE);
}

static const char *
type_suffix (int type)
{
  return type == CR_TRACK_AUDIO ? "_audio" : type == CR_TRACK_VIDEO ? "_video" : "";
}

char *
cr_naming_m3u8 (const char *stem, int type)
{
  return g_strdup_printf ("%s%s.m3u8", stem, type_suffix (type));
}

char *
cr_naming_utc_stamp (gint64 unix_ms)
{
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (unix_ms / 1000);
  g_autofree char *head = g_date_time_format (t, "%Y%m%d%H%M%S");
  return g_strdup_printf ("%s%03d", head, (int)(unix_ms % 1000));
}

char *
cr_naming_ts (const char *stem, int type, gint64 start_ms)
{
  g_autofree char *stamp = cr_naming_utc_stamp (start_ms);
  return g_strdup_printf ("%s%s_%s.ts", stem, type_suffix (type), stamp);
}

static char *
numbered (const char *stem, int index, const char *ext)
{
  return index > 0 ? g_strdup_printf ("%s_%d.%s", stem, index, ext)
                   : g_strdup_printf ("%s.%s", stem, ext);
}

char *
cr_naming_mp4 (const char *stem, int index)
{
  return numbered (stem, index, "mp4");
}

char *
cr_naming_aac (const char *stem, int index)
{
  return numbered (stem, index, "aac");
}
