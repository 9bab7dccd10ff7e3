/* Configuration: one table of every setting, read from a file, the environment and flags.
 *
 * Why one table (as Redis does): each setting is declared once with its type, default, range and
 * help, and the table drives parsing from all three sources, range checks and `--help`, so the
 * docs cannot drift from the code. Precedence: flags > environment (CLOUDREC_<NAME>) > file >
 * default. Applications (SdkAppId with their keys) are entries, not settings: see apps.h. */
#pragma once

#include <glib.h>

#include "config/apps.h"

G_BEGIN_DECLS

typedef struct {
  char *listen;                    /* HOST:PORT of the HTTP API */
  char *data_dir;                  /* root of var state: database, storage, spool */
  char *db_path;                   /* SQLite file; "" = <data-dir>/cloudrec.db */
  char *storage_dir;               /* local blob store; "" = <data-dir>/storage */
  char *log_level;                 /* error | warning | info | debug */
  gint64 api_rate_limit;           /* requests per second per SdkAppId */
  gint64 api_max_tasks;            /* concurrent non-exited tasks per SdkAppId */
  gint64 api_max_streams;          /* streams one task subscribes at most */
  gint64 api_max_body;             /* bytes */
  gint64 api_timeout;              /* seconds a request may take, idle connections included */
  gint64 api_clock_skew;           /* seconds of TC3 timestamp tolerance */
  gint64 room_idle_timeout;        /* seconds a room without publisher lives on */
  char *class_record_board;        /* "true": a class's mixed recording shows the whiteboard */
  gint64 class_idle_stop;          /* seconds without an anchor before a class recording stops */
  gint64 class_pause_stop;         /* seconds a class recording may stay paused */
  gint64 class_max_duration;       /* seconds a class recording lasts at most */
  gint64 replay_url_hours;         /* hours a video-generation class's ReplayUrl stays valid */
  gint64 replay_presign_s;         /* seconds a bucket class's replay segment URLs stay valid */
  gint64 ingest_max_sessions;      /* concurrent WHIP sessions */
  gint64 whip_max_sessions_per_ip; /* concurrent WHIP sessions from one address; 0 = no limit */
  gint64 ingest_connect_timeout;   /* seconds from the answer to a connected peer */
  gint64 ingest_liveness_timeout;  /* seconds without a packet from the peer that end a session */
  gint64 ingest_jitter_latency;    /* milliseconds of jitterbuffer */
  gint64 forward_audio_group;      /* audio packets forwarded together (ingest/forward.h) */
  char *ingest_engine;             /* "webrtcbin" | "lean" (ingest/session.h) */
  gint64 record_max_file_mb;       /* MP4/AAC split size */
  char *storage_endpoint;          /* "VENDOR=URL|local[,...]" (upload/storage_target.h) */
  gint64 spool_max_mb;             /* MiB waiting in the spool at most */
  gint64 upload_threads;           /* transfers at once */
  gint64 upload_timeout;           /* seconds a storage request may stall */
  gint64 callback_retry_window;    /* seconds; 60: TRTC's one minute */
  gint64 callback_retry_max;       /* seconds, the backoff's cap */
  gint64 upload_retry_max;         /* seconds, the backoff's cap */
  gint64 upload_part_mb;           /* multipart beyond, parts of this size */
  gint64 upload_rate_limit_kbps;   /* per transfer; 0 unlimited */
  gint64 disk_min_free_mb;         /* Create refused below this free space; 0 = off */
  gint64 storage_retention_days;   /* local recordings removed after; 0 = kept */
  gint64 storage_retention_unit_s; /* seconds in a retention "day" (tests shorten it) */
  char *workers;                   /* "on": a recording worker per task; "off": tasks stay Idle */
  char *public_url;                /* base of VOD VideoUrls; "" = http://<listen> */
  char *vod_url_key;               /* VOD anti-leech key; "" = <data-dir>/vod-url.key (generated) */
  gint64 vod_url_ttl;              /* seconds a signed VOD URL is valid */
  char *fetch_deny;         /* CIDR ranges user-given URLs never reach (common/net_filter.h) */
  gint64 stop_timeout;      /* seconds a graceful stop waits at most */
  char *metrics_token;      /* bearer token for /metrics; "" = none needed */
  char *log_format;         /* text | json */
  char *tls_cert;           /* PEM file; "" = plain HTTP */
  char *tls_key;            /* PEM file of tls_cert's key */
  char *ice_public_address; /* IP offered as each host candidate's address too; "" = none */
  char *web_record_user;         /* OS user Chromium, Xvfb and PulseAudio run as (docs/web-record.md) */
  gint64 web_record_min_duration; /* MaxDurationLimit's floor; 1800: TRTC's (tests lower it) */
  gint64 board_max_connections;   /* pages connected to one whiteboard at most (docs/board.md) */
  gint64 board_rate_limit;        /* messages per second one board page may send */

  /* The web console (console/console.h): the operator's login ("" = none), a session's life in
   * minutes after its login, and the seconds in one such minute (tests shorten it). */
  char *console_admin_token;
  gint64 console_session_minutes;
  gint64 console_session_unit_s;
  CrApps *apps;
} CrConfig;

CrConfig *cr_config_new_defaults (void);
void cr_config_free (CrConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrConfig, cr_config_free)

/* Loads @path (GKeyFile: [cloudrec] settings, [app <SdkAppId>] groups). */
gboolean cr_config_load_file (CrConfig *config, const char *path, GError **error);
/* Applies CLOUDREC_<NAME> variables from @envp (NULL = the process environment). */
gboolean cr_config_load_env (CrConfig *config, char **envp, GError **error);
/* Applies `--name value` / `--name=value` flags; `--app` may repeat; `--config FILE` is loaded
 * first wherever it appears. Unknown flags are errors. Sets *@want_help on --help/-h. */
gboolean cr_config_load_args (CrConfig *config, int argc, char **argv, gboolean *want_help,
                              GError **error);
/* Resolves derived paths (db_path, storage_dir) once all sources are read. */
void cr_config_finish (CrConfig *config);

/* The settings table as help text, one setting per line. */
char *cr_config_help (void);

G_END_DECLS
