/* Big-endian (network order) integers in packet bytes: the lean engine's RTP, RTCP and SRTP
 * writers and readers share these instead of each spelling out the shifts. */
#pragma once

#include <glib.h>

static inline void
cr_be_put16 (guint8 *p, guint16 v)
{
  p[0] = (guint8)(v >> 8);
  p[1] = (guint8)v;
}

static inline void
cr_be_put32 (guint8 *p, guint32 v)
{
  p[0] = (guint8)(v >> 24);
  p[1] = (guint8)(v >> 16);
  p[2] = (guint8)(v >> 8);
  p[3] = (guint8)v;
}

static inline guint32
cr_be_get32 (const guint8 *p)
{
  return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}
