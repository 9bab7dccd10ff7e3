/* See usage.h. */
#include "usage.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"

CrUsageClass
cr_usage_class (gboolean video, int width, int height)
{
  if (!video || width <= 0 || height <= 0)
    return CR_USAGE_AUDIO;
  gint64 px = (gint64)width * height;
  if (px <= 640 * 480)
    return CR_USAGE_SD;
  if (px <= 1280 * 720)
    return CR_USAGE_HD;
  if (px <= 1920 * 1080)
    return CR_USAGE_FULLHD;
  if (px <= 2560 * 1440)
    return CR_USAGE_2K;
  return CR_USAGE_4K;
}

const char *
cr_usage_class_key (CrUsageClass cls)
{
  static const char *const keys[] = { "Audio", "SD", "HD", "FullHD", "2K", "4K" };
  return (guint)cls < G_N_ELEMENTS (keys) ? keys[cls] : "Audio";
}

GHashTable *
cr_usage_acc_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static void
usage_acc_put (GHashTable *acc, gint64 bucket_ms, gboolean mixed, CrUsageClass cls, double s)
{
  g_autofree char *key
      = g_strdup_printf ("%" G_GINT64_FORMAT "/%d/%d", bucket_ms, mixed ? 1 : 0, (int)cls);
  CrUsageRow *row = g_hash_table_lookup (acc, key);
  if (row == NULL) {
    row = g_new0 (CrUsageRow, 1);
    row->bucket_ms = bucket_ms;
    row->mixed = mixed;
    row->cls = cls;
    g_hash_table_insert (acc, g_steal_pointer (&key), row);
  }
  row->seconds += s;
}

void
cr_usage_acc_add (GHashTable *acc, gint64 start_ms, double duration_s, gboolean mixed,
                  CrUsageClass cls)
{
  if (!(duration_s > 0) || start_ms < 0 || !isfinite (duration_s))
    return;
  gint64 end_ms = start_ms + (gint64)llround (duration_s * 1000.0);
  for (gint64 t = start_ms; t < end_ms;) {
    gint64 bucket = t - t % CR_USAGE_BUCKET_MS;
    gint64 until = MIN (end_ms, bucket + CR_USAGE_BUCKET_MS);
    usage_acc_put (acc, bucket, mixed, cls, (double)(until - t) / 1000.0);
    t = until;
  }
}

GPtrArray *
cr_usage_billed_rows (GHashTable *by_stream)
{
  g_autoptr (GHashTable) total = cr_usage_acc_new ();
  GHashTableIter streams, rows;
  gpointer acc, value;
  g_hash_table_iter_init (&streams, by_stream);
  while (g_hash_table_iter_next (&streams, NULL, &acc)) {
    g_autoptr (GHashTable) video_buckets = g_hash_table_new (g_int64_hash, g_int64_equal);
    g_hash_table_iter_init (&rows, acc);
    while (g_hash_table_iter_next (&rows, NULL, &value)) {
      CrUsageRow *r = value;
      if (r->cls != CR_USAGE_AUDIO)
        g_hash_table_add (video_buckets, &r->bucket_ms);
    }
    g_hash_table_iter_init (&rows, acc);
    while (g_hash_table_iter_next (&rows, NULL, &value)) {
      const CrUsageRow *r = value;
      if (r->cls != CR_USAGE_AUDIO || !g_hash_table_contains (video_buckets, &r->bucket_ms))
        usage_acc_put (total, r->bucket_ms, r->mixed, r->cls, r->seconds);
    }
  }
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&rows, total);
  while (g_hash_table_iter_next (&rows, NULL, &value))
    g_ptr_array_add (out, g_memdup2 (value, sizeof (CrUsageRow)));
  return out;
}

/* "YYYY-MM-DD" as the Unix ms of that UTC day's start, or -1. */
static gint64
usage_parse_day (const char *s)
{
  int y, m, d;
  char tail;
  if (s == NULL || strlen (s) != 10 || s[4] != '-' || s[7] != '-'
      || sscanf (s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
    return -1;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (s[i]))
      return -1;
  if (y < 1970 || y > 9999 || !g_date_valid_dmy ((GDateDay)d, (GDateMonth)m, (GDateYear)y))
    return -1;
  g_autoptr (GDateTime) dt = g_date_time_new_utc (y, m, d, 0, 0, 0);
  return dt != NULL ? g_date_time_to_unix (dt) * 1000 : -1;
}

gboolean
cr_usage_parse_range (const char *start, const char *end, const char *oversize_code,
                      gint64 *from_ms, gint64 *to_ms, gboolean *fine, GError **error)
{
  gint64 a = usage_parse_day (start), b = usage_parse_day (end);
  if (a < 0 || b < 0) {
    cr_api_error_set (error, "InvalidParameter", "%s must be a date YYYY-MM-DD, not \"%s\"",
                      a < 0 ? "StartTime" : "EndTime", a < 0 ? start : end);
    return FALSE;
  }
  if (b < a) {
    cr_api_error_set (error, "InvalidParameter", "EndTime %s is before StartTime %s", end, start);
    return FALSE;
  }
  gint64 days = (b - a) / (24 * 3600 * 1000) + 1;
  if (days > CR_USAGE_MAX_DAYS) {
    cr_api_error_set (error, oversize_code,
                      "StartTime %s to EndTime %s is %" G_GINT64_FORMAT
                      " days; one query covers at most %d",
                      start, end, days, CR_USAGE_MAX_DAYS);
    return FALSE;
  }
  *from_ms = a;
  *to_ms = b + 24 * 3600 * 1000;
  *fine = days == 1;
  return TRUE;
}

char *
cr_usage_report_body (guint64 sdk_app_id, const char *task_id, int failover, const GPtrArray *rows)
{
  g_autoptr (JsonObject) o = json_object_new ();
  json_object_set_int_member (o, "SdkAppId", (gint64)sdk_app_id);
  json_object_set_string_member (o, "TaskId", task_id);
  json_object_set_int_member (o, "Failover", failover);
  JsonArray *a = json_array_new ();
  for (guint i = 0; i < rows->len; i++) {
    const CrUsageRow *r = g_ptr_array_index (rows, i);
    JsonObject *row = json_object_new ();
    json_object_set_int_member (row, "BucketMs", r->bucket_ms);
    json_object_set_int_member (row, "Mixed", r->mixed ? 1 : 0);
    json_object_set_int_member (row, "Class", r->cls);
    json_object_set_double_member (row, "Seconds", r->seconds);
    json_array_add_object_element (a, row);
  }
  json_object_set_array_member (o, "Rows", a);
  return cr_json_object_to_string (o);
}
