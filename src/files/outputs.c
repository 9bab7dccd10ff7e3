/* MP4 / AAC outputs of a single-stream task: the split plan and the writing; see outputs.h. */
#include "outputs.h"

#include "media/mp4.h"
#include "task/codes.h"

void
cr_output_file_free (CrOutputFile *f)
{
  if (f == NULL)
    return;
  g_free (f->name);
  g_free (f->user_id);
  g_free (f->media_id);
  g_free (f->track_type);
  g_free (f);
}

static const CrSegment *
segment_at (const CrPlaylist *pl, guint i)
{
  return g_ptr_array_index (pl->segments, i);
}

static gint64
segment_end_ms (const CrSegment *s)
{
  return s->start_ms + (gint64)(s->duration_s * 1000.0 + 0.5);
}

/* The other track's segments go with the part that holds most of them: their boundaries are not
 * the primary's (audio is cut every 10 s, video at keyframes), so a start a few ms before the
 * primary's cut must not drag a whole segment into the previous part. */
static gint64
segment_mid_ms (const CrSegment *s)
{
  return s->start_ms + (gint64)(s->duration_s * 500.0);
}

GArray *
cr_output_plan (const CrPlaylist *primary, const CrPlaylist *other, gint64 max_ms,
                guint64 max_bytes)
{
  GArray *parts = g_array_new (FALSE, TRUE, sizeof (CrOutputPart));
  guint n = primary->segments->len;
  guint n_other = other != NULL ? other->segments->len : 0;
  guint o = 0; /* next segment of @other */
  guint from = 0;
  while (from < n) {
    CrOutputPart part = { .primary_from = from, .other_from = o };
    part.start_ms = segment_at (primary, from)->start_ms;
    guint64 bytes = 0;
    guint i = from;
    /* Take primary segments while the part stays within the limits (at least one). */
    for (; i < n; i++) {
      const CrSegment *s = segment_at (primary, i);
      guint64 with_other = 0;
      guint j = o;
      gint64 next_start = i + 1 < n ? segment_at (primary, i + 1)->start_ms : G_MAXINT64;
      for (; j < n_other && segment_mid_ms (segment_at (other, j)) < next_start; j++)
        with_other += segment_at (other, j)->bytes;
      gboolean too_long = segment_end_ms (s) - part.start_ms > max_ms;
      gboolean too_big = bytes + s->bytes + with_other > max_bytes;
      if (i > from && (too_long || too_big))
        break;
      bytes += s->bytes + with_other;
      o = j;
    }
    /* Segments of the other track that start before this part's end but were not taken (they
     * started before the first primary segment) belong here too. */
    if (i >= n)
      o = n_other;
    part.primary_to = i;
    part.other_to = o;
    part.end_ms = segment_end_ms (segment_at (primary, i - 1));
    for (guint k = part.other_from; k < part.other_to; k++)
      part.end_ms = MAX (part.end_ms, segment_end_ms (segment_at (other, k)));
    if (part.other_to > part.other_from)
      part.start_ms = MIN (part.start_ms, segment_at (other, part.other_from)->start_ms);
    g_array_append_val (parts, part);
    from = i;
  }
  return parts;
}

/* Paths of segments [from, to) of @pl, NULL-terminated; NULL when empty. */
static GStrv
segment_paths (const char *dir, const CrPlaylist *pl, guint from, guint to)
{
  if (pl == NULL || to <= from)
    return NULL;
  GStrv out = g_new0 (char *, to - from + 1);
  for (guint i = from; i < to; i++)
    out[i - from] = g_build_filename (dir, segment_at (pl, i)->uri, NULL);
  return out;
}

/* A copy of @pl with only the segments that hold @medium (an AvMerge playlist's video or audio;
 * segments of unknown content are taken as holding both). */
static CrPlaylist *
playlist_filter (const CrPlaylist *pl, guint medium)
{
  CrPlaylist *out
      = cr_playlist_new (pl->user_id, pl->media_id, pl->mixed, pl->stream_type, pl->start_rec_ms);
  for (guint i = 0; i < pl->segments->len; i++) {
    const CrSegment *s = segment_at (pl, i);
    if (s->media == 0 || (s->media & medium) != 0)
      cr_playlist_add (out, s->uri, s->start_ms, s->duration_s, s->bytes, s->discontinuity);
  }
  return out;
}

static gboolean
has_segments (const CrPlaylist *pl)
{
  return pl != NULL && pl->segments->len > 0;
}

/* The files of one user's stream (@user, @media "main"|"aux"). */
static gboolean
outputs_write_stream (const CrOutputOptions *o, const CrPlaylist *pl, GPtrArray *written,
                      GError **error)
{
  gboolean aac_only = CR_OUTPUT_IS_AAC (o->output_format);
  /* A user's stream: its audio and video files, or its AvMerge file; the mix: one file. */
  const char *user = pl->mixed ? "" : pl->user_id, *media = pl->mixed ? "main" : pl->media_id;
  g_autofree char *vkey = g_strdup_printf ("%s/%s/video", user, media);
  g_autofree char *akey = g_strdup_printf ("%s/%s/audio", user, media);
  g_autofree char *avkey = g_strdup_printf ("%s/%s/av", user, media);
  const CrPlaylist *merged = pl->mixed ? pl : g_hash_table_lookup (o->playlists, avkey);
  const CrPlaylist *video = pl->mixed ? NULL : g_hash_table_lookup (o->playlists, vkey);
  const CrPlaylist *audio = pl->mixed ? NULL : g_hash_table_lookup (o->playlists, akey);
  g_autoptr (CrPlaylist) merged_video = NULL, merged_audio = NULL;
  if (has_segments (merged)) { /* AvMerge: the segments holding each medium */
    merged_video = playlist_filter (merged, CR_SEGMENT_VIDEO);
    merged_audio = playlist_filter (merged, CR_SEGMENT_AUDIO);
    video = merged_video;
    audio = merged_audio;
  }
  if (aac_only || !has_segments (video))
    video = NULL;
  if (!has_segments (audio))
    audio = NULL;
  if (video == NULL && audio == NULL)
    return TRUE;
  const CrPlaylist *primary = video != NULL ? video : audio;
  const CrPlaylist *other = video != NULL ? audio : NULL;
  g_autofree char *stem
      = pl->mixed ? cr_naming_mixed_stem (o->naming)
                  : cr_naming_single_stem (o->naming, user, g_strcmp0 (media, "aux") == 0);
  g_autoptr (GArray) parts = cr_output_plan (primary, other, o->max_ms, o->max_bytes);
  gboolean ok = TRUE;
  for (guint p = 0; p < parts->len; p++) {
    const CrOutputPart *part = &g_array_index (parts, CrOutputPart, p);
    int index = parts->len > 1 ? (int)p + 1 : 0;
    g_autofree char *name = aac_only ? cr_naming_aac (stem, index) : cr_naming_mp4 (stem, index);
    g_autofree char *path = g_build_filename (o->out_dir, name, NULL);
    g_auto (GStrv) first
        = segment_paths (o->segment_dir, primary, part->primary_from, part->primary_to);
    g_auto (GStrv) second = segment_paths (o->segment_dir, other, part->other_from, part->other_to);
    g_autoptr (GError) local = NULL;
    /* The audio's head start or delay against the video in this part, kept in the MP4. */
    gint64 audio_delay_ms = second != NULL
                                ? segment_at (other, part->other_from)->start_ms
                                      - segment_at (primary, part->primary_from)->start_ms
                                : 0;
    gboolean done = aac_only ? cr_aac_extract ((const char *const *)first, path, &local)
                    : video != NULL
                        ? cr_mp4_remux ((const char *const *)first, (const char *const *)second,
                                        audio_delay_ms, path, &local)
                        : cr_mp4_remux (NULL, (const char *const *)first, 0, path, &local);
    if (!done) {
      g_warning ("%s: %s", name, local->message);
      if (ok)
        g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", name);
      ok = FALSE;
      continue;
    }
    CrOutputFile *f = g_new0 (CrOutputFile, 1);
    f->name = g_steal_pointer (&name);
    f->user_id = g_strdup (user);
    f->media_id = g_strdup (media);
    f->track_type = g_strdup (video != NULL && audio != NULL ? "audio_video"
                              : video != NULL                ? "video"
                                                             : "audio");
    f->start_ms = part->start_ms;
    f->end_ms = part->end_ms;
    g_ptr_array_add (written, f);
  }
  return ok;
}

static int
compare_streams (gconstpointer a, gconstpointer b)
{
  const CrPlaylist *x = *(const CrPlaylist *const *)a, *y = *(const CrPlaylist *const *)b;
  int c = g_strcmp0 (x->user_id, y->user_id);
  return c != 0 ? c : g_strcmp0 (x->media_id, y->media_id);
}

gboolean
cr_outputs_write (const CrOutputOptions *o, GPtrArray *written, GError **error)
{
  if (o->output_format < CR_OUTPUT_HLS_MP4 || o->output_format > CR_OUTPUT_AAC)
    return TRUE;
  /* Each user's stream once, in a stable order. */
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) streams = g_ptr_array_new ();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, o->playlists);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    CrPlaylist *pl = value;
    char *who = g_strdup_printf ("%s/%s", pl->user_id, pl->media_id);
    if (g_hash_table_add (seen, who))
      g_ptr_array_add (streams, pl);
  }
  g_ptr_array_sort (streams, compare_streams);
  gboolean ok = TRUE;
  for (guint i = 0; i < streams->len; i++) {
    const CrPlaylist *pl = g_ptr_array_index (streams, i);
    if (!outputs_write_stream (o, pl, written, ok ? error : NULL))
      ok = FALSE;
  }
  return ok;
}
