/* Checks the whiteboard's client messages against the contract; see board_ops.h. */
#include "board_ops.h"

#include <math.h>
#include <string.h>

#include "common/json_util.h"

G_DEFINE_QUARK (cr - board - error - quark, cr_board_error)

G_GNUC_PRINTF (2, 3)
static gboolean
ops_fail (GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, CR_BOARD_ERROR, CR_BOARD_ERROR_INVALID, text);
  return FALSE;
}

#define FAIL(...) ops_fail (error, __VA_ARGS__)

void
cr_board_msg_free (CrBoardMsg *msg)
{
  if (msg == NULL)
    return;
  g_free (msg->body);
  g_free (msg->op_kind);
  g_free (msg);
}

gboolean
cr_board_id_valid (const char *id)
{
  gsize len = strlen (id);
  if (len == 0 || len > 64)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

const char *
cr_board_room_problem (const char *room)
{
  static const char extra[] = " !#$%&()+-:;<=.>?@[]^_{}|~,";
  gsize len = strlen (room);
  if (len == 0 || len > 64)
    return "room must be 1 to 64 bytes long";
  for (const char *p = room; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr (extra, *p) == NULL)
      return "room may use letters, digits, space and !#$%&()+-:;<=.>?@[]^_{}|~, only";
  return NULL;
}

const char *
cr_board_user_problem (const char *user)
{
  gsize len = strlen (user);
  if (len == 0 || len > 32)
    return "userid must be 1 to 32 bytes long";
  for (const char *p = user; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return "userid may use letters, digits, '_' and '-' only";
  return NULL;
}

/* Every member of @obj is one of @allowed (NULL-terminated), and every one of @required is there.
 * @prefix: "op." for an op's members, "" for the message's own; @what names the object. */
static gboolean
ops_members (JsonObject *obj, const char *prefix, const char *what, const char *const *allowed,
             const char *const *required, GError **error)
{
  g_autoptr (GList) names = json_object_get_members (obj);
  for (GList *l = names; l != NULL; l = l->next) {
    gboolean known = FALSE;
    for (const char *const *a = allowed; *a != NULL && !known; a++)
      known = strcmp (*a, l->data) == 0;
    if (!known)
      return FAIL ("%s has an unknown member \"%s\"", what, (const char *)l->data);
  }
  for (const char *const *r = required; *r != NULL; r++)
    if (!json_object_has_member (obj, *r))
      return FAIL ("%s%s is missing (%s)", prefix, *r, what);
  return TRUE;
}

static gboolean
ops_is_number (JsonNode *node, double *out)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  GType t = json_node_get_value_type (node);
  if (t == G_TYPE_INT64)
    *out = (double)json_node_get_int (node);
  else if (t == G_TYPE_DOUBLE)
    *out = json_node_get_double (node);
  else
    return FALSE;
  return isfinite (*out);
}

/* A number in [lo, hi], or (lo, hi] when @lo_open. */
static gboolean
ops_number (JsonNode *node, const char *name, double lo, double hi, gboolean lo_open, double *out,
            GError **error)
{
  double v = 0;
  if (!ops_is_number (node, &v))
    return FAIL ("%s must be a number, not %s", name,
                 node != NULL ? cr_json_node_type_name (node) : "missing");
  if ((lo_open ? v <= lo : v < lo) || v > hi)
    return FAIL ("%s must be in %s%g, %g], not %g", name, lo_open ? "(" : "[", lo, hi, v);
  if (out != NULL)
    *out = v;
  return TRUE;
}

static gboolean
ops_member_number (JsonObject *op, const char *member, double lo, double hi, gboolean lo_open,
                   GError **error)
{
  g_autofree char *name = g_strdup_printf ("op.%s", member);
  return ops_number (json_object_get_member (op, member), name, lo, hi, lo_open, NULL, error);
}

static gboolean
ops_member_page (JsonObject *op, gint64 *page, GError **error)
{
  JsonNode *node = json_object_get_member (op, "page");
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FAIL ("op.page must be an integer, not %s", cr_json_node_type_name (node));
  gint64 p = json_node_get_int (node);
  if (p < 0 || p >= CR_BOARD_MAX_PAGES)
    return FAIL ("op.page must be in 0..%d, not %" G_GINT64_FORMAT, CR_BOARD_MAX_PAGES - 1, p);
  if (page != NULL)
    *page = p;
  return TRUE;
}

static const char *
ops_member_string (JsonObject *op, const char *member, GError **error)
{
  JsonNode *node = json_object_get_member (op, member);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING) {
    FAIL ("op.%s must be a string, not %s", member, cr_json_node_type_name (node));
    return NULL;
  }
  return json_node_get_string (node);
}

static gboolean
ops_member_id (JsonObject *op, GError **error)
{
  const char *id = ops_member_string (op, "id", error);
  if (id == NULL)
    return FALSE;
  if (!cr_board_id_valid (id))
    return FAIL ("op.id must be 1 to 64 of A-Z a-z 0-9 _ -");
  return TRUE;
}

static gboolean
ops_color_valid (const char *c)
{
  if (strlen (c) != 7 || c[0] != '#')
    return FALSE;
  for (int i = 1; i < 7; i++)
    if (!g_ascii_isxdigit (c[i]))
      return FALSE;
  return TRUE;
}

static gboolean
ops_member_color (JsonObject *op, const char *member, gboolean nullable, GError **error)
{
  JsonNode *node = json_object_get_member (op, member);
  if (nullable && JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  const char *c = ops_member_string (op, member, error);
  if (c == NULL)
    return FALSE;
  if (!ops_color_valid (c))
    return FAIL ("op.%s must be a colour \"#rrggbb\"", member);
  return TRUE;
}

/* @min..@max characters of valid UTF-8 without NUL. */
static gboolean
ops_text (const char *text, const char *name, glong max, GError **error)
{
  if (!g_utf8_validate (text, -1, NULL))
    return FAIL ("%s is not valid UTF-8", name);
  glong n = g_utf8_strlen (text, -1);
  if (n < 1 || n > max)
    return FAIL ("%s must be 1 to %ld characters, not %ld", name, max, n);
  return TRUE;
}

static gboolean
ops_points (JsonObject *op, GError **error)
{
  JsonNode *node = json_object_get_member (op, "points");
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return FAIL ("op.points must be an array, not %s", cr_json_node_type_name (node));
  JsonArray *points = json_node_get_array (node);
  guint n = json_array_get_length (points);
  if (n < 1 || n > CR_BOARD_MAX_POINTS)
    return FAIL ("op.points must hold 1 to %d points, not %u", CR_BOARD_MAX_POINTS, n);
  for (guint i = 0; i < n; i++) {
    JsonNode *pt = json_array_get_element (points, i);
    if (!JSON_NODE_HOLDS_ARRAY (pt) || json_array_get_length (json_node_get_array (pt)) != 2)
      return FAIL ("op.points[%u] must be an array [x, y]", i);
    JsonArray *xy = json_node_get_array (pt);
    for (guint k = 0; k < 2; k++) {
      char name[48];
      g_snprintf (name, sizeof name, "op.points[%u][%u]", i, k);
      if (!ops_number (json_array_get_element (xy, k), name, 0, 1, FALSE, NULL, error))
        return FALSE;
    }
  }
  return TRUE;
}

static gboolean
ops_check_stroke (JsonObject *op, GError **error)
{
  static const char *const m[] = { "kind", "id", "page", "color", "width", "points", NULL };
  return ops_members (op, "op.", "a stroke op", m, m, error) && ops_member_id (op, error)
         && ops_member_page (op, NULL, error) && ops_member_color (op, "color", FALSE, error)
         && ops_member_number (op, "width", 0, 0.2, TRUE, error) && ops_points (op, error);
}

static gboolean
ops_check_shape (JsonObject *op, GError **error)
{
  static const char *const all[]
      = { "kind", "id", "page", "shape", "color", "width", "fill", "x0", "y0", "x1", "y1", NULL };
  /* fill may be left out: the same as null (an addition to the contract, backward compatible). */
  static const char *const req[]
      = { "kind", "id", "page", "shape", "color", "width", "x0", "y0", "x1", "y1", NULL };
  if (!ops_members (op, "op.", "a shape op", all, req, error) || !ops_member_id (op, error)
      || !ops_member_page (op, NULL, error))
    return FALSE;
  const char *shape = ops_member_string (op, "shape", error);
  if (shape == NULL)
    return FALSE;
  if (strcmp (shape, "line") != 0 && strcmp (shape, "rect") != 0 && strcmp (shape, "ellipse") != 0)
    return FAIL ("op.shape must be \"line\", \"rect\" or \"ellipse\"");
  if (!ops_member_color (op, "color", FALSE, error)
      || (json_object_has_member (op, "fill") && !ops_member_color (op, "fill", TRUE, error))
      || !ops_member_number (op, "width", 0, 0.2, TRUE, error))
    return FALSE;
  static const char *const coords[] = { "x0", "y0", "x1", "y1" };
  for (guint i = 0; i < G_N_ELEMENTS (coords); i++)
    if (!ops_member_number (op, coords[i], 0, 1, FALSE, error))
      return FALSE;
  return TRUE;
}

static gboolean
ops_check_text (JsonObject *op, GError **error)
{
  static const char *const m[] = { "kind", "id", "page", "color", "size", "x", "y", "text", NULL };
  if (!ops_members (op, "op.", "a text op", m, m, error) || !ops_member_id (op, error)
      || !ops_member_page (op, NULL, error) || !ops_member_color (op, "color", FALSE, error)
      || !ops_member_number (op, "size", 0, 0.5, TRUE, error)
      || !ops_member_number (op, "x", 0, 1, FALSE, error)
      || !ops_member_number (op, "y", 0, 1, FALSE, error))
    return FALSE;
  const char *text = ops_member_string (op, "text", error);
  return text != NULL && ops_text (text, "op.text", CR_BOARD_MAX_TEXT, error);
}

static gboolean
ops_check_page (JsonObject *op, GError **error)
{
  static const char *const m[] = { "kind", "action", "page", NULL };
  if (!ops_members (op, "op.", "a page op", m, m, error))
    return FALSE;
  const char *action = ops_member_string (op, "action", error);
  if (action == NULL)
    return FALSE;
  if (strcmp (action, "add") != 0 && strcmp (action, "goto") != 0)
    return FAIL ("op.action must be \"add\" or \"goto\"");
  return ops_member_page (op, NULL, error);
}

static gboolean
ops_check_undo (JsonObject *op, GError **error)
{
  static const char *const m[] = { "kind", "id", NULL };
  return ops_members (op, "op.", "an undo op", m, m, error) && ops_member_id (op, error);
}

static gboolean
ops_check_clear (JsonObject *op, GError **error)
{
  static const char *const m[] = { "kind", "page", NULL };
  return ops_members (op, "op.", "a clear op", m, m, error) && ops_member_page (op, NULL, error);
}

gboolean
cr_board_op_check (JsonObject *op, GError **error)
{
  JsonNode *kind_node = json_object_get_member (op, "kind");
  if (kind_node == NULL)
    return FAIL ("op.kind is missing");
  if (!JSON_NODE_HOLDS_VALUE (kind_node) || json_node_get_value_type (kind_node) != G_TYPE_STRING)
    return FAIL ("op.kind must be a string, not %s", cr_json_node_type_name (kind_node));
  const char *kind = json_node_get_string (kind_node);
  if (strcmp (kind, "stroke") == 0)
    return ops_check_stroke (op, error);
  if (strcmp (kind, "shape") == 0)
    return ops_check_shape (op, error);
  if (strcmp (kind, "text") == 0)
    return ops_check_text (op, error);
  if (strcmp (kind, "page") == 0)
    return ops_check_page (op, error);
  if (strcmp (kind, "undo") == 0)
    return ops_check_undo (op, error);
  if (strcmp (kind, "clear") == 0)
    return ops_check_clear (op, error);
  return FAIL ("op.kind must be stroke, shape, text, page, undo or clear");
}

gboolean
cr_board_chat_check (const char *text, GError **error)
{
  return ops_text (text, "text", CR_BOARD_MAX_CHAT, error);
}

CrBoardMsg *
cr_board_msg_parse (const char *data, gsize len, GError **error)
{
  if (len > CR_BOARD_MAX_MESSAGE) {
    FAIL ("the message is %" G_GSIZE_FORMAT " bytes; at most %d", len, CR_BOARD_MAX_MESSAGE);
    return NULL;
  }
  g_autoptr (GError) local = NULL;
  g_autoptr (JsonObject) msg = cr_json_parse_object (data, len, &local);
  if (msg == NULL) {
    FAIL ("the message is not a JSON object: %s", local->message);
    return NULL;
  }
  JsonNode *t_node = json_object_get_member (msg, "t");
  const char *t = t_node != NULL && JSON_NODE_HOLDS_VALUE (t_node)
                          && json_node_get_value_type (t_node) == G_TYPE_STRING
                      ? json_node_get_string (t_node)
                      : NULL;
  if (t == NULL) {
    FAIL ("t must be \"op\" or \"chat\"");
    return NULL;
  }
  if (strcmp (t, "chat") == 0) {
    static const char *const m[] = { "t", "text", NULL };
    if (!ops_members (msg, "", "the chat message", m, m, error))
      return NULL;
    JsonNode *node = json_object_get_member (msg, "text");
    if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING) {
      FAIL ("text must be a string, not %s", cr_json_node_type_name (node));
      return NULL;
    }
    if (!cr_board_chat_check (json_node_get_string (node), error))
      return NULL;
    CrBoardMsg *out = g_new0 (CrBoardMsg, 1);
    out->kind = CR_BOARD_MSG_CHAT;
    out->body = g_strdup (json_node_get_string (node));
    out->page = -1;
    return out;
  }
  if (strcmp (t, "op") != 0) {
    FAIL ("t must be \"op\" or \"chat\"");
    return NULL;
  }
  static const char *const m[] = { "t", "op", NULL };
  if (!ops_members (msg, "", "the op message", m, m, error))
    return NULL;
  JsonNode *op_node = json_object_get_member (msg, "op");
  if (!JSON_NODE_HOLDS_OBJECT (op_node)) {
    FAIL ("op must be an object, not %s", cr_json_node_type_name (op_node));
    return NULL;
  }
  JsonObject *op = json_node_get_object (op_node);
  if (!cr_board_op_check (op, error))
    return NULL;
  CrBoardMsg *out = g_new0 (CrBoardMsg, 1);
  out->kind = CR_BOARD_MSG_OP;
  out->body = cr_json_to_string (op_node);
  out->op_kind = g_strdup (json_object_get_string_member (op, "kind"));
  out->page = json_object_has_member (op, "page") ? json_object_get_int_member (op, "page") : -1;
  out->page_add = strcmp (out->op_kind, "page") == 0
                  && strcmp (json_object_get_string_member (op, "action"), "add") == 0;
  return out;
}
