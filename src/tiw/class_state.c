/* A class recording's rules; see class_state.h. */
#include "class_state.h"

#include <string.h>

#include "common/api_error.h"
#include "common/json_util.h"
#include "task/codes.h"

#define MODEL_WIDTH 1280 /* the built-in models' canvas */
#define MODEL_HEIGHT 720

static gboolean
cr_json_get_bool_or (JsonObject *o, const char *member, gboolean fallback)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, member) : NULL;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (n);
}

static const char *const state_names[]
    = { "PREPARED", "RECORDING", "PAUSED", "STOPPED", "FINISHED" };
static const char *const op_names[]
    = { "PauseOnlineRecord", "ResumeOnlineRecord", "StopOnlineRecord" };

const char *
cr_class_state_name (CrClassState state)
{
  return (guint)state < G_N_ELEMENTS (state_names) ? state_names[state] : "?";
}

gboolean
cr_class_state_from_name (const char *name, CrClassState *out)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (state_names); i++) {
    if (strcmp (state_names[i], name) == 0) {
      *out = (CrClassState)i;
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
cr_class_state_active (CrClassState state)
{
  return state == CR_CLASS_PREPARED || state == CR_CLASS_RECORDING || state == CR_CLASS_PAUSED;
}

gboolean
cr_class_state_apply (CrClassState state, CrClassOp op, CrClassState *out, GError **error)
{
  CrClassState next = state;
  gboolean ok = FALSE;
  const char *need = "";
  switch (op) {
  case CR_CLASS_OP_PAUSE:
    ok = state == CR_CLASS_RECORDING;
    next = CR_CLASS_PAUSED;
    need = "RECORDING";
    break;
  case CR_CLASS_OP_RESUME:
    ok = state == CR_CLASS_PAUSED;
    next = CR_CLASS_RECORDING;
    need = "PAUSED";
    break;
  case CR_CLASS_OP_STOP:
    ok = cr_class_state_active (state);
    next = CR_CLASS_STOPPED;
    need = "PREPARED, RECORDING or PAUSED";
    break;
  }
  if (!ok) {
    cr_api_error_set (error, CR_CLASS_ERROR_STATE, "%s needs a task that is %s; this one is %s",
                      op_names[op], need, cr_class_state_name (state));
    return FALSE;
  }
  *out = next;
  return TRUE;
}

gboolean
cr_class_check_record_user (const char *user, guint64 room_id, GError **error)
{
  g_autofree char *head = g_strdup_printf ("tic_record_user_%" G_GUINT64_FORMAT "_", room_id);
  gboolean ok = g_str_has_prefix (user, head) && strlen (user) > strlen (head);
  for (const char *p = user; ok && *p; p++)
    ok = g_ascii_isalnum (*p) || *p == '_' || *p == '-';
  if (!ok) {
    cr_api_error_set (error, "InvalidParameter.RecordUserId",
                      "RecordUserId must be %s<random> (letters, digits, '_' or '-'), got \"%s\"",
                      head, user);
    return FALSE;
  }
  return TRUE;
}

int
cr_class_model_layout (gint64 model_id)
{
  switch (model_id) {
  case 1:
    return 2; /* screen sharing: one big picture, small ones in a column beside it */
  case 2:
    return 3; /* grid */
  default:
    return 0;
  }
}

static gboolean
has_extra (JsonObject *req, const char *name)
{
  JsonArray *extras = cr_json_get_array (req, "Extras");
  for (guint i = 0; extras != NULL && i < json_array_get_length (extras); i++) {
    if (g_strcmp0 (json_array_get_string_element (extras, i), name) == 0)
      return TRUE;
  }
  return FALSE;
}

static gboolean
enabled (JsonObject *o)
{
  return o != NULL && cr_json_get_bool_or (o, "Enabled", FALSE);
}

gboolean
cr_class_check_request (JsonObject *req, GError **error)
{
  const char *mode = cr_json_get_string (req, "RecordMode");
  if (g_strcmp0 (mode, "REALTIME_MODE") != 0 && g_strcmp0 (mode, "VIDEO_GENERATION_MODE") != 0) {
    cr_api_error_set (error, "InvalidParameter.RecordMode",
                      "RecordMode must be REALTIME_MODE or VIDEO_GENERATION_MODE, got \"%s\"",
                      mode != NULL ? mode : "");
    return FALSE;
  }
  JsonArray *extras = cr_json_get_array (req, "Extras");
  for (guint i = 0; extras != NULL && i < json_array_get_length (extras); i++) {
    if (g_strcmp0 (json_array_get_string_element (extras, i), "MIX_STREAM") != 0) {
      cr_api_error_set (error, "InvalidParameter.InvalidExtra",
                        "Extras[%u] \"%s\" is not a feature; the only one is MIX_STREAM", i,
                        json_array_get_string_element (extras, i));
      return FALSE;
    }
  }
  JsonObject *mix = cr_json_get_object (req, "MixStream");
  if (enabled (mix)) {
    if (!has_extra (req, "MIX_STREAM")) {
      cr_api_error_set (error, "InvalidParameter.InvalidExtra",
                        "MixStream.Enabled needs \"MIX_STREAM\" in Extras");
      return FALSE;
    }
    if (!json_object_has_member (mix, "Custom") && !json_object_has_member (mix, "ModelId")) {
      cr_api_error_set (error, "MissingParameter",
                        "MixStream.ModelId is required when MixStream.Custom is not given");
      return FALSE;
    }
    JsonObject *custom = cr_json_get_object (mix, "Custom");
    if (custom != NULL) {
      JsonObject *canvas
          = cr_json_get_object (cr_json_get_object (custom, "Canvas"), "LayoutParams");
      gint64 cw = cr_json_get_int_or (canvas, "Width", 0),
             ch = cr_json_get_int_or (canvas, "Height", 0);
      JsonArray *list = cr_json_get_array (custom, "InputStreamList");
      if (list == NULL || json_array_get_length (list) == 0) {
        cr_api_error_set (error, "MissingParameter",
                          "MixStream.Custom.InputStreamList needs at least one stream");
        return FALSE;
      }
      for (guint i = 0; i < json_array_get_length (list); i++) {
        JsonObject *lp
            = cr_json_get_object (json_array_get_object_element (list, i), "LayoutParams");
        if (cr_json_get_int_or (lp, "X", 0) + cr_json_get_int_or (lp, "Width", 0) > cw
            || cr_json_get_int_or (lp, "Y", 0) + cr_json_get_int_or (lp, "Height", 0) > ch) {
          cr_api_error_set (error, "InvalidParameter",
                            "MixStream.Custom.InputStreamList[%u].LayoutParams must lie inside "
                            "the %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " Canvas",
                            i, cw, ch);
          return FALSE;
        }
      }
    }
  }
  gint64 room = cr_json_get_int_or (req, "RoomId", 0);
  return cr_class_check_record_user (cr_json_get_string (req, "RecordUserId"), (guint64)room,
                                     error);
}

char *
cr_class_trtc_room (JsonObject *req, gboolean *string_room)
{
  const char *str = cr_json_get_string (req, "TRTCRoomIdStr");
  if (str != NULL && *str != '\0') {
    *string_room = TRUE;
    return g_strdup (str);
  }
  *string_room = FALSE;
  gint64 room = 0;
  if (!cr_json_get_int (req, "TRTCRoomId", &room))
    room = cr_json_get_int_or (req, "RoomId", 0);
  return g_strdup_printf ("%" G_GINT64_FORMAT, room);
}

/* A StreamControls StreamId as a subscription entry: TIW matches stream ids by prefix, TRTC's
 * lists do when an entry ends in ".*$". "tic_record_user" so matches the board's publisher
 * (its RecordUserId); "tic_substream" (screen shares) concerns no per-user main stream, and an
 * id no UserId can start with (too long, other characters) matches nobody: both give NULL. */
static char *
control_entry (const char *stream_id)
{
  if (stream_id == NULL || *stream_id == '\0' || g_str_has_prefix (stream_id, "tic_substream")
      || strlen (stream_id) > 32)
    return NULL;
  for (const char *c = stream_id; *c != '\0'; c++) {
    if (!g_ascii_isalnum (*c) && *c != '_' && *c != '-')
      return NULL;
  }
  return g_strconcat (stream_id, ".*$", NULL);
}

/* The per-stream controls: StreamControls entries with @member set to @value, as prefix
 * entries. */
static JsonArray *
controls_with (JsonObject *rc, const char *member, gboolean value)
{
  JsonArray *out = json_array_new ();
  JsonArray *list = cr_json_get_array (rc, "StreamControls");
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++) {
    JsonObject *c = json_array_get_object_element (list, i);
    g_autofree char *entry = control_entry (cr_json_get_string (c, "StreamId"));
    if (entry != NULL && cr_json_get_bool_or (c, member, FALSE) == value)
      json_array_add_string_element (out, entry);
  }
  return out;
}

gboolean
cr_class_wants_part (JsonObject *req, CrClassPart part)
{
  if (part == CR_CLASS_PART_MIXED)
    return enabled (cr_json_get_object (req, "MixStream"));
  if (part == CR_CLASS_PART_AUDIO)
    return cr_json_get_bool (req, "AudioFileNeeded");
  JsonObject *rc = cr_json_get_object (req, "RecordControl");
  if (!enabled (rc) || !cr_json_get_bool_or (rc, "DisableRecord", FALSE))
    return TRUE;
  g_autoptr (JsonArray) on = controls_with (rc, "DisableRecord", FALSE);
  return json_array_get_length (on) > 0;
}

/* SubscribeStreamUserIds of the per-user videos, from RecordControl: an allow list when every
 * stream is off by default, else a block list; audio the same with DisableAudio. */
static JsonObject *
single_subscription (JsonObject *rc)
{
  JsonObject *sub = json_object_new ();
  if (!enabled (rc))
    return sub;
  gboolean all_off = cr_json_get_bool_or (rc, "DisableRecord", FALSE);
  gboolean audio_off = cr_json_get_bool_or (rc, "DisableAudio", FALSE);
  JsonArray *video = controls_with (rc, "DisableRecord", !all_off);
  json_object_set_array_member (sub, all_off ? "SubscribeVideoUserIds" : "UnSubscribeVideoUserIds",
                                video);
  if (all_off || audio_off) {
    /* audio only of the streams recorded and not muted */
    JsonArray *audio = json_array_new ();
    JsonArray *list = cr_json_get_array (rc, "StreamControls");
    for (guint i = 0; list != NULL && i < json_array_get_length (list); i++) {
      JsonObject *c = json_array_get_object_element (list, i);
      gboolean rec = !cr_json_get_bool_or (c, "DisableRecord", all_off);
      gboolean mute = json_object_has_member (c, "DisableAudio")
                          ? cr_json_get_bool_or (c, "DisableAudio", FALSE)
                          : audio_off;
      g_autofree char *entry = control_entry (cr_json_get_string (c, "StreamId"));
      if (rec && !mute && entry != NULL)
        json_array_add_string_element (audio, entry);
    }
    json_object_set_array_member (sub, "SubscribeAudioUserIds", audio);
  } else {
    json_object_set_array_member (sub, "UnSubscribeAudioUserIds",
                                  controls_with (rc, "DisableAudio", TRUE));
  }
  /* an empty block list says nothing */
  GList *members = json_object_get_members (sub);
  for (GList *m = members; m != NULL; m = m->next) {
    JsonArray *a = cr_json_get_array (sub, m->data);
    if (g_str_has_prefix (m->data, "UnSubscribe") && json_array_get_length (a) == 0)
      json_object_remove_member (sub, m->data);
  }
  g_list_free (members);
  return sub;
}

static JsonObject *
video_params (gint64 w, gint64 h)
{
  JsonObject *v = json_object_new ();
  json_object_set_int_member (v, "Width", w);
  json_object_set_int_member (v, "Height", h);
  json_object_set_int_member (v, "Fps", 15);
  json_object_set_int_member (v, "BitRate", 1200000);
  json_object_set_int_member (v, "Gop", 10);
  return v;
}

/* Custom, exactly: each InputStreamList entry a tile at its X/Y/Width/Height over the Canvas,
 * ZOrder as the layer, FillMode 0 (fit, bars) as RenderMode 2 and 1 (fill, cropped) as 0, the
 * user's stream where InputStreamId names a user, any stream where it is empty. The board
 * ("tic_record_user") and screen-share ("tic_substream") tiles stay empty until those exist. */
static void
fill_custom (JsonObject *custom, JsonObject *create)
{
  JsonObject *canvas = cr_json_get_object (custom, "Canvas");
  JsonObject *cl = cr_json_get_object (canvas, "LayoutParams");
  json_object_set_object_member (create, "MixTranscodeParams", json_object_new ());
  json_object_set_object_member (cr_json_get_object (create, "MixTranscodeParams"), "VideoParams",
                                 video_params (cr_json_get_int_or (cl, "Width", 1280),
                                               cr_json_get_int_or (cl, "Height", 720)));
  JsonObject *layout = json_object_new ();
  json_object_set_int_member (layout, "MixLayoutMode", 4);
  const char *bg = cr_json_get_string (canvas, "BackgroundColor");
  if (bg != NULL)
    json_object_set_string_member (layout, "BackGroundColor", bg);
  JsonArray *tiles = json_array_new ();
  JsonArray *list = cr_json_get_array (custom, "InputStreamList");
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++) {
    JsonObject *s = json_array_get_object_element (list, i);
    JsonObject *lp = cr_json_get_object (s, "LayoutParams");
    JsonObject *t = json_object_new ();
    json_object_set_int_member (t, "Top", cr_json_get_int_or (lp, "Y", 0));
    json_object_set_int_member (t, "Left", cr_json_get_int_or (lp, "X", 0));
    json_object_set_int_member (t, "Width", cr_json_get_int_or (lp, "Width", 0));
    json_object_set_int_member (t, "Height", cr_json_get_int_or (lp, "Height", 0));
    json_object_set_int_member (t, "ImageLayer", cr_json_get_int_or (lp, "ZOrder", 0));
    json_object_set_int_member (t, "RenderMode",
                                cr_json_get_int_or (s, "FillMode", 0) == 1 ? 0 : 2);
    const char *id = cr_json_get_string (s, "InputStreamId");
    if (id != NULL && *id != '\0') {
      /* a placeholder no anchor has, so the tile stays empty */
      gboolean special = strcmp (id, "tic_record_user") == 0 || strcmp (id, "tic_substream") == 0;
      json_object_set_string_member (t, "UserId", special ? "tic_reserved_tile" : id);
    }
    json_array_add_object_element (tiles, t);
  }
  json_object_set_array_member (layout, "MixLayoutList", tiles);
  json_object_set_object_member (create, "MixLayoutParams", layout);
}

void
cr_class_fill_part (JsonObject *req, CrClassPart part, JsonObject *create)
{
  JsonObject *record = cr_json_get_object (create, "RecordParams");
  if (part == CR_CLASS_PART_AUDIO) {
    /* every user's sound alone, one AAC file each */
    json_object_set_int_member (record, "RecordMode", CR_RECORD_SINGLE);
    json_object_set_int_member (record, "StreamType", CR_STREAMS_AUDIO);
    json_object_set_int_member (record, "OutputFormat", CR_OUTPUT_AAC);
    json_object_set_int_member (record, "MediaId", CR_MEDIA_MAIN);
    json_object_remove_member (record, "SubscribeStreamUserIds");
    return;
  }
  if (part == CR_CLASS_PART_SINGLE) {
    json_object_set_int_member (record, "RecordMode", CR_RECORD_SINGLE);
    json_object_set_int_member (record, "MediaId", CR_MEDIA_MAIN);
    JsonObject *sub = single_subscription (cr_json_get_object (req, "RecordControl"));
    if (json_object_get_size (sub) > 0)
      json_object_set_object_member (record, "SubscribeStreamUserIds", sub);
    else {
      json_object_unref (sub);
      json_object_remove_member (record, "SubscribeStreamUserIds");
    }
    return;
  }
  JsonObject *mix = cr_json_get_object (req, "MixStream");
  json_object_set_int_member (record, "RecordMode", CR_RECORD_MIXED);
  json_object_remove_member (record, "SubscribeStreamUserIds");
  if (cr_json_get_bool_or (mix, "DisableAudio", FALSE))
    json_object_set_int_member (record, "StreamType", CR_STREAMS_VIDEO);
  JsonObject *custom = cr_json_get_object (mix, "Custom");
  if (custom != NULL) {
    fill_custom (custom, create);
    return;
  }
  JsonObject *transcode = json_object_new ();
  json_object_set_object_member (transcode, "VideoParams",
                                 video_params (MODEL_WIDTH, MODEL_HEIGHT));
  json_object_set_object_member (create, "MixTranscodeParams", transcode);
  JsonObject *layout = json_object_new ();
  json_object_set_int_member (layout, "MixLayoutMode",
                              cr_class_model_layout (cr_json_get_int_or (mix, "ModelId", 1)));
  const char *teacher = cr_json_get_string (mix, "TeacherId");
  if (teacher != NULL)
    json_object_set_string_member (layout, "MaxResolutionUserId", teacher);
  json_object_set_object_member (create, "MixLayoutParams", layout);
}

gboolean
cr_class_wants_board (JsonObject *req)
{
  return cr_class_wants_part (req, CR_CLASS_PART_MIXED);
}

void
cr_class_fill_board (JsonObject *req, CrClassPart part, const char *board_user, JsonObject *create)
{
  JsonObject *layout = cr_json_get_object (create, "MixLayoutParams");
  if (part != CR_CLASS_PART_MIXED || board_user == NULL || layout == NULL)
    return;
  JsonObject *mix = cr_json_get_object (req, "MixStream");
  JsonObject *custom = cr_json_get_object (mix, "Custom");
  if (custom == NULL) {
    /* ModelId 1: the board big, the cameras (room-entry order) in the column beside it */
    if (cr_json_get_int_or (mix, "ModelId", 1) == 1)
      json_object_set_string_member (layout, "MaxResolutionUserId", board_user);
    return;
  }
  /* fill_custom wrote one tile per InputStreamList entry, in order */
  JsonArray *list = cr_json_get_array (custom, "InputStreamList");
  JsonArray *tiles = cr_json_get_array (layout, "MixLayoutList");
  for (guint i = 0; list != NULL && tiles != NULL && i < json_array_get_length (list)
                    && i < json_array_get_length (tiles);
       i++) {
    const char *id = cr_json_get_string (json_array_get_object_element (list, i), "InputStreamId");
    if (g_strcmp0 (id, "tic_record_user") == 0)
      json_object_set_string_member (json_array_get_object_element (tiles, i), "UserId",
                                     board_user);
  }
}

char *
cr_class_mix_user_id (JsonObject *req)
{
  JsonObject *mix = cr_json_get_object (req, "MixStream");
  gint64 room = cr_json_get_int_or (req, "RoomId", 0);
  if (cr_json_get_object (mix, "Custom") != NULL)
    return g_strdup_printf ("tic_mixstream_%" G_GINT64_FORMAT "_custom", room);
  return g_strdup_printf ("tic_mixstream_%" G_GINT64_FORMAT "_%" G_GINT64_FORMAT, room,
                          cr_json_get_int_or (mix, "ModelId", 1));
}
