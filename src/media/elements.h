/* Pipelines built from elements: make an element (or a GError), link a run of elements, a caps
 * filter, and the bin of a fixed chain description.
 *
 * Why: a file path or a caps string spliced into a gst_parse_launch() description breaks on a
 * space or a quote (and lets the value inject elements); runtime values go in as properties and
 * GstCaps instead. Descriptions that hold no runtime value (a codec's fixed decode chain) stay
 * descriptions: cr_chain_bin() takes them, and they are string literals at every call. */
#pragma once

#include <gst/gst.h>

#include "media/ts_pcr_bridge.h"

G_BEGIN_DECLS

/* Registers the debug category @cat ("cloudrec-<module>") once, whichever thread comes first: each
 * module calls it from its entry points, so `GST_DEBUG=cloudrec*:6` shows the recorder's own
 * lines among GStreamer's. */
#define CR_DEBUG_INIT(cat, name, description)                                                      \
  G_STMT_START                                                                                     \
  {                                                                                                \
    static gsize cr_debug_once_ = 0;                                                               \
    if (g_once_init_enter (&cr_debug_once_)) {                                                     \
      GST_DEBUG_CATEGORY_INIT (cat, name, 0, description);                                         \
      g_once_init_leave (&cr_debug_once_, 1);                                                      \
    }                                                                                              \
  }                                                                                                \
  G_STMT_END

/* A new element of @factory named @name (NULL: GStreamer's name), or NULL with @error. */
GstElement *cr_element (const char *factory, const char *name, GError **error);

/* A capsfilter holding @caps (taken). */
GstElement *cr_capsfilter (GstCaps *caps);

/* Adds the NULL-terminated elements to @bin (those not in a bin yet) and links them in order;
 * FALSE with @error on the first link that fails. A NULL among them is the end: pass elements
 * made by cr_element() only after checking them. */
gboolean cr_bin_chain (GstBin *bin, GError **error, GstElement *first, ...) G_GNUC_NULL_TERMINATED;

/* The bin of a fixed @description (no runtime values), with ghost pads for its unlinked ends. */
GstElement *cr_chain_bin (const char *description, GError **error);

/* Sets @property of @object from its string form (an enum nick, a number): "tune", "zerolatency".
 */
void cr_set (gpointer object, const char *property, const char *value);

/* The next chunk of at most CR_FILE_CHUNK bytes of @fd as a buffer (read retried on EINTR), for
 * the appsrc feeders that play files as one byte stream. NULL at the end of the file (*@err = 0)
 * or on a read error (*@err = errno). */
#define CR_FILE_CHUNK (256 * 1024)
GstBuffer *cr_buffer_read_fd (int fd, int *err);
/* The same for MPEG-TS read back to be demuxed: the chunk through @bridge (ts_pcr_bridge.h), so
 * that a pause inside the stream keeps its length in tsdemux; chunks that only complete a packet
 * held back are read past. cr_buffer_ts_rest: what @bridge still holds at the end, or NULL. */
GstBuffer *cr_buffer_read_ts (int fd, CrPcrBridge *bridge, int *err);
GstBuffer *cr_buffer_ts_rest (CrPcrBridge *bridge);

/* For a buffer probe: the probed buffer marked a keyframe (@key) or a delta unit, made writable
 * only when its flag changes. */
void cr_probe_buffer_set_keyframe (GstPadProbeInfo *info, gboolean key);

/* Runs @pipeline, which writes @tmp, to its end (EOS) within @timeout_s; renames @tmp to
 * @out_path on success, removes it otherwise. Takes @pipeline. @what names the work in errors
 * ("MP4 remux", "MP3 transcoding"). */
gboolean cr_pipeline_run_to_file (GstElement *pipeline, const char *tmp, const char *out_path,
                                  guint timeout_s, const char *what, GError **error);

G_END_DECLS
