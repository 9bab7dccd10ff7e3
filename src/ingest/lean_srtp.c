/* libsrtp2 contexts and the DTLS-SRTP key split; see lean_srtp.h. */
#include "lean_srtp.h"

#include <gio/gio.h>
#include <srtp2/srtp.h>
#include <string.h>

struct _CrLeanSrtp {
  srtp_t in;
  srtp_t out;
};

gboolean
cr_lean_srtp_profile_parse (const char *name, CrLeanSrtpProfile *profile)
{
  if (g_strcmp0 (name, "SRTP_AES128_CM_SHA1_80") == 0)
    *profile = CR_LEAN_SRTP_AES128_CM_SHA1_80;
  else if (g_strcmp0 (name, "SRTP_AEAD_AES_128_GCM") == 0)
    *profile = CR_LEAN_SRTP_AEAD_AES_128_GCM;
  else
    return FALSE;
  return TRUE;
}

gsize
cr_lean_srtp_key_len (CrLeanSrtpProfile profile)
{
  return 16;
}

gsize
cr_lean_srtp_salt_len (CrLeanSrtpProfile profile)
{
  return profile == CR_LEAN_SRTP_AEAD_AES_128_GCM ? 12 : 14;
}

gsize
cr_lean_srtp_material_len (CrLeanSrtpProfile profile)
{
  return 2 * (cr_lean_srtp_key_len (profile) + cr_lean_srtp_salt_len (profile));
}

void
cr_lean_srtp_split (CrLeanSrtpProfile profile, const guint8 *m, gboolean we_are_client,
                    guint8 *local, guint8 *remote)
{
  gsize k = cr_lean_srtp_key_len (profile), s = cr_lean_srtp_salt_len (profile);
  const guint8 *client_key = m, *server_key = m + k;
  const guint8 *client_salt = m + 2 * k, *server_salt = m + 2 * k + s;
  memcpy (local, we_are_client ? client_key : server_key, k);
  memcpy (local + k, we_are_client ? client_salt : server_salt, s);
  memcpy (remote, we_are_client ? server_key : client_key, k);
  memcpy (remote + k, we_are_client ? server_salt : client_salt, s);
}

/* A second srtp_init in one process fails (libsrtp 2.5: its debug modules are registered
 * already), and GStreamer's srtp plugin, loaded by the webrtcbin engine or the prewarm, makes
 * its own: the result is not an error worth refusing on; srtp_create says if keys are refused. */
static gpointer
srtp_init_once (gpointer unused)
{
  (void)srtp_init ();
  return GINT_TO_POINTER (1);
}

static srtp_t
srtp_context (CrLeanSrtpProfile profile, const guint8 *key, gboolean inbound, GError **error)
{
  srtp_policy_t policy;
  memset (&policy, 0, sizeof policy);
  if (profile == CR_LEAN_SRTP_AEAD_AES_128_GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtcp);
  } else {
    srtp_crypto_policy_set_rtp_default (&policy.rtp);
    srtp_crypto_policy_set_rtcp_default (&policy.rtcp);
  }
  policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.key = (unsigned char *)key;
  policy.window_size = 1024; /* reordered packets up to this far back still decrypt */
  policy.allow_repeat_tx = 1;
  srtp_t ctx = NULL;
  srtp_err_status_t st = srtp_create (&ctx, &policy);
  if (st != srtp_err_status_ok) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "libsrtp refused the keys (error %d)", st);
    return NULL;
  }
  return ctx;
}

CrLeanSrtp *
cr_lean_srtp_new (CrLeanSrtpProfile profile, const guint8 *local, const guint8 *remote,
                  GError **error)
{
  static GOnce once = G_ONCE_INIT;
  if (!GPOINTER_TO_INT (g_once (&once, srtp_init_once, NULL))) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "libsrtp cannot start");
    return NULL;
  }
  CrLeanSrtp *s = g_new0 (CrLeanSrtp, 1);
  s->in = srtp_context (profile, remote, TRUE, error);
  s->out = s->in != NULL ? srtp_context (profile, local, FALSE, error) : NULL;
  if (s->out == NULL) {
    cr_lean_srtp_free (s);
    return NULL;
  }
  return s;
}

void
cr_lean_srtp_free (CrLeanSrtp *s)
{
  if (s == NULL)
    return;
  if (s->in != NULL)
    srtp_dealloc (s->in);
  if (s->out != NULL)
    srtp_dealloc (s->out);
  g_free (s);
}

gboolean
cr_lean_srtp_unprotect_rtp (CrLeanSrtp *s, guint8 *data, gsize *len)
{
  int n = (int)*len;
  if (srtp_unprotect (s->in, data, &n) != srtp_err_status_ok)
    return FALSE;
  *len = (gsize)n;
  return TRUE;
}

gboolean
cr_lean_srtp_unprotect_rtcp (CrLeanSrtp *s, guint8 *data, gsize *len)
{
  int n = (int)*len;
  if (srtp_unprotect_rtcp (s->in, data, &n) != srtp_err_status_ok)
    return FALSE;
  *len = (gsize)n;
  return TRUE;
}

gboolean
cr_lean_srtp_protect_rtcp (CrLeanSrtp *s, guint8 *data, gsize *len)
{
  int n = (int)*len;
  if (srtp_protect_rtcp (s->out, data, &n) != srtp_err_status_ok)
    return FALSE;
  *len = (gsize)n;
  return TRUE;
}

gboolean
cr_lean_srtp_protect_rtp (CrLeanSrtp *s, guint8 *data, gsize *len)
{
  int n = (int)*len;
  if (srtp_protect (s->out, data, &n) != srtp_err_status_ok)
    return FALSE;
  *len = (gsize)n;
  return TRUE;
}
