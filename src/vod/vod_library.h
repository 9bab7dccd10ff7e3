/* The VOD library: cloudrec's own counterpart of Tencent VOD, where recordings of tasks with
 * StorageParams.CloudVod.TencentVod end up (reference trtc-api.md §6.7; callback 311 reports the
 * FileId and VideoUrl it gives).
 *
 * Why a directory per entry with a meta.json: an entry is one recording as VOD knows it (an MP4,
 * an AAC, or an HLS playlist with its segments), addressed by a FileId; everything about it is in
 * <root>/<FileId>/, so removing an entry is removing one directory, and the HTTP side
 * (vod_http.h) serves only the files meta.json lists, so nothing else in the tree can leak. An
 * entry appears whole or not at all: it is built in <root>/.incoming-<FileId>/ (files and
 * meta.json fsync'd) and renamed onto the FileId's reserved directory.
 *
 * Not thread-safe: the daemon uses it from its main loop. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  CR_VOD_KIND_MP4,
  CR_VOD_KIND_HLS,
  CR_VOD_KIND_AAC,
} CrVodKind;

const char *cr_vod_kind_to_string (CrVodKind kind);
gboolean cr_vod_kind_from_string (const char *s, CrVodKind *out);

/* What a commit stores. Strings may be NULL (stored as ""). */
typedef struct {
  guint64 sdk_app_id;
  const char *task_id;
  /* A local file: the MP4/AAC, or the HLS playlist whose segments (URI lines naming files in the
   * same directory) are stored with it. The library keeps its own copy, fsync'd; the caller may
   * delete the source. */
  const char *source_path;
  CrVodKind kind;
  /* The file name to expose (cr_vod_name_valid); with @user_define_record_id set it becomes
   * "<UserDefineRecordId>__UserDefine_u_<name>" (§6.7). */
  const char *name;
  gint64 expire_time_s; /* TencentVod.ExpireTime: kept this long from now; 0 = forever */
  guint64 sub_app_id;
  const char *procedure;
  gint64 class_id;
  const char *session_context;
  const char *source_context;
  gint64 media_type;                 /* TencentVod.MediaType as requested, stored for reference */
  const char *user_define_record_id; /* ≤ 64 of [A-Za-z0-9_-], or NULL/"" */
  const char *user_id;
  const char *track_type;
  const char *media_id;
} CrVodCommit;

/* An entry as meta.json holds it. */
typedef struct {
  char *file_id;
  guint64 sdk_app_id;
  char *task_id;
  CrVodKind kind;
  char *name;   /* the exposed file (the playlist for HLS) */
  char **files; /* every servable file: name first, then segments */
  gint64 size;  /* bytes of all files */
  gint64 created_s;
  gint64 expire_at_s; /* Unix seconds; 0 = never */
  guint64 sub_app_id;
  char *procedure;
  gint64 class_id;
  char *session_context;
  char *source_context;
  gint64 media_type;
  char *user_define_record_id;
  char *user_id;
  char *track_type;
  char *media_id;
  char *video_url; /* filled by commit (a fresh signed URL); NULL from lookup */
} CrVodEntry;

void cr_vod_entry_clear (CrVodEntry *entry);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CrVodEntry, cr_vod_entry_clear)

typedef struct CrVodLibrary CrVodLibrary;

/* The signing key: @configured when not empty (8..64 letters or digits), else the one in
 * @key_path, else a new random 32-character key written there (mode 0600) and kept for the next
 * start. */
char *cr_vod_key_load (const char *configured, const char *key_path, GError **error);

/* Opens (creating) the library at @root. @key signs URLs (cr_vod_key_load); @public_url is the
 * base of VideoUrls without a trailing '/' (e.g. "http://127.0.0.1:8080"); @ttl_s is how long a
 * signed URL is valid. */
CrVodLibrary *cr_vod_library_open (const char *root, const char *key, const char *public_url,
                                   gint64 ttl_s, GError **error);
void cr_vod_library_free (CrVodLibrary *lib);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrVodLibrary, cr_vod_library_free)

const char *cr_vod_library_root (CrVodLibrary *lib);
const char *cr_vod_library_key (CrVodLibrary *lib);

/* Stores @in as a new entry with a fresh FileId (19 decimal digits, like VOD's) and fills @out
 * (its meta.json, and video_url signed for the library's ttl). G_IO_ERROR_INVALID_ARGUMENT for
 * bad input (kind, name, record id, a missing source or segment), other G_IO_ERRORs for I/O. */
gboolean cr_vod_library_commit (CrVodLibrary *lib, const CrVodCommit *in, CrVodEntry *out,
                                GError **error);

/* A fresh signed URL for @name of @file_id (valid for the library's ttl from now):
 * <public-url>/vod/<FileId>/<name escaped>?t=..&us=..&sign=.. */
char *cr_vod_library_sign_url (CrVodLibrary *lib, const char *file_id, const char *name);

/* Reads the entry @file_id into @out. FALSE with G_IO_ERROR_NOT_FOUND when there is none or
 * when it expired before @now_s (an expired entry is gone even before the sweeper removes it). */
gboolean cr_vod_library_lookup (CrVodLibrary *lib, const char *file_id, gint64 now_s,
                                CrVodEntry *out, GError **error);

/* The path of @name inside the entry @file_id (no checks: callers looked the entry up). */
char *cr_vod_library_file_path (CrVodLibrary *lib, const char *file_id, const char *name);

/* Removes entries whose expiry is before @now_s, and leftovers of commits that died (an
 * .incoming-* directory or a reserved directory without meta.json, older than an hour). Returns
 * the number of entries removed. */
guint cr_vod_library_sweep (CrVodLibrary *lib, gint64 now_s);

G_END_DECLS
