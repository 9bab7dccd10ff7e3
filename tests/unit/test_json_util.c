/* The JSON screen in front of json-glib: each hostile shape gets BodyParamsError with a message
 * that says what and where; ordinary bodies, floats and 64-bit extremes pass. */
#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"

static void
expect_refused (const char *body, gsize len, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) obj = cr_json_parse_object (body, len, &error);
  g_assert_null (obj);
  g_assert_cmpstr (cr_api_error_code (error), ==, "InvalidParameter.BodyParamsError");
  if (strstr (error->message, needle) == NULL)
    g_error ("message \"%s\" lacks \"%s\"", error->message, needle);
}

static void
test_refused (void)
{
  expect_refused ("", 0, "empty");
  expect_refused ("{\"a\":\"x\0y\"}", 11, "NUL byte at offset 7");
  expect_refused ("{\"a\":\"\xff\"}", 8, "not valid UTF-8 (at byte 6)");
  expect_refused ("{\"UserId\":\"rec\\u0000evil\"}", 26, "escaped NUL");
  expect_refused ("{\"SdkAppId\":99999999999999999999}", 33,
                  "SdkAppId must be an integer that fits in 64 bits, got 99999999999999999999");
  expect_refused ("{\"a\":[1,-9223372036854775809]}", 30, "a must be an integer");
  expect_refused ("[1]", 3, "must be a JSON object");
  expect_refused ("{\"a\":1,}", 8, "not valid JSON");
  g_autoptr (GString) deep = g_string_new ("{\"a\":");
  for (int i = 0; i < CR_JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, '[');
  expect_refused (deep->str, deep->len, "deeper than");
}

static void
test_accepted (void)
{
  const char *ok[] = {
    "{\"a\":9223372036854775807,\"b\":-9223372036854775808}",
    "{\"f\":1.5e300,\"s\":\"\\u0001 \\\\u0000 is text\",\"n\":-0}",
    "{\"k\":\"99999999999999999999\"}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (ok); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) obj = cr_json_parse_object (ok[i], strlen (ok[i]), &error);
    g_assert_no_error (error);
    g_assert_nonnull (obj);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json/refused", test_refused);
  g_test_add_func ("/json/accepted", test_accepted);
  return g_test_run ();
}
