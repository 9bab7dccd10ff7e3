/* Class recordings in the task store's SQLite file (tables `class_records` and
 * `class_callbacks`, migration 8), on a connection of its own (as the usage store): each class
 * task's state and record, and each app's online-recording callback. See class_record.h. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CrClassStore CrClassStore;

typedef struct {
  char *task_id;
  guint64 sdk_app_id;
  char *record_user_id;
  char *state; /* "PREPARED", ... (class_state.h) */
  gint64 created_ms, updated_ms;
  gint64 local_until_ms; /* when its local files are removed; 0: never (or done) */
  char *record_json;
} CrClassRow;

void cr_class_row_free (CrClassRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrClassRow, cr_class_row_free)

/* The store's file must exist and be migrated (the task store opens it first). */
CrClassStore *cr_class_store_open (const char *path, GError **error);
void cr_class_store_close (CrClassStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrClassStore, cr_class_store_close)

/* Inserts or replaces the row of @row->task_id. */
gboolean cr_class_store_put (CrClassStore *store, const CrClassRow *row, GError **error);
/* The row or NULL (no error set when there is none). */
CrClassRow *cr_class_store_get (CrClassStore *store, guint64 sdk_app_id, const char *task_id,
                                GError **error);
/* Every row not FINISHED, oldest first (CrClassRow). */
GPtrArray *cr_class_store_list_unfinished (CrClassStore *store, GError **error);

/* Every row whose local files are due for removal (0 < local_until_ms <= @now_ms). */
GPtrArray *cr_class_store_list_expired (CrClassStore *store, gint64 now_ms, GError **error);

/* The app's callback URL and key ("" when unset); set one with the other NULL to keep it. */
gboolean cr_class_store_get_callback (CrClassStore *store, guint64 sdk_app_id, char **url,
                                      char **key, GError **error);
gboolean cr_class_store_set_callback (CrClassStore *store, guint64 sdk_app_id, const char *url,
                                      const char *key, GError **error);

G_END_DECLS
