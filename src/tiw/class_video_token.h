/* The replay link of a video-generation class (docs/class-record.md, "Video-generation mode"):
 * `token` = "<expiry s>.<hex HMAC-SHA256 over "<SdkAppId>\n<TaskId>\n<expiry s>" with the app's
 * UserSig key>", so a class's users open the replay page and its files without a UserSig, for as
 * long as the link lives (setting replay-url-hours).
 *
 * Why an HMAC and not a stored secret: the daemon keeps nothing per link; the app's key, which
 * already signs its UserSigs, proves the link came from this server, and the expiry inside it
 * cannot be moved without breaking the MAC. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A token for class @task_id of @sdk_app_id valid until @expiry_s (Unix s). */
char *cr_class_replay_token (const char *key, guint64 sdk_app_id, const char *task_id,
                             gint64 expiry_s);

/* Whether @token is a token of that class under @key that has not expired at @now_s; FALSE with
 * a reason in @error (G_IO_ERROR_PERMISSION_DENIED) otherwise. */
gboolean cr_class_replay_token_check (const char *key, guint64 sdk_app_id, const char *task_id,
                                      const char *token, gint64 now_s, GError **error);

G_END_DECLS
