/* Callback Sign against the reference §8.1 vectors; the body's shape. */
#include <string.h>

#include "outbox/callback.h"

static void
test_sign_vectors (void)
{
  const char *pretty = "{\n\t\"EventGroupId\":\t3,\n\t\"EventType\":\t301,\n\t\"CallbackTs\":\t"
                       "1622186275913,\n\t\"EventInfo\":\t{\n\t\t\"RoomId\":\t\"8888\",\n\t\t"
                       "\"EventTs\":\t1622186275,\n\t\t\"UserId\":\t\"recorder_8888\",\n\t\t"
                       "\"TaskId\":\t\"task-1\",\n\t\t\"Payload\":\t{\n\t\t\t\"Status\":\t0\n\t\t}"
                       "\n\t}\n}";
  g_assert_cmpuint (strlen (pretty), ==, 221);
  g_autofree char *a = cr_callback_sign ("testKey", pretty, strlen (pretty));
  g_assert_cmpstr (a, ==, "JqOTI2bz6pqWT5Ve4oo8Wr078/hWWDjoemOpU0UG3Z8=");
  const char *compact = "{\"EventGroupId\":3,\"EventType\":302,\"CallbackTs\":1622186354806,"
                        "\"EventInfo\":{\"RoomId\":\"8888\",\"EventTs\":1622186354,\"UserId\":"
                        "\"recorder_8888\",\"TaskId\":\"task-1\",\"Payload\":{\"LeaveCode\":0}}}";
  g_autofree char *b = cr_callback_sign ("123654", compact, strlen (compact));
  g_assert_cmpstr (b, ==, "d8k3n2XAGNsbTAsH9SRUyMB9+/n0Dcw4ARQTKDyIMQI=");
}

static void
test_body (void)
{
  JsonObject *payload = json_object_new ();
  json_object_set_int_member (payload, "LeaveCode", 99);
  g_autofree char *body
      = cr_callback_body (302, "8888", "recorder_8888", "task-1", payload, 1622186354806);
  g_assert_cmpstr (body, ==,
                   "{\"EventGroupId\":3,\"EventType\":302,\"CallbackTs\":1622186354806,"
                   "\"EventInfo\":{\"RoomId\":\"8888\",\"EventTs\":1622186354,\"EventMsTs\":"
                   "1622186354806,\"UserId\":\"recorder_8888\",\"TaskId\":\"task-1\",\"Payload\":"
                   "{\"LeaveCode\":99}}}");
}

/* RoomId stays a JSON string for integer rooms too, as real TRTC callbacks and seed 000's example
 * ("RoomId": "xx") carry it: a receiver that compares strings must not meet a number. */
static void
test_room_id_is_string (void)
{
  static const char *const rooms[] = { "8888", "4294967294", "1", "hall 7", "007" };
  for (guint i = 0; i < G_N_ELEMENTS (rooms); i++) {
    g_autofree char *body
        = cr_callback_body (302, rooms[i], "recorder_1", "task-1", NULL, 1622186354806);
    g_autoptr (JsonParser) parser = json_parser_new ();
    g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
    JsonObject *info = json_object_get_object_member (
        json_node_get_object (json_parser_get_root (parser)), "EventInfo");
    JsonNode *room = json_object_get_member (info, "RoomId");
    g_assert_nonnull (room);
    g_assert_cmpint (json_node_get_value_type (room), ==, G_TYPE_STRING);
    g_assert_cmpstr (json_node_get_string (room), ==, rooms[i]);
    g_autofree char *quoted = g_strdup_printf ("\"RoomId\":\"%s\"", rooms[i]);
    g_assert_nonnull (strstr (body, quoted));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/callback/sign-vectors", test_sign_vectors);
  g_test_add_func ("/callback/body", test_body);
  g_test_add_func ("/callback/room-id-is-string", test_room_id_is_string);
  return g_test_run ();
}
