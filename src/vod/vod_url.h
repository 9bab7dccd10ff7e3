/* The VOD library's URL rules, pure (no I/O, the clock passed in): signing and checking playback
 * URLs, rewriting HLS playlists so their segments carry the signature, the names a library entry
 * may expose, and the single byte range a GET may ask for.
 *
 * Why Tencent VOD's "key hotlink protection" scheme: a VideoUrl handed out in a 311 callback is
 * what Tencent VOD would hand out, so players and tools built for VOD's signed URLs work as they
 * are. The scheme (Tencent Cloud VOD docs, "Key Hotlink Protection", product 266 doc 33986):
 *   <url>?t=<expiry>&us=<random>&sign=<md5>
 *   t    = Unix expiry time as lowercase hexadecimal;
 *   us   = a random link id (makes each signed URL unique);
 *   sign = md5(KEY + Dir + t + exper + rlimit + us), lowercase hex, '+' concatenation, the optional
 *          exper and rlimit empty here (we offer neither preview nor IP limits);
 *   Dir  = the URL's path with the file name removed, keeping the trailing '/' (for
 *          /dir1/dir2/myVideo.mp4 it is /dir1/dir2/).
 * Because the directory is signed, not the file, one signature covers every file of an entry:
 * the playlist of an HLS recording and all its segments. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What a URL check found. */
typedef enum {
  CR_VOD_URL_OK,
  CR_VOD_URL_MISSING,   /* no t or no sign */
  CR_VOD_URL_MALFORMED, /* t not lowercase hex, sign not 32 hex digits */
  CR_VOD_URL_BAD_SIGN,
  CR_VOD_URL_EXPIRED,
} CrVodUrlCheck;

/* A short text for a check result (the 403 body). */
const char *cr_vod_url_check_to_string (CrVodUrlCheck check);

/* Dir of @path: everything up to and including its last '/' ("/" when there is none). */
char *cr_vod_url_dir (const char *path);

/* md5(key + dir + t + us) in lowercase hex (exper and rlimit are empty). */
char *cr_vod_url_sign (const char *key, const char *dir, const char *t_hex, const char *us);

/* The query string "t=<hex>&us=<us>&sign=<md5>" that signs every file under @dir until
 * @expiry_s (Unix seconds). @us: letters and digits (it is not escaped). */
char *cr_vod_url_query (const char *key, const char *dir, gint64 expiry_s, const char *us);

/* A fresh random link id: 10 lowercase hex digits. */
char *cr_vod_url_new_us (void);

/* Checks the signature of a request for @path at @now_s: @t, @us, @sign as the query carried
 * them (NULL = absent; @us may be absent, it is then ""). The URL is valid up to and including
 * the second t; at t + 1 it has expired. The signature is compared in constant time. */
CrVodUrlCheck cr_vod_url_verify (const char *key, const char *path, const char *t, const char *us,
                                 const char *sign, gint64 now_s);

/* @playlist (an m3u8 text) with @query appended to every URI line ('?' or, when the URI has a
 * query already, '&'). Tag and comment lines ('#') and blank lines are copied untouched, as are
 * absolute URIs (a scheme "x://", or a leading '/'), which do not live in the signed directory.
 * Line ends are kept as they were. */
char *cr_vod_m3u8_sign (const char *playlist, gsize len, const char *query);

/* The URI lines of @playlist that name files next to it: relative, a single path segment (no
 * '/', no query). Others are skipped. Returns a NULL-terminated array (maybe empty). */
char **cr_vod_m3u8_segments (const char *playlist, gsize len);

/* Whether @name may be a file name inside an entry: 1..200 bytes, valid UTF-8, no '/', '\\',
 * control characters or NUL, not "." or "..", not starting with '.' (the library's own temporary
 * files do), not "meta.json". */
gboolean cr_vod_name_valid (const char *name);

/* Whether @id looks like a FileId: 1..32 decimal digits. */
gboolean cr_vod_file_id_valid (const char *id);

/* The Content-Type of a file name by its extension (octet-stream when unknown). */
const char *cr_vod_content_type (const char *name);

/* What a Range header asks of a @size-byte body. */
typedef enum {
  CR_VOD_RANGE_NONE,          /* absent, not bytes=, or several ranges: serve it whole */
  CR_VOD_RANGE_OK,            /* one satisfiable range: *start..*end inclusive */
  CR_VOD_RANGE_UNSATISFIABLE, /* 416 */
} CrVodRange;

/* Parses "bytes=a-b", "bytes=a-" and "bytes=-n" (RFC 9110 §14.1.2; b past the end is clipped,
 * a at or past the end and "-0" are unsatisfiable). A syntactically invalid header is NONE, as
 * the RFC says to ignore it. */
CrVodRange cr_vod_parse_range (const char *header, gint64 size, gint64 *start, gint64 *end);

G_END_DECLS
