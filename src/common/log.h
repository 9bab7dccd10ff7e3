/* Logging to stderr with a level threshold and UTC timestamps.
 *
 * Why a writer function: every module logs with g_info/g_warning under its own G_LOG_DOMAIN; one
 * writer decides what is shown (the log-level setting) and in what format, so the daemon, the
 * worker processes and the tools all log alike. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Installs the writer; @level is "error", "warning", "info" or "debug". */
void cr_log_init (const char *level);
/* TRUE: each message is one JSON object per line {"time","level","domain","message"}
 * (the log-format setting). */
void cr_log_set_json (gboolean json);

G_END_DECLS
