/* The synthetic marks of `cloudrec publish`: a flash on the frame nearest each second, a 1 kHz
 * beep of 100 ms from that frame's time over a quiet 440 Hz tone; colour names. */
#include <math.h>

#include "tools/synthetic.h"

/* Goertzel power of @hz over samples [@from, @from + @n). */
static double
tone_power (guint64 from, guint n, double hz)
{
  double k = 2.0 * cos (2.0 * G_PI * hz / CR_SYNTHETIC_RATE), s1 = 0, s2 = 0;
  for (guint i = 0; i < n; i++) {
    double s0 = cr_synthetic_sample (from + i) / 32768.0 + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / ((double)n * n);
}

static void
test_beep (void)
{
  const guint window = CR_SYNTHETIC_RATE / 100; /* 10 ms */
  for (guint64 second = 0; second < 3; second++) {
    guint64 base = second * CR_SYNTHETIC_RATE;
    for (guint64 ms = 0; ms < 1000; ms += 10) {
      double beep = tone_power (base + ms * 48, window, CR_SYNTHETIC_BEEP_HZ);
      double tone = tone_power (base + ms * 48, window, CR_SYNTHETIC_TONE_HZ);
      if (ms < CR_SYNTHETIC_BEEP_MS)
        g_assert_cmpfloat (beep, >, 100 * tone); /* the beep, loud */
      else
        g_assert_cmpfloat (tone, >, 100 * beep); /* the tone alone */
    }
  }
  /* Amplitudes: 0.8 for the beep, 0.1 for the tone. */
  gint16 peak_beep = 0, peak_tone = 0;
  for (guint64 n = 0; n < 4800; n++)
    peak_beep = MAX (peak_beep, cr_synthetic_sample (n));
  for (guint64 n = 4800; n < 48000; n++)
    peak_tone = MAX (peak_tone, cr_synthetic_sample (n));
  g_assert_cmpint (peak_beep, >=, 26000);
  g_assert_cmpint (peak_tone, <=, 3300);
  g_assert_cmpint (peak_tone, >=, 3200);
}

static void
test_flash (void)
{
  int flashes = 0;
  for (guint64 i = 0; i < 150; i++)
    flashes += cr_synthetic_is_flash_frame (i, 15);
  g_assert_cmpint (flashes, ==, 10);
  g_assert_true (cr_synthetic_is_flash_frame (0, 15));
  g_assert_true (cr_synthetic_is_flash_frame (30, 15));
  g_assert_false (cr_synthetic_is_flash_frame (1, 15));
  g_assert_false (cr_synthetic_is_flash_frame (5, 0));
}

/* A flash frame's distance from its second: within half a frame, signed. */
static void
test_frame_phase (void)
{
  g_assert_cmpint (cr_synthetic_frame_phase (0, 10), ==, 0);
  g_assert_cmpint (cr_synthetic_frame_phase (3 * GST_SECOND, 10), ==, 0);
  /* 10 fps frames at 54.2 ms past each 100 ms: nearest grid point 100 ms later */
  g_assert_cmpint (cr_synthetic_frame_phase (GST_SECOND + 54200 * GST_USECOND, 10), ==,
                   -45800 * GST_USECOND);
  g_assert_cmpint (cr_synthetic_frame_phase (GST_SECOND + 43500 * GST_USECOND, 10), ==,
                   43500 * GST_USECOND);
  /* 15 fps: the grid is 1/15 s, not a whole number of ns */
  GstClockTimeDiff p = cr_synthetic_frame_phase (2 * GST_SECOND + 20 * GST_MSECOND, 15);
  g_assert_cmpint (ABS (p - 20 * GST_MSECOND), <=, 1);
  g_assert_cmpint (cr_synthetic_frame_phase (5 * GST_SECOND + 7, 0), ==, 0);
}

/* The beeps moved by a shift start that much after each whole second; without beeps, the tone. */
static void
test_shifted_beep (void)
{
  const GstClockTimeDiff shifts[]
      = { 0, 45800 * GST_USECOND, -45800 * GST_USECOND, 499 * GST_MSECOND };
  for (guint k = 0; k < G_N_ELEMENTS (shifts); k++) {
    gint64 at
        = gst_util_uint64_scale_round ((guint64)ABS (shifts[k]), CR_SYNTHETIC_RATE, GST_SECOND);
    if (shifts[k] < 0)
      at = -at;
    for (guint64 second = 1; second < 4; second++) {
      guint64 onset = (guint64)((gint64)(second * CR_SYNTHETIC_RATE) + at);
      /* loud from the onset for 100 ms, quiet the sample before */
      gint16 peak = 0;
      for (guint64 n = onset; n < onset + 4800; n++)
        peak = MAX (peak, cr_synthetic_sample_shifted (n, shifts[k], TRUE));
      g_assert_cmpint (peak, >=, 26000);
      g_assert_cmpint (ABS (cr_synthetic_sample_shifted (onset - 1, shifts[k], TRUE)), <=, 3300);
      g_assert_cmpint (ABS (cr_synthetic_sample_shifted (onset + 4800, shifts[k], TRUE)), <=, 3300);
      g_assert_cmpint (cr_synthetic_sample_shifted (onset, shifts[k], TRUE), ==,
                       cr_synthetic_sample (second * CR_SYNTHETIC_RATE));
    }
  }
  gint16 peak = 0;
  for (guint64 n = 0; n < 3 * CR_SYNTHETIC_RATE; n++)
    peak = MAX (peak, cr_synthetic_sample_shifted (n, 0, FALSE));
  g_assert_cmpint (peak, <=, 3300);
}

static void
test_colours (void)
{
  guint32 argb = 0;
  g_assert_true (cr_synthetic_parse_colour ("red", &argb));
  g_assert_cmphex (argb, ==, 0xffff0000);
  g_assert_true (cr_synthetic_parse_colour ("#12aBcD", &argb));
  g_assert_cmphex (argb, ==, 0xff12abcd);
  g_assert_true (cr_synthetic_parse_colour ("Gray", &argb));
  g_assert_cmphex (argb, ==, 0xff808080);
  const char *bad[] = { "", "#12345", "#1234567", "#12345g", "plaid", "12abcd", NULL };
  for (const char **b = bad; *b; b++)
    g_assert_false (cr_synthetic_parse_colour (*b, &argb));
  g_assert_false (cr_synthetic_parse_colour (NULL, &argb));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/synthetic/beep", test_beep);
  g_test_add_func ("/synthetic/flash", test_flash);
  g_test_add_func ("/synthetic/frame-phase", test_frame_phase);
  g_test_add_func ("/synthetic/shifted-beep", test_shifted_beep);
  g_test_add_func ("/synthetic/colours", test_colours);
  return g_test_run ();
}
