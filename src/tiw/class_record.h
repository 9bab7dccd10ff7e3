/* Class recording (seed 003's real-time mode, TIW's online recording; docs/class-record.md):
 * StartOnlineRecord's task, its five states, pause and resume, the auto-stop rules, its result
 * and the whiteboard service's callbacks.
 *
 * Why on top of CreateCloudRecording: each recording span (from Start or Resume to Pause or
 * Stop) is one or two ordinary TRTC tasks (cr_api_create_task): a mixed MP4 for MixStream, the
 * per-user MP4s otherwise or where RecordControl asks, so workers, failover, storage, uploads
 * and retention are the API's. A pause ends the span's tasks (paused time makes no media at
 * all) and a resume starts new ones; the class task keeps the spans, the pauses and the state
 * in its own table (class_store.h) and reads its TRTC tasks' state and files from the task
 * store once a second. Its callbacks go through the outbox (events 392-394 under the span's
 * first TRTC task, posted to the SetOnlineRecordCallback URL, outbox/callback.h). */
#pragma once

#include <json-glib/json-glib.h>

#include "api/api.h"
#include "config/apps.h"
#include "outbox/sender.h"

G_BEGIN_DECLS

typedef struct _CrClassRecorder CrClassRecorder;

/* Opens the class tables of the task store's file (config->db_path) and takes over the class
 * tasks an earlier run left unfinished. @callbacks may be NULL (no callbacks). */
CrClassRecorder *cr_class_recorder_new (CrApi *api, CrCallbackSender *callbacks, GError **error);
void cr_class_recorder_free (CrClassRecorder *rec);
/* The daemon's own base URL (http(s)://HOST:PORT) and, for https, the certificate file its
 * clients trust: the board publisher publishes there (class_board.c). Without it, no board. */
void cr_class_recorder_set_self_url (CrClassRecorder *rec, const char *url, const char *ca_file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrClassRecorder, cr_class_recorder_free)

/* StartOnlineRecord, @req normalised (schema_tiw.c): the new TaskId in @task_id. */
gboolean cr_class_recorder_start (CrClassRecorder *rec, const CrApp *app, JsonObject *req,
                                  char **task_id, GError **error);
/* Pause, Resume and Stop (class_state.h says which state allows which). */
gboolean cr_class_recorder_pause (CrClassRecorder *rec, const CrApp *app, const char *task_id,
                                  GError **error);
gboolean cr_class_recorder_resume (CrClassRecorder *rec, const CrApp *app, const char *task_id,
                                   GError **error);
gboolean cr_class_recorder_stop (CrClassRecorder *rec, const CrApp *app, const char *task_id,
                                 GError **error);
/* DescribeOnlineRecord's members into @reply. */
gboolean cr_class_recorder_describe (CrClassRecorder *rec, const CrApp *app, const char *task_id,
                                     JsonObject *reply, GError **error);
/* The app's callback URL and key: set (either may be NULL: kept) and read. */
gboolean cr_class_recorder_set_callback (CrClassRecorder *rec, const CrApp *app, const char *url,
                                         const char *key, GError **error);
gboolean cr_class_recorder_get_callback (CrClassRecorder *rec, const CrApp *app, char **url,
                                         char **key, GError **error);

/* The body of a whiteboard-service callback: {"EventData":@data,"EventType":@type,
 * "ExpireTime":@now_s+86400,"SdkAppId":..,"Sign":md5(@key+ExpireTime) (lower-case hex; "" without
 * a key),"Timestamp":@now_s}. Takes @data. */
JsonObject *cr_class_callback_body (guint64 sdk_app_id, const char *type, JsonObject *data,
                                    const char *key, gint64 now_s);

G_END_DECLS
