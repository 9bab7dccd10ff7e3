/* Playlists -> timelines -> output files; see merge_plan.h. */
#include "tools/merge_plan.h"

#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "files/naming.h"

G_DEFINE_QUARK (cr - merge - error - quark, cr_merge_error)

/* One playlist, read. */
typedef struct {
  char *name;
  char *user; /* base64 variant, from the name */
  char *user_id;
  gboolean aux;
  guint media; /* 1 audio, 2 video, 3 both */
  int width, height;
  GPtrArray *segments; /* Seg */
} Track;

typedef struct {
  char *file;
  gint64 start_ms, end_ms;
  gboolean discontinuity;
  gboolean aux;
  int width, height;
  guint order; /* playlist index, for a stable sort */
} Seg;

static void
seg_free (Seg *s)
{
  g_free (s->file);
  g_free (s);
}

static void
track_free (Track *t)
{
  g_free (t->name);
  g_free (t->user);
  g_free (t->user_id);
  g_ptr_array_unref (t->segments);
  g_free (t);
}

static void
piece_free (CrMergePiece *p)
{
  g_free (p->file);
  g_free (p);
}

static void
output_free (CrMergeOutput *o)
{
  g_free (o->name);
  g_free (o->user);
  g_free (o->user_id);
  g_ptr_array_unref (o->video);
  g_ptr_array_unref (o->audio);
  g_free (o);
}

void
cr_merge_plan_free (CrMergePlan *plan)
{
  if (plan == NULL)
    return;
  g_ptr_array_unref (plan->outputs);
  g_free (plan);
}

static gboolean
parse_int64 (const char *s, gint64 *out)
{
  char *end = NULL;
  gint64 v = g_ascii_strtoll (s, &end, 10);
  if (end == s || (*end != '\0' && *end != ','))
    return FALSE;
  *out = v;
  return TRUE;
}

/* "[ha<n>_]<App>_<Room>__UserId_s_<user>__UserId_e_<main|aux>_<audio|video|audio_video>.m3u8";
 * FALSE for any other name (a mixed recording). */
static gboolean
parse_name (const char *name, char **user, gboolean *aux, guint *media)
{
  static GRegex *re = NULL;
  if (g_once_init_enter (&re)) {
    GRegex *r = g_regex_new ("^(?:ha[1-9]_)?[^/]+?__UserId_s_(.+)__UserId_e_(main|aux)_"
                             "(audio_video|audio|video)\\.m3u8$",
                             G_REGEX_OPTIMIZE, 0, NULL);
    g_once_init_leave (&re, r);
  }
  g_autoptr (GMatchInfo) m = NULL;
  if (!g_regex_match (re, name, 0, &m))
    return FALSE;
  *user = g_match_info_fetch (m, 1);
  g_autofree char *id = g_match_info_fetch (m, 2), *type = g_match_info_fetch (m, 3);
  *aux = strcmp (id, "aux") == 0;
  *media = strcmp (type, "audio") == 0 ? 1 : strcmp (type, "video") == 0 ? 2 : 3;
  return TRUE;
}

/* The UserId of the base64 variant of the names ("/"->"-", "="->"."), or NULL. */
static char *
decode_user (const char *user)
{
  g_autofree char *std = g_strdup (user);
  for (char *c = std; *c; c++)
    *c = *c == '-' ? '/' : *c == '.' ? '=' : *c;
  gsize len = 0;
  g_autofree guchar *raw = cr_b64_decode_strict (std, &len);
  if (raw == NULL || !g_utf8_validate ((const char *)raw, len, NULL))
    return NULL;
  return g_strndup ((const char *)raw, len);
}

static Track *
parse_playlist (const char *name, const char *text, GHashTable *sizes, GError **error)
{
  g_autofree char *user = NULL;
  gboolean aux = FALSE;
  guint media = 0;
  if (!parse_name (name, &user, &aux, &media))
    return NULL;
  Track *t = g_new0 (Track, 1);
  t->name = g_strdup (name);
  t->user = g_steal_pointer (&user);
  t->aux = aux;
  t->media = media;
  t->segments = g_ptr_array_new_with_free_func ((GDestroyNotify)seg_free);
  g_autoptr (GPtrArray) guard = g_ptr_array_new_with_free_func ((GDestroyNotify)track_free);
  g_ptr_array_add (guard, t);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  if (lines[0] == NULL || !g_str_has_prefix (g_strstrip (lines[0]), "#EXTM3U")) {
    g_set_error (error, CR_MERGE_ERROR, CR_MERGE_ERROR_PLAYLIST,
                 "%s: not a playlist (no #EXTM3U at the top)", name);
    return NULL;
  }
  gint64 attr_start = -1, attr_bytes = -1;
  double extinf = -1;
  gboolean disc = FALSE;
  char *tag_media = NULL, *tag_user = NULL;
  int stream_type = -1;
  g_autofree char *decoded = NULL;
  for (guint i = 1; lines[i] != NULL; i++) {
    char *l = g_strstrip (lines[i]);
    if (*l == '\0')
      continue;
    if (g_str_has_prefix (l, "#EXT-X-TRTC-FILE-ATTR:")) {
      const char *v = l + strlen ("#EXT-X-TRTC-FILE-ATTR:");
      const char *comma = strchr (v, ',');
      if (!parse_int64 (v, &attr_start) || comma == NULL || !parse_int64 (comma + 1, &attr_bytes)) {
        g_set_error (error, CR_MERGE_ERROR, CR_MERGE_ERROR_PLAYLIST,
                     "%s, line %u: a broken #EXT-X-TRTC-FILE-ATTR \"%s\"", name, i + 1, l);
        goto fail;
      }
    } else if (g_str_has_prefix (l, "#EXTINF:")) {
      char *end = NULL;
      extinf = g_ascii_strtod (l + 8, &end);
      if (end == l + 8 || extinf < 0 || extinf > 86400) {
        g_set_error (error, CR_MERGE_ERROR, CR_MERGE_ERROR_PLAYLIST,
                     "%s, line %u: a broken #EXTINF \"%s\"", name, i + 1, l);
        goto fail;
      }
    } else if (g_str_has_prefix (l, "#EXT-X-DISCONTINUITY")) {
      disc = TRUE;
    } else if (g_str_has_prefix (l, "#EXT-X-TRTC-MEDIA-ID:")) {
      g_free (tag_media);
      tag_media = g_strdup (l + strlen ("#EXT-X-TRTC-MEDIA-ID:"));
    } else if (g_str_has_prefix (l, "#EXT-X-TRTC-USER-ID:")) {
      g_free (tag_user);
      tag_user = g_strdup (l + strlen ("#EXT-X-TRTC-USER-ID:"));
    } else if (g_str_has_prefix (l, "#EXT-X-TRTC-STREAM-TYPE:")) {
      stream_type = atoi (l + strlen ("#EXT-X-TRTC-STREAM-TYPE:"));
    } else if (g_str_has_prefix (l, "#EXT-X-TRTC-VIDEO-METADATA:")) {
      const char *w = strstr (l, "WIDTH:"), *h = strstr (l, "HEIGHT:");
      t->width = w != NULL ? atoi (w + 6) : 0;
      t->height = h != NULL ? atoi (h + 7) : 0;
    } else if (*l == '#') {
      continue;
    } else {
      /* A segment's URI. */
      if (extinf < 0) {
        g_set_error (error, CR_MERGE_ERROR, CR_MERGE_ERROR_PLAYLIST,
                     "%s, line %u: segment \"%s\" has no #EXTINF before it", name, i + 1, l);
        goto fail;
      }
      if (attr_start < 0) {
        g_set_error (error, CR_MERGE_ERROR, CR_MERGE_ERROR_PLAYLIST,
                     "%s, line %u: segment \"%s\" has no #EXT-X-TRTC-FILE-ATTR (start time)", name,
                     i + 1, l);
        goto fail;
      }
      const char *file = strrchr (l, '/') != NULL ? strrchr (l, '/') + 1 : l;
      gint64 *size = g_hash_table_lookup (sizes, file);
      if (size == NULL) {
        g_set_error (error, CR_MERGE_ERROR, CR_MERGE_ERROR_SEGMENT,
                     "segment %s (listed in %s) is missing", file, name);
        goto fail;
      }
      if (*size == 0 || (attr_bytes > 0 && *size < attr_bytes)) {
        g_set_error (error, CR_MERGE_ERROR, CR_MERGE_ERROR_SEGMENT,
                     "segment %s is truncated: %" G_GINT64_FORMAT
                     " bytes, %s lists %" G_GINT64_FORMAT,
                     file, *size, name, attr_bytes);
        goto fail;
      }
      Seg *s = g_new0 (Seg, 1);
      s->file = g_strdup (file);
      s->start_ms = attr_start;
      s->end_ms = attr_start + (gint64)(extinf * 1000 + 0.5);
      s->discontinuity = disc;
      s->aux = aux;
      g_ptr_array_add (t->segments, s);
      attr_start = attr_bytes = -1;
      extinf = -1;
      disc = FALSE;
    }
  }
  /* The tags must agree with the name. */
  if (tag_media != NULL && strcmp (tag_media, aux ? "aux" : "main") != 0) {
    g_set_error (error, CR_MERGE_ERROR, CR_MERGE_ERROR_TRACKS,
                 "%s: its name says %s but #EXT-X-TRTC-MEDIA-ID says %s", name,
                 aux ? "aux" : "main", tag_media);
    goto fail;
  }
  if (stream_type >= 0 && media != 3 && (guint)stream_type + 1 != media) {
    g_set_error (error, CR_MERGE_ERROR, CR_MERGE_ERROR_TRACKS,
                 "%s: its name says %s but #EXT-X-TRTC-STREAM-TYPE says %s", name,
                 media == 1 ? "audio" : "video", stream_type == 0 ? "audio" : "video");
    goto fail;
  }
  decoded = decode_user (t->user);
  if (tag_user != NULL && decoded != NULL && strcmp (tag_user, decoded) != 0) {
    g_set_error (error, CR_MERGE_ERROR, CR_MERGE_ERROR_TRACKS,
                 "%s: its name is user \"%s\" but #EXT-X-TRTC-USER-ID says \"%s\"", name, decoded,
                 tag_user);
    goto fail;
  }
  t->user_id
      = tag_user != NULL ? g_strdup (tag_user) : g_strdup (decoded != NULL ? decoded : t->user);
  for (guint i = 0; i < t->segments->len; i++) {
    Seg *s = g_ptr_array_index (t->segments, i);
    s->width = t->width, s->height = t->height;
  }
  g_free (tag_media);
  g_free (tag_user);
  g_ptr_array_steal_index (guard, 0);
  return t;
fail:
  g_free (tag_media);
  g_free (tag_user);
  return NULL;
}

static int
seg_cmp (gconstpointer a, gconstpointer b)
{
  const Seg *x = *(Seg *const *)a, *y = *(Seg *const *)b;
  if (x->start_ms != y->start_ms)
    return x->start_ms < y->start_ms ? -1 : 1;
  if (x->aux != y->aux)
    return x->aux ? 1 : -1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* One user's segments of one kind, in time order, one copy each (a failover's ha<n>_ playlist may
 * list what the first one did). Borrowed pointers. */
static GPtrArray *
user_segments (GPtrArray *tracks, const char *user, guint media, int want_aux /* -1 either */)
{
  GPtrArray *out = g_ptr_array_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < tracks->len; i++) {
    Track *t = g_ptr_array_index (tracks, i);
    if (strcmp (t->user, user) != 0 || (t->media & media) == 0
        || (want_aux >= 0 && t->aux != want_aux))
      continue;
    for (guint j = 0; j < t->segments->len; j++) {
      Seg *s = g_ptr_array_index (t->segments, j);
      s->order = i * 100000 + j;
      if (g_hash_table_add (seen, s->file))
        g_ptr_array_add (out, s);
    }
  }
  g_ptr_array_sort (out, seg_cmp);
  /* A segment inside the previous one (a failover's repeat) is dropped. */
  for (guint i = 1; i < out->len;) {
    Seg *prev = g_ptr_array_index (out, i - 1), *s = g_ptr_array_index (out, i);
    if (s->end_ms <= prev->end_ms && s->aux == prev->aux)
      g_ptr_array_remove_index (out, i);
    else
      i++;
  }
  return out;
}

static gboolean
overlaps (GPtrArray *segs, gint64 a, gint64 b)
{
  for (guint i = 0; i < segs->len; i++) {
    Seg *s = g_ptr_array_index (segs, i);
    if (s->start_ms < b && a < s->end_ms)
      return TRUE;
  }
  return FALSE;
}

/* The 17-digit stamp of a slice's name, or one made from its start. */
static char *
slice_stamp (const Seg *s)
{
  const char *dot = strrchr (s->file, '.');
  if (dot != NULL && dot - s->file > 18 && dot[-18] == '_') {
    gboolean digits = TRUE;
    for (const char *c = dot - 17; c < dot; c++)
      digits = digits && g_ascii_isdigit (*c);
    if (digits)
      return g_strndup (dot - 17, 17);
  }
  return cr_naming_utc_stamp (s->start_ms);
}

typedef struct {
  gint64 start_ms, end_ms;
} Span;

static CrMergePiece *
piece_new (const Seg *s, gint64 out_ms, gboolean anchor)
{
  CrMergePiece *p = g_new0 (CrMergePiece, 1);
  p->file = g_strdup (s->file);
  p->start_ms = s->start_ms;
  p->end_ms = s->end_ms;
  p->out_ms = out_ms;
  p->anchor = anchor;
  p->aux = s->aux;
  p->width = s->width;
  p->height = s->height;
  return p;
}

/* The pieces of @segs inside the spans @spans[first..last] (each span at @offsets[k] in the
 * output). A piece anchors its PTS when it starts a run: the first, after a discontinuity, or
 * when it does not follow the previous one within a second. */
static void
place (GPtrArray *out, GPtrArray *segs, const Span *spans, const gint64 *offsets, guint n)
{
  const Seg *prev = NULL;
  for (guint i = 0; i < segs->len; i++) {
    const Seg *s = g_ptr_array_index (segs, i);
    for (guint k = 0; k < n; k++) {
      if (s->start_ms < spans[k].start_ms || s->start_ms >= spans[k].end_ms)
        continue;
      gboolean anchor = prev == NULL || s->discontinuity || prev->aux != s->aux
                        || llabs (s->start_ms - prev->end_ms) > 1000;
      g_ptr_array_add (out, piece_new (s, s->start_ms - spans[k].start_ms + offsets[k], anchor));
      prev = s;
      break;
    }
  }
}

/* Decides remux or encode for @o's video and audio. */
static void
decide (CrMergeOutput *o, const CrMergeOptions *opt)
{
  o->fps = opt->fps;
  o->fixed_rate = opt->fps_given;
  o->black = opt->black;
  gint64 end = o->duration_ms;
  if (o->video->len > 0) {
    const CrMergePiece *first = g_ptr_array_index (o->video, 0);
    int w = 0, h = 0;
    for (guint i = 0; i < o->video->len; i++) {
      const CrMergePiece *p = g_ptr_array_index (o->video, i);
      if (p->width > 0 && w == 0)
        w = p->width, h = p->height;
      if (p->width > 0 && (p->width != w || p->height != h))
        o->video_why = "size";
      if (i > 0) {
        const CrMergePiece *q = g_ptr_array_index (o->video, i - 1);
        gint64 q_end = q->out_ms + (q->end_ms - q->start_ms);
        if (p->out_ms - q_end > CR_MERGE_VIDEO_HOLE_MS && o->video_why == NULL)
          o->video_why = "gap";
        if (q_end - p->out_ms > CR_MERGE_VIDEO_HOLE_MS && o->video_why == NULL)
          o->video_why = "overlap";
      }
    }
    const CrMergePiece *last = g_ptr_array_index (o->video, o->video->len - 1);
    if (o->video_why == NULL
        && (first->out_ms > CR_MERGE_VIDEO_HOLE_MS
            || end - (last->out_ms + last->end_ms - last->start_ms) > CR_MERGE_VIDEO_HOLE_MS))
      o->video_why = "gap";
    if (o->video_why == NULL && opt->width > 0 && (opt->width != w || opt->height != h))
      o->video_why = "-r";
    if (o->video_why == NULL && opt->fps_given)
      o->video_why = "-p";
    o->video_encode = o->video_why != NULL;
    o->width = opt->width > 0 ? opt->width : w > 0 ? w : 640;
    o->height = opt->width > 0 ? opt->height : h > 0 ? h : 360;
  }
  if (o->audio->len > 0) {
    const CrMergePiece *first = g_ptr_array_index (o->audio, 0);
    const CrMergePiece *last = g_ptr_array_index (o->audio, o->audio->len - 1);
    if (first->out_ms > CR_MERGE_AUDIO_HOLE_MS
        || end - (last->out_ms + last->end_ms - last->start_ms) > CR_MERGE_AUDIO_HOLE_MS)
      o->audio_why = "gap";
    for (guint i = 1; i < o->audio->len && o->audio_why == NULL; i++) {
      const CrMergePiece *p = g_ptr_array_index (o->audio, i),
                         *q = g_ptr_array_index (o->audio, i - 1);
      gint64 d = p->out_ms - (q->out_ms + q->end_ms - q->start_ms);
      if (d > CR_MERGE_AUDIO_HOLE_MS)
        o->audio_why = "gap";
      else if (-d > CR_MERGE_AUDIO_HOLE_MS)
        o->audio_why = "overlap";
    }
    o->audio_encode = o->audio_why != NULL;
  }
}

static void
plan_user (CrMergePlan *plan, GPtrArray *tracks, const char *user, const char *user_id,
           const CrMergeOptions *opt)
{
  /* The audio: the main stream's, or the aux stream's for a user with no main audio. */
  g_autoptr (GPtrArray) audio = user_segments (tracks, user, 1, 0);
  if (audio->len == 0) {
    g_ptr_array_unref (audio);
    audio = user_segments (tracks, user, 1, 1);
  }
  g_autoptr (GPtrArray) main_v = user_segments (tracks, user, 2, 0);
  g_autoptr (GPtrArray) aux_v = user_segments (tracks, user, 2, 1);
  g_autoptr (GPtrArray) video = g_ptr_array_new ();
  if (opt->av == 0)
    g_ptr_array_extend (video, main_v, NULL, NULL);
  else if (opt->av == 2)
    g_ptr_array_extend (video, aux_v, NULL, NULL);
  else {
    g_ptr_array_extend (video, main_v, NULL, NULL);
    for (guint i = 0; i < aux_v->len; i++) {
      Seg *s = g_ptr_array_index (aux_v, i);
      if (!overlaps (main_v, s->start_ms, s->end_ms))
        g_ptr_array_add (video, s);
    }
    g_ptr_array_sort (video, seg_cmp);
  }
  if (audio->len == 0 && video->len == 0)
    return;
  /* Segments: the union of what is recorded, cut where nothing is for over 15 s. */
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  g_ptr_array_extend (all, audio, NULL, NULL);
  g_ptr_array_extend (all, video, NULL, NULL);
  g_ptr_array_sort (all, seg_cmp);
  g_autoptr (GArray) spans = g_array_new (FALSE, FALSE, sizeof (Span));
  g_autoptr (GPtrArray) firsts = g_ptr_array_new (); /* each span's first slice */
  for (guint i = 0; i < all->len; i++) {
    Seg *s = g_ptr_array_index (all, i);
    Span *cur = spans->len > 0 ? &g_array_index (spans, Span, spans->len - 1) : NULL;
    if (cur != NULL && s->start_ms - cur->end_ms <= CR_MERGE_GAP_MS) {
      cur->end_ms = MAX (cur->end_ms, s->end_ms);
      continue;
    }
    Span sp = { s->start_ms, s->end_ms };
    g_array_append_val (spans, sp);
    g_ptr_array_add (firsts, s);
  }
  /* Files: each span alone (-m 0), or all in one, the gaps kept or (-s) left out. */
  guint files = opt->mode == 0 ? spans->len : 1;
  for (guint f = 0; f < files; f++) {
    guint first = opt->mode == 0 ? f : 0, n = opt->mode == 0 ? 1 : spans->len;
    Span *sp = &g_array_index (spans, Span, first);
    g_autofree gint64 *offsets = g_new0 (gint64, n);
    g_autofree Span *use = g_new0 (Span, n);
    gint64 at = 0;
    for (guint k = 0; k < n; k++) {
      use[k] = sp[k];
      if (opt->mode == 1 && !opt->drop_gaps) {
        /* One span from the first start to the last end: gaps are inside it. */
        offsets[k] = sp[k].start_ms - sp[0].start_ms;
        at = sp[k].end_ms - sp[0].start_ms;
      } else {
        offsets[k] = at;
        at += sp[k].end_ms - sp[k].start_ms;
      }
    }
    CrMergeOutput *o = g_new0 (CrMergeOutput, 1);
    o->user = g_strdup (user);
    o->user_id = g_strdup (user_id);
    o->start_ms = sp[0].start_ms;
    o->duration_ms = at;
    o->video = g_ptr_array_new_with_free_func ((GDestroyNotify)piece_free);
    o->audio = g_ptr_array_new_with_free_func ((GDestroyNotify)piece_free);
    place (o->video, video, use, offsets, n);
    place (o->audio, audio, use, offsets, n);
    g_autofree char *stamp = slice_stamp (g_ptr_array_index (firsts, first));
    o->name = o->video->len > 0 ? g_strdup_printf ("%s_%s_av.mp4", user, stamp)
                                : g_strdup_printf ("%s_%s.m4a", user, stamp);
    decide (o, opt);
    g_ptr_array_add (plan->outputs, o);
  }
}

static int
str_ptr_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

CrMergePlan *
cr_merge_plan_build (GHashTable *sizes, GHashTable *playlists, const CrMergeOptions *o,
                     GError **error)
{
  g_autoptr (GPtrArray) tracks = g_ptr_array_new_with_free_func ((GDestroyNotify)track_free);
  g_autoptr (GList) names = g_list_sort (g_hash_table_get_keys (playlists), (GCompareFunc)strcmp);
  for (GList *l = names; l != NULL; l = l->next) {
    GError *e = NULL;
    Track *t = parse_playlist (l->data, g_hash_table_lookup (playlists, l->data), sizes, &e);
    if (e != NULL) {
      g_propagate_error (error, e);
      return NULL;
    }
    if (t != NULL)
      g_ptr_array_add (tracks, t);
  }
  if (tracks->len == 0) {
    g_set_error (error, CR_MERGE_ERROR, CR_MERGE_ERROR_EMPTY,
                 "no single-stream recording here (no "
                 "<SdkAppId>_<RoomId>__UserId_s_<UserId>__UserId_e_<main|aux>_<type>.m3u8)");
    return NULL;
  }
  /* A user's tracks must agree on who the user is. */
  g_autoptr (GHashTable) users = g_hash_table_new (g_str_hash, g_str_equal); /* user -> id */
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  for (guint i = 0; i < tracks->len; i++) {
    Track *t = g_ptr_array_index (tracks, i);
    const char *id = g_hash_table_lookup (users, t->user);
    if (id == NULL) {
      g_hash_table_insert (users, t->user, t->user_id);
      g_ptr_array_add (order, t->user);
    } else if (strcmp (id, t->user_id) != 0) {
      g_set_error (error, CR_MERGE_ERROR, CR_MERGE_ERROR_TRACKS,
                   "%s says user \"%s\" but other playlists of %s say \"%s\"", t->name, t->user_id,
                   t->user, id);
      return NULL;
    }
  }
  CrMergePlan *plan = g_new0 (CrMergePlan, 1);
  plan->outputs = g_ptr_array_new_with_free_func ((GDestroyNotify)output_free);
  plan->playlists = tracks->len;
  g_ptr_array_sort (order, str_ptr_cmp);
  for (guint i = 0; i < order->len; i++) {
    const char *u = g_ptr_array_index (order, i);
    plan_user (plan, tracks, u, g_hash_table_lookup (users, u), o);
  }
  return plan;
}

char *
cr_merge_plan_describe (const CrMergePlan *plan)
{
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < plan->outputs->len; i++) {
    const CrMergeOutput *o = g_ptr_array_index (plan->outputs, i);
    g_string_append_printf (out, "%s %.3fs video:%u:%s audio:%u:%s\n", o->name,
                            o->duration_ms / 1000.0, o->video->len,
                            o->video->len == 0 ? "-"
                            : o->video_encode  ? o->video_why
                                               : "copy",
                            o->audio->len,
                            o->audio->len == 0 ? "-"
                            : o->audio_encode  ? o->audio_why
                                               : "copy");
  }
  return g_string_free (out, FALSE);
}
