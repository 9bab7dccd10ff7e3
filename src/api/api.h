/* The TRTC-compatible control API, independent of the HTTP library.
 *
 * Why transport-free: the whole request pipeline (headers -> TC3 -> body -> rate limit ->
 * validation -> action -> envelope) is one function over plain bytes, so unit tests and the
 * libFuzzer target drive exactly what the HTTP server runs. http_server.c only moves bytes. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "auth/tc3.h"
#include "api/rate_limit.h"
#include "config/config.h"
#include "room/room.h"
#include "task/supervisor.h"
#include "store/task_store.h"

G_BEGIN_DECLS

#define CR_API_VERSION "2019-07-22"

typedef struct {
  const CrConfig *config; /* settings and apps, borrowed */
  CrTaskStore *store;     /* borrowed */
  CrRateLimit *rate_limit;
  CrRoomRegistry *rooms;       /* borrowed; NULL when the daemon hosts no rooms (unit tests) */
  CrSupervisor *workers;       /* borrowed; NULL: tasks get no worker (unit tests) */
  struct _CrUploader *uploads; /* borrowed; NULL: no uploader (unit tests) */
  struct _CrCallbackSender *callbacks; /* borrowed; NULL: no outbox delivery (unit tests) */
  struct _CrIngest *ingest;            /* borrowed; NULL: no ingest (unit tests) */
  struct _CrUsageStore *usage;         /* borrowed; NULL: no usage store (unit tests) */
  struct _CrAutoRecord *auto_record;   /* borrowed; NULL: no auto-recording (unit tests) */
  struct _CrClassRecorder *class_record; /* borrowed; NULL: no class recording (unit tests) */
  struct _CrBoard *board;                /* borrowed; NULL: no whiteboard (unit tests) */
  gint64 (*now_ms) (void); /* wall clock, replaceable in tests */
  gboolean stopping; /* the daemon is stopping (SIGTERM): Create is refused */
  /* Set only while one action runs for the server's operator (a console session of the admin
   * token): room kicks and dismissals then carry the server's origin (LeaveCode 3 and 4, not 1
   * and 2). The API runs on the main thread, one action at a time. */
  gboolean operator_call;
} CrApi;

typedef struct {
  const char *method;    /* "POST" or "GET" */
  const char *raw_query; /* GET: the raw query string; POST: "" */
  const guchar *body;
  gsize body_len;
  CrTc3HeaderFunc header; /* lowercase name -> value */
  gpointer header_data;
} CrApiRequest;

CrApi *cr_api_new (const CrConfig *config, CrTaskStore *store);
void cr_api_free (CrApi *api);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrApi, cr_api_free)

/* Handles one call; returns the JSON reply text, always {"Response":{...,"RequestId":...}}. */
char *cr_api_handle (CrApi *api, const CrApiRequest *req);

/* The same call on behalf of @signer, already authenticated another way (a console session):
 * the pipeline after the TC3 check (request size, rate limit, action, validation of @params, app
 * check, action) of API version CR_API_VERSION, counted in the metrics alike. @operator_call: the
 * server's operator acts (CrApi.operator_call). @body_len: the size of the request that carried
 * @params. Returns the same envelope as cr_api_handle. */
char *cr_api_handle_as (CrApi *api, const CrApp *signer, gboolean operator_call,
                        const char *action_name, JsonObject *params, gsize body_len);

/* The error envelope for failures found before cr_api_handle runs (e.g. an oversized body). */
char *cr_api_error_reply (const char *code, const char *message);

G_END_DECLS
