/* The compose engine: the recording's runs as decoded inputs of an offline mix, and the layout
 * of each interval applied on the compositor's thread when the output reaches it. See
 * compose.h. */
#include "tools/compose_private.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "media/elements.h"
#include "media/mp4.h"
#include "mix/image_cache.h"
#include "mix/mix_pipeline.h"
#include "mix/mix_scene.h"
#include "validate/validate.h"

/* ---- the parameters ---- */

CrTaskSpec *
cr_compose_spec_new (JsonObject *params, GError **error)
{
  static const char *const allowed[] = { "MixLayoutParams", "MixTranscodeParams" };
  g_autoptr (GList) members = json_object_get_members (params);
  for (GList *l = members; l != NULL; l = l->next) {
    gboolean ok = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS (allowed); i++)
      ok = ok || strcmp (l->data, allowed[i]) == 0;
    if (!ok) {
      cr_api_error_set (error, "UnknownParameter",
                        "compose takes MixLayoutParams (watermarks in its WaterMarkList, as in "
                        "CreateCloudRecording) and MixTranscodeParams, not %s",
                        (const char *)l->data);
      return NULL;
    }
  }
  /* A mixed Create around them: the very schemas and defaults of a mixed task. */
  static const char base[]
      = "{\"SdkAppId\":1,\"RoomId\":\"1\",\"UserId\":\"compose\",\"UserSig\":\"-\","
        "\"RecordParams\":{\"RecordMode\":2},\"StorageParams\":{\"CloudStorage\":{\"Vendor\":0,"
        "\"Region\":\"r\",\"Bucket\":\"b\",\"AccessKey\":\"a\",\"SecretKey\":\"s\"}}}";
  g_autoptr (JsonObject) req = cr_json_parse_object (base, strlen (base), NULL);
  for (guint i = 0; i < G_N_ELEMENTS (allowed); i++) {
    JsonNode *n = json_object_get_member (params, allowed[i]);
    if (n != NULL)
      json_object_set_member (req, allowed[i], json_node_copy (n));
  }
  g_autoptr (JsonObject) norm
      = cr_validate_request ("CreateCloudRecording", req, CR_VALIDATE_JSON, error);
  if (norm == NULL)
    return NULL;
  return cr_task_spec_new (norm, error);
}

/* ---- the timeline ---- */

typedef struct {
  char *user_id;
  gboolean aux;
  gint64 first_ms;
} Stream;

typedef struct {
  guint64 start_ns; /* on the output */
  CrMixScene *scene;
} Interval;

typedef struct {
  CrMix *mix;
  GPtrArray *intervals; /* Interval, by start */
  guint current;
  guint64 duration_ns;
  int percent;
  CrComposeProgressFunc progress;
  gpointer progress_data;
  gint64 start_ms;     /* the recording's time (Unix ms) at the output's start */
  GTimeZone *clock_tz; /* the timestamp watermark's TimeZone; NULL: no timestamp */
  gint64 clock_s;      /* the second shown */
} Compose;

static void
interval_free (Interval *iv)
{
  cr_mix_scene_free (iv->scene);
  g_free (iv);
}

/* The run of stream @s with @medium playing at @at_ms, or NULL. */
static const ComposeRun *
run_at (GPtrArray *runs, const Stream *s, guint medium, gint64 at_ms)
{
  for (guint i = 0; i < runs->len; i++) {
    const ComposeRun *r = g_ptr_array_index (runs, i);
    if ((r->media & medium) && r->aux == s->aux && strcmp (r->user_id, s->user_id) == 0
        && r->start_ms <= at_ms && at_ms < r->end_ms)
      return r;
  }
  return NULL;
}

static const CrPicture *
compose_picture (const char *url, int width, int height, int render_mode, gpointer data)
{
  return data != NULL ? cr_image_cache_get (data, url, width, height, render_mode) : NULL;
}

/* The layers at @at_ms: those of the live mix (mix/mix_scene.h) for the streams present then, in
 * entry order, a stream's picture being its video run of that moment. */
static Interval *
interval_new (const CrTaskSpec *spec, CrImageCache *images, GPtrArray *streams, GPtrArray *runs,
              gint64 at_ms, guint64 start_ns)
{
  Interval *iv = g_new0 (Interval, 1);
  iv->start_ns = start_ns;
  g_autoptr (GArray) present = g_array_new (FALSE, TRUE, sizeof (CrLayoutStream));
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < streams->len; i++) {
    const Stream *s = g_ptr_array_index (streams, i);
    const ComposeRun *video = run_at (runs, s, COMPOSE_VIDEO, at_ms);
    if (video == NULL && run_at (runs, s, COMPOSE_AUDIO, at_ms) == NULL)
      continue; /* not in the room then */
    CrLayoutStream ls = { s->user_id, s->aux, video != NULL };
    g_array_append_val (present, ls);
    g_ptr_array_add (keys, video != NULL ? g_strdup_printf ("%s/video", video->key) : NULL);
  }
  iv->scene
      = cr_mix_scene_new (&spec->layout, spec->transcode.width, spec->transcode.height,
                          (const CrLayoutStream *)present->data, (const char *const *)keys->pdata,
                          present->len, compose_picture, images);
  return iv;
}

/* ---- the inputs ---- */

typedef struct {
  GstElement *parse;
  gboolean video;
} RunLink;

static GstPadProbeReturn
source_drop (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  return GST_PAD_PROBE_DROP;
}

static void
source_on_pad (GstElement *demux, GstPad *pad, gpointer data)
{
  RunLink *rl = data;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  const char *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (!g_str_has_prefix (name, rl->video ? "video/" : "audio/")) {
    /* The other medium is dropped here: left unlinked, a run holding only that one (a playlist
     * of both whose run has one) would stop the demuxer with not-linked. */
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                       source_drop, NULL, NULL);
    return;
  }
  g_autoptr (GstPad) sink = gst_element_get_static_pad (rl->parse, "sink");
  if (!gst_pad_is_linked (sink))
    gst_pad_link (pad, sink);
}

/* The demuxer showed its streams without our medium: our branch ends at once, so that the mix
 * does not wait for it. */
static void
source_no_more_pads (GstElement *demux, gpointer data)
{
  RunLink *rl = data;
  g_autoptr (GstPad) sink = gst_element_get_static_pad (rl->parse, "sink");
  if (!gst_pad_is_linked (sink)) {
    GST_WARNING ("a run has no %s", rl->video ? "video" : "audio");
    gst_pad_send_event (sink, gst_event_new_stream_start ("compose-missing"));
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    gst_pad_send_event (sink, gst_event_new_segment (&seg));
    gst_pad_send_event (sink, gst_event_new_eos ());
  }
}

typedef struct {
  guint64 at_ns, end_ns; /* on the output: where the run starts, where the output ends */
  guint64 skip_ns;       /* the run's beginning left out (it started before the window) */
} Place;

/* The run's first timestamp (the demuxer's segment start) at its place on the output, past the
 * part before the window if it began earlier, and nothing past the output's end (a last segment a
 * little longer than its #EXTINF says, or the window's end). */
static GstPadProbeReturn
source_place (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_SEGMENT)
    return GST_PAD_PROBE_OK;
  GstSegment seg;
  gst_event_copy_segment (event, &seg);
  if (seg.format != GST_FORMAT_TIME)
    return GST_PAD_PROBE_OK;
  const Place *place = data;
  seg.start += place->skip_ns; /* the decoders clip what comes before */
  seg.time = seg.start;
  seg.position = seg.start;
  seg.base = place->at_ns;
  if (seg.rate > 0) /* a run that starts at the end (or after it) gives nothing */
    seg.stop = seg.start + (place->end_ns > place->at_ns ? place->end_ns - place->at_ns : 0);
  GstEvent *out = gst_event_new_segment (&seg);
  gst_event_set_seqnum (out, gst_event_get_seqnum (event));
  gst_event_unref (event);
  GST_PAD_PROBE_INFO_DATA (info) = out;
  return GST_PAD_PROBE_OK;
}

/* appsrc (the run's files) ! tsdemux ! parser ! decoder, its output the bin's "src". */
static GstElement *
run_source (const ComposeRun *r, gboolean video, guint64 at_ns, guint64 skip_ns, guint64 end_ns,
            GError **error)
{
  GstElement *src = cr_ts_feed_source ((const char *const *)r->files->pdata, error);
  GstElement *demux = src != NULL ? cr_element ("tsdemux", NULL, error) : NULL;
  GstElement *parse
      = demux != NULL ? cr_element (video ? "h264parse" : "aacparse", NULL, error) : NULL;
  GstElement *dec
      = parse != NULL ? cr_element (video ? "avdec_h264" : "avdec_aac", NULL, error) : NULL;
  if (dec == NULL) {
    GstElement *made[] = { src, demux, parse };
    for (guint i = 0; i < G_N_ELEMENTS (made); i++)
      if (made[i] != NULL)
        gst_object_unref (gst_object_ref_sink (made[i]));
    return NULL;
  }
  /* One decoding thread per run, as the live mix's inputs (media/rtp_in.c): the runs decode in
   * parallel already, and frame threads only add hand-offs and latency (bench/compose.mjs). */
  if (video)
    g_object_set (dec, "max-threads", 1, NULL);
  GstElement *bin = gst_bin_new (NULL);
  gst_bin_add_many (GST_BIN (bin), src, demux, parse, dec, NULL);
  if (!gst_element_link (src, demux) || !gst_element_link (parse, dec)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot link the decoder of %s", r->key);
    gst_object_unref (gst_object_ref_sink (bin));
    return NULL;
  }
  RunLink *rl = g_new0 (RunLink, 1);
  rl->parse = parse;
  rl->video = video;
  g_object_set_data_full (G_OBJECT (demux), "compose-link", rl, g_free);
  g_signal_connect (demux, "pad-added", G_CALLBACK (source_on_pad), rl);
  g_signal_connect (demux, "no-more-pads", G_CALLBACK (source_no_more_pads), rl);
  Place *place = g_new (Place, 1);
  place->at_ns = at_ns;
  place->skip_ns = skip_ns;
  place->end_ns = end_ns;
  g_autoptr (GstPad) in = gst_element_get_static_pad (parse, "sink");
  gst_pad_add_probe (in, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, source_place, place, g_free);
  g_autoptr (GstPad) out = gst_element_get_static_pad (dec, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", out));
  return bin;
}

/* ---- the run ---- */

static void
compose_on_frame (guint64 pts_ns, gpointer data)
{
  Compose *c = data;
  guint next = c->current;
  while (next + 1 < c->intervals->len
         && pts_ns >= ((Interval *)g_ptr_array_index (c->intervals, next + 1))->start_ns)
    next++;
  if (next != c->current) {
    c->current = next;
    Interval *iv = g_ptr_array_index (c->intervals, next);
    cr_mix_set_layers (c->mix, (const CrMixLayer *)iv->scene->layers->data, iv->scene->layers->len);
  }
  if (c->clock_tz != NULL) {
    /* The timestamp watermark: the recording's time of this frame, as the live mix drew it. */
    gint64 at_s = (c->start_ms + (gint64)(pts_ns / GST_MSECOND)) / 1000;
    if (at_s != c->clock_s) {
      c->clock_s = at_s;
      g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (at_s);
      g_autoptr (GDateTime) local = utc != NULL ? g_date_time_to_timezone (utc, c->clock_tz) : NULL;
      g_autofree char *text
          = local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S") : NULL;
      cr_mix_set_clock_text (c->mix, text != NULL ? text : "");
    }
  }
  int percent = c->duration_ns > 0 ? (int)MIN (100, pts_ns * 100 / c->duration_ns) : 100;
  if (percent > c->percent && c->progress != NULL)
    c->progress (percent, c->progress_data);
  c->percent = MAX (c->percent, percent);
}

/* A picture that cannot be had is left out, as a live task leaves it out (309 there). */
static void
compose_image_failed (const char *url, const char *why, gpointer data)
{
  const CrComposeOptions *o = data;
  g_autofree char *text = g_strdup_printf ("image %s left out: %s", url, why);
  if (o->warning != NULL)
    o->warning (text, o->warning_data);
}

static int
stream_by_entry (gconstpointer a, gconstpointer b)
{
  const Stream *x = *(Stream **)a, *y = *(Stream **)b;
  return x->first_ms < y->first_ms ? -1 : x->first_ms > y->first_ms;
}

static void
stream_free (Stream *s)
{
  g_free (s->user_id);
  g_free (s);
}

static int
gint64_cmp (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
  return x < y ? -1 : x > y;
}

gboolean
cr_compose_run (const CrComposeOptions *o, CrComposeResult *result, GError **error)
{
  g_autoptr (GPtrArray) runs = compose_read_runs (o->in_dir, error);
  if (runs == NULL)
    return FALSE;
  compose_keep_window (runs, o->from_ms, o->to_ms);
  if (runs->len == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "%s: nothing was recorded between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT,
                 o->in_dir, o->from_ms, o->to_ms);
    return FALSE;
  }
  gint64 start_ms = G_MAXINT64, end_ms = 0;
  g_autoptr (GPtrArray) streams = g_ptr_array_new_with_free_func ((GDestroyNotify)stream_free);
  g_autoptr (GArray) bounds = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < runs->len; i++) {
    ComposeRun *r = g_ptr_array_index (runs, i);
    start_ms = MIN (start_ms, r->start_ms);
    end_ms = MAX (end_ms, r->end_ms);
    g_array_append_val (bounds, r->start_ms);
    g_array_append_val (bounds, r->end_ms);
    Stream *s = NULL;
    for (guint j = 0; j < streams->len && s == NULL; j++) {
      Stream *t = g_ptr_array_index (streams, j);
      if (t->aux == r->aux && strcmp (t->user_id, r->user_id) == 0)
        s = t;
    }
    if (s == NULL) {
      s = g_new0 (Stream, 1);
      s->user_id = g_strdup (r->user_id);
      s->aux = r->aux;
      s->first_ms = r->start_ms;
      g_ptr_array_add (streams, s);
    }
    s->first_ms = MIN (s->first_ms, r->start_ms);
  }
  gboolean has_audio = FALSE;
  for (guint i = 0; i < runs->len; i++)
    has_audio
        = has_audio || (((const ComposeRun *)g_ptr_array_index (runs, i))->media & COMPOSE_AUDIO);
  g_ptr_array_sort (streams, stream_by_entry);
  g_array_sort (bounds, gint64_cmp);
  guint64 duration_ns = (guint64)(end_ms - start_ms) * GST_MSECOND;

  g_autoptr (CrImageCache) images = NULL;
  if (o->image_dir != NULL) {
    images = cr_image_cache_new (o->image_dir, o->fetch_deny, compose_image_failed, (gpointer)o,
                                 error);
    if (images == NULL)
      return FALSE;
  }
  const CrSpecWatermark *ts = cr_task_spec_timestamp (o->spec);
  Compose c = { .duration_ns = duration_ns,
                .percent = -1,
                .progress = o->progress,
                .progress_data = o->progress_data,
                .start_ms = start_ms,
                .clock_tz = ts != NULL ? g_time_zone_new_offset (ts->time_zone * 3600) : NULL,
                .clock_s = G_MININT64 };
  c.intervals = g_ptr_array_new_with_free_func ((GDestroyNotify)interval_free);
  for (guint i = 0; i + 1 < bounds->len; i++) {
    gint64 a = g_array_index (bounds, gint64, i), b = g_array_index (bounds, gint64, i + 1);
    if (b <= a)
      continue;
    g_ptr_array_add (c.intervals, interval_new (o->spec, images, streams, runs, a + (b - a) / 2,
                                                (guint64)(a - start_ms) * GST_MSECOND));
  }
  CrMixOptions mo = {
    .stem = "compose",
    .audio = has_audio, /* a recording without sound: no silent AAC track */
    .video = TRUE,
    .background_rgb = o->spec->layout.background_rgb,
    .timestamp_pos = ts != NULL ? ts->pos : -1, /* its text: compose_on_frame() */
    .offline = TRUE,
    .duration_ns = duration_ns,
    .mp4_path = o->out_path,
  };
  cr_mix_options_set_transcode (&mo, &o->spec->transcode);
  gboolean ok = FALSE;
  c.mix = cr_mix_new (&mo, NULL, NULL, error);
  if (c.mix == NULL)
    goto out;
  for (guint i = 0; i < runs->len; i++) {
    const ComposeRun *r = g_ptr_array_index (runs, i);
    guint64 at = (guint64)(r->start_ms - start_ms) * GST_MSECOND;
    guint64 skip = (guint64)r->skip_ms * GST_MSECOND;
    for (int video = 0; video < 2; video++) {
      if (!(r->media & (video ? COMPOSE_VIDEO : COMPOSE_AUDIO)))
        continue;
      guint64 end = video ? cr_mix_pictures_end_ns (c.mix) : duration_ns;
      GstElement *src = run_source (r, video, at, skip, end, error);
      g_autofree char *key = g_strdup_printf ("%s/%s", r->key, video ? "video" : "audio");
      if (src == NULL || !cr_mix_add_source (c.mix, key, video, src, error))
        goto out;
    }
  }
  for (guint i = 0; i < c.intervals->len; i++) {
    Interval *iv = g_ptr_array_index (c.intervals, i);
    cr_mix_prepare_layers (c.mix, (const CrMixLayer *)iv->scene->layers->data,
                           iv->scene->layers->len);
  }
  if (c.intervals->len > 0) {
    Interval *first = g_ptr_array_index (c.intervals, 0);
    cr_mix_set_layers (c.mix, (const CrMixLayer *)first->scene->layers->data,
                       first->scene->layers->len);
  }
  ok = cr_mix_run (c.mix, compose_on_frame, &c, error);
  if (ok && c.progress != NULL && c.percent < 100)
    c.progress (100, c.progress_data);
out:
  cr_mix_finish (c.mix);
  if (ok && result != NULL) {
    result->start_ms = start_ms;
    result->end_ms = end_ms;
    result->streams = streams->len;
    result->runs = runs->len;
  }
  g_ptr_array_unref (c.intervals);
  g_clear_pointer (&c.clock_tz, g_time_zone_unref);
  return ok;
}
