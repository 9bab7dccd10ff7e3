/* TC3-HMAC-SHA256: the reference vectors, each SDK's quirks, and every rejection. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "auth/tc3.h"
#include "common/api_error.h"

#define SID "AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE"
#define SKEY "ExampleSecretKeyExampleSecretKey"

typedef struct {
  const char *names[8];
  const char *values[8];
} Headers;

static const char *
hdr (const char *name, gpointer data)
{
  Headers *h = data;
  for (int i = 0; i < 8 && h->names[i]; i++) {
    if (strcmp (h->names[i], name) == 0)
      return h->values[i];
  }
  return NULL;
}

static const char *
secret (const char *id, gpointer data)
{
  return strcmp (id, SID) == 0 ? SKEY : NULL;
}

static gboolean
verify (Headers *h, const char *method, const char *query, const char *body, gint64 now,
        GError **error)
{
  CrTc3Request req = { method, query, (const guchar *)body, strlen (body), hdr, h };
  g_autofree char *who = NULL;
  gboolean ok = cr_tc3_verify (&req, now, 300, secret, NULL, &who, error);
  if (ok)
    g_assert_cmpstr (who, ==, SID);
  return ok;
}

static void
test_reference_vectors (void)
{
  g_autofree char *path
      = g_build_filename (g_getenv ("CLOUDREC_TEST_VECTORS"), "tc3_vectors.jsonl", NULL);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (text, "\n", 0);
  int n = 0;
  for (char **l = lines; *l; l++) {
    if (**l == '\0')
      continue;
    g_autoptr (JsonParser) p = json_parser_new ();
    g_assert_true (json_parser_load_from_data (p, *l, -1, NULL));
    JsonObject *o = json_node_get_object (json_parser_get_root (p));
    gint64 ts = json_object_get_int_member (o, "ts");
    const char *body = json_object_get_string_member (o, "body");
    const char *auth = json_object_get_string_member (o, "auth");
    g_autofree char *mine = cr_tc3_authorization (SID, SKEY, "trtc", "POST", "", "application/json",
                                                  "trtc.tencentcloudapi.com", (const guchar *)body,
                                                  strlen (body), ts);
    g_assert_cmpstr (mine, ==, auth);
    g_autofree char *ts_text = g_strdup_printf ("%" G_GINT64_FORMAT, ts);
    Headers h = { { "authorization", "x-tc-timestamp", "host", "content-type" },
                  { auth, ts_text, "trtc.tencentcloudapi.com", "application/json" } };
    g_autoptr (GError) error = NULL;
    g_assert_true (verify (&h, "POST", "", body, ts + 299, &error));
    g_assert_no_error (error);
    n++;
  }
  g_assert_cmpint (n, ==, 2);
}

/* Tencent's CVM doc example (V0) with content-type carrying a charset, as the Java SDK sends. */
static void
test_doc_example_v0 (void)
{
  const char *body = "{\"Limit\": 1, \"Filters\": [{\"Values\": [\"\\u672a\\u547d\\u540d\"], "
                     "\"Name\": \"instance-name\"}]}";
  g_autofree char *auth = cr_tc3_authorization (
      "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", "POST", "",
      "application/json; charset=utf-8", "cvm.tencentcloudapi.com", (const guchar *)body,
      strlen (body), 1551113065);
  g_assert_nonnull (
      strstr (auth, "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"));
}

/* Node: service "127" from the endpoint, host signed without the port but sent with it. */
static void
test_node_style_host_without_port (void)
{
  const char *body = "{\"SdkAppId\":1400000001,\"TaskId\":\"t\"}";
  g_autofree char *auth
      = cr_tc3_authorization (SID, SKEY, "127", "POST", "", "application/json", "127.0.0.1",
                              (const guchar *)body, strlen (body), 1795370172);
  Headers h = { { "authorization", "x-tc-timestamp", "host", "content-type" },
                { auth, "1795370172", "127.0.0.1:18080", "application/json" } };
  g_autoptr (GError) error = NULL;
  g_assert_true (verify (&h, "POST", "", body, 1795370172, &error));
  /* Python/Java/Go: host with the port signed; service "localhost:18082". */
  g_autofree char *auth2
      = cr_tc3_authorization (SID, SKEY, "localhost:18082", "POST", "", "application/json",
                              "localhost:18082", (const guchar *)body, strlen (body), 1795370172);
  Headers h2 = { { "authorization", "x-tc-timestamp", "host", "content-type" },
                 { auth2, "1795370172", "localhost:18082", "application/json" } };
  g_assert_true (verify (&h2, "POST", "", body, 1795370172, &error));
}

static void
test_get_query_signed (void)
{
  const char *query = "SdkAppId=1400000001&TaskId=task%2F1%20x";
  g_autofree char *auth
      = cr_tc3_authorization (SID, SKEY, "127", "GET", query, "application/x-www-form-urlencoded",
                              "127.0.0.1", NULL, 0, 1795370172);
  Headers h = { { "authorization", "x-tc-timestamp", "host", "content-type" },
                { auth, "1795370172", "127.0.0.1:18083", "application/x-www-form-urlencoded" } };
  g_autoptr (GError) error = NULL;
  g_assert_true (verify (&h, "GET", query, "", 1795370172, &error));
  g_assert_false (verify (&h, "GET", "SdkAppId=1400000001&TaskId=other", "", 1795370172, &error));
  g_assert_true (cr_api_error_is (error, "AuthFailure.SignatureFailure"));
}

typedef struct {
  const char *name;
  const char *auth; /* NULL = a valid one */
  const char *ts;
  const char *host;
  const char *body; /* NULL = the signed body */
  gint64 now_delta;
  const char *code;
} Reject;

static void
test_reject (gconstpointer data)
{
  const Reject *r = data;
  const char *body = "{\"SdkAppId\":1400000001,\"TaskId\":\"task-1\"}";
  g_autofree char *good = cr_tc3_authorization (SID, SKEY, "trtc", "POST", "", "application/json",
                                                "trtc.tencentcloudapi.com", (const guchar *)body,
                                                strlen (body), 1700000000);
  Headers h = { { "authorization", "x-tc-timestamp", "host", "content-type" },
                { r->auth != NULL ? r->auth : good, r->ts != NULL ? r->ts : "1700000000",
                  r->host != NULL ? r->host : "trtc.tencentcloudapi.com", "application/json" } };
  if (r->auth != NULL && strcmp (r->auth, "-") == 0)
    h.values[0] = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_false (
      verify (&h, "POST", "", r->body != NULL ? r->body : body, 1700000000 + r->now_delta, &error));
  g_assert_cmpstr (cr_api_error_code (error), ==, r->code);
}

static const Reject rejects[] = {
  { "missing-authorization", "-", NULL, NULL, NULL, 0, "AuthFailure.InvalidAuthorization" },
  { "wrong-algorithm", "HMAC-SHA1 Credential=x", NULL, NULL, NULL, 0,
    "AuthFailure.InvalidAuthorization" },
  { "no-signature",
    "TC3-HMAC-SHA256 Credential=" SID
    "/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host",
    NULL, NULL, NULL, 0, "AuthFailure.InvalidAuthorization" },
  { "short-signature",
    "TC3-HMAC-SHA256 Credential=" SID
    "/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host, Signature=abc",
    NULL, NULL, NULL, 0, "AuthFailure.InvalidAuthorization" },
  { "bad-scope",
    "TC3-HMAC-SHA256 Credential=" SID
    "/2023-11-14/trtc/tc4_request, SignedHeaders=content-type;host, "
    "Signature=73adc8473059532d3d2d1dcbb6a539b49a0be4fcb2aec2b96984031173d0727e",
    NULL, NULL, NULL, 0, "AuthFailure.InvalidAuthorization" },
  { "host-not-signed",
    "TC3-HMAC-SHA256 Credential=" SID "/2023-11-14/trtc/tc3_request, SignedHeaders=content-type, "
    "Signature=73adc8473059532d3d2d1dcbb6a539b49a0be4fcb2aec2b96984031173d0727e",
    NULL, NULL, NULL, 0, "AuthFailure.InvalidAuthorization" },
  { "date-not-timestamp-date",
    "TC3-HMAC-SHA256 Credential=" SID
    "/2023-11-15/trtc/tc3_request, SignedHeaders=content-type;host, "
    "Signature=73adc8473059532d3d2d1dcbb6a539b49a0be4fcb2aec2b96984031173d0727e",
    NULL, NULL, NULL, 0, "AuthFailure.InvalidAuthorization" },
  { "unknown-secret-id",
    "TC3-HMAC-SHA256 Credential=AKIDNOBODY/2023-11-14/trtc/tc3_request, "
    "SignedHeaders=content-type;host, "
    "Signature=73adc8473059532d3d2d1dcbb6a539b49a0be4fcb2aec2b96984031173d0727e",
    NULL, NULL, NULL, 0, "AuthFailure.SecretIdNotFound" },
  { "timestamp-not-number", NULL, "17e8", NULL, NULL, 0, "AuthFailure.InvalidAuthorization" },
  { "timestamp-negative", NULL, "-5", NULL, NULL, 0, "AuthFailure.InvalidAuthorization" },
  { "too-old", NULL, NULL, NULL, NULL, 301, "AuthFailure.SignatureExpire" },
  { "too-new", NULL, NULL, NULL, NULL, -301, "AuthFailure.SignatureExpire" },
  { "other-host", NULL, NULL, "evil.example", NULL, 0, "AuthFailure.SignatureFailure" },
  { "body-changed", NULL, NULL, NULL, "{\"SdkAppId\":1400000001,\"TaskId\":\"task-2\"}", 0,
    "AuthFailure.SignatureFailure" },
  { "wrong-signature",
    "TC3-HMAC-SHA256 Credential=" SID
    "/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host, "
    "Signature=03adc8473059532d3d2d1dcbb6a539b49a0be4fcb2aec2b96984031173d0727e",
    NULL, NULL, NULL, 0, "AuthFailure.SignatureFailure" },
};

static void
test_edge_of_window (void)
{
  const char *body = "{}";
  g_autofree char *auth = cr_tc3_authorization (SID, SKEY, "trtc", "POST", "", "application/json",
                                                "h", (const guchar *)body, 2, 1700000000);
  Headers h = { { "authorization", "x-tc-timestamp", "host", "content-type" },
                { auth, "1700000000", "h", "application/json" } };
  g_assert_true (verify (&h, "POST", "", body, 1700000300, NULL));
  g_assert_true (verify (&h, "POST", "", body, 1699999700, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tc3/reference-vectors", test_reference_vectors);
  g_test_add_func ("/tc3/doc-example-v0", test_doc_example_v0);
  g_test_add_func ("/tc3/node-host-without-port", test_node_style_host_without_port);
  g_test_add_func ("/tc3/get-query-signed", test_get_query_signed);
  g_test_add_func ("/tc3/edge-of-window", test_edge_of_window);
  for (guint i = 0; i < G_N_ELEMENTS (rejects); i++) {
    g_autofree char *name = g_strdup_printf ("/tc3/reject/%s", rejects[i].name);
    g_test_add_data_func (name, &rejects[i], test_reject);
  }
  return g_test_run ();
}
