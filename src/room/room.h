/* Rooms: who is in a room and what they publish, as a log of timestamped events.
 *
 * Why an event log: a recorder that joins late, or a worker restarted after a crash, must learn
 * the room's state and then follow it without missing a change. It reads the streams published
 * now, remembers the sequence number of the last event it saw, and asks for the events after it.
 * Rooms are keyed by (SdkAppId, integer or string RoomId): room 123 and string room "123" are
 * different rooms, as in TRTC. The model is pure (no GStreamer, no I/O) and thread-safe: the
 * ingest publishes from its own threads. A publisher is an opaque pointer owned by the ingest;
 * when an administrator kicks a user or dismisses a room, the registry calls the close hook for
 * each of the user's publishers, and the ingest tears the session down and unpublishes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_ROOM_ERROR (cr_room_error_quark ())
GQuark cr_room_error_quark (void);

typedef enum {
  CR_ROOM_ERROR_STREAM_TAKEN, /* the user already publishes this stream */
  CR_ROOM_ERROR_NO_ROOM,      /* no such room */
  CR_ROOM_ERROR_NO_USER,      /* no such user in the room */
  CR_ROOM_ERROR_USER_PRESENT, /* the user id already publishes in the room */
} CrRoomError;

typedef enum {
  CR_STREAM_MAIN = 0, /* camera and microphone */
  CR_STREAM_AUX = 1,  /* screen share */
} CrStreamKind;

typedef enum {
  CR_ROOM_EVENT_JOIN,
  CR_ROOM_EVENT_PUBLISH,
  CR_ROOM_EVENT_UNPUBLISH,
  CR_ROOM_EVENT_LEAVE,
  CR_ROOM_EVENT_KICK,
  CR_ROOM_EVENT_DISMISS,
  CR_ROOM_EVENT_DESTROY, /* idle for the TTL: the room is gone, its members with it */
  CR_ROOM_EVENT_MEDIA,   /* a stream's media started or stopped (camera, microphone on/off) */
} CrRoomEventType;

/* Who caused a KICK or DISMISS: a client of the TRTC API (RemoveUser, DismissRoom), or the
 * server itself (an operator; and the registry's own DESTROY). A recording robot reports them
 * with different LeaveCodes (1/2 against 3/4). */
typedef enum {
  CR_ROOM_ORIGIN_CLIENT,
  CR_ROOM_ORIGIN_SERVER,
} CrRoomOrigin;

/* Where a room lives: the app and the room id in the app's integer or string namespace. */
typedef struct {
  guint64 sdk_app_id;
  gboolean string_room;
  const char *room_id;
} CrRoomKey;

typedef struct {
  guint64 seq;    /* increases by one per event in a registry */
  gint64 time_ms; /* Unix milliseconds */
  CrRoomEventType type;
  char *user_id;       /* NULL for DISMISS */
  CrStreamKind stream; /* PUBLISH, UNPUBLISH, MEDIA */
  gboolean has_audio;  /* PUBLISH: announced; MEDIA: audio arrives now */
  gboolean has_video;  /* PUBLISH: announced; MEDIA: video arrives now */
  char *reason;        /* UNPUBLISH, LEAVE, KICK, DISMISS, DESTROY: "left", "kicked", "idle", ... */
  CrRoomOrigin origin; /* KICK, DISMISS (DESTROY: always the server) */
} CrRoomEvent;

/* A stream published now (a snapshot copy). */
typedef struct {
  char *user_id;
  CrStreamKind stream;
  gboolean has_audio;
  gboolean has_video;
  gint64 since_ms;
  gpointer publisher;
  gboolean audio_active, video_active; /* media arriving now (cr_room_set_media) */
} CrRoomStream;

typedef struct _CrRoomRegistry CrRoomRegistry;

/* Called without the registry lock held, once per publisher to close (kick, dismiss). */
typedef void (*CrRoomCloseFunc) (gpointer publisher, const char *reason, gpointer user_data);
/* Called without the registry lock held, from the thread that changed a room, after one or more
 * events were logged (any room): waiters look again. */
typedef void (*CrRoomChangeFunc) (gpointer user_data);

CrRoomRegistry *cr_room_registry_new (gint64 (*now_ms) (void), gint64 empty_room_ttl_ms);
void cr_room_registry_free (CrRoomRegistry *reg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrRoomRegistry, cr_room_registry_free)
void cr_room_registry_set_close_hook (CrRoomRegistry *reg, CrRoomCloseFunc func,
                                      gpointer user_data);
void cr_room_registry_set_change_hook (CrRoomRegistry *reg, CrRoomChangeFunc func,
                                       gpointer user_data);
/* Called once per event logged (any room), in the order of their seq, with the room's key, while
 * the registry lock is held (so no two calls interleave): the observer copies what it needs and
 * returns, and must not call into the registry. Auto-recording follows every room this way. */
typedef void (*CrRoomWatchFunc) (const CrRoomKey *key, const CrRoomEvent *ev, gpointer user_data);
void cr_room_registry_set_watch_hook (CrRoomRegistry *reg, CrRoomWatchFunc func,
                                      gpointer user_data);

/* @user_id starts publishing @stream of the room (created if needed; JOIN first if the user was
 * not in it). CR_ROOM_ERROR_STREAM_TAKEN if that user already publishes that stream. */
gboolean cr_room_publish (CrRoomRegistry *reg, const CrRoomKey *key, const char *user_id,
                          CrStreamKind stream, gboolean has_audio, gboolean has_video,
                          gpointer publisher, GError **error);

/* The stream stops (UNPUBLISH with @reason); a user left without streams LEAVEs. Does nothing if
 * @publisher no longer owns that stream (it was kicked and the slot reused). */
void cr_room_unpublish (CrRoomRegistry *reg, const CrRoomKey *key, const char *user_id,
                        CrStreamKind stream, gpointer publisher, const char *reason);

/* Whether audio and video of the stream arrive now (a publisher turned its camera or microphone
 * off or on): a MEDIA event when that changed for @publisher's stream. Both start FALSE at
 * PUBLISH. Returns TRUE if an event was logged. */
gboolean cr_room_set_media (CrRoomRegistry *reg, const CrRoomKey *key, const char *user_id,
                            CrStreamKind stream, gpointer publisher, gboolean audio_active,
                            gboolean video_active);

/* @user_id joins the room without publishing, on behalf of @owner (a recording robot of task
 * @owner: a member until it leaves or is kicked; the room is not destroyed while it has one). The
 * room is created if needed. Joining again is harmless (a restarted worker) and a new owner takes
 * the membership over (a new task with the same robot); CR_ROOM_ERROR_USER_PRESENT if that id
 * publishes there. *@last_seq: the registry's newest seq, from which the member follows events. */
gboolean cr_room_join (CrRoomRegistry *reg, const CrRoomKey *key, const char *user_id,
                       const char *owner, guint64 *last_seq, GError **error);
/* The member leaves (LEAVE) if @owner still holds the membership; otherwise nothing happens. */
void cr_room_leave (CrRoomRegistry *reg, const CrRoomKey *key, const char *user_id,
                    const char *owner);
/* Members now: user id and owner, alternating (a flat array of strings), or NULL if no room. */
GPtrArray *cr_room_list_members (CrRoomRegistry *reg, const CrRoomKey *key);

/* Kicks each of @user_ids present in the room (KICK, then the close hook for its publishers), on
 * behalf of a client (RemoveUser). Returns how many were in the room; CR_ROOM_ERROR_NO_ROOM if the
 * room does not exist. */
int cr_room_remove_users (CrRoomRegistry *reg, const CrRoomKey *key, const char *const *user_ids,
                          GError **error);
/* The same, the KICK events carrying @origin (CR_ROOM_ORIGIN_SERVER: an operator's removal). */
int cr_room_remove_users_by (CrRoomRegistry *reg, const CrRoomKey *key, const char *const *user_ids,
                             CrRoomOrigin origin, GError **error);

/* Ends the room: DISMISS, then every publisher is closed; on behalf of a client (DismissRoom).
 * CR_ROOM_ERROR_NO_ROOM if absent. */
gboolean cr_room_dismiss (CrRoomRegistry *reg, const CrRoomKey *key, GError **error);
/* The same, the DISMISS event carrying @origin. */
gboolean cr_room_dismiss_by (CrRoomRegistry *reg, const CrRoomKey *key, CrRoomOrigin origin,
                             GError **error);

/* Streams published now, or NULL (no error) if the room does not exist. Array of CrRoomStream. */
GPtrArray *cr_room_list_streams (CrRoomRegistry *reg, const CrRoomKey *key);

/* Events of the room with seq > @after_seq (array of CrRoomEvent, oldest first; the log keeps the
 * last CR_ROOM_EVENT_LOG events of each room), or NULL if the room does not exist and was not
 * destroyed lately (a destroyed room keeps its log, ending with DESTROY, for
 * max(TTL, CR_ROOM_TOMBSTONE_MS), so that whoever followed it learns why it is gone). *@last_seq
 * is set to the registry's newest seq, so a caller can resume from it even with nothing new. */
#define CR_ROOM_TOMBSTONE_MS (60 * 1000)
#define CR_ROOM_EVENT_LOG 4096
GPtrArray *cr_room_events_since (CrRoomRegistry *reg, const CrRoomKey *key, guint64 after_seq,
                                 guint64 *last_seq);

/* Destroys the rooms that have been idle for the TTL: nobody published a stream in them for that
 * long (members, i.e. recording robots, do not count). Each gets a DESTROY event (reason "idle",
 * origin server) and loses its members; publishing or joining there later makes the room anew
 * (with its old log). Returns how many rooms were destroyed now; also forgets old destroyed ones.
 */
guint cr_room_reap_idle (CrRoomRegistry *reg);

/* Whether the room exists now (not destroyed). */
gboolean cr_room_exists (CrRoomRegistry *reg, const CrRoomKey *key);

/* Whether @user_id is in the room now (publishing, or a member). */
gboolean cr_room_has_user (CrRoomRegistry *reg, const CrRoomKey *key, const char *user_id);
/* Whether @user_id publishes a stream in the room now. */
gboolean cr_room_user_publishes (CrRoomRegistry *reg, const CrRoomKey *key, const char *user_id);

/* The rooms of @sdk_app_id that exist now (the console's room list), sorted: "i:<RoomId>" for an
 * integer room, "s:<RoomId>" for a string room (array of strings). */
GPtrArray *cr_room_list_rooms (CrRoomRegistry *reg, guint64 sdk_app_id);

/* Number of rooms that exist now. */
guint cr_room_count (CrRoomRegistry *reg);
/* Streams published now in all rooms, by kind (metrics). */
void cr_room_count_streams (CrRoomRegistry *reg, guint *main_streams, guint *aux_streams);

const char *cr_stream_kind_name (CrStreamKind stream); /* "main" | "aux" */
gboolean cr_stream_kind_parse (const char *name, CrStreamKind *out);
const char *cr_room_event_type_name (CrRoomEventType type); /* "join", "publish", ... */
const char *cr_room_origin_name (CrRoomOrigin origin);      /* "client" | "server" */

void cr_room_event_free (CrRoomEvent *ev);
void cr_room_stream_free (CrRoomStream *s);

G_END_DECLS
