/* The daemon's compose jobs (CloudrecCreateCompose): each a `cloudrec compose` subprocess
 * reading a finished task's files and writing one MP4 next to them.
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
  int progress;    /* 0..100 */
  char *file_name; /* the MP4's name in the task's directory */
  char *error;     /* Failed: why */
  GPtrArray *warnings; /* char *: what was left out (a picture that could not be had) */
  gint64 created_ms, finished_ms;
} CrComposeJob;

/* Called on the main loop when a job ends (Done or Failed). */
typedef void (*CrComposeDoneFunc) (const CrComposeJob *job, gpointer user_data);

/* Starts `<self> compose --in @in_dir --out @in_dir/@file_name --params @params_json
 * --image-cache @image_dir [--fetch-deny @fetch_deny]`; the new job's id, or NULL with @error. */
char *cr_compose_jobs_start (guint64 sdk_app_id, const char *task_id, const char *in_dir,
                             const char *file_name, const char *params_json,
                             const char *image_dir, const char *fetch_deny,
                             CrComposeDoneFunc done, gpointer user_data, GError **error);
/* A copy of the job @compose_id of @sdk_app_id, or NULL. Free with cr_compose_job_free(). */
CrComposeJob *cr_compose_jobs_lookup (guint64 sdk_app_id, const char *compose_id);
void cr_compose_job_free (CrComposeJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrComposeJob, cr_compose_job_free)
const char *cr_compose_status_to_string (CrComposeStatus status);

G_END_DECLS
