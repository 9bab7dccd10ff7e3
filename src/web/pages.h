/* Static pages served by the daemon (web/, compiled into the binary as a GResource so that the
 * single binary is the whole service). Today: /publish, the browser publish page (WHIP). */
#pragma once

#include "api/http_server.h"

G_BEGIN_DECLS

void cr_web_pages_register (CrHttpServer *http);

G_END_DECLS
