/* The task spec from the normalised request; see spec.h.
 *
 * The request has passed the validator, which filled in every default: a member that is still
 * missing here is a bug (or a store row from elsewhere), reported by name, never replaced by a
 * second default. */
#include "spec.h"

#include <stdlib.h>
#include <string.h>

#include "auth/secret_reader.h"
#include "common/json_util.h"

/* Reads members of a validated object; the first one missing is remembered. */
typedef struct {
  const char *missing;
  char *unreadable; /* a member present but not readable (a sealed value that does not open) */
} Reader;

static gint64
need_int (Reader *rd, JsonObject *o, const char *name)
{
  gint64 v = 0;
  if (!cr_json_get_int (o, name, &v) && rd->missing == NULL)
    rd->missing = name;
  return v;
}

static char *
need_str (Reader *rd, JsonObject *o, const char *name)
{
  const char *s = cr_json_get_string (o, name);
  if (s == NULL && rd->missing == NULL)
    rd->missing = name;
  return g_strdup (s);
}

static JsonObject *
need_obj (Reader *rd, JsonObject *o, const char *name)
{
  JsonObject *child = cr_json_get_object (o, name);
  if (child == NULL && rd->missing == NULL)
    rd->missing = name;
  return child;
}

/* "#RRGGBB" (the validator's format) as 0xRRGGBB. */
static guint32
colour_rgb (const char *text)
{
  return text != NULL && text[0] == '#' ? (guint32)strtoul (text + 1, NULL, 16) & 0xffffffu : 0;
}

static CrRect
read_rect (Reader *rd, JsonObject *o)
{
  CrRect r = { (int)need_int (rd, o, "Left"), (int)need_int (rd, o, "Top"),
               (int)need_int (rd, o, "Width"), (int)need_int (rd, o, "Height") };
  return r;
}

static void
watermark_clear (CrSpecWatermark *w)
{
  g_free (w->url);
  g_free (w->chars);
}

static void
tile_clear (CrCustomTile *t)
{
  g_free ((char *)t->user_id);
  g_free ((char *)t->sub_background_image);
}

static void
read_watermark (Reader *rd, JsonObject *o, GArray *out)
{
  CrSpecWatermark w = { .type = (CrWatermarkType)need_int (rd, o, "WaterMarkType") };
  JsonObject *image = cr_json_get_object (o, "WaterMarkImage");
  JsonObject *chars = cr_json_get_object (o, "WaterMarkChar");
  JsonObject *ts = cr_json_get_object (o, "WaterMarkTimestamp");
  if (w.type == CR_WATERMARK_IMAGE && image != NULL) {
    w.rect = read_rect (rd, image);
    w.url = need_str (rd, image, "WaterMarkUrl");
  } else if (w.type == CR_WATERMARK_CHAR && chars != NULL) {
    w.rect = read_rect (rd, chars);
    w.chars = need_str (rd, chars, "Chars");
    w.font_px = (int)need_int (rd, chars, "FontSize");
    g_autofree char *fg = need_str (rd, chars, "FontColor");
    g_autofree char *bg = need_str (rd, chars, "BackGroundColor");
    g_autofree char *font = need_str (rd, chars, "Font");
    w.font_rgb = colour_rgb (fg);
    w.has_background = bg != NULL && bg[0] != '\0';
    w.background_rgb = colour_rgb (bg);
    w.source_han_sans = g_strcmp0 (font, "SourceHanSans") == 0;
  } else if (w.type == CR_WATERMARK_TIMESTAMP && ts != NULL) {
    w.pos = (int)need_int (rd, ts, "Pos");
    w.time_zone = (int)need_int (rd, ts, "TimeZone");
    g_autofree char *font = need_str (rd, ts, "Font");
    w.source_han_sans = g_strcmp0 (font, "SourceHanSans") == 0;
  } else if (rd->missing == NULL) {
    rd->missing = "WaterMarkImage/WaterMarkChar/WaterMarkTimestamp";
  }
  g_array_append_val (out, w);
}

static void
read_tile (Reader *rd, JsonObject *o, GArray *out)
{
  CrCustomTile t = {
    .top = (int)need_int (rd, o, "Top"),
    .left = (int)need_int (rd, o, "Left"),
    .width = (int)need_int (rd, o, "Width"),
    .height = (int)need_int (rd, o, "Height"),
    .user_id = g_strdup (cr_json_get_string (o, "UserId")),
    .aux = need_int (rd, o, "MediaId") == 1,
    .alpha = (int)need_int (rd, o, "Alpha"),
    .render_mode = (int)need_int (rd, o, "RenderMode"),
    .image_layer = (int)need_int (rd, o, "ImageLayer"),
    .sub_background_image = g_strdup (cr_json_get_string (o, "SubBackgroundImage")),
  };
  g_array_append_val (out, t);
}

static void
read_layout (Reader *rd, JsonObject *o, CrSpecLayout *l)
{
  l->mode = (CrLayoutMode)need_int (rd, o, "MixLayoutMode");
  JsonArray *tiles = cr_json_get_array (o, "MixLayoutList");
  for (guint i = 0; tiles != NULL && i < json_array_get_length (tiles); i++)
    read_tile (rd, json_array_get_object_element (tiles, i), l->tiles);
  g_autofree char *bg = need_str (rd, o, "BackGroundColor");
  l->background_rgb = colour_rgb (bg);
  l->max_resolution_user = g_strdup (cr_json_get_string (o, "MaxResolutionUserId"));
  l->max_resolution_aux = need_int (rd, o, "MediaId") == 1;
  l->background_image_url = g_strdup (cr_json_get_string (o, "BackgroundImageUrl"));
  l->background_image_render_mode = (CrRenderMode)need_int (rd, o, "BackgroundImageRenderMode");
  l->placeholders = need_int (rd, o, "PlaceHolderMode") == 1;
  l->default_sub_background_image = g_strdup (cr_json_get_string (o, "DefaultSubBackgroundImage"));
  JsonArray *marks = cr_json_get_array (o, "WaterMarkList");
  for (guint i = 0; marks != NULL && i < json_array_get_length (marks); i++)
    read_watermark (rd, json_array_get_object_element (marks, i), l->watermarks);
  l->render_mode = (CrRenderMode)need_int (rd, o, "RenderMode");
  l->big_on_right = need_int (rd, o, "MaxResolutionUserAlign") == 1;
  /* @o is NULL when a mixed request lacks MixLayoutParams (need_obj has named it already): the
   * other readers take NULL, json_object_has_member does not (a critical, fatal in the tests). */
  if ((o == NULL || !json_object_has_member (o, "PureAudioDisableLayout")) && rd->missing == NULL)
    rd->missing = "PureAudioDisableLayout";
  l->pure_audio_disable = cr_json_get_bool (o, "PureAudioDisableLayout");
}

static void
read_transcode (Reader *rd, JsonObject *o, CrSpecTranscode *t)
{
  static const int rates[] = { 0, 48000, 44100, 16000 }; /* SampleRate 1..3 */
  JsonObject *video = need_obj (rd, o, "VideoParams");
  JsonObject *audio = need_obj (rd, o, "AudioParams");
  t->width = (int)need_int (rd, video, "Width");
  t->height = (int)need_int (rd, video, "Height");
  t->fps = (int)need_int (rd, video, "Fps");
  t->video_bitrate = (int)need_int (rd, video, "BitRate");
  t->gop_s = (int)need_int (rd, video, "Gop");
  t->sample_rate = rates[CLAMP (need_int (rd, audio, "SampleRate"), 1, 3)];
  t->channels = (int)need_int (rd, audio, "Channel");
  t->audio_bitrate = (int)need_int (rd, audio, "BitRate");
}

static void
read_storage (Reader *rd, JsonObject *o, CrSpecStorage *s)
{
  JsonObject *cloud = cr_json_get_object (o, "CloudStorage");
  s->vod = cloud == NULL;
  JsonArray *prefix = cr_json_get_array (cloud, "FileNamePrefix");
  guint n = prefix != NULL ? json_array_get_length (prefix) : 0;
  s->prefix = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    s->prefix[i] = g_strdup (json_array_get_string_element (prefix, i));
  if (cloud == NULL) {
    JsonObject *vod = cr_json_get_object (o, "CloudVod");
    if (vod == NULL && rd->missing == NULL)
      rd->missing = "CloudStorage";
    JsonObject *tencent = cr_json_get_object (vod, "TencentVod");
    gint64 media_type = 0;
    cr_json_get_int (tencent, "MediaType", &media_type);
    s->vod_media_type = (int)CLAMP (media_type, 0, 4);
    s->vod_json = tencent != NULL ? cr_json_object_to_string (tencent) : g_strdup ("{}");
    return;
  }
  s->vendor = (int)need_int (rd, cloud, "Vendor");
  s->region = need_str (rd, cloud, "Region");
  s->bucket = need_str (rd, cloud, "Bucket");
  s->access_key = need_str (rd, cloud, "AccessKey");
  /* Sealed at Create (auth/secret_box.h); a plain value is from before sealing. In a worker,
   * which has no opener (auth/secret_reader.h), a sealed value leaves secret_key NULL. */
  g_autofree char *stored = need_str (rd, cloud, "SecretKey");
  g_autoptr (GError) open_error = NULL;
  if (stored != NULL && (s->secret_key = cr_secret_reader_open (stored, &open_error)) == NULL
      && open_error != NULL && rd->unreadable == NULL)
    rd->unreadable
        = g_strdup_printf ("StorageParams.CloudStorage.SecretKey: %s", open_error->message);
}

CrTaskSpec *
cr_task_spec_alloc (void)
{
  CrTaskSpec *spec = g_new0 (CrTaskSpec, 1);
  spec->layout.tiles = g_array_new (FALSE, TRUE, sizeof (CrCustomTile));
  g_array_set_clear_func (spec->layout.tiles, (GDestroyNotify)tile_clear);
  spec->layout.watermarks = g_array_new (FALSE, TRUE, sizeof (CrSpecWatermark));
  g_array_set_clear_func (spec->layout.watermarks, (GDestroyNotify)watermark_clear);
  return spec;
}

CrTaskSpec *
cr_task_spec_new (JsonObject *request, GError **error)
{
  if (json_object_has_member (request, "RecordUrl")) /* StartWebRecord: task/spec_web.c */
    return cr_task_spec_new_web (request, error);
  g_autoptr (CrTaskSpec) spec = cr_task_spec_alloc ();
  Reader rd = { NULL, NULL };
  spec->sdk_app_id = (guint64)need_int (&rd, request, "SdkAppId");
  spec->room_id = need_str (&rd, request, "RoomId");
  spec->string_room = need_int (&rd, request, "RoomIdType") == 0;
  spec->user_id = need_str (&rd, request, "UserId");
  JsonObject *record = need_obj (&rd, request, "RecordParams");
  spec->record_mode = (CrRecordMode)need_int (&rd, record, "RecordMode");
  spec->max_idle_s = need_int (&rd, record, "MaxIdleTime");
  spec->stream_type = (CrStreamType)need_int (&rd, record, "StreamType");
  spec->subscription = cr_subscription_new (cr_json_get_object (record, "SubscribeStreamUserIds"));
  spec->output_format = (CrOutputFormat)need_int (&rd, record, "OutputFormat");
  spec->av_merge = need_int (&rd, record, "AvMerge") == 1;
  spec->max_file_ms = need_int (&rd, record, "MaxMediaFileDuration") * 60000;
  spec->media = (CrMediaSelect)need_int (&rd, record, "MediaId");
  spec->fill_type = (CrFillType)need_int (&rd, record, "FillType");
  read_storage (&rd, need_obj (&rd, request, "StorageParams"), &spec->storage);
  if (spec->storage.vod) {
    /* TencentVod.MediaType decides what the library gets, in OutputFormat's terms. */
    static const CrOutputFormat by_media_type[]
        = { CR_OUTPUT_MP4, CR_OUTPUT_HLS, CR_OUTPUT_AAC, CR_OUTPUT_HLS_MP4, CR_OUTPUT_HLS_AAC };
    spec->output_format = by_media_type[spec->storage.vod_media_type];
  }
  if (spec->record_mode == CR_RECORD_MIXED) {
    read_transcode (&rd, need_obj (&rd, request, "MixTranscodeParams"), &spec->transcode);
    read_layout (&rd, need_obj (&rd, request, "MixLayoutParams"), &spec->layout);
  }
  JsonNode *mp3 = json_object_get_member (request, CR_SPEC_AUDIO_MP3);
  spec->audio_mp3 = mp3 != NULL && JSON_NODE_HOLDS_VALUE (mp3)
                    && json_node_get_value_type (mp3) == G_TYPE_BOOLEAN
                    && json_node_get_boolean (mp3);
  g_autoptr (GError) once_error = NULL;
  spec->once = cr_spec_once_read (request, &once_error);
  if (once_error != NULL && rd.unreadable == NULL)
    rd.unreadable = g_strdup (once_error->message);
  if (rd.missing != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "the task's request is not a normalised CreateCloudRecording: %s is missing",
                 rd.missing);
    g_free (rd.unreadable);
    return NULL;
  }
  if (rd.unreadable != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the task's %s", rd.unreadable);
    g_free (rd.unreadable);
    return NULL;
  }
  return g_steal_pointer (&spec);
}

gboolean
cr_task_spec_read_storage (JsonObject *storage_params, CrSpecStorage *out, GError **error)
{
  Reader rd = { NULL, NULL };
  if (storage_params == NULL)
    rd.missing = "StorageParams";
  else
    read_storage (&rd, storage_params, out);
  if (rd.missing != NULL || rd.unreadable != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the task's %s%s",
                 rd.missing != NULL ? rd.missing : rd.unreadable,
                 rd.missing != NULL ? " is missing" : "");
    g_free (rd.unreadable);
    return FALSE;
  }
  return TRUE;
}

CrTaskSpec *
cr_task_spec_new_from_text (const char *json, GError **error)
{
  g_autoptr (JsonObject) request = cr_json_parse_object (json, strlen (json), error);
  return request != NULL ? cr_task_spec_new (request, error) : NULL;
}

void
cr_task_spec_free (CrTaskSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->room_id);
  g_free (spec->user_id);
  g_clear_pointer (&spec->subscription, cr_subscription_free);
  g_free (spec->storage.region);
  g_free (spec->storage.bucket);
  g_free (spec->storage.access_key);
  g_free (spec->storage.secret_key);
  g_strfreev (spec->storage.prefix);
  g_free (spec->storage.vod_json);
  g_array_unref (spec->layout.tiles);
  g_free (spec->layout.max_resolution_user);
  g_free (spec->layout.background_image_url);
  g_free (spec->layout.default_sub_background_image);
  g_array_unref (spec->layout.watermarks);
  cr_spec_once_free (spec->once);
  if (spec->web != NULL) {
    g_free (spec->web->url);
    g_free (spec->web->record_id);
    if (spec->web->publish != NULL) {
      CrSpecBoardPublish *b = spec->web->publish;
      g_free (b->server);
      g_free (b->ca_file);
      g_free (b->room);
      g_free (b->user);
      g_free (b->usersig);
      g_free (b);
    }
    g_free (spec->web);
  }
  g_free (spec);
}

gboolean
cr_task_spec_keeps_hls (const CrTaskSpec *spec)
{
  return spec->output_format <= CR_OUTPUT_HLS_AAC;
}

gboolean
cr_task_spec_wants (const CrTaskSpec *spec, const char *user_id, gboolean aux, gboolean video)
{
  if (g_strcmp0 (user_id, spec->user_id) == 0)
    return FALSE; /* the robot itself */
  if ((spec->stream_type == CR_STREAMS_AUDIO && video)
      || (spec->stream_type == CR_STREAMS_VIDEO && !video))
    return FALSE;
  if ((spec->media == CR_MEDIA_MAIN && aux) || (spec->media == CR_MEDIA_AUX && !aux))
    return FALSE;
  return cr_subscription_wants (spec->subscription, user_id, video);
}

static gboolean
same_tiles (const GArray *a, const GArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++) {
    const CrCustomTile *x = &g_array_index (a, CrCustomTile, i);
    const CrCustomTile *y = &g_array_index (b, CrCustomTile, i);
    if (x->top != y->top || x->left != y->left || x->width != y->width || x->height != y->height
        || x->aux != y->aux || x->alpha != y->alpha || x->render_mode != y->render_mode
        || x->image_layer != y->image_layer || g_strcmp0 (x->user_id, y->user_id) != 0
        || g_strcmp0 (x->sub_background_image, y->sub_background_image) != 0)
      return FALSE;
  }
  return TRUE;
}

static gboolean
same_watermarks (const GArray *a, const GArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++) {
    const CrSpecWatermark *x = &g_array_index (a, CrSpecWatermark, i);
    const CrSpecWatermark *y = &g_array_index (b, CrSpecWatermark, i);
    if (x->type != y->type || memcmp (&x->rect, &y->rect, sizeof x->rect) != 0
        || g_strcmp0 (x->url, y->url) != 0 || g_strcmp0 (x->chars, y->chars) != 0
        || x->font_px != y->font_px || x->font_rgb != y->font_rgb
        || x->has_background != y->has_background || x->background_rgb != y->background_rgb
        || x->source_han_sans != y->source_han_sans || x->pos != y->pos
        || x->time_zone != y->time_zone)
      return FALSE;
  }
  return TRUE;
}

gboolean
cr_task_spec_same_layout (const CrSpecLayout *a, const CrSpecLayout *b)
{
  return a->mode == b->mode && a->background_rgb == b->background_rgb
         && g_strcmp0 (a->max_resolution_user, b->max_resolution_user) == 0
         && a->max_resolution_aux == b->max_resolution_aux
         && g_strcmp0 (a->background_image_url, b->background_image_url) == 0
         && a->background_image_render_mode == b->background_image_render_mode
         && a->placeholders == b->placeholders
         && g_strcmp0 (a->default_sub_background_image, b->default_sub_background_image) == 0
         && a->render_mode == b->render_mode && a->big_on_right == b->big_on_right
         && a->pure_audio_disable == b->pure_audio_disable && same_tiles (a->tiles, b->tiles)
         && same_watermarks (a->watermarks, b->watermarks);
}

const CrSpecWatermark *
cr_task_spec_timestamp (const CrTaskSpec *spec)
{
  for (guint i = 0; i < spec->layout.watermarks->len; i++) {
    const CrSpecWatermark *w = &g_array_index (spec->layout.watermarks, CrSpecWatermark, i);
    if (w->type == CR_WATERMARK_TIMESTAMP)
      return w;
  }
  return NULL;
}

CrNamingTask
cr_task_spec_naming (const CrTaskSpec *spec, const char *task_id)
{
  return (CrNamingTask){ .sdk_app_id = spec->sdk_app_id,
                         .room_id = spec->room_id,
                         .string_room = spec->string_room,
                         .task_id = task_id,
                         .prefix = (const char *const *)spec->storage.prefix };
}
