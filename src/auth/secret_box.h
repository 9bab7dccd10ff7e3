/* Sealing short secrets (a task's storage SecretKey) before they are written anywhere.
 *
 * Why: the task store keeps each request as JSON and serves it to the worker; a copy of the
 * database, its WAL or a backup must not hand out the customer's storage credentials. A secret is
 * sealed with AES-256-GCM under a key kept beside the database (<data-dir>/secret.key, 0600), as
 * `sealed:v1:<base64url(nonce | ciphertext | tag)>`; GCM's tag means a changed value fails to
 * open instead of opening to garbage. The functions take the key explicitly; the process-wide key
 * (set once at start by the daemon and the worker) exists only for the task-spec reader. A value
 * without the prefix is a plain secret from before sealing and opens as itself. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CR_SECRET_BOX_KEY_LEN 32
#define CR_SECRET_BOX_PREFIX "sealed:v1:"
#define CR_SECRET_BOX_KEY_FILE "secret.key"

/* @plain sealed under @key, with a fresh random nonce. NULL only if the cipher fails. */
char *cr_secret_box_seal (const guchar key[CR_SECRET_BOX_KEY_LEN], const char *plain,
                          GError **error);
/* Whether @text has the sealed form's prefix. */
gboolean cr_secret_box_is_sealed (const char *text);
/* The secret of @text: opened when it is sealed (NULL with an error that never contains it when
 * the key is wrong or missing (@key NULL) or the value was changed), a copy when it is plain. */
char *cr_secret_box_open (const guchar *key, const char *text, GError **error);

/* Reads the key from @path into @key; when the file does not exist and @create, makes one of 32
 * random bytes (mode 0600, durably: temp file, fsync, link, so a concurrent creator's key is
 * never replaced). A file of another size is an error. */
gboolean cr_secret_box_load_key (const char *path, gboolean create,
                                 guchar key[CR_SECRET_BOX_KEY_LEN], GError **error);

/* Loads <@data_dir>/secret.key (creating it if @create) as the process-wide key. Without
 * @create a missing file leaves no key (plain secrets still read) and is not an error. */
gboolean cr_secret_box_init (const char *data_dir, gboolean create, GError **error);
/* Sets (or with NULL clears) the process-wide key directly. */
void cr_secret_box_set_default (const guchar *key);
/* The process-wide key, or NULL. */
const guchar *cr_secret_box_default (void);

G_END_DECLS
