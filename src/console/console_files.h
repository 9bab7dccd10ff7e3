/* The console's view of a task's recordings in the local store: the files of its directory with
 * sizes and durations, and the checked path of one of them to serve.
 *
 * Why its own module: this is the only place the console opens files from names in a URL, so the
 * rules are in one spot: a name is one plain path segment (no '/', not "." or "..", no leading
 * '.'), the file is a regular file (no symbolic link followed), and its real path lies inside the
 * storage directory. Durations are read from the files themselves: an MP4's mvhd, an HLS
 * playlist's #EXTINF sum. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Whether @name is one plain file name (see above). */
gboolean cr_console_file_name_ok (const char *name);

/* The files of @dir (a task's directory under @storage_dir): [{"Name","Size","Duration"}],
 * Duration in milliseconds (-1: not a media file or unknown), sorted by name; an empty array if
 * the directory does not exist (the task stores elsewhere). */
JsonArray *cr_console_files_list (const char *storage_dir, const char *dir);

/* The absolute path of @name in @dir if it is a regular file inside @storage_dir, else NULL. */
char *cr_console_file_path (const char *storage_dir, const char *dir, const char *name);

/* The duration of an MP4 (its movie header) or an HLS playlist (its segments), in milliseconds;
 * -1 if it is neither or cannot be read. */
gint64 cr_console_file_duration_ms (const char *path);

G_END_DECLS
