/* Answers of the daemon's /internal/... handlers, the same shape everywhere: a JSON object, and
 * on error {Code, Message} with a TRTC-style code (link.h). */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "store/task_store.h"

G_BEGIN_DECLS

void cr_link_reply (SoupServerMessage *msg, guint status, JsonObject *obj);
void cr_link_reply_error (SoupServerMessage *msg, guint status, const char *code,
                          const char *message);
/* A store error: "ResourceNotFound" is 404, anything else 500. */
void cr_link_reply_store_error (SoupServerMessage *msg, const GError *error);
void cr_link_reply_ok (SoupServerMessage *msg);
/* The request's body as a JSON object; NULL (and a 400 answered) when it is not one. */
JsonObject *cr_link_request_object (SoupServerMessage *msg);
/* The same for a handler that takes POST only (405 for any other method). */
JsonObject *cr_link_post_object (SoupServerMessage *msg);

/* Task (@app, @task_id) of @store, or NULL with the answer given (404 ResourceNotFound, or the
 * store's error). */
CrTask *cr_link_lookup_task (SoupServerMessage *msg, CrTaskStore *store, guint64 app,
                             const char *task_id);

G_END_DECLS
