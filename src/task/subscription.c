/* SubscribeStreamUserIds evaluation; see subscription.h. */
#include "subscription.h"

#include <string.h>

typedef struct {
  gboolean present;
  gboolean allow; /* allowlist (Subscribe...) or blocklist (UnSubscribe...) */
  GPtrArray *entries;
} List;

struct _CrSubscription {
  List media[2]; /* [0] audio, [1] video */
};

static void
list_load (List *list, JsonObject *obj, const char *allow_name, const char *block_name)
{
  const char *name = NULL;
  if (obj != NULL && json_object_has_member (obj, allow_name)) {
    name = allow_name;
    list->allow = TRUE;
  } else if (obj != NULL && json_object_has_member (obj, block_name)) {
    name = block_name;
    list->allow = FALSE;
  }
  list->entries = g_ptr_array_new_with_free_func (g_free);
  JsonNode *node = name != NULL ? json_object_get_member (obj, name) : NULL;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return;
  list->present = TRUE;
  JsonArray *a = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (a); i++) {
    const char *s = json_array_get_string_element (a, i);
    if (s != NULL)
      g_ptr_array_add (list->entries, g_strdup (s));
  }
}

CrSubscription *
cr_subscription_new (JsonObject *o)
{
  CrSubscription *sub = g_new0 (CrSubscription, 1);
  list_load (&sub->media[0], o, "SubscribeAudioUserIds", "UnSubscribeAudioUserIds");
  list_load (&sub->media[1], o, "SubscribeVideoUserIds", "UnSubscribeVideoUserIds");
  return sub;
}

void
cr_subscription_free (CrSubscription *sub)
{
  if (sub == NULL)
    return;
  for (int i = 0; i < 2; i++)
    g_ptr_array_unref (sub->media[i].entries);
  g_free (sub);
}

/* An entry matches the user exactly, or as a prefix when it ends in ".*$". */
static gboolean
entry_matches (const char *entry, const char *user_id)
{
  if (strcmp (entry, user_id) == 0)
    return TRUE;
  gsize len = strlen (entry);
  return len >= 3 && g_str_has_suffix (entry, ".*$") && strncmp (entry, user_id, len - 3) == 0;
}

gboolean
cr_subscription_wants (const CrSubscription *sub, const char *user_id, gboolean video)
{
  const List *list = &sub->media[video ? 1 : 0];
  if (!list->present)
    return TRUE;
  gboolean listed = FALSE;
  for (guint i = 0; i < list->entries->len && !listed; i++)
    listed = entry_matches (g_ptr_array_index (list->entries, i), user_id);
  return list->allow ? listed : !listed;
}
