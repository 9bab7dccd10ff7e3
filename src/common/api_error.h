/* TRTC API errors carried in a GError.
 *
 * Why: every failure that reaches a caller of the control API must become a TRTC error code
 * ("InvalidParameter.OutOfRange", "MissingParameter.RoomId", ...) plus a message a person can act
 * on. Library code keeps the GLib convention of GError out-parameters; the TRTC code string is
 * interned as a quark and stored in GError.code, so no side channel is needed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_API_ERROR (cr_api_error_quark ())
GQuark cr_api_error_quark (void);

/* Sets @error to the TRTC error @code (e.g. "InvalidParameter.OutOfRange") with a printf message.
 */
void cr_api_error_set (GError **error, const char *code, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

/* A GError in the CR_API_ERROR domain built from a TRTC code. */
GError *cr_api_error_new (const char *code, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* The TRTC code of @error: its own for CR_API_ERROR, "InternalError" for any other domain. */
const char *cr_api_error_code (const GError *error);

/* TRUE when @error is a CR_API_ERROR with exactly @code. */
gboolean cr_api_error_is (const GError *error, const char *code);

G_END_DECLS
