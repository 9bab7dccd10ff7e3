/* The room registry: rooms keyed by app and room id, users with their main/aux streams, and a
 * bounded event log per room. See room.h for why the state is exposed as events. */
#include "room.h"

#include <string.h>

G_DEFINE_QUARK (cr_room_error, cr_room_error)

typedef struct {
  gboolean published;
  gboolean has_audio, has_video;
  gboolean audio_active, video_active;
  gint64 since_ms;
  gpointer publisher;
} Slot;

typedef struct {
  char *user_id;
  Slot slots[2]; /* indexed by CrStreamKind */
  char *member;  /* joined without publishing (a recording robot): its owner (a TaskId) */
} User;

typedef struct {
  guint64 sdk_app_id;
  gboolean string_room;
  char *room_id;
  GHashTable *users;     /* user_id -> User */
  GQueue events;         /* CrRoomEvent, oldest first */
  gint64 empty_since_ms; /* when its last stream stopped; 0 while something is published */
  gint64 destroyed_ms;   /* when it was destroyed (its log is kept a while), 0 while it exists */
} Room;

struct _CrRoomRegistry {
  GMutex lock;
  GHashTable *rooms; /* "app/i|s/room" -> Room */
  gint64 (*now_ms) (void);
  gint64 ttl_ms;
  guint64 seq;
  CrRoomCloseFunc close_func;
  gpointer close_data;
  CrRoomChangeFunc change_func;
  gpointer change_data;
  gboolean changed; /* an event was logged under the lock */
  CrRoomWatchFunc watch_func;
  gpointer watch_data;
  GPtrArray *watched; /* Room*, CrRoomEvent* pairs logged under the lock (with a watch hook) */
};

typedef struct {
  gpointer publisher;
  const char *reason;
} PendingClose;

void
cr_room_event_free (CrRoomEvent *ev)
{
  if (ev == NULL)
    return;
  g_free (ev->user_id);
  g_free (ev->reason);
  g_free (ev);
}

void
cr_room_stream_free (CrRoomStream *s)
{
  if (s == NULL)
    return;
  g_free (s->user_id);
  g_free (s);
}

static void
user_free (User *u)
{
  g_free (u->user_id);
  g_free (u->member);
  g_free (u);
}

static void
room_free (Room *room)
{
  g_hash_table_unref (room->users);
  g_queue_clear_full (&room->events, (GDestroyNotify)cr_room_event_free);
  g_free (room->room_id);
  g_free (room);
}

static char *
room_key_string (const CrRoomKey *key)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT "/%c/%s", key->sdk_app_id,
                          key->string_room ? 's' : 'i', key->room_id);
}

CrRoomRegistry *
cr_room_registry_new (gint64 (*now_ms) (void), gint64 empty_room_ttl_ms)
{
  CrRoomRegistry *reg = g_new0 (CrRoomRegistry, 1);
  g_mutex_init (&reg->lock);
  reg->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)room_free);
  reg->now_ms = now_ms;
  reg->ttl_ms = empty_room_ttl_ms;
  return reg;
}

void
cr_room_registry_free (CrRoomRegistry *reg)
{
  if (reg == NULL)
    return;
  g_hash_table_unref (reg->rooms);
  if (reg->watched != NULL)
    g_ptr_array_unref (reg->watched);
  g_mutex_clear (&reg->lock);
  g_free (reg);
}

void
cr_room_registry_set_change_hook (CrRoomRegistry *reg, CrRoomChangeFunc func, gpointer user_data)
{
  g_mutex_lock (&reg->lock);
  reg->change_func = func;
  reg->change_data = user_data;
  g_mutex_unlock (&reg->lock);
}

void
cr_room_registry_set_watch_hook (CrRoomRegistry *reg, CrRoomWatchFunc func, gpointer user_data)
{
  g_mutex_lock (&reg->lock);
  reg->watch_func = func;
  reg->watch_data = user_data;
  g_mutex_unlock (&reg->lock);
}

static void registry_tell_watcher (CrRoomRegistry *reg);

/* Unlocks, then tells the change hook if an event was logged meanwhile. */
static void
registry_unlock (CrRoomRegistry *reg)
{
  registry_tell_watcher (reg);
  gboolean changed = reg->changed;
  reg->changed = FALSE;
  CrRoomChangeFunc func = reg->change_func;
  gpointer data = reg->change_data;
  g_mutex_unlock (&reg->lock);
  if (changed && func != NULL)
    func (data);
}

void
cr_room_registry_set_close_hook (CrRoomRegistry *reg, CrRoomCloseFunc func, gpointer user_data)
{
  g_mutex_lock (&reg->lock);
  reg->close_func = func;
  reg->close_data = user_data;
  g_mutex_unlock (&reg->lock);
}

/* Hands the events logged under the lock, complete now, to the watch hook (lock held). */
static void
registry_tell_watcher (CrRoomRegistry *reg)
{
  if (reg->watched == NULL || reg->watched->len == 0)
    return;
  for (guint i = 0; reg->watch_func != NULL && i + 1 < reg->watched->len; i += 2) {
    const Room *room = g_ptr_array_index (reg->watched, i);
    CrRoomKey key = { room->sdk_app_id, room->string_room, room->room_id };
    reg->watch_func (&key, g_ptr_array_index (reg->watched, i + 1), reg->watch_data);
  }
  g_ptr_array_set_size (reg->watched, 0);
}

/* The room, destroyed or not. */
static Room *
room_find_any (CrRoomRegistry *reg, const CrRoomKey *key)
{
  g_autofree char *k = room_key_string (key);
  return g_hash_table_lookup (reg->rooms, k);
}

/* The room if it exists now. */
static Room *
room_find (CrRoomRegistry *reg, const CrRoomKey *key)
{
  Room *room = room_find_any (reg, key);
  return room != NULL && room->destroyed_ms == 0 ? room : NULL;
}

static CrRoomEvent *
room_log (CrRoomRegistry *reg, Room *room, CrRoomEventType type, const char *user_id,
          const char *reason)
{
  CrRoomEvent *ev = g_new0 (CrRoomEvent, 1);
  ev->seq = ++reg->seq;
  ev->time_ms = reg->now_ms ();
  ev->type = type;
  ev->user_id = g_strdup (user_id);
  ev->reason = g_strdup (reason);
  g_queue_push_tail (&room->events, ev);
  reg->changed = TRUE;
  if (reg->watch_func != NULL) {
    if (reg->watched == NULL)
      reg->watched = g_ptr_array_new ();
    g_ptr_array_add (reg->watched, room);
    g_ptr_array_add (reg->watched, ev);
  }
  while (room->events.length > CR_ROOM_EVENT_LOG)
    cr_room_event_free (g_queue_pop_head (&room->events));
  return ev;
}

static gboolean
user_has_streams (const User *u)
{
  return u->slots[CR_STREAM_MAIN].published || u->slots[CR_STREAM_AUX].published;
}

static gboolean
room_has_streams (Room *room)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, room->users);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    if (user_has_streams (value))
      return TRUE;
  }
  return FALSE;
}

static Room *
room_find_or_create (CrRoomRegistry *reg, const CrRoomKey *key)
{
  Room *room = room_find_any (reg, key);
  if (room != NULL && room->destroyed_ms != 0) { /* made anew, its log goes on */
    room->destroyed_ms = 0;
    room->empty_since_ms = reg->now_ms ();
  }
  if (room == NULL) {
    room = g_new0 (Room, 1);
    room->sdk_app_id = key->sdk_app_id;
    room->string_room = key->string_room;
    room->room_id = g_strdup (key->room_id);
    room->users = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)user_free);
    g_queue_init (&room->events);
    room->empty_since_ms = reg->now_ms ();
    g_hash_table_insert (reg->rooms, room_key_string (key), room);
  }
  return room;
}

static User *
room_add_user (CrRoomRegistry *reg, Room *room, const char *user_id)
{
  User *user = g_new0 (User, 1);
  user->user_id = g_strdup (user_id);
  g_hash_table_insert (room->users, user->user_id, user);
  room_log (reg, room, CR_ROOM_EVENT_JOIN, user_id, NULL);
  return user;
}

/* A user with nothing published and no membership leaves the room. */
static void
room_drop_user_if_gone (CrRoomRegistry *reg, Room *room, User *user, const char *reason)
{
  if (user_has_streams (user) || user->member != NULL)
    return;
  room_log (reg, room, CR_ROOM_EVENT_LEAVE, user->user_id, reason);
  g_hash_table_remove (room->users, user->user_id);
}

gboolean
cr_room_join (CrRoomRegistry *reg, const CrRoomKey *key, const char *user_id, const char *owner,
              guint64 *last_seq, GError **error)
{
  g_mutex_lock (&reg->lock);
  Room *room = room_find_or_create (reg, key);
  User *user = g_hash_table_lookup (room->users, user_id);
  if (user != NULL && user_has_streams (user)) {
    g_set_error (error, CR_ROOM_ERROR, CR_ROOM_ERROR_USER_PRESENT,
                 "user %s already publishes in room %s", user_id, key->room_id);
    registry_unlock (reg);
    return FALSE;
  }
  if (user == NULL)
    user = room_add_user (reg, room, user_id);
  g_free (user->member);
  user->member = g_strdup (owner);
  if (last_seq != NULL)
    *last_seq = reg->seq;
  registry_unlock (reg);
  return TRUE;
}

void
cr_room_leave (CrRoomRegistry *reg, const CrRoomKey *key, const char *user_id, const char *owner)
{
  g_mutex_lock (&reg->lock);
  Room *room = room_find (reg, key);
  User *user = room != NULL ? g_hash_table_lookup (room->users, user_id) : NULL;
  if (user != NULL && g_strcmp0 (user->member, owner) == 0) {
    g_clear_pointer (&user->member, g_free);
    room_drop_user_if_gone (reg, room, user, "left");
  }
  registry_unlock (reg);
}

gboolean
cr_room_publish (CrRoomRegistry *reg, const CrRoomKey *key, const char *user_id,
                 CrStreamKind stream, gboolean has_audio, gboolean has_video, gpointer publisher,
                 GError **error)
{
  g_mutex_lock (&reg->lock);
  Room *room = room_find_or_create (reg, key);
  User *user = g_hash_table_lookup (room->users, user_id);
  if (user != NULL && user->slots[stream].published) {
    g_set_error (error, CR_ROOM_ERROR, CR_ROOM_ERROR_STREAM_TAKEN,
                 "user %s already publishes the %s stream in room %s", user_id,
                 cr_stream_kind_name (stream), key->room_id);
    registry_unlock (reg);
    return FALSE;
  }
  if (user == NULL)
    user = room_add_user (reg, room, user_id);
  Slot *slot = &user->slots[stream];
  slot->published = TRUE;
  slot->has_audio = has_audio;
  slot->has_video = has_video;
  slot->publisher = publisher;
  slot->since_ms = reg->now_ms ();
  slot->audio_active = slot->video_active = FALSE;
  CrRoomEvent *ev = room_log (reg, room, CR_ROOM_EVENT_PUBLISH, user_id, NULL);
  ev->stream = stream;
  ev->has_audio = has_audio;
  ev->has_video = has_video;
  room->empty_since_ms = 0;
  registry_unlock (reg);
  return TRUE;
}

void
cr_room_unpublish (CrRoomRegistry *reg, const CrRoomKey *key, const char *user_id,
                   CrStreamKind stream, gpointer publisher, const char *reason)
{
  g_mutex_lock (&reg->lock);
  Room *room = room_find (reg, key);
  User *user = room != NULL ? g_hash_table_lookup (room->users, user_id) : NULL;
  Slot *slot = user != NULL ? &user->slots[stream] : NULL;
  if (slot != NULL && slot->published && slot->publisher == publisher) {
    memset (slot, 0, sizeof *slot);
    CrRoomEvent *ev = room_log (reg, room, CR_ROOM_EVENT_UNPUBLISH, user_id, reason);
    ev->stream = stream;
    room_drop_user_if_gone (reg, room, user, reason);
    if (!room_has_streams (room))
      room->empty_since_ms = reg->now_ms ();
  }
  registry_unlock (reg);
}

gboolean
cr_room_set_media (CrRoomRegistry *reg, const CrRoomKey *key, const char *user_id,
                   CrStreamKind stream, gpointer publisher, gboolean audio_active,
                   gboolean video_active)
{
  g_mutex_lock (&reg->lock);
  Room *room = room_find (reg, key);
  User *user = room != NULL ? g_hash_table_lookup (room->users, user_id) : NULL;
  Slot *slot = user != NULL ? &user->slots[stream] : NULL;
  gboolean logged = FALSE;
  if (slot != NULL && slot->published && slot->publisher == publisher
      && (slot->audio_active != !!audio_active || slot->video_active != !!video_active)) {
    slot->audio_active = !!audio_active;
    slot->video_active = !!video_active;
    CrRoomEvent *ev = room_log (reg, room, CR_ROOM_EVENT_MEDIA, user_id, NULL);
    ev->stream = stream;
    ev->has_audio = slot->audio_active;
    ev->has_video = slot->video_active;
    logged = TRUE;
  }
  registry_unlock (reg);
  return logged;
}

/* Collects the publishers of @user for closing outside the lock. */
static void
user_collect_publishers (User *user, const char *reason, GArray *pending)
{
  for (int s = 0; s < 2; s++) {
    if (user->slots[s].published) {
      PendingClose pc = { user->slots[s].publisher, reason };
      g_array_append_val (pending, pc);
    }
  }
}

static void
registry_close_pending (CrRoomRegistry *reg, GArray *pending)
{
  g_mutex_lock (&reg->lock);
  CrRoomCloseFunc func = reg->close_func;
  gpointer data = reg->close_data;
  g_mutex_unlock (&reg->lock);
  for (guint i = 0; func != NULL && i < pending->len; i++) {
    PendingClose *pc = &g_array_index (pending, PendingClose, i);
    func (pc->publisher, pc->reason, data);
  }
}

static void
set_no_room (const CrRoomKey *key, GError **error)
{
  g_set_error (error, CR_ROOM_ERROR, CR_ROOM_ERROR_NO_ROOM,
               "%s room %s of SdkAppId %" G_GUINT64_FORMAT " does not exist",
               key->string_room ? "string" : "integer", key->room_id, key->sdk_app_id);
}

int
cr_room_remove_users (CrRoomRegistry *reg, const CrRoomKey *key, const char *const *user_ids,
                      GError **error)
{
  return cr_room_remove_users_by (reg, key, user_ids, CR_ROOM_ORIGIN_CLIENT, error);
}

int
cr_room_remove_users_by (CrRoomRegistry *reg, const CrRoomKey *key, const char *const *user_ids,
                         CrRoomOrigin origin, GError **error)
{
  g_autoptr (GArray) pending = g_array_new (FALSE, FALSE, sizeof (PendingClose));
  int removed = 0;
  g_mutex_lock (&reg->lock);
  Room *room = room_find (reg, key);
  if (room == NULL) {
    registry_unlock (reg);
    set_no_room (key, error);
    return -1;
  }
  for (const char *const *id = user_ids; id != NULL && *id != NULL; id++) {
    User *user = g_hash_table_lookup (room->users, *id);
    if (user == NULL)
      continue;
    removed++;
    room_log (reg, room, CR_ROOM_EVENT_KICK, *id, "kicked")->origin = origin;
    user_collect_publishers (user, "kicked", pending);
    /* A member is out at once; a publisher leaves when the ingest closes its sessions. */
    g_clear_pointer (&user->member, g_free);
    room_drop_user_if_gone (reg, room, user, "kicked");
  }
  registry_unlock (reg);
  registry_close_pending (reg, pending);
  return removed;
}

gboolean
cr_room_dismiss (CrRoomRegistry *reg, const CrRoomKey *key, GError **error)
{
  return cr_room_dismiss_by (reg, key, CR_ROOM_ORIGIN_CLIENT, error);
}

gboolean
cr_room_dismiss_by (CrRoomRegistry *reg, const CrRoomKey *key, CrRoomOrigin origin, GError **error)
{
  g_autoptr (GArray) pending = g_array_new (FALSE, FALSE, sizeof (PendingClose));
  g_mutex_lock (&reg->lock);
  Room *room = room_find (reg, key);
  if (room == NULL) {
    registry_unlock (reg);
    set_no_room (key, error);
    return FALSE;
  }
  room_log (reg, room, CR_ROOM_EVENT_DISMISS, NULL, "dismissed")->origin = origin;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, room->users);
  while (g_hash_table_iter_next (&it, NULL, &value))
    user_collect_publishers (value, "dismissed", pending);
  registry_unlock (reg);
  registry_close_pending (reg, pending);
  return TRUE;
}

/* Room-entry order (the mixed layouts place users by it): when the stream was published, then
 * the user, main before aux. */
static int
compare_streams_by_entry (gconstpointer a, gconstpointer b)
{
  const CrRoomStream *x = *(const CrRoomStream *const *)a, *y = *(const CrRoomStream *const *)b;
  if (x->since_ms != y->since_ms)
    return x->since_ms < y->since_ms ? -1 : 1;
  int c = g_strcmp0 (x->user_id, y->user_id);
  return c != 0 ? c : (int)x->stream - (int)y->stream;
}

GPtrArray *
cr_room_list_streams (CrRoomRegistry *reg, const CrRoomKey *key)
{
  g_mutex_lock (&reg->lock);
  Room *room = room_find (reg, key);
  GPtrArray *out = NULL;
  if (room != NULL) {
    out = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_room_stream_free);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init (&it, room->users);
    while (g_hash_table_iter_next (&it, NULL, &value)) {
      User *user = value;
      for (int s = 0; s < 2; s++) {
        const Slot *slot = &user->slots[s];
        if (!slot->published)
          continue;
        CrRoomStream *rs = g_new0 (CrRoomStream, 1);
        rs->user_id = g_strdup (user->user_id);
        rs->stream = (CrStreamKind)s;
        rs->has_audio = slot->has_audio;
        rs->has_video = slot->has_video;
        rs->since_ms = slot->since_ms;
        rs->publisher = slot->publisher;
        rs->audio_active = slot->audio_active;
        rs->video_active = slot->video_active;
        g_ptr_array_add (out, rs);
      }
    }
  }
  g_mutex_unlock (&reg->lock);
  if (out != NULL)
    g_ptr_array_sort (out, compare_streams_by_entry);
  return out;
}

GPtrArray *
cr_room_events_since (CrRoomRegistry *reg, const CrRoomKey *key, guint64 after_seq,
                      guint64 *last_seq)
{
  g_mutex_lock (&reg->lock);
  Room *room = room_find_any (reg, key);
  GPtrArray *out = NULL;
  if (room != NULL) {
    out = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_room_event_free);
    for (GList *l = room->events.head; l != NULL; l = l->next) {
      const CrRoomEvent *ev = l->data;
      if (ev->seq <= after_seq)
        continue;
      CrRoomEvent *copy = g_memdup2 (ev, sizeof *ev);
      copy->user_id = g_strdup (ev->user_id);
      copy->reason = g_strdup (ev->reason);
      g_ptr_array_add (out, copy);
    }
  }
  if (last_seq != NULL)
    *last_seq = reg->seq;
  g_mutex_unlock (&reg->lock);
  return out;
}

guint
cr_room_reap_idle (CrRoomRegistry *reg)
{
  guint reaped = 0;
  g_mutex_lock (&reg->lock);
  gint64 now = reg->now_ms ();
  GHashTableIter it;
  gpointer value;
  gint64 keep_ms = MAX (reg->ttl_ms, CR_ROOM_TOMBSTONE_MS);
  g_hash_table_iter_init (&it, reg->rooms);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Room *room = value;
    if (room->destroyed_ms != 0) {
      if (now - room->destroyed_ms >= keep_ms)
        g_hash_table_iter_remove (&it);
      continue;
    }
    /* Idle: no stream for the TTL. Members (recording robots) are in the room without keeping
     * it: they are out with it, and learn it from the DESTROY event. */
    if (room->empty_since_ms != 0 && now - room->empty_since_ms >= reg->ttl_ms
        && !room_has_streams (room)) {
      room_log (reg, room, CR_ROOM_EVENT_DESTROY, NULL, "idle")->origin = CR_ROOM_ORIGIN_SERVER;
      g_hash_table_remove_all (room->users);
      room->destroyed_ms = now;
      reaped++;
    }
  }
  registry_unlock (reg);
  return reaped;
}

gboolean
cr_room_exists (CrRoomRegistry *reg, const CrRoomKey *key)
{
  g_mutex_lock (&reg->lock);
  gboolean exists = room_find (reg, key) != NULL;
  g_mutex_unlock (&reg->lock);
  return exists;
}

gboolean
cr_room_user_publishes (CrRoomRegistry *reg, const CrRoomKey *key, const char *user_id)
{
  g_mutex_lock (&reg->lock);
  Room *room = room_find (reg, key);
  User *user = room != NULL ? g_hash_table_lookup (room->users, user_id) : NULL;
  gboolean publishes = user != NULL && user_has_streams (user);
  g_mutex_unlock (&reg->lock);
  return publishes;
}

GPtrArray *
cr_room_list_members (CrRoomRegistry *reg, const CrRoomKey *key)
{
  g_mutex_lock (&reg->lock);
  Room *room = room_find (reg, key);
  GPtrArray *out = room != NULL ? g_ptr_array_new_with_free_func (g_free) : NULL;
  GHashTableIter it;
  gpointer value;
  if (room != NULL)
    g_hash_table_iter_init (&it, room->users);
  while (room != NULL && g_hash_table_iter_next (&it, NULL, &value)) {
    const User *u = value;
    if (u->member != NULL) {
      g_ptr_array_add (out, g_strdup (u->user_id));
      g_ptr_array_add (out, g_strdup (u->member));
    }
  }
  g_mutex_unlock (&reg->lock);
  return out;
}

gboolean
cr_room_has_user (CrRoomRegistry *reg, const CrRoomKey *key, const char *user_id)
{
  g_mutex_lock (&reg->lock);
  Room *room = room_find (reg, key);
  gboolean present = room != NULL && g_hash_table_contains (room->users, user_id);
  g_mutex_unlock (&reg->lock);
  return present;
}

static gint
room_name_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

GPtrArray *
cr_room_list_rooms (CrRoomRegistry *reg, guint64 sdk_app_id)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_mutex_lock (&reg->lock);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, reg->rooms);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    const Room *room = value;
    if (room->destroyed_ms == 0 && room->sdk_app_id == sdk_app_id)
      g_ptr_array_add (out,
                       g_strdup_printf ("%c:%s", room->string_room ? 's' : 'i', room->room_id));
  }
  g_mutex_unlock (&reg->lock);
  g_ptr_array_sort (out, room_name_cmp);
  return out;
}

guint
cr_room_count (CrRoomRegistry *reg)
{
  g_mutex_lock (&reg->lock);
  guint n = 0;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, reg->rooms);
  while (g_hash_table_iter_next (&it, NULL, &value))
    n += ((Room *)value)->destroyed_ms == 0;
  g_mutex_unlock (&reg->lock);
  return n;
}

void
cr_room_count_streams (CrRoomRegistry *reg, guint *main_streams, guint *aux_streams)
{
  guint n[2] = { 0, 0 };
  g_mutex_lock (&reg->lock);
  GHashTableIter rooms, users;
  gpointer room, user;
  g_hash_table_iter_init (&rooms, reg->rooms);
  while (g_hash_table_iter_next (&rooms, NULL, &room)) {
    g_hash_table_iter_init (&users, ((Room *)room)->users);
    while (g_hash_table_iter_next (&users, NULL, &user))
      for (guint k = 0; k < 2; k++)
        n[k] += ((User *)user)->slots[k].published;
  }
  g_mutex_unlock (&reg->lock);
  *main_streams = n[CR_STREAM_MAIN];
  *aux_streams = n[CR_STREAM_AUX];
}

const char *
cr_stream_kind_name (CrStreamKind stream)
{
  return stream == CR_STREAM_AUX ? "aux" : "main";
}

gboolean
cr_stream_kind_parse (const char *name, CrStreamKind *out)
{
  if (g_strcmp0 (name, "main") == 0)
    *out = CR_STREAM_MAIN;
  else if (g_strcmp0 (name, "aux") == 0)
    *out = CR_STREAM_AUX;
  else
    return FALSE;
  return TRUE;
}

const char *
cr_room_event_type_name (CrRoomEventType type)
{
  static const char *const names[]
      = { "join", "publish", "unpublish", "leave", "kick", "dismiss", "destroy", "media" };
  return (guint)type < G_N_ELEMENTS (names) ? names[type] : "unknown";
}

const char *
cr_room_origin_name (CrRoomOrigin origin)
{
  return origin == CR_ROOM_ORIGIN_SERVER ? "server" : "client";
}
