/* TaskIds: the alphabet, the length and no repeats. */
#include <string.h>

#include "task/task_id.h"

static void
test_format_and_unique (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (int i = 0; i < 10000; i++) {
    char *id = cr_task_id_new ();
    g_assert_true (cr_task_id_is_wellformed (id));
    g_assert_null (strpbrk (id, "/+= "));
    g_assert_false (g_hash_table_contains (seen, id));
    g_hash_table_add (seen, id);
  }
}

static void
test_wellformed (void)
{
  g_assert_false (cr_task_id_is_wellformed (NULL));
  g_assert_false (cr_task_id_is_wellformed ("short"));
  g_assert_false (cr_task_id_is_wellformed ("../../../../../../../etc/passwd00"));
  g_assert_true (cr_task_id_is_wellformed ("abcdefghijklmnopqrstuvwxyz012-_."));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/task-id/format-and-unique", test_format_and_unique);
  g_test_add_func ("/task-id/wellformed", test_wellformed);
  return g_test_run ();
}
