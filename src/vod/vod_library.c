/* The VOD library on disk; see vod_library.h. */
#define _GNU_SOURCE /* copy_file_range */
#include "vod_library.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file_util.h"
#include "common/json_util.h"
#include "vod/vod_url.h"

#define META_NAME "meta.json"
#define INCOMING_PREFIX ".incoming-"
#define LEFTOVER_AGE_S 3600

struct CrVodLibrary {
  char *root;
  char *key;
  char *public_url;
  gint64 ttl_s;
};

static const char *const kind_names[] = { "mp4", "hls", "aac" };

const char *
cr_vod_kind_to_string (CrVodKind kind)
{
  return (guint)kind < G_N_ELEMENTS (kind_names) ? kind_names[kind] : "?";
}

gboolean
cr_vod_kind_from_string (const char *s, CrVodKind *out)
{
  for (guint i = 0; s != NULL && i < G_N_ELEMENTS (kind_names); i++) {
    if (strcmp (s, kind_names[i]) == 0) {
      *out = (CrVodKind)i;
      return TRUE;
    }
  }
  return FALSE;
}

void
cr_vod_entry_clear (CrVodEntry *e)
{
  g_free (e->file_id);
  g_free (e->task_id);
  g_free (e->name);
  g_strfreev (e->files);
  g_free (e->procedure);
  g_free (e->session_context);
  g_free (e->source_context);
  g_free (e->user_define_record_id);
  g_free (e->user_id);
  g_free (e->track_type);
  g_free (e->media_id);
  g_free (e->video_url);
  memset (e, 0, sizeof *e);
}

static gboolean
set_errno_error (GError **error, int err, const char *what, const char *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "%s %s: %s", what, path,
               g_strerror (err));
  return FALSE;
}

static gboolean
key_valid (const char *key)
{
  gsize n = strlen (key);
  if (n < 8 || n > 64)
    return FALSE;
  for (const char *p = key; *p; p++) {
    if (!g_ascii_isalnum (*p))
      return FALSE;
  }
  return TRUE;
}

char *
cr_vod_key_load (const char *configured, const char *key_path, GError **error)
{
  if (configured != NULL && *configured != '\0') {
    if (!key_valid (configured)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "vod-url-key must be 8 to 64 letters or digits");
      return NULL;
    }
    return g_strdup (configured);
  }
  g_autofree char *text = NULL;
  g_autoptr (GError) read_error = NULL;
  if (g_file_get_contents (key_path, &text, NULL, &read_error)) {
    g_strstrip (text);
    if (!key_valid (text)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s must hold 8 to 64 letters or digits (remove it to make a new key)",
                   key_path);
      return NULL;
    }
    return g_steal_pointer (&text);
  }
  if (!g_error_matches (read_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
    g_propagate_error (error, g_steal_pointer (&read_error));
    return NULL;
  }
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  char key[33];
  /* g_random is seeded from /dev/urandom; the key is what keeps URLs unforgeable, so read the
   * kernel's generator directly when it is there. */
  guchar raw[32];
  gboolean have_raw = FALSE;
  int fd = g_open ("/dev/urandom", O_RDONLY | O_CLOEXEC, 0);
  if (fd >= 0) {
    have_raw = read (fd, raw, sizeof raw) == (ssize_t)sizeof raw;
    close (fd);
  }
  for (guint i = 0; i < 32; i++) {
    guint r = have_raw ? raw[i] : (guint)g_random_int ();
    key[i] = alphabet[r % (sizeof alphabet - 1)];
  }
  key[32] = '\0';
  /* Created 0600 from the start, durably (a key lost in a crash would void every URL). */
  g_autofree char *tmp = g_strconcat (key_path, ".tmp", NULL);
  fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return set_errno_error (error, errno, "cannot create", tmp), NULL;
  if (!cr_write_all (fd, key, 32) || !cr_write_all (fd, "\n", 1) || fsync (fd) != 0) {
    int saved = errno;
    close (fd);
    g_unlink (tmp);
    return set_errno_error (error, saved, "cannot write", tmp), NULL;
  }
  close (fd);
  if (g_rename (tmp, key_path) != 0) {
    int saved = errno;
    g_unlink (tmp);
    return set_errno_error (error, saved, "cannot rename to", key_path), NULL;
  }
  return g_strdup (key);
}

CrVodLibrary *
cr_vod_library_open (const char *root, const char *key, const char *public_url, gint64 ttl_s,
                     GError **error)
{
  if (g_mkdir_with_parents (root, 0700) != 0)
    return set_errno_error (error, errno, "cannot create", root), NULL;
  CrVodLibrary *lib = g_new0 (CrVodLibrary, 1);
  lib->root = g_strdup (root);
  lib->key = g_strdup (key);
  lib->public_url = g_strdup (public_url);
  gsize n = strlen (lib->public_url);
  while (n > 0 && lib->public_url[n - 1] == '/')
    lib->public_url[--n] = '\0';
  lib->ttl_s = ttl_s;
  return lib;
}

void
cr_vod_library_free (CrVodLibrary *lib)
{
  if (lib == NULL)
    return;
  g_free (lib->root);
  g_free (lib->key);
  g_free (lib->public_url);
  g_free (lib);
}

const char *
cr_vod_library_root (CrVodLibrary *lib)
{
  return lib->root;
}

const char *
cr_vod_library_key (CrVodLibrary *lib)
{
  return lib->key;
}

char *
cr_vod_library_file_path (CrVodLibrary *lib, const char *file_id, const char *name)
{
  return g_build_filename (lib->root, file_id, name, NULL);
}

char *
cr_vod_library_sign_url (CrVodLibrary *lib, const char *file_id, const char *name)
{
  g_autofree char *dir = g_strdup_printf ("/vod/%s/", file_id);
  g_autofree char *us = cr_vod_url_new_us ();
  g_autofree char *query
      = cr_vod_url_query (lib->key, dir, g_get_real_time () / G_USEC_PER_SEC + lib->ttl_s, us);
  g_autofree char *escaped = g_uri_escape_string (name, NULL, FALSE);
  return g_strdup_printf ("%s%s%s?%s", lib->public_url, dir, escaped, query);
}

/* ---- commit ---- */

static gboolean
fsync_path (const char *path, gboolean dir, GError **error)
{
  int fd = g_open (path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC, 0);
  if (fd < 0)
    return set_errno_error (error, errno, "cannot open", path);
  if (fsync (fd) != 0 && !dir) {
    int saved = errno;
    close (fd);
    return set_errno_error (error, saved, "cannot fsync", path);
  }
  close (fd);
  return TRUE;
}

static gboolean
copy_file (const char *src, const char *dst, GError **error)
{
  int in = g_open (src, O_RDONLY | O_CLOEXEC, 0);
  if (in < 0)
    return set_errno_error (error, errno, "cannot open", src);
  int out = g_open (dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) {
    int saved = errno;
    close (in);
    return set_errno_error (error, saved, "cannot create", dst);
  }
  /* copy_file_range: an in-kernel copy (a reflink where the file system offers one); plain
   * read/write when the kernel or file system refuses it. */
  gboolean ok = TRUE, fallback = FALSE;
  for (;;) {
    ssize_t n = copy_file_range (in, NULL, out, NULL, 1 << 30, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      fallback = errno == ENOSYS || errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP;
      if (!fallback)
        ok = set_errno_error (error, errno, "cannot copy to", dst);
      break;
    }
    if (n == 0)
      break;
  }
  g_autofree char *buf = fallback ? g_malloc (1 << 20) : NULL;
  while (ok && fallback) {
    ssize_t n = read (in, buf, 1 << 20);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      ok = set_errno_error (error, errno, "cannot read", src);
      break;
    }
    if (n == 0)
      break;
    if (!cr_write_all (out, buf, (gsize)n)) {
      ok = set_errno_error (error, errno, "cannot write", dst);
      break;
    }
  }
  if (ok && fsync (out) != 0)
    ok = set_errno_error (error, errno, "cannot fsync", dst);
  close (in);
  close (out);
  return ok;
}

/* The library's own copy of @src at @dst, fsync'd. Returns the size in *@size. Not a hard link:
 * the daemon maps the files it serves, and a worker truncating or rewriting its file in place
 * would then crash it (SIGBUS) or change a published recording. */
static gboolean
place_file (const char *src, const char *dst, gint64 *size, GError **error)
{
  GStatBuf st;
  if (g_lstat (src, &st) != 0 || !S_ISREG (st.st_mode)) { /* no symlinks: they could lead out */
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s is not a regular file", src);
    return FALSE;
  }
  *size = (gint64)st.st_size;
  return copy_file (src, dst, error);
}

/* Removes @dir and the plain files in it (entries hold no subdirectories). */
static void
remove_entry_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  for (const char *n; d != NULL && (n = g_dir_read_name (d)) != NULL;) {
    g_autofree char *p = g_build_filename (dir, n, NULL);
    g_unlink (p);
  }
  g_rmdir (dir);
}

static gboolean
record_id_valid (const char *id)
{
  gsize n = strlen (id);
  if (n > 64)
    return FALSE;
  for (const char *p = id; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;
  }
  return TRUE;
}

/* A VOD-like FileId: 19 decimal digits, "5" + Unix seconds (10) + 8 random digits. */
static char *
new_file_id (gint64 now_s)
{
  return g_strdup_printf ("5%010" G_GINT64_FORMAT "%08u", now_s % 10000000000,
                          (guint)g_random_int_range (0, 100000000));
}

static JsonObject *
entry_to_json (const CrVodEntry *e)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "FileId", e->file_id);
  json_object_set_int_member (o, "SdkAppId", (gint64)e->sdk_app_id);
  json_object_set_string_member (o, "TaskId", e->task_id);
  json_object_set_string_member (o, "Kind", cr_vod_kind_to_string (e->kind));
  json_object_set_string_member (o, "Name", e->name);
  JsonArray *files = json_array_new ();
  for (char **f = e->files; *f != NULL; f++)
    json_array_add_string_element (files, *f);
  json_object_set_array_member (o, "Files", files);
  json_object_set_int_member (o, "Size", e->size);
  json_object_set_int_member (o, "CreatedTime", e->created_s);
  json_object_set_int_member (o, "ExpireAt", e->expire_at_s);
  json_object_set_int_member (o, "SubAppId", (gint64)e->sub_app_id);
  json_object_set_string_member (o, "Procedure", e->procedure);
  json_object_set_int_member (o, "ClassId", e->class_id);
  json_object_set_string_member (o, "SessionContext", e->session_context);
  json_object_set_string_member (o, "SourceContext", e->source_context);
  json_object_set_int_member (o, "MediaType", e->media_type);
  json_object_set_string_member (o, "UserDefineRecordId", e->user_define_record_id);
  json_object_set_string_member (o, "UserId", e->user_id);
  json_object_set_string_member (o, "TrackType", e->track_type);
  json_object_set_string_member (o, "MediaId", e->media_id);
  return o;
}

static char *
dup_member (JsonObject *o, const char *name)
{
  const char *s = cr_json_get_string (o, name);
  return g_strdup (s != NULL ? s : "");
}

static gboolean
entry_from_json (JsonObject *o, CrVodEntry *e)
{
  memset (e, 0, sizeof *e);
  JsonArray *files = cr_json_get_array (o, "Files");
  if (!cr_vod_file_id_valid (cr_json_get_string (o, "FileId")) || files == NULL
      || !cr_vod_kind_from_string (cr_json_get_string (o, "Kind"), &e->kind))
    return FALSE;
  e->file_id = dup_member (o, "FileId");
  e->sdk_app_id = (guint64)cr_json_get_int_or (o, "SdkAppId", 0);
  e->task_id = dup_member (o, "TaskId");
  e->name = dup_member (o, "Name");
  GPtrArray *list = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (files); i++) {
    const char *f = json_node_get_string (json_array_get_element (files, i));
    if (f != NULL && cr_vod_name_valid (f))
      g_ptr_array_add (list, g_strdup (f));
  }
  g_ptr_array_add (list, NULL);
  e->files = (char **)g_ptr_array_free (list, FALSE);
  e->size = cr_json_get_int_or (o, "Size", 0);
  e->created_s = cr_json_get_int_or (o, "CreatedTime", 0);
  e->expire_at_s = cr_json_get_int_or (o, "ExpireAt", 0);
  e->sub_app_id = (guint64)cr_json_get_int_or (o, "SubAppId", 0);
  e->procedure = dup_member (o, "Procedure");
  e->class_id = cr_json_get_int_or (o, "ClassId", 0);
  e->session_context = dup_member (o, "SessionContext");
  e->source_context = dup_member (o, "SourceContext");
  e->media_type = cr_json_get_int_or (o, "MediaType", 0);
  e->user_define_record_id = dup_member (o, "UserDefineRecordId");
  e->user_id = dup_member (o, "UserId");
  e->track_type = dup_member (o, "TrackType");
  e->media_id = dup_member (o, "MediaId");
  return TRUE;
}

static gboolean
bad_input (GError **error, const char *message)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, message);
  return FALSE;
}

/* The files of the entry: [exposed name, segments...] with their sources. */
static gboolean
commit_plan (const CrVodCommit *in, const char *name, GPtrArray *names, GPtrArray *sources,
             GError **error)
{
  g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_add (sources, g_strdup (in->source_path));
  if (in->kind != CR_VOD_KIND_HLS)
    return TRUE;
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!g_file_get_contents (in->source_path, &text, &len, error))
    return FALSE;
  if (len > 16 * 1024 * 1024)
    return bad_input (error, "the playlist is larger than 16 MiB");
  g_autofree char *dir = g_path_get_dirname (in->source_path);
  g_auto (GStrv) segments = cr_vod_m3u8_segments (text, len);
  for (char **s = segments; *s != NULL; s++) {
    if (!cr_vod_name_valid (*s)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "the playlist names a segment \"%s\" the library cannot hold", *s);
      return FALSE;
    }
    gboolean seen = FALSE;
    for (guint i = 0; i < names->len && !seen; i++)
      seen = strcmp (g_ptr_array_index (names, i), *s) == 0;
    if (seen && strcmp (*s, name) == 0) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "a segment has the playlist's name \"%s\"", *s);
      return FALSE;
    }
    if (seen)
      continue;
    g_ptr_array_add (names, g_strdup (*s));
    g_ptr_array_add (sources, g_build_filename (dir, *s, NULL));
  }
  return TRUE;
}

gboolean
cr_vod_library_commit (CrVodLibrary *lib, const CrVodCommit *in, CrVodEntry *out, GError **error)
{
  memset (out, 0, sizeof *out);
  if ((guint)in->kind >= G_N_ELEMENTS (kind_names))
    return bad_input (error, "unknown media kind");
  if (in->source_path == NULL || !g_path_is_absolute (in->source_path))
    return bad_input (error, "the source must be an absolute path");
  if (!cr_vod_name_valid (in->name))
    return bad_input (error, "the name must be a plain file name (no '/', not starting with '.')");
  const char *record_id = in->user_define_record_id != NULL ? in->user_define_record_id : "";
  if (!record_id_valid (record_id))
    return bad_input (error, "UserDefineRecordId must be at most 64 of [A-Za-z0-9_-]");
  if (in->expire_time_s < 0)
    return bad_input (error, "ExpireTime must not be negative");
  g_autofree char *name = *record_id != '\0'
                              ? g_strdup_printf ("%s__UserDefine_u_%s", record_id, in->name)
                              : g_strdup (in->name);
  if (!cr_vod_name_valid (name))
    return bad_input (error, "the exposed name is too long");

  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func (g_free);
  if (!commit_plan (in, name, names, sources, error))
    return FALSE;

  gint64 now_s = g_get_real_time () / G_USEC_PER_SEC;
  /* Reserve the FileId: mkdir is atomic, so two commits never share one. */
  g_autofree char *file_id = NULL;
  g_autofree char *final_dir = NULL;
  for (guint attempt = 0; final_dir == NULL; attempt++) {
    g_free (file_id);
    file_id = new_file_id (now_s);
    g_autofree char *dir = g_build_filename (lib->root, file_id, NULL);
    if (g_mkdir (dir, 0700) == 0)
      final_dir = g_steal_pointer (&dir);
    else if (errno != EEXIST || attempt >= 16)
      return set_errno_error (error, errno, "cannot create", dir);
  }
  g_autofree char *incoming_name = g_strconcat (INCOMING_PREFIX, file_id, NULL);
  g_autofree char *incoming = g_build_filename (lib->root, incoming_name, NULL);
  if (g_mkdir (incoming, 0700) != 0) {
    set_errno_error (error, errno, "cannot create", incoming);
    g_rmdir (final_dir);
    return FALSE;
  }

  CrVodEntry e = { 0 };
  e.file_id = g_strdup (file_id);
  e.sdk_app_id = in->sdk_app_id;
  e.task_id = g_strdup (in->task_id != NULL ? in->task_id : "");
  e.kind = in->kind;
  e.name = g_strdup (name);
  e.created_s = now_s;
  e.expire_at_s = in->expire_time_s > 0 ? now_s + in->expire_time_s : 0;
  e.sub_app_id = in->sub_app_id;
  e.procedure = g_strdup (in->procedure != NULL ? in->procedure : "");
  e.class_id = in->class_id;
  e.session_context = g_strdup (in->session_context != NULL ? in->session_context : "");
  e.source_context = g_strdup (in->source_context != NULL ? in->source_context : "");
  e.media_type = in->media_type;
  e.user_define_record_id = g_strdup (record_id);
  e.user_id = g_strdup (in->user_id != NULL ? in->user_id : "");
  e.track_type = g_strdup (in->track_type != NULL ? in->track_type : "");
  e.media_id = g_strdup (in->media_id != NULL ? in->media_id : "");
  GPtrArray *files = g_ptr_array_new ();
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < names->len; i++) {
    g_autofree char *dst = g_build_filename (incoming, g_ptr_array_index (names, i), NULL);
    gint64 size = 0;
    ok = place_file (g_ptr_array_index (sources, i), dst, &size, error);
    e.size += size;
    g_ptr_array_add (files, g_strdup (g_ptr_array_index (names, i)));
  }
  g_ptr_array_add (files, NULL);
  e.files = (char **)g_ptr_array_free (files, FALSE);
  if (ok) {
    g_autoptr (JsonObject) meta = entry_to_json (&e);
    g_autofree char *text = cr_json_object_to_string (meta);
    g_autofree char *meta_path = g_build_filename (incoming, META_NAME, NULL);
    ok = cr_file_replace_durably (meta_path, text, strlen (text), error)
         && fsync_path (incoming, TRUE, error);
  }
  /* rename(2) replaces the empty reserved directory: the entry appears whole. */
  if (ok && g_rename (incoming, final_dir) != 0)
    ok = set_errno_error (error, errno, "cannot rename to", final_dir);
  if (!ok) {
    remove_entry_dir (incoming);
    g_rmdir (final_dir);
    cr_vod_entry_clear (&e);
    return FALSE;
  }
  fsync_path (lib->root, TRUE, NULL);
  e.video_url = cr_vod_library_sign_url (lib, file_id, name);
  *out = e;
  g_info ("vod: stored %s (%s, %" G_GINT64_FORMAT " bytes, task %s)", file_id, name, e.size,
          e.task_id);
  return TRUE;
}

/* ---- lookup, sweep ---- */

static gboolean
read_meta (CrVodLibrary *lib, const char *file_id, CrVodEntry *out, GError **error)
{
  g_autofree char *path = g_build_filename (lib->root, file_id, META_NAME, NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &text, &len, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no VOD file %s", file_id);
    return FALSE;
  }
  g_autoptr (JsonObject) o = cr_json_parse_object (text, len, NULL);
  if (o == NULL || !entry_from_json (o, out) || strcmp (out->file_id, file_id) != 0) {
    cr_vod_entry_clear (out);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is damaged", path);
    return FALSE;
  }
  return TRUE;
}

gboolean
cr_vod_library_lookup (CrVodLibrary *lib, const char *file_id, gint64 now_s, CrVodEntry *out,
                       GError **error)
{
  memset (out, 0, sizeof *out);
  if (!cr_vod_file_id_valid (file_id)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no VOD file %s", file_id);
    return FALSE;
  }
  if (!read_meta (lib, file_id, out, error))
    return FALSE;
  if (out->expire_at_s > 0 && now_s >= out->expire_at_s) {
    cr_vod_entry_clear (out);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "VOD file %s has expired", file_id);
    return FALSE;
  }
  return TRUE;
}

guint
cr_vod_library_sweep (CrVodLibrary *lib, gint64 now_s)
{
  g_autoptr (GDir) d = g_dir_open (lib->root, 0, NULL);
  guint removed = 0;
  for (const char *n; d != NULL && (n = g_dir_read_name (d)) != NULL;) {
    g_autofree char *dir = g_build_filename (lib->root, n, NULL);
    gboolean incoming = g_str_has_prefix (n, INCOMING_PREFIX);
    if (!incoming && !cr_vod_file_id_valid (n))
      continue;
    CrVodEntry e = { 0 };
    if (!incoming && read_meta (lib, n, &e, NULL)) {
      gboolean expired = e.expire_at_s > 0 && now_s >= e.expire_at_s;
      cr_vod_entry_clear (&e);
      if (expired) {
        remove_entry_dir (dir);
        removed++;
        g_info ("vod: removed %s (its ExpireTime passed)", n);
      }
      continue;
    }
    /* A commit that died: its staging directory, or a reservation it never filled. */
    GStatBuf st;
    if (g_stat (dir, &st) == 0 && S_ISDIR (st.st_mode) && now_s - st.st_mtime > LEFTOVER_AGE_S) {
      g_autofree char *meta = g_build_filename (dir, META_NAME, NULL);
      if (incoming || !g_file_test (meta, G_FILE_TEST_EXISTS)) {
        remove_entry_dir (dir);
        g_info ("vod: removed %s, left by a commit that did not finish", n);
      }
    }
  }
  return removed;
}
