/* Which users' audio and video a task records: SubscribeStreamUserIds (reference §6.6).
 *
 * Why pure: the rules have corners (an entry ending in ".*$" is a prefix match unless a real user
 * has exactly that name; an absent list means everyone; allow and block lists of one medium are
 * exclusive; a UserId can never contain ".*$" here, since UserIds are letters, digits, "_" and "-",
 * so the "a user literally named like the pattern" corner cannot arise) and Modify replaces them
 * live, so the worker re-evaluates every published stream against a new value. The robot itself and
 * other recording robots are never subscribed. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _CrSubscription CrSubscription;

/* From a validated SubscribeStreamUserIds object (NULL: everyone). */
CrSubscription *cr_subscription_new (JsonObject *subscribe_stream_user_ids);
void cr_subscription_free (CrSubscription *sub);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrSubscription, cr_subscription_free)

/* Whether @user_id's audio (@video FALSE) or video is recorded. */
gboolean cr_subscription_wants (const CrSubscription *sub, const char *user_id, gboolean video);

G_END_DECLS
