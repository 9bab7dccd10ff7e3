/* One-call recording's daemon side (seed 004, docs/record-once.md): the `POST /v1/record`
 * endpoint and the result posted once the recording's files are stored.
 *
 * Why on top of CreateCloudRecording: the body becomes an ordinary single-stream task
 * (cr_api_create_task) with the CloudrecRecordOnce extension, so workers, failover, the spool,
 * uploads and the outbox are the API's; only the body, the file names (worker_once.c) and the
 * result (an outbox event posted to the body's Callback) are its own. */
#pragma once

#include "api/api.h"
#include "api/http_server.h"
#include "outbox/sender.h"
#include "upload/uploader.h"

G_BEGIN_DECLS

#define CR_ONCE_PATH "/v1/record"

typedef struct _CrRecordOnce CrRecordOnce;

/* Serves CR_ONCE_PATH on @http and queues each one-call task's result in @callbacks when
 * @uploads reaches its end. */
CrRecordOnce *cr_record_once_new (CrApi *api, CrHttpServer *http, CrUploader *uploads,
                                  CrCallbackSender *callbacks);
void cr_record_once_free (CrRecordOnce *once);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrRecordOnce, cr_record_once_free)

G_END_DECLS
