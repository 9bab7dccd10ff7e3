/* The syncTime samples of a recorded track; see sei_probe.h. */
#include "sei_probe.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "common/file_util.h"
#include "media/sei_sync.h"

typedef struct {
  gint64 wall_ms, board_ms, media_ms; /* media_ms < 0: not yet placed (start_rec unknown) */
} Sample;

struct _CrSeiProbe {
  GMutex lock;
  GArray *samples; /* Sample */
  gboolean dirty;
  gint64 last_wall_ms;
  char *path;
  GstPad *pad;
  gulong id;
};

/* The wall clock of the buffer of running time @pts: now less the time it spent since. */
static gint64
probe_wall_ms (GstPad *pad, GstClockTime pts)
{
  gint64 now = g_get_real_time () / 1000;
  GstElement *parent = GST_ELEMENT (gst_pad_get_parent (pad));
  GstClock *clock = parent != NULL ? gst_element_get_clock (parent) : NULL;
  gint64 age = 0;
  GstEvent *seg_event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *segment = NULL;
  if (seg_event != NULL)
    gst_event_parse_segment (seg_event, &segment);
  if (clock != NULL && segment != NULL && GST_CLOCK_TIME_IS_VALID (pts)) {
    GstClockTime running = gst_segment_to_running_time (segment, GST_FORMAT_TIME, pts);
    GstClockTime at = gst_clock_get_time (clock) - gst_element_get_base_time (parent);
    if (GST_CLOCK_TIME_IS_VALID (running) && at >= running && at - running < 10 * GST_SECOND)
      age = (gint64)((at - running) / GST_MSECOND);
  }
  if (seg_event != NULL)
    gst_event_unref (seg_event);
  g_clear_object (&clock);
  g_clear_object (&parent);
  return now - age;
}

static GstPadProbeReturn
probe_on_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  CrSeiProbe *p = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  gint64 board = 0;
  gboolean found = cr_sei_find_sync_time (map.data, map.size, &board);
  gst_buffer_unmap (buf, &map);
  if (!found)
    return GST_PAD_PROBE_OK;
  gint64 wall = probe_wall_ms (pad, GST_BUFFER_PTS (buf));
  g_mutex_lock (&p->lock);
  if (p->last_wall_ms == 0 || wall - p->last_wall_ms >= 900) {
    Sample s = { wall, board, -1 };
    g_array_append_val (p->samples, s);
    p->last_wall_ms = wall;
    p->dirty = TRUE;
  }
  g_mutex_unlock (&p->lock);
  return GST_PAD_PROBE_OK;
}

/* The samples of an earlier run of the same playlist (a user who left and came back). */
static void
probe_load (CrSeiProbe *p)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!g_file_test (p->path, G_FILE_TEST_EXISTS)
      || !json_parser_load_from_file (parser, p->path, NULL))
    return;
  JsonNode *root = json_parser_get_root (parser);
  JsonObject *o
      = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonArray *a = o != NULL && json_object_has_member (o, "Samples")
                     ? json_object_get_array_member (o, "Samples")
                     : NULL;
  for (guint i = 0; a != NULL && i < json_array_get_length (a); i++) {
    JsonObject *e = json_array_get_object_element (a, i);
    if (e == NULL)
      continue;
    Sample s = { json_object_get_int_member_with_default (e, "WallMs", 0),
                 json_object_get_int_member_with_default (e, "BoardMs", 0),
                 json_object_get_int_member_with_default (e, "MediaMs", 0) };
    g_array_append_val (p->samples, s);
  }
}

CrSeiProbe *
cr_sei_probe_attach (GstPad *pad, const char *sidecar_path)
{
  CrSeiProbe *p = g_new0 (CrSeiProbe, 1);
  g_mutex_init (&p->lock);
  p->samples = g_array_new (FALSE, FALSE, sizeof (Sample));
  p->path = g_strdup (sidecar_path);
  probe_load (p);
  p->pad = gst_object_ref (pad);
  p->id = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, probe_on_buffer, p, NULL);
  return p;
}

void
cr_sei_probe_flush (CrSeiProbe *p, gint64 start_rec_ms)
{
  if (p == NULL || start_rec_ms <= 0)
    return;
  g_mutex_lock (&p->lock);
  if (!p->dirty) {
    g_mutex_unlock (&p->lock);
    return;
  }
  GString *out = g_string_new ("{\"Samples\":[");
  for (guint i = 0; i < p->samples->len; i++) {
    Sample *s = &g_array_index (p->samples, Sample, i);
    if (s->media_ms < 0)
      s->media_ms = s->wall_ms - start_rec_ms;
    g_string_append_printf (out,
                            "%s{\"MediaMs\":%" G_GINT64_FORMAT ",\"BoardMs\":%" G_GINT64_FORMAT
                            ",\"WallMs\":%" G_GINT64_FORMAT "}",
                            i > 0 ? "," : "", s->media_ms, s->board_ms, s->wall_ms);
  }
  g_string_append (out, "]}\n");
  p->dirty = FALSE;
  g_mutex_unlock (&p->lock);
  g_autoptr (GError) error = NULL;
  if (!cr_file_replace_durably (p->path, out->str, out->len, &error))
    g_warning ("sync samples: %s", error->message);
  g_string_free (out, TRUE);
}

void
cr_sei_probe_free (CrSeiProbe *p, gint64 start_rec_ms)
{
  if (p == NULL)
    return;
  gst_pad_remove_probe (p->pad, p->id);
  cr_sei_probe_flush (p, start_rec_ms);
  gst_object_unref (p->pad);
  g_array_unref (p->samples);
  g_mutex_clear (&p->lock);
  g_free (p->path);
  g_free (p);
}
