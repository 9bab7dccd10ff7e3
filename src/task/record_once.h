/* One-call recording (seed 004, docs/record-once.md): `POST /v1/record` records every anchor of a
 * room into one MP3 or MP4 file each and POSTs the seed's result when the files are stored.
 *
 * Why pure and in task/: the daemon parses the body and turns it into an ordinary
 * CreateCloudRecording request plus the `CloudrecRecordOnce` extension member; the worker names
 * the files and their URLs from that member; the daemon builds the result from what the worker
 * reported. All three agree on the member names, the object keys and the result's fields here,
 * and the body parser is table-tested and fuzzed without a daemon. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Bodies over this size are refused (400) before they are parsed. */
#define CR_ONCE_MAX_BODY 16384

/* The extension member of the task's request (after validation; see cr_once_request_to_create). */
#define CR_ONCE_MEMBER "CloudrecRecordOnce"

typedef enum {
  CR_ONCE_MODE_AUDIO = 0,       /* "00": audio, one MP3 per anchor (the default) */
  CR_ONCE_MODE_VIDEO = 1,       /* "01": video, one MP4 per anchor, no audio track */
  CR_ONCE_MODE_AUDIO_VIDEO = 2, /* "02": audio and video, one MP4 per anchor */
} CrOnceMode;

/* A parsed `POST /v1/record` body. */
typedef struct {
  guint64 sdk_app_id;
  char *room_id;        /* RoomId as text, or StrRoomId */
  gboolean string_room; /* the room is StrRoomId (no RoomId given) */
  char *user_id;        /* the recording robot */
  char *usersig;
  char *region, *bucket;
  char *path;       /* CosConfig.Path without its leading and trailing '/' ("" for none) */
  char *secret_id;  /* NULL: the app's storage-access-key */
  char *secret_key; /* NULL: the app's storage-secret-key */
  char *callback;   /* "" for none */
  CrOnceMode mode;
} CrOnceRequest;

void cr_once_request_free (CrOnceRequest *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrOnceRequest, cr_once_request_free)

/* Parses and checks @len bytes of @body. NULL with a CR_API_ERROR whose code and message name the
 * field ("MissingParameter.UserId", "InvalidParameter.CosConfig.Region", ...; malformed JSON is
 * "InvalidParameter.BodyParamsError", an oversized body "RequestSizeLimitExceeded"). */
CrOnceRequest *cr_once_request_parse (const char *body, gsize len, GError **error);

/* The CreateCloudRecording request (not yet validated) that records @r: single-stream, the
 * anchors' main streams, the Mode's media, MP4 or AAC (transcoded to MP3) files, a MaxIdleTime
 * of a day so that only the room's end or the robot's removal stops it, CloudStorage Vendor 0
 * (COS) with @access_key / @secret_key. */
JsonObject *cr_once_request_to_create (const CrOnceRequest *r, const char *access_key,
                                       const char *secret_key);

/* The CR_ONCE_MEMBER object added to the validated request: {"Mode","Format","Path","Callback",
 * "RequestId"}. */
JsonObject *cr_once_extension (const CrOnceRequest *r, const char *request_id);

/* The extension as the task spec holds it (task/spec.h: CrTaskSpec.once). */
typedef struct {
  CrOnceMode mode;
  char *format;     /* "mp3" | "mp4" */
  char *path;       /* the objects' folder ("" for the bucket's root) */
  char *callback;   /* where the result goes ("" for nowhere) */
  char *request_id; /* the x-scf-reqid of the request */
} CrSpecOnce;

/* The CR_ONCE_MEMBER of a task's request: NULL without an error when it has none (an API task),
 * NULL with @error when it is there but broken. */
CrSpecOnce *cr_spec_once_read (JsonObject *request, GError **error);
void cr_spec_once_free (CrSpecOnce *once);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrSpecOnce, cr_spec_once_free)

/* "mp3" or "mp4". */
const char *cr_once_mode_format (CrOnceMode mode);

/* The object key of an anchor's file: "<path>/<room>/<user>_<UTC>.<ext>" (no "<path>/" when
 * @path is empty); UTC is the file's first media, "YYYYMMDDhhmmssSSS". */
char *cr_once_object_key (const char *path, const char *room, const char *user_id, gint64 start_ms,
                          const char *ext);

/* The URL of object @key: "<endpoint>/<bucket>/<key>" when the vendor is served by an
 * S3-compatible @endpoint (storage-endpoint), else COS's "https://<bucket>.cos.<region>.
 * myqcloud.com/<key>" (AWS: "https://<bucket>.s3.<region>.amazonaws.com/<key>"); each key
 * segment percent-encoded. */
char *cr_once_object_url (const char *endpoint, int vendor, const char *region, const char *bucket,
                          const char *key);

/* The seed's result: {"SdkAppId","RoomId","StrRoomId","UserId","Files"}, every id a string
 * (RoomId "" for a string room, StrRoomId "" for an integer one). Takes @files (an array of
 * {"UserId","RecordFile","Status","Message"}). */
JsonObject *cr_once_result (guint64 sdk_app_id, const char *room_id, gboolean string_room,
                            const char *robot_user_id, JsonArray *files);

/* The `{"Error":{"Code","Message"}}` text of a refused request. */
char *cr_once_error_body (const GError *error);

G_END_DECLS
