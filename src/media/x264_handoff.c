/* Lets x264enc's input pictures go once x264 has copied them; see x264_handoff.h. */
#include "x264_handoff.h"

/* The copy handed to the encoder: the bytes of its latest picture. The probe and every buffer
 * x264enc still holds keep a reference, so it lives until the last of them has gone. */
typedef struct {
  gsize size;
  guint8 *data;
} HandOffCopy;

static void
hand_off_copy_clear (gpointer data)
{
  g_aligned_free (((HandOffCopy *)data)->data);
}

static void
hand_off_copy_unref (gpointer copy)
{
  g_atomic_rc_box_release_full (copy, hand_off_copy_clear);
}

/* The probe's state; only the encoder's streaming thread uses it (one picture at a time). */
typedef struct {
  HandOffCopy *copy; /* NULL before the first picture; a new one when the pictures' size changes */
} HandOff;

static void
hand_off_free (gpointer data)
{
  HandOff *h = data;
  if (h->copy != NULL)
    hand_off_copy_unref (h->copy);
  g_free (h);
}

/* Before x264enc's chain: the picture is copied and the copy goes on in its place. The previous
 * copy's bytes may be rewritten now: x264enc's chain for it has returned, so x264 has them. */
static GstPadProbeReturn
hand_off_picture (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  HandOff *h = data;
  GstBuffer *picture = GST_PAD_PROBE_INFO_BUFFER (info);
  gsize size = gst_buffer_get_size (picture);
  if (h->copy == NULL || h->copy->size != size) {
    if (h->copy != NULL)
      hand_off_copy_unref (h->copy); /* the buffers still held keep the old one */
    h->copy = g_atomic_rc_box_new0 (HandOffCopy);
    h->copy->size = size;
    h->copy->data = g_aligned_alloc (MAX (size, 1), 1, 64);
  }
  gst_buffer_extract (picture, 0, h->copy->data, size);
  GstBuffer *handed = gst_buffer_new ();
  gst_buffer_append_memory (handed, gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY,
                                                            h->copy->data, size, 0, size,
                                                            g_atomic_rc_box_acquire (h->copy),
                                                            hand_off_copy_unref));
  gst_buffer_copy_into (handed, picture, GST_BUFFER_COPY_METADATA, 0, -1);
  gst_buffer_unref (picture); /* back to its pool */
  GST_PAD_PROBE_INFO_DATA (info) = handed;
  return GST_PAD_PROBE_OK;
}

void
cr_x264_hand_off_input (GstElement *x264enc)
{
  GstPad *sink = gst_element_get_static_pad (x264enc, "sink");
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, hand_off_picture, g_new0 (HandOff, 1),
                     hand_off_free);
  gst_object_unref (sink);
}
