/* The settings table and its three sources; config.h explains the precedence. */
#include "config.h"

#include <string.h>

#include "auto/auto_template.h"
#include "common/net_filter.h"

typedef enum { SETTING_STRING, SETTING_INT, SETTING_ENUM } SettingType;

typedef struct {
  const char *name; /* flag and file key; env is CLOUDREC_ + upper-cased with '_' */
  SettingType type;
  gsize offset; /* into CrConfig */
  const char *def;
  gint64 min, max;     /* SETTING_INT */
  const char *choices; /* SETTING_ENUM: '|'-separated */
  const char *help;
} Setting;

#define OFF(field) G_STRUCT_OFFSET (CrConfig, field)

static const Setting settings[] = {
  { "listen", SETTING_STRING, OFF (listen), "127.0.0.1:8080", 0, 0, NULL,
    "HOST:PORT the HTTP API listens on" },
  { "data-dir", SETTING_STRING, OFF (data_dir), "var", 0, 0, NULL,
    "directory for the database, local storage and spool" },
  { "db-path", SETTING_STRING, OFF (db_path), "", 0, 0, NULL,
    "SQLite task store file (default <data-dir>/cloudrec.db)" },
  { "storage-dir", SETTING_STRING, OFF (storage_dir), "", 0, 0, NULL,
    "local blob store root (default <data-dir>/storage)" },
  { "log-level", SETTING_ENUM, OFF (log_level), "info", 0, 0, "error|warning|info|debug",
    "least severe log level written to stderr" },
  { "api-rate-limit", SETTING_INT, OFF (api_rate_limit), "20", 1, 1000000, NULL,
    "API requests per second per SdkAppId (RequestLimitExceeded beyond)" },
  { "api-max-tasks", SETTING_INT, OFF (api_max_tasks), "100", 1, 1000000, NULL,
    "concurrent recording tasks per SdkAppId (FailedOperation.RestrictedConcurrency beyond)" },
  { "api-max-streams", SETTING_INT, OFF (api_max_streams), "25", 1, 64, NULL,
    "streams one recording task subscribes at most" },
  { "api-max-body", SETTING_INT, OFF (api_max_body), "262144", 1024, 67108864, NULL,
    "largest API request body in bytes (RequestSizeLimitExceeded beyond)" },
  { "api-timeout", SETTING_INT, OFF (api_timeout), "6", 1, 600, NULL,
    "seconds a client may take to send a request before the connection is closed" },
  { "api-clock-skew", SETTING_INT, OFF (api_clock_skew), "300", 1, 86400, NULL,
    "seconds a TC3 X-TC-Timestamp may differ from the server clock" },
  { "room-idle-timeout", SETTING_INT, OFF (room_idle_timeout), "300", 1, 86400, NULL,
    "seconds a room with no publisher is kept before it is destroyed" },
  { "class-idle-stop", SETTING_INT, OFF (class_idle_stop), "300", 1, 86400, NULL,
    "seconds a class recording (StartOnlineRecord) goes on with no anchor publishing before it "
    "stops by itself (AUTO); a request's AutoStopTimeout replaces it" },
  { "class-record-board", SETTING_ENUM, OFF (class_record_board), "true", 0, 0, "true|false",
    "whether a class recording with MixStream publishes the whiteboard into its room and mixes "
    "it in (a Chromium per class)" },
  { "class-pause-stop", SETTING_INT, OFF (class_pause_stop), "5400", 1, 604800, NULL,
    "seconds a class recording may stay paused before it stops by itself (FORCE_STOP)" },
  { "class-max-duration", SETTING_INT, OFF (class_max_duration), "86400", 1, 604800, NULL,
    "seconds after StartOnlineRecord a class recording stops by itself (FORCE_STOP)" },
  { "replay-url-hours", SETTING_INT, OFF (replay_url_hours), "720", 1, 87600, NULL,
    "hours a video-generation class's ReplayUrl (its replay page and files) stays valid from "
    "when it is asked for" },
  { "replay-presign-s", SETTING_INT, OFF (replay_presign_s), "86400", 60, 604800, NULL,
    "seconds the presigned URLs of a bucket class's replay (its segments in the bucket) stay "
    "valid from when its playlist is served" },
  { "ingest-max-sessions", SETTING_INT, OFF (ingest_max_sessions), "500", 1, 100000, NULL,
    "concurrent WHIP publishing sessions (503 beyond)" },
  { "whip-max-sessions-per-ip", SETTING_INT, OFF (whip_max_sessions_per_ip), "100", 0, 100000, NULL,
    "concurrent WHIP publishing sessions (answered or not) from one client IP address (429 "
    "beyond; 0: no limit)" },
  { "ingest-connect-timeout", SETTING_INT, OFF (ingest_connect_timeout), "10", 1, 600, NULL,
    "seconds a WHIP peer has after the answer to connect (ICE + DTLS)" },
  { "ingest-liveness-timeout", SETTING_INT, OFF (ingest_liveness_timeout), "30", 1, 600, NULL,
    "seconds without any packet from a WHIP peer (RTP, RTCP, DTLS) that end its session" },
  { "ingest-jitter-latency", SETTING_INT, OFF (ingest_jitter_latency), "200", 0, 5000, NULL,
    "milliseconds of jitterbuffer on published streams (reorder, NACK recovery)" },
  { "forward-audio-group", SETTING_INT, OFF (forward_audio_group), "3", 1, 10, NULL,
    "a published stream's audio packets (20 ms each) the lean engine forwards to recording "
    "workers together, the first waiting for the others (at most 100 ms): a worker wakes once a "
    "group instead of once a packet; 1: each as it comes" },
  { "ingest-engine", SETTING_ENUM, OFF (ingest_engine), "lean", 0, 0, "lean|webrtcbin",
    "WHIP session engine: lean (libnice, OpenSSL DTLS and SRTP on a fixed pool of event-loop "
    "threads), or a GStreamer webrtcbin per session" },
  { "record-max-file-mb", SETTING_INT, OFF (record_max_file_mb), "2048", 1, 2048, NULL,
    "MiB beyond which an MP4 or AAC recording file is split (TRTC splits at 2 GB)" },
  { "storage-endpoint", SETTING_STRING, OFF (storage_endpoint), "", 0, 0, NULL,
    "VENDOR=URL|local: CloudStorage Vendor 0 (COS) or 1 (AWS S3) at an S3-compatible server "
    "(path-style), or kept in the local store; repeatable (or ','-separated); default: the "
    "vendor's public endpoint" },
  { "spool-max-mb", SETTING_INT, OFF (spool_max_mb), "10240", 1, 16777216, NULL,
    "MiB of recorded files that may wait in the spool for storage (files beyond wait in the "
    "worker, and the task reports SpoolFull)" },
  { "upload-threads", SETTING_INT, OFF (upload_threads), "4", 1, 64, NULL,
    "uploads running at once (one per task at a time)" },
  { "callback-retry-window", SETTING_INT, OFF (callback_retry_window), "86400", 1, 31536000, NULL,
    "seconds a callback event is retried before it is given up (default a day; 60 with "
    "callback-retry-max 10 is TRTC's policy)" },
  { "callback-retry-max", SETTING_INT, OFF (callback_retry_max), "300", 1, 86400, NULL,
    "longest wait in seconds between two attempts of a callback (after one immediate retry, the "
    "wait doubles from 1 s)" },
  { "upload-timeout", SETTING_INT, OFF (upload_timeout), "30", 1, 3600, NULL,
    "seconds a storage request may stall (no byte moving) before it is retried" },
  { "upload-retry-max", SETTING_INT, OFF (upload_retry_max), "60", 1, 3600, NULL,
    "longest wait in seconds between two attempts of a failing upload (backoff doubles from 1 s)" },
  { "upload-rate-limit-kbps", SETTING_INT, OFF (upload_rate_limit_kbps), "0", 0, 100000000, NULL,
    "upload bandwidth of each transfer in KiB/s, to spare the uplink (0: unlimited)" },
  { "upload-part-mb", SETTING_INT, OFF (upload_part_mb), "16", 1, 5120, NULL,
    "files larger than this go as multipart uploads in parts of this many MiB (S3 needs >= 5)" },
  { "disk-min-free-mb", SETTING_INT, OFF (disk_min_free_mb), "512", 0, 16777216, NULL,
    "MiB that must stay free on the disks of data-dir (spool, database) and storage-dir: "
    "CreateCloudRecording is refused with FailedOperation below (0: no check)" },
  { "storage-retention-days", SETTING_INT, OFF (storage_retention_days), "0", 0, 36500, NULL,
    "days after a task finished that its local recording (storage-dir/<prefix>/<TaskId>) is "
    "removed; checked at start and hourly (0: kept forever)" },
  { "storage-retention-unit-s", SETTING_INT, OFF (storage_retention_unit_s), "86400", 1, 86400,
    NULL, "seconds in one storage-retention day (for tests; leave at 86400)" },
  { "workers", SETTING_ENUM, OFF (workers), "on", 0, 0, "on|off",
    "start a `cloudrec record` worker per task (off: tasks stay Idle, for API-only use)" },
  { "public-url", SETTING_STRING, OFF (public_url), "", 0, 0, NULL,
    "base of the VOD library's VideoUrls, e.g. https://vod.example.com (default http://<listen>)" },
  { "vod-url-key", SETTING_STRING, OFF (vod_url_key), "", 0, 0, NULL,
    "VOD URL signing key, 8-64 letters or digits (default: generated once into "
    "<data-dir>/vod-url.key)" },
  { "vod-url-ttl", SETTING_INT, OFF (vod_url_ttl), "86400", 60, 31536000, NULL,
    "seconds a signed VOD URL (VideoUrl) stays valid" },
  { "fetch-deny", SETTING_STRING, OFF (fetch_deny), CR_NET_FILTER_DEFAULT, 0, 0, NULL,
    "','-separated address ranges (CIDR) never connected to when fetching or posting to a URL a "
    "user gave (pictures, callbacks), checked on the resolved address; \"\" for none" },
  { "stop-timeout", SETTING_INT, OFF (stop_timeout), "30", 1, 3600, NULL,
    "seconds a SIGTERM/SIGINT waits for workers to close their files, uploads and callbacks "
    "before the daemon exits anyway (a second signal exits at once)" },
  { "console-admin-token", SETTING_STRING, OFF (console_admin_token), "", 0, 0, NULL,
    "a token that logs in to the web console as the operator (every app; room kicks and "
    "dismissals as the server); \"\" for none" },
  { "console-session-minutes", SETTING_INT, OFF (console_session_minutes), "60", 1, 10080, NULL,
    "minutes a web console session lasts after its login" },
  { "console-session-unit-s", SETTING_INT, OFF (console_session_unit_s), "60", 1, 60, NULL,
    "seconds in one console-session minute; for tests only" },
  { "metrics-token", SETTING_STRING, OFF (metrics_token), "", 0, 0, NULL,
    "a bearer token /metrics wants (Authorization: Bearer ...); \"\" serves it to anyone who "
    "reaches the port" },
  { "tls-cert", SETTING_STRING, OFF (tls_cert), "", 0, 0, NULL,
    "PEM certificate (chain) file: the listen port speaks HTTPS (API, WHIP, pages); with tls-key" },
  { "tls-key", SETTING_STRING, OFF (tls_key), "", 0, 0, NULL, "PEM private key file of tls-cert" },
  { "ice-public-address", SETTING_STRING, OFF (ice_public_address), "", 0, 0, NULL,
    "an IP address WHIP answers also offer as each ICE host candidate's address (the same ports): "
    "the daemon behind a 1:1 NAT, or reached by publishers on other machines" },
  { "log-format", SETTING_ENUM, OFF (log_format), "text", 0, 0, "text|json",
    "text: one line per message; json: one JSON object per line (time, level, domain, message)" },
  { "web-record-user", SETTING_STRING, OFF (web_record_user), "cloudrec-web", 0, 0, NULL,
    "the unprivileged system user a web recording's Chromium, Xvfb and PulseAudio run as when the "
    "daemon runs as root (scripts/deps.sh creates it); \"\": the daemon's own user" },
  { "web-record-min-duration", SETTING_INT, OFF (web_record_min_duration), "1800", 1, 86400,
    NULL, "StartWebRecord's smallest MaxDurationLimit in seconds (TRTC: 1800; tests lower it)" },
  { "board-max-connections", SETTING_INT, OFF (board_max_connections), "200", 1, 100000, NULL,
    "pages connected to one whiteboard at most (/board/ws answers 503 beyond)" },
  { "board-rate-limit", SETTING_INT, OFF (board_rate_limit), "200", 1, 100000, NULL,
    "messages per second one whiteboard page may send (refused with an error message beyond)" },
};

/* String settings with a syntax of their own, checked when read. */
static gboolean
check_fetch_deny (const char *value, GError **error)
{
  g_autoptr (CrNetFilter) f = cr_net_filter_new (value, error);
  return f != NULL;
}

static gboolean
check_ip_address (const char *value, GError **error)
{
  g_autoptr (GInetAddress) a = *value != '\0' ? g_inet_address_new_from_string (value) : NULL;
  if (*value != '\0' && (a == NULL || g_inet_address_get_is_any (a))) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "\"%s\" is not a numeric IPv4 or IPv6 address", value);
    return FALSE;
  }
  return TRUE;
}

static const struct {
  const char *name;
  gboolean (*check) (const char *value, GError **error);
} checks[] = {
  { "fetch-deny", check_fetch_deny },
  { "ice-public-address", check_ip_address },
};

static gboolean
setting_apply (CrConfig *config, const Setting *s, const char *value, const char *source,
               GError **error)
{
  gpointer field = G_STRUCT_MEMBER_P (config, s->offset);
  if (s->type == SETTING_INT) {
    gint64 v = 0;
    if (!g_ascii_string_to_signed (value, 10, s->min, s->max, &v, NULL)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s: %s must be an integer in [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                   "], got \"%s\"",
                   source, s->name, s->min, s->max, value);
      return FALSE;
    }
    *(gint64 *)field = v;
    return TRUE;
  }
  if (s->type == SETTING_ENUM) {
    g_auto (GStrv) choices = g_strsplit (s->choices, "|", 0);
    if (!g_strv_contains ((const char *const *)choices, value)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: %s must be one of %s",
                   source, s->name, s->choices);
      return FALSE;
    }
  }
  for (guint i = 0; i < G_N_ELEMENTS (checks); i++) {
    g_autoptr (GError) why = NULL;
    if (strcmp (checks[i].name, s->name) == 0 && !checks[i].check (value, &why)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: %s: %s", source, s->name,
                   why->message);
      return FALSE;
    }
  }
  char **slot = field;
  g_free (*slot);
  *slot = g_strdup (value);
  return TRUE;
}

/* Old names still accepted (flag, file key, CLOUDREC_ variable); the new name wins over an old
 * one given in the same source. */
static const struct {
  const char *old_name, *name;
} aliases[] = {
  { "ingest-media-timeout", "ingest-liveness-timeout" }, /* before sessions lived by liveness */
};

static const Setting *
setting_find (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (aliases); i++) {
    if (strcmp (aliases[i].old_name, name) == 0)
      name = aliases[i].name;
  }
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++) {
    if (strcmp (settings[i].name, name) == 0)
      return &settings[i];
  }
  return NULL;
}

CrConfig *
cr_config_new_defaults (void)
{
  CrConfig *config = g_new0 (CrConfig, 1);
  config->apps = cr_apps_new ();
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++) {
    gboolean ok = setting_apply (config, &settings[i], settings[i].def, "default", NULL);
    g_assert (ok);
  }
  return config;
}

void
cr_config_free (CrConfig *config)
{
  if (config == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++) {
    if (settings[i].type != SETTING_INT)
      g_free (*(char **)G_STRUCT_MEMBER_P (config, settings[i].offset));
  }
  cr_apps_free (config->apps);
  g_free (config);
}

static gboolean
config_load_app_group (CrConfig *config, GKeyFile *kf, const char *group, const char *path,
                       GError **error)
{
  guint64 id = 0;
  if (!g_ascii_string_to_unsigned (group + strlen ("app "), 10, 1, G_MAXUINT32, &id, NULL)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "%s: group [%s] must be [app <SdkAppId>]", path, group);
    return FALSE;
  }
  g_autofree char *usersig_key = g_key_file_get_string (kf, group, "usersig-key", NULL);
  g_autofree char *cb_url = g_key_file_get_string (kf, group, "callback-url", NULL);
  g_autofree char *cb_key = g_key_file_get_string (kf, group, "callback-key", NULL);
  g_auto (GStrv) secrets = g_key_file_get_string_list (kf, group, "secrets", NULL, NULL);
  if (secrets == NULL || secrets[0] == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "%s: [%s] needs secrets=SECRETID:SECRETKEY[;...]", path, group);
    return FALSE;
  }
  for (char **s = secrets; *s; s++) {
    g_auto (GStrv) pair = g_strsplit (*s, ":", 2);
    if (g_strv_length (pair) != 2) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s: [%s] secrets entries are SECRETID:SECRETKEY", path, group);
      return FALSE;
    }
    if (!cr_apps_add (config->apps, id, pair[0], pair[1], usersig_key, cb_key, cb_url, error))
      return FALSE;
  }
  CrApp *app = (CrApp *)cr_apps_find (config->apps, id);
  g_free (app->storage_access_key);
  g_free (app->storage_secret_key);
  app->storage_access_key = g_key_file_get_string (kf, group, "storage-access-key", NULL);
  app->storage_secret_key = g_key_file_get_string (kf, group, "storage-secret-key", NULL);
  if ((app->storage_access_key == NULL) != (app->storage_secret_key == NULL)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "%s: [%s] needs both storage-access-key and storage-secret-key, or neither", path,
                 group);
    return FALSE;
  }
  g_autoptr (GError) auto_error = NULL;
  CrAutoTemplate *auto_record = NULL;
  if (!cr_auto_template_from_keyfile (kf, group, &auto_record, &auto_error)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: [%s] %s", path, group,
                 auto_error->message);
    return FALSE;
  }
  if (auto_record != NULL) {
    cr_auto_template_free (app->auto_record);
    app->auto_record = auto_record;
  }
  CrAutoTemplate *class_storage = NULL;
  if (!cr_auto_template_storage_from_keyfile (kf, group, "class-record", &class_storage,
                                              &auto_error)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: [%s] %s", path, group,
                 auto_error->message);
    return FALSE;
  }
  if (class_storage != NULL) {
    cr_auto_template_free (app->class_storage);
    app->class_storage = class_storage;
  }
  return TRUE;
}

gboolean
cr_config_load_file (CrConfig *config, const char *path, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_key_file_set_list_separator (kf, ';');
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, error))
    return FALSE;
  g_auto (GStrv) groups = g_key_file_get_groups (kf, NULL);
  for (char **g = groups; *g; g++) {
    if (g_str_has_prefix (*g, "app ")) {
      if (!config_load_app_group (config, kf, *g, path, error))
        return FALSE;
      continue;
    }
    if (strcmp (*g, "cloudrec") != 0) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                   "%s: unknown group [%s]; use [cloudrec] or [app <SdkAppId>]", path, *g);
      return FALSE;
    }
    g_auto (GStrv) keys = g_key_file_get_keys (kf, *g, NULL, NULL);
    for (char **k = keys; *k; k++) {
      const Setting *s = setting_find (*k);
      if (s == NULL) {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                     "%s: unknown setting \"%s\" (see `cloudrec serve --help`)", path, *k);
        return FALSE;
      }
      g_autofree char *v = g_key_file_get_string (kf, *g, *k, error);
      if (v == NULL || !setting_apply (config, s, v, path, error))
        return FALSE;
    }
  }
  return TRUE;
}

static char *
setting_env_name (const char *name)
{
  g_autofree char *up = g_ascii_strup (name, -1);
  g_strdelimit (up, "-", '_');
  return g_strconcat ("CLOUDREC_", up, NULL);
}

gboolean
cr_config_load_env (CrConfig *config, char **envp, GError **error)
{
  g_auto (GStrv) own = envp == NULL ? g_get_environ () : NULL;
  char **env = envp != NULL ? envp : own;
  for (guint i = 0; i < G_N_ELEMENTS (aliases); i++) {
    g_autofree char *var = setting_env_name (aliases[i].old_name);
    const char *v = g_environ_getenv (env, var);
    if (v != NULL && !setting_apply (config, setting_find (aliases[i].name), v, var, error))
      return FALSE;
  }
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++) {
    g_autofree char *var = setting_env_name (settings[i].name);
    const char *v = g_environ_getenv (env, var);
    if (v != NULL && !setting_apply (config, &settings[i], v, var, error))
      return FALSE;
  }
  const char *apps = g_environ_getenv (env, "CLOUDREC_APPS");
  if (apps != NULL) {
    g_auto (GStrv) specs = g_strsplit (apps, ";", 0);
    for (char **s = specs; *s; s++) {
      if (**s != '\0' && !cr_apps_add_spec (config->apps, *s, error))
        return FALSE;
    }
  }
  return TRUE;
}

/* Splits "--name=value" or "--name value"; advances *i past what it used. */
static gboolean
arg_take (int argc, char **argv, int *i, char **name, const char **value, GError **error)
{
  const char *arg = argv[*i];
  const char *eq = strchr (arg, '=');
  if (eq != NULL) {
    *name = g_strndup (arg + 2, (gsize)(eq - arg - 2));
    *value = eq + 1;
    return TRUE;
  }
  *name = g_strdup (arg + 2);
  if (*i + 1 >= argc) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--%s needs a value", *name);
    return FALSE;
  }
  *value = argv[++*i];
  return TRUE;
}

gboolean
cr_config_load_args (CrConfig *config, int argc, char **argv, gboolean *want_help, GError **error)
{
  *want_help = FALSE;
  /* --config first, so flags override the file wherever they appear. */
  for (int i = 0; i < argc; i++) {
    if (g_strcmp0 (argv[i], "--help") == 0 || g_strcmp0 (argv[i], "-h") == 0) {
      *want_help = TRUE;
      return TRUE;
    }
    if (g_str_has_prefix (argv[i], "--config")) {
      g_autofree char *name = NULL;
      const char *value = NULL;
      if (!arg_take (argc, argv, &i, &name, &value, error))
        return FALSE;
      if (strcmp (name, "config") == 0 && !cr_config_load_file (config, value, error))
        return FALSE;
    }
  }
  if (!cr_config_load_env (config, NULL, error))
    return FALSE;
  gboolean seen_endpoint = FALSE;
  for (int i = 0; i < argc; i++) {
    if (!g_str_has_prefix (argv[i], "--")) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unexpected argument \"%s\"",
                   argv[i]);
      return FALSE;
    }
    g_autofree char *name = NULL;
    const char *value = NULL;
    if (!arg_take (argc, argv, &i, &name, &value, error))
      return FALSE;
    if (strcmp (name, "config") == 0)
      continue;
    if (strcmp (name, "app") == 0) {
      if (!cr_apps_add_spec (config->apps, value, error))
        return FALSE;
      continue;
    }
    const Setting *s = setting_find (name);
    if (s == NULL) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                   "unknown option --%s (see --help)", name);
      return FALSE;
    }
    g_autofree char *source = g_strconcat ("--", name, NULL);
    g_autofree char *joined = NULL;
    if (s->offset == OFF (storage_endpoint) && seen_endpoint) /* repeatable: joined with ',' */
      value = joined = g_strconcat (config->storage_endpoint, ",", value, NULL);
    if (s->offset == OFF (storage_endpoint))
      seen_endpoint = TRUE;
    if (!setting_apply (config, s, value, source, error))
      return FALSE;
  }
  return TRUE;
}

void
cr_config_finish (CrConfig *config)
{
  if (*config->db_path == '\0') {
    g_free (config->db_path);
    config->db_path = g_build_filename (config->data_dir, "cloudrec.db", NULL);
  }
  if (*config->storage_dir == '\0') {
    g_free (config->storage_dir);
    config->storage_dir = g_build_filename (config->data_dir, "storage", NULL);
  }
}

char *
cr_config_help (void)
{
  GString *out = g_string_new (NULL);
  g_string_append (out,
                   "  --config FILE            read settings and [app N] groups from FILE\n"
                   "  --app SDKAPPID:SECRETID:SECRETKEY:USERSIGKEY[:CALLBACKKEY[:CALLBACKURL]]\n"
                   "                           serve an application (repeatable; env "
                   "CLOUDREC_APPS, ';'-separated)\n");
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++) {
    const Setting *s = &settings[i];
    g_autofree char *flag = g_strdup_printf ("--%s %s", s->name,
                                             s->type == SETTING_INT    ? "N"
                                             : s->type == SETTING_ENUM ? "LEVEL"
                                                                       : "TEXT");
    g_autofree char *env = setting_env_name (s->name);
    g_string_append_printf (out, "  %-24s %s\n  %-24s   default \"%s\"", flag, s->help, "", s->def);
    if (s->type == SETTING_INT)
      g_string_append_printf (out, ", range [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", s->min,
                              s->max);
    if (s->type == SETTING_ENUM)
      g_string_append_printf (out, ", one of %s", s->choices);
    g_string_append_printf (out, ", env %s\n", env);
  }
  return g_string_free (out, FALSE);
}
