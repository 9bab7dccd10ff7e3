/* Request validation for the TRTC cloud-recording actions.
 *
 * Why table-driven: the TRTC API has a few hundred field rules (types, required members, ranges,
 * enums, list lengths, string charsets, cross-field constraints). Each rule lives in one row of a
 * schema table, so adding a field is adding a row, every rule is testable alone, and the error
 * names the field by its full path ("RecordParams.MaxIdleTime") and the rule it broke.
 *
 * Pure: no I/O, no clocks, no GStreamer; safe to fuzz. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  CR_VALIDATE_JSON = 0, /* POST: JSON types are strict (an integer field must be a JSON integer) */
  CR_VALIDATE_FORM = 1 << 0, /* GET: scalars arrive as strings and are parsed per the schema */
} CrValidateFlags;

/* TRUE when @action has a schema (CreateCloudRecording, DescribeCloudRecording,
 * ModifyCloudRecording, DeleteCloudRecording). */
gboolean cr_validate_knows_action (const char *action);

/* Validates @request (the parsed body of @action) and returns a normalised new object: only known
 * members, documented defaults filled in, integers as JSON integers, booleans as JSON booleans.
 * On the first broken rule returns NULL and sets a CR_API_ERROR whose code is the TRTC code and
 * whose message names the full field path and the rule. */
JsonObject *cr_validate_request (const char *action, JsonObject *request, CrValidateFlags flags,
                                 GError **error);

/* Turns a GET query's flattened pairs ("RecordParams.RecordMode"="2", "FileNamePrefix.0"="a") into
 * a nested object of strings that cr_validate_request() accepts with CR_VALIDATE_FORM.
 * @pairs maps decoded keys to decoded values. NULL with InvalidParameter on conflicting keys
 * (e.g. "A=1" and "A.B=2") or array indices that are not 0..n-1. */
JsonObject *cr_validate_unflatten_query (GHashTable *pairs, GError **error);

/* Checks that every custom-layout tile and watermark rectangle of @mix_layout_params lies inside a
 * canvas of @canvas_width x @canvas_height (InvalidParameter.OutOfRange otherwise). Create applies
 * it with the request's canvas; Modify, whose request carries none, with the task's. */
gboolean cr_validate_layout_in_canvas (JsonObject *mix_layout_params, gint64 canvas_width,
                                       gint64 canvas_height, GError **error);

G_END_DECLS
