/* A pipeline run to its end for the tests; see gst_run.h. */
#include "gst_run.h"

void
cr_test_wait_eos (GstElement *pipeline, guint timeout_s)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *m = gst_bus_timed_pop_filtered (bus, timeout_s * GST_SECOND,
                                              GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (m == NULL)
    g_error ("the pipeline did not end within %u s", timeout_s);
  if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
    GError *error = NULL;
    g_autofree char *debug = NULL;
    gst_message_parse_error (m, &error, &debug);
    g_error ("pipeline error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (m)),
             error->message, debug != NULL ? debug : "");
  }
  gst_message_unref (m);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

void
cr_test_play_to_eos (GstElement *pipeline, guint timeout_s)
{
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  cr_test_wait_eos (pipeline, timeout_s);
}
