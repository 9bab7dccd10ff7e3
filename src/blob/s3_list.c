/* Listing a prefix (ListObjectsV2, every page), bounded and never trusting the answer. */
#include "s3_client.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "auth/crypto_util.h"
#include "blob/s3_private.h"

void
cr_s3_object_free (CrS3Object *o)
{
  if (o == NULL)
    return;
  g_free (o->key);
  g_free (o);
}

GPtrArray *
cr_s3_list_objects (CrS3Client *c, const char *prefix, GError **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)cr_s3_object_free);
  g_autofree char *token = NULL;
  for (int page = 0; page < 100000; page++) {
    g_autofree char *max_s = g_strdup_printf ("%d", c->list_max_parts);
    CrSigv4Pair query[4] = { { "list-type", "2" }, { "prefix", prefix ? prefix : "" } };
    gsize nq = 2;
    if (token != NULL)
      query[nq++] = (CrSigv4Pair){ "continuation-token", token };
    if (c->list_max_parts > 0)
      query[nq++] = (CrSigv4Pair){ "max-keys", max_s };
    Resp r;
    s3_resp_init (&r, -1);
    Req q = { .method = "GET", .query = query, .n_query = nq };
    if (!s3_request (c, &q, &r, "NoSuchBucket", error)) {
      s3_resp_clear (&r);
      g_ptr_array_unref (out);
      return NULL;
    }
    const char *xml = s3_resp_text (&r);
    const char *at = xml;
    for (const char *p; (p = strstr (at, "<Contents>")) != NULL;) {
      const char *end = strstr (p, "</Contents>");
      if (!end)
        break;
      g_autofree char *block = g_strndup (p, (gsize)(end - p));
      char *key = s3_xml_text (block, "Key", NULL);
      g_autofree char *size = s3_xml_text (block, "Size", NULL);
      if (key != NULL) {
        CrS3Object *o = g_new0 (CrS3Object, 1);
        o->key = key;
        o->size = size ? g_ascii_strtoll (size, NULL, 10) : -1;
        g_ptr_array_add (out, o);
      }
      at = end + strlen ("</Contents>");
    }
    g_autofree char *truncated = s3_xml_text (xml, "IsTruncated", NULL);
    g_free (token);
    token = s3_xml_text (xml, "NextContinuationToken", NULL);
    s3_resp_clear (&r);
    if (!truncated || g_ascii_strcasecmp (truncated, "true") != 0)
      break;
    if (token == NULL || *token == '\0') {
      g_set_error (error, CR_S3_ERROR, 200,
                   "InvalidResponse: ListObjectsV2 is truncated without a continuation token");
      g_ptr_array_unref (out);
      return NULL;
    }
  }
  return out;
}
