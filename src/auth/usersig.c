/* TLSSigAPIv2 UserSig: see usersig.h for why verification never compares strings. */
#include "usersig.h"

#include <json-glib/json-glib.h>
#include <string.h>
#include <zlib.h>

#include "auth/crypto_util.h"
#include "common/b64.h"

G_DEFINE_QUARK (cloudrec_usersig_error, cr_usersig_error)

#define USERSIG_MAX_TEXT 4096
#define USERSIG_MAX_JSON 8192

void
cr_usersig_free (CrUserSig *sig)
{
  if (sig == NULL)
    return;
  g_free (sig->identifier);
  g_free (sig->sig_text);
  g_free (sig->userbuf_text);
  g_clear_pointer (&sig->userbuf, g_bytes_unref);
  g_free (sig);
}

/* base64 of the HMAC over the decoded fields, exactly as TLSSigAPIv2 lays them out. */
static char *
usersig_hmac_b64 (const char *key, const char *identifier, guint64 sdk_app_id, gint64 time,
                  gint64 expire, const char *userbuf_b64)
{
  g_autoptr (GString) in = g_string_new (NULL);
  g_string_append_printf (in,
                          "TLS.identifier:%s\nTLS.sdkappid:%" G_GUINT64_FORMAT
                          "\nTLS.time:%" G_GINT64_FORMAT "\nTLS.expire:%" G_GINT64_FORMAT "\n",
                          identifier, sdk_app_id, time, expire);
  if (userbuf_b64 != NULL)
    g_string_append_printf (in, "TLS.userbuf:%s\n", userbuf_b64);
  guchar mac[32];
  cr_hmac_sha256 ((const guchar *)key, strlen (key), (const guchar *)in->str, in->len, mac);
  return g_base64_encode (mac, sizeof mac);
}

char *
cr_usersig_generate (guint64 sdk_app_id, const char *key, const char *user_id, gint64 expire_s,
                     gint64 now_s, GBytes *userbuf)
{
  g_autofree char *userbuf_b64 = NULL;
  if (userbuf != NULL) {
    gsize n = 0;
    const guchar *p = g_bytes_get_data (userbuf, &n);
    userbuf_b64 = g_base64_encode (p, n);
  }
  g_autofree char *sig = usersig_hmac_b64 (key, user_id, sdk_app_id, now_s, expire_s, userbuf_b64);

  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "TLS.ver");
  json_builder_add_string_value (b, "2.0");
  json_builder_set_member_name (b, "TLS.identifier");
  json_builder_add_string_value (b, user_id);
  json_builder_set_member_name (b, "TLS.sdkappid");
  json_builder_add_int_value (b, (gint64)sdk_app_id);
  json_builder_set_member_name (b, "TLS.time");
  json_builder_add_int_value (b, now_s);
  json_builder_set_member_name (b, "TLS.expire");
  json_builder_add_int_value (b, expire_s);
  if (userbuf_b64 != NULL) {
    json_builder_set_member_name (b, "TLS.userbuf");
    json_builder_add_string_value (b, userbuf_b64);
  }
  json_builder_set_member_name (b, "TLS.sig");
  json_builder_add_string_value (b, sig);
  json_builder_end_object (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  gsize json_len = 0;
  g_autofree char *json = json_generator_to_data (gen, &json_len);

  uLongf zlen = compressBound (json_len);
  g_autofree guchar *z = g_malloc (zlen);
  if (compress2 (z, &zlen, (const guchar *)json, json_len, Z_BEST_COMPRESSION) != Z_OK)
    g_error ("zlib compress2 failed on a %" G_GSIZE_FORMAT "-byte buffer", json_len);
  return cr_b64_usersig_encode (z, zlen);
}

/* Inflates at most USERSIG_MAX_JSON bytes; anything larger is not a UserSig. */
static char *
usersig_inflate (const guchar *z, gsize zlen, GError **error)
{
  g_autofree char *out = g_malloc (USERSIG_MAX_JSON + 1);
  z_stream s = { 0 };
  if (inflateInit (&s) != Z_OK) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_MALFORMED, "zlib init failed");
    return NULL;
  }
  s.next_in = (Bytef *)z;
  s.avail_in = (uInt)zlen;
  s.next_out = (Bytef *)out;
  s.avail_out = USERSIG_MAX_JSON;
  int rc = inflate (&s, Z_FINISH);
  gsize produced = USERSIG_MAX_JSON - s.avail_out;
  inflateEnd (&s);
  if (rc != Z_STREAM_END) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_MALFORMED,
                 "UserSig is not a complete zlib stream of at most %d bytes", USERSIG_MAX_JSON);
    return NULL;
  }
  out[produced] = '\0';
  if (memchr (out, '\0', produced) != NULL || !g_utf8_validate (out, (gssize)produced, NULL)) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_MALFORMED,
                 "UserSig does not decode to UTF-8 text");
    return NULL;
  }
  return g_steal_pointer (&out);
}

static gboolean
usersig_int_member (JsonObject *o, const char *name, gint64 *out)
{
  JsonNode *n = json_object_get_member (o, name);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (n);
  return *out >= 0;
}

static const char *
usersig_str_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

CrUserSig *
cr_usersig_decode (const char *usersig, GError **error)
{
  if (usersig == NULL || *usersig == '\0' || strlen (usersig) > USERSIG_MAX_TEXT) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_MALFORMED,
                 "UserSig must be 1 to %d characters", USERSIG_MAX_TEXT);
    return NULL;
  }
  gsize zlen = 0;
  g_autofree guchar *z = cr_b64_usersig_decode (usersig, &zlen);
  if (z == NULL) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_MALFORMED,
                 "UserSig is not in the TLSSigAPIv2 base64 alphabet");
    return NULL;
  }
  g_autofree char *json = usersig_inflate (z, zlen, error);
  if (json == NULL)
    return NULL;
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root = NULL;
  if (json_parser_load_from_data (parser, json, -1, NULL))
    root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_MALFORMED,
                 "UserSig does not decode to a JSON object");
    return NULL;
  }
  JsonObject *o = json_node_get_object (root);
  gint64 app = 0;
  g_autoptr (CrUserSig) sig = g_new0 (CrUserSig, 1);
  const char *identifier = usersig_str_member (o, "TLS.identifier");
  if (g_strcmp0 (usersig_str_member (o, "TLS.ver"), "2.0") != 0 || identifier == NULL
      || !usersig_int_member (o, "TLS.sdkappid", &app)
      || !usersig_int_member (o, "TLS.time", &sig->time)
      || !usersig_int_member (o, "TLS.expire", &sig->expire)
      || usersig_str_member (o, "TLS.sig") == NULL) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_MALFORMED,
                 "UserSig lacks TLS.ver 2.0, TLS.identifier, TLS.sdkappid, TLS.time, TLS.expire "
                 "or TLS.sig");
    return NULL;
  }
  sig->sdk_app_id = (guint64)app;
  sig->identifier = g_strdup (identifier);
  sig->sig_text = g_strdup (usersig_str_member (o, "TLS.sig"));
  const char *userbuf = usersig_str_member (o, "TLS.userbuf");
  if (userbuf != NULL) {
    gsize n = 0;
    guchar *raw = cr_b64_decode_strict (userbuf, &n);
    if (raw == NULL && *userbuf != '\0') {
      g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_MALFORMED,
                   "UserSig TLS.userbuf is not base64");
      return NULL;
    }
    sig->userbuf = g_bytes_new_take (raw, n);
    sig->userbuf_text = g_strdup (userbuf);
  }
  return g_steal_pointer (&sig);
}

CrUserSig *
cr_usersig_verify (const char *usersig, guint64 sdk_app_id, const char *user_id, const char *key,
                   gint64 now_s, GError **error)
{
  g_autoptr (CrUserSig) sig = cr_usersig_decode (usersig, error);
  if (sig == NULL)
    return NULL;
  if (sig->sdk_app_id != sdk_app_id) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_APP_MISMATCH,
                 "UserSig was issued for SdkAppId %" G_GUINT64_FORMAT ", not %" G_GUINT64_FORMAT,
                 sig->sdk_app_id, sdk_app_id);
    return NULL;
  }
  if (g_strcmp0 (sig->identifier, user_id) != 0) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_USER_MISMATCH,
                 "UserSig was issued for UserId \"%s\", not \"%s\"", sig->identifier, user_id);
    return NULL;
  }
  if (now_s > sig->time + sig->expire) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_EXPIRED,
                 "UserSig expired %" G_GINT64_FORMAT " s ago", now_s - (sig->time + sig->expire));
    return NULL;
  }
  /* Recompute from the decoded fields, with TLS.sig and TLS.userbuf as they were sent. */
  const char *given = sig->sig_text;
  g_autofree char *want = usersig_hmac_b64 (key, sig->identifier, sig->sdk_app_id, sig->time,
                                            sig->expire, sig->userbuf_text);
  if (strlen (given) != strlen (want)
      || !cr_const_time_equal ((const guchar *)given, (const guchar *)want, strlen (want))) {
    g_set_error (error, CR_USERSIG_ERROR, CR_USERSIG_ERROR_BAD_SIGNATURE,
                 "UserSig signature does not match the application's key");
    return NULL;
  }
  return g_steal_pointer (&sig);
}
