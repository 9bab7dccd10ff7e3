/* The whiteboard's message checks (src/board/board_ops.c): every op kind accepted as the contract
 * writes it, and each refusal naming what is wrong. */
#include <string.h>

#include "board/board_ops.h"

static CrBoardMsg *
parse (const char *text, GError **error)
{
  return cr_board_msg_parse (text, strlen (text), error);
}

static void
accepts (const char *text, const char *kind, gint64 page)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrBoardMsg) m = parse (text, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  g_assert_cmpint (m->kind, ==, CR_BOARD_MSG_OP);
  g_assert_cmpstr (m->op_kind, ==, kind);
  g_assert_cmpint (m->page, ==, page);
  /* The stored body is the op itself, compact. */
  g_assert_nonnull (strstr (m->body, "\"kind\":\""));
  g_assert_null (strstr (m->body, "\"t\":\"op\""));
}

/* Refused, with a message containing @needle. */
static void
refuses (const char *text, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrBoardMsg) m = parse (text, &error);
  g_assert_null (m);
  g_assert_error (error, CR_BOARD_ERROR, CR_BOARD_ERROR_INVALID);
  if (strstr (error->message, needle) == NULL)
    g_error ("refusal of %.200s: \"%s\" does not contain \"%s\"", text, error->message, needle);
}

#define STROKE_TAIL "\"color\":\"#12abEF\",\"width\":0.01,\"points\":[[0,0],[0.5,1],[1,0.25]]}}"

static void
test_accepts_every_kind (void)
{
  accepts ("{\"t\":\"op\",\"op\":{\"kind\":\"stroke\",\"id\":\"a-1_B\",\"page\":0," STROKE_TAIL,
           "stroke", 0);
  accepts ("{\"op\":{\"kind\":\"stroke\",\"id\":\"x\",\"page\":999,\"color\":\"#000000\","
           "\"width\":0.2,\"points\":[[1,1]]},\"t\":\"op\"}",
           "stroke", 999);
  for (const char *const *s = (const char *const[]){ "line", "rect", "ellipse", NULL }; *s; s++) {
    g_autofree char *text = g_strdup_printf (
        "{\"t\":\"op\",\"op\":{\"kind\":\"shape\",\"id\":\"s\",\"page\":2,\"shape\":\"%s\","
        "\"color\":\"#ff0000\",\"width\":0.005,\"fill\":null,\"x0\":0,\"y0\":0.1,\"x1\":1,"
        "\"y1\":0.9}}",
        *s);
    accepts (text, "shape", 2);
  }
  accepts ("{\"t\":\"op\",\"op\":{\"kind\":\"shape\",\"id\":\"s\",\"page\":0,\"shape\":\"rect\","
           "\"color\":\"#ff0000\",\"width\":0.005,\"fill\":\"#00ff00\",\"x0\":0,\"y0\":0,\"x1\":1,"
           "\"y1\":1}}",
           "shape", 0);
  /* fill left out: the same as null. */
  accepts ("{\"t\":\"op\",\"op\":{\"kind\":\"shape\",\"id\":\"s\",\"page\":0,\"shape\":\"ellipse\","
           "\"color\":\"#ff0000\",\"width\":0.005,\"x0\":0,\"y0\":0,\"x1\":1,\"y1\":1}}",
           "shape", 0);
  accepts ("{\"t\":\"op\",\"op\":{\"kind\":\"text\",\"id\":\"t\",\"page\":1,\"color\":\"#333333\","
           "\"size\":0.5,\"x\":0.2,\"y\":0.3,\"text\":\"\xe4\xbd\xa0\xe5\xa5\xbd <b>\"}}",
           "text", 1);
  accepts ("{\"t\":\"op\",\"op\":{\"kind\":\"page\",\"action\":\"add\",\"page\":1}}", "page", 1);
  accepts ("{\"t\":\"op\",\"op\":{\"kind\":\"page\",\"action\":\"goto\",\"page\":0}}", "page", 0);
  accepts ("{\"t\":\"op\",\"op\":{\"kind\":\"undo\",\"id\":\"a-1_B\"}}", "undo", -1);
  accepts ("{\"t\":\"op\",\"op\":{\"kind\":\"clear\",\"page\":3}}", "clear", 3);

  g_autoptr (GError) error = NULL;
  g_autoptr (CrBoardMsg) add
      = parse ("{\"t\":\"op\",\"op\":{\"kind\":\"page\",\"action\":\"add\",\"page\":1}}", &error);
  g_assert_true (add->page_add);
  g_autoptr (CrBoardMsg) go
      = parse ("{\"t\":\"op\",\"op\":{\"kind\":\"page\",\"action\":\"goto\",\"page\":1}}", &error);
  g_assert_false (go->page_add);
  g_autoptr (CrBoardMsg) chat = parse ("{\"t\":\"chat\",\"text\":\"hi <there>\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (chat->kind, ==, CR_BOARD_MSG_CHAT);
  g_assert_cmpstr (chat->body, ==, "hi <there>");
}

static void
test_refuses_envelope (void)
{
  refuses ("", "not a JSON object");
  refuses ("[1]", "not a JSON object");
  refuses ("{\"t\":\"op\"", "not a JSON object");
  refuses ("{}", "t must be");
  refuses ("{\"t\":1}", "t must be");
  refuses ("{\"t\":\"draw\"}", "t must be");
  refuses ("{\"t\":\"op\"}", "op is missing");
  refuses ("{\"t\":\"op\",\"op\":[]}", "op must be an object, not an array");
  refuses ("{\"t\":\"op\",\"op\":{\"kind\":\"clear\",\"page\":0},\"x\":1}", "unknown member \"x\"");
  refuses ("{\"t\":\"chat\"}", "text is missing");
  refuses ("{\"t\":\"chat\",\"text\":5}", "text must be a string");
  refuses ("{\"t\":\"chat\",\"text\":\"\"}", "text must be 1 to 2000 characters, not 0");
  refuses ("{\"t\":\"chat\",\"text\":\"a\",\"user\":\"x\"}", "unknown member \"user\"");
  /* 2000 characters pass, 2001 do not (characters, not bytes). */
  GString *s = g_string_new ("{\"t\":\"chat\",\"text\":\"");
  for (int i = 0; i < 2000; i++)
    g_string_append (s, "\xe4\xbd\xa0");
  g_string_append (s, "\"}");
  g_autoptr (GError) error = NULL;
  g_autoptr (CrBoardMsg) ok = cr_board_msg_parse (s->str, s->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ok);
  g_string_insert (s, 20, "a");
  refuses (s->str, "not 2001");
  g_string_free (s, TRUE);
  /* The size bound comes first. */
  gsize big = CR_BOARD_MAX_MESSAGE + 1;
  g_autofree char *huge = g_malloc (big);
  memset (huge, ' ', big);
  g_autoptr (GError) e2 = NULL;
  g_assert_null (cr_board_msg_parse (huge, big, &e2));
  g_assert_nonnull (strstr (e2->message, "at most 262144"));
}

static void
test_refuses_ops (void)
{
  const char *h = "{\"t\":\"op\",\"op\":";
  struct {
    const char *op, *needle;
  } cases[] = {
    /* kinds and members */
    { "{}", "op.kind is missing" },
    { "{\"kind\":3}", "op.kind must be a string" },
    { "{\"kind\":\"erase\"}", "op.kind must be stroke, shape, text, page, undo or clear" },
    { "{\"kind\":\"clear\",\"page\":0,\"color\":\"#000000\"}", "unknown member \"color\"" },
    { "{\"kind\":\"undo\"}", "op.id is missing" },
    { "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#000000\",\"width\":0.1}",
      "op.points is missing" },
    /* types */
    { "{\"kind\":\"clear\",\"page\":\"0\"}", "op.page must be an integer, not a string" },
    { "{\"kind\":\"clear\",\"page\":1.5}", "op.page must be an integer" },
    { "{\"kind\":\"clear\",\"page\":null}", "op.page must be an integer, not null" },
    { "{\"kind\":\"undo\",\"id\":7}", "op.id must be a string" },
    { "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#000000\",\"width\":\"1\","
      "\"points\":[[0,0]]}",
      "op.width must be a number, not a string" },
    { "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#000000\",\"width\":0.1,"
      "\"points\":{}}",
      "op.points must be an array" },
    { "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#000000\",\"width\":0.1,"
      "\"points\":[[0,\"1\"]]}",
      "op.points[0][1] must be a number" },
    { "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#000000\",\"width\":0.1,"
      "\"points\":[[0,0],[1]]}",
      "op.points[1] must be an array [x, y]" },
    { "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#000000\",\"width\":0.1,"
      "\"points\":[[0,0,0]]}",
      "op.points[0] must be an array [x, y]" },
    { "{\"kind\":\"text\",\"id\":\"t\",\"page\":0,\"color\":\"#000000\",\"size\":0.1,\"x\":0,"
      "\"y\":0,\"text\":[\"a\"]}",
      "op.text must be a string" },
    { "{\"kind\":\"shape\",\"id\":\"s\",\"page\":0,\"shape\":\"rect\",\"color\":\"#000000\","
      "\"width\":0.1,\"fill\":true,\"x0\":0,\"y0\":0,\"x1\":1,\"y1\":1}",
      "op.fill must be a string" },
    /* ranges */
    { "{\"kind\":\"clear\",\"page\":1000}", "op.page must be in 0..999, not 1000" },
    { "{\"kind\":\"clear\",\"page\":-1}", "op.page must be in 0..999" },
    { "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#000000\",\"width\":0,"
      "\"points\":[[0,0]]}",
      "op.width must be in (0, 0.2], not 0" },
    { "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#000000\",\"width\":0.21,"
      "\"points\":[[0,0]]}",
      "op.width must be in (0, 0.2]" },
    { "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#000000\",\"width\":0.1,"
      "\"points\":[[0,-0.01]]}",
      "op.points[0][1] must be in [0, 1]" },
    { "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#000000\",\"width\":0.1,"
      "\"points\":[[0,0],[1.5,0]]}",
      "op.points[1][0] must be in [0, 1], not 1.5" },
    { "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#000000\",\"width\":0.1,"
      "\"points\":[]}",
      "op.points must hold 1 to 10000 points, not 0" },
    { "{\"kind\":\"shape\",\"id\":\"s\",\"page\":0,\"shape\":\"rect\",\"color\":\"#000000\","
      "\"width\":0.1,\"x0\":0,\"y0\":0,\"x1\":2,\"y1\":1}",
      "op.x1 must be in [0, 1]" },
    { "{\"kind\":\"shape\",\"id\":\"s\",\"page\":0,\"shape\":\"star\",\"color\":\"#000000\","
      "\"width\":0.1,\"x0\":0,\"y0\":0,\"x1\":1,\"y1\":1}",
      "op.shape must be \"line\", \"rect\" or \"ellipse\"" },
    { "{\"kind\":\"text\",\"id\":\"t\",\"page\":0,\"color\":\"#000000\",\"size\":0.6,\"x\":0,"
      "\"y\":0,\"text\":\"a\"}",
      "op.size must be in (0, 0.5]" },
    { "{\"kind\":\"text\",\"id\":\"t\",\"page\":0,\"color\":\"#000000\",\"size\":0.1,\"x\":0,"
      "\"y\":0,\"text\":\"\"}",
      "op.text must be 1 to 1000 characters, not 0" },
    { "{\"kind\":\"page\",\"action\":\"remove\",\"page\":0}", "op.action must be \"add\" or" },
    /* colours */
    { "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"red\",\"width\":0.1,"
      "\"points\":[[0,0]]}",
      "op.color must be a colour \"#rrggbb\"" },
    { "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#12345g\",\"width\":0.1,"
      "\"points\":[[0,0]]}",
      "op.color must be a colour" },
    { "{\"kind\":\"stroke\",\"id\":\"a\",\"page\":0,\"color\":\"#fff\",\"width\":0.1,"
      "\"points\":[[0,0]]}",
      "op.color must be a colour" },
    { "{\"kind\":\"shape\",\"id\":\"s\",\"page\":0,\"shape\":\"rect\",\"color\":\"#000000\","
      "\"width\":0.1,\"fill\":\"#00000\",\"x0\":0,\"y0\":0,\"x1\":1,\"y1\":1}",
      "op.fill must be a colour" },
    /* ids */
    { "{\"kind\":\"undo\",\"id\":\"\"}", "op.id must be 1 to 64 of" },
    { "{\"kind\":\"undo\",\"id\":\"a b\"}", "op.id must be 1 to 64 of" },
    { "{\"kind\":\"undo\",\"id\":\"<script>\"}", "op.id must be 1 to 64 of" },
    { "{\"kind\":\"undo\",\"id\":"
      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
      "op.id must be 1 to 64 of" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *text = g_strconcat (h, cases[i].op, "}", NULL);
    refuses (text, cases[i].needle);
  }
}

static void
test_too_many_points (void)
{
  for (int n = 10000; n <= 10001; n++) {
    GString *s = g_string_new ("{\"t\":\"op\",\"op\":{\"kind\":\"stroke\",\"id\":\"p\",\"page\":0,"
                               "\"color\":\"#000000\",\"width\":0.1,\"points\":[");
    for (int i = 0; i < n; i++)
      g_string_append (s, i == 0 ? "[0,1]" : ",[0,1]");
    g_string_append (s, "]}}");
    g_autoptr (GError) error = NULL;
    g_autoptr (CrBoardMsg) m = cr_board_msg_parse (s->str, s->len, &error);
    g_assert_true ((m != NULL) == (n == 10000));
    if (n == 10000)
      g_assert_no_error (error);
    else
      g_assert_nonnull (strstr (error->message, "1 to 10000 points, not 10001"));
    g_string_free (s, TRUE);
  }
}

static void
test_ids_rooms_users (void)
{
  g_assert_true (cr_board_id_valid ("a"));
  g_assert_true (cr_board_id_valid ("AZaz09_-"));
  g_assert_false (cr_board_id_valid (""));
  g_assert_false (cr_board_id_valid ("a.b"));
  g_assert_null (cr_board_room_problem ("1234"));
  g_assert_null (cr_board_room_problem ("class-7 a"));
  g_assert_nonnull (cr_board_room_problem (""));
  g_assert_nonnull (cr_board_room_problem ("a/b"));
  g_assert_nonnull (cr_board_room_problem ("<x>\""));
  g_assert_null (cr_board_user_problem ("tic_record_user_1234_100"));
  g_assert_nonnull (cr_board_user_problem ("a b"));
  g_assert_nonnull (cr_board_user_problem ("<script>"));
  g_assert_nonnull (cr_board_user_problem ("123456789012345678901234567890123"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/board/ops/accepts-every-kind", test_accepts_every_kind);
  g_test_add_func ("/board/ops/refuses-envelope", test_refuses_envelope);
  g_test_add_func ("/board/ops/refuses-ops", test_refuses_ops);
  g_test_add_func ("/board/ops/too-many-points", test_too_many_points);
  g_test_add_func ("/board/ops/ids-rooms-users", test_ids_rooms_users);
  return g_test_run ();
}
