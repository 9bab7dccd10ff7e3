/* The layers of a mixed picture from the task spec; see mix_scene.h. */
#include "mix/mix_scene.h"

#include "mix/mix_private.h"

#define PLACEHOLDER_RGB 0x333333u /* PlaceHolderMode 1 with no picture: a dark tile */

void
cr_mix_options_set_transcode (CrMixOptions *o, const CrSpecTranscode *t)
{
  o->width = t->width;
  o->height = t->height;
  o->fps = t->fps;
  o->video_bitrate = t->video_bitrate;
  o->gop_s = t->gop_s;
  o->sample_rate = t->sample_rate;
  o->channels = t->channels;
  o->audio_bitrate = t->audio_bitrate;
}

void
cr_mix_scene_free (CrMixScene *scene)
{
  if (scene == NULL)
    return;
  g_array_unref (scene->layers);
  g_ptr_array_unref (scene->ids);
  g_free (scene);
}

static void
scene_add (CrMixScene *scene, CrMixLayer layer, char *id)
{
  g_ptr_array_add (scene->ids, id);
  layer.id = id;
  g_array_append_val (scene->layers, layer);
}

typedef struct {
  CrMixScene *scene;
  CrMixPictureFunc picture;
  gpointer data;
} Builder;

/* The picture of @url in @rect, under the tiles or (@over, a watermark) over everything; FALSE
 * when there is none. */
static gboolean
scene_add_picture (Builder *b, const char *url, CrRect rect, int render_mode, int alpha,
                   gboolean over, const char *what)
{
  const CrPicture *picture = url != NULL && b->picture != NULL
                                 ? b->picture (url, rect.width, rect.height, render_mode, b->data)
                                 : NULL;
  if (picture == NULL)
    return FALSE;
  CrMixLayer l = {
    .kind = CR_MIX_LAYER_PICTURE, .rect = rect, .alpha = alpha, .picture = picture, .over = over
  };
  scene_add (b->scene, l,
             g_strdup_printf ("%s|%s|%d,%d,%dx%d|%d", what, url, rect.x, rect.y, rect.width,
                              rect.height, render_mode));
  return TRUE;
}

static void
scene_add_watermarks (Builder *b, const CrSpecLayout *layout)
{
  for (guint i = 0; i < layout->watermarks->len; i++) {
    const CrSpecWatermark *mark = &g_array_index (layout->watermarks, CrSpecWatermark, i);
    g_autofree char *what = g_strdup_printf ("watermark%u", i);
    if (mark->type == CR_WATERMARK_IMAGE) {
      scene_add_picture (b, mark->url, mark->rect, CR_RENDER_STRETCH, 0, TRUE, what);
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
    scene_add (b->scene, l,
               g_strdup_printf ("%s|%s|%s|%d|%08x|%08x|%d,%d,%dx%d", what, l.text, font, l.font_px,
                                l.argb, l.bg_argb, l.rect.x, l.rect.y, l.rect.width,
                                l.rect.height));
  }
}

GArray *
cr_mix_scene_tiles (const CrSpecLayout *layout, int width, int height,
                    const CrLayoutStream *streams, guint n)
{
  CrLayoutOptions lo = {
    .width = width,
    .height = height,
    .mode = layout->mode,
    .max_resolution_user = layout->max_resolution_user,
    .max_resolution_aux = layout->max_resolution_aux,
    .big_on_right = layout->big_on_right,
    .pure_audio_disable = layout->pure_audio_disable,
    .render_mode = layout->render_mode,
    .custom = (const CrCustomTile *)layout->tiles->data,
    .n_custom = layout->tiles->len,
  };
  return cr_layout_compute (&lo, streams, n);
}

CrMixScene *
cr_mix_scene_new (const CrSpecLayout *layout, int width, int height, const CrLayoutStream *streams,
                  const char *const *video_keys, guint n, CrMixPictureFunc picture,
                  gpointer picture_data)
{
  CrMixScene *scene = g_new0 (CrMixScene, 1);
  scene->layers = g_array_new (FALSE, TRUE, sizeof (CrMixLayer));
  scene->ids = g_ptr_array_new_with_free_func (g_free);
  Builder b = { scene, picture, picture_data };
  g_autoptr (GArray) tiles = cr_mix_scene_tiles (layout, width, height, streams, n);
  scene->tiles = tiles->len;
  CrRect canvas = { 0, 0, width, height };
  scene_add_picture (&b, layout->background_image_url, canvas, layout->background_image_render_mode,
                     0, FALSE, "background");
  for (guint i = 0; i < tiles->len; i++) {
    const CrTile *t = &g_array_index (tiles, CrTile, i);
    const CrLayoutStream *s = t->stream >= 0 ? &streams[t->stream] : NULL;
    GST_DEBUG ("tile %u at %d,%d %dx%d: %s", i, t->rect.x, t->rect.y, t->rect.width, t->rect.height,
               s == NULL      ? "empty"
               : s->has_video ? s->user_id
                              : "no picture");
    if (s != NULL && s->has_video) {
      CrMixLayer l = { .kind = CR_MIX_LAYER_INPUT,
                       .rect = t->rect,
                       .alpha = t->alpha,
                       .render_mode = t->render_mode };
      scene_add (scene, l, g_strdup (video_keys[t->stream]));
      continue;
    }
    /* No picture for this tile: its placeholder image, else a dark tile (PlaceHolderMode). */
    g_autofree char *what = g_strdup_printf ("tile%u", i);
    const char *sub = t->sub_background_image != NULL ? t->sub_background_image
                                                      : layout->default_sub_background_image;
    if (!scene_add_picture (&b, sub, t->rect, t->render_mode, t->alpha, FALSE, what)
        && layout->placeholders && layout->mode == CR_LAYOUT_CUSTOM) {
      CrMixLayer l = {
        .kind = CR_MIX_LAYER_COLOR, .rect = t->rect, .alpha = t->alpha, .argb = PLACEHOLDER_RGB
      };
      scene_add (scene, l,
                 g_strdup_printf ("%s|placeholder|%d,%d,%dx%d", what, t->rect.x, t->rect.y,
                                  t->rect.width, t->rect.height));
    }
  }
  scene_add_watermarks (&b, layout);
  return scene;
}
