/* Local class results (no class-record storage configured) are kept the seed's 3 days after the
 * class ends, then removed with their folders, and with the MP4s its video-generation tasks made
 * (<storage>/tiw-video/<SdkAppId>/<TaskId>/). */
#include <glib/gstdio.h>
#include <string.h>

#include "common/file_util.h"
#include "common/json_util.h"
#include "files/naming.h"
#include "task/spec.h"
#include "tiw/class_private.h"
#include "tiw/class_video_gen.h"

/* The local files of class tasks kept past their days (no bucket configured) are removed. */
void
cr_class_rec_sweep_local (CrClassRecorder *rec, gint64 now)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = cr_class_store_list_expired (rec->store, now, &error);
  if (rows == NULL) {
    g_warning ("class recording: %s", error->message);
    return;
  }
  for (guint i = 0; i < rows->len; i++) {
    const CrClassRow *row = g_ptr_array_index (rows, i);
    g_autoptr (JsonObject) r
        = cr_json_parse_object (row->record_json, strlen (row->record_json), NULL);
    if (r == NULL)
      continue;
    JsonArray *spans = cr_json_get_array (r, "Spans");
    for (guint j = 0; spans != NULL && j < json_array_get_length (spans); j++) {
      JsonArray *tasks = cr_json_get_array (json_array_get_object_element (spans, j), "Tasks");
      for (guint k = 0; tasks != NULL && k < json_array_get_length (tasks); k++) {
        const char *trtc = cr_json_get_string (json_array_get_object_element (tasks, k), "TaskId");
        g_autoptr (CrTask) task
            = rec->api->store->vt->lookup (rec->api->store, row->sdk_app_id, trtc, NULL);
        g_autoptr (CrTaskSpec) spec
            = task != NULL ? cr_task_spec_new_from_text (task->params_json, NULL) : NULL;
        if (spec == NULL)
          continue;
        CrNamingTask naming = cr_task_spec_naming (spec, task->task_id);
        g_autofree char *rel = cr_naming_dir (&naming);
        g_autofree char *dir = g_build_filename (rec->api->config->storage_dir, rel, NULL);
        cr_file_remove_tree (dir);
        g_autofree char *parent = g_path_get_dirname (dir);
        g_rmdir (parent); /* the class's folder, once empty */
      }
    }
    /* the MP4s its video-generation tasks made go with them */
    cr_class_video_gen_remove_local (rec, row->sdk_app_id, row->task_id);
    json_object_set_int_member (r, "LocalUntilMs", 0);
    json_object_set_int_member (r, "LocalRemovedMs", now);
    g_info ("class task %s: its local files are removed (%d days without a bucket)", row->task_id,
            CR_CLASS_LOCAL_DAYS);
    cr_class_rec_save_or_warn (rec, r);
  }
}
