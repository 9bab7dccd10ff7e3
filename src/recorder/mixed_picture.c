/* The picture of a mixed task: the layout engine's tiles for the streams in room-entry order,
 * under the spec's MixLayoutParams as the task says now, turned into the mix's layers: the
 * background image, the users' pictures, placeholders for tiles without one, and the
 * watermarks. See mixed_private.h. */
#include "recorder/mixed_private.h"

#define GST_CAT_DEFAULT cr_recorder_debug

#define PLACEHOLDER_RGB 0x333333u /* PlaceHolderMode 1 with no picture: a dark tile */

int
mixed_timestamp_pos (Mixed *m, gboolean set_zone)
{
  const CrSpecWatermark *ts = cr_task_spec_timestamp (m->base.w->spec);
  if (ts == NULL)
    return -1;
  if (set_zone) {
    g_autofree char *tz = g_strdup_printf ("UTC%+d", -ts->time_zone);
    g_setenv ("TZ", tz, TRUE);
    tzset ();
  }
  return ts->pos;
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
add_picture (Mixed *m, LayerList *list, const char *url, CrRect rect, int render_mode, int alpha,
             gboolean over, const char *what)
{
  const CrPicture *picture = mixed_picture (m, url, rect.width, rect.height, render_mode);
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
add_watermarks (Mixed *m, LayerList *list, const CrSpecLayout *layout)
{
  for (guint i = 0; i < layout->watermarks->len; i++) {
    const CrSpecWatermark *mark = &g_array_index (layout->watermarks, CrSpecWatermark, i);
    g_autofree char *what = g_strdup_printf ("watermark%u", i);
    if (mark->type == CR_WATERMARK_IMAGE) {
      add_picture (m, list, mark->url, mark->rect, CR_RENDER_STRETCH, 0, TRUE, what);
      continue;
    }
    if (mark->type != CR_WATERMARK_CHAR)
      continue; /* the timestamp is the mix's clock (cr_mix_set_timestamp) */
    const char *font = mark->source_han_sans ? "Source Han Sans,Sans" : "Sans";
    CrMixLayer l = {
      .kind = CR_MIX_LAYER_TEXT,
      .over = TRUE,
      .rect = mark->rect,
      .text = mark->chars,
      .font = font,
      .font_px = mark->font_px,
      .argb = 0xff000000u | mark->font_rgb,
      .bg_argb = mark->has_background ? 0xff000000u | mark->background_rgb : 0,
    };
    add_layer (list, l,
               g_strdup_printf ("%s|%s|%s|%d|%08x|%08x|%d,%d,%dx%d", what, l.text, font, l.font_px,
                                l.argb, l.bg_argb, l.rect.x, l.rect.y, l.rect.width,
                                l.rect.height));
  }
}

/* The streams in room-entry order, as the layout engine takes them. */
static GArray *
layout_streams (Mixed *m)
{
  GArray *streams = g_array_new (FALSE, TRUE, sizeof (CrLayoutStream));
  for (guint i = 0; i < m->order->len; i++) {
    MixStream *s = g_ptr_array_index (m->order, i);
    CrLayoutStream ls = { s->user_id, s->aux, s->has_video };
    g_array_append_val (streams, ls);
  }
  return streams;
}

void
mixed_relayout (Mixed *m)
{
  Worker *w = m->base.w;
  const CrSpecLayout *layout = &w->spec->layout;
  g_autoptr (GArray) streams = layout_streams (m);
  CrLayoutOptions lo = {
    .width = m->width,
    .height = m->height,
    .mode = layout->mode,
    .max_resolution_user = layout->max_resolution_user,
    .max_resolution_aux = layout->max_resolution_aux,
    .big_on_right = layout->big_on_right,
    .pure_audio_disable = layout->pure_audio_disable,
    .render_mode = layout->render_mode,
    .custom = (const CrCustomTile *)layout->tiles->data,
    .n_custom = layout->tiles->len,
  };
  g_autoptr (GArray) tiles
      = cr_layout_compute (&lo, (const CrLayoutStream *)streams->data, streams->len);
  LayerList list
      = { g_array_new (FALSE, TRUE, sizeof (CrMixLayer)), g_ptr_array_new_with_free_func (g_free) };
  CrRect canvas = { 0, 0, lo.width, lo.height };
  add_picture (m, &list, layout->background_image_url, canvas, layout->background_image_render_mode,
               0, FALSE, "background");
  const char *default_sub = layout->default_sub_background_image;
  for (guint i = 0; i < tiles->len; i++) {
    const CrTile *t = &g_array_index (tiles, CrTile, i);
    const CrLayoutStream *s
        = t->stream >= 0 ? &g_array_index (streams, CrLayoutStream, t->stream) : NULL;
    g_autofree char *what = g_strdup_printf ("tile%u", i);
    GST_DEBUG ("task %s: tile %u at %d,%d %dx%d: %s", w->o->task_id, i, t->rect.x, t->rect.y,
               t->rect.width, t->rect.height,
               s == NULL      ? "empty"
               : s->has_video ? s->user_id
                              : "no picture");
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
    if (!add_picture (m, &list, sub, t->rect, t->render_mode, t->alpha, FALSE, what)
        && layout->placeholders && lo.mode == CR_LAYOUT_CUSTOM) {
      CrMixLayer l = {
        .kind = CR_MIX_LAYER_COLOR, .rect = t->rect, .alpha = t->alpha, .argb = PLACEHOLDER_RGB
      };
      add_layer (&list, l,
                 g_strdup_printf ("%s|placeholder|%d,%d,%dx%d", what, t->rect.x, t->rect.y,
                                  t->rect.width, t->rect.height));
    }
  }
  add_watermarks (m, &list, layout);
  cr_mix_set_timestamp (m->mix, mixed_timestamp_pos (m, FALSE));
  cr_mix_set_layers (m->mix, (const CrMixLayer *)list.layers->data, list.layers->len);
  g_info ("task %s: picture laid out: %u tiles, %u layers", w->task->task_id, tiles->len,
          list.layers->len);
  g_array_unref (list.layers);
  g_ptr_array_unref (list.ids);
}
