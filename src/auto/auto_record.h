/* Auto-recording (seed 002, "全局自动录制"; docs/auto-record.md): the daemon watches every room
 * and, for an app whose template is on, launches an ordinary single-stream task when a room
 * created after it was turned on gets its first anchor's upstream.
 *
 * Why a watcher in the daemon rather than in the workers: which rooms are "new" and which anchors
 * came first is a property of the whole room's life, which only the registry sees; and the task
 * it launches goes through cr_api_create_task() like any API task, so names, tags, callbacks,
 * storage, Describe and Delete are the API's own. The rules:
 * - a room is eligible when it is created (its first event, or its first after a DESTROY) while
 *   its app's template is on; a room that already existed stays unrecorded;
 * - an anchor publishing in an eligible room with no live auto task starts one, recording the
 *   anchors in the room by entry order, up to the template's MaxAnchors (25): the task's
 *   subscription allow lists; a later anchor is added while there is room in the list, never
 *   one beyond it;
 * - the task's MaxIdleTime is the resume wait: it ends when every anchor has left and the wait
 *   passed; an anchor back within it continues the same files; after it, the next anchor starts a
 *   new task.
 * Main-thread only, but for the registry's watch hook, which only queues. */
#pragma once

#include "api/api.h"
#include "auto/auto_template.h"

G_BEGIN_DECLS

typedef struct _CrAutoRecord CrAutoRecord;

/* Where an app's template in force comes from. */
typedef enum {
  CR_AUTO_SOURCE_DEFAULT, /* nothing configured: off */
  CR_AUTO_SOURCE_FILE,    /* the config file's [app] group */
  CR_AUTO_SOURCE_API,     /* CloudrecModifyAutoRecord, kept in the store */
} CrAutoSource;

/* Loads every app's template (the file's, or the store's change when it was made against the
 * file's present template; a stale change is dropped with a log line), picks up the live auto
 * tasks a previous run left, and starts watching @rooms. */
CrAutoRecord *cr_auto_record_new (CrApi *api, CrRoomRegistry *rooms, GError **error);
void cr_auto_record_free (CrAutoRecord *ar);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrAutoRecord, cr_auto_record_free)

/* The template in force for @sdk_app_id (never NULL for a configured app) and its source. */
const CrAutoTemplate *cr_auto_record_template (CrAutoRecord *ar, guint64 sdk_app_id,
                                               CrAutoSource *source);
/* Applies @patch (the members of a validated CloudrecModifyAutoRecord) to the app's template,
 * keeps the result in the store and makes it the one in force. Errors are CR_API_ERRORs. */
gboolean cr_auto_record_modify (CrAutoRecord *ar, guint64 sdk_app_id, JsonObject *patch,
                                GError **error);

const char *cr_auto_source_name (CrAutoSource source); /* "default" | "file" | "api" */

G_END_DECLS
