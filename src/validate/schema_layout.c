/* Schemas of the mixed-recording parameters: MixTranscodeParams, MixLayoutParams, MixLayout and
 * the WaterMark family (reference §6.8-§6.11), with their cross-field rules and the canvas check
 * that Create and Modify share. */
#include "validate/schema_layout.h"

#include "common/api_error.h"
#include "common/json_util.h"
#include "validate/schema_macros.h"
#include "mix/layout.h"

#define RENDER_MODES CR_ALLOW (0, 1, 2, 3)

static gboolean
video_check (JsonObject *o, const char *path, GError **error)
{
  gint64 w = 0, h = 0;
  cr_json_get_int (o, "Width", &w);
  cr_json_get_int (o, "Height", &h);
  if (w * h > 1920 * 1080) {
    cr_api_error_set (error, "InvalidParameter.OutOfRange",
                      "%s.Width x Height must be at most 1920x1080 pixels, got %" G_GINT64_FORMAT
                      "x%" G_GINT64_FORMAT,
                      path, w, h);
    return FALSE;
  }
  return TRUE;
}

/* Every member is required once the object is given (reference §6.8). */
static const CrField video_fields[] = {
  F_INT ("Width", TRUE, 1, 1920), F_INT ("Height", TRUE, 1, 1920),
  F_INT ("Fps", TRUE, 1, 60),     F_INT ("BitRate", TRUE, 64000, 8192000),
  F_INT ("Gop", TRUE, 1, 60),
};
static const CrSchema video_schema = CR_SCHEMA (video_fields, video_check);

static const CrField audio_fields[] = {
  F_ENUM ("SampleRate", TRUE, CR_ALLOW (1, 2, 3)),
  F_ENUM ("Channel", TRUE, CR_ALLOW (1, 2)),
  F_INT ("BitRate", TRUE, 32000, 128000),
};
static const CrSchema audio_schema = CR_SCHEMA (audio_fields, NULL);

static const CrField transcode_fields[] = {
  F_OBJ ("VideoParams", FALSE, &video_schema),
  F_OBJ ("AudioParams", FALSE, &audio_schema),
};
const CrSchema cr_schema_mix_transcode = CR_SCHEMA (transcode_fields, NULL);

static const CrField wm_image_fields[] = {
  F_STR ("WaterMarkUrl", TRUE, 1, 1024, cr_format_image_url),
  F_INT ("Top", TRUE, 0, 2560),
  F_INT ("Left", TRUE, 0, 2560),
  F_INT ("Width", TRUE, 0, 2560),
  F_INT ("Height", TRUE, 0, 2560),
};
static const CrSchema wm_image_schema = CR_SCHEMA (wm_image_fields, NULL);

static const char *
format_font (const char *s)
{
  return g_strcmp0 (s, "Tencent") == 0 || g_strcmp0 (s, "SourceHanSans") == 0
             ? NULL
             : "\"Tencent\" or \"SourceHanSans\"";
}

static const char *
format_optional_colour (const char *s)
{
  return *s == '\0' ? NULL : cr_format_colour (s);
}

static const CrField wm_char_fields[] = {
  F_INT ("Top", TRUE, 0, 2560),
  F_INT ("Left", TRUE, 0, 2560),
  F_INT ("Width", TRUE, 0, 2560),
  F_INT ("Height", TRUE, 0, 2560),
  F_STR ("Chars", TRUE, 1, 1024, NULL),
  F_INT_D ("FontSize", 1, 500, 14),
  F_STR_D ("FontColor", 1, 16, cr_format_colour, "#FFFFFF"),
  F_STR_D ("BackGroundColor", 0, 16, format_optional_colour, ""),
  F_STR_D ("Font", 1, 32, format_font, "Tencent"),
};
static const CrSchema wm_char_schema = CR_SCHEMA (wm_char_fields, NULL);

static const CrField wm_timestamp_fields[] = {
  F_ENUM ("Pos", TRUE, CR_ALLOW (0, 1, 2, 3, 4, 5, 6)),
  F_INT_D ("TimeZone", -12, 14, 8),
  F_STR_D ("Font", 1, 32, format_font, "Tencent"),
};
static const CrSchema wm_timestamp_schema = CR_SCHEMA (wm_timestamp_fields, NULL);

static gboolean
watermark_check (JsonObject *o, const char *path, GError **error)
{
  static const char *const members[] = { "WaterMarkImage", "WaterMarkChar", "WaterMarkTimestamp" };
  gint64 type = 0;
  cr_json_get_int (o, "WaterMarkType", &type);
  if (!json_object_has_member (o, members[type])) {
    cr_api_error_set (error, "MissingParameter",
                      "%s.%s is required when WaterMarkType is %" G_GINT64_FORMAT, path,
                      members[type], type);
    return FALSE;
  }
  for (int i = 0; i < 3; i++) {
    if (i != type && json_object_has_member (o, members[i])) {
      cr_api_error_set (error, "InvalidParameter",
                        "%s.%s does not go with WaterMarkType %" G_GINT64_FORMAT, path, members[i],
                        type);
      return FALSE;
    }
  }
  return TRUE;
}

static const CrField watermark_fields[] = {
  F_ENUM_D ("WaterMarkType", CR_ALLOW (0, 1, 2), 0),
  F_OBJ ("WaterMarkImage", FALSE, &wm_image_schema),
  F_OBJ ("WaterMarkChar", FALSE, &wm_char_schema),
  F_OBJ ("WaterMarkTimestamp", FALSE, &wm_timestamp_schema),
};
static const CrSchema watermark_schema = CR_SCHEMA (watermark_fields, watermark_check);

static const CrField mix_layout_fields[] = {
  F_INT ("Top", TRUE, 0, 1920),
  F_INT ("Left", TRUE, 0, 1920),
  F_INT ("Width", TRUE, 0, 1920),
  F_INT ("Height", TRUE, 0, 1920),
  F_STR ("UserId", FALSE, 1, 32, cr_format_user_id),
  F_INT_D ("Alpha", 0, 255, 0),
  F_ENUM_D ("RenderMode", RENDER_MODES, 1),
  F_ENUM_D ("MediaId", CR_ALLOW (0, 1), 0),
  F_INT_D ("ImageLayer", 0, 1000, 0),
  F_STR ("SubBackgroundImage", FALSE, 1, 1024, cr_format_image_url),
};
static const CrSchema mix_layout_schema = CR_SCHEMA (mix_layout_fields, NULL);

static gboolean
layout_params_check (JsonObject *o, const char *path, GError **error)
{
  gint64 mode = 0;
  cr_json_get_int (o, "MixLayoutMode", &mode);
  JsonArray *list = cr_json_get_array (o, "MixLayoutList");
  if (mode == CR_LAYOUT_CUSTOM && (list == NULL || json_array_get_length (list) == 0)) {
    cr_api_error_set (error, "MissingParameter",
                      "%s.MixLayoutList is required (1 to 25 tiles) when MixLayoutMode is 4", path);
    return FALSE;
  }
  return TRUE;
}

static const CrField layout_params_fields[] = {
  F_ENUM ("MixLayoutMode", TRUE, CR_ALLOW (1, 2, 3, 4)),
  F_OBJ_LIST ("MixLayoutList", 25, &mix_layout_schema),
  F_STR_D ("BackGroundColor", 1, 16, cr_format_colour, "#000000"),
  F_STR ("MaxResolutionUserId", FALSE, 1, 32, cr_format_user_id),
  F_ENUM_D ("MediaId", CR_ALLOW (0, 1), 0),
  F_STR ("BackgroundImageUrl", FALSE, 1, 1024, cr_format_image_url),
  F_ENUM_D ("PlaceHolderMode", CR_ALLOW (0, 1), 0),
  F_ENUM_D ("BackgroundImageRenderMode", RENDER_MODES, 1),
  F_STR ("DefaultSubBackgroundImage", FALSE, 1, 1024, cr_format_image_url),
  F_OBJ_LIST ("WaterMarkList", 25, &watermark_schema),
  F_ENUM_D ("RenderMode", RENDER_MODES, 1),
  F_ENUM_D ("MaxResolutionUserAlign", CR_ALLOW (0, 1), 0),
  F_BOOL_D ("PureAudioDisableLayout", FALSE),
};
const CrSchema cr_schema_mix_layout = CR_SCHEMA (layout_params_fields, layout_params_check);

static gboolean
rect_in_canvas (JsonObject *r, const char *what, gint64 cw, gint64 ch, GError **error)
{
  gint64 top = 0, left = 0, w = 0, h = 0;
  cr_json_get_int (r, "Top", &top);
  cr_json_get_int (r, "Left", &left);
  cr_json_get_int (r, "Width", &w);
  cr_json_get_int (r, "Height", &h);
  if (left + w > cw || top + h > ch) {
    cr_api_error_set (error, "InvalidParameter.OutOfRange",
                      "%s (Left %" G_GINT64_FORMAT ", Top %" G_GINT64_FORMAT
                      ", Width %" G_GINT64_FORMAT ", Height %" G_GINT64_FORMAT
                      ") must lie inside the %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " canvas",
                      what, left, top, w, h, cw, ch);
    return FALSE;
  }
  return TRUE;
}

gboolean
cr_validate_layout_in_canvas (JsonObject *layout, gint64 canvas_width, gint64 canvas_height,
                              GError **error)
{
  JsonArray *tiles = cr_json_get_array (layout, "MixLayoutList");
  for (guint i = 0; tiles != NULL && i < json_array_get_length (tiles); i++) {
    g_autofree char *what = g_strdup_printf ("MixLayoutParams.MixLayoutList[%u]", i);
    if (!rect_in_canvas (json_array_get_object_element (tiles, i), what, canvas_width,
                         canvas_height, error))
      return FALSE;
  }
  JsonArray *marks = cr_json_get_array (layout, "WaterMarkList");
  for (guint i = 0; marks != NULL && i < json_array_get_length (marks); i++) {
    JsonObject *wm = json_array_get_object_element (marks, i);
    JsonObject *rect = cr_json_get_object (wm, "WaterMarkImage");
    if (rect == NULL)
      rect = cr_json_get_object (wm, "WaterMarkChar");
    g_autofree char *what = g_strdup_printf ("MixLayoutParams.WaterMarkList[%u]", i);
    if (rect != NULL && !rect_in_canvas (rect, what, canvas_width, canvas_height, error))
      return FALSE;
  }
  return TRUE;
}
