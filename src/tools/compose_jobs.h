/* The daemon's compose jobs (CloudrecCreateCompose): each a `cloudrec compose` subprocess
 * reading a finished task's files and writing one MP4 next to them (in the local store, or
 * downloaded from the task's S3 store and the MP4 uploaded there).
 *
 * Why a subprocess: decoding and encoding a whole recording is minutes of CPU that must not run
 * on the daemon's main loop nor take the daemon down if a file is broken; the command is the same
 * one an operator runs by hand. Jobs live in memory (the daemon's one table, this module's): a
 * daemon restart forgets them, and a job that was running is lost with its subprocess (which dies
 * with the daemon); its callback is never sent (docs/compose.md). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The callback event of a finished job (an extension: TRTC's recording events are 301-312). */
#define CR_EVENT_COMPOSE_DONE 350

typedef enum { CR_COMPOSE_RUNNING, CR_COMPOSE_DONE, CR_COMPOSE_FAILED } CrComposeStatus;

typedef struct {
  char *compose_id;
  guint64 sdk_app_id;
  char *task_id;
  CrComposeStatus status;
  int progress;        /* 0..100 */
  char *file_name;     /* the MP4's name in the task's directory */
  char *object_key;    /* its key in the task's storage ("<Prefix>/<TaskId>/<FileName>") */
  char *url;           /* S3: the object's URL; local storage: "" */
  char *error;         /* Failed: why */
  GPtrArray *warnings; /* char *: what was left out (a picture that could not be had) */
  gint64 created_ms, finished_ms;
} CrComposeJob;

/* Called on the main loop when a job ends (Done or Failed). */
typedef void (*CrComposeDoneFunc) (const CrComposeJob *job, gpointer user_data);

/* Where a job reads the task's files and writes its MP4. */
typedef struct {
  const char *in;  /* --in: the task's directory, or s3://BUCKET/<Prefix>/<TaskId> */
  const char *out; /* --out: the MP4's path, or s3://BUCKET/<key> */
  /* s3://: the task's store; the keys go to the command in its environment
   * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), never on its command line. */
  const char *endpoint; /* NULL: the vendor's public endpoint */
  int vendor;
  const char *region, *access_key, *secret_key;
  const char *object_key, *url; /* reported (CrComposeJob) */
  gint64 from_ms, to_ms;        /* --from-ms/--to-ms: only this part (0: all) */
} CrComposeTarget;

/* Starts `<self> compose --in IN --out OUT --params @params_json --progress-lines
 * --image-cache @image_dir [--fetch-deny @fetch_deny] [--from-ms MS] [--to-ms MS]
 * [--s3-endpoint URL --s3-vendor N --s3-region R]`; the new job's id, or NULL with @error. */
char *cr_compose_jobs_start (guint64 sdk_app_id, const char *task_id, const CrComposeTarget *target,
                             const char *file_name, const char *params_json, const char *image_dir,
                             const char *fetch_deny, CrComposeDoneFunc done, gpointer user_data,
                             GError **error);
/* A copy of the job @compose_id of @sdk_app_id, or NULL. Free with cr_compose_job_free(). */
CrComposeJob *cr_compose_jobs_lookup (guint64 sdk_app_id, const char *compose_id);
void cr_compose_job_free (CrComposeJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrComposeJob, cr_compose_job_free)
const char *cr_compose_status_to_string (CrComposeStatus status);

G_END_DECLS
