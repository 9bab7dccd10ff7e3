/* The mixed recording (RecordMode 2): the room's subscribed streams as inputs of one mix, laid
 * out by the layout engine from MixLayoutParams as the task says now (Modify included), with the
 * background, placeholders and watermarks. The picture is re-laid whenever the streams, their
 * media or the task's revision change. See worker_private.h. */
#include <stdlib.h>
#include <string.h>

#include "common/json_util.h"
#include "recorder/naming.h"
#include "recorder/worker_private.h"

#define PLACEHOLDER_RGB 0x333333u      /* PlaceHolderMode 1 with no picture: a dark tile */
#define CAMERA_OFF_US (G_USEC_PER_SEC) /* no picture for this long: the user's camera is off */

static gint64
int_or (JsonObject *o, const char *name, gint64 fallback)
{
  gint64 v = 0;
  return cr_json_get_int (o, name, &v) ? v : fallback;
}

static guint32
colour_or (const char *text, guint32 fallback)
{
  if (text == NULL || text[0] != '#' || strlen (text) != 7)
    return fallback;
  return (guint32)strtoul (text + 1, NULL, 16);
}

static JsonObject *
worker_layout_params (Worker *w)
{
  return cr_json_get_object (w->params, "MixLayoutParams");
}

/* ---- the mix ---- */

static void
worker_on_mix_segment (const CrSegment *segment, gboolean first, gpointer data)
{
  Worker *w = data;
  worker_announce_segment (w, segment, first, cr_mix_playlist_name (w->mix), "", "audio_video",
                           w->mix_playlist->start_rec_ms);
}

/* The first timestamp watermark's position, or -1. Its time zone goes to the process (TZ) when
 * the mix starts (@set_zone), not later: other threads read it. */
static int
worker_timestamp_pos (Worker *w, gboolean set_zone)
{
  JsonObject *layout = worker_layout_params (w);
  JsonArray *marks = layout != NULL && json_object_has_member (layout, "WaterMarkList")
                         ? json_object_get_array_member (layout, "WaterMarkList")
                         : NULL;
  for (guint i = 0; marks != NULL && i < json_array_get_length (marks); i++) {
    JsonObject *ts
        = cr_json_get_object (json_array_get_object_element (marks, i), "WaterMarkTimestamp");
    if (ts == NULL)
      continue;
    g_autofree char *tz = g_strdup_printf ("UTC%+d", -(int)int_or (ts, "TimeZone", 8));
    if (set_zone) {
      g_setenv ("TZ", tz, TRUE);
      tzset ();
    }
    return (int)int_or (ts, "Pos", 0);
  }
  return -1;
}

static gboolean
worker_start_mix (Worker *w)
{
  JsonObject *transcode = cr_json_get_object (w->params, "MixTranscodeParams");
  JsonObject *video = cr_json_get_object (transcode, "VideoParams");
  JsonObject *audio = cr_json_get_object (transcode, "AudioParams");
  static const int rates[] = { 48000, 48000, 44100, 16000 };
  gint64 rate = int_or (audio, "SampleRate", 1);
  CrNamingTask naming = { w->task->sdk_app_id, w->task->room_id, w->task->room_id_type == 0,
                          w->task->task_id,    w->prefix,        w->failover };
  g_autofree char *stem = cr_naming_mixed_stem (&naming);
  if (w->mix_playlist == NULL) {
    w->mix_playlist = cr_playlist_new (NULL, NULL, TRUE, -1, g_get_real_time () / 1000);
    g_hash_table_insert (w->playlists, g_strdup ("mix"), w->mix_playlist);
  }
  CrMixOptions o = {
    .dir = w->hls_dir,
    .stem = stem,
    .playlist = w->mix_playlist,
    .audio = w->stream_type != 2,
    .video = w->stream_type != 1,
    .width = (int)int_or (video, "Width", 360),
    .height = (int)int_or (video, "Height", 640),
    .fps = (int)int_or (video, "Fps", 15),
    .video_bitrate = (int)int_or (video, "BitRate", 550000),
    .gop_s = (int)int_or (video, "Gop", 10),
    .sample_rate = rates[CLAMP (rate, 1, 3)],
    .channels = (int)int_or (audio, "Channel", 2),
    .audio_bitrate = (int)int_or (audio, "BitRate", 64000),
    .background_rgb
    = colour_or (cr_json_get_string (worker_layout_params (w), "BackGroundColor"), 0),
    .timestamp_pos = worker_timestamp_pos (w, TRUE),
  };
  w->mix_width = o.width;
  w->mix_height = o.height;
  g_autoptr (GError) error = NULL;
  w->mix = cr_mix_new (&o, worker_on_mix_segment, w, &error);
  if (w->mix == NULL) {
    g_warning ("task %s: cannot mix: %s", w->task->task_id, error->message);
    return FALSE;
  }
  g_info ("task %s: mixing %dx%d %d fps into %s", w->task->task_id, o.width, o.height, o.fps,
          cr_mix_playlist_name (w->mix));
  return TRUE;
}

static void
worker_end_input (Worker *w, const char *key)
{
  char *forward = g_hash_table_lookup (w->mix_forwards, key);
  if (forward != NULL)
    worker_unforward (w, forward);
  g_hash_table_remove (w->mix_forwards, key);
  cr_mix_remove_input (w->mix, key);
}

void
worker_end_mix (Worker *w)
{
  if (w->mix == NULL)
    return;
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (w->mix_forwards, NULL);
  g_auto (GStrv) inputs = g_strdupv ((char **)keys);
  for (char **k = inputs; *k != NULL; k++) {
    char *forward = g_hash_table_lookup (w->mix_forwards, *k);
    worker_unforward (w, forward);
  }
  g_hash_table_remove_all (w->mix_forwards);
  cr_mix_finish (w->mix);
  w->mix = NULL;
}

/* ---- the picture ---- */

typedef struct {
  GArray *layers; /* CrMixLayer */
  GPtrArray *ids; /* owns the layers' ids */
} LayerList;

static void
add_layer (LayerList *list, CrMixLayer layer, char *id)
{
  g_ptr_array_add (list->ids, id);
  layer.id = id;
  g_array_append_val (list->layers, layer);
}

static void
add_picture (Worker *w, LayerList *list, const char *url, CrRect rect, int render_mode, int alpha,
             const char *what)
{
  const CrPicture *picture = worker_picture (w, url, rect.width, rect.height, render_mode);
  if (picture == NULL)
    return;
  CrMixLayer l = { .kind = CR_MIX_LAYER_PICTURE,
                   .rect = rect,
                   .alpha = alpha,
                   .picture = picture,
                   .over = g_str_has_prefix (what, "watermark") };
  add_layer (list, l,
             g_strdup_printf ("%s|%s|%d,%d,%dx%d|%d", what, url, rect.x, rect.y, rect.width,
                              rect.height, render_mode));
}

static void
add_watermarks (Worker *w, LayerList *list, JsonObject *layout)
{
  JsonArray *marks = json_object_has_member (layout, "WaterMarkList")
                         ? json_object_get_array_member (layout, "WaterMarkList")
                         : NULL;
  for (guint i = 0; marks != NULL && i < json_array_get_length (marks); i++) {
    JsonObject *mark = json_array_get_object_element (marks, i);
    JsonObject *image = cr_json_get_object (mark, "WaterMarkImage");
    JsonObject *chars = cr_json_get_object (mark, "WaterMarkChar");
    JsonObject *box = image != NULL ? image : chars;
    if (box == NULL)
      continue;
    CrRect rect = { (int)int_or (box, "Left", 0), (int)int_or (box, "Top", 0),
                    (int)int_or (box, "Width", 0), (int)int_or (box, "Height", 0) };
    g_autofree char *what = g_strdup_printf ("watermark%u", i);
    if (image != NULL) {
      add_picture (w, list, cr_json_get_string (image, "WaterMarkUrl"), rect, CR_RENDER_STRETCH, 0,
                   what);
      continue;
    }
    const char *font = g_strcmp0 (cr_json_get_string (chars, "Font"), "SourceHanSans") == 0
                           ? "Source Han Sans,Sans"
                           : "Sans";
    const char *bg = cr_json_get_string (chars, "BackGroundColor");
    CrMixLayer l = {
      .kind = CR_MIX_LAYER_TEXT,
      .over = TRUE,
      .rect = rect,
      .text = cr_json_get_string (chars, "Chars"),
      .font = font,
      .font_px = (int)int_or (chars, "FontSize", 14),
      .argb = 0xff000000u | colour_or (cr_json_get_string (chars, "FontColor"), 0xffffff),
      .bg_argb = bg != NULL && *bg != '\0' ? 0xff000000u | colour_or (bg, 0) : 0,
    };
    add_layer (list, l,
               g_strdup_printf ("%s|%s|%s|%d|%08x|%08x|%d,%d,%dx%d", what, l.text, font, l.font_px,
                                l.argb, l.bg_argb, rect.x, rect.y, rect.width, rect.height));
  }
}

/* The custom tiles of MixLayoutList (their strings borrowed from @layout). */
static GArray *
custom_tiles (JsonObject *layout)
{
  GArray *tiles = g_array_new (FALSE, TRUE, sizeof (CrCustomTile));
  JsonArray *list = json_object_has_member (layout, "MixLayoutList")
                        ? json_object_get_array_member (layout, "MixLayoutList")
                        : NULL;
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++) {
    JsonObject *t = json_array_get_object_element (list, i);
    CrCustomTile c = {
      .top = (int)int_or (t, "Top", 0),
      .left = (int)int_or (t, "Left", 0),
      .width = (int)int_or (t, "Width", 0),
      .height = (int)int_or (t, "Height", 0),
      .user_id = cr_json_get_string (t, "UserId"),
      .aux = int_or (t, "MediaId", 0) == 1,
      .alpha = (int)int_or (t, "Alpha", 0),
      .render_mode = (int)int_or (t, "RenderMode", CR_RENDER_CROP),
      .image_layer = (int)int_or (t, "ImageLayer", 0),
      .sub_background_image = cr_json_get_string (t, "SubBackgroundImage"),
    };
    g_array_append_val (tiles, c);
  }
  return tiles;
}

/* The streams in room-entry order, as the layout engine takes them. */
static GArray *
layout_streams (Worker *w)
{
  GArray *streams = g_array_new (FALSE, TRUE, sizeof (CrLayoutStream));
  for (guint i = 0; i < w->mix_order->len; i++) {
    MixStream *s = g_ptr_array_index (w->mix_order, i);
    CrLayoutStream ls = { s->user_id, s->aux, s->has_video };
    g_array_append_val (streams, ls);
  }
  return streams;
}

static void
worker_relayout (Worker *w)
{
  JsonObject *layout = worker_layout_params (w);
  if (layout == NULL)
    return;
  g_autoptr (GArray) custom = custom_tiles (layout);
  g_autoptr (GArray) streams = layout_streams (w);
  CrLayoutOptions lo = {
    .width = w->mix_width,
    .height = w->mix_height,
    .mode = (CrLayoutMode)int_or (layout, "MixLayoutMode", CR_LAYOUT_GRID),
    .max_resolution_user = cr_json_get_string (layout, "MaxResolutionUserId"),
    .max_resolution_aux = int_or (layout, "MediaId", 0) == 1,
    .big_on_right = int_or (layout, "MaxResolutionUserAlign", 0) == 1,
    .pure_audio_disable = cr_json_get_bool (layout, "PureAudioDisableLayout"),
    .render_mode = (int)int_or (layout, "RenderMode", CR_RENDER_CROP),
    .custom = (const CrCustomTile *)custom->data,
    .n_custom = custom->len,
  };
  g_autoptr (GArray) tiles
      = cr_layout_compute (&lo, (const CrLayoutStream *)streams->data, streams->len);
  LayerList list
      = { g_array_new (FALSE, TRUE, sizeof (CrMixLayer)), g_ptr_array_new_with_free_func (g_free) };
  CrRect canvas = { 0, 0, lo.width, lo.height };
  add_picture (w, &list, cr_json_get_string (layout, "BackgroundImageUrl"), canvas,
               (int)int_or (layout, "BackgroundImageRenderMode", CR_RENDER_CROP), 0, "background");
  const char *default_sub = cr_json_get_string (layout, "DefaultSubBackgroundImage");
  gboolean placeholders = int_or (layout, "PlaceHolderMode", 0) == 1;
  for (guint i = 0; i < tiles->len; i++) {
    const CrTile *t = &g_array_index (tiles, CrTile, i);
    const CrLayoutStream *s
        = t->stream >= 0 ? &g_array_index (streams, CrLayoutStream, t->stream) : NULL;
    g_autofree char *what = g_strdup_printf ("tile%u", i);
    if (s != NULL && s->has_video) {
      CrMixLayer l = { .kind = CR_MIX_LAYER_INPUT,
                       .rect = t->rect,
                       .alpha = t->alpha,
                       .render_mode = t->render_mode };
      add_layer (&list, l, g_strdup_printf ("%s/%s/video", s->user_id, s->aux ? "aux" : "main"));
      continue;
    }
    /* No picture for this tile: its placeholder image, else a dark tile (PlaceHolderMode). */
    const char *sub = t->sub_background_image != NULL ? t->sub_background_image : default_sub;
    guint before = list.layers->len;
    add_picture (w, &list, sub, t->rect, t->render_mode, t->alpha, what);
    if (list.layers->len == before && placeholders && lo.mode == CR_LAYOUT_CUSTOM) {
      CrMixLayer l = {
        .kind = CR_MIX_LAYER_COLOR, .rect = t->rect, .alpha = t->alpha, .argb = PLACEHOLDER_RGB
      };
      add_layer (&list, l,
                 g_strdup_printf ("%s|placeholder|%d,%d,%dx%d", what, t->rect.x, t->rect.y,
                                  t->rect.width, t->rect.height));
    }
  }
  add_watermarks (w, &list, layout);
  cr_mix_set_timestamp (w->mix, worker_timestamp_pos (w, FALSE));
  cr_mix_set_layers (w->mix, (const CrMixLayer *)list.layers->data, list.layers->len);
  g_info ("task %s: picture laid out: %u tiles, %u layers", w->task->task_id, tiles->len,
          list.layers->len);
  g_array_unref (list.layers);
  g_ptr_array_unref (list.ids);
}

/* ---- following the room ---- */

void
mix_stream_free (MixStream *s)
{
  g_free (s->user_id);
  g_free (s);
}

static MixStream *
find_stream (Worker *w, const char *user, gboolean aux)
{
  for (guint i = 0; i < w->mix_order->len; i++) {
    MixStream *s = g_ptr_array_index (w->mix_order, i);
    if (s->aux == aux && g_strcmp0 (s->user_id, user) == 0)
      return s;
  }
  return NULL;
}

/* A camera turned off keeps its stream published with no pictures: its tile becomes a
 * placeholder (as for a user with audio only) until pictures come back, which start from a
 * keyframe asked of the publisher. */
static void
worker_watch_camera (Worker *w, MixStream *ms, const char *video_key)
{
  gint64 last = cr_mix_input_last_packet_us (w->mix, video_key);
  gboolean flowing = last != 0 && g_get_monotonic_time () - last < CAMERA_OFF_US;
  if (flowing && !ms->has_video && ms->had_video) {
    const char *forward = g_hash_table_lookup (w->mix_forwards, video_key);
    if (forward != NULL)
      worker_ask_keyframe (w, forward);
  }
  if (flowing != ms->has_video)
    g_info ("task %s: %s %s", w->task->task_id, video_key,
            flowing ? "shows pictures" : "has no pictures (camera off)");
  ms->has_video = flowing;
  ms->had_video = ms->had_video || flowing;
}

/* Adds the input @key (a wanted medium of a user's stream) and its forward. */
static void
worker_start_input (Worker *w, const char *user, gboolean aux, gboolean video, const char *caps,
                    const char *key)
{
  g_autoptr (GError) error = NULL;
  guint16 port = cr_mix_add_input (w->mix, key, caps, video, &error);
  if (port == 0) {
    g_warning ("task %s: cannot mix %s: %s", w->task->task_id, key, error->message);
    return;
  }
  char *forward = worker_forward (w, user, aux, video, port);
  if (forward == NULL) {
    cr_mix_remove_input (w->mix, key);
    return;
  }
  g_hash_table_insert (w->mix_forwards, g_strdup (key), forward);
  g_info ("task %s: mixing %s", w->task->task_id, key);
}

gboolean
worker_follow_mix (Worker *w, JsonArray *streams)
{
  g_autoptr (GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) seen = g_ptr_array_new ();
  for (guint i = 0; streams != NULL && i < json_array_get_length (streams); i++) {
    JsonObject *s = json_array_get_object_element (streams, i);
    const char *user = cr_json_get_string (s, "UserId");
    if (user == NULL)
      continue;
    gboolean aux = g_strcmp0 (cr_json_get_string (s, "Stream"), "aux") == 0;
    const char *caps[2] = { NULL, NULL };
    for (int video = 0; video < 2; video++) {
      if (worker_wants (w, user, aux, video))
        caps[video] = cr_json_get_string (s, video ? "VideoCaps" : "AudioCaps");
    }
    if (caps[0] == NULL && caps[1] == NULL)
      continue;
    if (w->mix == NULL && !worker_start_mix (w))
      return FALSE;
    MixStream *ms = find_stream (w, user, aux);
    if (ms == NULL) {
      ms = g_new0 (MixStream, 1);
      ms->user_id = g_strdup (user);
      ms->aux = aux;
      ms->since_ms = int_or (s, "Since", 0);
      guint at = w->mix_order->len; /* by entry, even when a stream's media come late */
      while (at > 0
             && ((MixStream *)g_ptr_array_index (w->mix_order, at - 1))->since_ms > ms->since_ms)
        at--;
      g_ptr_array_insert (w->mix_order, (gint)at, ms);
    }
    g_ptr_array_add (seen, ms);
    for (int video = 0; video < 2; video++) {
      if (caps[video] == NULL)
        continue;
      g_autofree char *key
          = g_strdup_printf ("%s/%s/%s", user, aux ? "aux" : "main", video ? "video" : "audio");
      if (!cr_mix_has_input (w->mix, key))
        worker_start_input (w, user, aux, video, caps[video], key);
      if (video)
        worker_watch_camera (w, ms, key);
      g_hash_table_add (present, g_steal_pointer (&key));
    }
    if (caps[1] == NULL)
      ms->has_video = FALSE;
  }
  if (w->mix == NULL)
    return TRUE;
  /* Inputs whose stream went away, or that the subscription no longer wants, end. */
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (w->mix_forwards, NULL);
  g_auto (GStrv) inputs = g_strdupv ((char **)keys);
  for (char **k = inputs; *k != NULL; k++) {
    if (!g_hash_table_contains (present, *k)) {
      g_info ("task %s: %s leaves the mix", w->task->task_id, *k);
      worker_end_input (w, *k);
    }
  }
  for (guint i = w->mix_order->len; i-- > 0;) {
    if (!g_ptr_array_find (seen, g_ptr_array_index (w->mix_order, i), NULL))
      g_ptr_array_remove_index (w->mix_order, i);
  }
  /* Re-lay the picture when who is shown, or the task, changed. */
  GString *signature = g_string_new (NULL);
  g_string_append_printf (signature, "%" G_GINT64_FORMAT, w->revision);
  for (guint i = 0; i < w->mix_order->len; i++) {
    MixStream *s = g_ptr_array_index (w->mix_order, i);
    g_string_append_printf (signature, "\n%s/%d/%d", s->user_id, s->aux, s->has_video);
  }
  if (g_strcmp0 (signature->str, w->mix_signature) != 0) {
    g_free (w->mix_signature);
    w->mix_signature = g_string_free (signature, FALSE);
    worker_relayout (w);
  } else {
    g_string_free (signature, TRUE);
  }
  return TRUE;
}
