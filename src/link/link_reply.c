/* The /internal/... answers; see link_reply.h. */
#include "link/link_reply.h"

#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "link/link.h"
#include "store/task_store.h"

void
cr_link_reply (SoupServerMessage *msg, guint status, JsonObject *obj)
{
  char *text = cr_json_object_to_string (obj);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, strlen (text));
}

void
cr_link_reply_error (SoupServerMessage *msg, guint status, const char *code, const char *message)
{
  g_autoptr (JsonObject) o = json_object_new ();
  json_object_set_string_member (o, CR_LINK_CODE, code);
  json_object_set_string_member (o, CR_LINK_MESSAGE, message);
  g_info ("link: %u %s %s", status, code, message);
  cr_link_reply (msg, status, o);
}

/* A store error: "ResourceNotFound" is 404, anything else 500. */
void
cr_link_reply_store_error (SoupServerMessage *msg, const GError *error)
{
  const char *code = cr_api_error_code (error);
  cr_link_reply_error (msg,
                     strcmp (code, "ResourceNotFound") == 0 ? SOUP_STATUS_NOT_FOUND
                                                            : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                     code, error->message);
}

void
cr_link_reply_ok (SoupServerMessage *msg)
{
  g_autoptr (JsonObject) o = json_object_new ();
  cr_link_reply (msg, SOUP_STATUS_OK, o);
}

/* The request's body as a JSON object; NULL (and a 400) when it is not one. */
JsonObject *
cr_link_request_object (SoupServerMessage *msg)
{
  g_autoptr (GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  g_autoptr (GError) error = NULL;
  JsonObject *obj = cr_json_parse_object (data, len, &error);
  if (obj == NULL)
    cr_link_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidParameter",
                       error != NULL ? error->message : "the body must be a JSON object");
  return obj;
}

JsonObject *
cr_link_post_object (SoupServerMessage *msg)
{
  if (strcmp (soup_server_message_get_method (msg), "POST") != 0) {
    cr_link_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "InvalidParameter", "POST only");
    return NULL;
  }
  return cr_link_request_object (msg);
}

CrTask *
cr_link_lookup_task (SoupServerMessage *msg, CrTaskStore *store, guint64 app,
                     const char *task_id)
{
  g_autoptr (GError) error = NULL;
  CrTask *task = store->vt->lookup (store, app, task_id, &error);
  if (task == NULL) {
    if (error != NULL)
      cr_link_reply_store_error (msg, error);
    else
      cr_link_reply_error (msg, SOUP_STATUS_NOT_FOUND, "ResourceNotFound", "no such task");
  }
  return task;
}
