/* The demo application `cloudrec serve` creates when no app is configured.
 *
 * Why: a newcomer runs `make run` and can call the API at once with credentials the daemon prints.
 * The keys are random, made once and kept in <data-dir>/demo-app.conf (mode 0600), so they stay
 * the same across restarts and are never shared between installations. */
#pragma once

#include "config/config.h"

G_BEGIN_DECLS

#define CR_DEMO_SDK_APP_ID 1400000001

/* Loads <data-dir>/demo-app.conf into @config, creating it first if missing. */
gboolean cr_demo_app_load (CrConfig *config, GError **error);

G_END_DECLS
