/* GET /metrics on the daemon's port: the registry of metrics.h, with the daemon's gauges read
 * at scrape time from the parts that own them (docs/metrics.md). */
#pragma once

#include "api/http_server.h"
#include "config/config.h"
#include "ingest/ingest.h"
#include "outbox/sender.h"
#include "room/room.h"
#include "store/task_store.h"
#include "task/supervisor.h"
#include "upload/uploader.h"

G_BEGIN_DECLS

/* What the scrape reads; each may be NULL (that part is not running). Borrowed: they outlive
 * the handler. */
typedef struct {
  const CrConfig *config;
  CrTaskStore *store;
  CrRoomRegistry *rooms;
  CrIngest *ingest;
  CrUploader *uploads;
  CrCallbackSender *callbacks;
  CrSupervisor *workers;
} CrMetricsSources;

typedef struct _CrMetricsHttp CrMetricsHttp;

CrMetricsHttp *cr_metrics_http_new (CrHttpServer *http, const CrMetricsSources *sources);
void cr_metrics_http_free (CrMetricsHttp *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrMetricsHttp, cr_metrics_http_free)

G_END_DECLS
