/* The stderr log writer: see log.h. */
#include "log.h"

#include <stdio.h>

static GLogLevelFlags log_threshold = G_LOG_LEVEL_INFO;

static const char *
log_level_name (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "ERROR";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "CRITICAL";
  if (level & G_LOG_LEVEL_WARNING)
    return "WARNING";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "MESSAGE";
  if (level & G_LOG_LEVEL_INFO)
    return "INFO";
  return "DEBUG";
}

static GLogWriterOutput
log_write (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  /* Lower numeric value = more severe in GLib's flags. */
  if ((level & G_LOG_LEVEL_MASK) > log_threshold)
    return G_LOG_WRITER_HANDLED;
  const char *domain = NULL, *message = NULL;
  for (gsize i = 0; i < n_fields; i++) {
    if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
      domain = fields[i].value;
    else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
      message = fields[i].value;
  }
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *ts = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  fprintf (stderr, "%s %s %s: %s\n", ts, log_level_name (level),
           domain != NULL ? domain : "cloudrec", message != NULL ? message : "");
  return G_LOG_WRITER_HANDLED;
}

void
cr_log_init (const char *level)
{
  if (g_strcmp0 (level, "error") == 0)
    log_threshold = G_LOG_LEVEL_CRITICAL;
  else if (g_strcmp0 (level, "warning") == 0)
    log_threshold = G_LOG_LEVEL_WARNING;
  else if (g_strcmp0 (level, "debug") == 0)
    log_threshold = G_LOG_LEVEL_DEBUG;
  else
    log_threshold = G_LOG_LEVEL_INFO;
  g_log_set_writer_func (log_write, NULL, NULL);
}
