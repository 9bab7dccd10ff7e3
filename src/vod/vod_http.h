/* The VOD library over HTTP: GET and HEAD /vod/<FileId>/<name>?t=&us=&sign= on the daemon's public
 * port.
 *
 * Why every file needs a signature: the library holds customers' recordings on a port that also
 * serves the API; like Tencent VOD with key hotlink protection on, nothing is served without a
 * valid unexpired signature of its directory (vod_url.h), so no file is public by accident.
 * Answers: 403 (short text) for a missing, wrong or expired signature; 404 for an unknown or
 * expired entry or a name the entry does not list; 400 for a path that is not
 * /vod/<digits>/<plain name> (traversal, encoded '/', NUL). Only the files an entry's meta.json
 * lists are ever opened. Files are mapped, not read, and a single Range is answered with a slice
 * of the mapping (206 / 416); an HLS playlist is served with the request's signature appended to
 * its segment URIs, so a player can fetch them. */
#pragma once

#include "api/http_server.h"
#include "vod/vod_library.h"

G_BEGIN_DECLS

#define CR_VOD_HTTP_PATH "/vod"

/* Serves @lib under /vod on @http (until cr_vod_http_unregister). */
void cr_vod_http_register (CrHttpServer *http, CrVodLibrary *lib);
void cr_vod_http_unregister (CrHttpServer *http);

G_END_DECLS
