/* The auto-recording watcher: rooms followed through the registry's watch hook, tasks launched
 * through cr_api_create_task(). auto_record.h gives the rules and why. */
#include "auto_record.h"

#include "api/actions.h"
#include "auth/secret_box.h"
#include "common/api_error.h"
#include "common/json_util.h"
#include "validate/validate.h"

/* An app's templates. */
typedef struct {
  guint64 sdk_app_id;
  const CrApp *app;
  CrAutoTemplate *current; /* in force */
  CrAutoSource source;
  char *file_digest; /* of the file's template (the defaults when it has none) */
} AppAuto;

/* A room the watcher has seen since it was created. */
typedef struct {
  guint64 sdk_app_id;
  gboolean string_room;
  char *room_id;
  gboolean eligible;  /* created while its app's template was on */
  char *task_id;      /* the latest auto task, NULL before the first */
  GPtrArray *anchors; /* the users that task records, by entry (char*) */
} AutoRoom;

/* One event, copied under the registry lock. */
typedef struct {
  guint64 sdk_app_id;
  gboolean string_room;
  char *room_id;
  CrRoomEventType type;
  char *user_id;
} Pending;

struct _CrAutoRecord {
  CrApi *api;
  CrRoomRegistry *rooms;
  GHashTable *apps;    /* &sdk_app_id -> AppAuto */
  GHashTable *by_room; /* "app/i|s/room" -> AutoRoom */
  GMutex lock;         /* inbox, drain_id */
  GQueue inbox;        /* Pending */
  guint drain_id;      /* the main loop source that empties the inbox; 0: none queued */
  GMainContext *context;
};

const char *
cr_auto_source_name (CrAutoSource source)
{
  return source == CR_AUTO_SOURCE_API ? "api" : source == CR_AUTO_SOURCE_FILE ? "file" : "default";
}

static void
app_auto_free (AppAuto *a)
{
  cr_auto_template_free (a->current);
  g_free (a->file_digest);
  g_free (a);
}

static void
auto_room_free (AutoRoom *r)
{
  g_free (r->room_id);
  g_free (r->task_id);
  g_ptr_array_unref (r->anchors);
  g_free (r);
}

static void
pending_free (Pending *p)
{
  g_free (p->room_id);
  g_free (p->user_id);
  g_free (p);
}

static char *
room_key (guint64 app, gboolean string_room, const char *room_id)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT "/%c/%s", app, string_room ? 's' : 'i', room_id);
}

static AutoRoom *
auto_room_add (CrAutoRecord *ar, guint64 app, gboolean string_room, const char *room_id,
               gboolean eligible)
{
  AutoRoom *r = g_new0 (AutoRoom, 1);
  r->sdk_app_id = app;
  r->string_room = string_room;
  r->room_id = g_strdup (room_id);
  r->eligible = eligible;
  r->anchors = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  g_hash_table_replace (ar->by_room, room_key (app, string_room, room_id), r);
  return r;
}

/* ---- the template: file, store, API ---- */

/* The stored form: the template with its SecretKey sealed (auth/secret_box.h) when a key is
 * loaded, as task parameters are. */
static char *
template_to_store (const CrAutoTemplate *t, GError **error)
{
  g_autoptr (JsonObject) o = cr_auto_template_to_json (t, FALSE);
  if (t->secret_key != NULL) {
    const guchar *key = cr_secret_box_default ();
    g_autofree char *sealed = key != NULL ? cr_secret_box_seal (key, t->secret_key, error) : NULL;
    if (key != NULL && sealed == NULL)
      return NULL;
    json_object_set_string_member (o, key != NULL ? "SealedSecretKey" : "SecretKey",
                                   key != NULL ? sealed : t->secret_key);
  }
  return cr_json_object_to_string (o);
}

static CrAutoTemplate *
template_from_store (const char *text, GError **error)
{
  g_autoptr (JsonObject) o = cr_json_parse_object (text, strlen (text), error);
  if (o == NULL)
    return NULL;
  const char *sealed = cr_json_get_string (o, "SealedSecretKey");
  if (sealed != NULL) {
    g_autofree char *plain = cr_secret_box_open (cr_secret_box_default (), sealed, error);
    if (plain == NULL)
      return NULL;
    json_object_set_string_member (o, "SecretKey", plain);
  }
  g_autoptr (CrAutoTemplate) t = cr_auto_template_new ();
  if (!cr_auto_template_apply_json (t, o, error))
    return NULL;
  return g_steal_pointer (&t);
}

static gboolean
auto_load_app (CrAutoRecord *ar, const CrApp *app, GError **error)
{
  CrTaskStore *store = ar->api->store;
  AppAuto *a = g_new0 (AppAuto, 1);
  a->sdk_app_id = app->sdk_app_id;
  a->app = app;
  a->current = app->auto_record != NULL ? cr_auto_template_copy (app->auto_record)
                                        : cr_auto_template_new ();
  a->source = app->auto_record != NULL ? CR_AUTO_SOURCE_FILE : CR_AUTO_SOURCE_DEFAULT;
  a->file_digest = cr_auto_template_digest (a->current);
  g_hash_table_insert (ar->apps, &a->sdk_app_id, a);

  g_autofree char *stored = NULL, *made_against = NULL;
  if (store->vt->get_auto_template == NULL)
    return TRUE;
  if (!store->vt->get_auto_template (store, app->sdk_app_id, &stored, &made_against, error))
    return FALSE;
  if (stored == NULL)
    return TRUE;
  if (g_strcmp0 (made_against, a->file_digest) != 0) {
    g_info ("auto-record: SdkAppId %" G_GUINT64_FORMAT ": the config file's template changed "
            "since CloudrecModifyAutoRecord changed it; the file's is used and the change dropped",
            app->sdk_app_id);
    return store->vt->put_auto_template (store, app->sdk_app_id, NULL, NULL, 0, error);
  }
  g_autoptr (GError) read_error = NULL;
  CrAutoTemplate *t = template_from_store (stored, &read_error);
  if (t == NULL) {
    g_warning ("auto-record: SdkAppId %" G_GUINT64_FORMAT ": the stored template is unreadable "
               "(%s); the config file's is used",
               app->sdk_app_id, read_error->message);
    return TRUE;
  }
  cr_auto_template_free (a->current);
  a->current = t;
  a->source = CR_AUTO_SOURCE_API;
  return TRUE;
}

const CrAutoTemplate *
cr_auto_record_template (CrAutoRecord *ar, guint64 sdk_app_id, CrAutoSource *source)
{
  AppAuto *a = g_hash_table_lookup (ar->apps, &sdk_app_id);
  if (a == NULL)
    return NULL;
  if (source != NULL)
    *source = a->source;
  return a->current;
}

gboolean
cr_auto_record_modify (CrAutoRecord *ar, guint64 sdk_app_id, JsonObject *patch, GError **error)
{
  AppAuto *a = g_hash_table_lookup (ar->apps, &sdk_app_id);
  if (a == NULL) {
    cr_api_error_set (error, "InvalidParameter.SdkAppId",
                      "SdkAppId %" G_GUINT64_FORMAT " is not served here", sdk_app_id);
    return FALSE;
  }
  g_autoptr (CrAutoTemplate) next = cr_auto_template_copy (a->current);
  g_autoptr (GError) why = NULL;
  if (!cr_auto_template_apply_json (next, patch, &why)) {
    cr_api_error_set (error, "InvalidParameter", "%s", why->message);
    return FALSE;
  }
  g_autofree char *text = template_to_store (next, &why);
  if (text == NULL) {
    cr_api_error_set (error, "InternalError", "sealing SecretKey: %s", why->message);
    return FALSE;
  }
  CrTaskStore *store = ar->api->store;
  if (store->vt->put_auto_template == NULL
      || !store->vt->put_auto_template (store, sdk_app_id, text, a->file_digest, ar->api->now_ms (),
                                        error)) {
    if (error != NULL && *error == NULL)
      cr_api_error_set (error, "InternalError", "this store keeps no auto-recording template");
    return FALSE;
  }
  gboolean was_on = a->current->enabled;
  cr_auto_template_free (a->current);
  a->current = g_steal_pointer (&next);
  a->source = CR_AUTO_SOURCE_API;
  g_info ("auto-record: SdkAppId %" G_GUINT64_FORMAT ": template changed through the API (%s%s)",
          sdk_app_id, a->current->enabled ? "on" : "off",
          was_on != a->current->enabled ? ", from now on" : "");
  return TRUE;
}

/* ---- the rooms ---- */

static char *
auto_robot_id (void)
{
  return g_strdup_printf (CR_AUTO_ROBOT_PREFIX "%06x%06x", g_random_int () & 0xffffff,
                          g_random_int () & 0xffffff);
}

/* The users publishing in the room now, by entry, each once, at most @max. */
static GPtrArray *
auto_room_anchors_now (CrAutoRecord *ar, const AutoRoom *r, gint64 max)
{
  GPtrArray *out = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  CrRoomKey key = { r->sdk_app_id, r->string_room, r->room_id };
  g_autoptr (GPtrArray) streams = cr_room_list_streams (ar->rooms, &key);
  for (guint i = 0; streams != NULL && i < streams->len && out->len < (guint)max; i++) {
    const CrRoomStream *s = g_ptr_array_index (streams, i);
    gboolean seen = FALSE;
    for (guint j = 0; j < out->len && !seen; j++)
      seen = g_strcmp0 (g_ptr_array_index (out, j), s->user_id) == 0;
    if (!seen)
      g_ptr_array_add (out, g_strdup (s->user_id));
  }
  return out;
}

/* The anchors arrays are NULL-terminated. */
static const char *const *
anchors_strv (GPtrArray *anchors)
{
  return (const char *const *)anchors->pdata;
}

static void
auto_room_start (CrAutoRecord *ar, AutoRoom *r, const AppAuto *a)
{
  const CrAutoTemplate *t = a->current;
  g_autoptr (GPtrArray) anchors = auto_room_anchors_now (ar, r, t->max_anchors);
  if (anchors->len == 0)
    return; /* gone again before we looked */
  g_autofree char *robot = auto_robot_id ();
  g_autoptr (JsonObject) raw = cr_auto_template_request (
      t, r->sdk_app_id, r->room_id, r->string_room, robot, anchors_strv (anchors));
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params
      = cr_validate_request ("CreateCloudRecording", raw, CR_VALIDATE_JSON, &error);
  g_autofree char *task_id = NULL;
  if (params != NULL) {
    cr_auto_template_finish_request (t, params);
    cr_api_create_task (ar->api, a->app, params, CR_CREATE_ROBOT_TRUSTED, &task_id, &error);
  }
  if (task_id == NULL) {
    g_warning ("auto-record: room %s of SdkAppId %" G_GUINT64_FORMAT
               ": cannot start the recording: %s",
               r->room_id, r->sdk_app_id, error->message);
    return;
  }
  CrTaskStore *store = ar->api->store;
  if (store->vt->add_auto_task != NULL
      && !store->vt->add_auto_task (store, r->sdk_app_id, task_id, ar->api->now_ms (), &error))
    g_warning ("auto-record: task %s is not listed as an auto task: %s", task_id, error->message);
  g_info ("auto-record: room %s of SdkAppId %" G_GUINT64_FORMAT ": task %s (robot %s) records "
          "%u anchor(s)",
          r->room_id, r->sdk_app_id, task_id, robot, anchors->len);
  g_free (r->task_id);
  r->task_id = g_steal_pointer (&task_id);
  g_ptr_array_unref (r->anchors);
  r->anchors = g_steal_pointer (&anchors);
}

/* A new anchor joins the live task's allow lists, as a Modify would change them. */
static void
auto_room_add_anchor (CrAutoRecord *ar, AutoRoom *r, const CrTask *task, const char *user_id)
{
  g_ptr_array_add (r->anchors, g_strdup (user_id));
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params
      = cr_json_parse_object (task->params_json, strlen (task->params_json), &error);
  if (params == NULL) {
    g_warning ("auto-record: task %s: %s", task->task_id, error->message);
    return;
  }
  cr_auto_request_set_anchors (params, anchors_strv (r->anchors));
  g_autofree char *text = cr_json_object_to_string (params);
  if (!ar->api->store->vt->update_params (ar->api->store, task->sdk_app_id, task->task_id, text,
                                          ar->api->now_ms (), &error))
    g_warning ("auto-record: task %s: cannot add anchor %s: %s", task->task_id, user_id,
               error->message);
  else
    g_info ("auto-record: task %s now records %s too (%u anchors)", task->task_id, user_id,
            r->anchors->len);
}

static void
auto_room_on_publish (CrAutoRecord *ar, AutoRoom *r, const char *user_id)
{
  AppAuto *a = g_hash_table_lookup (ar->apps, &r->sdk_app_id);
  if (a == NULL || !r->eligible)
    return;
  g_autoptr (CrTask) task = NULL;
  if (r->task_id != NULL)
    task = ar->api->store->vt->lookup (ar->api->store, r->sdk_app_id, r->task_id, NULL);
  if (task != NULL && task->status != CR_TASK_EXITED) {
    for (guint i = 0; i < r->anchors->len; i++) {
      if (g_strcmp0 (g_ptr_array_index (r->anchors, i), user_id) == 0)
        return; /* back within the resume wait: the same task, the same files */
    }
    if (r->anchors->len < (guint)a->current->max_anchors)
      auto_room_add_anchor (ar, r, task, user_id);
    else
      g_info ("auto-record: room %s: %s is not recorded: task %s records the first %u anchors",
              r->room_id, user_id, r->task_id, r->anchors->len);
    return;
  }
  if (!a->current->enabled)
    return; /* turned off since the room was created: no new task */
  auto_room_start (ar, r, a);
}

static void
auto_handle (CrAutoRecord *ar, const Pending *p)
{
  g_autofree char *key = room_key (p->sdk_app_id, p->string_room, p->room_id);
  AutoRoom *r = g_hash_table_lookup (ar->by_room, key);
  if (r == NULL) {
    /* The room's first event: it was created just now (or anew after a DESTROY). */
    AppAuto *a = g_hash_table_lookup (ar->apps, &p->sdk_app_id);
    gboolean on = a != NULL && a->current->enabled;
    r = auto_room_add (ar, p->sdk_app_id, p->string_room, p->room_id, on);
    g_debug ("auto-record: room %s of SdkAppId %" G_GUINT64_FORMAT " created (%s)", p->room_id,
             p->sdk_app_id, on ? "recorded" : "not recorded");
  }
  if (p->type == CR_ROOM_EVENT_DESTROY)
    g_hash_table_remove (ar->by_room, key);
  else if (p->type == CR_ROOM_EVENT_PUBLISH)
    auto_room_on_publish (ar, r, p->user_id);
}

static gboolean
auto_drain (gpointer data)
{
  CrAutoRecord *ar = data;
  for (;;) {
    g_mutex_lock (&ar->lock);
    Pending *p = g_queue_pop_head (&ar->inbox);
    if (p == NULL)
      ar->drain_id = 0;
    g_mutex_unlock (&ar->lock);
    if (p == NULL)
      return G_SOURCE_REMOVE;
    auto_handle (ar, p);
    pending_free (p);
  }
}

/* The registry's watch hook: any thread, the registry lock held. */
static void
auto_on_room_event (const CrRoomKey *key, const CrRoomEvent *ev, gpointer data)
{
  CrAutoRecord *ar = data;
  Pending *p = g_new0 (Pending, 1);
  p->sdk_app_id = key->sdk_app_id;
  p->string_room = key->string_room;
  p->room_id = g_strdup (key->room_id);
  p->type = ev->type;
  p->user_id = g_strdup (ev->user_id);
  g_mutex_lock (&ar->lock);
  g_queue_push_tail (&ar->inbox, p);
  if (ar->drain_id == 0) {
    GSource *source = g_idle_source_new ();
    g_source_set_callback (source, auto_drain, ar, NULL);
    ar->drain_id = g_source_attach (source, ar->context);
    g_source_unref (source);
  }
  g_mutex_unlock (&ar->lock);
}

/* Live auto tasks of an earlier run (resumed by the supervisor) keep their rooms: the anchors
 * publishing again after a restart are theirs, not a new task's. */
static void
auto_adopt_live_tasks (CrAutoRecord *ar)
{
  CrTaskStore *store = ar->api->store;
  if (store->vt->list_auto_tasks == NULL)
    return;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, ar->apps);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    const AppAuto *a = value;
    g_autoptr (GPtrArray) tasks = store->vt->list_auto_tasks (store, a->sdk_app_id, NULL);
    for (guint i = 0; tasks != NULL && i < tasks->len; i++) {
      const CrTask *task = g_ptr_array_index (tasks, i);
      g_autofree char *key = room_key (task->sdk_app_id, task->room_id_type == 0, task->room_id);
      if (task->status == CR_TASK_EXITED || g_hash_table_contains (ar->by_room, key))
        continue;
      AutoRoom *r
          = auto_room_add (ar, task->sdk_app_id, task->room_id_type == 0, task->room_id, TRUE);
      r->task_id = g_strdup (task->task_id);
      g_autoptr (JsonObject) params
          = cr_json_parse_object (task->params_json, strlen (task->params_json), NULL);
      JsonArray *allow
          = cr_json_get_array (cr_json_get_object (cr_json_get_object (params, "RecordParams"),
                                                   "SubscribeStreamUserIds"),
                               "SubscribeAudioUserIds");
      for (guint j = 0; allow != NULL && j < json_array_get_length (allow); j++)
        g_ptr_array_add (r->anchors, g_strdup (json_array_get_string_element (allow, j)));
      g_info ("auto-record: room %s of SdkAppId %" G_GUINT64_FORMAT " goes on with task %s",
              task->room_id, task->sdk_app_id, task->task_id);
    }
  }
}

CrAutoRecord *
cr_auto_record_new (CrApi *api, CrRoomRegistry *rooms, GError **error)
{
  g_autoptr (CrAutoRecord) ar = g_new0 (CrAutoRecord, 1);
  ar->api = api;
  ar->apps
      = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, (GDestroyNotify)app_auto_free);
  ar->by_room
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)auto_room_free);
  g_mutex_init (&ar->lock);
  g_queue_init (&ar->inbox);
  ar->context = g_main_context_ref_thread_default ();
  for (guint i = 0; i < cr_apps_count (api->config->apps); i++) {
    const CrApp *app = cr_apps_nth (api->config->apps, i);
    if (!auto_load_app (ar, app, error))
      return NULL;
    const CrAutoTemplate *t = cr_auto_record_template (ar, app->sdk_app_id, NULL);
    CrAutoSource source = CR_AUTO_SOURCE_DEFAULT;
    cr_auto_record_template (ar, app->sdk_app_id, &source);
    if (t->enabled || source != CR_AUTO_SOURCE_DEFAULT)
      g_info ("auto-record: SdkAppId %" G_GUINT64_FORMAT ": %s (%s template), %s %s, storage %s",
              app->sdk_app_id, t->enabled ? "on" : "off", cr_auto_source_name (source),
              cr_auto_stream_name (t->stream_type), cr_auto_format_name (t->output_format),
              cr_auto_storage_name (t->storage));
  }
  auto_adopt_live_tasks (ar);
  ar->rooms = rooms;
  if (rooms != NULL)
    cr_room_registry_set_watch_hook (rooms, auto_on_room_event, ar);
  return g_steal_pointer (&ar);
}

void
cr_auto_record_free (CrAutoRecord *ar)
{
  if (ar == NULL)
    return;
  if (ar->rooms != NULL)
    cr_room_registry_set_watch_hook (ar->rooms, NULL, NULL);
  /* No hook call runs now (it holds the registry lock, which the line above took). */
  if (ar->drain_id != 0) {
    GSource *source = g_main_context_find_source_by_id (ar->context, ar->drain_id);
    if (source != NULL)
      g_source_destroy (source);
  }
  g_queue_clear_full (&ar->inbox, (GDestroyNotify)pending_free);
  g_hash_table_unref (ar->by_room);
  g_hash_table_unref (ar->apps);
  g_main_context_unref (ar->context);
  g_mutex_clear (&ar->lock);
  g_free (ar);
}
