/* Test helper: a pipeline run to its end, failing the test on an error or a hang.
 *
 * Why: the media and picture tests each wrote out the same wait on the bus (EOS or ERROR, a
 * bound, the assertion, the teardown). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Waits up to @timeout_s for @pipeline (already started) to reach its end of stream, failing the
 * test with the error's text if one comes first or nothing does; then stops it (state NULL). The
 * caller keeps its reference. */
void cr_test_wait_eos (GstElement *pipeline, guint timeout_s);

/* Starts @pipeline, then cr_test_wait_eos(). */
void cr_test_play_to_eos (GstElement *pipeline, guint timeout_s);

G_END_DECLS
