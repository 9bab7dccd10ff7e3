/* Defensive JSON parsing for request bodies, and compact serialisation.
 *
 * Why: request bodies come from the network. Before json-glib sees them we reject what it would
 * accept badly or not at all: invalid UTF-8, NUL bytes, and nesting deep enough to exhaust the
 * stack of a recursive parser. Every rejection is a CR_API_ERROR with a message naming the byte
 * offset, so a caller can find the fault. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CR_JSON_MAX_DEPTH 32

/* Parses @len bytes of @data as a JSON object. Returns a new reference or NULL with @error set to
 * InvalidParameter.BodyParamsError. */
JsonObject *cr_json_parse_object (const char *data, gsize len, GError **error);

/* Compact JSON text of @node (no spaces), as TRTC and the SDKs send it. */
char *cr_json_to_string (JsonNode *node);
char *cr_json_object_to_string (JsonObject *obj);

/* Reads an integer member; FALSE if absent or not an integer. */
gboolean cr_json_get_int (JsonObject *obj, const char *member, gint64 *out);
/* An integer member, or @fallback if absent or not an integer. */
gint64 cr_json_get_int_or (JsonObject *obj, const char *member, gint64 fallback);
/* Reads a string member; NULL if absent or not a string. The string belongs to @obj. */
const char *cr_json_get_string (JsonObject *obj, const char *member);
/* TRUE only for a boolean member that is true. */
gboolean cr_json_get_bool (JsonObject *obj, const char *member);
/* An array member, or NULL if absent or not an array. */
JsonArray *cr_json_get_array (JsonObject *obj, const char *member);
/* An object member or NULL. */
JsonObject *cr_json_get_object (JsonObject *obj, const char *member);

/* What @node holds, for an error message: "null", "an object", "an array", "a string",
 * "a boolean", "a fractional or out-of-range number" (a double) or "a number". */
const char *cr_json_node_type_name (JsonNode *node);

G_END_DECLS
