/* SRTP index estimation and replay windows; see lean_srtp_window.h. */
#include "lean_srtp_window.h"

#include <string.h>

#define SEEN_WORDS (CR_LEAN_SRTP_WINDOW / 64)

static void
seen_set (CrLeanSrtpWindow *w, guint64 index, gboolean on)
{
  guint bit = (guint)(index % CR_LEAN_SRTP_WINDOW);
  guint64 mask = G_GUINT64_CONSTANT (1) << (bit % 64);
  if (on)
    w->seen[bit / 64] |= mask;
  else
    w->seen[bit / 64] &= ~mask;
}

static gboolean
seen_get (const CrLeanSrtpWindow *w, guint64 index)
{
  guint bit = (guint)(index % CR_LEAN_SRTP_WINDOW);
  return (w->seen[bit / 64] >> (bit % 64)) & 1;
}

void
cr_lean_srtp_window_init (CrLeanSrtpWindow *w, guint64 first)
{
  memset (w->seen, 0, sizeof w->seen);
  w->highest = first;
  seen_set (w, first, TRUE);
}

gboolean
cr_lean_srtp_window_check (const CrLeanSrtpWindow *w, guint64 index)
{
  if (index > w->highest)
    return TRUE;
  if (w->highest - index >= CR_LEAN_SRTP_WINDOW)
    return FALSE; /* too old to tell from a replay */
  return !seen_get (w, index);
}

void
cr_lean_srtp_window_add (CrLeanSrtpWindow *w, guint64 index)
{
  if (index > w->highest) {
    /* The bits of the indices the window now moves over are those of indices WINDOW below them,
     * which fall out of it: cleared for their new owners. */
    guint64 advance = index - w->highest;
    if (advance >= CR_LEAN_SRTP_WINDOW)
      memset (w->seen, 0, sizeof w->seen);
    else
      for (guint64 i = w->highest + 1; i < index; i++)
        seen_set (w, i, FALSE);
    w->highest = index;
    seen_set (w, index, TRUE);
  } else if (w->highest - index < CR_LEAN_SRTP_WINDOW) {
    seen_set (w, index, TRUE);
  }
}

gint64
cr_lean_srtp_index_estimate (guint64 highest, guint16 seq)
{
  gint64 roc = (gint64)(highest >> 16);
  gint64 s_l = (gint64)(highest & 0xffff);
  gint64 v = roc;
  if (s_l < 32768) {
    if ((gint64)seq - s_l > 32768)
      v = roc - 1;
  } else if (s_l - 32768 > (gint64)seq) {
    v = roc + 1;
  }
  if (v < 0)
    return -1;
  return (v << 16) | seq;
}
