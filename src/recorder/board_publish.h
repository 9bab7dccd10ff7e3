/* The board publisher: the class recording's whiteboard page (shown by web.c's process tree on
 * its virtual display) published into the class's TRTC room as a stream of its own, so that the
 * mixed recording takes it as one input next to the cameras (docs/class-record.md, "The board").
 *
 * Why a child `cloudrec publish`: the WHIP client (tools/publish.c) is a blocking run with its
 * own loop, signals and reconnects; the worker keeps its loop (status, Stop, failover) and runs
 * the client as a child process with a pluggable source (--capture-display: ximagesrc ->
 * videorate -> x264 zerolatency -> rtph264pay) instead of copying it. The child dies with the
 * worker (parent-death signal), reconnects by itself when its session drops (--reconnect) and is
 * started again by the worker's tick if it exits. Its UserSig travels in its environment, not on
 * its command line. */
#pragma once

#include <glib.h>

#include "task/spec.h"

G_BEGIN_DECLS

typedef struct _CrBoardPublisher CrBoardPublisher;

/* Starts publishing @display (its X cookie in @xauthority) at @width x @height as @b's user of
 * app @sdk_app_id. */
CrBoardPublisher *cr_board_publisher_start (const char *task_id, guint64 sdk_app_id,
                                            const CrSpecBoardPublish *b, const char *display,
                                            const char *xauthority, int width, int height,
                                            GError **error);
/* The worker's tick: a child that exited is started again (after a second). */
void cr_board_publisher_tick (CrBoardPublisher *p);
/* Now while the WHIP session is up (the server answered 201 and no loss since), else the last
 * moment it was; 0 before the first session. */
gint64 cr_board_publisher_last_media_us (CrBoardPublisher *p);
/* Ends the child (SIGTERM: it DELETEs its session; SIGKILL after a grace) and frees. */
void cr_board_publisher_stop (CrBoardPublisher *p);

G_END_DECLS
