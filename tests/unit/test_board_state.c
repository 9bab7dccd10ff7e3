/* The board's state and the replay of its log: ops applied (pages added and shown, undo by id,
 * clear), entries sorted by seq, the state at a board time, malformed entries and ops skipped
 * with a warning while the rest still applies. */
#include <glib/gstdio.h>

#include "board/board_state.h"

static JsonObject *
obj (const char *json)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, json, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (p)));
}

static JsonArray *
arr (const char *json)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, json, -1, NULL));
  return json_array_ref (json_node_get_array (json_parser_get_root (p)));
}

static gboolean
apply (CrBoardState *s, const char *json, GError **error)
{
  g_autoptr (JsonObject) o = obj (json);
  return cr_board_state_apply (s, o, error);
}

static void
apply_ok (CrBoardState *s, const char *json)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (apply (s, json, &error));
  g_assert_no_error (error);
}

static void
apply_bad (CrBoardState *s, const char *json, const char *why)
{
  g_autoptr (GError) error = NULL;
  guint64 version = s->version;
  g_assert_false (apply (s, json, &error));
  g_assert_nonnull (error);
  if (strstr (error->message, why) == NULL)
    g_error ("%s: \"%s\" does not say \"%s\"", json, error->message, why);
  g_assert_cmpuint (s->version, ==, version);
}

/* The ids of the shown page, comma-separated. */
static char *
shown_ids (const CrBoardState *s)
{
  GPtrArray *page = cr_board_state_shown (s);
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < page->len; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? "," : "",
                            ((CrBoardElement *)g_ptr_array_index (page, i))->id);
  return g_string_free (out, FALSE);
}

#define STROKE(id, page)                                                                           \
  "{\"kind\":\"stroke\",\"id\":\"" id "\",\"page\":" #page                                         \
  ",\"color\":\"#ff0000\",\"width\":0.01,"                                                         \
  "\"points\":[[0.1,0.2],[0.3,0.4]]}"

static void
test_elements (void)
{
  g_autoptr (CrBoardState) s = cr_board_state_new ();
  g_assert_cmpuint (s->pages->len, ==, 1);
  apply_ok (s, STROKE ("a", 0));
  apply_ok (s,
            "{\"kind\":\"shape\",\"id\":\"r\",\"page\":0,\"shape\":\"rect\",\"color\":\"#000000\","
            "\"width\":0.005,\"fill\":\"#0000ff\",\"x0\":0.5,\"y0\":0.1,\"x1\":0.9,\"y1\":0.4}");
  apply_ok (s,
            "{\"kind\":\"shape\",\"id\":\"l\",\"page\":0,\"shape\":\"line\",\"color\":\"#00ff00\","
            "\"width\":0.005,\"fill\":\"#0000ff\",\"x0\":0,\"y0\":0,\"x1\":1,\"y1\":1}");
  apply_ok (s, "{\"kind\":\"text\",\"id\":\"t\",\"page\":0,\"color\":\"#123456\",\"size\":0.05,"
               "\"x\":0.1,\"y\":0.7,\"text\":\"héllo\"}");
  g_autofree char *ids = shown_ids (s);
  g_assert_cmpstr (ids, ==, "a,r,l,t");
  GPtrArray *page = cr_board_state_shown (s);
  const CrBoardElement *a = g_ptr_array_index (page, 0), *r = g_ptr_array_index (page, 1),
                       *l = g_ptr_array_index (page, 2), *t = g_ptr_array_index (page, 3);
  g_assert_cmpint (a->kind, ==, CR_BOARD_EL_STROKE);
  g_assert_cmpuint (a->color, ==, 0xff0000);
  g_assert_cmpuint (a->n_points, ==, 2);
  g_assert_cmpfloat (a->points[3], ==, 0.4);
  g_assert_cmpint (r->shape, ==, CR_BOARD_SHAPE_RECT);
  g_assert_true (r->filled);
  g_assert_cmpuint (r->fill, ==, 0x0000ff);
  g_assert_cmpfloat (r->x1, ==, 0.9);
  g_assert_false (l->filled); /* a line ignores fill */
  g_assert_cmpstr (t->text, ==, "héllo");
  g_assert_cmpfloat (t->size, ==, 0.05);
  g_assert_cmpuint (t->color, ==, 0x123456);
}

static void
test_pages (void)
{
  g_autoptr (CrBoardState) s = cr_board_state_new ();
  apply_ok (s, STROKE ("p0", 0));
  guint64 gen = s->generation;
  apply_ok (s, "{\"kind\":\"page\",\"action\":\"add\",\"page\":1}");
  g_assert_cmpuint (s->pages->len, ==, 2);
  g_assert_cmpuint (s->shown, ==, 1); /* add shows it */
  g_assert_cmpuint (s->generation, >, gen);
  g_autofree char *empty = shown_ids (s);
  g_assert_cmpstr (empty, ==, "");
  apply_ok (s, STROKE ("p1", 1));
  apply_ok (s, STROKE ("p0b", 0)); /* drawn on a page not shown */
  g_autofree char *one = shown_ids (s);
  g_assert_cmpstr (one, ==, "p1");
  apply_ok (s, "{\"kind\":\"page\",\"action\":\"goto\",\"page\":0}");
  g_autofree char *zero = shown_ids (s);
  g_assert_cmpstr (zero, ==, "p0,p0b");
  apply_bad (s, "{\"kind\":\"page\",\"action\":\"add\",\"page\":5}", "not the next page");
  apply_bad (s, "{\"kind\":\"page\",\"action\":\"goto\",\"page\":2}", "does not exist");
  apply_bad (s, "{\"kind\":\"page\",\"action\":\"goto\",\"page\":-1}", "does not exist");
  apply_bad (s, "{\"kind\":\"page\",\"action\":\"jump\",\"page\":0}", "not add or goto");
  apply_bad (s, STROKE ("x", 2), "page 2 does not exist");
  g_assert_cmpuint (s->shown, ==, 0);
}

static void
test_undo_clear (void)
{
  g_autoptr (CrBoardState) s = cr_board_state_new ();
  apply_ok (s, STROKE ("a", 0));
  apply_ok (s, STROKE ("b", 0));
  apply_ok (s, STROKE ("c", 0));
  guint64 gen = s->generation;
  apply_ok (s, "{\"kind\":\"undo\",\"id\":\"b\"}");
  g_autofree char *ac = shown_ids (s);
  g_assert_cmpstr (ac, ==, "a,c");
  g_assert_cmpuint (s->generation, >, gen); /* not an append: drawn again */
  guint64 version = s->version;
  apply_ok (s, "{\"kind\":\"undo\",\"id\":\"nobody\"}"); /* no such element: nothing changes */
  g_assert_cmpuint (s->version, ==, version);
  /* undo reaches an element on a page not shown */
  apply_ok (s, "{\"kind\":\"page\",\"action\":\"add\",\"page\":1}");
  apply_ok (s, "{\"kind\":\"undo\",\"id\":\"a\"}");
  apply_ok (s, STROKE ("d", 1));
  apply_ok (s, "{\"kind\":\"clear\",\"page\":0}");
  g_assert_cmpuint (((GPtrArray *)g_ptr_array_index (s->pages, 0))->len, ==, 0);
  g_autofree char *d = shown_ids (s);
  g_assert_cmpstr (d, ==, "d"); /* the other page kept */
  apply_ok (s, "{\"kind\":\"clear\",\"page\":1}");
  g_autofree char *none = shown_ids (s);
  g_assert_cmpstr (none, ==, "");
  apply_bad (s, "{\"kind\":\"clear\",\"page\":9}", "does not exist");
  apply_bad (s, "{\"kind\":\"undo\"}", "id is not a string");
}

static void
test_malformed_ops (void)
{
  g_autoptr (CrBoardState) s = cr_board_state_new ();
  apply_bad (s, "{\"kind\":\"bogus\"}", "kind \"bogus\" is unknown");
  apply_bad (s, "{\"op\":1}", "kind is not a string");
  apply_bad (s,
             "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"red\",\"width\":0.01,"
             "\"points\":[[0,0]]}",
             "color is not a #rrggbb colour");
  apply_bad (s,
             "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#ff0000\",\"width\":0.01,"
             "\"points\":[[0,0],[0.5]]}",
             "points[1] is not [x, y]");
  apply_bad (s,
             "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#ff0000\",\"width\":0.01,"
             "\"points\":[]}",
             "points is empty");
  apply_bad (s,
             "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#ff0000\",\"width\":\"1\","
             "\"points\":[[0,0]]}",
             "width is not a number");
  apply_bad (s,
             "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#ff0000\",\"width\":-1,"
             "\"points\":[[0,0]]}",
             "width -1 is out of range");
  apply_bad (s,
             "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0.5,\"color\":\"#ff0000\",\"width\":0.1,"
             "\"points\":[[0,0]]}",
             "page is not an integer");
  apply_bad (s,
             "{\"kind\":\"shape\",\"id\":\"a\",\"page\":0,\"shape\":\"star\",\"color\":\"#ff0000\","
             "\"width\":0.1,\"x0\":0,\"y0\":0,\"x1\":1,\"y1\":1}",
             "shape \"star\"");
  apply_bad (s,
             "{\"kind\":\"shape\",\"id\":\"a\",\"page\":0,\"shape\":\"rect\",\"color\":\"#ff0000\","
             "\"width\":0.1,\"x0\":0,\"y0\":0,\"x1\":1}",
             "y1 is not a number");
  apply_bad (s,
             "{\"kind\":\"text\",\"id\":\"a\",\"page\":0,\"color\":\"#ff0000\",\"size\":0.1,"
             "\"x\":0,\"y\":0,\"text\":7}",
             "text is not a string");
  apply_bad (s,
             "{\"kind\":\"text\",\"id\":\"\",\"page\":0,\"color\":\"#ff0000\",\"size\":0.1,"
             "\"x\":0,\"y\":0,\"text\":\"x\"}",
             "id is empty");
  apply_bad (s,
             "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#ff0000\",\"width\":0.1,"
             "\"points\":[[0,0],[1e300,0.5]]}",
             "points[1] is not [x, y]");
  apply_bad (s,
             "{\"kind\":\"text\",\"id\":\"a\",\"page\":0,\"color\":\"#ff0000\",\"size\":0.1,"
             "\"x\":-1e9,\"y\":0,\"text\":\"x\"}",
             "x -1e+09 is out of range");
  g_assert_cmpuint (cr_board_state_shown (s)->len, ==, 0);
  g_assert_cmpuint (s->version, ==, 0);
}

#define ENTRY(seq, ts, op)                                                                         \
  "{\"t\":\"op\",\"seq\":" #seq ",\"ts\":" #ts ",\"user\":\"u\",\"op\":" op "}"

static void
test_replay_order (void)
{
  /* Entries out of seq order in the array: applied by seq. */
  g_autoptr (JsonArray) log = arr ("[" ENTRY (
      3, 1300,
      STROKE ("c",
              0)) ","
                  "{\"t\":\"chat\",\"seq\":2,\"ts\":1200,\"user\":\"u\",\"text\":\"hi\"}," ENTRY (
                      1, 1000,
                      STROKE ("a", 0)) "," ENTRY (4, 1300,
                                                  STROKE ("d", 0)) "," ENTRY (2, 1100,
                                                                              STROKE ("b", 0)) "]");
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (CrBoardReplay) r = cr_board_replay_new (log, warnings);
  g_assert_cmpuint (warnings->len, ==, 0);
  g_assert_cmpuint (cr_board_replay_count (r), ==, 4);
  g_assert_false (cr_board_replay_seek (r, 999, warnings)); /* nothing yet */
  g_assert_true (cr_board_replay_seek (r, 1000, warnings)); /* ts <= t: shown at its own ts */
  g_autofree char *a = shown_ids (cr_board_replay_state (r));
  g_assert_cmpstr (a, ==, "a");
  g_assert_false (cr_board_replay_seek (r, 1099, warnings));
  g_assert_true (cr_board_replay_seek (r, 1300, warnings));
  g_autofree char *all = shown_ids (cr_board_replay_state (r));
  g_assert_cmpstr (all, ==, "a,b,c,d");
  g_assert_false (cr_board_replay_seek (r, 5000, warnings));
  /* Backwards: from nothing again. */
  g_assert_true (cr_board_replay_seek (r, 1150, warnings));
  g_autofree char *ab = shown_ids (cr_board_replay_state (r));
  g_assert_cmpstr (ab, ==, "a,b");
}

static void
test_replay_ts_not_ordered (void)
{
  /* A log whose ts do not grow with seq: at each time, the ops with ts <= t, in seq order. */
  g_autoptr (JsonArray) log
      = arr ("[" ENTRY (1, 2000, STROKE ("late", 0)) "," ENTRY (2, 1000, STROKE ("early", 0)) "]");
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (CrBoardReplay) r = cr_board_replay_new (log, warnings);
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_true (cr_board_replay_seek (r, 1500, warnings));
  g_autofree char *early = shown_ids (cr_board_replay_state (r));
  g_assert_cmpstr (early, ==, "early");
  g_assert_false (cr_board_replay_seek (r, 1600, warnings));
  g_assert_true (cr_board_replay_seek (r, 2000, warnings));
  g_autofree char *both = shown_ids (cr_board_replay_state (r));
  g_assert_cmpstr (both, ==, "late,early");
}

static gboolean
any_contains (GPtrArray *warnings, const char *text)
{
  for (guint i = 0; i < warnings->len; i++)
    if (strstr (g_ptr_array_index (warnings, i), text) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_replay_malformed (void)
{
  g_autoptr (JsonArray) log = arr (
      "[" ENTRY (
          1, 1000,
          STROKE ("a",
                  0)) ","
                      "\"junk\","
                      "{\"t\":\"op\",\"ts\":1000,\"op\":{}},"               /* no seq */
                      "{\"t\":\"op\",\"seq\":9,\"ts\":\"soon\",\"op\":{}}," /* ts not a number */
                      "{\"t\":\"op\",\"seq\":10,\"ts\":1000,\"op\":[1]},"   /* op not an object */
                      "{\"t\":\"draw\",\"seq\":11,\"ts\":1000,\"op\":{}},"  /* unknown entry type */
      ENTRY (2, 1100, "{\"kind\":\"stroke\",\"id\":\"bad\",\"page\":0}") "," ENTRY (
          3, 1200,
          "{\"kind\":\"page\",\"action\":\"goto\",\"page\":4}") "," ENTRY (3, 1250,
                                                                           STROKE (
                                                                               "dup",
                                                                               0)) "," ENTRY (4,
                                                                                              1300,
                                                                                              STROKE (
                                                                                                  "b",
                                                                                                  0)) "]");
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (CrBoardReplay) r = cr_board_replay_new (log, warnings);
  g_assert_cmpuint (warnings->len, ==, 6); /* 5 entries left out, a seq twice */
  g_assert_true (any_contains (warnings, "entry 1 is not an object"));
  g_assert_true (any_contains (warnings, "entry 2 is not an op entry"));
  g_assert_true (any_contains (warnings, "seq 3 appears twice"));
  g_assert_cmpuint (cr_board_replay_count (r), ==, 4);
  cr_board_replay_seek (r, 2000, warnings);
  g_autofree char *ids = shown_ids (cr_board_replay_state (r));
  g_assert_cmpstr (ids, ==, "a,b");
  g_assert_cmpuint (warnings->len, ==, 8);
  g_assert_true (any_contains (warnings, "op seq 2 (ts 1100) left out: width is not a number"));
  g_assert_true (
      any_contains (warnings, "op seq 3 (ts 1200) left out: page goto 4 does not exist"));
  /* Reported once, even when the state is rebuilt. */
  cr_board_replay_seek (r, 1000, warnings);
  cr_board_replay_seek (r, 2000, warnings);
  g_assert_cmpuint (warnings->len, ==, 8);
}

static void
test_generation (void)
{
  g_autoptr (CrBoardState) s = cr_board_state_new ();
  guint64 gen = s->generation;
  apply_ok (s, STROKE ("a", 0));
  apply_ok (s, STROKE ("b", 0));
  g_assert_cmpuint (s->generation, ==, gen); /* appends: the same generation */
  g_assert_cmpuint (s->version, ==, 2);
  apply_ok (s, "{\"kind\":\"page\",\"action\":\"goto\",\"page\":0}"); /* the page shown already */
  g_assert_cmpuint (s->generation, ==, gen);
  apply_ok (s, "{\"kind\":\"clear\",\"page\":0}");
  g_assert_cmpuint (s->generation, >, gen);
}

static void
test_load (void)
{
  g_autofree char *dir = g_dir_make_tmp ("board-state-XXXXXX", NULL);
  g_autofree char *arr_path = g_build_filename (dir, "a.json", NULL);
  g_autofree char *obj_path = g_build_filename (dir, "o.json", NULL);
  g_autofree char *bad_path = g_build_filename (dir, "b.json", NULL);
  g_assert_true (
      g_file_set_contents (arr_path, "[" ENTRY (1, 1000, STROKE ("a", 0)) "]", -1, NULL));
  g_assert_true (g_file_set_contents (obj_path,
                                      "{\"Ops\":[" ENTRY (1, 1000, STROKE ("a", 0)) "," ENTRY (
                                          2, 1000, STROKE ("b", 0)) "],\"LastSeq\":2}",
                                      -1, NULL));
  g_assert_true (g_file_set_contents (bad_path, "{\"Nope\":1}", -1, NULL));
  g_autoptr (CrBoardReplay) a = cr_board_replay_load (arr_path, NULL, NULL);
  g_autoptr (CrBoardReplay) o = cr_board_replay_load (obj_path, NULL, NULL);
  g_assert_nonnull (a);
  g_assert_nonnull (o);
  g_assert_cmpuint (cr_board_replay_count (a), ==, 1);
  g_assert_cmpuint (cr_board_replay_count (o), ==, 2);
  g_autoptr (GError) error = NULL;
  g_assert_null (cr_board_replay_load (bad_path, NULL, &error));
  g_assert_nonnull (strstr (error->message, bad_path));
  g_clear_error (&error);
  g_autofree char *missing = g_build_filename (dir, "missing.json", NULL);
  g_assert_null (cr_board_replay_load (missing, NULL, &error));
  g_assert_nonnull (strstr (error->message, missing));
  g_remove (arr_path);
  g_remove (obj_path);
  g_remove (bad_path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/board_state/elements", test_elements);
  g_test_add_func ("/board_state/pages", test_pages);
  g_test_add_func ("/board_state/undo_clear", test_undo_clear);
  g_test_add_func ("/board_state/malformed_ops", test_malformed_ops);
  g_test_add_func ("/board_state/replay_order", test_replay_order);
  g_test_add_func ("/board_state/replay_ts_not_ordered", test_replay_ts_not_ordered);
  g_test_add_func ("/board_state/replay_malformed", test_replay_malformed);
  g_test_add_func ("/board_state/generation", test_generation);
  g_test_add_func ("/board_state/load", test_load);
  return g_test_run ();
}
