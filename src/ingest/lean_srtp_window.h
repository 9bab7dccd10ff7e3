/* SRTP packet indices and replay windows for lean_srtp.c, pure (no crypto, unit-tested).
 *
 * Why one structure for both: an SRTP packet's 48-bit index (ROC << 16 | SEQ) and an SRTCP
 * packet's 31-bit index are both checked against the highest index authenticated so far and a
 * bitmap of the ones just below it (RFC 3711 3.3.2). The RTP index is estimated from the 16-bit
 * sequence number and that highest index (RFC 3711 Appendix A), so the rollover counter is
 * simply the highest index's upper bits. Nothing here changes until the caller has authenticated
 * the packet: check first, add after. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Indices this far below the highest still pass (reordering of video bursts); a power of 2. */
#define CR_LEAN_SRTP_WINDOW 1024

typedef struct {
  guint64 highest; /* the highest index added */
  /* Bit (i % CR_LEAN_SRTP_WINDOW) is set if index i, in (highest - WINDOW, highest], was added. */
  guint64 seen[CR_LEAN_SRTP_WINDOW / 64];
} CrLeanSrtpWindow;

/* A window whose only index is @first. */
void cr_lean_srtp_window_init (CrLeanSrtpWindow *w, guint64 first);
/* TRUE if @index may be accepted: above the highest, or within the window and not seen yet. */
gboolean cr_lean_srtp_window_check (const CrLeanSrtpWindow *w, guint64 index);
/* Marks @index as seen, moving the window up if it is the new highest (older ones are ignored). */
void cr_lean_srtp_window_add (CrLeanSrtpWindow *w, guint64 index);

/* The 48-bit SRTP index of sequence number @seq given the @highest index so far (RFC 3711
 * Appendix A: the guess of ROC - 1, ROC or ROC + 1 closest to it); -1 if that is before index 0
 * (a sequence number "older" than the stream's first packet while the ROC is 0). */
gint64 cr_lean_srtp_index_estimate (guint64 highest, guint16 seq);

G_END_DECLS
