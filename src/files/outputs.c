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
      /* A part that has none of the other track's segments yet while one of them starts inside
       * it would be a file without that track (an MP4 without its sound, when the audio is cut
       * half a segment off the pictures): it takes more, past the limit, until it has one. */
      if (i > from && (too_long || too_big)) {
        gboolean starved
            = o == part.other_from && o < n_other
              && segment_at (other, o)->start_ms < segment_end_ms (segment_at (primary, i - 1));
        if (!starved)
          break;
      }
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
  /* A last part left without the other track while the one before has it (the recording ended
   * with a short primary segment after the other track's last one, whose midpoint went to the
   * part before) would be a file without sound: it joins the part before, past the limit. */
  guint last = parts->len - 1;
  while (parts->len >= 2 && n_other > 0) {
    CrOutputPart *tail = &g_array_index (parts, CrOutputPart, last);
    CrOutputPart *prev = &g_array_index (parts, CrOutputPart, last - 1);
    if (tail->other_to > tail->other_from || prev->other_to == prev->other_from)
      break;
    prev->primary_to = tail->primary_to;
    prev->end_ms = MAX (prev->end_ms, tail->end_ms);
    g_array_remove_index (parts, last);
    last--;
  }
  return parts;
}

/* One run in the making: its segments' paths and wall-clock span. */
typedef struct {
  GPtrArray *files; /* char*, NULL-terminated once done */
  guint media;
  gint64 start_ms, end_ms;
} RunBuild;

/* Appends to @runs (RunBuild) the segments [from, to) of @pl holding @medium (taken with the
 * medium of each segment when @pl is an AvMerge playlist: @medium 0), one run per stretch without
 * a discontinuity or a change of what the segments hold. */
static void
runs_add (GArray *runs, const char *dir, const CrPlaylist *pl, guint from, guint to, guint medium)
{
  RunBuild *cur = NULL;
  for (guint i = from; pl != NULL && i < to; i++) {
    const CrSegment *s = segment_at (pl, i);
    guint media = medium != 0     ? medium
                  : s->media != 0 ? s->media
                                  : CR_SEGMENT_AUDIO | CR_SEGMENT_VIDEO;
    if (cur == NULL || s->discontinuity || media != cur->media) {
      RunBuild rb = { g_ptr_array_new_with_free_func (g_free), media, s->start_ms, 0 };
      g_array_append_val (runs, rb);
      cur = &g_array_index (runs, RunBuild, runs->len - 1);
    }
    g_ptr_array_add (cur->files, g_build_filename (dir, s->uri, NULL));
    cur->end_ms = MAX (cur->end_ms, segment_end_ms (s));
  }
}

/* The AvMerge case: the segments of @merged that the part takes for its video ([vfrom, vto) of
 * @video) or its audio ([afrom, ato) of @audio), both filtered from @merged, as runs taking from
 * each segment what the part takes (one demuxer reads both tracks of a run). */
static void
runs_add_merged (GArray *runs, const char *dir, const CrPlaylist *merged, const CrPlaylist *video,
                 guint vfrom, guint vto, const CrPlaylist *audio, guint afrom, guint ato)
{
  g_autoptr (GHashTable) take = g_hash_table_new (g_str_hash, g_str_equal);
  for (int m = 0; m < 2; m++) {
    const CrPlaylist *pl = m ? video : audio;
    guint from = m ? vfrom : afrom, to = m ? vto : ato;
    for (guint i = from; pl != NULL && i < to; i++) {
      const char *uri = segment_at (pl, i)->uri;
      guint had = GPOINTER_TO_UINT (g_hash_table_lookup (take, uri));
      g_hash_table_insert (take, (gpointer)uri,
                           GUINT_TO_POINTER (had | (m ? CR_SEGMENT_VIDEO : CR_SEGMENT_AUDIO)));
    }
  }
  g_autoptr (CrPlaylist) part = cr_playlist_new (merged->user_id, merged->media_id, merged->mixed,
                                                 merged->stream_type, merged->start_rec_ms);
  for (guint i = 0; i < merged->segments->len; i++) {
    const CrSegment *s = segment_at (merged, i);
    guint media = GPOINTER_TO_UINT (g_hash_table_lookup (take, s->uri));
    if (media == 0)
      continue;
    /* A discontinuity before a segment the part leaves out still separates the runs. */
    gboolean disc = s->discontinuity;
    for (guint k = i; !disc && k > 0 && part->segments->len > 0; k--) {
      const CrSegment *before = segment_at (merged, k - 1);
      if (g_hash_table_contains (take, before->uri))
        break;
      disc = before->discontinuity;
    }
    cr_playlist_add (part, s->uri, s->start_ms, s->duration_s, s->bytes, disc);
    ((CrSegment *)g_ptr_array_index (part->segments, part->segments->len - 1))->media = media;
  }
  runs_add (runs, dir, part, 0, part->segments->len, 0);
}

static int
compare_runs (gconstpointer a, gconstpointer b)
{
  const RunBuild *x = a, *y = b;
  return x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms;
}

/* @runs (RunBuild) as CrRemuxRun in wall-clock order, placed in the output file: the file starts
 * with the earliest run, and a time when no track had anything (the user was away) is left out,
 * so runs after it come at once. The tracks keep their offsets against each other. The runs'
 * file arrays are NULL-terminated and owned by @runs. */
static GArray *
runs_place (GArray *runs)
{
  g_array_sort (runs, compare_runs);
  GArray *out = g_array_new (FALSE, TRUE, sizeof (CrRemuxRun));
  gint64 covered_ms = G_MININT64; /* the latest end of the runs so far (wall clock) */
  gint64 cut_ms = 0;              /* wall-clock time left out so far */
  gint64 origin_ms = runs->len > 0 ? g_array_index (runs, RunBuild, 0).start_ms : 0;
  for (guint i = 0; i < runs->len; i++) {
    RunBuild *rb = &g_array_index (runs, RunBuild, i);
    if (i > 0 && rb->start_ms > covered_ms)
      cut_ms += rb->start_ms - covered_ms;
    covered_ms = MAX (covered_ms, rb->end_ms);
    g_ptr_array_add (rb->files, NULL);
    CrRemuxRun run
        = { (const char *const *)rb->files->pdata, rb->media, rb->start_ms - origin_ms - cut_ms };
    g_array_append_val (out, run);
  }
  return out;
}

static void
run_build_clear (gpointer data)
{
  RunBuild *rb = data;
  g_ptr_array_unref (rb->files);
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
    g_autoptr (GArray) builds = g_array_new (FALSE, TRUE, sizeof (RunBuild));
    g_array_set_clear_func (builds, run_build_clear);
    if (has_segments (merged) && !aac_only && video != NULL)
      runs_add_merged (builds, o->segment_dir, merged, video, part->primary_from, part->primary_to,
                       audio, part->other_from, part->other_to);
    else {
      runs_add (builds, o->segment_dir, primary, part->primary_from, part->primary_to,
                video != NULL ? CR_SEGMENT_VIDEO : CR_SEGMENT_AUDIO);
      runs_add (builds, o->segment_dir, other, part->other_from, part->other_to, CR_SEGMENT_AUDIO);
    }
    g_autoptr (GArray) runs = runs_place (builds);
    g_autoptr (GError) local = NULL;
    const CrRemuxRun *r = (const CrRemuxRun *)(gpointer)runs->data;
    gboolean done = aac_only ? cr_aac_extract (r, runs->len, path, &local)
                             : cr_mp4_remux (r, runs->len, path, &local);
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
