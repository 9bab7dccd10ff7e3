/* Defensive JSON parsing: see json_util.h for the threats it screens out before json-glib. */
#include "json_util.h"

#include "api_error.h"

#define BODY_ERROR "InvalidParameter.BodyParamsError"

/* One pass over the bytes outside strings to bound nesting; NUL and UTF-8 are checked separately. */
static gboolean
json_check_depth (const char *data, gsize len, GError **error)
{
  int depth = 0;
  gboolean in_string = FALSE;
  for (gsize i = 0; i < len; i++) {
    char c = data[i];
    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = FALSE;
      continue;
    }
    if (c == '"') {
      in_string = TRUE;
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
  if (!json_check_depth (data, len, error))
    return NULL;

  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) perr = NULL;
  if (!json_parser_load_from_data (parser, data, (gssize) len, &perr)) {
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

JsonObject *
cr_json_get_object (JsonObject *obj, const char *member)
{
  JsonNode *n = obj != NULL ? json_object_get_member (obj, member) : NULL;
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return NULL;
  return json_node_get_object (n);
}
