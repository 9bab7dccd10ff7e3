/* GET requests: the SDKs flatten nested fields into the query ("RecordParams.RecordMode=2",
 * "StorageParams.CloudStorage.FileNamePrefix.0=a"); this rebuilds the tree of strings that the
 * schema then parses in form mode. A path segment made only of digits is an array index; indices
 * must be 0..n-1 with no gaps, and one key cannot be both a value and a container. */
#include <string.h>

#include "common/api_error.h"
#include "validate/validate.h"

#define QUERY_MAX_KEYS 1000
#define QUERY_MAX_INDEX 1000
#define QUERY_ERROR "InvalidParameter.UrlParamsError"

/* Intermediate tree: a node is a leaf (value), or has children keyed by segment. */
typedef struct QNode {
  char *value;
  GHashTable *children; /* segment -> QNode* */
} QNode;

static void
qnode_free (QNode *n)
{
  if (n == NULL)
    return;
  g_free (n->value);
  if (n->children != NULL)
    g_hash_table_unref (n->children);
  g_free (n);
}

static QNode *
qnode_new (void)
{
  return g_new0 (QNode, 1);
}

static gboolean
is_index (const char *seg)
{
  if (*seg == '\0' || strlen (seg) > 4)
    return FALSE;
  for (const char *p = seg; *p; p++) {
    if (!g_ascii_isdigit (*p))
      return FALSE;
  }
  return TRUE;
}

static gboolean
query_insert (QNode *root, const char *key, const char *value, GError **error)
{
  g_auto (GStrv) segs = g_strsplit (key, ".", 0);
  QNode *n = root;
  for (char **s = segs; *s; s++) {
    if (**s == '\0') {
      cr_api_error_set (error, QUERY_ERROR, "query parameter \"%s\" has an empty path segment",
                        key);
      return FALSE;
    }
    if (n->value != NULL) {
      cr_api_error_set (error, QUERY_ERROR,
                        "query parameter \"%s\" conflicts with a value set for a prefix of it",
                        key);
      return FALSE;
    }
    if (n->children == NULL)
      n->children
          = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)qnode_free);
    QNode *child = g_hash_table_lookup (n->children, *s);
    if (child == NULL) {
      child = qnode_new ();
      g_hash_table_insert (n->children, g_strdup (*s), child);
    }
    n = child;
  }
  if (n->value != NULL || n->children != NULL) {
    cr_api_error_set (error, QUERY_ERROR,
                      "query parameter \"%s\" is given twice or also as a container", key);
    return FALSE;
  }
  n->value = g_strdup (value);
  return TRUE;
}

static JsonNode *qnode_to_json (QNode *n, const char *where, GError **error);

static JsonNode *
qnode_to_array (QNode *n, const char *where, GError **error)
{
  guint count = g_hash_table_size (n->children);
  JsonArray *arr = json_array_sized_new (count);
  g_autoptr (JsonNode) node = json_node_init_array (json_node_alloc (), arr);
  json_array_unref (arr);
  for (guint i = 0; i < count; i++) {
    g_autofree char *seg = g_strdup_printf ("%u", i);
    QNode *child = g_hash_table_lookup (n->children, seg);
    if (child == NULL || i > QUERY_MAX_INDEX) {
      cr_api_error_set (error, QUERY_ERROR, "query list %s must use indices 0 to %u without gaps",
                        where, count - 1);
      return NULL;
    }
    g_autofree char *at = g_strdup_printf ("%s.%u", where, i);
    JsonNode *e = qnode_to_json (child, at, error);
    if (e == NULL)
      return NULL;
    json_array_add_element (arr, e);
  }
  return g_steal_pointer (&node);
}

static JsonNode *
qnode_to_json (QNode *n, const char *where, GError **error)
{
  if (n->value != NULL)
    return json_node_init_string (json_node_alloc (), n->value);
  GHashTableIter it;
  gpointer k, v;
  gboolean all_index = TRUE, any_index = FALSE;
  g_hash_table_iter_init (&it, n->children);
  while (g_hash_table_iter_next (&it, &k, &v)) {
    gboolean idx = is_index (k);
    all_index &= idx;
    any_index |= idx;
  }
  if (any_index && !all_index) {
    cr_api_error_set (error, QUERY_ERROR, "query parameter %s mixes list indices and names", where);
    return NULL;
  }
  if (any_index)
    return qnode_to_array (n, where, error);
  JsonObject *obj = json_object_new ();
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);
  g_hash_table_iter_init (&it, n->children);
  while (g_hash_table_iter_next (&it, &k, &v)) {
    g_autofree char *at = *where ? g_strconcat (where, ".", k, NULL) : g_strdup (k);
    JsonNode *child = qnode_to_json (v, at, error);
    if (child == NULL)
      return NULL;
    json_object_set_member (obj, k, child);
  }
  return g_steal_pointer (&node);
}

JsonObject *
cr_validate_unflatten_query (GHashTable *pairs, GError **error)
{
  if (g_hash_table_size (pairs) > QUERY_MAX_KEYS) {
    cr_api_error_set (error, QUERY_ERROR, "the query has more than %d parameters", QUERY_MAX_KEYS);
    return NULL;
  }
  QNode *root = qnode_new ();
  root->children
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)qnode_free);
  JsonObject *out = NULL;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, pairs);
  while (g_hash_table_iter_next (&it, &k, &v)) {
    if (!query_insert (root, k, v, error))
      goto out;
  }
  JsonNode *top = qnode_to_json (root, "", error);
  if (top == NULL)
    goto out;
  if (!JSON_NODE_HOLDS_OBJECT (top)) {
    json_node_unref (top);
    cr_api_error_set (error, QUERY_ERROR, "the query's top level must be named parameters");
    goto out;
  }
  out = json_object_ref (json_node_get_object (top));
  json_node_unref (top);
out:
  qnode_free (root);
  return out;
}
