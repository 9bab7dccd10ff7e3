/* The CrTaskStore conformance cases; conformance.h explains how a backend runs them.
 *
 * Every case compares whole records field by field: a store that drops or truncates a column must
 * fail here, not in an API test three layers up. */
#include "conformance.h"

#include <string.h>

#include "common/api_error.h"

#define APP_A G_GUINT64_CONSTANT (1400000001)
#define APP_B G_GUINT64_CONSTANT (1400000002)
#define APP_BIG G_GUINT64_CONSTANT (1099511627776) /* 2^40: needs 64-bit storage */
#define T0 G_GINT64_CONSTANT (1700000000000)       /* a Unix ms time */
#define HOUR_MS G_GINT64_CONSTANT (3600000)

typedef void (*CaseFunc) (CrTaskStore *store);

typedef struct {
  CrStoreOpenFresh open_fresh;
  gpointer user_data;
  CaseFunc func;
} CaseData;

/* ---- helpers ------------------------------------------------------------------------------- */

static CrTask *
make_task (const char *task_id, guint64 sdk_app_id, gint64 created_ms)
{
  CrTask *task = cr_task_new ();
  task->task_id = g_strdup (task_id);
  task->sdk_app_id = sdk_app_id;
  task->room_id = g_strdup_printf ("room-%s", task_id);
  task->room_id_type = 0;
  task->user_id = g_strdup_printf ("robot_%s", task_id);
  task->status = CR_TASK_IDLE;
  task->leave_code = -1;
  task->params_json = g_strdup_printf ("{\"TaskId\":\"%s\",\"MaxIdleTime\":30}", task_id);
  task->revision = 0;
  task->created_ms = created_ms;
  task->updated_ms = created_ms;
  task->expires_ms = created_ms + 72 * HOUR_MS;
  task->ended_ms = 0;
  return task;
}

static void
assert_task_equal (const CrTask *got, const CrTask *want)
{
  g_assert_nonnull (got);
  g_assert_cmpstr (got->task_id, ==, want->task_id);
  g_assert_cmpuint (got->sdk_app_id, ==, want->sdk_app_id);
  g_assert_cmpstr (got->room_id, ==, want->room_id);
  g_assert_cmpint (got->room_id_type, ==, want->room_id_type);
  g_assert_cmpstr (got->user_id, ==, want->user_id);
  g_assert_cmpint (got->status, ==, want->status);
  g_assert_cmpint (got->leave_code, ==, want->leave_code);
  g_assert_cmpuint (strlen (got->params_json), ==, strlen (want->params_json));
  g_assert_cmpstr (got->params_json, ==, want->params_json);
  g_assert_cmpint (got->revision, ==, want->revision);
  g_assert_cmpint (got->created_ms, ==, want->created_ms);
  g_assert_cmpint (got->updated_ms, ==, want->updated_ms);
  g_assert_cmpint (got->expires_ms, ==, want->expires_ms);
  g_assert_cmpint (got->ended_ms, ==, want->ended_ms);
  g_assert_cmpint (got->failovers, ==, want->failovers);
  g_assert_cmpint (got->finished_ms, ==, want->finished_ms);
}

static void
assert_file (const CrTaskFile *got, const char *task_id, const char *file_name, const char *user_id,
             const char *track_type, gint64 begin_ts_ms)
{
  g_assert_nonnull (got);
  g_assert_cmpstr (got->task_id, ==, task_id);
  g_assert_cmpstr (got->file_name, ==, file_name);
  g_assert_cmpstr (got->user_id, ==, user_id);
  g_assert_cmpstr (got->track_type, ==, track_type);
  g_assert_cmpint (got->begin_ts_ms, ==, begin_ts_ms);
}

static void
insert_ok (CrTaskStore *store, const CrTask *task, gint64 max_active)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (store->vt->insert (store, task, max_active, &error));
  g_assert_no_error (error);
}

static CrTask *
lookup_ok (CrTaskStore *store, guint64 sdk_app_id, const char *task_id)
{
  g_autoptr (GError) error = NULL;
  CrTask *task = store->vt->lookup (store, sdk_app_id, task_id, &error);
  g_assert_no_error (error);
  return task;
}

static void
set_status_ok (CrTaskStore *store, guint64 sdk_app_id, const char *task_id, CrTaskStatus status,
               int leave_code, gint64 now_ms)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (
      store->vt->set_status (store, sdk_app_id, task_id, status, leave_code, now_ms, NULL, &error));
  g_assert_no_error (error);
}

static void
put_file_ok (CrTaskStore *store, const char *task_id, const char *file_name, const char *user_id,
             const char *track_type, gint64 begin_ts_ms)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrTaskFile) file
      = cr_task_file_new (task_id, file_name, user_id, track_type, begin_ts_ms);
  g_assert_true (store->vt->put_file (store, file, &error));
  g_assert_no_error (error);
}

static GPtrArray *
list_files_ok (CrTaskStore *store, const char *task_id)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *files = store->vt->list_files (store, task_id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (files);
  return files;
}

static gint64
count_ok (CrTaskStore *store, guint64 sdk_app_id)
{
  g_autoptr (GError) error = NULL;
  gint64 n = store->vt->count_active (store, sdk_app_id, &error);
  g_assert_no_error (error);
  return n;
}

static void
assert_api_error (GError *error, const char *code)
{
  g_assert_nonnull (error);
  g_assert_cmpstr (cr_api_error_code (error), ==, code);
  g_assert_nonnull (error->message);
  g_assert_cmpstr (error->message, !=, "");
}

/* ---- cases --------------------------------------------------------------------------------- */

static void
case_round_trip (CrTaskStore *store)
{
  g_autoptr (CrTask) task = make_task ("T-roundtrip_1.x", APP_BIG, T0);
  g_free (task->room_id);
  task->room_id = g_strdup ("会议室-🎥-Ärger"); /* UTF-8, a 4-byte sequence included */
  task->room_id_type = 0;
  g_free (task->user_id);
  task->user_id = g_strdup ("robot_录制");
  task->status = CR_TASK_IN_PROGRESS;
  task->leave_code = -1;
  task->revision = 7;
  task->updated_ms = T0 + 1234;
  task->expires_ms = T0 + 24 * HOUR_MS;

  /* ~100 KB of params: ASCII '#'..'[' (no quote, no backslash) with some UTF-8 mixed in. */
  GString *params = g_string_new ("{\"Blob\":\"");
  for (guint i = 0; params->len < 100 * 1024; i++) {
    g_string_append_c (params, (char)('#' + i % 57));
    if (i % 1000 == 0)
      g_string_append (params, "é");
  }
  g_string_append (params, "\"}");
  g_free (task->params_json);
  task->params_json = g_string_free (params, FALSE);

  insert_ok (store, task, 100);
  g_autoptr (CrTask) got = lookup_ok (store, APP_BIG, task->task_id);
  assert_task_equal (got, task);

  /* An integer room and an exited record round-trip too. */
  g_autoptr (CrTask) other = make_task ("T-int-room", APP_A, T0 + 5);
  g_free (other->room_id);
  other->room_id = g_strdup ("4294967295");
  other->room_id_type = 1;
  other->status = CR_TASK_EXITED;
  other->leave_code = 3;
  other->ended_ms = T0 + 99;
  insert_ok (store, other, 100);
  g_autoptr (CrTask) got_other = lookup_ok (store, APP_A, "T-int-room");
  assert_task_equal (got_other, other);

  /* The returned record is the caller's copy. */
  g_free (got->room_id);
  got->room_id = g_strdup ("changed");
  g_autoptr (CrTask) again = lookup_ok (store, APP_BIG, task->task_id);
  assert_task_equal (again, task);
}

static void
case_duplicate_task_id (CrTaskStore *store)
{
  g_autoptr (CrTask) first = make_task ("T-dup", APP_A, T0);
  insert_ok (store, first, 100);

  g_autoptr (CrTask) second = make_task ("T-dup", APP_A, T0 + 10);
  g_free (second->params_json);
  second->params_json = g_strdup ("{\"second\":true}");
  g_autoptr (GError) error = NULL;
  g_assert_false (store->vt->insert (store, second, 100, &error));
  assert_api_error (error, "InternalError.DBError");
  g_clear_error (&error);

  /* The same id under another app is still a duplicate: task ids are global. */
  second->sdk_app_id = APP_B;
  g_assert_false (store->vt->insert (store, second, 100, &error));
  assert_api_error (error, "InternalError.DBError");

  g_autoptr (CrTask) got = lookup_ok (store, APP_A, "T-dup");
  assert_task_equal (got, first);
  g_autoptr (CrTask) none = lookup_ok (store, APP_B, "T-dup");
  g_assert_null (none);
  g_assert_cmpint (count_ok (store, APP_A), ==, 1);
  g_assert_cmpint (count_ok (store, APP_B), ==, 0);
}

static void
case_lookup_unknown (CrTaskStore *store)
{
  g_autoptr (CrTask) none = lookup_ok (store, APP_A, "T-nope");
  g_assert_null (none);

  g_autoptr (CrTask) task = make_task ("T-known", APP_A, T0);
  insert_ok (store, task, 100);
  g_autoptr (CrTask) still_none = lookup_ok (store, APP_A, "T-nope");
  g_assert_null (still_none);
  g_autoptr (CrTask) prefix = lookup_ok (store, APP_A, "T-know");
  g_assert_null (prefix);
  g_autoptr (CrTask) empty = lookup_ok (store, APP_A, "");
  g_assert_null (empty);
}

static void
case_lookup_wrong_app (CrTaskStore *store)
{
  g_autoptr (CrTask) task = make_task ("T-mine", APP_A, T0);
  insert_ok (store, task, 100);
  g_autoptr (CrTask) theirs = lookup_ok (store, APP_B, "T-mine");
  g_assert_null (theirs);
  g_autoptr (CrTask) mine = lookup_ok (store, APP_A, "T-mine");
  assert_task_equal (mine, task);
}

static void
case_quota (CrTaskStore *store)
{
  const gint64 max = 3;
  for (int i = 0; i < max; i++) {
    g_autofree char *id = g_strdup_printf ("T-a%d", i);
    g_autoptr (CrTask) task = make_task (id, APP_A, T0 + i);
    insert_ok (store, task, max);
  }
  g_assert_cmpint (count_ok (store, APP_A), ==, max);

  g_autoptr (CrTask) over = make_task ("T-a-over", APP_A, T0 + 10);
  g_autoptr (GError) error = NULL;
  g_assert_false (store->vt->insert (store, over, max, &error));
  assert_api_error (error, "FailedOperation.RestrictedConcurrency");
  g_assert_cmpstr (error->message, ==,
                   "SdkAppId 1400000001 already has 3 recording tasks running; the limit is 3");
  g_clear_error (&error);
  g_autoptr (CrTask) not_stored = lookup_ok (store, APP_A, "T-a-over");
  g_assert_null (not_stored);
  g_assert_cmpint (count_ok (store, APP_A), ==, max);

  /* Another app has its own quota. */
  for (int i = 0; i < max; i++) {
    g_autofree char *id = g_strdup_printf ("T-b%d", i);
    g_autoptr (CrTask) task = make_task (id, APP_B, T0 + i);
    insert_ok (store, task, max);
  }
  g_assert_cmpint (count_ok (store, APP_B), ==, max);

  /* An InProgress task still counts; an exited one frees its slot. */
  set_status_ok (store, APP_A, "T-a1", CR_TASK_IN_PROGRESS, -1, T0 + 20);
  g_assert_false (store->vt->insert (store, over, max, &error));
  assert_api_error (error, "FailedOperation.RestrictedConcurrency");
  g_clear_error (&error);
  set_status_ok (store, APP_A, "T-a1", CR_TASK_EXITED, 0, T0 + 30);
  g_assert_cmpint (count_ok (store, APP_A), ==, max - 1);
  insert_ok (store, over, max);
  g_assert_cmpint (count_ok (store, APP_A), ==, max);

  g_autoptr (CrTask) over2 = make_task ("T-a-over2", APP_A, T0 + 40);
  g_assert_false (store->vt->insert (store, over2, max, &error));
  assert_api_error (error, "FailedOperation.RestrictedConcurrency");
  g_clear_error (&error);

  /* The limit is the caller's: a larger one lets the insert through, a limit of 1 stops it. */
  insert_ok (store, over2, max + 1);
  g_autoptr (CrTask) c1 = make_task ("T-c", G_GUINT64_CONSTANT (1400000003), T0);
  insert_ok (store, c1, 1);
  g_autoptr (CrTask) c2 = make_task ("T-c2", G_GUINT64_CONSTANT (1400000003), T0);
  g_assert_false (store->vt->insert (store, c2, 1, &error));
  g_assert_cmpstr (error->message, ==,
                   "SdkAppId 1400000003 already has 1 recording tasks running; the limit is 1");
}

static void
case_update_params (CrTaskStore *store)
{
  g_autoptr (CrTask) task = make_task ("T-upd", APP_A, T0);
  insert_ok (store, task, 100);
  g_autoptr (CrTask) bystander = make_task ("T-bystander", APP_A, T0);
  insert_ok (store, bystander, 100);

  g_autoptr (GError) error = NULL;
  g_assert_true (
      store->vt->update_params (store, APP_A, "T-upd", "{\"MaxIdleTime\":60}", T0 + 500, &error));
  g_assert_no_error (error);
  g_free (task->params_json);
  task->params_json = g_strdup ("{\"MaxIdleTime\":60}");
  task->revision = 1;
  task->updated_ms = T0 + 500;
  g_autoptr (CrTask) got = lookup_ok (store, APP_A, "T-upd");
  assert_task_equal (got, task);

  /* A shorter text replaces the whole value; the revision keeps counting. */
  g_assert_true (store->vt->update_params (store, APP_A, "T-upd", "{}", T0 + 900, &error));
  g_assert_no_error (error);
  g_free (task->params_json);
  task->params_json = g_strdup ("{}");
  task->revision = 2;
  task->updated_ms = T0 + 900;
  g_autoptr (CrTask) got2 = lookup_ok (store, APP_A, "T-upd");
  assert_task_equal (got2, task);

  /* Still updatable while InProgress. */
  set_status_ok (store, APP_A, "T-upd", CR_TASK_IN_PROGRESS, -1, T0 + 950);
  g_assert_true (store->vt->update_params (store, APP_A, "T-upd", "{\"x\":1}", T0 + 990, &error));
  g_assert_no_error (error);
  g_autoptr (CrTask) got3 = lookup_ok (store, APP_A, "T-upd");
  g_assert_cmpint (got3->revision, ==, 3);
  g_assert_cmpint (got3->updated_ms, ==, T0 + 990);
  g_assert_cmpstr (got3->params_json, ==, "{\"x\":1}");

  /* Another app cannot modify it. */
  g_assert_false (
      store->vt->update_params (store, APP_B, "T-upd", "{\"evil\":1}", T0 + 999, &error));
  assert_api_error (error, "ResourceNotFound");
  g_autoptr (CrTask) got4 = lookup_ok (store, APP_A, "T-upd");
  g_assert_cmpint (got4->revision, ==, 3);
  g_assert_cmpstr (got4->params_json, ==, "{\"x\":1}");

  g_autoptr (CrTask) untouched = lookup_ok (store, APP_A, "T-bystander");
  assert_task_equal (untouched, bystander);
}

static void
case_unknown_task_not_found (CrTaskStore *store)
{
  g_autoptr (GError) error = NULL;
  g_assert_false (store->vt->update_params (store, APP_A, "T-ghost", "{}", T0, &error));
  assert_api_error (error, "ResourceNotFound");
  g_clear_error (&error);
  g_assert_false (
      store->vt->set_status (store, APP_A, "T-ghost", CR_TASK_IN_PROGRESS, -1, T0, NULL, &error));
  assert_api_error (error, "ResourceNotFound");
  g_clear_error (&error);
  g_assert_false (
      store->vt->set_status (store, APP_A, "T-ghost", CR_TASK_EXITED, 0, T0, NULL, &error));
  assert_api_error (error, "ResourceNotFound");
  g_clear_error (&error);

  /* Nothing was created by the failed calls. */
  g_autoptr (CrTask) none = lookup_ok (store, APP_A, "T-ghost");
  g_assert_null (none);
  g_assert_cmpint (count_ok (store, APP_A), ==, 0);

  /* Another app's task is unknown too, and stays untouched. */
  g_autoptr (CrTask) task = make_task ("T-other-app", APP_B, T0);
  insert_ok (store, task, 100);
  g_assert_false (
      store->vt->set_status (store, APP_A, "T-other-app", CR_TASK_EXITED, 1, T0 + 1, NULL, &error));
  assert_api_error (error, "ResourceNotFound");
  g_autoptr (CrTask) got = lookup_ok (store, APP_B, "T-other-app");
  assert_task_equal (got, task);
}

static void
case_status_lifecycle (CrTaskStore *store)
{
  g_autoptr (CrTask) task = make_task ("T-life", APP_A, T0);
  insert_ok (store, task, 100);

  /* A leave code given with a non-exit status is ignored. */
  set_status_ok (store, APP_A, "T-life", CR_TASK_IN_PROGRESS, 7, T0 + 100);
  task->status = CR_TASK_IN_PROGRESS;
  g_autoptr (CrTask) in_progress = lookup_ok (store, APP_A, "T-life");
  assert_task_equal (in_progress, task);

  set_status_ok (store, APP_A, "T-life", CR_TASK_IDLE, -1, T0 + 200);
  task->status = CR_TASK_IDLE;
  g_autoptr (CrTask) idle = lookup_ok (store, APP_A, "T-life");
  assert_task_equal (idle, task);

  /* Setting the current status again is allowed. */
  set_status_ok (store, APP_A, "T-life", CR_TASK_IDLE, -1, T0 + 250);
  g_autoptr (CrTask) idle2 = lookup_ok (store, APP_A, "T-life");
  assert_task_equal (idle2, task);

  set_status_ok (store, APP_A, "T-life", CR_TASK_EXITED, 2, T0 + 300);
  task->status = CR_TASK_EXITED;
  task->leave_code = 2;
  task->ended_ms = T0 + 300;
  g_autoptr (CrTask) exited = lookup_ok (store, APP_A, "T-life");
  assert_task_equal (exited, task);
}

static void
case_exited_is_final (CrTaskStore *store)
{
  g_autoptr (CrTask) task = make_task ("T-final", APP_A, T0);
  insert_ok (store, task, 100);
  set_status_ok (store, APP_A, "T-final", CR_TASK_EXITED, 0, T0 + 10);
  task->status = CR_TASK_EXITED;
  task->leave_code = 0;
  task->ended_ms = T0 + 10;

  g_autoptr (GError) error = NULL;
  g_assert_false (
      store->vt->set_status (store, APP_A, "T-final", CR_TASK_EXITED, 5, T0 + 20, NULL, &error));
  assert_api_error (error, "ResourceNotFound");
  g_clear_error (&error);
  g_assert_false (store->vt->set_status (store, APP_A, "T-final", CR_TASK_IN_PROGRESS, -1, T0 + 30,
                                         NULL, &error));
  assert_api_error (error, "ResourceNotFound");
  g_clear_error (&error);
  g_assert_false (
      store->vt->set_status (store, APP_A, "T-final", CR_TASK_IDLE, -1, T0 + 40, NULL, &error));
  assert_api_error (error, "ResourceNotFound");
  g_clear_error (&error);
  g_assert_false (
      store->vt->update_params (store, APP_A, "T-final", "{\"late\":1}", T0 + 50, &error));
  assert_api_error (error, "ResourceNotFound");

  g_autoptr (CrTask) got = lookup_ok (store, APP_A, "T-final");
  assert_task_equal (got, task);
}

static void
case_count_and_list_active (CrTaskStore *store)
{
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (count_ok (store, APP_A), ==, 0);
  g_autoptr (GPtrArray) empty = store->vt->list_active (store, &error);
  g_assert_no_error (error);
  g_assert_nonnull (empty);
  g_assert_cmpuint (empty->len, ==, 0);

  /* Inserted out of creation order, across two apps. */
  g_autoptr (CrTask) t3 = make_task ("T-3", APP_A, T0 + 300);
  g_autoptr (CrTask) t1 = make_task ("T-1", APP_A, T0 + 100);
  g_autoptr (CrTask) t2 = make_task ("T-2", APP_A, T0 + 200);
  g_autoptr (CrTask) t4 = make_task ("T-4", APP_B, T0 + 150);
  g_autoptr (CrTask) t5 = make_task ("T-5", APP_B, T0 + 50);
  insert_ok (store, t3, 100);
  insert_ok (store, t1, 100);
  insert_ok (store, t2, 100);
  insert_ok (store, t4, 100);
  insert_ok (store, t5, 100);
  set_status_ok (store, APP_A, "T-2", CR_TASK_EXITED, 0, T0 + 400);
  set_status_ok (store, APP_B, "T-5", CR_TASK_EXITED, 1, T0 + 400);
  set_status_ok (store, APP_A, "T-3", CR_TASK_IN_PROGRESS, -1, T0 + 400);
  t3->status = CR_TASK_IN_PROGRESS;

  g_assert_cmpint (count_ok (store, APP_A), ==, 2);
  g_assert_cmpint (count_ok (store, APP_B), ==, 1);
  g_assert_cmpint (count_ok (store, G_GUINT64_CONSTANT (1400000009)), ==, 0);

  g_autoptr (GPtrArray) active = store->vt->list_active (store, &error);
  g_assert_no_error (error);
  g_assert_nonnull (active);
  g_assert_cmpuint (active->len, ==, 3);
  assert_task_equal (g_ptr_array_index (active, 0), t1);
  assert_task_equal (g_ptr_array_index (active, 1), t4);
  assert_task_equal (g_ptr_array_index (active, 2), t3);
}

static void
case_files_put_and_list (CrTaskStore *store)
{
  g_autoptr (CrTask) task = make_task ("T-files", APP_A, T0);
  insert_ok (store, task, 100);

  put_file_ok (store, "T-files", "b.m3u8", "alice", "audio_video", T0 + 200);
  put_file_ok (store, "T-files", "z.m3u8", "", "audio_video", T0 + 100);
  put_file_ok (store, "T-files", "a.m3u8", "bob", "audio", T0 + 200);
  put_file_ok (store, "T-files", "B.m3u8", "carol", "video", T0 + 200);

  g_autoptr (GPtrArray) files = list_files_ok (store, "T-files");
  g_assert_cmpuint (files->len, ==, 4);
  assert_file (g_ptr_array_index (files, 0), "T-files", "z.m3u8", "", "audio_video", T0 + 100);
  /* Same begin time: by file name, byte order ("B" < "a" < "b"). */
  assert_file (g_ptr_array_index (files, 1), "T-files", "B.m3u8", "carol", "video", T0 + 200);
  assert_file (g_ptr_array_index (files, 2), "T-files", "a.m3u8", "bob", "audio", T0 + 200);
  assert_file (g_ptr_array_index (files, 3), "T-files", "b.m3u8", "alice", "audio_video", T0 + 200);

  /* Same task + file name replaces every other field, no duplicate row. */
  put_file_ok (store, "T-files", "b.m3u8", "dave", "video", T0 + 50);
  g_autoptr (GPtrArray) replaced = list_files_ok (store, "T-files");
  g_assert_cmpuint (replaced->len, ==, 4);
  assert_file (g_ptr_array_index (replaced, 0), "T-files", "b.m3u8", "dave", "video", T0 + 50);
  assert_file (g_ptr_array_index (replaced, 1), "T-files", "z.m3u8", "", "audio_video", T0 + 100);

  /* Files can still be reported for an exited task (the last segment is closed on stop). */
  set_status_ok (store, APP_A, "T-files", CR_TASK_EXITED, 0, T0 + 1000);
  put_file_ok (store, "T-files", "late.m3u8", "erin", "audio", T0 + 900);
  g_autoptr (GPtrArray) after_exit = list_files_ok (store, "T-files");
  g_assert_cmpuint (after_exit->len, ==, 5);
  assert_file (g_ptr_array_index (after_exit, 4), "T-files", "late.m3u8", "erin", "audio",
               T0 + 900);
}

static void
case_files_empty (CrTaskStore *store)
{
  g_autoptr (GPtrArray) unknown = list_files_ok (store, "T-nofiles");
  g_assert_cmpuint (unknown->len, ==, 0);

  g_autoptr (CrTask) task = make_task ("T-nofiles", APP_A, T0);
  insert_ok (store, task, 100);
  g_autoptr (GPtrArray) none = list_files_ok (store, "T-nofiles");
  g_assert_cmpuint (none->len, ==, 0);
}

static void
case_files_isolated (CrTaskStore *store)
{
  g_autoptr (CrTask) a = make_task ("T-fa", APP_A, T0);
  g_autoptr (CrTask) b = make_task ("T-fb", APP_B, T0);
  insert_ok (store, a, 100);
  insert_ok (store, b, 100);

  /* The same file name in two tasks is two entries. */
  put_file_ok (store, "T-fa", "index.m3u8", "u1", "audio", T0 + 1);
  put_file_ok (store, "T-fb", "index.m3u8", "u2", "video", T0 + 2);
  put_file_ok (store, "T-fb", "other.m3u8", "u3", "audio_video", T0 + 3);

  g_autoptr (GPtrArray) fa = list_files_ok (store, "T-fa");
  g_assert_cmpuint (fa->len, ==, 1);
  assert_file (g_ptr_array_index (fa, 0), "T-fa", "index.m3u8", "u1", "audio", T0 + 1);

  g_autoptr (GPtrArray) fb = list_files_ok (store, "T-fb");
  g_assert_cmpuint (fb->len, ==, 2);
  assert_file (g_ptr_array_index (fb, 0), "T-fb", "index.m3u8", "u2", "video", T0 + 2);
  assert_file (g_ptr_array_index (fb, 1), "T-fb", "other.m3u8", "u3", "audio_video", T0 + 3);
}

/* Failovers are counted per live task, persist, and stop counting once the task exited. */
static void
case_failovers (CrTaskStore *store)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrTask) task = make_task ("T-ha", APP_A, T0);
  g_autoptr (CrTask) other = make_task ("T-ha-other", APP_A, T0 + 1);
  insert_ok (store, task, 100);
  insert_ok (store, other, 100);
  g_autoptr (CrTask) fresh = lookup_ok (store, APP_A, "T-ha");
  g_assert_cmpint (fresh->failovers, ==, 0);
  for (int n = 1; n <= 4; n++) {
    g_assert_cmpint (store->vt->add_failover (store, APP_A, "T-ha", &error), ==, n);
    g_assert_no_error (error);
  }
  task->failovers = 4;
  g_autoptr (CrTask) got = lookup_ok (store, APP_A, "T-ha");
  assert_task_equal (got, task);
  g_autoptr (CrTask) untouched = lookup_ok (store, APP_A, "T-ha-other");
  assert_task_equal (untouched, other);

  /* Another app's task does not exist; an exited task takes no more workers. */
  g_assert_cmpint (store->vt->add_failover (store, APP_B, "T-ha", &error), ==, -1);
  assert_api_error (error, "ResourceNotFound");
  g_clear_error (&error);
  set_status_ok (store, APP_A, "T-ha", CR_TASK_EXITED, 0, T0 + 5);
  g_assert_cmpint (store->vt->add_failover (store, APP_A, "T-ha", &error), ==, -1);
  assert_api_error (error, "ResourceNotFound");
  g_clear_error (&error);
  g_assert_cmpint (store->vt->add_failover (store, APP_A, "T-nope", &error), ==, -1);
  assert_api_error (error, "ResourceNotFound");
}

/* Only an exited task finishes; the first finish time stays. */
static void
case_finish (CrTaskStore *store)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CrTask) task = make_task ("T-fin", APP_A, T0);
  insert_ok (store, task, 100);
  g_assert_false (store->vt->finish (store, APP_A, "T-fin", T0 + 1, NULL, &error));
  assert_api_error (error, "ResourceNotFound");
  g_clear_error (&error);
  set_status_ok (store, APP_A, "T-fin", CR_TASK_EXITED, 99, T0 + 10);
  g_assert_false (store->vt->finish (store, APP_B, "T-fin", T0 + 11, NULL, &error));
  assert_api_error (error, "ResourceNotFound");
  g_clear_error (&error);
  g_assert_true (store->vt->finish (store, APP_A, "T-fin", T0 + 20, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (store->vt->finish (store, APP_A, "T-fin", T0 + 30, NULL, &error));
  g_assert_no_error (error);
  task->status = CR_TASK_EXITED;
  task->leave_code = 99;
  task->ended_ms = T0 + 10;
  task->finished_ms = T0 + 20;
  g_autoptr (CrTask) got = lookup_ok (store, APP_A, "T-fin");
  assert_task_equal (got, task);
  g_assert_false (store->vt->finish (store, APP_A, "T-none", T0 + 40, NULL, &error));
  assert_api_error (error, "ResourceNotFound");
}

/* Finished tasks by finish time, in a half-open window; live and unfinished ones never. */
static void
case_list_finished (CrTaskStore *store)
{
  g_autoptr (GError) error = NULL;
  const char *ids[] = { "T-lf-b", "T-lf-a", "T-lf-live", "T-lf-exited", "T-lf-late" };
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++) {
    g_autoptr (CrTask) t = make_task (ids[i], i == 1 ? APP_B : APP_A, T0 + i);
    insert_ok (store, t, 100);
  }
  set_status_ok (store, APP_A, "T-lf-b", CR_TASK_EXITED, 0, T0 + 10);
  set_status_ok (store, APP_B, "T-lf-a", CR_TASK_EXITED, 0, T0 + 11);
  set_status_ok (store, APP_A, "T-lf-exited", CR_TASK_EXITED, 0, T0 + 12); /* never finished */
  set_status_ok (store, APP_A, "T-lf-late", CR_TASK_EXITED, 0, T0 + 13);
  g_assert_true (store->vt->finish (store, APP_A, "T-lf-b", T0 + 20, NULL, &error));
  g_assert_true (store->vt->finish (store, APP_B, "T-lf-a", T0 + 20, NULL, &error));
  g_assert_true (store->vt->finish (store, APP_A, "T-lf-late", T0 + 40, NULL, &error));
  g_assert_no_error (error);
  g_autoptr (GPtrArray) all = store->vt->list_finished (store, 0, T0 + 40, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3);
  /* same finish time: by task_id */
  g_assert_cmpstr (((CrTask *)all->pdata[0])->task_id, ==, "T-lf-a");
  g_assert_cmpuint (((CrTask *)all->pdata[0])->sdk_app_id, ==, APP_B);
  g_assert_cmpstr (((CrTask *)all->pdata[1])->task_id, ==, "T-lf-b");
  g_assert_cmpstr (((CrTask *)all->pdata[2])->task_id, ==, "T-lf-late");
  g_assert_cmpint (((CrTask *)all->pdata[2])->finished_ms, ==, T0 + 40);
  g_autoptr (GPtrArray) early = store->vt->list_finished (store, 0, T0 + 39, &error);
  g_assert_cmpuint (early->len, ==, 2);
  g_autoptr (GPtrArray) later = store->vt->list_finished (store, T0 + 20, T0 + 100, &error);
  g_assert_cmpuint (later->len, ==, 1);
  g_assert_cmpstr (((CrTask *)later->pdata[0])->task_id, ==, "T-lf-late");
  g_autoptr (GPtrArray) none = store->vt->list_finished (store, T0 + 40, T0 + 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);
}

/* ---- the outbox's events ---------------------------------------------------------------------- */

static GPtrArray *
events_ok (CrTaskStore *store, guint64 sdk_app_id, const char *task_id)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *events = store->vt->list_events (store, sdk_app_id, task_id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (events);
  return events;
}

static gint64
add_event_ok (CrTaskStore *store, guint64 sdk_app_id, const char *task_id, int type,
              const char *payload, gint64 now_ms)
{
  g_autoptr (GError) error = NULL;
  CrEventNew e = { type, payload };
  gint64 id = store->vt->add_event (store, sdk_app_id, task_id, &e, now_ms, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

/* An event keeps every field, takes the task's room and robot, starts pending and due at once;
 * an unknown task or another app's refuses it. */
static void
case_events_add_and_list (CrTaskStore *store)
{
  g_autoptr (CrTask) task = make_task ("T-ev", APP_A, T0);
  insert_ok (store, task, 10);
  gint64 a = add_event_ok (store, APP_A, "T-ev", 301, "{\"Status\":0}", T0 + 1);
  gint64 b = add_event_ok (store, APP_A, "T-ev", 307, "{}", T0 + 2);
  g_assert_cmpint (b, >, a);
  g_autoptr (GPtrArray) events = events_ok (store, APP_A, "T-ev");
  g_assert_cmpuint (events->len, ==, 2);
  const CrEventRecord *e = g_ptr_array_index (events, 0);
  g_assert_cmpint (e->id, ==, a);
  g_assert_cmpuint (e->sdk_app_id, ==, APP_A);
  g_assert_cmpstr (e->task_id, ==, "T-ev");
  g_assert_cmpstr (e->room_id, ==, "room-T-ev");
  g_assert_cmpstr (e->user_id, ==, "robot_T-ev");
  g_assert_cmpint (e->event_type, ==, 301);
  g_assert_cmpstr (e->payload_json, ==, "{\"Status\":0}");
  g_assert_cmpint (e->created_ms, ==, T0 + 1);
  g_assert_cmpint (e->window_ms, ==, T0 + 1);
  g_assert_cmpint (e->state, ==, CR_EVENT_STATE_PENDING);
  g_assert_cmpint (e->attempts, ==, 0);
  g_assert_cmpint (e->next_ms, ==, T0 + 1);
  g_assert_cmpint (e->delivered_ms, ==, 0);
  g_assert_null (e->last_error);
  g_autoptr (GPtrArray) none = events_ok (store, APP_B, "T-ev");
  g_assert_cmpuint (none->len, ==, 0);

  g_autoptr (GError) error = NULL;
  CrEventNew ev = { 302, "{}" };
  g_assert_cmpint (store->vt->add_event (store, APP_B, "T-ev", &ev, T0, &error), ==, -1);
  assert_api_error (error, "ResourceNotFound");
  g_clear_error (&error);
  g_assert_cmpint (store->vt->add_event (store, APP_A, "T-none", &ev, T0, &error), ==, -1);
  assert_api_error (error, "ResourceNotFound");
  g_assert_cmpint (store->vt->count_pending_events (store, NULL), ==, 2);
}

/* A status change queues its event with it, only when the status changed; a finish only the
 * first time. */
static void
case_events_with_state_changes (CrTaskStore *store)
{
  g_autoptr (CrTask) task = make_task ("T-sc", APP_A, T0);
  insert_ok (store, task, 10);
  g_autoptr (GError) error = NULL;
  CrEventNew start = { 301, "{\"Status\":1}" };
  g_assert_true (
      store->vt->set_status (store, APP_A, "T-sc", CR_TASK_EXITED, 0, T0 + 5, &start, &error));
  g_assert_no_error (error);
  g_assert_false (
      store->vt->set_status (store, APP_A, "T-sc", CR_TASK_EXITED, 0, T0 + 6, &start, &error));
  assert_api_error (error, "ResourceNotFound");
  g_clear_error (&error);
  CrEventNew stop = { 302, "{\"LeaveCode\":0}" };
  g_assert_true (store->vt->finish (store, APP_A, "T-sc", T0 + 7, &stop, &error));
  g_assert_true (store->vt->finish (store, APP_A, "T-sc", T0 + 8, &stop, &error));
  g_assert_no_error (error);
  g_autoptr (GPtrArray) events = events_ok (store, APP_A, "T-sc");
  g_assert_cmpuint (events->len, ==, 2);
  const CrEventRecord *e0 = g_ptr_array_index (events, 0), *e1 = g_ptr_array_index (events, 1);
  g_assert_cmpint (e0->event_type, ==, 301);
  g_assert_cmpint (e0->created_ms, ==, T0 + 5);
  g_assert_cmpint (e1->event_type, ==, 302);
  g_assert_cmpstr (e1->payload_json, ==, "{\"LeaveCode\":0}");
  g_assert_cmpint (e1->created_ms, ==, T0 + 7);
  /* A failed finish (not exited) queues nothing. */
  g_autoptr (CrTask) live = make_task ("T-live", APP_A, T0);
  insert_ok (store, live, 10);
  g_assert_false (store->vt->finish (store, APP_A, "T-live", T0 + 9, &stop, &error));
  assert_api_error (error, "ResourceNotFound");
  g_autoptr (GPtrArray) none = events_ok (store, APP_A, "T-live");
  g_assert_cmpuint (none->len, ==, 0);
}

/* Due: each task's oldest pending event when its time has come, tasks in flight left out; a
 * delivered head lets the next one through; a resend makes events pending again. */
static void
case_events_due_update_resend (CrTaskStore *store)
{
  g_autoptr (CrTask) a = make_task ("T-a", APP_A, T0);
  g_autoptr (CrTask) b = make_task ("T-b", APP_A, T0);
  insert_ok (store, a, 10);
  insert_ok (store, b, 10);
  gint64 a1 = add_event_ok (store, APP_A, "T-a", 301, "{}", T0 + 1);
  gint64 a2 = add_event_ok (store, APP_A, "T-a", 302, "{}", T0 + 2);
  gint64 b1 = add_event_ok (store, APP_A, "T-b", 301, "{}", T0 + 3);
  g_autoptr (GError) error = NULL;

  g_autoptr (GPtrArray) none = store->vt->due_events (store, T0, 10, NULL, &error);
  g_assert_cmpuint (none->len, ==, 0);
  g_autoptr (GPtrArray) due = store->vt->due_events (store, T0 + 10, 10, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (due->len, ==, 2);
  g_assert_cmpint (((CrEventRecord *)g_ptr_array_index (due, 0))->id, ==, a1);
  g_assert_cmpint (((CrEventRecord *)g_ptr_array_index (due, 1))->id, ==, b1);
  g_autoptr (GHashTable) skip = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_add (skip, (gpointer) "T-a");
  g_autoptr (GPtrArray) skipped = store->vt->due_events (store, T0 + 10, 1, skip, &error);
  g_assert_cmpuint (skipped->len, ==, 1);
  g_assert_cmpint (((CrEventRecord *)g_ptr_array_index (skipped, 0))->id, ==, b1);

  /* a1 failed once: retried later; a2 waits behind it. */
  CrEventRecord *head = g_ptr_array_index (due, 0);
  head->attempts = 1;
  head->next_ms = T0 + 100;
  head->last_status = 500;
  head->last_error = g_strdup ("HTTP 500");
  g_assert_true (store->vt->update_event (store, head, &error));
  g_autoptr (GPtrArray) later = store->vt->due_events (store, T0 + 50, 10, NULL, &error);
  g_assert_cmpuint (later->len, ==, 1);
  g_assert_cmpint (((CrEventRecord *)g_ptr_array_index (later, 0))->id, ==, b1);
  head->state = CR_EVENT_STATE_DELIVERED;
  head->attempts = 2;
  head->delivered_ms = T0 + 101;
  head->last_status = 200;
  g_clear_pointer (&head->last_error, g_free);
  g_assert_true (store->vt->update_event (store, head, &error));
  g_autoptr (GPtrArray) next = store->vt->due_events (store, T0 + 101, 10, NULL, &error);
  g_assert_cmpuint (next->len, ==, 2);
  g_assert_cmpint (((CrEventRecord *)g_ptr_array_index (next, 0))->id, ==, a2);
  g_autoptr (GPtrArray) listed = events_ok (store, APP_A, "T-a");
  const CrEventRecord *got = g_ptr_array_index (listed, 0);
  g_assert_cmpint (got->state, ==, CR_EVENT_STATE_DELIVERED);
  g_assert_cmpint (got->attempts, ==, 2);
  g_assert_cmpint (got->delivered_ms, ==, T0 + 101);
  g_assert_cmpint (got->last_status, ==, 200);
  g_assert_null (got->last_error);
  g_assert_cmpint (store->vt->count_pending_events (store, NULL), ==, 2);

  /* Resend one, then all; another app's task resends nothing. */
  g_assert_cmpint (store->vt->resend_events (store, APP_A, "T-a", a1, T0 + 500, &error), ==, 1);
  g_assert_cmpint (store->vt->count_pending_events (store, NULL), ==, 3);
  g_autoptr (GPtrArray) again = events_ok (store, APP_A, "T-a");
  got = g_ptr_array_index (again, 0);
  g_assert_cmpint (got->state, ==, CR_EVENT_STATE_PENDING);
  g_assert_cmpint (got->attempts, ==, 0);
  g_assert_cmpint (got->next_ms, ==, T0 + 500);
  g_assert_cmpint (got->window_ms, ==, T0 + 500);
  g_assert_cmpint (got->created_ms, ==, T0 + 1);
  g_assert_cmpint (store->vt->resend_events (store, APP_A, "T-a", 0, T0 + 600, &error), ==, 2);
  g_assert_cmpint (store->vt->resend_events (store, APP_B, "T-a", 0, T0 + 600, &error), ==, 0);
  g_assert_no_error (error);
}

/* ---- registration -------------------------------------------------------------------------- */

static void
run_case (gconstpointer data)
{
  const CaseData *c = data;
  g_autoptr (GError) error = NULL;
  CrTaskStore *store = c->open_fresh (c->user_data, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  g_assert_cmpuint (store->vt->version, ==, CR_TASK_STORE_VERSION);
  c->func (store);
  cr_task_store_close (store);
}

/* The change listener hears of each successful update_params and set_status, with the task; a
 * refused change (an unknown or exited task) and the reads are not changes. */
typedef struct {
  guint calls;
  guint64 sdk_app_id;
  char *task_id;
} Heard;

static void
heard_change (guint64 sdk_app_id, const char *task_id, gpointer data)
{
  Heard *h = data;
  h->calls++;
  h->sdk_app_id = sdk_app_id;
  g_free (h->task_id);
  h->task_id = g_strdup (task_id);
}

static void
case_change_listener (CrTaskStore *store)
{
  Heard h = { 0 };
  cr_task_store_set_change_func (store, heard_change, &h);
  g_autoptr (CrTask) task = make_task ("T-listened", APP_A, T0);
  insert_ok (store, task, 100);
  g_autoptr (CrTask) got = lookup_ok (store, APP_A, "T-listened");
  g_assert_nonnull (got);
  g_assert_cmpuint (h.calls, ==, 0); /* an insert and a read are not changes */
  g_autoptr (GError) error = NULL;
  g_assert_true (store->vt->update_params (store, APP_A, "T-listened", "{}", T0 + 1, &error));
  g_assert_cmpuint (h.calls, ==, 1);
  g_assert_cmpuint (h.sdk_app_id, ==, APP_A);
  g_assert_cmpstr (h.task_id, ==, "T-listened");
  set_status_ok (store, APP_A, "T-listened", CR_TASK_IN_PROGRESS, 0, T0 + 2);
  g_assert_cmpuint (h.calls, ==, 2);
  set_status_ok (store, APP_A, "T-listened", CR_TASK_EXITED, 101, T0 + 3);
  g_assert_cmpuint (h.calls, ==, 3);
  g_assert_false (store->vt->update_params (store, APP_A, "T-listened", "{}", T0 + 4, &error));
  g_clear_error (&error);
  g_assert_false (store->vt->set_status (store, APP_A, "T-unknown", CR_TASK_IDLE, 0, T0 + 5, NULL,
                                         &error));
  g_assert_cmpuint (h.calls, ==, 3);
  cr_task_store_set_change_func (store, NULL, NULL);
  g_free (h.task_id);
}

static const struct {
  const char *name;
  CaseFunc func;
} cases[] = {
  { "insert-lookup-round-trip", case_round_trip },
  { "insert-duplicate-task-id", case_duplicate_task_id },
  { "lookup-unknown", case_lookup_unknown },
  { "lookup-wrong-app", case_lookup_wrong_app },
  { "quota", case_quota },
  { "update-params", case_update_params },
  { "unknown-task-not-found", case_unknown_task_not_found },
  { "status-lifecycle", case_status_lifecycle },
  { "exited-is-final", case_exited_is_final },
  { "count-and-list-active", case_count_and_list_active },
  { "files-put-and-list", case_files_put_and_list },
  { "files-empty", case_files_empty },
  { "files-isolated", case_files_isolated },
  { "failovers", case_failovers },
  { "finish", case_finish },
  { "list-finished", case_list_finished },
  { "events-add-and-list", case_events_add_and_list },
  { "events-with-state-changes", case_events_with_state_changes },
  { "events-due-update-resend", case_events_due_update_resend },
  { "change-listener", case_change_listener },
};

void
cr_store_conformance_register (const char *prefix,
                               CrTaskStore *(*open_fresh) (gpointer user_data, GError **error),
                               gpointer user_data)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    CaseData *c = g_new0 (CaseData, 1);
    c->open_fresh = open_fresh;
    c->user_data = user_data;
    c->func = cases[i].func;
    g_autofree char *path = g_strdup_printf ("%s/%s", prefix, cases[i].name);
    g_test_add_data_func_full (path, c, run_case, g_free);
  }
}
