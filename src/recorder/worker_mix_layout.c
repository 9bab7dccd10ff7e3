/* The picture of a mixed task: the layout engine's tiles for the streams in room-entry order,
 * under MixLayoutParams as the task says now, turned into the mix's layers: the background image,
 * the users' pictures, placeholders for tiles without one, and the watermarks. See
 * worker_private.h. */
#include <stdlib.h>
#include <string.h>

#include "common/json_util.h"
#include "recorder/worker_private.h"

#define PLACEHOLDER_RGB 0x333333u /* PlaceHolderMode 1 with no picture: a dark tile */

/* "#RRGGBB", or @fallback. */
guint32
worker_colour (const char *text, guint32 fallback)
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

/* The first timestamp watermark's position, or -1. Its time zone goes to the process (TZ) when
 * the mix starts (@set_zone), not later: other threads read it. */
int
worker_timestamp_pos (Worker *w, gboolean set_zone)
{
  JsonObject *layout = worker_layout_params (w);
  JsonArray *marks = cr_json_get_array (layout, "WaterMarkList");
  for (guint i = 0; marks != NULL && i < json_array_get_length (marks); i++) {
    JsonObject *ts
        = cr_json_get_object (json_array_get_object_element (marks, i), "WaterMarkTimestamp");
    if (ts == NULL)
      continue;
    g_autofree char *tz = g_strdup_printf ("UTC%+d", -(int)cr_json_get_int_or (ts, "TimeZone", 8));
    if (set_zone) {
      g_setenv ("TZ", tz, TRUE);
      tzset ();
    }
    return (int)cr_json_get_int_or (ts, "Pos", 0);
  }
  return -1;
}

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

/* The picture of @url in @rect, under the tiles or (@over, a watermark) over everything; FALSE
 * when there is none (no URL, or it could not be had: 309). */
static gboolean
add_picture (Worker *w, LayerList *list, const char *url, CrRect rect, int render_mode, int alpha,
             gboolean over, const char *what)
{
  const CrPicture *picture = worker_picture (w, url, rect.width, rect.height, render_mode);
  if (picture == NULL)
    return FALSE;
  CrMixLayer l = {
    .kind = CR_MIX_LAYER_PICTURE, .rect = rect, .alpha = alpha, .picture = picture, .over = over
  };
  add_layer (list, l,
             g_strdup_printf ("%s|%s|%d,%d,%dx%d|%d", what, url, rect.x, rect.y, rect.width,
                              rect.height, render_mode));
  return TRUE;
}

static void
add_watermarks (Worker *w, LayerList *list, JsonObject *layout)
{
  JsonArray *marks = cr_json_get_array (layout, "WaterMarkList");
  for (guint i = 0; marks != NULL && i < json_array_get_length (marks); i++) {
    JsonObject *mark = json_array_get_object_element (marks, i);
    JsonObject *image = cr_json_get_object (mark, "WaterMarkImage");
    JsonObject *chars = cr_json_get_object (mark, "WaterMarkChar");
    JsonObject *box = image != NULL ? image : chars;
    if (box == NULL)
      continue;
    CrRect rect
        = { (int)cr_json_get_int_or (box, "Left", 0), (int)cr_json_get_int_or (box, "Top", 0),
            (int)cr_json_get_int_or (box, "Width", 0), (int)cr_json_get_int_or (box, "Height", 0) };
    g_autofree char *what = g_strdup_printf ("watermark%u", i);
    if (image != NULL) {
      add_picture (w, list, cr_json_get_string (image, "WaterMarkUrl"), rect, CR_RENDER_STRETCH, 0,
                   TRUE, what);
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
      .font_px = (int)cr_json_get_int_or (chars, "FontSize", 14),
      .argb = 0xff000000u | worker_colour (cr_json_get_string (chars, "FontColor"), 0xffffff),
      .bg_argb = bg != NULL && *bg != '\0' ? 0xff000000u | worker_colour (bg, 0) : 0,
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
  JsonArray *list = cr_json_get_array (layout, "MixLayoutList");
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++) {
    JsonObject *t = json_array_get_object_element (list, i);
    CrCustomTile c = {
      .top = (int)cr_json_get_int_or (t, "Top", 0),
      .left = (int)cr_json_get_int_or (t, "Left", 0),
      .width = (int)cr_json_get_int_or (t, "Width", 0),
      .height = (int)cr_json_get_int_or (t, "Height", 0),
      .user_id = cr_json_get_string (t, "UserId"),
      .aux = cr_json_get_int_or (t, "MediaId", 0) == 1,
      .alpha = (int)cr_json_get_int_or (t, "Alpha", 0),
      .render_mode = (int)cr_json_get_int_or (t, "RenderMode", CR_RENDER_CROP),
      .image_layer = (int)cr_json_get_int_or (t, "ImageLayer", 0),
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

void
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
    .mode = (CrLayoutMode)cr_json_get_int_or (layout, "MixLayoutMode", CR_LAYOUT_GRID),
    .max_resolution_user = cr_json_get_string (layout, "MaxResolutionUserId"),
    .max_resolution_aux = cr_json_get_int_or (layout, "MediaId", 0) == 1,
    .big_on_right = cr_json_get_int_or (layout, "MaxResolutionUserAlign", 0) == 1,
    .pure_audio_disable = cr_json_get_bool (layout, "PureAudioDisableLayout"),
    .render_mode = (int)cr_json_get_int_or (layout, "RenderMode", CR_RENDER_CROP),
    .custom = (const CrCustomTile *)custom->data,
    .n_custom = custom->len,
  };
  g_autoptr (GArray) tiles
      = cr_layout_compute (&lo, (const CrLayoutStream *)streams->data, streams->len);
  LayerList list
      = { g_array_new (FALSE, TRUE, sizeof (CrMixLayer)), g_ptr_array_new_with_free_func (g_free) };
  CrRect canvas = { 0, 0, lo.width, lo.height };
  add_picture (w, &list, cr_json_get_string (layout, "BackgroundImageUrl"), canvas,
               (int)cr_json_get_int_or (layout, "BackgroundImageRenderMode", CR_RENDER_CROP), 0,
               FALSE, "background");
  const char *default_sub = cr_json_get_string (layout, "DefaultSubBackgroundImage");
  gboolean placeholders = cr_json_get_int_or (layout, "PlaceHolderMode", 0) == 1;
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
    if (!add_picture (w, &list, sub, t->rect, t->render_mode, t->alpha, FALSE, what) && placeholders
        && lo.mode == CR_LAYOUT_CUSTOM) {
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
