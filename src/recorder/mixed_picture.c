/* The picture of a mixed task: the streams in room-entry order under the spec's MixLayoutParams
 * as the task says now, turned into the mix's layers by mix/mix_scene.h (the same function
 * `cloudrec compose` draws with). See mixed_private.h. */
#include "recorder/mixed_private.h"

#include "mix/mix_scene.h"

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

static const CrPicture *
mixed_scene_picture (const char *url, int width, int height, int render_mode, gpointer data)
{
  return mixed_picture (data, url, width, height, render_mode);
}

void
mixed_relayout (Mixed *m)
{
  Worker *w = m->base.w;
  /* The streams in room-entry order, as the layout engine takes them, and their video inputs. */
  g_autoptr (GArray) streams = g_array_new (FALSE, TRUE, sizeof (CrLayoutStream));
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < m->order->len; i++) {
    MixStream *s = g_ptr_array_index (m->order, i);
    CrLayoutStream ls = { s->user_id, s->aux, s->has_video };
    g_array_append_val (streams, ls);
    g_ptr_array_add (keys, g_strdup_printf ("%s/%s/video", s->user_id, s->aux ? "aux" : "main"));
  }
  g_autoptr (CrMixScene) scene = cr_mix_scene_new (
      &w->spec->layout, m->width, m->height, (const CrLayoutStream *)streams->data,
      (const char *const *)keys->pdata, streams->len, mixed_scene_picture, m);
  cr_mix_set_timestamp (m->mix, mixed_timestamp_pos (m, FALSE));
  cr_mix_set_layers (m->mix, (const CrMixLayer *)scene->layers->data, scene->layers->len);
  g_info ("task %s: picture laid out: %u tiles, %u layers", w->task->task_id, scene->tiles,
          scene->layers->len);
}
