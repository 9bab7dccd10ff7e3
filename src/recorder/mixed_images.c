/* The pictures a mixed task shows (background image, placeholders, image watermarks), through the
 * mix's image cache (mix/image_cache.h) in <data-dir>/cache/images. A URL that cannot be
 * downloaded or decoded is reported once with callback 309 and the recording goes on without it.
 * See mixed_private.h. */
#include "recorder/mixed_private.h"

static void
mixed_image_failed (const char *url, const char *why, gpointer data)
{
  Mixed *m = data;
  Worker *w = m->base.w;
  g_warning ("task %s: image %s: %s", w->task->task_id, url, why);
  JsonObject *payload = json_object_new ();
  json_object_set_string_member (payload, "Url", url);
  worker_emit (w, CR_EVENT_DOWNLOAD_IMAGE_ERROR, payload);
}

const CrPicture *
mixed_picture (Mixed *m, const char *url, int width, int height, int render_mode)
{
  Worker *w = m->base.w;
  if (url == NULL || *url == '\0')
    return NULL;
  if (m->images == NULL) {
    g_autofree char *dir = g_build_filename (w->o->data_dir, "cache", "images", NULL);
    g_autoptr (GError) error = NULL;
    m->images = cr_image_cache_new (dir, w->o->fetch_deny, mixed_image_failed, m, &error);
    if (m->images == NULL) { /* a bad fetch-deny: the daemon checked it at its start */
      g_warning ("task %s: no pictures: %s", w->task->task_id, error->message);
      return NULL;
    }
  }
  return cr_image_cache_get (m->images, url, width, height, render_mode);
}
