/* libFuzzer target for everything that parses untrusted API input.
 *
 * The first byte picks the parser, the rest is its input:
 *   0-3  a JSON body through cr_json_parse_object + cr_validate_request
 * (Create/Describe/Modify/Delete) 4    a GET query ("k=v&...") through unflattening + validation in
 * form mode 5    an Authorization header through cr_tc3_verify 6    a UserSig through
 * cr_usersig_verify Anything but a clean error or a normalised object (a crash, a leak, UB) is a
 * finding. */
#include <stdint.h>
#include <string.h>

#include "auth/tc3.h"
#include "auth/usersig.h"
#include "common/api_error.h"
#include "common/json_util.h"
#include "validate/validate.h"

static const char *const actions[] = { "CreateCloudRecording", "DescribeCloudRecording",
                                       "ModifyCloudRecording", "DeleteCloudRecording" };

static void
fuzz_json (const char *action, const char *data, size_t len)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) obj = cr_json_parse_object (data, len, &error);
  if (obj == NULL)
    return;
  g_autoptr (JsonObject) norm = cr_validate_request (action, obj, CR_VALIDATE_JSON, &error);
  if (norm != NULL) {
    /* A normalised request must validate again to itself. */
    g_autoptr (GError) again = NULL;
    JsonObject *twice = cr_validate_request (action, norm, CR_VALIDATE_JSON, &again);
    g_assert_no_error (again);
    json_object_unref (twice);
  }
}

static void
fuzz_query (const char *data, size_t len)
{
  g_autofree char *text = g_strndup (data, len);
  g_autoptr (GHashTable) pairs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) parts = g_strsplit (text, "&", 64);
  for (char **p = parts; *p; p++) {
    char *eq = strchr (*p, '=');
    if (eq == NULL || !g_utf8_validate (*p, -1, NULL))
      continue;
    g_hash_table_replace (pairs, g_strndup (*p, (gsize)(eq - *p)), g_strdup (eq + 1));
  }
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) obj = cr_validate_unflatten_query (pairs, &error);
  if (obj != NULL) {
    JsonObject *norm = cr_validate_request ("CreateCloudRecording", obj, CR_VALIDATE_FORM, &error);
    if (norm != NULL)
      json_object_unref (norm);
  }
}

static const char *fuzz_auth_value;

static const char *
fuzz_header (const char *name, gpointer data)
{
  if (strcmp (name, "authorization") == 0)
    return fuzz_auth_value;
  if (strcmp (name, "x-tc-timestamp") == 0)
    return "1700000000";
  if (strcmp (name, "host") == 0)
    return "127.0.0.1:8080";
  return strcmp (name, "content-type") == 0 ? "application/json" : NULL;
}

static const char *
fuzz_secret (const char *id, gpointer data)
{
  return strcmp (id, "AKID") == 0 ? "key" : NULL;
}

static void
fuzz_auth (const char *data, size_t len)
{
  g_autofree char *value = g_strndup (data, len);
  fuzz_auth_value = value;
  CrTc3Request req = { "POST", "", (const guchar *)"{}", 2, fuzz_header, NULL };
  g_autofree char *who = NULL;
  cr_tc3_verify (&req, 1700000000, 300, fuzz_secret, NULL, &who, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  const char *rest = (const char *)data + 1;
  size_t len = size - 1;
  switch (data[0] % 7) {
  case 0:
  case 1:
  case 2:
  case 3:
    fuzz_json (actions[data[0] % 4], rest, len);
    break;
  case 4:
    fuzz_query (rest, len);
    break;
  case 5:
    fuzz_auth (rest, len);
    break;
  default: {
    g_autofree char *sig = g_strndup (rest, len);
    cr_usersig_free (cr_usersig_verify (sig, 1400000001, "u", "k", 1700000000, NULL));
    break;
  }
  }
  return 0;
}
