/* The room as a worker sees it: who publishes which stream, with which media, since when.
 *
 * Why parsed once: the daemon's answer is JSON; the recorders read typed streams in room-entry
 * order, and the worker compares two views to know whether anything changed. Pure. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  char *user_id;
  gboolean aux;         /* the aux (screen-share) stream, else the main one */
  char *caps[2];        /* audio, video: the RTP caps once the medium arrives, else NULL */
  gboolean announced[2]; /* the publisher's offer has the medium */
  gboolean unordered;    /* its forwards come as packets arrived (a lean ingest session) */
  gint64 since_ms;      /* when it was published: the room-entry order */
} CrRoomStream;

typedef struct {
  GPtrArray *streams; /* CrRoomStream, in room-entry order */
} CrRoomView;

/* From the "Streams" of the daemon's room answer (NULL or absent: an empty room). */
CrRoomView *cr_room_view_new (JsonObject *state);
void cr_room_view_free (CrRoomView *view);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrRoomView, cr_room_view_free)

/* Whether someone other than @robot publishes in the room (an anchor: MaxIdleTime does not run). */
gboolean cr_room_view_has_anchor (const CrRoomView *view, const char *robot);
/* The stream of @user_id (main or @aux), or NULL. */
const CrRoomStream *cr_room_view_find (const CrRoomView *view, const char *user_id, gboolean aux);

G_END_DECLS
