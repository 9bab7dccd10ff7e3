/* The CrTaskStore conformance suite: one set of GLib test cases every store implementation must
 * pass, so that SQLite and PostgreSQL behave identically behind the API.
 *
 * Why a registration function rather than a test program: each backend has its own way to make an
 * empty store (a new file, a fresh schema), so the backend's test program supplies @open_fresh and
 * the suite supplies the cases. Every case calls @open_fresh once, runs against that empty store
 * and closes it; cases never share state and may run in any order. */
#pragma once

#include "store/task_store.h"

G_BEGIN_DECLS

/* Returns a new, empty store, or NULL with @error set (the case then fails). */
typedef CrTaskStore *(*CrStoreOpenFresh) (gpointer user_data, GError **error);

/* Registers every conformance case as "<prefix>/<case>" (g_test_add_data_func_full). Call
 * between g_test_init and g_test_run; @user_data must stay valid until g_test_run returns. */
void cr_store_conformance_register (const char *prefix,
                                    CrTaskStore *(*open_fresh) (gpointer user_data, GError **error),
                                    gpointer user_data);

G_END_DECLS
