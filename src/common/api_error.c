/* TRTC error codes as GErrors: see api_error.h for why the code lives in a quark. */
#include "api_error.h"

G_DEFINE_QUARK (cloudrec_api_error, cr_api_error)

static GError *
api_error_new_valist (const char *code, const char *fmt, va_list ap)
{
  GError *err = g_error_new_valist (CR_API_ERROR, (gint)g_quark_from_string (code), fmt, ap);
  return err;
}

GError *
cr_api_error_new (const char *code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  GError *err = api_error_new_valist (code, fmt, ap);
  va_end (ap);
  return err;
}

void
cr_api_error_set (GError **error, const char *code, const char *fmt, ...)
{
  if (error == NULL)
    return;
  va_list ap;
  va_start (ap, fmt);
  GError *err = api_error_new_valist (code, fmt, ap);
  va_end (ap);
  g_propagate_error (error, err);
}

const char *
cr_api_error_code (const GError *error)
{
  if (error == NULL || error->domain != CR_API_ERROR)
    return "InternalError";
  const char *code = g_quark_to_string ((GQuark)error->code);
  return code != NULL ? code : "InternalError";
}

gboolean
cr_api_error_is (const GError *error, const char *code)
{
  return error != NULL && error->domain == CR_API_ERROR
         && g_strcmp0 (cr_api_error_code (error), code) == 0;
}
