/* Shared by compose.c (the engine) and compose_input.c (the playlists read). */
#pragma once

#include "tools/compose.h"

G_BEGIN_DECLS

#define COMPOSE_AUDIO 1u
#define COMPOSE_VIDEO 2u

/* A stretch of one stream's segments with no discontinuity: one byte stream, one demuxer. */
typedef struct {
  char *user_id;
  gboolean aux;
  guint media;          /* COMPOSE_AUDIO | COMPOSE_VIDEO */
  gint64 start_ms;      /* FILE-ATTR of its first segment */
  gint64 end_ms;        /* the end of its last segment */
  gint64 skip_ms;       /* its first ms left out (compose_keep_window): start_ms is that later */
  GPtrArray *files;     /* paths, NULL-terminated */
  char *key;            /* "<user>/<main|aux>/<index>": unique */
} ComposeRun;

void compose_run_free (ComposeRun *r);
/* Every run of the single-stream playlists of @dir, sorted by start. */
GPtrArray *compose_read_runs (const char *dir, GError **error);
/* Keeps of @runs only what lies in [@from_ms, @to_ms) (0: no bound): runs outside are removed,
 * the others clamped (a run cut at its start skips that much of its media). */
void compose_keep_window (GPtrArray *runs, gint64 from_ms, gint64 to_ms);

G_END_DECLS
