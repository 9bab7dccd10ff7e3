/* UserSig (TLSSigAPIv2): generating and verifying the tickets TRTC users join rooms with.
 *
 * Why decode-and-recompute: the same ticket compresses to different bytes under different zlib
 * builds (reference §9.2), so a UserSig is verified by inflating it, checking app, user and expiry,
 * and recomputing the HMAC over the decoded fields, never by comparing strings. Inflation is
 * bounded so a hostile ticket cannot balloon in memory. Pure: the caller passes the clock. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_USERSIG_ERROR (cr_usersig_error_quark ())
GQuark cr_usersig_error_quark (void);

typedef enum {
  CR_USERSIG_ERROR_MALFORMED,     /* not base64/zlib/JSON of the expected shape */
  CR_USERSIG_ERROR_APP_MISMATCH,  /* issued for another SdkAppId */
  CR_USERSIG_ERROR_USER_MISMATCH, /* issued for another UserId */
  CR_USERSIG_ERROR_EXPIRED,       /* now > time + expire */
  CR_USERSIG_ERROR_BAD_SIGNATURE, /* HMAC does not match: wrong key or tampered */
} CrUserSigError;

typedef struct {
  guint64 sdk_app_id;
  char *identifier;
  gint64 time;        /* Unix seconds when issued */
  gint64 expire;      /* validity in seconds, relative to time */
  GBytes *userbuf;    /* PrivateMapKey payload, or NULL */
  char *sig_text;     /* TLS.sig as sent */
  char *userbuf_text; /* TLS.userbuf as sent, or NULL */
} CrUserSig;

void cr_usersig_free (CrUserSig *sig);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrUserSig, cr_usersig_free)

/* A UserSig for @user_id valid @expire_s seconds from @now_s, signed with @key (used as raw UTF-8
 * bytes). @userbuf may be NULL. */
char *cr_usersig_generate (guint64 sdk_app_id, const char *key, const char *user_id,
                           gint64 expire_s, gint64 now_s, GBytes *userbuf);

/* Decodes @usersig without checking it (for diagnostics). */
CrUserSig *cr_usersig_decode (const char *usersig, GError **error);

/* Verifies @usersig for (@sdk_app_id, @user_id) under @key at @now_s. Returns the decoded ticket
 * or NULL with a CR_USERSIG_ERROR whose message says what did not match. */
CrUserSig *cr_usersig_verify (const char *usersig, guint64 sdk_app_id, const char *user_id,
                              const char *key, gint64 now_s, GError **error);

G_END_DECLS
