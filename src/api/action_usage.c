/* DescribeRecordStatistic and DescribeRecordingUsage: the recorded media the usage store holds
 * (usage/usage.h), as TRTC reports it: 5-minute points for a one-day query, daily ones
 * otherwise, every point of the span present (zero where nothing was recorded). Days are UTC. */
#include "actions.h"

#include <math.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "usage/usage_store.h"

#define DAY_MS (24 * 3600 * 1000)

typedef struct {
  gint64 from_ms, to_ms, step_ms;
  guint n_points;
  double *seconds; /* n_points x CR_USAGE_N_CLASSES */
} Series;

/* The app the query is about: the body's SdkAppId must be the signer's own. */
static gboolean
usage_check_app (const CrApp *app, JsonObject *params, GError **error)
{
  gint64 id = 0;
  if (cr_json_get_int (params, "SdkAppId", &id) && (guint64)id != app->sdk_app_id) {
    cr_api_error_set (error, "InvalidParameter.SdkAppId",
                      "SdkAppId %" G_GINT64_FORMAT " is not the application of this SecretId", id);
    return FALSE;
  }
  return TRUE;
}

/* The span's points, each the sum of the rows (of @mixed: 0 single, 1 mixed, -1 both). */
static gboolean
usage_series (CrApi *api, const CrApp *app, JsonObject *params, const char *oversize_code,
              int mixed, Series *out, GError **error)
{
  gboolean fine = FALSE;
  if (!usage_check_app (app, params, error)
      || !cr_usage_parse_range (cr_json_get_string (params, "StartTime"),
                                cr_json_get_string (params, "EndTime"), oversize_code,
                                &out->from_ms, &out->to_ms, &fine, error))
    return FALSE;
  if (api->usage == NULL) {
    cr_api_error_set (error, "InternalError", "no usage store is open");
    return FALSE;
  }
  out->step_ms = fine ? CR_USAGE_BUCKET_MS : DAY_MS;
  out->n_points = (guint)((out->to_ms - out->from_ms) / out->step_ms);
  out->seconds = g_new0 (double, (gsize)out->n_points *CR_USAGE_N_CLASSES);
  g_autoptr (GPtrArray) rows
      = cr_usage_store_sum (api->usage, app->sdk_app_id, out->from_ms, out->to_ms, error);
  if (rows == NULL) {
    g_free (out->seconds);
    return FALSE;
  }
  for (guint i = 0; i < rows->len; i++) {
    const CrUsageRow *r = g_ptr_array_index (rows, i);
    if (mixed >= 0 && r->mixed != (mixed == 1))
      continue;
    guint point = (guint)((r->bucket_ms - out->from_ms) / out->step_ms);
    if (point < out->n_points)
      out->seconds[point * CR_USAGE_N_CLASSES + r->cls] += r->seconds;
  }
  return TRUE;
}

/* "YYYY-MM-DD" for a daily point, "YYYY-MM-DD HH:MM:SS" otherwise (or always, @with_time). */
static char *
usage_time_key (gint64 ms, gboolean with_time)
{
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (ms / 1000);
  return g_date_time_format (t, with_time ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d");
}

gboolean
cr_action_describe_record_statistic (CrApi *api, const CrApp *app, JsonObject *params,
                                     JsonObject *reply, GError **error)
{
  Series s = { 0 };
  if (!usage_series (api, app, params, "InvalidParameter", -1, &s, error))
    return FALSE;
  JsonArray *usages = json_array_new ();
  for (guint p = 0; p < s.n_points; p++) {
    const double *sec = &s.seconds[p * CR_USAGE_N_CLASSES];
    JsonObject *u = json_object_new ();
    g_autofree char *key = usage_time_key (s.from_ms + p * s.step_ms, s.step_ms != DAY_MS);
    json_object_set_string_member (u, "TimeKey", key);
    /* Class 3 ("超清") is everything above HD: FullHD, 2K and 4K. */
    json_object_set_int_member (u, "Class1VideoTime", llround (sec[CR_USAGE_SD]));
    json_object_set_int_member (u, "Class2VideoTime", llround (sec[CR_USAGE_HD]));
    json_object_set_int_member (
        u, "Class3VideoTime", llround (sec[CR_USAGE_FULLHD] + sec[CR_USAGE_2K] + sec[CR_USAGE_4K]));
    json_object_set_int_member (u, "AudioTime", llround (sec[CR_USAGE_AUDIO]));
    json_array_add_object_element (usages, u);
  }
  g_free (s.seconds);
  JsonObject *entry = json_object_new ();
  g_autofree char *id = g_strdup_printf ("%" G_GUINT64_FORMAT, app->sdk_app_id);
  json_object_set_string_member (entry, "SdkAppId", id);
  json_object_set_array_member (entry, "Usages", usages);
  JsonArray *apps = json_array_new ();
  json_array_add_object_element (apps, entry);
  json_object_set_array_member (reply, "SdkAppIdUsages", apps);
  return TRUE;
}

gboolean
cr_action_describe_recording_usage (CrApi *api, const CrApp *app, JsonObject *params,
                                    JsonObject *reply, GError **error)
{
  int mixed = g_strcmp0 (cr_json_get_string (params, "MixType"), "multi") == 0 ? 1 : 0;
  Series s = { 0 };
  if (!usage_series (api, app, params, "InvalidParameter.QueryScaleOversize", mixed, &s, error))
    return FALSE;
  JsonArray *keys = json_array_new ();
  for (int c = 0; c < CR_USAGE_N_CLASSES; c++)
    json_array_add_string_element (keys, cr_usage_class_key ((CrUsageClass)c));
  JsonArray *list = json_array_new ();
  for (guint p = 0; p < s.n_points; p++) {
    gint64 at = s.from_ms + p * s.step_ms;
    JsonObject *u = json_object_new ();
    g_autofree char *key = usage_time_key (at, TRUE);
    json_object_set_string_member (u, "TimeKey", key);
    json_object_set_int_member (u, "TimeStampKey", at / 1000);
    JsonArray *values = json_array_new ();
    /* Minutes, to the millisecond (a short recording is not rounded away). */
    for (int c = 0; c < CR_USAGE_N_CLASSES; c++)
      json_array_add_double_element (
          values, round (s.seconds[p * CR_USAGE_N_CLASSES + c] / 60.0 * 1e5) / 1e5);
    json_object_set_array_member (u, "UsageValue", values);
    json_array_add_object_element (list, u);
  }
  g_free (s.seconds);
  json_object_set_array_member (reply, "UsageKey", keys);
  json_object_set_array_member (reply, "UsageList", list);
  return TRUE;
}
