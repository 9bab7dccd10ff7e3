/* The base64 variants TRTC uses.
 *
 * Why here: three places need them and each differs from standard base64 in a way that matters
 * for compatibility: file names (`/`->`-`, `=`->`.`, `+` kept: reference §10.1), UserSig
 * (`+`->`*`, `/`->`-`, `=`->`_`: reference §9.1) and our own TaskIds (URL- and path-safe). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRTC file-name variant of standard padded base64: '/'->'-', '='->'.', '+' kept. */
char *cr_b64_filename_encode (const guchar *data, gsize len);

/* UserSig variant: '+'->'*', '/'->'-', '='->'_'. */
char *cr_b64_usersig_encode (const guchar *data, gsize len);
/* Decodes the UserSig variant; NULL if @text has characters outside the alphabet or bad length. */
guchar *cr_b64_usersig_decode (const char *text, gsize *out_len);

/* Strict standard base64 decode: NULL on any character outside the alphabet or bad padding
 * (g_base64_decode silently skips invalid characters, which a verifier must not do). */
guchar *cr_b64_decode_strict (const char *text, gsize *out_len);

G_END_DECLS
