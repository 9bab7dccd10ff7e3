/* The worker's task store: its own task, read and written through the daemon over the link.
 *
 * Why a CrTaskStore: the worker keeps calling lookup / set_status / finish / put_file exactly as
 * before, with the same results and the same TRTC error codes, while only the daemon opens the
 * store (link_tasks.h serves these). The other methods are not the worker's business and fail
 * with "InternalError". A call that got no answer fails with CR_LINK_ERROR_NO_ANSWER
 * (link_client.h). */
#pragma once

#include <libsoup/soup.h>

#include "store/task_store.h"

G_BEGIN_DECLS

/* The tasks of @sdk_app_id (the app its put_file calls are for); calls go through @session (a
 * link session, link_client.h; a reference is kept). */
CrTaskStore *cr_link_store_new (SoupSession *session, guint64 sdk_app_id);

G_END_DECLS
