/* The room registry: events in order with the injected clock, stream ownership, kick and dismiss
 * through the close hook (which may call back into the registry), the bounded log, idle rooms,
 * and concurrent publishers. */
#include "room/room.h"

#include <string.h>

static gint64 fake_now = 1700000000000;

static gint64
clock_ms (void)
{
  return fake_now;
}

static const CrRoomKey ROOM = { 1400000001, FALSE, "8888" };
static const CrRoomKey STR_ROOM = { 1400000001, TRUE, "8888" };

static GString *
event_trace (CrRoomRegistry *reg, const CrRoomKey *key, guint64 after)
{
  g_autoptr (GPtrArray) events = cr_room_events_since (reg, key, after, NULL);
  GString *out = g_string_new (NULL);
  for (guint i = 0; events != NULL && i < events->len; i++) {
    const CrRoomEvent *e = g_ptr_array_index (events, i);
    g_string_append_printf (out, "%s%s:%s", out->len ? " " : "", cr_room_event_type_name (e->type),
                            e->user_id != NULL ? e->user_id : "");
    if (e->type == CR_ROOM_EVENT_PUBLISH || e->type == CR_ROOM_EVENT_UNPUBLISH)
      g_string_append_printf (out, ":%s", cr_stream_kind_name (e->stream));
    if (e->reason != NULL)
      g_string_append_printf (out, "(%s)", e->reason);
  }
  return out;
}

static void
test_publish_unpublish (void)
{
  g_autoptr (CrRoomRegistry) reg = cr_room_registry_new (clock_ms, 300000);
  int p1, p2, p3;
  g_assert_true (cr_room_publish (reg, &ROOM, "alice", CR_STREAM_MAIN, TRUE, TRUE, &p1, NULL));
  fake_now += 10;
  g_assert_true (cr_room_publish (reg, &ROOM, "alice", CR_STREAM_AUX, FALSE, TRUE, &p2, NULL));
  g_autoptr (GError) error = NULL;
  g_assert_false (cr_room_publish (reg, &ROOM, "alice", CR_STREAM_MAIN, TRUE, TRUE, &p3, &error));
  g_assert_error (error, CR_ROOM_ERROR, CR_ROOM_ERROR_STREAM_TAKEN);
  g_assert_nonnull (strstr (error->message, "alice already publishes the main stream"));

  g_autoptr (GPtrArray) streams = cr_room_list_streams (reg, &ROOM);
  g_assert_cmpuint (streams->len, ==, 2);
  g_assert_null (cr_room_list_streams (reg, &STR_ROOM)); /* "8888" as a string room is another */

  /* A stale publisher pointer does not unpublish the stream someone else owns now. */
  cr_room_unpublish (reg, &ROOM, "alice", CR_STREAM_MAIN, &p3, "left");
  fake_now += 10;
  cr_room_unpublish (reg, &ROOM, "alice", CR_STREAM_MAIN, &p1, "left");
  cr_room_unpublish (reg, &ROOM, "alice", CR_STREAM_AUX, &p2, "timeout");
  g_autoptr (GString) trace = event_trace (reg, &ROOM, 0);
  g_assert_cmpstr (trace->str, ==,
                   "join:alice publish:alice:main publish:alice:aux unpublish:alice:main(left) "
                   "unpublish:alice:aux(timeout) leave:alice(timeout)");

  guint64 last = 0;
  g_autoptr (GPtrArray) all = cr_room_events_since (reg, &ROOM, 0, &last);
  g_assert_cmpuint (all->len, ==, 6);
  g_assert_cmpuint (last, ==, ((CrRoomEvent *)g_ptr_array_index (all, 5))->seq);
  const CrRoomEvent *first = g_ptr_array_index (all, 0), *aux = g_ptr_array_index (all, 2);
  g_assert_cmpint (first->time_ms, ==, 1700000000000);
  g_assert_cmpint (aux->time_ms, ==, 1700000000010);
  g_assert_false (aux->has_audio);
  g_assert_true (aux->has_video);
  g_autoptr (GPtrArray) newer = cr_room_events_since (reg, &ROOM, first->seq + 3, NULL);
  g_assert_cmpuint (newer->len, ==, 2);
  g_autoptr (GPtrArray) none = cr_room_events_since (reg, &ROOM, last, NULL);
  g_assert_cmpuint (none->len, ==, 0);
}

typedef struct {
  CrRoomRegistry *reg;
  GPtrArray *closed;
} Hook;

/* What the ingest does: close the session, which unpublishes, from inside the hook. */
static void
close_hook (gpointer publisher, const char *reason, gpointer data)
{
  Hook *h = data;
  const char *user = publisher;
  g_ptr_array_add (h->closed, g_strdup_printf ("%s(%s)", user, reason));
  cr_room_unpublish (h->reg, &ROOM, user, CR_STREAM_MAIN, publisher, reason);
}

static void
test_kick_and_dismiss (void)
{
  g_autoptr (CrRoomRegistry) reg = cr_room_registry_new (clock_ms, 300000);
  g_autoptr (GPtrArray) closed = g_ptr_array_new_with_free_func (g_free);
  Hook hook = { reg, closed };
  cr_room_registry_set_close_hook (reg, close_hook, &hook);
  char alice[] = "alice", bob[] = "bob", carol[] = "carol";
  cr_room_publish (reg, &ROOM, alice, CR_STREAM_MAIN, TRUE, TRUE, alice, NULL);
  cr_room_publish (reg, &ROOM, bob, CR_STREAM_MAIN, TRUE, TRUE, bob, NULL);
  cr_room_publish (reg, &ROOM, carol, CR_STREAM_MAIN, TRUE, FALSE, carol, NULL);
  guint64 mark = 0;
  g_autoptr (GPtrArray) before = cr_room_events_since (reg, &ROOM, 0, &mark);
  g_assert_cmpuint (before->len, ==, 6); /* three joins, three publishes */

  const char *const kick[] = { "alice", "nobody", "bob", NULL };
  g_assert_cmpint (cr_room_remove_users (reg, &ROOM, kick, NULL), ==, 2);
  g_assert_cmpuint (closed->len, ==, 2);
  g_autoptr (GString) trace = event_trace (reg, &ROOM, mark);
  g_assert_cmpstr (trace->str, ==,
                   "kick:alice(kicked) kick:bob(kicked) unpublish:alice:main(kicked) "
                   "leave:alice(kicked) unpublish:bob:main(kicked) leave:bob(kicked)");

  g_autoptr (GError) error = NULL;
  const CrRoomKey missing = { 1400000001, FALSE, "1" };
  g_assert_cmpint (cr_room_remove_users (reg, &missing, kick, &error), ==, -1);
  g_assert_error (error, CR_ROOM_ERROR, CR_ROOM_ERROR_NO_ROOM);
  g_clear_error (&error);
  g_assert_false (cr_room_dismiss (reg, &missing, &error));
  g_assert_error (error, CR_ROOM_ERROR, CR_ROOM_ERROR_NO_ROOM);

  g_autoptr (GPtrArray) mid = cr_room_events_since (reg, &ROOM, 0, &mark);
  g_assert_cmpuint (mid->len, ==, 12);
  g_assert_true (cr_room_dismiss (reg, &ROOM, NULL));
  g_autoptr (GString) end = event_trace (reg, &ROOM, mark);
  g_assert_cmpstr (end->str, ==,
                   "dismiss:(dismissed) unpublish:carol:main(dismissed) "
                   "leave:carol(dismissed)");
  g_autoptr (GPtrArray) streams = cr_room_list_streams (reg, &ROOM);
  g_assert_cmpuint (streams->len, ==, 0);
}

static void
test_idle_reap_and_log_bound (void)
{
  g_autoptr (CrRoomRegistry) reg = cr_room_registry_new (clock_ms, 300000);
  int pub;
  for (int i = 0; i < CR_ROOM_EVENT_LOG; i++) {
    cr_room_publish (reg, &ROOM, "u", CR_STREAM_MAIN, TRUE, TRUE, &pub, NULL);
    cr_room_unpublish (reg, &ROOM, "u", CR_STREAM_MAIN, &pub, "left");
  }
  g_autoptr (GPtrArray) events = cr_room_events_since (reg, &ROOM, 0, NULL);
  g_assert_cmpuint (events->len, ==, CR_ROOM_EVENT_LOG);
  g_assert_cmpuint (((CrRoomEvent *)g_ptr_array_index (events, 0))->seq, >, 1);

  g_assert_cmpuint (cr_room_count (reg), ==, 1);
  fake_now += 299999;
  g_assert_cmpuint (cr_room_reap_idle (reg), ==, 0);
  cr_room_publish (reg, &STR_ROOM, "v", CR_STREAM_AUX, TRUE, TRUE, &pub, NULL);
  fake_now += 1;
  g_assert_cmpuint (cr_room_reap_idle (reg), ==, 1); /* the empty one; the string room lives */
  g_assert_cmpuint (cr_room_count (reg), ==, 1);
  g_assert_false (cr_room_exists (reg, &ROOM));
  g_assert_true (cr_room_exists (reg, &STR_ROOM));
  g_autoptr (GPtrArray) kept = cr_room_events_since (reg, &ROOM, 0, NULL); /* a while */
  g_assert_cmpint (((CrRoomEvent *)g_ptr_array_index (kept, kept->len - 1))->type, ==,
                   CR_ROOM_EVENT_DESTROY);
  fake_now += 10 * 300000;
  g_assert_cmpuint (cr_room_reap_idle (reg), ==, 0);          /* someone publishes: never reaped */
  g_assert_null (cr_room_events_since (reg, &ROOM, 0, NULL)); /* the destroyed one forgotten */
}

/* A recording robot joins without publishing: it is in the room, keeps the room alive, follows
 * events from its join, and is kicked at once (no publisher to close). */
static void
test_member (void)
{
  g_autoptr (CrRoomRegistry) reg = cr_room_registry_new (clock_ms, 300000);
  int pub;
  g_assert_true (cr_room_publish (reg, &ROOM, "alice", CR_STREAM_MAIN, TRUE, TRUE, &pub, NULL));
  guint64 seq = 0;
  g_autoptr (GError) error = NULL;
  g_assert_false (cr_room_join (reg, &ROOM, "alice", "T1", &seq, &error));
  g_assert_error (error, CR_ROOM_ERROR, CR_ROOM_ERROR_USER_PRESENT);
  g_assert_true (cr_room_join (reg, &ROOM, "robot", "T1", &seq, NULL));
  g_assert_cmpuint (seq, ==, 3); /* join:alice publish:alice join:robot */
  g_assert_true (cr_room_join (reg, &ROOM, "robot", "T1", NULL, NULL)); /* a restarted worker */
  g_assert_true (cr_room_join (reg, &ROOM, "robot", "T2", NULL, NULL)); /* a new task takes over */
  cr_room_leave (reg, &ROOM, "robot", "T1");                            /* the old one cannot */
  g_assert_true (cr_room_has_user (reg, &ROOM, "robot"));
  g_assert_false (cr_room_user_publishes (reg, &ROOM, "robot"));
  g_assert_true (cr_room_user_publishes (reg, &ROOM, "alice"));
  g_autoptr (GPtrArray) members = cr_room_list_members (reg, &ROOM);
  g_assert_cmpuint (members->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (members, 0), ==, "robot");
  g_assert_cmpstr (g_ptr_array_index (members, 1), ==, "T2");
  g_autoptr (GPtrArray) streams = cr_room_list_streams (reg, &ROOM);
  g_assert_cmpuint (streams->len, ==, 1);
  cr_room_unpublish (reg, &ROOM, "alice", CR_STREAM_MAIN, &pub, "left");
  fake_now += 299999;
  g_assert_cmpuint (cr_room_reap_idle (reg), ==, 0);
  const char *const kick[] = { "robot", NULL };
  g_assert_cmpint (cr_room_remove_users (reg, &ROOM, kick, NULL), ==, 1);
  g_assert_false (cr_room_has_user (reg, &ROOM, "robot"));
  g_autoptr (GString) trace = event_trace (reg, &ROOM, seq);
  g_assert_cmpstr (
      trace->str, ==,
      "unpublish:alice:main(left) leave:alice(left) kick:robot(kicked) leave:robot(kicked)");
  fake_now += 1; /* idle since alice left: members coming and going do not matter */
  g_assert_cmpuint (cr_room_reap_idle (reg), ==, 1);

  g_assert_true (cr_room_join (reg, &STR_ROOM, "robot", "T3", &seq, NULL)); /* creates the room */
  cr_room_leave (reg, &STR_ROOM, "robot", "T3");
  cr_room_leave (reg, &STR_ROOM, "nobody", "T3");
  g_autoptr (GString) trace2 = event_trace (reg, &STR_ROOM, 0);
  g_assert_cmpstr (trace2->str, ==, "join:robot leave:robot(left)");
}

static const CrRoomEvent *
last_event (GPtrArray *events)
{
  g_assert_nonnull (events);
  g_assert_cmpuint (events->len, >, 0);
  return g_ptr_array_index (events, events->len - 1);
}

/* A room is idle while nobody publishes, a recording robot in it or not: after the TTL it is
 * destroyed (DESTROY, origin server, members out), its log is kept a while for those who follow
 * it, and publishing there makes it anew with the log going on. */
static void
test_destroy_idle_room (void)
{
  g_autoptr (CrRoomRegistry) reg = cr_room_registry_new (clock_ms, 300000);
  int pub;
  g_assert_true (cr_room_publish (reg, &ROOM, "alice", CR_STREAM_MAIN, TRUE, TRUE, &pub, NULL));
  guint64 seq = 0;
  g_assert_true (cr_room_join (reg, &ROOM, "robot", "T1", &seq, NULL));
  fake_now += 10 * 300000;
  g_assert_cmpuint (cr_room_reap_idle (reg), ==, 0); /* alice publishes */
  cr_room_unpublish (reg, &ROOM, "alice", CR_STREAM_MAIN, &pub, "left");
  fake_now += 299999;
  g_assert_cmpuint (cr_room_reap_idle (reg), ==, 0);
  fake_now += 1;
  g_assert_cmpuint (cr_room_reap_idle (reg), ==, 1); /* the robot does not keep it */
  g_assert_false (cr_room_exists (reg, &ROOM));
  g_assert_cmpuint (cr_room_count (reg), ==, 0);
  g_assert_false (cr_room_has_user (reg, &ROOM, "robot"));
  g_assert_null (cr_room_list_streams (reg, &ROOM));
  g_assert_null (cr_room_list_members (reg, &ROOM));
  g_autoptr (GString) trace = event_trace (reg, &ROOM, seq);
  g_assert_cmpstr (trace->str, ==, "unpublish:alice:main(left) leave:alice(left) destroy:(idle)");
  g_autoptr (GPtrArray) events = cr_room_events_since (reg, &ROOM, seq, NULL);
  g_assert_cmpint (last_event (events)->origin, ==, CR_ROOM_ORIGIN_SERVER);
  g_autoptr (GError) error = NULL;
  const char *const kick[] = { "robot", NULL };
  g_assert_cmpint (cr_room_remove_users (reg, &ROOM, kick, &error), ==, -1);
  g_assert_error (error, CR_ROOM_ERROR, CR_ROOM_ERROR_NO_ROOM);
  g_clear_error (&error);
  g_assert_false (cr_room_dismiss (reg, &ROOM, &error));
  g_assert_error (error, CR_ROOM_ERROR, CR_ROOM_ERROR_NO_ROOM);
  fake_now += 299999;
  g_assert_cmpuint (cr_room_reap_idle (reg), ==, 0);
  g_assert_nonnull (cr_room_events_since (reg, &ROOM, seq, NULL)); /* still kept */

  /* Made anew: the log goes on after the DESTROY; a second idle spell destroys it again. */
  g_assert_true (cr_room_publish (reg, &ROOM, "bob", CR_STREAM_MAIN, TRUE, TRUE, &pub, NULL));
  g_assert_true (cr_room_exists (reg, &ROOM));
  g_autoptr (GString) again = event_trace (reg, &ROOM, seq);
  g_assert_cmpstr (again->str, ==,
                   "unpublish:alice:main(left) leave:alice(left) destroy:(idle) join:bob "
                   "publish:bob:main");
  cr_room_unpublish (reg, &ROOM, "bob", CR_STREAM_MAIN, &pub, "left");
  fake_now += 300000;
  g_assert_cmpuint (cr_room_reap_idle (reg), ==, 1);
  fake_now += 300000; /* kept max(TTL, CR_ROOM_TOMBSTONE_MS), then forgotten */
  g_assert_cmpuint (cr_room_reap_idle (reg), ==, 0);
  g_assert_null (cr_room_events_since (reg, &ROOM, 0, NULL));

  /* A short TTL still keeps the log of a destroyed room CR_ROOM_TOMBSTONE_MS. */
  g_autoptr (CrRoomRegistry) quick = cr_room_registry_new (clock_ms, 3000);
  g_assert_true (cr_room_join (quick, &ROOM, "robot", "T9", NULL, NULL));
  fake_now += 3000;
  g_assert_cmpuint (cr_room_reap_idle (quick), ==, 1); /* nobody ever published */
  fake_now += CR_ROOM_TOMBSTONE_MS - 1;
  cr_room_reap_idle (quick);
  g_autoptr (GPtrArray) still = cr_room_events_since (quick, &ROOM, 0, NULL);
  g_assert_cmpint (last_event (still)->type, ==, CR_ROOM_EVENT_DESTROY);
  fake_now += 1;
  cr_room_reap_idle (quick);
  g_assert_null (cr_room_events_since (quick, &ROOM, 0, NULL));
}

/* KICK and DISMISS say who asked: a client of the API (RemoveUser, DismissRoom) or the server. */
static void
test_origin (void)
{
  g_autoptr (CrRoomRegistry) reg = cr_room_registry_new (clock_ms, 300000);
  int a, b;
  cr_room_publish (reg, &ROOM, "alice", CR_STREAM_MAIN, TRUE, TRUE, &a, NULL);
  cr_room_publish (reg, &ROOM, "bob", CR_STREAM_MAIN, TRUE, TRUE, &b, NULL);
  const char *const alice[] = { "alice", NULL }, *const bob[] = { "bob", NULL };
  g_assert_cmpint (cr_room_remove_users_by (reg, &ROOM, alice, CR_ROOM_ORIGIN_SERVER, NULL), ==, 1);
  g_autoptr (GPtrArray) e1 = cr_room_events_since (reg, &ROOM, 0, NULL);
  g_assert_cmpint (last_event (e1)->type, ==, CR_ROOM_EVENT_KICK);
  g_assert_cmpint (last_event (e1)->origin, ==, CR_ROOM_ORIGIN_SERVER);
  g_assert_cmpint (cr_room_remove_users (reg, &ROOM, bob, NULL), ==, 1);
  g_autoptr (GPtrArray) e2 = cr_room_events_since (reg, &ROOM, 0, NULL);
  g_assert_cmpstr (last_event (e2)->user_id, ==, "bob");
  g_assert_cmpint (last_event (e2)->origin, ==, CR_ROOM_ORIGIN_CLIENT);
  g_assert_true (cr_room_dismiss_by (reg, &ROOM, CR_ROOM_ORIGIN_SERVER, NULL));
  g_autoptr (GPtrArray) e3 = cr_room_events_since (reg, &ROOM, 0, NULL);
  g_assert_cmpint (last_event (e3)->type, ==, CR_ROOM_EVENT_DISMISS);
  g_assert_cmpint (last_event (e3)->origin, ==, CR_ROOM_ORIGIN_SERVER);
  g_assert_true (cr_room_dismiss (reg, &ROOM, NULL));
  g_autoptr (GPtrArray) e4 = cr_room_events_since (reg, &ROOM, 0, NULL);
  g_assert_cmpint (last_event (e4)->origin, ==, CR_ROOM_ORIGIN_CLIENT);
  g_assert_cmpstr (cr_room_origin_name (CR_ROOM_ORIGIN_SERVER), ==, "server");
  g_assert_cmpstr (cr_room_origin_name (CR_ROOM_ORIGIN_CLIENT), ==, "client");
  g_assert_cmpstr (cr_room_event_type_name (CR_ROOM_EVENT_DESTROY), ==, "destroy");
}

static void
count_change (gpointer data)
{
  (*(guint *)data)++;
}

/* Every logged event tells the change hook (once per call that logged); MEDIA events say when a
 * publisher's audio or video starts or stops arriving, only on a change, only for the owner. */
static void
test_change_hook_and_media (void)
{
  g_autoptr (CrRoomRegistry) reg = cr_room_registry_new (clock_ms, 300000);
  guint changes = 0;
  cr_room_registry_set_change_hook (reg, count_change, &changes);
  int pub, other;
  g_assert_true (cr_room_publish (reg, &ROOM, "alice", CR_STREAM_MAIN, TRUE, TRUE, &pub, NULL));
  g_assert_cmpuint (changes, ==, 1); /* join + publish, one call */
  g_assert_false (cr_room_publish (reg, &ROOM, "alice", CR_STREAM_MAIN, TRUE, TRUE, &pub, NULL));
  g_assert_cmpuint (changes, ==, 1); /* refused: nothing logged */
  g_autoptr (GPtrArray) before = cr_room_list_streams (reg, &ROOM);
  const CrRoomStream *st = g_ptr_array_index (before, 0);
  g_assert_false (st->audio_active || st->video_active);

  guint64 mark = 0;
  g_autoptr (GPtrArray) seen = cr_room_events_since (reg, &ROOM, 0, &mark);
  g_assert_nonnull (seen); /* the mark: media events below come after it */
  g_assert_true (cr_room_set_media (reg, &ROOM, "alice", CR_STREAM_MAIN, &pub, TRUE, TRUE));
  g_assert_false (cr_room_set_media (reg, &ROOM, "alice", CR_STREAM_MAIN, &pub, TRUE, TRUE));
  g_assert_false (cr_room_set_media (reg, &ROOM, "alice", CR_STREAM_MAIN, &other, TRUE, FALSE));
  g_assert_false (cr_room_set_media (reg, &ROOM, "alice", CR_STREAM_AUX, &pub, TRUE, FALSE));
  g_assert_true (cr_room_set_media (reg, &ROOM, "alice", CR_STREAM_MAIN, &pub, TRUE, FALSE));
  g_assert_cmpuint (changes, ==, 3);
  g_autoptr (GPtrArray) media = cr_room_events_since (reg, &ROOM, mark, NULL);
  g_assert_cmpuint (media->len, ==, 2);
  const CrRoomEvent *on = g_ptr_array_index (media, 0), *off = g_ptr_array_index (media, 1);
  g_assert_cmpint (on->type, ==, CR_ROOM_EVENT_MEDIA);
  g_assert_cmpstr (cr_room_event_type_name (on->type), ==, "media");
  g_assert_true (on->has_audio && on->has_video);
  g_assert_true (off->has_audio && !off->has_video);
  g_autoptr (GPtrArray) after = cr_room_list_streams (reg, &ROOM);
  st = g_ptr_array_index (after, 0);
  g_assert_true (st->audio_active && !st->video_active);

  cr_room_unpublish (reg, &ROOM, "alice", CR_STREAM_MAIN, &pub, "left");
  g_assert_cmpuint (changes, ==, 4);
  fake_now += 300000;
  g_assert_cmpuint (cr_room_reap_idle (reg), ==, 1);
  g_assert_cmpuint (changes, ==, 5); /* destroy */
  g_assert_cmpuint (cr_room_reap_idle (reg), ==, 0);
  g_assert_cmpuint (changes, ==, 5);
}

static gpointer
publisher_thread (gpointer data)
{
  CrRoomRegistry *reg = data;
  g_autofree char *user = g_strdup_printf ("t%p", (void *)g_thread_self ());
  for (int i = 0; i < 2000; i++) {
    CrStreamKind kind = i % 2 ? CR_STREAM_AUX : CR_STREAM_MAIN;
    g_assert_true (cr_room_publish (reg, &ROOM, user, kind, TRUE, TRUE, user, NULL));
    g_autoptr (GPtrArray) s = cr_room_list_streams (reg, &ROOM);
    g_assert_nonnull (s);
    cr_room_unpublish (reg, &ROOM, user, kind, user, "left");
  }
  return NULL;
}

static void
test_threads (void)
{
  g_autoptr (CrRoomRegistry) reg = cr_room_registry_new (clock_ms, 300000);
  GThread *threads[4];
  for (int i = 0; i < 4; i++)
    threads[i] = g_thread_new ("pub", publisher_thread, reg);
  for (int i = 0; i < 4; i++)
    g_thread_join (threads[i]);
  g_autoptr (GPtrArray) streams = cr_room_list_streams (reg, &ROOM);
  g_assert_cmpuint (streams->len, ==, 0);
  guint64 last = 0;
  g_autoptr (GPtrArray) events = cr_room_events_since (reg, &ROOM, 0, &last);
  g_assert_cmpuint (last, ==, 4 * 2000 * 4); /* join, publish, unpublish, leave per round */
  g_assert_cmpuint (events->len, ==, CR_ROOM_EVENT_LOG);
}

/* The watch hook: every event of every room, in seq order, with its room's key and its fields
 * complete (a PUBLISH's stream and media, a DISMISS's origin); none after it is removed. */
static void
on_watch (const CrRoomKey *key, const CrRoomEvent *ev, gpointer data)
{
  g_string_append_printf (data, "%s%c:%s:%s:%s%s%s;", key->room_id, key->string_room ? 's' : 'i',
                          cr_room_event_type_name (ev->type), ev->user_id ? ev->user_id : "-",
                          ev->type == CR_ROOM_EVENT_PUBLISH ? cr_stream_kind_name (ev->stream) : "",
                          ev->type == CR_ROOM_EVENT_PUBLISH && ev->has_video ? "+v" : "",
                          ev->type == CR_ROOM_EVENT_DISMISS ? cr_room_origin_name (ev->origin)
                                                            : "");
}

static void
test_watch_hook (void)
{
  g_autoptr (CrRoomRegistry) reg = cr_room_registry_new (clock_ms, 300000);
  g_autoptr (GString) seen = g_string_new (NULL);
  int pub = 0;
  cr_room_registry_set_watch_hook (reg, on_watch, seen);
  g_assert_true (cr_room_publish (reg, &ROOM, "alice", CR_STREAM_AUX, TRUE, TRUE, &pub, NULL));
  g_assert_true (cr_room_join (reg, &STR_ROOM, "robot", "T1", NULL, NULL));
  cr_room_unpublish (reg, &ROOM, "alice", CR_STREAM_AUX, &pub, "left");
  g_assert_true (cr_room_dismiss_by (reg, &STR_ROOM, CR_ROOM_ORIGIN_SERVER, NULL));
  g_assert_cmpstr (seen->str, ==,
                   "8888i:join:alice:;8888i:publish:alice:aux+v;8888s:join:robot:;"
                   "8888i:unpublish:alice:;8888i:leave:alice:;8888s:dismiss:-:server;");
  cr_room_registry_set_watch_hook (reg, NULL, NULL);
  g_assert_true (cr_room_publish (reg, &ROOM, "bob", CR_STREAM_MAIN, TRUE, FALSE, &pub, NULL));
  g_assert_cmpuint (seen->len, ==, strlen ("8888i:join:alice:;8888i:publish:alice:aux+v;8888s:join:robot:;"
                                           "8888i:unpublish:alice:;8888i:leave:alice:;8888s:dismiss:-:server;"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/room/watch-hook", test_watch_hook);
  g_test_add_func ("/room/publish-unpublish", test_publish_unpublish);
  g_test_add_func ("/room/kick-dismiss", test_kick_and_dismiss);
  g_test_add_func ("/room/idle-and-log", test_idle_reap_and_log_bound);
  g_test_add_func ("/room/member", test_member);
  g_test_add_func ("/room/destroy-idle", test_destroy_idle_room);
  g_test_add_func ("/room/origin", test_origin);
  g_test_add_func ("/room/change-hook-and-media", test_change_hook_and_media);
  g_test_add_func ("/room/threads", test_threads);
  return g_test_run ();
}
