/* The validator engine: walks a request against a schema table and builds the normalised copy.
 * validate.h says why it is table-driven; schema.h describes a row. The first broken rule wins. */
#include "validate.h"

#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "validate/schema.h"

/* Fields whose absence has its own TRTC code (the SDK's error list for the recording actions). */
static const char *const missing_codes[] = {
  "SdkAppId",   "RoomId",     "UserId",        "UserSig",      "RecordParams",
  "RecordMode", "StreamType", "StorageParams", "CloudStorage", "Vendor",
  "Region",     "Bucket",     "AccessKey",     "SecretKey",    "TaskId",
};

/* Request text echoed in a message is clipped, so a 1 MB name cannot make a 1 MB reply. */
static char *
clip (const char *s)
{
  if (strlen (s) <= 64)
    return g_strdup (s);
  const char *end = g_utf8_find_prev_char (s, s + 65);
  return g_strdup_printf ("%.*s...", (int)(end - s), s);
}

char *
cr_schema_path (const char *path, const char *name)
{
  return path == NULL || *path == '\0' ? g_strdup (name) : g_strconcat (path, ".", name, NULL);
}

static void
field_missing (const CrField *f, const char *where, GError **error)
{
  g_autofree char *code = g_strdup ("MissingParameter");
  for (guint i = 0; i < G_N_ELEMENTS (missing_codes); i++) {
    if (strcmp (f->name, missing_codes[i]) == 0) {
      g_free (code);
      code = g_strconcat ("MissingParameter.", f->name, NULL);
    }
  }
  cr_api_error_set (error, code, "%s is required", where);
}

static const char *
field_code (const CrField *f, const char *fallback)
{
  return f->code != NULL ? f->code : fallback;
}

static gboolean
field_wrong_type (const CrField *f, const char *where, const char *want, JsonNode *n,
                  GError **error)
{
  cr_api_error_set (error, field_code (f, "InvalidParameter"), "%s must be %s, got %s", where, want,
                    cr_json_node_type_name (n));
  return FALSE;
}

static gboolean
read_int (const CrField *f, const char *where, JsonNode *n, gboolean form, gint64 *out,
          GError **error)
{
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64) {
    *out = json_node_get_int (n);
    return TRUE;
  }
  if (form && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING) {
    const char *s = json_node_get_string (n);
    if (g_ascii_string_to_signed (s, 10, G_MININT64, G_MAXINT64, out, NULL) && s[0] != '+')
      return TRUE;
    g_autofree char *shown = clip (s);
    cr_api_error_set (error, field_code (f, "InvalidParameter"),
                      "%s must be a decimal integer, got \"%s\"", where, shown);
    return FALSE;
  }
  return field_wrong_type (f, where, "an integer", n, error);
}

static gboolean
check_int (const CrField *f, const char *where, gint64 v, GError **error)
{
  if (f->allowed != 0) {
    if (v < 0 || v > 63 || !(f->allowed & (G_GUINT64_CONSTANT (1) << v))) {
      g_autoptr (GString) list = g_string_new (NULL);
      for (int i = 0; i < 64; i++) {
        if (f->allowed & (G_GUINT64_CONSTANT (1) << i))
          g_string_append_printf (list, "%s%d", list->len ? ", " : "", i);
      }
      cr_api_error_set (error, field_code (f, "InvalidParameter.OutOfRange"),
                        "%s must be one of %s, got %" G_GINT64_FORMAT, where, list->str, v);
      return FALSE;
    }
    return TRUE;
  }
  if (v < f->min || v > f->max) {
    cr_api_error_set (error, field_code (f, "InvalidParameter.OutOfRange"),
                      "%s must be an integer in [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                      "], got %" G_GINT64_FORMAT,
                      where, f->min, f->max, v);
    return FALSE;
  }
  return TRUE;
}

/* A length or entry count against its bounds: "<where> must <verb> MIN to MAX <unit>, got N". */
static gboolean
check_count (const CrField *f, const char *where, const char *verb, const char *unit, gint64 n,
             gint64 min, gint64 max, GError **error)
{
  if (n >= min && n <= max)
    return TRUE;
  cr_api_error_set (error, field_code (f, "InvalidParameter.OutOfRange"),
                    "%s must %s %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                    " %s, got %" G_GINT64_FORMAT,
                    where, verb, min, max, unit, n);
  return FALSE;
}

static gboolean
check_string (const CrField *f, const char *where, const char *s, gint64 min, gint64 max,
              GError **error)
{
  gint64 len = (gint64)strlen (s);
  if (!check_count (f, where, "be", "bytes long", len, min, max, error))
    return FALSE;
  const char *want = f->format != NULL ? f->format (s) : NULL;
  if (want != NULL) {
    cr_api_error_set (error, field_code (f, "InvalidParameter.OutOfRange"), "%s must be %s", where,
                      want);
    return FALSE;
  }
  return TRUE;
}

/* The array of a list field if its type and entry count are right, else NULL with the error. */
static JsonArray *
list_checked (const CrField *f, const char *where, JsonNode *n, const char *want, GError **error)
{
  if (!JSON_NODE_HOLDS_ARRAY (n)) {
    field_wrong_type (f, where, want, n, error);
    return NULL;
  }
  JsonArray *in = json_node_get_array (n);
  gint64 count = json_array_get_length (in);
  if (!check_count (f, where, "have", "entries", count, f->min, f->max, error))
    return NULL;
  return in;
}

static gboolean
apply_string_list (const CrField *f, const char *where, JsonNode *n, JsonObject *out,
                   GError **error)
{
  JsonArray *in = list_checked (f, where, n, "an array of strings", error);
  if (in == NULL)
    return FALSE;
  gint64 count = json_array_get_length (in);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *list = json_array_new ();
  json_object_set_array_member (out, f->name, list);
  for (guint i = 0; i < (guint)count; i++) {
    JsonNode *e = json_array_get_element (in, i);
    g_autofree char *at = g_strdup_printf ("%s[%u]", where, i);
    if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
      return field_wrong_type (f, at, "a string", e, error);
    const char *s = json_node_get_string (e);
    if (!check_string (f, at, s, 1, f->item_max, error))
      return FALSE;
    if (g_hash_table_contains (seen, s)) {
      g_autofree char *shown = clip (s);
      cr_api_error_set (error, field_code (f, "InvalidParameter"), "%s repeats \"%s\"", at, shown);
      return FALSE;
    }
    g_hash_table_add (seen, (gpointer)s);
    json_array_add_string_element (list, s);
  }
  return TRUE;
}

static gboolean
apply_object_list (const CrField *f, const char *where, JsonNode *n, JsonObject *out,
                   const char *action, gboolean form, GError **error)
{
  JsonArray *in = list_checked (f, where, n, "an array of objects", error);
  if (in == NULL)
    return FALSE;
  gint64 count = json_array_get_length (in);
  JsonArray *list = json_array_new ();
  json_object_set_array_member (out, f->name, list);
  for (guint i = 0; i < (guint)count; i++) {
    JsonNode *e = json_array_get_element (in, i);
    g_autofree char *at = g_strdup_printf ("%s[%u]", where, i);
    if (!JSON_NODE_HOLDS_OBJECT (e))
      return field_wrong_type (f, at, "an object", e, error);
    JsonObject *child
        = cr_schema_apply (f->child, json_node_get_object (e), at, action, form, error);
    if (child == NULL)
      return FALSE;
    json_array_add_object_element (list, child);
  }
  return TRUE;
}

static gboolean
apply_field (const CrField *f, const char *where, JsonNode *n, JsonObject *out, const char *action,
             gboolean form, GError **error)
{
  switch (f->kind) {
  case CR_FIELD_INT: {
    gint64 v = 0;
    if (!read_int (f, where, n, form, &v, error) || !check_int (f, where, v, error))
      return FALSE;
    json_object_set_int_member (out, f->name, v);
    return TRUE;
  }
  case CR_FIELD_BOOL: {
    if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN) {
      json_object_set_boolean_member (out, f->name, json_node_get_boolean (n));
      return TRUE;
    }
    const char *s = JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
                        ? json_node_get_string (n)
                        : NULL;
    if (form && s != NULL && (strcmp (s, "true") == 0 || strcmp (s, "false") == 0)) {
      json_object_set_boolean_member (out, f->name, strcmp (s, "true") == 0);
      return TRUE;
    }
    return field_wrong_type (f, where, "a boolean", n, error);
  }
  case CR_FIELD_STRING: {
    if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
      return field_wrong_type (f, where, "a string", n, error);
    const char *s = json_node_get_string (n);
    if (!check_string (f, where, s, f->min, f->max, error))
      return FALSE;
    json_object_set_string_member (out, f->name, s);
    return TRUE;
  }
  case CR_FIELD_OBJECT: {
    if (!JSON_NODE_HOLDS_OBJECT (n))
      return field_wrong_type (f, where, "an object", n, error);
    JsonObject *child
        = cr_schema_apply (f->child, json_node_get_object (n), where, action, form, error);
    if (child == NULL)
      return FALSE;
    json_object_set_object_member (out, f->name, child);
    return TRUE;
  }
  case CR_FIELD_STRING_LIST:
    return apply_string_list (f, where, n, out, error);
  case CR_FIELD_OBJECT_LIST:
    return apply_object_list (f, where, n, out, action, form, error);
  }
  g_assert_not_reached ();
}

static void
apply_default (const CrField *f, JsonObject *out)
{
  if (!f->has_default)
    return;
  if (f->kind == CR_FIELD_INT)
    json_object_set_int_member (out, f->name, f->def_int);
  else if (f->kind == CR_FIELD_BOOL)
    json_object_set_boolean_member (out, f->name, f->def_int != 0);
  else if (f->kind == CR_FIELD_STRING)
    json_object_set_string_member (out, f->name, f->def_str);
}

JsonObject *
cr_schema_apply (const CrSchema *schema, JsonObject *in, const char *path, const char *action,
                 gboolean form, GError **error)
{
  /* Unknown members first: a typo must not hide behind a later "is required". */
  g_autoptr (GList) members = json_object_get_members (in);
  for (GList *m = members; m != NULL; m = m->next) {
    gboolean known = FALSE;
    for (guint i = 0; i < schema->n_fields && !known; i++)
      known = strcmp (schema->fields[i].name, m->data) == 0;
    if (!known) {
      g_autofree char *name = clip (m->data);
      g_autofree char *where = cr_schema_path (path, name);
      cr_api_error_set (error, "UnknownParameter", "%s is not a parameter of %s", where, action);
      return NULL;
    }
  }
  g_autoptr (JsonObject) out = json_object_new ();
  for (guint i = 0; i < schema->n_fields; i++) {
    const CrField *f = &schema->fields[i];
    g_autofree char *where = cr_schema_path (path, f->name);
    JsonNode *n = json_object_get_member (in, f->name);
    if (n == NULL || JSON_NODE_HOLDS_NULL (n)) {
      if (f->required) {
        field_missing (f, where, error);
        return NULL;
      }
      apply_default (f, out);
      continue;
    }
    if (!apply_field (f, where, n, out, action, form, error))
      return NULL;
  }
  if (schema->check != NULL && !schema->check (out, path, error))
    return NULL;
  return g_steal_pointer (&out);
}

static const CrSchema *
validate_schema_for (const char *action)
{
  const CrSchema *tiw = cr_schema_tiw_for (action); /* TIW 2019-09-19 (schema_tiw.c) */
  if (tiw != NULL)
    return tiw;
  if (g_strcmp0 (action, "CreateCloudRecording") == 0)
    return &cr_schema_create;
  if (g_strcmp0 (action, "DescribeCloudRecording") == 0)
    return &cr_schema_describe;
  if (g_strcmp0 (action, "ModifyCloudRecording") == 0)
    return &cr_schema_modify;
  if (g_strcmp0 (action, "DeleteCloudRecording") == 0)
    return &cr_schema_delete;
  if (g_strcmp0 (action, "CloudrecDescribeEvents") == 0)
    return &cr_schema_events;
  if (g_strcmp0 (action, "CloudrecDescribeTasks") == 0
      || g_strcmp0 (action, "CloudrecDescribeRooms") == 0)
    return &cr_schema_app;
  if (g_strcmp0 (action, "CloudrecResendEvents") == 0)
    return &cr_schema_resend_events;
  if (g_strcmp0 (action, "CloudrecCreateCompose") == 0)
    return &cr_schema_compose_create;
  if (g_strcmp0 (action, "CloudrecDescribeCompose") == 0)
    return &cr_schema_compose_describe;
  if (g_strcmp0 (action, "CloudrecDescribeAutoRecord") == 0)
    return &cr_schema_auto_describe;
  if (g_strcmp0 (action, "CloudrecModifyAutoRecord") == 0)
    return &cr_schema_auto_modify;
  if (g_strcmp0 (action, "CloudrecDescribeAutoRecordTasks") == 0)
    return &cr_schema_auto_tasks;
  if (g_strcmp0 (action, "DescribeRecordStatistic") == 0)
    return &cr_schema_record_statistic;
  if (g_strcmp0 (action, "DescribeRecordingUsage") == 0)
    return &cr_schema_recording_usage;
  if (g_strcmp0 (action, "RemoveUser") == 0)
    return &cr_schema_remove_user;
  if (g_strcmp0 (action, "RemoveUserByStrRoomId") == 0)
    return &cr_schema_remove_user_str;
  if (g_strcmp0 (action, "DismissRoom") == 0)
    return &cr_schema_dismiss_room;
  if (g_strcmp0 (action, "DismissRoomByStrRoomId") == 0)
    return &cr_schema_dismiss_room_str;
  if (g_strcmp0 (action, "StartWebRecord") == 0)
    return &cr_schema_web_start;
  if (g_strcmp0 (action, "StopWebRecord") == 0)
    return &cr_schema_web_stop;
  if (g_strcmp0 (action, "DescribeWebRecord") == 0)
    return &cr_schema_web_describe;
  return NULL;
}

gboolean
cr_validate_knows_action (const char *action)
{
  return validate_schema_for (action) != NULL;
}

JsonObject *
cr_validate_request (const char *action, JsonObject *request, CrValidateFlags flags, GError **error)
{
  const CrSchema *schema = validate_schema_for (action);
  if (schema == NULL) {
    cr_api_error_set (error, "InvalidAction", "action %s does not exist", action);
    return NULL;
  }
  return cr_schema_apply (schema, request, "", action, (flags & CR_VALIDATE_FORM) != 0, error);
}
