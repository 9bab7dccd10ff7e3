/* The room as a worker sees it; see room_view.h. */
#include "room_view.h"

#include "common/json_util.h"
#include "link/link.h"

static void
room_stream_free (CrRoomStream *s)
{
  g_free (s->user_id);
  g_free (s->caps[0]);
  g_free (s->caps[1]);
  g_free (s);
}

static gint
by_entry (gconstpointer a, gconstpointer b)
{
  const CrRoomStream *x = *(CrRoomStream *const *)a, *y = *(CrRoomStream *const *)b;
  return x->since_ms < y->since_ms ? -1 : x->since_ms > y->since_ms;
}

CrRoomView *
cr_room_view_new (JsonObject *state)
{
  CrRoomView *view = g_new0 (CrRoomView, 1);
  view->streams = g_ptr_array_new_with_free_func ((GDestroyNotify)room_stream_free);
  JsonArray *streams = cr_json_get_array (state, CR_LINK_STREAMS);
  for (guint i = 0; streams != NULL && i < json_array_get_length (streams); i++) {
    JsonObject *o = json_array_get_object_element (streams, i);
    const char *user = cr_json_get_string (o, CR_LINK_USER_ID);
    if (user == NULL)
      continue;
    CrRoomStream *s = g_new0 (CrRoomStream, 1);
    s->user_id = g_strdup (user);
    s->aux = g_strcmp0 (cr_json_get_string (o, CR_LINK_STREAM), "aux") == 0;
    s->caps[0] = g_strdup (cr_json_get_string (o, CR_LINK_AUDIO_CAPS));
    s->caps[1] = g_strdup (cr_json_get_string (o, CR_LINK_VIDEO_CAPS));
    s->announced[0] = cr_json_get_bool (o, CR_LINK_HAS_AUDIO);
    s->announced[1] = cr_json_get_bool (o, CR_LINK_HAS_VIDEO);
    s->unordered = cr_json_get_bool (o, CR_LINK_UNORDERED);
    s->since_ms = cr_json_get_int_or (o, CR_LINK_SINCE, 0);
    g_ptr_array_add (view->streams, s);
  }
  g_ptr_array_sort (view->streams, by_entry); /* stable: equal times keep the daemon's order */
  return view;
}

void
cr_room_view_free (CrRoomView *view)
{
  if (view == NULL)
    return;
  g_ptr_array_unref (view->streams);
  g_free (view);
}

gboolean
cr_room_view_has_anchor (const CrRoomView *view, const char *robot)
{
  for (guint i = 0; view != NULL && i < view->streams->len; i++) {
    const CrRoomStream *s = g_ptr_array_index (view->streams, i);
    if (g_strcmp0 (s->user_id, robot) != 0)
      return TRUE;
  }
  return FALSE;
}

const CrRoomStream *
cr_room_view_find (const CrRoomView *view, const char *user_id, gboolean aux)
{
  for (guint i = 0; view != NULL && i < view->streams->len; i++) {
    const CrRoomStream *s = g_ptr_array_index (view->streams, i);
    if (s->aux == aux && g_strcmp0 (s->user_id, user_id) == 0)
      return s;
  }
  return NULL;
}
