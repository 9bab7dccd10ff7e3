/* The auto-recording template of an app (seed 002, "全局自动录制"): what a room's automatic
 * recording task records and where its files go.
 *
 * Why a module of its own, pure: the template has two spellings that must agree, the config
 * file's `auto-record-*` keys of an `[app <SdkAppId>]` group and the JSON members of the
 * CloudrecDescribeAutoRecord / CloudrecModifyAutoRecord extensions (also what the store keeps),
 * and one product, the CreateCloudRecording request an auto task is made from. Each key is
 * declared once in a table here, so a bad value names its key the same way in both places and
 * the request is built from one typed record. No I/O, no clocks. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CR_AUTO_MAX_ANCHORS 25 /* seed 002: the first 25 anchors by room entry are recorded */
#define CR_AUTO_ROBOT_PREFIX "cloudrec_auto_" /* + 12 hex digits: each auto task's robot */

typedef enum {
  CR_AUTO_STORAGE_VOD,   /* the daemon's VOD library (TRTC's default for auto-recording) */
  CR_AUTO_STORAGE_LOCAL, /* the local store (storage-dir), whatever storage-endpoint says */
  CR_AUTO_STORAGE_COS,   /* CloudStorage Vendor 0 */
  CR_AUTO_STORAGE_S3,    /* CloudStorage Vendor 1 */
} CrAutoStorage;

typedef struct _CrAutoTemplate {
  gboolean enabled;
  int stream_type;      /* CrStreamType: 0 audio+video, 1 audio, 2 video */
  int output_format;    /* CrOutputFormat: 0 hls, 1 hls+mp4, 2 hls+aac, 3 mp4, 4 aac */
  gint64 file_minutes;  /* MaxMediaFileDuration, 1..1440 */
  gint64 resume_wait_s; /* 1..86400: the task ends this long after the last anchor left */
  gint64 max_anchors;   /* 1..25: anchors recorded per task, by room entry */
  CrAutoStorage storage;
  char *region, *bucket, *access_key, *secret_key; /* cos, s3 */
  char *prefix;                                    /* FileNamePrefix joined with '/'; "" none */
} CrAutoTemplate;

/* The defaults: off, audio-video, hls, 1440 minutes, 30 s, 25 anchors, vod. */
CrAutoTemplate *cr_auto_template_new (void);
CrAutoTemplate *cr_auto_template_copy (const CrAutoTemplate *t);
void cr_auto_template_free (CrAutoTemplate *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrAutoTemplate, cr_auto_template_free)

/* Sets config key @key ("auto-record", "auto-record-format", ...) from its text. An unknown key or
 * a bad value fails with a G_OPTION_ERROR whose message names the key and what it accepts. */
gboolean cr_auto_template_set (CrAutoTemplate *t, const char *key, const char *value,
                               GError **error);
/* The rules across keys: AAC needs audio only; cos and s3 need region, bucket and both keys. */
gboolean cr_auto_template_check (const CrAutoTemplate *t, GError **error);

/* The template of an `[app N]` group: every `auto-record*` key of @group (the defaults for the
 * others), checked. *@out is NULL when the group has no such key. Errors name the key. */
gboolean cr_auto_template_from_keyfile (GKeyFile *kf, const char *group, CrAutoTemplate **out,
                                        GError **error);

/* The storage keys alone under another prefix: "<prefix>-storage", "<prefix>-region",
 * "-bucket", "-access-key", "-secret-key", "-prefix" of @group (class recording's
 * `class-record-*`), parsed and checked by the same rules as `auto-record-*`; any other
 * "<prefix>-" key is refused. *@out is NULL when the group has none. */
gboolean cr_auto_template_storage_from_keyfile (GKeyFile *kf, const char *group, const char *prefix,
                                                CrAutoTemplate **out, GError **error);

/* The API's view: {"Enabled":0|1, "StreamType":"audio-video", "Format":"hls", "FileMinutes",
 * "ResumeWait", "MaxAnchors", "Storage":"vod", "Region", "Bucket", "AccessKey", "SecretKey",
 * "Prefix"}; SecretKey only with @with_secret (never in replies). */
JsonObject *cr_auto_template_to_json (const CrAutoTemplate *t, gboolean with_secret);
/* Applies the members of @patch that are present (the same names; Enabled an integer 0/1 or a
 * boolean; FileMinutes, ResumeWait, MaxAnchors integers; the rest strings), then checks the
 * whole. Errors (G_OPTION_ERROR) name the member. @t is unchanged on failure. */
gboolean cr_auto_template_apply_json (CrAutoTemplate *t, JsonObject *patch, GError **error);
/* A digest of everything the template says (SecretKey included): whether two are the same. */
char *cr_auto_template_digest (const CrAutoTemplate *t);

/* The names of the key/member values, for the docs' tables and messages. */
const char *cr_auto_stream_name (int stream_type);     /* "audio-video" | "audio" | "video" */
const char *cr_auto_format_name (int output_format);   /* "hls" | "hls+mp4" | ... */
const char *cr_auto_storage_name (CrAutoStorage kind); /* "vod" | "local" | "cos" | "s3" */

/* The CreateCloudRecording request of an auto task in room (@string_room, @room_id) with robot
 * @robot recording @anchors (NULL-terminated; the allow list of both media), before
 * normalisation. cr_auto_template_finish_request() then puts in what the API cannot say. */
JsonObject *cr_auto_template_request (const CrAutoTemplate *t, guint64 sdk_app_id,
                                      const char *room_id, gboolean string_room, const char *robot,
                                      const char *const *anchors);
/* On the normalised request: MaxIdleTime = the resume wait (1..86400, where the API's minimum is
 * 5) and, for local storage, the local vendor (upload/storage_target.h). */
void cr_auto_template_finish_request (const CrAutoTemplate *t, JsonObject *normalised);
/* Replaces the allow lists of a (normalised) request's RecordParams with @anchors. */
void cr_auto_request_set_anchors (JsonObject *request, const char *const *anchors);

G_END_DECLS
