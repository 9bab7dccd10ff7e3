/* `cloudrec serve`: the daemon. Reads the settings table, opens the task store and serves the
 * control API until SIGTERM or SIGINT, then stops gracefully (below) and closes everything in
 * order. */
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/http_server.h"
#include "auto/auto_record.h"
#include "auth/secret_box.h"
#include "cli/commands.h"
#include "common/json_util.h"
#include "common/log.h"
#include "common/programs.h"
#include "media/worker_plugins.h"
#include "config/demo_app.h"
#include "console/console.h"
#include "ingest/ingest.h"
#include "link/link.h"
#include "link/link_server.h"
#include "link/link_tasks.h"
#include "link/link_vod.h"
#include "metrics/metrics_http.h"
#include "outbox/sender.h"
#include "room/room.h"
#include "task/codes.h"
#include "upload/retention.h"
#include "upload/storage_target.h"
#include "upload/uploader.h"
#include "usage/usage_link.h"
#include "vod/vod_http.h"
#include "api/record_once.h"
#include "tiw/class_record.h"
#include "board/board.h"
#include "board/board_http.h"
#include "tiw/class_video.h"
#include "vod/vod_library.h"
#include "web/pages.h"

/* Workers are `cloudrec-worker record ... --sdkappid N --task ID` when that program is beside this
 * one (the same worker, linking fewer libraries: common/programs.h), else this same binary's
 * `cloudrec record`; all they get of the daemon is the link's socket. */
static char *
serve_worker_program (void)
{
  g_autofree char *self = cr_program_self (NULL);
  char *worker = cr_program_beside_self (CR_WORKER_PROGRAM);
  if (worker != NULL)
    return worker;
  return self != NULL ? g_steal_pointer (&self) : g_strdup (CR_MAIN_PROGRAM);
}

static void
serve_on_plugins_written (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr (GError) error = NULL;
  if (!g_subprocess_wait_check_finish (G_SUBPROCESS (source), res, &error))
    g_warning ("the workers' GStreamer registry: %s (each worker scans its plugins)",
               error->message);
}

/* The plugins the workers load, and their registry written once by the worker program (`plugins`)
 * so that no worker scans them (media/worker_plugins.h). GStreamer is up since the ingest. A
 * failure costs only each worker's memory (it reads the full registry) or time (it scans). */
static void
serve_prepare_worker_plugins (const CrConfig *config)
{
  g_autoptr (GError) error = NULL;
  if (!cr_worker_plugins_prepare (config->data_dir, &error)) {
    g_warning ("recording workers will read the full GStreamer registry: %s", error->message);
    return;
  }
  g_autofree char *program = serve_worker_program ();
  const char *argv[] = { program, "plugins", "--data-dir", config->data_dir, NULL };
  g_autoptr (GSubprocess) p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, &error);
  if (p == NULL)
    g_warning ("the workers' GStreamer registry: %s (each worker scans its plugins)",
               error->message);
  else
    g_subprocess_wait_check_async (p, NULL, serve_on_plugins_written, NULL);
}

static CrSupervisor *
serve_new_supervisor (const CrConfig *config, CrLinkServer *link, CrTaskStore *store)
{
  g_autofree char *program = serve_worker_program ();
  g_info ("recording workers run %s record", program);
  g_autofree char *max_file_mb = g_strdup_printf ("%" G_GINT64_FORMAT, config->record_max_file_mb);
  g_autofree char *max_streams = g_strdup_printf ("%" G_GINT64_FORMAT, config->api_max_streams);
  g_autofree char *disk_min_free_mb
      = g_strdup_printf ("%" G_GINT64_FORMAT, config->disk_min_free_mb);
  const char *argv[] = { program,
                         "record",
                         "--link",
                         cr_link_server_path (link),
                         "--data-dir",
                         config->data_dir,
                         "--storage-dir",
                         config->storage_dir,
                         "--log-level",
                         config->log_level,
                         "--log-format",
                         config->log_format,
                         "--max-file-mb",
                         max_file_mb,
                         "--max-streams",
                         max_streams,
                         "--storage-endpoint",
                         config->storage_endpoint,
                         "--disk-min-free-mb",
                         disk_min_free_mb,
                         "--fetch-deny",
                         config->fetch_deny,
                         "--web-user",
                         config->web_record_user,
                         NULL };
  return cr_supervisor_new (argv, store);
}

/* Tasks still live in the store after a restart get a worker again: their previous worker
 * stopped with the previous daemon without finishing, so each new one is a failover (counted in
 * the store; past the third the task ends with a 302). */
static void
serve_resume_tasks (CrTaskStore *store, CrSupervisor *workers)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) active = store->vt->list_active (store, &error);
  if (active == NULL)
    g_warning ("cannot list the live tasks to resume: %s", error->message);
  for (guint i = 0; active != NULL && i < active->len; i++)
    cr_supervisor_resume (workers, g_ptr_array_index (active, i));
}

/* The supervisor queued a callback with a state change: the outbox sends it now. */
static void
serve_on_event_queued (gpointer sender)
{
  cr_callback_sender_kick (sender);
}

/* A worker of the task is gone (crashed, finished, or stopped): the RTP forwards the ingest runs
 * for it would otherwise keep sending to its dead ports. */
static void
serve_on_worker_exit (gpointer ingest, guint64 sdk_app_id, const char *task_id)
{
  (void)sdk_app_id;
  cr_ingest_end_task_forwards (ingest, task_id);
}

/* A worker's 301 with Status 0 tells the supervisor it started: a later failure is a crash. */
static void
serve_on_worker_event (gpointer workers, guint64 sdk_app_id, const char *task_id, int event_type,
                       JsonObject *payload)
{
  gint64 status = -1;
  if (event_type == CR_EVENT_RECORDER_START && cr_json_get_int (payload, "Status", &status)
      && status == 0)
    cr_supervisor_note_started (workers, task_id);
}

static gint64
serve_now_ms (void)
{
  return g_get_real_time () / 1000;
}

/* Entries whose TencentVod.ExpireTime passed are removed once a minute (they answer 404 from
 * the moment they expire). */
static gboolean
serve_sweep_vod (gpointer lib)
{
  cr_vod_library_sweep (lib, g_get_real_time () / G_USEC_PER_SEC);
  return G_SOURCE_CONTINUE;
}

/* The VOD library under <data-dir>/vod, its URLs signed with vod-url-key (or the generated
 * <data-dir>/vod-url.key) and rooted at public-url (or this daemon's own address). */
static CrVodLibrary *
serve_open_vod (const CrConfig *config, guint16 port, GError **error)
{
  g_autofree char *key_path = g_build_filename (config->data_dir, "vod-url.key", NULL);
  g_autofree char *key = cr_vod_key_load (config->vod_url_key, key_path, error);
  if (key == NULL)
    return NULL;
  g_autofree char *root = g_build_filename (config->data_dir, "vod", NULL);
  g_autofree char *host = g_strdup (config->listen);
  char *colon = strrchr (host, ':');
  if (colon != NULL)
    *colon = '\0';
  g_autofree char *base = *config->public_url != '\0'
                              ? g_strdup (config->public_url)
                              : g_strdup_printf ("http://%s:%u", host, port);
  return cr_vod_library_open (root, key, base, config->vod_url_ttl, error);
}

/* Local recordings past storage-retention-days are removed at start and then hourly (or, with
 * a shortened retention unit, four times per retention period). */
static gboolean
serve_sweep_retention (gpointer retention)
{
  cr_retention_sweep (retention, g_get_real_time () / 1000);
  return G_SOURCE_CONTINUE;
}

/* ---- the graceful stop (docs/reliability.md "Graceful stop") ----
 *
 * The first SIGTERM/SIGINT refuses new work (Create answers FailedOperation, a WHIP POST 503)
 * and asks every worker to close its open segments and playlists and exit, leaving its task live
 * for the next start; the daemon keeps serving them (the link: files, status, callbacks) and
 * waits, for at most stop-timeout seconds, until no worker is left, the upload queue is empty
 * and every callback is delivered; then it exits 0. Past the bound the workers left are killed
 * and what remains queued (uploads: in the store, resumed at the next start) stays behind. A
 * second signal exits at once with CR_SERVE_EXIT_FORCED. */

#define STOP_POLL_MS 100
#define CR_SERVE_EXIT_FORCED 3 /* a second signal cut the graceful stop short */

typedef struct {
  GMainLoop *loop;
  CrApi *api;
  CrIngest *ingest;
  CrSupervisor *workers; /* NULL with workers=off */
  CrUploader *uploader;
  CrCallbackSender *callbacks;
  gint64 timeout_s;
  gint64 deadline_us; /* monotonic; 0 while serving */
  guint poll_id;
} ServeStop;

static gboolean
serve_stop_poll (gpointer data)
{
  ServeStop *st = data;
  guint workers = st->workers != NULL ? cr_supervisor_count (st->workers) : 0;
  guint uploads = cr_uploader_pending (st->uploader);
  guint callbacks = cr_callback_sender_pending (st->callbacks);
  if (workers == 0 && uploads == 0 && callbacks == 0) {
    g_info ("graceful stop done: files closed, uploads stored, callbacks delivered");
  } else if (g_get_monotonic_time () >= st->deadline_us) {
    g_warning ("stop-timeout (%" G_GINT64_FORMAT " s) reached: %u workers killed (their tasks "
               "stay live), %u uploads left queued for the next start, %u callbacks not "
               "delivered",
               st->timeout_s, workers, uploads, callbacks);
    if (st->workers != NULL)
      cr_supervisor_kill_all (st->workers);
  } else {
    return G_SOURCE_CONTINUE;
  }
  st->poll_id = 0;
  g_main_loop_quit (st->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
serve_on_signal (gpointer data)
{
  ServeStop *st = data;
  if (st->deadline_us != 0) {
    guint workers = st->workers != NULL ? cr_supervisor_count (st->workers) : 0;
    g_warning ("second signal: stopping at once (%u workers killed, %u uploads left queued, %u "
               "callbacks not delivered); exit status %d",
               workers, cr_uploader_pending (st->uploader),
               cr_callback_sender_pending (st->callbacks), CR_SERVE_EXIT_FORCED);
    if (st->workers != NULL)
      cr_supervisor_kill_all (st->workers);
    /* No store transaction is open on this thread between two main-loop callbacks, and an
     * interrupted one is rolled back by SQLite's WAL: nothing is left half-written. */
    fflush (stdout);
    fflush (stderr);
    _exit (CR_SERVE_EXIT_FORCED);
  }
  st->deadline_us = g_get_monotonic_time () + st->timeout_s * G_USEC_PER_SEC;
  st->api->stopping = TRUE;
  cr_ingest_stop_accepting (st->ingest);
  guint asked = st->workers != NULL ? cr_supervisor_stop_all (st->workers) : 0;
  g_info ("signal received: stopping (%u workers asked to close their files; stop-timeout "
          "%" G_GINT64_FORMAT " s; a second signal stops at once)",
          asked, st->timeout_s);
  st->poll_id = g_timeout_add (STOP_POLL_MS, serve_stop_poll, st);
  return G_SOURCE_CONTINUE;
}

static void
serve_print_apps (const CrConfig *config, const char *listen_url, CrConsole *console)
{
  printf ("cloudrec %s serving the TRTC cloud-recording API at %s\n", CLOUDREC_VERSION, listen_url);
  /* The web console at the same address: a one-time login link per app (the demo app's when
   * none is configured), as notebook servers print one. */
  g_autofree char *base = g_strndup (listen_url, strlen (listen_url) - 1); /* no '/' twice */
  for (guint i = 0; i < cr_apps_count (config->apps); i++) {
    const CrApp *app = cr_apps_nth (config->apps, i);
    g_autofree char *path = cr_console_login_path (console, app->sdk_app_id);
    printf ("  Console of SdkAppId %" G_GUINT64_FORMAT " (one-time login link, valid %d minutes): "
            "%s%s\n",
            app->sdk_app_id, CR_CONSOLE_LINK_MINUTES, base, path);
  }
  for (guint i = 0; i < cr_apps_count (config->apps); i++) {
    const CrApp *app = cr_apps_nth (config->apps, i);
    const CrSecret *s = g_ptr_array_index (app->secrets, 0);
    printf ("  SdkAppId %" G_GUINT64_FORMAT "  SecretId %s  SecretKey %s  UserSig key %s\n",
            app->sdk_app_id, s->secret_id, s->secret_key, app->usersig_key);
  }
  /* Where CloudStorage recordings go (storage-endpoint), so that a demo's files are found. */
  CrStorageEndpoints endpoints;
  if (cr_storage_endpoints_parse (config->storage_endpoint, &endpoints, NULL)) {
    static const char *const vendors[CR_STORAGE_VENDORS] = { "0 (COS)", "1 (AWS S3)" };
    for (int v = 0; v < CR_STORAGE_VENDORS; v++) {
      const char *e = endpoints.endpoint[v];
      if (g_strcmp0 (e, "local") == 0)
        printf ("  CloudStorage Vendor %s -> the local store %s\n", vendors[v],
                config->storage_dir);
      else if (e != NULL)
        printf ("  CloudStorage Vendor %s -> %s (path-style)\n", vendors[v], e);
      else
        printf ("  CloudStorage Vendor %s -> its public endpoint\n", vendors[v]);
    }
    cr_storage_endpoints_clear (&endpoints);
  }
  fflush (stdout);
}

int
cr_cmd_serve (int argc, char **argv)
{
  g_autoptr (CrConfig) config = cr_config_new_defaults ();
  g_autoptr (GError) error = NULL;
  gboolean want_help = FALSE;
  if (!cr_config_load_args (config, argc, argv, &want_help, &error)) {
    fprintf (stderr, "cloudrec serve: %s\n", error->message);
    return 2;
  }
  if (want_help) {
    g_autofree char *help = cr_config_help ();
    printf ("usage: cloudrec serve [options]\n\nSettings (flag, environment, or [cloudrec] in a "
            "--config file):\n%s",
            help);
    return 0;
  }
  cr_config_finish (config);
  cr_log_init (config->log_level);
  cr_log_set_json (g_strcmp0 (config->log_format, "json") == 0);
  if (cr_apps_count (config->apps) == 0 && !cr_demo_app_load (config, &error)) {
    fprintf (stderr, "cloudrec serve: %s\n", error->message);
    return 1;
  }
  if (g_mkdir_with_parents (config->data_dir, 0700) != 0
      || g_mkdir_with_parents (config->storage_dir, 0700) != 0) {
    fprintf (stderr, "cloudrec serve: cannot create %s: %s\n", config->storage_dir,
             g_strerror (errno));
    return 1;
  }
  /* The key that seals the tasks' storage secrets: created once, read by the workers too. */
  if (!cr_secret_box_init (config->data_dir, TRUE, &error)) {
    fprintf (stderr, "cloudrec serve: secret key: %s\n", error->message);
    return 1;
  }
  g_autoptr (CrTaskStore) store = cr_sqlite_store_open (config->db_path, &error);
  if (store == NULL) {
    fprintf (stderr, "cloudrec serve: task store %s: %s\n", config->db_path, error->message);
    return 1;
  }
  g_autoptr (CrRoomRegistry) rooms
      = cr_room_registry_new (serve_now_ms, config->room_idle_timeout * 1000);
  g_autoptr (CrApi) api = cr_api_new (config, store);
  api->rooms = rooms;
  g_autoptr (CrHttpServer) http = cr_http_server_new (api, config, config->listen, &error);
  if (http == NULL) {
    fprintf (stderr, "cloudrec serve: cannot listen on %s: %s\n", config->listen, error->message);
    return 1;
  }
  /* The daemon-worker link: /internal/... on <data-dir>/worker.sock only. */
  g_autofree char *link_path = g_build_filename (config->data_dir, CR_LINK_SOCKET_NAME, NULL);
  g_autoptr (CrLinkServer) link = cr_link_server_new (http, link_path, &error);
  if (link == NULL) {
    fprintf (stderr, "cloudrec serve: %s\n", error->message);
    return 1;
  }
  CrLinkTasks *link_tasks = cr_link_tasks_register (link, store);
  g_autoptr (CrVodLibrary) vod = serve_open_vod (config, cr_http_server_port (http), &error);
  if (vod == NULL) {
    fprintf (stderr, "cloudrec serve: VOD library: %s\n", error->message);
    return 1;
  }
  cr_vod_http_register (http, vod);
  CrLinkVod *link_vod = cr_link_vod_register (link, store, vod, config->data_dir);
  /* Recording usage: the workers' reports in, the usage actions out (docs/usage.md). */
  g_autoptr (CrUsageStore) usage = cr_usage_store_open (config->db_path, &error);
  if (usage == NULL) {
    fprintf (stderr, "cloudrec serve: %s\n", error->message);
    return 1;
  }
  CrUsageLink *usage_link = cr_usage_link_register (link, store, usage);
  api->usage = usage;
  g_autoptr (CrIngest) ingest = cr_ingest_new (config, rooms, http, link, &error);
  if (ingest == NULL) {
    fprintf (stderr, "cloudrec serve: WebRTC ingest: %s\n", error->message);
    return 1;
  }
  api->ingest = ingest;
  cr_web_pages_register (http);
  /* The built-in whiteboard (docs/board.md): /board, /board/ws, /board/log. */
  g_autoptr (CrBoard) board = cr_board_new (config, config->db_path, &error);
  if (board == NULL) {
    fprintf (stderr, "cloudrec serve: whiteboard: %s\n", error->message);
    return 1;
  }
  g_autoptr (CrBoardHttp) board_http = cr_board_http_new (http, board, config);
  api->board = board;
  g_autoptr (CrConsole) console = cr_console_new (api, http);
  /* Serves the workers' callbacks (on the link) until the daemon stops. */
  g_autoptr (CrCallbackSender) callbacks = cr_callback_sender_new (config, store, link);
  /* Files in the spool go to their object stores, resuming what an earlier run left. */
  CrUploadQueue *queue = cr_sqlite_upload_queue_open (config->db_path, &error);
  g_autoptr (CrUploader) uploader
      = queue != NULL ? cr_uploader_new (config, store, queue, callbacks, link, &error) : NULL;
  if (uploader == NULL) {
    fprintf (stderr, "cloudrec serve: uploads: %s\n", error->message);
    return 1;
  }
  api->uploads = uploader;
  api->callbacks = callbacks;
  /* POST /v1/record (seed 004): one-call recording, its result after the uploads. */
  g_autoptr (CrRecordOnce) record_once = cr_record_once_new (api, http, uploader, callbacks);
  (void)record_once; /* serves POST /v1/record until the end of this function */
  gboolean workers_on = g_strcmp0 (config->workers, "on") == 0;
  if (workers_on)
    serve_prepare_worker_plugins (config);
  g_autoptr (CrSupervisor) workers = workers_on ? serve_new_supervisor (config, link, store) : NULL;
  api->workers = workers;
  if (workers != NULL) {
    cr_supervisor_set_queued_func (workers, serve_on_event_queued, callbacks);
    cr_supervisor_set_exit_func (workers, serve_on_worker_exit, ingest);
    cr_callback_sender_set_observer (callbacks, serve_on_worker_event, workers);
    serve_resume_tasks (store, workers);
  }
  const CrMetricsSources metric_sources
      = { config, store, rooms, ingest, uploader, callbacks, workers };
  g_autoptr (CrMetricsHttp) metrics = cr_metrics_http_new (http, &metric_sources);
  (void)metrics; /* serves /metrics until the end of this function */
  /* Auto-recording (docs/auto-record.md): follows the rooms created from now on. */
  g_autoptr (CrAutoRecord) auto_record = cr_auto_record_new (api, rooms, &error);
  if (auto_record == NULL) {
    fprintf (stderr, "cloudrec serve: auto-recording: %s\n", error->message);
    return 1;
  }
  api->auto_record = auto_record;
  /* Class recording (TIW online recording, docs/class-record.md). */
  g_autoptr (CrClassRecorder) class_record = cr_class_recorder_new (api, callbacks, &error);
  if (class_record == NULL) {
    fprintf (stderr, "cloudrec serve: class recording: %s\n", error->message);
    return 1;
  }
  api->class_record = class_record;
  cr_class_video_register (class_record, http); /* /board/replay (video-generation mode) */
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  ServeStop stop = { loop, api, ingest, workers, uploader, callbacks, config->stop_timeout, 0, 0 };
  /* Kept to the end: a signal during the teardown below (which waits for the workers) is a
   * second one. */
  g_unix_signal_add (SIGTERM, serve_on_signal, &stop);
  g_unix_signal_add (SIGINT, serve_on_signal, &stop);
  guint vod_sweeper = g_timeout_add_seconds (60, serve_sweep_vod, vod);
  serve_sweep_vod (vod);
  gint64 keep_s = config->storage_retention_days * config->storage_retention_unit_s;
  g_autoptr (CrRetention) retention
      = keep_s > 0 ? cr_retention_new (store, config->storage_dir, keep_s * 1000) : NULL;
  guint retention_sweeper = 0;
  if (retention != NULL) {
    retention_sweeper = g_timeout_add_seconds ((guint)CLAMP (keep_s / 4, 1, 3600),
                                               serve_sweep_retention, retention);
    serve_sweep_retention (retention);
  }
  g_autofree char *host = g_strdup (config->listen);
  char *colon = strrchr (host, ':');
  if (colon != NULL)
    *colon = '\0';
  g_autofree char *url
      = g_strdup_printf ("%s://%s:%u/", cr_http_server_is_https (http) ? "https" : "http", host,
                         cr_http_server_port (http));
  /* The class recording's board publisher publishes on the daemon's own port (loopback for a
   * wildcard listen address). */
  const char *self_host = *host == '\0' || strcmp (host, "0.0.0.0") == 0 ? "127.0.0.1"
                          : strcmp (host, "[::]") == 0                 ? "[::1]"
                                                                       : host;
  g_autofree char *self_url
      = g_strdup_printf ("%s://%s:%u", cr_http_server_is_https (http) ? "https" : "http",
                         self_host, cr_http_server_port (http));
  cr_class_recorder_set_self_url (class_record, self_url, config->tls_cert);
  serve_print_apps (config, url, console);
  g_info ("listening on %s (store %s, storage %s)", url, config->db_path, config->storage_dir);
  g_main_loop_run (loop);
  if (stop.poll_id != 0)
    g_source_remove (stop.poll_id);
  /* Workers first (they may still queue callbacks while they close their files), then nothing
   * may reach the supervisor any more. */
  api->auto_record = NULL;
  g_clear_pointer (&auto_record, cr_auto_record_free);
  api->class_record = NULL;
  g_clear_pointer (&class_record, cr_class_recorder_free);
  api->board = NULL;
  g_clear_pointer (&board_http, cr_board_http_free);
  g_clear_pointer (&board, cr_board_free);
  api->workers = NULL;
  api->uploads = NULL;
  api->callbacks = NULL;
  g_clear_pointer (&workers, cr_supervisor_free);
  stop.workers = NULL;
  cr_callback_sender_set_observer (callbacks, NULL, NULL);
  g_source_remove (vod_sweeper);
  if (retention_sweeper != 0)
    g_source_remove (retention_sweeper);
  cr_link_vod_unregister (link, link_vod);
  cr_usage_link_unregister (usage_link);
  cr_link_tasks_unregister (link_tasks);
  api->usage = NULL;
  cr_vod_http_unregister (http);
  g_info ("stopped");
  return 0;
}
