/* The whiteboard's log (src/board/board_log.c) on a real SQLite file: seq per board, boards
 * independent, reading since/from/to, the last op's time, the page count, and a reopen. */
#include <glib/gstdio.h>
#include <string.h>

#include "board/board_log.h"
#include "store/task_store.h"

static char *
fresh_db (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("cloudrec-board-XXXXXX", &error);
  g_assert_no_error (error);
  char *path = g_build_filename (dir, "cloudrec.db", NULL);
  g_autoptr (CrTaskStore) store = cr_sqlite_store_open (path, &error); /* creates and migrates */
  g_assert_nonnull (store);
  g_assert_no_error (error);
  return path;
}

static gint64
append (CrBoardLog *log, guint64 app, const char *room, gint64 ts, const char *kind,
        const char *body)
{
  g_autoptr (GError) error = NULL;
  gint64 seq = cr_board_log_append (log, app, room, ts, "u1", kind, body, &error);
  g_assert_no_error (error);
  return seq;
}

static void
test_log (void)
{
  g_autofree char *path = fresh_db ();
  g_autoptr (GError) error = NULL;
  CrBoardLog *log = cr_board_log_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cr_board_log_last_seq (log, 1, "r", &error), ==, 0);
  g_assert_cmpint (cr_board_log_last_op_ms (log, 1, "r", &error), ==, 0);
  g_assert_cmpint (cr_board_log_page_count (log, 1, "r", &error), ==, 1);

  /* seq per board: two boards (another room, another app) count on their own. */
  g_assert_cmpint (append (log, 1, "r", 1000, "op", "{\"kind\":\"clear\",\"page\":0}"), ==, 1);
  g_assert_cmpint (append (log, 1, "s", 1001, "op", "{\"kind\":\"clear\",\"page\":0}"), ==, 1);
  g_assert_cmpint (append (log, 2, "r", 1002, "chat", "hello"), ==, 1);
  g_assert_cmpint (
      append (log, 1, "r", 2000, "op", "{\"kind\":\"page\",\"action\":\"add\",\"page\":1}"), ==, 2);
  g_assert_cmpint (append (log, 1, "r", 3000, "chat", "a \"quoted\" <text>"), ==, 3);
  g_assert_cmpint (append (log, 1, "r", 4000, "op", "{\"kind\":\"undo\",\"id\":\"x\"}"), ==, 4);
  g_assert_cmpint (append (log, 1, "r", 5000, "chat", "last"), ==, 5);
  g_assert_cmpint (cr_board_log_last_seq (log, 1, "r", &error), ==, 5);
  g_assert_cmpint (cr_board_log_last_seq (log, 1, "s", &error), ==, 1);
  g_assert_cmpint (cr_board_log_last_seq (log, 2, "r", &error), ==, 1);
  /* The newest op, not the newer chat. */
  g_assert_cmpint (cr_board_log_last_op_ms (log, 1, "r", &error), ==, 4000);
  g_assert_cmpint (cr_board_log_last_op_ms (log, 2, "r", &error), ==, 0);
  g_assert_cmpint (cr_board_log_page_count (log, 1, "r", &error), ==, 2);
  g_assert_cmpint (cr_board_log_page_count (log, 1, "s", &error), ==, 1);

  /* Reading: all, since a seq, a time window, a limit. */
  g_autoptr (GPtrArray) all = cr_board_log_entries (log, 1, "r", 0, -1, -1, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 5);
  for (guint i = 0; i < all->len; i++)
    g_assert_cmpint (((CrBoardEntry *)all->pdata[i])->seq, ==, i + 1);
  g_autoptr (GPtrArray) since = cr_board_log_entries (log, 1, "r", 3, -1, -1, 0, &error);
  g_assert_cmpuint (since->len, ==, 2);
  g_assert_cmpint (((CrBoardEntry *)since->pdata[0])->seq, ==, 4);
  g_autoptr (GPtrArray) window = cr_board_log_entries (log, 1, "r", 0, 2000, 4000, 0, &error);
  g_assert_cmpuint (window->len, ==, 3);
  g_assert_cmpint (((CrBoardEntry *)window->pdata[0])->ts_ms, ==, 2000);
  g_assert_cmpint (((CrBoardEntry *)window->pdata[2])->ts_ms, ==, 4000);
  g_autoptr (GPtrArray) from = cr_board_log_entries (log, 1, "r", 0, 4500, -1, 0, &error);
  g_assert_cmpuint (from->len, ==, 1);
  g_autoptr (GPtrArray) limited = cr_board_log_entries (log, 1, "r", 1, -1, -1, 2, &error);
  g_assert_cmpuint (limited->len, ==, 2);
  g_assert_cmpint (((CrBoardEntry *)limited->pdata[1])->seq, ==, 3);

  /* The wire form: a chat's text is escaped, an op's body is the op. */
  g_autofree char *chat = cr_board_entry_to_json (all->pdata[2]);
  g_assert_cmpstr (
      chat, ==,
      "{\"t\":\"chat\",\"seq\":3,\"ts\":3000,\"user\":\"u1\",\"text\":\"a \\\"quoted\\\" "
      "<text>\"}");
  g_autofree char *op = cr_board_entry_to_json (all->pdata[3]);
  g_assert_cmpstr (op, ==,
                   "{\"t\":\"op\",\"seq\":4,\"ts\":4000,\"user\":\"u1\",\"op\":{\"kind\":\"undo\","
                   "\"id\":\"x\"}}");
  cr_board_log_close (log);

  /* A reopen (a daemon restart) finds everything and goes on counting. */
  log = cr_board_log_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cr_board_log_last_seq (log, 1, "r", &error), ==, 5);
  g_assert_cmpint (append (log, 1, "r", 6000, "chat", "after"), ==, 6);
  g_autoptr (GPtrArray) again = cr_board_log_entries (log, 1, "r", 0, -1, -1, 0, &error);
  g_assert_cmpuint (again->len, ==, 6);
  g_assert_cmpstr (((CrBoardEntry *)again->pdata[2])->body, ==, "a \"quoted\" <text>");
  cr_board_log_close (log);
}

static void
test_needs_migrated_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("cloudrec-board-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "missing.db", NULL);
  g_assert_null (cr_board_log_open (path, &error));
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/board-log/seq-read-reopen", test_log);
  g_test_add_func ("/store/board-log/needs-migrated-file", test_needs_migrated_file);
  return g_test_run ();
}
