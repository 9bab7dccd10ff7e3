/* Recording usage: how many seconds of media were recorded, per 5-minute bucket, single-stream
 * or mixed, per resolution class, as TRTC bills it and its usage actions report it
 * (DescribeRecordStatistic, DescribeRecordingUsage; docs/usage.md).
 *
 * Why measured from the segments: a closed HLS segment is the recorded media itself (its
 * duration, its picture size); counting it when it closes makes the usage agree with the files
 * to the millisecond, and a worker that dies loses only what it had not reported yet. Pure: no
 * I/O; the worker accumulates, the daemon stores (usage_store.h) and answers. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CR_USAGE_AUDIO,  /* audio only */
  CR_USAGE_SD,     /* video up to 640x480 pixels */
  CR_USAGE_HD,     /* up to 1280x720 */
  CR_USAGE_FULLHD, /* up to 1920x1080 */
  CR_USAGE_2K,     /* up to 2560x1440 */
  CR_USAGE_4K,     /* above */
  CR_USAGE_N_CLASSES,
} CrUsageClass;

#define CR_USAGE_BUCKET_MS (5 * 60 * 1000)
#define CR_USAGE_MAX_DAYS 31

/* The class of a stream: audio when it has no picture, else by its pixel count. */
CrUsageClass cr_usage_class (gboolean video, int width, int height);
/* "Audio", "SD", "HD", "FullHD", "2K", "4K" (DescribeRecordingUsage's UsageKey). */
const char *cr_usage_class_key (CrUsageClass cls);

typedef struct {
  gint64 bucket_ms; /* Unix ms of the bucket's start, a multiple of CR_USAGE_BUCKET_MS */
  gboolean mixed;
  CrUsageClass cls;
  double seconds;
} CrUsageRow;

/* Seconds per (bucket, mixed, class): a hash table of CrUsageRow. */
GHashTable *cr_usage_acc_new (void);
/* Adds the media span [start_ms, start_ms + duration_s) to @acc, split across buckets. */
void cr_usage_acc_add (GHashTable *acc, gint64 start_ms, double duration_s, gboolean mixed,
                       CrUsageClass cls);

/* The billed rows of a worker's streams: @by_stream maps a stream ("user/main") to its
 * accumulator. A stream's audio is billed only in the buckets where that stream recorded no
 * video (TRTC bills an audio-video stream by its picture; its audio track is not billed apart).
 * The rows of all streams are summed per (bucket, mixed, class); a new array of new rows. */
GPtrArray *cr_usage_billed_rows (GHashTable *by_stream);

/* A worker's report (POST /internal/usage, link.h) of @rows (CrUsageRow): its running totals. */
char *cr_usage_report_body (guint64 sdk_app_id, const char *task_id, int failover,
                            const GPtrArray *rows);

/* StartTime and EndTime of the usage actions: "YYYY-MM-DD" (UTC days; EndTime included),
 * EndTime not before StartTime, at most CR_USAGE_MAX_DAYS days. [*from_ms, *to_ms) is the span;
 * *fine is TRUE for a single day (5-minute points), FALSE for daily points. FALSE with a
 * CR_API_ERROR naming the field otherwise (@oversize_code for a span too long). */
gboolean cr_usage_parse_range (const char *start, const char *end, const char *oversize_code,
                               gint64 *from_ms, gint64 *to_ms, gboolean *fine, GError **error);

G_END_DECLS
