/* `cloudrec record --data-dir DIR --sdkappid N --task ID [--link SOCK] [--storage-dir D]
 * [--log-level L] [--fetch-deny CIDRS]`: the worker of one recording task, started by the daemon's
 * supervisor (not meant to be run by hand, but it can be, to debug a task). Everything it needs
 * from the daemon goes over the daemon-worker link's socket (link/link.h). */
#include <glib.h>
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli/commands.h"
#include "cli/options.h"
#include "common/log.h"
#include "common/net_filter.h"
#include "link/link.h"
#include "recorder/worker.h"
#include "task/supervisor.h"

int
cr_cmd_record (int argc, char **argv)
{
  g_autofree char *link = NULL, *data_dir = NULL, *storage_dir = NULL;
  g_autofree char *task = NULL, *log_level = NULL, *log_format = NULL, *storage_endpoint = NULL,
                  *fetch_deny = NULL;
  g_autofree char *web_user = NULL;
  gint64 sdk_app_id = 0;
  int failover = 0;
  gint64 max_file_mb = 0, disk_min_free_mb = 0;
  int max_streams = 0;
  GOptionEntry entries[] = {
    { "link", 0, 0, G_OPTION_ARG_STRING, &link,
      "the daemon's socket (default DIR/" CR_LINK_SOCKET_NAME ")", "SOCK" },
    { "data-dir", 0, 0, G_OPTION_ARG_STRING, &data_dir, "the daemon's data directory", "DIR" },
    { "storage-dir", 0, 0, G_OPTION_ARG_STRING, &storage_dir, "local storage (default DIR/storage)",
      "D" },
    { "disk-min-free-mb", 0, 0, G_OPTION_ARG_INT64, &disk_min_free_mb,
      "report (308 DiskFull) when the disk under the files has less free (0: not watched)", "N" },
    { "storage-endpoint", 0, 0, G_OPTION_ARG_STRING, &storage_endpoint,
      "the daemon's storage-endpoint setting (VENDOR=URL|local,...)", "E" },
    { "fetch-deny", 0, 0, G_OPTION_ARG_STRING, &fetch_deny,
      "the daemon's fetch-deny setting: address ranges pictures are never fetched from "
      "(default " CR_NET_FILTER_DEFAULT ")",
      "CIDRS" },
    { "web-user", 0, 0, G_OPTION_ARG_STRING, &web_user,
      "web pages: the OS user Chromium, Xvfb and PulseAudio run as (default cloudrec-web; \"\": "
      "this process's user)",
      "USER" },
    { "sdkappid", 0, 0, G_OPTION_ARG_INT64, &sdk_app_id, "SdkAppId of the task", "N" },
    { "task", 0, 0, G_OPTION_ARG_STRING, &task, "TaskId", "ID" },
    { "log-level", 0, 0, G_OPTION_ARG_STRING, &log_level, "error|warning|info|debug", "L" },
    { "log-format", 0, 0, G_OPTION_ARG_STRING, &log_format, "text|json", "F" },
    { "failover", 0, 0, G_OPTION_ARG_INT, &failover, "restart number after a crash (0..3)", "N" },
    { "max-file-mb", 0, 0, G_OPTION_ARG_INT64, &max_file_mb,
      "split MP4/AAC files beyond this many MiB (default 2048)", "N" },
    { "max-streams", 0, 0, G_OPTION_ARG_INT, &max_streams,
      "single-stream: record at most N streams at once (default: no limit)", "N" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;
#ifdef M_ARENA_MAX
  /* Each GStreamer streaming thread that allocates gets a malloc arena of its own (up to 8 per
   * core), each keeping its freed memory; two arenas serve a worker's few buffers per second as
   * well and keep its RSS down (bench/record.mjs). Before any thread starts. */
  mallopt (M_ARENA_MAX, 2);
#endif
  if (!cr_cli_parse ("cloudrec record", "- record one task (started by cloudrec serve)", entries,
                     argc, argv, &error)) {
    fprintf (stderr, "cloudrec record: %s\n", error->message);
    return 2;
  }
  if (data_dir == NULL || task == NULL || sdk_app_id <= 0) {
    fprintf (stderr, "cloudrec record: --data-dir, --sdkappid and --task are required\n");
    return 2;
  }
  cr_log_init (log_level != NULL ? log_level : "info");
  cr_log_set_json (g_strcmp0 (log_format, "json") == 0);
  g_autofree char *sock
      = link != NULL ? g_strdup (link) : g_build_filename (data_dir, CR_LINK_SOCKET_NAME, NULL);
  g_autofree char *storage
      = storage_dir != NULL ? g_strdup (storage_dir) : g_build_filename (data_dir, "storage", NULL);
  /* No secret key: the task's sealed SecretKey stays sealed here (auth/secret_reader.h); the
   * daemon reads the object store for the worker (POST /internal/reads). */
  g_autoptr (CrNetFilter) deny = cr_net_filter_new (fetch_deny, &error);
  if (deny == NULL) {
    fprintf (stderr, "cloudrec record: --fetch-deny: %s\n", error->message);
    return 2;
  }
  if (failover < 0 || failover > 3) {
    fprintf (stderr, "cloudrec record: --failover must be 0..3\n");
    return 2;
  }
  if (max_file_mb < 0 || max_file_mb > 2048) {
    fprintf (stderr, "cloudrec record: --max-file-mb must be 1..2048\n");
    return 2;
  }
  if (max_streams < 0) {
    fprintf (stderr, "cloudrec record: --max-streams must be positive\n");
    return 2;
  }
  /* The exit status is a CrWorkerExit: CR_WORKER_EXIT_CANNOT_START (before its 301 Status 0)
   * makes the daemon end the task with 301 Status 1 instead of starting a failover. */
  CrWorkerOptions o = { sock,
                        data_dir,
                        storage,
                        (guint64)sdk_app_id,
                        task,
                        failover,
                        (guint64)max_file_mb << 20,
                        (guint)max_streams,
                        storage_endpoint != NULL ? storage_endpoint : "",
                        disk_min_free_mb,
                        fetch_deny != NULL ? fetch_deny : CR_NET_FILTER_DEFAULT,
                        web_user != NULL ? web_user : "cloudrec-web" };
  int rc = cr_worker_run (&o, &error);
  if (rc != 0)
    fprintf (stderr, "cloudrec record: task %s: %s\n", task,
             error != NULL ? error->message : "failed");
  return rc;
}
