/* `cloudrec compose`: a new mixed MP4 from a finished single-stream recording, with any
 * MixLayoutParams (watermarks included) and MixTranscodeParams of a mixed Create.
 *
 * Why the live mix's own pieces: the picture must be the one a mixed task would have recorded,
 * so the parameters go through Create's schemas and spec (validate/, task/spec.h), the tiles come
 * from the layout engine (mix/layout.h) and the compositor is the mix pipeline (mix_pipeline.h)
 * in its offline mode: its inputs are the recording's TS segments, decoded, each run (a stretch
 * without a discontinuity) placed on the output's timeline at its FILE-ATTR start time, and no
 * live source paces it, so it runs as fast as the machine can decode, blend and encode.
 *
 * The timeline: from the earliest segment start of any playlist to the latest segment end (or the
 * window the caller asks for). The
 * layout is computed, as in live mixing, over the streams present in each interval between two
 * run boundaries (a user absent then is a user not in the room: the grid reflows); room-entry
 * order is the order of the streams' first appearance. */
#pragma once

#include <json-glib/json-glib.h>

#include "task/spec.h"

G_BEGIN_DECLS

/* Called from a streaming thread with the share done, 0..100, at most once per percent. */
typedef void (*CrComposeProgressFunc) (int percent, gpointer user_data);
/* Called on the calling thread with what was left out ("image URL: HTTP 404"), once each. */
typedef void (*CrComposeWarningFunc) (const char *text, gpointer user_data);

typedef struct {
  const char *in_dir;   /* the task's directory: its single-stream .m3u8 and .ts */
  const char *out_path; /* the MP4 to write (through "<out>.part") */
  const CrTaskSpec *spec; /* from cr_compose_spec_new() */
  CrComposeProgressFunc progress;
  gpointer progress_data;
  /* Pictures by URL (mix/image_cache.h): cached in @image_dir, never fetched from @fetch_deny
   * (NULL: the default ranges); one that fails is left out with a @warning. */
  const char *image_dir;
  const char *fetch_deny;
  CrComposeWarningFunc warning;
  gpointer warning_data;
  /* Only this part of the recording (Unix ms on its FILE-ATTR timeline; 0: from its start / to
   * its end): what was recorded before @from_ms or after @to_ms is left out of the output. */
  gint64 from_ms, to_ms;
} CrComposeOptions;

typedef struct {
  gint64 start_ms, end_ms; /* the timeline (Unix ms) */
  guint streams, runs;     /* users' streams and runs of segments composed */
} CrComposeResult;

/* The spec of @params: {MixLayoutParams?, MixTranscodeParams?} validated by
 * CreateCloudRecording's schemas (a mixed recording's defaults filled in). NULL with a
 * CR_API_ERROR naming the member otherwise. */
CrTaskSpec *cr_compose_spec_new (JsonObject *params, GError **error);

gboolean cr_compose_run (const CrComposeOptions *opts, CrComposeResult *result, GError **error);

G_END_DECLS
