/* Defensive JSON parsing: see json_util.h for the threats it screens out before json-glib. */
#include "json_util.h"

#include "api_error.h"

#define BODY_ERROR "InvalidParameter.BodyParamsError"

/* An integer literal json-glib would silently wrap (it reports -1 for 2^64 and more): refuse it
 * while the text is still at hand, so the message shows the number as the client wrote it. */
static gboolean
json_check_integer (const char *data, gsize len, gsize start, const char *member, gsize member_len,
                    gsize *end, GError **error)
{
  gsize i = start;
  if (data[i] == '-')
    i++;
  while (i < len && g_ascii_isdigit (data[i]))
    i++;
  *end = i;
  if (i == start || (data[start] == '-' && i == start + 1))
    return TRUE; /* not a number after all: json-glib reports the syntax error */
  if (i < len && (data[i] == '.' || data[i] == 'e' || data[i] == 'E'))
    return TRUE; /* a float: json-glib keeps it as a double and the validator names its type */
  g_autofree char *text = g_strndup (data + start, MIN (i - start, 64));
  gint64 value = 0;
  if (g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &value, NULL))
    return TRUE;
  const char *more = i - start > 64 ? "..." : "";
  if (member != NULL)
    cr_api_error_set (
        error, BODY_ERROR,
        "%.*s must be an integer that fits in 64 bits, got %s%s (at byte %" G_GSIZE_FORMAT ")",
        (int)MIN (member_len, 64), member, text, more, start);
  else
    cr_api_error_set (error, BODY_ERROR,
                      "request body has a number that does not fit in 64 bits, %s%s (at byte "
                      "%" G_GSIZE_FORMAT ")",
                      text, more, start);
  return FALSE;
}

/* One pass over the text that bounds nesting, refuses an escaped NUL (C strings downstream would
 * cut the value short at it) and refuses integers beyond 64 bits; raw NUL bytes and UTF-8 are
 * checked before this. */
static gboolean
json_prescan (const char *data, gsize len, GError **error)
{
  int depth = 0;
  gboolean in_string = FALSE;
  gsize string_start = 0;
  const char *member = NULL; /* the last string read: the member a number belongs to */
  gsize member_len = 0;
  for (gsize i = 0; i < len; i++) {
    char c = data[i];
    if (in_string) {
      if (c == '\\') {
        if (i + 5 < len && data[i + 1] == 'u' && strncmp (data + i + 2, "0000", 4) == 0) {
          cr_api_error_set (error, BODY_ERROR,
                            "request body has an escaped NUL (\\u0000) in a string at byte "
                            "%" G_GSIZE_FORMAT "; text values cannot contain NUL",
                            i);
          return FALSE;
        }
        i++;
      } else if (c == '"') {
        in_string = FALSE;
        member = data + string_start;
        member_len = i - string_start;
      }
      continue;
    }
    if (c == '"') {
      in_string = TRUE;
      string_start = i + 1;
    } else if (c == '-' || g_ascii_isdigit (c)) {
      gsize end = i;
      if (!json_check_integer (data, len, i, member, member_len, &end, error))
        return FALSE;
      if (end > i)
        i = end - 1;
    } else if (c == '{' || c == '[') {
      if (++depth > CR_JSON_MAX_DEPTH) {
        cr_api_error_set (error, BODY_ERROR,
                          "request body nests JSON deeper than %d levels (at byte %" G_GSIZE_FORMAT
                          ")",
                          CR_JSON_MAX_DEPTH, i);
        return FALSE;
      }
    } else if (c == '}' || c == ']') {
      depth--;
    }
  }
  return TRUE;
}

JsonObject *
cr_json_parse_object (const char *data, gsize len, GError **error)
{
  if (data == NULL || len == 0) {
    cr_api_error_set (error, BODY_ERROR, "request body is empty; expected a JSON object");
    return NULL;
  }
  const char *nul = memchr (data, '\0', len);
  if (nul != NULL) {
    cr_api_error_set (error, BODY_ERROR, "request body contains a NUL byte at offset %td",
                      nul - data);
    return NULL;
  }
  const char *bad = NULL;
  if (!g_utf8_validate_len (data, len, &bad)) {
    cr_api_error_set (error, BODY_ERROR, "request body is not valid UTF-8 (at byte %td)",
                      bad - data);
    return NULL;
  }
  if (!json_prescan (data, len, error))
    return NULL;

  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) perr = NULL;
  if (!json_parser_load_from_data (parser, data, (gssize)len, &perr)) {
    cr_api_error_set (error, BODY_ERROR, "request body is not valid JSON: %s", perr->message);
    return NULL;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    cr_api_error_set (error, BODY_ERROR, "request body must be a JSON object");
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

char *
cr_json_to_string (JsonNode *node)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

char *
cr_json_object_to_string (JsonObject *obj)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, obj);
  return cr_json_to_string (node);
}

gboolean
cr_json_get_int (JsonObject *obj, const char *member, gint64 *out)
{
  JsonNode *n = obj != NULL ? json_object_get_member (obj, member) : NULL;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (n);
  return TRUE;
}

const char *
cr_json_get_string (JsonObject *obj, const char *member)
{
  JsonNode *n = obj != NULL ? json_object_get_member (obj, member) : NULL;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

gboolean
cr_json_get_bool (JsonObject *obj, const char *member)
{
  JsonNode *n = obj != NULL ? json_object_get_member (obj, member) : NULL;
  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN
         && json_node_get_boolean (n);
}

gint64
cr_json_get_int_or (JsonObject *obj, const char *member, gint64 fallback)
{
  gint64 v = 0;
  return cr_json_get_int (obj, member, &v) ? v : fallback;
}

JsonArray *
cr_json_get_array (JsonObject *obj, const char *member)
{
  JsonNode *n = obj != NULL ? json_object_get_member (obj, member) : NULL;
  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

JsonObject *
cr_json_get_object (JsonObject *obj, const char *member)
{
  JsonNode *n = obj != NULL ? json_object_get_member (obj, member) : NULL;
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return NULL;
  return json_node_get_object (n);
}

const char *
cr_json_node_type_name (JsonNode *n)
{
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return "null";
  if (JSON_NODE_HOLDS_OBJECT (n))
    return "an object";
  if (JSON_NODE_HOLDS_ARRAY (n))
    return "an array";
  GType t = json_node_get_value_type (n);
  if (t == G_TYPE_STRING)
    return "a string";
  if (t == G_TYPE_BOOLEAN)
    return "a boolean";
  if (t == G_TYPE_DOUBLE)
    return "a fractional or out-of-range number";
  return "a number";
}
