/* The stderr log writer: see log.h. */
#include "log.h"

#include <stdio.h>

#include <json-glib/json-glib.h>

static GLogLevelFlags log_threshold = G_LOG_LEVEL_INFO;
static gboolean log_json;

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

/* {"time":...,"level":...,"domain":...,"message":...}: strings made valid UTF-8 first (the
 * generator escapes quotes and control characters). */
static char *
log_json_line (const char *ts, const char *level, const char *domain, const char *message)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  const char *const pairs[][2]
      = { { "time", ts }, { "level", level }, { "domain", domain }, { "message", message } };
  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++) {
    g_autofree char *valid = g_utf8_make_valid (pairs[i][1], -1);
    json_builder_set_member_name (b, pairs[i][0]);
    json_builder_add_string_value (b, valid);
  }
  json_builder_end_object (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
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
  if (log_json) {
    /* One object per line, whatever the message holds (quotes, newlines, bytes that are not
     * UTF-8 are escaped or replaced), so a log shipper never splits or drops a line. */
    g_autofree char *line
        = log_json_line (ts, log_level_name (level), domain != NULL ? domain : "cloudrec",
                         message != NULL ? message : "");
    fprintf (stderr, "%s\n", line);
    return G_LOG_WRITER_HANDLED;
  }
  fprintf (stderr, "%s %s %s: %s\n", ts, log_level_name (level),
           domain != NULL ? domain : "cloudrec", message != NULL ? message : "");
  return G_LOG_WRITER_HANDLED;
}

void
cr_log_set_json (gboolean json)
{
  log_json = json;
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
