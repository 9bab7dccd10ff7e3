/* SigV4: AWS's published vectors, S3's documented examples, and our own keys' encoding.
 *
 * Sources of the expected values:
 * - The generic suite ("aws-sig-v4-test-suite", as kept in botocore's
 *   tests/unit/auth/aws4_testsuite and in aws-sdk test fixtures): service "service", region
 *   us-east-1, AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20150830T123600Z. Each
 *   case's .creq (canonical request) and .authz (Authorization header) are copied below.
 * - Amazon S3 API reference, "Signature Calculations for the Authorization Header: Transferring
 *   Payload in a Single Chunk" examples: examplebucket, AKIAIOSFODNN7EXAMPLE /
 *   wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, 20130524T000000Z, us-east-1, s3 (GET Object with
 *   Range, PUT Object test$file.text, GET Bucket Lifecycle, GET Bucket list). */
#include <string.h>

#include "auth/crypto_util.h"
#include "blob/s3_client.h"
#include "blob/sigv4.h"

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SUITE_AUTHZ                                                                                \
  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
#define SUITE_HOST "example.amazonaws.com"
#define SUITE_DATE "20150830T123600Z"
#define UNRESERVED "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

typedef struct {
  const char *name;
  const char *method;
  const char *raw_path; /* as in the vector's request line, encoded by cr_sigv4_encode_path */
  CrSigv4Pair query[3];
  CrSigv4Pair extra_headers[3];
  const char *body;
  const char *creq;
  const char *authz;
} SuiteCase;

static const SuiteCase suite[] = {
  { "get-vanilla",
    "GET",
    "/",
    { { NULL, NULL } },
    { { NULL, NULL } },
    "",
    "GET\n/"
    "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY_SHA,
    SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
                "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
  { "get-vanilla-query-order-key-case",
    "GET",
    "/",
    { { "Param2", "value2" }, { "Param1", "value1" } },
    { { NULL, NULL } },
    "",
    "GET\n/"
    "\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
    "host;x-amz-date\n" EMPTY_SHA,
    SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
                "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
  { "get-vanilla-query-order-value",
    "GET",
    "/",
    { { "Param1", "value2" }, { "Param1", "value1" } },
    { { NULL, NULL } },
    "",
    "GET\n/"
    "\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
    "host;x-amz-date\n" EMPTY_SHA,
    SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
                "Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694" },
  { "get-vanilla-query-unreserved",
    "GET",
    "/",
    { { UNRESERVED, UNRESERVED } },
    { { NULL, NULL } },
    "",
    "GET\n/\n" UNRESERVED "=" UNRESERVED
    "\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY_SHA,
    SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
                "Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197" },
  { "get-vanilla-utf8-query",
    "GET",
    "/",
    { { "\xe1\x88\xb4", "bar" } },
    { { NULL, NULL } },
    "",
    "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
    "host;x-amz-date\n" EMPTY_SHA,
    SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
                "Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
  { "get-vanilla-query-order-encoded",
    "GET",
    "/",
    { { "Param-3", "Value3" }, { "Param", "Value2" }, { "\xe1\x88\xb4", "Value1" } },
    { { NULL, NULL } },
    "",
    "GET\n/\n%E1%88%B4=Value1&Param=Value2&Param-3=Value3\nhost:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY_SHA,
    SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
                "Signature=371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac" },
  { "get-unreserved",
    "GET",
    "/" UNRESERVED,
    { { NULL, NULL } },
    { { NULL, NULL } },
    "",
    "GET\n/" UNRESERVED "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
    "host;x-amz-date\n" EMPTY_SHA,
    SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
                "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },
  { "get-header-value-trim",
    "GET",
    "/",
    { { NULL, NULL } },
    { { "My-Header1", " value1" }, { "My-Header2", " \"a   b   c\"" } },
    "",
    "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
    "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n" EMPTY_SHA,
    SUITE_AUTHZ "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
                "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
  { "get-header-key-duplicate",
    "GET",
    "/",
    { { NULL, NULL } },
    { { "My-Header1", "value2" }, { "My-Header1", "value2" }, { "My-Header1", "value1" } },
    "",
    "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\n"
    "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n" EMPTY_SHA,
    SUITE_AUTHZ "SignedHeaders=host;my-header1;x-amz-date, "
                "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
  { "post-header-value-case",
    "POST",
    "/",
    { { NULL, NULL } },
    { { "My-Header1", "VALUE1" } },
    "",
    "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n\n"
    "host;my-header1;x-amz-date\n" EMPTY_SHA,
    SUITE_AUTHZ "SignedHeaders=host;my-header1;x-amz-date, "
                "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d" },
  { "post-x-www-form-urlencoded",
    "POST",
    "/",
    { { NULL, NULL } },
    { { "Content-Type", "application/x-www-form-urlencoded" } },
    "Param1=value1",
    "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
    "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
    SUITE_AUTHZ "SignedHeaders=content-type;host;x-amz-date, "
                "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
  /* The request lines of these two carry raw bytes (a space, UTF-8); their published canonical
   * URI is that path encoded once, i.e. what cr_sigv4_encode_path sends. */
  { "get-utf8",
    "GET",
    "/\xe1\x88\xb4",
    { { NULL, NULL } },
    { { NULL, NULL } },
    "",
    "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
    "host;x-amz-date\n" EMPTY_SHA,
    SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
                "Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },
  { "get-space",
    "GET",
    "/example space/",
    { { NULL, NULL } },
    { { NULL, NULL } },
    "",
    "GET\n/example%20space/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
    "host;x-amz-date\n" EMPTY_SHA,
    SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
                "Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741" },
};

static gsize
count_pairs (const CrSigv4Pair *p, gsize max)
{
  gsize n = 0;
  while (n < max && p[n].name)
    n++;
  return n;
}

static void
run_suite_case (const SuiteCase *c, gboolean double_encode)
{
  g_autofree char *path = cr_sigv4_encode_path (c->raw_path);
  CrSigv4Pair headers[6];
  gsize nh = 0;
  headers[nh++] = (CrSigv4Pair){ "Host", SUITE_HOST };
  headers[nh++] = (CrSigv4Pair){ "X-Amz-Date", SUITE_DATE };
  for (gsize i = 0; i < count_pairs (c->extra_headers, 3); i++)
    headers[nh++] = c->extra_headers[i];
  g_autofree char *hash = cr_sha256_hex ((const guchar *)c->body, strlen (c->body));
  CrSigv4Request req = { .method = c->method,
                         .path = path,
                         .query = c->query,
                         .n_query = count_pairs (c->query, 3),
                         .headers = headers,
                         .n_headers = nh,
                         .payload_hash = hash,
                         .amz_date = SUITE_DATE,
                         .region = "us-east-1",
                         .service = "service",
                         .access_key = "AKIDEXAMPLE",
                         .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                         .double_encode = double_encode };
  CrSigv4Result r;
  g_test_message ("%s (double_encode=%d)", c->name, double_encode);
  g_assert_true (cr_sigv4_sign (&req, &r));
  g_assert_cmpstr (r.canonical_request, ==, c->creq);
  g_assert_cmpstr (r.authorization, ==, c->authz);
  cr_sigv4_result_clear (&r);
}

static void
test_suite_vectors (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (suite); i++)
    run_suite_case (&suite[i], FALSE);
}

/* The generic services encode the wire path once more: vectors whose paths need no encoding
 * sign alike both ways, and an encoded byte is encoded again. */
static void
test_double_encode (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (suite); i++) {
    if (strcmp (suite[i].name, "get-utf8") != 0 && strcmp (suite[i].name, "get-space") != 0)
      run_suite_case (&suite[i], TRUE);
  }
  CrSigv4Pair headers[] = { { "host", SUITE_HOST }, { "x-amz-date", SUITE_DATE } };
  CrSigv4Request req = { .method = "GET",
                         .path = "/example%20space/a%2Fb",
                         .headers = headers,
                         .n_headers = 2,
                         .payload_hash = EMPTY_SHA,
                         .amz_date = SUITE_DATE,
                         .region = "us-east-1",
                         .service = "service",
                         .access_key = "AKIDEXAMPLE",
                         .secret_key = "x",
                         .double_encode = TRUE };
  CrSigv4Result r;
  g_assert_true (cr_sigv4_sign (&req, &r));
  g_assert_true (g_str_has_prefix (r.canonical_request, "GET\n/example%2520space/a%252Fb\n\n"));
  cr_sigv4_result_clear (&r);
  req.double_encode = FALSE;
  g_assert_true (cr_sigv4_sign (&req, &r));
  g_assert_true (g_str_has_prefix (r.canonical_request, "GET\n/example%20space/a%2Fb\n\n"));
  cr_sigv4_result_clear (&r);
}

#define S3_AK "AKIAIOSFODNN7EXAMPLE"
#define S3_SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define S3_DATE "20130524T000000Z"
#define S3_HOST "examplebucket.s3.amazonaws.com"

static void
s3_sign (const char *method, const char *raw_path, const CrSigv4Pair *query, gsize nq,
         const CrSigv4Pair *extra, gsize ne, const char *payload_hash, CrSigv4Result *r)
{
  g_autofree char *path = cr_sigv4_encode_path (raw_path);
  g_autoptr (GArray) h = g_array_new (FALSE, FALSE, sizeof (CrSigv4Pair));
  CrSigv4Pair base[] = { { "Host", S3_HOST },
                         { "x-amz-date", S3_DATE },
                         { "x-amz-content-sha256", payload_hash } };
  g_array_append_vals (h, base, 3);
  g_array_append_vals (h, extra, (guint)ne);
  CrSigv4Request req = { .method = method,
                         .path = path,
                         .query = query,
                         .n_query = nq,
                         .headers = (CrSigv4Pair *)h->data,
                         .n_headers = h->len,
                         .payload_hash = payload_hash,
                         .amz_date = S3_DATE,
                         .region = "us-east-1",
                         .service = "s3",
                         .access_key = S3_AK,
                         .secret_key = S3_SK };
  g_assert_true (cr_sigv4_sign (&req, r));
}

static void
test_s3_examples (void)
{
  CrSigv4Result r;

  /* GET Object with Range. */
  CrSigv4Pair range[] = { { "Range", "bytes=0-9" } };
  s3_sign ("GET", "/test.txt", NULL, 0, range, 1, EMPTY_SHA, &r);
  g_assert_cmpstr (r.canonical_request, ==,
                   "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
                   "x-amz-content-sha256:" EMPTY_SHA "\nx-amz-date:20130524T000000Z\n\n"
                   "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA);
  g_assert_cmpstr (r.string_to_sign, ==,
                   "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                   "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  g_assert_cmpstr (r.signature, ==,
                   "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  g_assert_cmpstr (r.authorization, ==,
                   "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                   "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                   "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  cr_sigv4_result_clear (&r);

  /* PUT Object: the key's '$' is encoded once (%24), as on the request line. */
  const char *body = "Welcome to Amazon S3.";
  g_autofree char *hash = cr_sha256_hex ((const guchar *)body, strlen (body));
  g_assert_cmpstr (hash, ==, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  CrSigv4Pair put_h[] = { { "Date", "Fri, 24 May 2013 00:00:00 GMT" },
                          { "x-amz-storage-class", "REDUCED_REDUNDANCY" } };
  s3_sign ("PUT", "/test$file.text", NULL, 0, put_h, 2, hash, &r);
  g_assert_true (g_str_has_prefix (r.canonical_request, "PUT\n/test%24file.text\n\n"));
  g_assert_cmpstr (r.string_to_sign, ==,
                   "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                   "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  g_assert_cmpstr (r.signed_headers, ==,
                   "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  g_assert_cmpstr (r.signature, ==,
                   "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  cr_sigv4_result_clear (&r);

  /* GET Bucket Lifecycle: a parameter without a value signs as "lifecycle=" (like "uploads"). */
  CrSigv4Pair lifecycle[] = { { "lifecycle", NULL } };
  s3_sign ("GET", "/", lifecycle, 1, NULL, 0, EMPTY_SHA, &r);
  g_assert_true (g_str_has_prefix (r.canonical_request, "GET\n/\nlifecycle=\nhost:"));
  g_assert_cmpstr (r.signature, ==,
                   "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  cr_sigv4_result_clear (&r);

  /* GET Bucket (list objects), parameters given out of order. */
  CrSigv4Pair list[] = { { "prefix", "J" }, { "max-keys", "2" } };
  s3_sign ("GET", "/", list, 2, NULL, 0, EMPTY_SHA, &r);
  g_assert_true (g_str_has_prefix (r.canonical_request, "GET\n/\nmax-keys=2&prefix=J\nhost:"));
  g_assert_cmpstr (r.signature, ==,
                   "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  cr_sigv4_result_clear (&r);
}

/* Our keys: '+', '=', space, '~', non-ASCII UTF-8; each byte outside the unreserved set is
 * encoded exactly once and '/' separates segments. */
static void
test_key_encoding (void)
{
  struct {
    const char *raw, *enc;
  } cases[] = {
    { "/bkt/a+b=c.ts", "/bkt/a%2Bb%3Dc.ts" },
    { "a b~c", "/a%20b~c" },
    { "/bkt/p1/p2/TASKID-example./1400000001_cm9vbT8-__UserId_s_dXNlcj8+fg..__UserId_e_aux_audio_"
      "20231114221320123.ts",
      "/bkt/p1/p2/TASKID-example./1400000001_cm9vbT8-__UserId_s_dXNlcj8%2Bfg..__UserId_e_aux_audio_"
      "20231114221320123.ts" },
    { "/\xed\x95\x9c\xea\xb8\x80/\xe4\xb8\xad.mp4", "/%ED%95%9C%EA%B8%80/%E4%B8%AD.mp4" },
    { "/a%b?c#d&e", "/a%25b%3Fc%23d%26e" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *got = cr_sigv4_encode_path (cases[i].raw);
    g_assert_cmpstr (got, ==, cases[i].enc);
  }
  g_autofree char *q_enc = cr_sigv4_uri_encode ("a/b+c d", -1, FALSE);
  g_assert_cmpstr (q_enc, ==, "a%2Fb%2Bc%20d");

  /* The canonical request carries the encoded path as given (S3: not encoded twice), and the
   * query as sorted and encoded; "uploads" signs as "uploads=". */
  CrSigv4Pair q[] = { { "uploadId", "x+y=" }, { "partNumber", "2" }, { "uploads", "" } };
  g_autofree char *cq = cr_sigv4_canonical_query (q, 3);
  g_assert_cmpstr (cq, ==, "partNumber=2&uploadId=x%2By%3D&uploads=");
  CrSigv4Result r;
  s3_sign ("PUT", "/bkt/a+b=c \xc3\xa9.ts", q, 2, NULL, 0, EMPTY_SHA, &r);
  g_assert_true (g_str_has_prefix (
      r.canonical_request, "PUT\n/bkt/a%2Bb%3Dc%20%C3%A9.ts\npartNumber=2&uploadId=x%2By%3D\n"));
  cr_sigv4_result_clear (&r);
}

static void
test_rejects_bad_input (void)
{
  CrSigv4Pair headers[] = { { "host", "h" } };
  CrSigv4Request req = { .method = "GET",
                         .path = "/",
                         .headers = headers,
                         .n_headers = 1,
                         .payload_hash = EMPTY_SHA,
                         .amz_date = "2015-08-30T12:36:00Z",
                         .region = "r",
                         .service = "s3",
                         .access_key = "a",
                         .secret_key = "s" };
  CrSigv4Result r;
  g_assert_false (cr_sigv4_sign (&req, &r));
  g_assert_null (r.authorization);
  req.amz_date = SUITE_DATE;
  req.secret_key = NULL;
  g_assert_false (cr_sigv4_sign (&req, &r));
  req.secret_key = "s";
  g_assert_true (cr_sigv4_sign (&req, &r));
  cr_sigv4_result_clear (&r);

  g_autofree char *d = cr_sigv4_amz_date (1440938160);
  g_assert_cmpstr (d, ==, SUITE_DATE);
}

/* AWS's presigned-URL example ("Authenticating Requests: Using Query Parameters"): GET
 * examplebucket's test.txt for 86400 s from 20130524T000000Z. And the client's URL of a key
 * at an endpoint (path-style, the key encoded as on its request line). */
static void
test_presign (void)
{
  g_autofree char *q = cr_sigv4_presign_query ("GET", "examplebucket.s3.amazonaws.com", "/test.txt",
                                               "us-east-1", "s3", "AKIAIOSFODNN7EXAMPLE",
                                               "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                               "20130524T000000Z", 86400);
  g_assert_cmpstr (q, ==,
                   "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F"
                   "20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-"
                   "Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="
                   "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  g_assert_null (
      cr_sigv4_presign_query ("GET", "h", "/k", "us-east-1", "s3", "AK", "SK", "2013-05-24", 60));
  CrS3Config config = { .endpoint = "http://127.0.0.1:9000/",
                        .region = "us-east-1",
                        .bucket = "examplebucket",
                        .access_key = "AKIAIOSFODNN7EXAMPLE",
                        .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
  g_autoptr (CrS3Client) c = cr_s3_client_new (&config);
  gint64 t = 1369353600; /* 20130524T000000Z */
  g_autofree char *url = cr_s3_client_presign_get (c, "a+b/c=1.ts", t, 3600);
  g_autofree char *expect_q = cr_sigv4_presign_query (
      "GET", "127.0.0.1:9000", "/examplebucket/a%2Bb/c%3D1.ts", "us-east-1", "s3",
      "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524T000000Z", 3600);
  g_autofree char *expect
      = g_strconcat ("http://127.0.0.1:9000/examplebucket/a%2Bb/c%3D1.ts?", expect_q, NULL);
  g_assert_cmpstr (url, ==, expect);
  /* beyond SigV4's week: a week */
  g_autofree char *long_url = cr_s3_client_presign_get (c, "k", t, 10000000);
  g_assert_nonnull (strstr (long_url, "X-Amz-Expires=604800&"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sigv4/suite-vectors", test_suite_vectors);
  g_test_add_func ("/sigv4/double-encode", test_double_encode);
  g_test_add_func ("/sigv4/s3-examples", test_s3_examples);
  g_test_add_func ("/sigv4/key-encoding", test_key_encoding);
  g_test_add_func ("/sigv4/rejects-bad-input", test_rejects_bad_input);
  g_test_add_func ("/sigv4/presign", test_presign);
  return g_test_run ();
}
