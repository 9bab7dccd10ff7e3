/* The auto-recording template: one table of its keys, their two spellings and their rules
 * (auto_template.h says why). */
#include "auto_template.h"

#include <string.h>

#include "common/json_util.h"
#include "task/codes.h"
#include "upload/storage_target.h"
#include "validate/schema.h"

typedef enum {
  K_ENABLED,
  K_STREAM,
  K_FORMAT,
  K_FILE_MINUTES,
  K_RESUME_WAIT,
  K_MAX_ANCHORS,
  K_STORAGE,
  K_REGION,
  K_BUCKET,
  K_ACCESS_KEY,
  K_SECRET_KEY,
  K_PREFIX,
} KeyId;

static const struct {
  KeyId id;
  const char *key;    /* the config file's */
  const char *member; /* the API's and the store's */
} keys[] = {
  { K_ENABLED, "auto-record", "Enabled" },
  { K_STREAM, "auto-record-stream", "StreamType" },
  { K_FORMAT, "auto-record-format", "Format" },
  { K_FILE_MINUTES, "auto-record-file-minutes", "FileMinutes" },
  { K_RESUME_WAIT, "auto-record-resume-wait", "ResumeWait" },
  { K_MAX_ANCHORS, "auto-record-max-anchors", "MaxAnchors" },
  { K_STORAGE, "auto-record-storage", "Storage" },
  { K_REGION, "auto-record-region", "Region" },
  { K_BUCKET, "auto-record-bucket", "Bucket" },
  { K_ACCESS_KEY, "auto-record-access-key", "AccessKey" },
  { K_SECRET_KEY, "auto-record-secret-key", "SecretKey" },
  { K_PREFIX, "auto-record-prefix", "Prefix" },
};

static const char *const stream_names[] = { "audio-video", "audio", "video" };
/* indexed by CrOutputFormat */
static const char *const format_names[] = { "hls", "hls+mp4", "hls+aac", "mp4", "aac" };
static const char *const storage_names[] = { "vod", "local", "cos", "s3" };

const char *
cr_auto_stream_name (int stream_type)
{
  return stream_type >= 0 && stream_type < 3 ? stream_names[stream_type] : "?";
}

const char *
cr_auto_format_name (int output_format)
{
  return output_format >= 0 && output_format < 5 ? format_names[output_format] : "?";
}

const char *
cr_auto_storage_name (CrAutoStorage kind)
{
  return (guint)kind < G_N_ELEMENTS (storage_names) ? storage_names[kind] : "?";
}

CrAutoTemplate *
cr_auto_template_new (void)
{
  CrAutoTemplate *t = g_new0 (CrAutoTemplate, 1);
  t->enabled = FALSE;
  t->stream_type = CR_STREAMS_AUDIO_VIDEO;
  t->output_format = CR_OUTPUT_HLS;
  t->file_minutes = 1440;
  t->resume_wait_s = 30;
  t->max_anchors = CR_AUTO_MAX_ANCHORS;
  t->storage = CR_AUTO_STORAGE_VOD;
  t->prefix = g_strdup ("");
  return t;
}

CrAutoTemplate *
cr_auto_template_copy (const CrAutoTemplate *t)
{
  CrAutoTemplate *c = g_memdup2 (t, sizeof *t);
  c->region = g_strdup (t->region);
  c->bucket = g_strdup (t->bucket);
  c->access_key = g_strdup (t->access_key);
  c->secret_key = g_strdup (t->secret_key);
  c->prefix = g_strdup (t->prefix);
  return c;
}

void
cr_auto_template_free (CrAutoTemplate *t)
{
  if (t == NULL)
    return;
  g_free (t->region);
  g_free (t->bucket);
  g_free (t->access_key);
  g_free (t->secret_key);
  g_free (t->prefix);
  g_free (t);
}

static gboolean
bad (GError **error, const char *name, const char *want, const char *value)
{
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s must be %s, got \"%s\"", name,
               want, value);
  return FALSE;
}

static int
pick (const char *const *names, guint n, const char *value)
{
  for (guint i = 0; i < n; i++) {
    if (strcmp (names[i], value) == 0)
      return (int)i;
  }
  return -1;
}

static gboolean
set_int (gint64 *slot, const char *name, const char *value, gint64 lo, gint64 hi, GError **error)
{
  gint64 v = 0;
  if (!g_ascii_string_to_signed (value, 10, lo, hi, &v, NULL)) {
    g_autofree char *want
        = g_strdup_printf ("an integer in [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", lo, hi);
    return bad (error, name, want, value);
  }
  *slot = v;
  return TRUE;
}

/* Letters, digits and @extra, 1..@max bytes. */
static gboolean
set_token (char **slot, const char *name, const char *value, const char *extra, gsize max,
           const char *want, GError **error)
{
  gsize len = strlen (value);
  gboolean ok = len >= 1 && len <= max;
  for (const char *p = value; ok && *p; p++)
    ok = g_ascii_isalnum (*p)
         || (extra != NULL ? strchr (extra, *p) != NULL : g_ascii_isgraph (*p));
  if (!ok) {
    g_autofree char *w = g_strdup_printf ("%s, 1 to %" G_GSIZE_FORMAT " bytes", want, max);
    return bad (error, name, w, value);
  }
  g_free (*slot);
  *slot = g_strdup (value);
  return TRUE;
}

/* FileNamePrefix's rules: up to 16 segments of up to 64 bytes each. */
static gboolean
set_prefix (CrAutoTemplate *t, const char *name, const char *value, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (value, "/", -1);
  guint n = *value == '\0' ? 0 : g_strv_length (parts);
  gboolean ok = n <= 16;
  for (guint i = 0; ok && i < n; i++)
    ok = *parts[i] != '\0' && strlen (parts[i]) <= 64 && cr_format_path_segment (parts[i]) == NULL;
  if (!ok)
    return bad (error, name,
                "a '/'-separated path of up to 16 folder names (each 1 to 64 letters, digits, "
                "'_', '-' or '.', not \".\" or \"..\")",
                value);
  g_free (t->prefix);
  t->prefix = g_strdup (value);
  return TRUE;
}

static gboolean
template_set (CrAutoTemplate *t, KeyId id, const char *name, const char *value, GError **error)
{
  int i;
  switch (id) {
  case K_ENABLED:
    if (strcmp (value, "on") != 0 && strcmp (value, "off") != 0)
      return bad (error, name, "on or off", value);
    t->enabled = strcmp (value, "on") == 0;
    return TRUE;
  case K_STREAM:
    if ((i = pick (stream_names, G_N_ELEMENTS (stream_names), value)) < 0)
      return bad (error, name, "one of audio-video|audio|video", value);
    t->stream_type = i;
    return TRUE;
  case K_FORMAT:
    if ((i = pick (format_names, G_N_ELEMENTS (format_names), value)) < 0)
      return bad (error, name, "one of hls|mp4|aac|hls+mp4|hls+aac", value);
    t->output_format = i;
    return TRUE;
  case K_FILE_MINUTES:
    return set_int (&t->file_minutes, name, value, 1, 1440, error);
  case K_RESUME_WAIT:
    return set_int (&t->resume_wait_s, name, value, 1, 86400, error);
  case K_MAX_ANCHORS:
    return set_int (&t->max_anchors, name, value, 1, CR_AUTO_MAX_ANCHORS, error);
  case K_STORAGE:
    if ((i = pick (storage_names, G_N_ELEMENTS (storage_names), value)) < 0)
      return bad (error, name, "one of vod|local|cos|s3", value);
    t->storage = (CrAutoStorage)i;
    return TRUE;
  case K_REGION:
    return set_token (&t->region, name, value, "-_", 64, "letters, digits, '-' and '_'", error);
  case K_BUCKET:
    return set_token (&t->bucket, name, value, "-._", 128, "letters, digits, '-', '.' and '_'",
                      error);
  case K_ACCESS_KEY:
    return set_token (&t->access_key, name, value, NULL, 256, "printable ASCII without spaces",
                      error);
  case K_SECRET_KEY:
    return set_token (&t->secret_key, name, value, NULL, 256, "printable ASCII without spaces",
                      error);
  case K_PREFIX:
    return set_prefix (t, name, value, error);
  }
  g_assert_not_reached ();
}

gboolean
cr_auto_template_set (CrAutoTemplate *t, const char *key, const char *value, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++) {
    if (strcmp (keys[i].key, key) == 0)
      return template_set (t, keys[i].id, key, value, error);
  }
  g_autoptr (GString) known = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_string_append_printf (known, "%s%s", i > 0 ? ", " : "", keys[i].key);
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
               "unknown auto-recording key \"%s\" (known: %s)", key, known->str);
  return FALSE;
}

/* The names a rule is reported with: the file's keys, or the API's members. */
static const char *
key_name (KeyId id, gboolean api)
{
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++) {
    if (keys[i].id == id)
      return api ? keys[i].member : keys[i].key;
  }
  return "?";
}

static gboolean
template_check (const CrAutoTemplate *t, gboolean api, GError **error)
{
  if (CR_OUTPUT_IS_AAC (t->output_format) && t->stream_type != CR_STREAMS_AUDIO) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "%s %s (AAC) needs %s audio (an audio-only recording), not %s",
                 key_name (K_FORMAT, api), cr_auto_format_name (t->output_format),
                 key_name (K_STREAM, api), cr_auto_stream_name (t->stream_type));
    return FALSE;
  }
  if (t->storage == CR_AUTO_STORAGE_COS || t->storage == CR_AUTO_STORAGE_S3) {
    const KeyId need[] = { K_REGION, K_BUCKET, K_ACCESS_KEY, K_SECRET_KEY };
    const char *const have[] = { t->region, t->bucket, t->access_key, t->secret_key };
    for (guint i = 0; i < G_N_ELEMENTS (need); i++) {
      if (have[i] == NULL) {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s %s needs %s",
                     key_name (K_STORAGE, api), cr_auto_storage_name (t->storage),
                     key_name (need[i], api));
        return FALSE;
      }
    }
  }
  return TRUE;
}

gboolean
cr_auto_template_check (const CrAutoTemplate *t, GError **error)
{
  return template_check (t, FALSE, error);
}

gboolean
cr_auto_template_from_keyfile (GKeyFile *kf, const char *group, CrAutoTemplate **out,
                               GError **error)
{
  *out = NULL;
  g_auto (GStrv) names = g_key_file_get_keys (kf, group, NULL, NULL);
  g_autoptr (CrAutoTemplate) t = NULL;
  for (char **k = names; k != NULL && *k != NULL; k++) {
    if (!g_str_has_prefix (*k, "auto-record"))
      continue;
    if (t == NULL)
      t = cr_auto_template_new ();
    g_autofree char *value = g_key_file_get_string (kf, group, *k, error);
    if (value == NULL || !cr_auto_template_set (t, *k, g_strstrip (value), error))
      return FALSE;
  }
  if (t != NULL && !cr_auto_template_check (t, error))
    return FALSE;
  *out = g_steal_pointer (&t);
  return TRUE;
}

gboolean
cr_auto_template_storage_from_keyfile (GKeyFile *kf, const char *group, const char *prefix,
                                       CrAutoTemplate **out, GError **error)
{
  static const KeyId storage_keys[]
      = { K_STORAGE, K_REGION, K_BUCKET, K_ACCESS_KEY, K_SECRET_KEY, K_PREFIX };
  *out = NULL;
  g_autofree char *dash = g_strdup_printf ("%s-", prefix);
  g_auto (GStrv) names = g_key_file_get_keys (kf, group, NULL, NULL);
  g_autoptr (CrAutoTemplate) t = NULL;
  for (char **k = names; k != NULL && *k != NULL; k++) {
    if (!g_str_has_prefix (*k, dash))
      continue;
    const char *rest = *k + strlen (dash);
    int id = -1;
    for (guint i = 0; i < G_N_ELEMENTS (storage_keys) && id < 0; i++) {
      if (strcmp (key_name (storage_keys[i], FALSE) + strlen ("auto-record-"), rest) == 0)
        id = (int)storage_keys[i];
    }
    if (id < 0) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                   "unknown key \"%s\" (known: %s-storage, -region, -bucket, -access-key, "
                   "-secret-key, -prefix)",
                   *k, prefix);
      return FALSE;
    }
    if (t == NULL) {
      t = cr_auto_template_new ();
      t->storage = CR_AUTO_STORAGE_LOCAL;
    }
    g_autofree char *value = g_key_file_get_string (kf, group, *k, error);
    if (value == NULL || !template_set (t, (KeyId)id, *k, g_strstrip (value), error))
      return FALSE;
  }
  if (t != NULL && t->storage == CR_AUTO_STORAGE_VOD) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "%s-storage must be one of local|cos|s3, got \"vod\"", prefix);
    return FALSE;
  }
  if (t != NULL && t->storage != CR_AUTO_STORAGE_LOCAL) {
    const char *const have[] = { t->region, t->bucket, t->access_key, t->secret_key };
    const char *const want[] = { "region", "bucket", "access-key", "secret-key" };
    for (guint i = 0; i < G_N_ELEMENTS (have); i++) {
      if (have[i] == NULL) {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s-storage %s needs %s-%s",
                     prefix, cr_auto_storage_name (t->storage), prefix, want[i]);
        return FALSE;
      }
    }
  }
  *out = g_steal_pointer (&t);
  return TRUE;
}

JsonObject *
cr_auto_template_to_json (const CrAutoTemplate *t, gboolean with_secret)
{
  JsonObject *o = json_object_new ();
  json_object_set_int_member (o, "Enabled", t->enabled ? 1 : 0);
  json_object_set_string_member (o, "StreamType", cr_auto_stream_name (t->stream_type));
  json_object_set_string_member (o, "Format", cr_auto_format_name (t->output_format));
  json_object_set_int_member (o, "FileMinutes", t->file_minutes);
  json_object_set_int_member (o, "ResumeWait", t->resume_wait_s);
  json_object_set_int_member (o, "MaxAnchors", t->max_anchors);
  json_object_set_string_member (o, "Storage", cr_auto_storage_name (t->storage));
  const struct {
    const char *member, *value;
  } opt[] = { { "Region", t->region },
              { "Bucket", t->bucket },
              { "AccessKey", t->access_key },
              { "SecretKey", with_secret ? t->secret_key : NULL } };
  for (guint i = 0; i < G_N_ELEMENTS (opt); i++) {
    if (opt[i].value != NULL)
      json_object_set_string_member (o, opt[i].member, opt[i].value);
  }
  json_object_set_string_member (o, "Prefix", t->prefix);
  return o;
}

/* A member's value as the text its config key takes. */
static char *
member_text (KeyId id, JsonNode *node)
{
  if (!JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  GType type = json_node_get_value_type (node);
  if (id == K_ENABLED) {
    if (type == G_TYPE_BOOLEAN)
      return g_strdup (json_node_get_boolean (node) ? "on" : "off");
    if (type == G_TYPE_INT64 && (json_node_get_int (node) == 0 || json_node_get_int (node) == 1))
      return g_strdup (json_node_get_int (node) == 1 ? "on" : "off");
    return NULL;
  }
  if (id == K_FILE_MINUTES || id == K_RESUME_WAIT || id == K_MAX_ANCHORS)
    return type == G_TYPE_INT64 ? g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node))
                                : NULL;
  return type == G_TYPE_STRING ? g_strdup (json_node_get_string (node)) : NULL;
}

gboolean
cr_auto_template_apply_json (CrAutoTemplate *t, JsonObject *patch, GError **error)
{
  g_autoptr (CrAutoTemplate) next = cr_auto_template_copy (t);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++) {
    JsonNode *node = patch != NULL ? json_object_get_member (patch, keys[i].member) : NULL;
    if (node == NULL)
      continue;
    g_autofree char *text = member_text (keys[i].id, node);
    if (text == NULL) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s has the wrong type",
                   keys[i].member);
      return FALSE;
    }
    if (!template_set (next, keys[i].id, keys[i].member, text, error))
      return FALSE;
  }
  if (!template_check (next, TRUE, error))
    return FALSE;
  CrAutoTemplate tmp = *t;
  *t = *next;
  *next = tmp; /* the old strings go with @next */
  return TRUE;
}

char *
cr_auto_template_digest (const CrAutoTemplate *t)
{
  g_autoptr (JsonObject) o = cr_auto_template_to_json (t, TRUE);
  g_autofree char *text = cr_json_object_to_string (o);
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}

static JsonArray *
string_array (const char *const *items)
{
  JsonArray *a = json_array_new ();
  for (const char *const *s = items; s != NULL && *s != NULL; s++)
    json_array_add_string_element (a, *s);
  return a;
}

void
cr_auto_request_set_anchors (JsonObject *request, const char *const *anchors)
{
  JsonObject *record = cr_json_get_object (request, "RecordParams");
  if (record == NULL)
    return;
  JsonObject *sub = json_object_new ();
  json_object_set_array_member (sub, "SubscribeAudioUserIds", string_array (anchors));
  json_object_set_array_member (sub, "SubscribeVideoUserIds", string_array (anchors));
  json_object_set_object_member (record, "SubscribeStreamUserIds", sub);
}

JsonObject *
cr_auto_template_request (const CrAutoTemplate *t, guint64 sdk_app_id, const char *room_id,
                          gboolean string_room, const char *robot, const char *const *anchors)
{
  JsonObject *req = json_object_new ();
  json_object_set_int_member (req, "SdkAppId", (gint64)sdk_app_id);
  json_object_set_string_member (req, "RoomId", room_id);
  json_object_set_int_member (req, "RoomIdType", string_room ? 0 : 1);
  json_object_set_string_member (req, "UserId", robot);
  /* The daemon launches the task itself (CR_CREATE_ROBOT_TRUSTED): no ticket is checked. */
  json_object_set_string_member (req, "UserSig", "auto-record");
  JsonObject *record = json_object_new ();
  json_object_set_int_member (record, "RecordMode", CR_RECORD_SINGLE);
  /* MaxIdleTime is the resume wait, put in after the validator (finish_request): the API's
   * minimum of 5 s is not the template's 1 s. */
  json_object_set_int_member (record, "MaxIdleTime", MAX (t->resume_wait_s, 5));
  json_object_set_int_member (record, "StreamType", t->stream_type);
  json_object_set_int_member (record, "MaxMediaFileDuration", t->file_minutes);
  json_object_set_object_member (req, "RecordParams", record);
  cr_auto_request_set_anchors (req, anchors);
  JsonObject *storage = json_object_new ();
  JsonArray *prefix = json_array_new ();
  g_auto (GStrv) parts = g_strsplit (t->prefix, "/", -1);
  for (char **p = parts; *t->prefix != '\0' && *p != NULL; p++)
    json_array_add_string_element (prefix, *p);
  if (t->storage == CR_AUTO_STORAGE_VOD) {
    /* The library's files are chosen by TencentVod.MediaType, in its own numbering. */
    static const int media_type[] = { 1, 3, 4, 0, 2 }; /* by CrOutputFormat */
    JsonObject *tencent = json_object_new ();
    json_object_set_int_member (tencent, "MediaType", media_type[t->output_format]);
    JsonObject *vod = json_object_new ();
    json_object_set_object_member (vod, "TencentVod", tencent);
    json_object_set_object_member (storage, "CloudVod", vod);
    json_array_unref (prefix);
  } else {
    json_object_set_int_member (record, "OutputFormat", t->output_format);
    gboolean local = t->storage == CR_AUTO_STORAGE_LOCAL;
    JsonObject *cloud = json_object_new ();
    /* Local storage has no bucket: the API's rules are met with placeholders, and the vendor
     * that means "the local store" is put in after the validator. */
    json_object_set_int_member (cloud, "Vendor", t->storage == CR_AUTO_STORAGE_S3 ? 1 : 0);
    json_object_set_string_member (cloud, "Region", local ? "local" : t->region);
    json_object_set_string_member (cloud, "Bucket", local ? "local" : t->bucket);
    json_object_set_string_member (cloud, "AccessKey", local ? "local" : t->access_key);
    json_object_set_string_member (cloud, "SecretKey", local ? "local" : t->secret_key);
    json_object_set_array_member (cloud, "FileNamePrefix", prefix);
    json_object_set_object_member (storage, "CloudStorage", cloud);
  }
  json_object_set_object_member (req, "StorageParams", storage);
  return req;
}

void
cr_auto_template_finish_request (const CrAutoTemplate *t, JsonObject *normalised)
{
  JsonObject *record = cr_json_get_object (normalised, "RecordParams");
  if (record != NULL)
    json_object_set_int_member (record, "MaxIdleTime", t->resume_wait_s);
  JsonObject *cloud
      = cr_json_get_object (cr_json_get_object (normalised, "StorageParams"), "CloudStorage");
  if (t->storage == CR_AUTO_STORAGE_LOCAL && cloud != NULL)
    json_object_set_int_member (cloud, "Vendor", CR_STORAGE_VENDOR_LOCAL);
}
