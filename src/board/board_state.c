/* A board's pages and elements, and the replay of its log; see board_state.h. */
#include "board_state.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

#define MAX_PAGES 1000 /* pages 0..999 (the contract) */

static void
element_free (CrBoardElement *e)
{
  g_free (e->id);
  g_free (e->points);
  g_free (e->text);
  g_free (e);
}

static GPtrArray *
page_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)element_free);
}

CrBoardState *
cr_board_state_new (void)
{
  CrBoardState *s = g_new0 (CrBoardState, 1);
  s->pages = g_ptr_array_new_with_free_func ((GDestroyNotify)g_ptr_array_unref);
  g_ptr_array_add (s->pages, page_new ());
  return s;
}

void
cr_board_state_free (CrBoardState *s)
{
  if (s == NULL)
    return;
  g_ptr_array_unref (s->pages);
  g_free (s);
}

void
cr_board_state_reset (CrBoardState *s)
{
  g_ptr_array_set_size (s->pages, 0);
  g_ptr_array_add (s->pages, page_new ());
  s->shown = 0;
  s->version++;
  s->generation++;
}

GPtrArray *
cr_board_state_shown (const CrBoardState *s)
{
  return g_ptr_array_index (s->pages, s->shown);
}

/* ---- members, checked ---- */

static gboolean bad (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
bad (GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, msg);
  return FALSE;
}

/* A JSON number (integer or not) that is finite. */
static gboolean
node_number (JsonNode *n, double *out)
{
  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE)
    return FALSE;
  GType t = json_node_get_value_type (n);
  if (t == G_TYPE_INT64)
    *out = (double)json_node_get_int (n);
  else if (t == G_TYPE_DOUBLE)
    *out = json_node_get_double (n);
  else
    return FALSE;
  return isfinite (*out);
}

static gboolean
get_number (JsonObject *o, const char *member, double *out, GError **error)
{
  if (!node_number (json_object_get_member (o, member), out))
    return bad (error, "%s is not a number", member);
  return TRUE;
}

/* An integer (a JSON integer, or a number with no fraction) into @out. */
static gboolean
node_int (JsonNode *n, gint64 *out)
{
  double d;
  if (!node_number (n, &d) || d != floor (d) || fabs (d) > 9.0e15)
    return FALSE;
  *out = json_node_get_value_type (n) == G_TYPE_INT64 ? json_node_get_int (n) : (gint64)d;
  return TRUE;
}

static const char *
get_string (JsonObject *o, const char *member, GError **error)
{
  JsonNode *n = json_object_get_member (o, member);
  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE
      || json_node_get_value_type (n) != G_TYPE_STRING) {
    bad (error, "%s is not a string", member);
    return NULL;
  }
  return json_node_get_string (n);
}

/* "#rrggbb" into 0xRRGGBB. */
static gboolean
parse_color (const char *text, guint32 *out)
{
  if (text == NULL || strlen (text) != 7 || text[0] != '#')
    return FALSE;
  guint32 v = 0;
  for (int i = 1; i < 7; i++) {
    int d = g_ascii_xdigit_value (text[i]);
    if (d < 0)
      return FALSE;
    v = v << 4 | (guint32)d;
  }
  *out = v;
  return TRUE;
}

static gboolean
get_color (JsonObject *o, const char *member, guint32 *out, GError **error)
{
  const char *text = get_string (o, member, error);
  if (text == NULL)
    return FALSE;
  if (!parse_color (text, out))
    return bad (error, "%s is not a #rrggbb colour", member);
  return TRUE;
}

/* The page an element op names: an existing one. */
static GPtrArray *
get_page (CrBoardState *s, JsonObject *o, guint *index, GError **error)
{
  gint64 p;
  if (!node_int (json_object_get_member (o, "page"), &p))
    return bad (error, "page is not an integer"), NULL;
  if (p < 0 || p >= (gint64)s->pages->len)
    return bad (error, "page %" G_GINT64_FORMAT " does not exist (%u pages)", p, s->pages->len),
           NULL;
  *index = (guint)p;
  return g_ptr_array_index (s->pages, p);
}

/* A coordinate: the contract's are in [0, 1]; far outside (a hand-edited log) is refused rather
 * than handed to cairo, whose fixed-point coordinates overflow. */
#define COORD_LIMIT 100.0

static gboolean
get_coord (JsonObject *o, const char *member, double *out, GError **error)
{
  if (!get_number (o, member, out, error))
    return FALSE;
  if (fabs (*out) > COORD_LIMIT)
    return bad (error, "%s %g is out of range", member, *out);
  return TRUE;
}

/* A line width or a font size: > 0 (and not absurd: at most the board's height). */
static gboolean
get_extent (JsonObject *o, const char *member, double *out, GError **error)
{
  if (!get_number (o, member, out, error))
    return FALSE;
  if (*out <= 0 || *out > 1)
    return bad (error, "%s %g is out of range", member, *out);
  return TRUE;
}

/* ---- ops ---- */

static CrBoardElement *
element_new (CrBoardElKind kind, JsonObject *o, GError **error)
{
  const char *id = get_string (o, "id", error);
  if (id == NULL)
    return NULL;
  if (*id == '\0')
    return bad (error, "id is empty"), NULL;
  guint32 color;
  if (!get_color (o, "color", &color, error))
    return NULL;
  CrBoardElement *e = g_new0 (CrBoardElement, 1);
  e->kind = kind;
  e->id = g_strdup (id);
  e->color = color;
  return e;
}

static CrBoardElement *
stroke_new (JsonObject *o, GError **error)
{
  double width;
  if (!get_extent (o, "width", &width, error))
    return NULL;
  JsonNode *pts = json_object_get_member (o, "points");
  if (pts == NULL || JSON_NODE_TYPE (pts) != JSON_NODE_ARRAY)
    return bad (error, "points is not an array"), NULL;
  JsonArray *a = json_node_get_array (pts);
  guint n = json_array_get_length (a);
  if (n == 0)
    return bad (error, "points is empty"), NULL;
  g_autofree double *xy = g_new (double, 2 * (gsize)n);
  for (guint i = 0; i < n; i++) {
    JsonNode *p = json_array_get_element (a, i);
    JsonArray *pa = JSON_NODE_TYPE (p) == JSON_NODE_ARRAY ? json_node_get_array (p) : NULL;
    if (pa == NULL || json_array_get_length (pa) != 2
        || !node_number (json_array_get_element (pa, 0), &xy[2 * i])
        || !node_number (json_array_get_element (pa, 1), &xy[2 * i + 1])
        || fabs (xy[2 * i]) > COORD_LIMIT || fabs (xy[2 * i + 1]) > COORD_LIMIT)
      return bad (error, "points[%u] is not [x, y] (numbers within +-100)", i), NULL;
  }
  CrBoardElement *e = element_new (CR_BOARD_EL_STROKE, o, error);
  if (e == NULL)
    return NULL;
  e->width = width;
  e->points = g_steal_pointer (&xy);
  e->n_points = n;
  return e;
}

static CrBoardElement *
shape_new (JsonObject *o, GError **error)
{
  const char *shape = get_string (o, "shape", error);
  if (shape == NULL)
    return NULL;
  CrBoardShape kind;
  if (strcmp (shape, "line") == 0)
    kind = CR_BOARD_SHAPE_LINE;
  else if (strcmp (shape, "rect") == 0)
    kind = CR_BOARD_SHAPE_RECT;
  else if (strcmp (shape, "ellipse") == 0)
    kind = CR_BOARD_SHAPE_ELLIPSE;
  else
    return bad (error, "shape \"%s\" is not line, rect or ellipse", shape), NULL;
  double width, c[4];
  static const char *const corners[4] = { "x0", "y0", "x1", "y1" };
  if (!get_extent (o, "width", &width, error))
    return NULL;
  for (int i = 0; i < 4; i++)
    if (!get_coord (o, corners[i], &c[i], error))
      return NULL;
  gboolean filled = FALSE;
  guint32 fill = 0;
  JsonNode *f = json_object_get_member (o, "fill");
  if (f != NULL && !JSON_NODE_HOLDS_NULL (f)) {
    if (!get_color (o, "fill", &fill, error))
      return NULL;
    filled = TRUE;
  }
  CrBoardElement *e = element_new (CR_BOARD_EL_SHAPE, o, error);
  if (e == NULL)
    return NULL;
  e->shape = kind;
  e->width = width;
  e->filled = filled && kind != CR_BOARD_SHAPE_LINE; /* a line ignores fill */
  e->fill = fill;
  e->x0 = c[0];
  e->y0 = c[1];
  e->x1 = c[2];
  e->y1 = c[3];
  return e;
}

static CrBoardElement *
text_new (JsonObject *o, GError **error)
{
  double size, x, y;
  if (!get_extent (o, "size", &size, error) || !get_coord (o, "x", &x, error)
      || !get_coord (o, "y", &y, error))
    return NULL;
  const char *text = get_string (o, "text", error);
  if (text == NULL)
    return NULL;
  if (!g_utf8_validate (text, -1, NULL))
    return bad (error, "text is not UTF-8"), NULL;
  CrBoardElement *e = element_new (CR_BOARD_EL_TEXT, o, error);
  if (e == NULL)
    return NULL;
  e->size = size;
  e->x = x;
  e->y = y;
  e->text = g_strdup (text);
  return e;
}

static gboolean
apply_page (CrBoardState *s, JsonObject *o, GError **error)
{
  const char *action = get_string (o, "action", error);
  gint64 p;
  if (action == NULL)
    return FALSE;
  if (!node_int (json_object_get_member (o, "page"), &p))
    return bad (error, "page is not an integer");
  if (strcmp (action, "add") == 0) {
    if (p != (gint64)s->pages->len || p >= MAX_PAGES)
      return bad (error, "page add %" G_GINT64_FORMAT " is not the next page (%u pages)", p,
                  s->pages->len);
    g_ptr_array_add (s->pages, page_new ());
  } else if (strcmp (action, "goto") == 0) {
    if (p < 0 || p >= (gint64)s->pages->len)
      return bad (error, "page goto %" G_GINT64_FORMAT " does not exist (%u pages)", p,
                  s->pages->len);
  } else {
    return bad (error, "action \"%s\" is not add or goto", action);
  }
  if ((guint)p != s->shown)
    s->generation++;
  s->shown = (guint)p;
  return TRUE;
}

/* Removes every element @id names, on any page. */
static gboolean
apply_undo (CrBoardState *s, JsonObject *o, gboolean *changed, GError **error)
{
  const char *id = get_string (o, "id", error);
  if (id == NULL)
    return FALSE;
  gboolean removed = FALSE;
  for (guint p = 0; p < s->pages->len; p++) {
    GPtrArray *page = g_ptr_array_index (s->pages, p);
    for (guint i = page->len; i-- > 0;) {
      const CrBoardElement *e = g_ptr_array_index (page, i);
      if (strcmp (e->id, id) == 0) {
        g_ptr_array_remove_index (page, i);
        removed = TRUE;
        if (p == s->shown)
          s->generation++;
      }
    }
  }
  *changed = removed;
  return TRUE;
}

gboolean
cr_board_state_apply (CrBoardState *s, JsonObject *op, GError **error)
{
  const char *kind = get_string (op, "kind", error);
  if (kind == NULL)
    return FALSE;
  CrBoardElement *e = NULL;
  if (strcmp (kind, "stroke") == 0 || strcmp (kind, "shape") == 0 || strcmp (kind, "text") == 0) {
    guint index;
    GPtrArray *page = get_page (s, op, &index, error);
    if (page == NULL)
      return FALSE;
    e = strcmp (kind, "stroke") == 0  ? stroke_new (op, error)
        : strcmp (kind, "shape") == 0 ? shape_new (op, error)
                                      : text_new (op, error);
    if (e == NULL)
      return FALSE;
    g_ptr_array_add (page, e);
    s->version++;
    return TRUE;
  }
  if (strcmp (kind, "page") == 0) {
    if (!apply_page (s, op, error))
      return FALSE;
  } else if (strcmp (kind, "undo") == 0) {
    gboolean changed = FALSE;
    if (!apply_undo (s, op, &changed, error))
      return FALSE;
    if (!changed)
      return TRUE; /* an id on no page (undone already, cleared): nothing to draw again */
  } else if (strcmp (kind, "clear") == 0) {
    guint index;
    GPtrArray *page = get_page (s, op, &index, error);
    if (page == NULL)
      return FALSE;
    g_ptr_array_set_size (page, 0);
    if (index == s->shown)
      s->generation++;
  } else {
    return bad (error, "kind \"%s\" is unknown", kind);
  }
  s->version++;
  return TRUE;
}

/* ---- the replay ---- */

typedef struct {
  gint64 seq, ts;
  JsonObject *op;
} Op;

struct _CrBoardReplay {
  GArray *ops;         /* Op, by seq */
  gboolean ts_ordered; /* ts never decreases with seq: the state only moves forward */
  guint applied;       /* ops[0..applied) are in the state (ts_ordered) */
  gint64 last_t;
  guint seen;         /* how many ops had ts <= last_t (not ts_ordered) */
  gboolean *reported; /* per op: its failure was reported */
  CrBoardState *state;
};

static void warn (GPtrArray *warnings, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
warn (GPtrArray *warnings, const char *fmt, ...)
{
  if (warnings == NULL)
    return;
  va_list ap;
  va_start (ap, fmt);
  g_ptr_array_add (warnings, g_strdup_vprintf (fmt, ap));
  va_end (ap);
}

static void
op_clear (Op *op)
{
  json_object_unref (op->op);
}

static int
op_by_seq (gconstpointer a, gconstpointer b)
{
  const Op *x = a, *y = b;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

CrBoardReplay *
cr_board_replay_new (JsonArray *entries, GPtrArray *warnings)
{
  CrBoardReplay *r = g_new0 (CrBoardReplay, 1);
  r->ops = g_array_new (FALSE, FALSE, sizeof (Op));
  g_array_set_clear_func (r->ops, (GDestroyNotify)op_clear);
  guint n = entries != NULL ? json_array_get_length (entries) : 0;
  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element (entries, i);
    JsonObject *entry = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    if (entry == NULL) {
      warn (warnings, "entry %u is not an object: left out", i);
      continue;
    }
    JsonNode *t = json_object_get_member (entry, "t");
    const char *type = t != NULL && JSON_NODE_TYPE (t) == JSON_NODE_VALUE
                               && json_node_get_value_type (t) == G_TYPE_STRING
                           ? json_node_get_string (t)
                           : NULL;
    if (g_strcmp0 (type, "chat") == 0)
      continue;
    Op op = { 0 };
    JsonNode *body = json_object_get_member (entry, "op");
    if (g_strcmp0 (type, "op") != 0 || !node_int (json_object_get_member (entry, "seq"), &op.seq)
        || !node_int (json_object_get_member (entry, "ts"), &op.ts) || body == NULL
        || !JSON_NODE_HOLDS_OBJECT (body)) {
      warn (warnings,
            "entry %u is not an op entry {\"t\":\"op\",\"seq\":n,\"ts\":ms,\"op\":{}}: "
            "left out",
            i);
      continue;
    }
    op.op = json_object_ref (json_node_get_object (body));
    g_array_append_val (r->ops, op);
  }
  g_array_sort (r->ops, op_by_seq);
  r->ts_ordered = TRUE;
  for (guint i = 1; i < r->ops->len; i++) {
    Op *prev = &g_array_index (r->ops, Op, i - 1), *op = &g_array_index (r->ops, Op, i);
    if (op->seq == prev->seq) {
      warn (warnings, "seq %" G_GINT64_FORMAT " appears twice: the second left out", op->seq);
      g_array_remove_index (r->ops, i--);
      continue;
    }
    if (op->ts < prev->ts)
      r->ts_ordered = FALSE;
  }
  if (!r->ts_ordered)
    warn (warnings, "the ops' ts do not grow with their seq: the state is rebuilt at each change");
  r->reported = g_new0 (gboolean, MAX (1, r->ops->len));
  r->state = cr_board_state_new ();
  r->last_t = G_MININT64;
  return r;
}

CrBoardReplay *
cr_board_replay_load (const char *path, GPtrArray *warnings, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  if (!json_parser_load_from_file (parser, path, &local)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", path, local->message);
    return NULL;
  }
  JsonNode *root = json_parser_get_root (parser);
  JsonArray *entries = NULL;
  if (root != NULL && JSON_NODE_HOLDS_ARRAY (root)) {
    entries = json_node_get_array (root);
  } else if (root != NULL && JSON_NODE_HOLDS_OBJECT (root)) {
    JsonNode *ops = json_object_get_member (json_node_get_object (root), "Ops");
    if (ops != NULL && JSON_NODE_HOLDS_ARRAY (ops))
      entries = json_node_get_array (ops);
  }
  if (entries == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "%s is neither a JSON array of board log entries nor {\"Ops\":[...]}", path);
    return NULL;
  }
  return cr_board_replay_new (entries, warnings);
}

void
cr_board_replay_free (CrBoardReplay *r)
{
  if (r == NULL)
    return;
  g_array_unref (r->ops);
  g_free (r->reported);
  cr_board_state_free (r->state);
  g_free (r);
}

guint
cr_board_replay_count (const CrBoardReplay *r)
{
  return r->ops->len;
}

const CrBoardState *
cr_board_replay_state (const CrBoardReplay *r)
{
  return r->state;
}

static void
replay_apply (CrBoardReplay *r, guint i, GPtrArray *warnings)
{
  Op *op = &g_array_index (r->ops, Op, i);
  g_autoptr (GError) error = NULL;
  if (!cr_board_state_apply (r->state, op->op, &error) && !r->reported[i]) {
    r->reported[i] = TRUE;
    warn (warnings, "op seq %" G_GINT64_FORMAT " (ts %" G_GINT64_FORMAT ") left out: %s", op->seq,
          op->ts, error->message);
  }
}

gboolean
cr_board_replay_seek (CrBoardReplay *r, gint64 t_ms, GPtrArray *warnings)
{
  guint64 before = r->state->version;
  if (t_ms < r->last_t) { /* backwards: from nothing */
    cr_board_state_reset (r->state);
    r->applied = 0;
    r->seen = 0;
  }
  r->last_t = t_ms;
  if (r->ts_ordered) {
    while (r->applied < r->ops->len && g_array_index (r->ops, Op, r->applied).ts <= t_ms)
      replay_apply (r, r->applied++, warnings);
  } else {
    guint seen = 0;
    for (guint i = 0; i < r->ops->len; i++)
      seen += g_array_index (r->ops, Op, i).ts <= t_ms;
    if (seen != r->seen) {
      r->seen = seen;
      cr_board_state_reset (r->state);
      for (guint i = 0; i < r->ops->len; i++)
        if (g_array_index (r->ops, Op, i).ts <= t_ms)
          replay_apply (r, i, warnings);
    }
  }
  return r->state->version != before;
}
