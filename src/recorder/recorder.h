/* A recorder: how one recording mode turns the room into files, behind one small interface.
 *
 * Why an interface: the worker's task loop (join the room, follow it, keep the status, end on
 * MaxIdleTime, a kick or a Delete, write the end-of-task files) is the same for every mode;
 * single-stream (single.c) and mixed (mixed.c) recording differ only in what they do with the
 * room's streams. Web-page and board recording become further implementations of the same
 * four calls. */
#pragma once

#include <gst/gst.h>

#include "recorder/room_view.h"
#include "recorder/worker_private.h"

G_BEGIN_DECLS

/* "cloudrec-recorder": the recorders' and the task loop's decisions (GST_DEBUG=cloudrec*:6),
 * registered by cr_worker_run once GStreamer is up. */
GST_DEBUG_CATEGORY_EXTERN (cr_recorder_debug);

typedef struct {
  const char *name;
  /* Ready to record the task (nothing is published yet). NULL with @error when it cannot. */
  CrRecorder *(*start) (Worker *w, GError **error);
  /* The room as it is now (called when it changes, after a Modify, and when follow_due_us says):
   * record what is wanted and new, end what went away or is no longer wanted. FALSE when the
   * recording cannot go on. */
  gboolean (*follow) (CrRecorder *r, const CrRoomView *room);
  /* Monotonic µs at which follow() wants to run again with the same room (a wait that ends, a
   * start to try again), 0 when nothing depends on time; NULL: never. */
  gint64 (*follow_due_us) (CrRecorder *r);
  /* A Modify: the worker's spec is new; @old is the one it replaced. */
  void (*apply_spec) (CrRecorder *r, const CrTaskSpec *old);
  /* Monotonic µs of the last media packet received, 0 if none. */
  gint64 (*last_media_us) (CrRecorder *r);
  /* Closes every file (last segments listed, playlists ended) and frees the recorder. */
  void (*finish) (CrRecorder *r);
} CrRecorderClass;

struct _CrRecorder {
  const CrRecorderClass *klass;
  Worker *w;
};

extern const CrRecorderClass cr_single_recorder_class;
extern const CrRecorderClass cr_mixed_recorder_class;
extern const CrRecorderClass cr_web_recorder_class; /* web.c: StartWebRecord */

G_END_DECLS
